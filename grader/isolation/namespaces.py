"""Namespaces of a worker's own, made inside the bubblewrap sandbox (grader/isolation/bwrap.py).

Runs in the worker factory, never in the grading process. For each worker the factory
forks a keeper, which calls unshare() for fresh user, mount, PID, IPC, network and UTS
namespaces, covers /work, /tmp, /dev/shm and /submission with private tmpfs mounts,
copies the learner's modules into /submission and makes it read-only. The keeper's child
is PID 1 of the new PID namespace: it mounts a /proc that shows only that namespace,
starts the worker, reaps orphans, and reports the worker's exit status back to the
keeper. When the keeper dies the PID 1 dies (PR_SET_PDEATHSIG) and the kernel kills
every process of the namespace; the tmpfs mounts and SysV IPC objects go with the last
of them. Ending a worker is therefore the whole clean-up: nothing to sweep, nothing to
remove by recursion.

The worker itself drops every capability of its user namespace and sets no_new_privs
before any learner code runs.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import stat
import struct

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
FRESH = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 1, 4, 38, 24
SCRATCH = {"/work": "size=64m,mode=0700", "/tmp": "size=32m,mode=1777",
           "/dev/shm": "size=16m,mode=1777"}
SUBMISSION = "/submission"
MAX_MODULE_BYTES = 1 << 20
MAX_MODULES = 64

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source: str, target: str, kind: str | None, flags: int, data: str = "") -> None:
    _check(_libc.mount(source.encode(), target.encode(), kind.encode() if kind else None,
                       flags, data.encode() if data else None), f"mount {target}")


def enter_fresh_namespaces() -> None:
    """unshare() every namespace; map our uid and gid to themselves; private mounts."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(FRESH), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    for target, options in SCRATCH.items():
        if os.path.isdir(target):
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)
    _mount("tmpfs", SUBMISSION, "tmpfs", MS_NOSUID | MS_NODEV, "size=80m,mode=0755")
    bind_back_python()


def bind_back_python() -> None:
    """A Python installation (a venv) under /tmp, now covered by the worker's own tmpfs,
    is bound back read-only from where the sandbox parked it (grader/isolation/bwrap.py)."""
    for park, root in json.loads(os.environ.get("CALCGRADER_REBIND") or "[]"):
        os.makedirs(root, mode=0o755, exist_ok=True)
        _mount(park, root, None, MS_BIND | MS_REC)   # read-only, as the parked mount is


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def copy_submission(folder_fd: int) -> None:
    """Copy the regular .py files of the staged folder (an open descriptor) into
    /submission, then make it read-only. Symlinks and special files are skipped."""
    names = sorted(name for name in os.listdir(folder_fd) if name.endswith(".py"))
    for name in names[:MAX_MODULES]:
        try:
            source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(source).st_mode):
                continue
            data = os.read(source, MAX_MODULE_BYTES)
        finally:
            os.close(source)
        with open(os.path.join(SUBMISSION, name), "wb") as target:
            target.write(data)
    os.close(folder_fd)
    _mount("tmpfs", SUBMISSION, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def mount_own_proc() -> None:
    """A /proc that shows this PID namespace only (else an empty, read-only one)."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        _mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k")


def drop_privileges() -> None:
    """No capability left in any set, and none to be gained by exec."""
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break                              # past the kernel's last capability
    header = struct.pack("II", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    _check(_libc.capset(header, bytes(24)), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run_as_init(start_worker, held: list[int]) -> None:
    """As PID 1 of the new namespace: start the worker, reap every orphan, and exit with
    the worker's status once it is gone (which ends the namespace). Never returns."""
    status_write = int(os.environ.pop("_CALCGRADER_STATUS_FD"))
    worker = os.fork()
    if worker == 0:
        os.close(status_write)
        start_worker()                          # never returns
    for fd in held:
        os.close(fd)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            status = 0
            break
        if pid == worker:
            break
    os.write(status_write, str(status).encode())
    os._exit(0)


def close_all_but(kept: list[int]) -> None:
    """Close every descriptor above 2 that is not in kept (the factory's control socket
    above all) or a read-only regular file (the fonts the factory's warm-up opened)."""
    for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
        if fd > 2 and fd not in kept and not read_only_file(fd):
            try:
                os.close(fd)
            except OSError:
                pass


def read_only_file(fd: int) -> bool:
    """A regular file open for reading only (the warm-up's fonts): safe to keep."""
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        return regular and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
    except OSError:
        return False


def keep(start_worker, held: list[int]) -> None:
    """The keeper: run PID 1 in the namespaces, and end as the worker ended: with its
    exit code, or killed by its signal. held: the worker's descriptors, which only the
    worker keeps open. Never returns."""
    die_with_parent()
    status_read, status_write = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(status_read)
        die_with_parent()
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)   # learner code cannot open its /proc
        mount_own_proc()
        os.environ["_CALCGRADER_STATUS_FD"] = str(status_write)
        run_as_init(start_worker, held)
    for fd in held:
        os.close(fd)
    os.close(status_write)
    os.waitpid(init, 0)
    reported = os.read(status_read, 32)
    code = os.waitstatus_to_exitcode(int(reported)) if reported.isdigit() else -signal.SIGKILL
    if code < 0:
        try:
            signal.signal(-code, signal.SIG_DFL)      # (SIGKILL has no handler to reset)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), -code)
    os._exit(code if code >= 0 else 1)
