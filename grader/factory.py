"""The worker factory: a pre-warmed process that forks one worker per request.

Started once per grading process (grader.sandbox.WorkerFactory), it imports Python,
numpy, matplotlib and the worker code once; each worker is then a fork that takes its
pipes, output log, working directory, environment, resource limits and (as root) an
unprivileged uid before any learner code runs, so a fresh worker costs milliseconds.

It runs only grader code and listens only on a private socket to its grading process.
It adopts orphans (PR_SET_CHILD_SUBREAPER), so nothing a worker starts can slip away;
when the grading process goes away, even by SIGKILL, the socket closes and the factory
kills every process it spawned or adopted, and every process of the uids it handed out.

Requests (JSON over SOCK_SEQPACKET; `spawn` carries three descriptors):
  spawn {uid, work, submission, env, limits}  -> {pid}
  kill  {pid, uid}                            -> {status}   (SIGKILL it and all it started)
  status {pid, timeout}                       -> {status}   (exit status, null if alive)
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import json
import os
import resource
import shutil
import signal
import socket
import stat
import sys
import time

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
CHANNEL_FDS = (3, 4)               # the worker's read and write ends, as worker.main expects


def prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value)
    except (OSError, AttributeError):
        pass


def warm_up() -> None:
    """Import what every worker needs, once, before the first fork."""
    import matplotlib.pyplot  # noqa: F401  (learners' usual way in; MPLBACKEND is Agg)
    import numpy  # noqa: F401
    from matplotlib.backends import backend_agg  # noqa: F401
    from matplotlib.figure import Figure

    from grader import worker  # noqa: F401

    warm = Figure(figsize=(2, 2))                   # load fonts, text layout and Agg once
    panel = warm.subplots()
    panel.semilogy([1, 2, 3], [3.0, 2.0, 1.0], label="warm-up")
    panel.set(xlabel="x", ylabel="y", title="warm-up")
    panel.legend(loc="best")
    warm.tight_layout(pad=1.0)
    warm.savefig(os.devnull, format="png")


class Factory:
    def __init__(self, control: socket.socket):
        self.control = control
        self.workers: set[int] = set()
        self.exited: dict[int, int] = {}
        self.uids: set[int] = set()

    def serve(self) -> None:
        self.control.send(b'{"ready": true}')
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.control, 65536, 3)
            except OSError:
                data, fds = b"", []
            if not data:
                return self.shut_down()
            reply = self.handle(json.loads(data), fds)
            self.control.send(json.dumps(reply).encode())

    def handle(self, request: dict, fds: list[int]) -> dict:
        op = request.get("op")
        if op == "spawn":
            pid = self.spawn(request, fds)
            return {"pid": pid}
        if op == "kill":
            return {"status": self.kill(int(request["pid"]), request.get("uid"))}
        if op == "status":
            return {"status": self.wait(int(request["pid"]), float(request["timeout"]))}
        return {"error": f"unknown request {op!r}"}

    def spawn(self, request: dict, fds: list[int]) -> int:
        pid = os.fork()
        if pid == 0:
            become_worker(request, fds)            # never returns
        for fd in fds:
            os.close(fd)
        self.workers.add(pid)
        if request.get("uid") is not None:
            self.uids.add(int(request["uid"]))
        return pid

    def kill(self, pid: int, uid: int | None) -> int | None:
        """SIGKILL the worker's session, its uid's processes and our adopted orphans."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if uid is not None:
            kill_uid(int(uid))
            remove_files_of(int(uid))
        self.kill_orphans(keep=self.workers - {pid})
        return self.wait(pid, 5.0)

    def kill_orphans(self, keep: set[int]) -> None:
        """SIGKILL every child of ours that is not a live worker we keep (adopted orphans)."""
        for child in children_of(os.getpid()):
            if child not in keep:
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.reap()

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.workers:
                self.workers.discard(pid)
                self.exited[pid] = os.waitstatus_to_exitcode(status)

    def wait(self, pid: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            self.reap()
            if pid in self.exited or pid not in self.workers:
                return self.exited.get(pid)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)

    def shut_down(self) -> None:
        for pid in list(self.workers):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for uid in self.uids:
            kill_uid(uid)
            remove_files_of(uid)
        self.kill_orphans(keep=set())
        os._exit(0)


def kill_uid(uid: int, rounds: int = 5) -> None:
    """SIGKILL every process of uid: a forked child takes the uid and calls kill(-1)."""
    for _ in range(rounds):
        child = os.fork()
        if child == 0:
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        if not any(owner == uid for owner in process_owners()):
            return


SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")


def remove_files_of(uid: int) -> None:
    """Delete what uid left in the world-writable folders (so no later grade, which may
    get the same uid, can read it); a worker's own work/ folder goes with its space."""
    for folder in SHARED_FOLDERS:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


def process_owners() -> list[int]:
    owners = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                        continue
                owners.append(os.stat(f"/proc/{entry}").st_uid)
            except OSError:
                continue
    return owners


def children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                        found.append(int(entry))
            except (OSError, ValueError):
                continue
    return found


def become_worker(request: dict, fds: list[int]) -> None:
    """In the forked child: take the worker's descriptors, limits and uid, then serve."""
    try:
        factory = os.getppid()
        os.setsid()
        for number in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        place_descriptors(fds)
        os.chdir(request["work"])
        os.environ.clear()
        os.environ.update(request["env"])
        apply_limits(request["limits"], request.get("uid") is not None)
        uid = request.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(int(uid))
            os.setuid(int(uid))
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # dies with the factory (after setuid,
        if os.getppid() != factory:               # which clears it); already gone: stop
            return
        from grader import worker
        worker.main([str(CHANNEL_FDS[0]), str(CHANNEL_FDS[1]), request["submission"]])
    except BaseException as exc:  # noqa: BLE001 - report why this worker could not start
        os.write(2, f"worker start failed: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(0)


def place_descriptors(fds: list[int]) -> None:
    """stdin from /dev/null, stdout and stderr to the log, the channel on fds 3 and 4;
    every other descriptor closed (the factory's control socket above all), except
    read-only regular files such as the fonts the warm-up opened."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]   # out of the way of 0-4
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(high[2], 1)
    os.dup2(high[2], 2)
    os.dup2(high[0], CHANNEL_FDS[0])
    os.dup2(high[1], CHANNEL_FDS[1])
    for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
        if fd > CHANNEL_FDS[1] and not read_only_file(fd):
            try:
                os.close(fd)
            except OSError:      # the listing's own descriptor, already gone
                pass


def read_only_file(fd: int) -> bool:
    """A regular file open for reading only (the warm-up's fonts): safe to keep."""
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        return regular and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
    except OSError:
        return False


def apply_limits(limits: dict, own_uid: bool) -> None:
    """Cap CPU seconds, address space, file size, core dumps and (own uid) processes."""
    cpu, memory, files = int(limits["cpu"]), int(limits["memory"]), int(limits["file"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if own_uid:
        processes = int(limits["processes"])
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def main(argv: list[str]) -> None:
    """argv: the control socket's descriptor."""
    control = socket.socket(fileno=int(argv[0]))
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    warm_up()
    gc.freeze()          # the warm-up's objects: never scanned, never copied on write
    Factory(control).serve()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
