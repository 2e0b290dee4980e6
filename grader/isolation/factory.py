"""The worker factory: a pre-warmed process that forks one worker per request.

Started once per grading process (grader.isolation.sandbox.WorkerFactory), it imports Python,
numpy, matplotlib and the worker code once; each worker is then a fork that takes its
pipes, output log, working directory, environment, resource limits and (as root) an
unprivileged uid before any learner code runs, so a fresh worker costs milliseconds.

It runs only grader code and listens only on a private socket to its grading process.
It adopts orphans (PR_SET_CHILD_SUBREAPER), so nothing a worker starts can slip away;
when the grading process goes away, even by SIGKILL, the socket closes and the factory
kills every process it spawned or adopted, and every process of the uids it handed out.

In namespace mode (grader/isolation/bwrap.py) the factory itself runs inside bubblewrap, and each
worker gets namespaces of its own (grader/isolation/namespaces.py): its pid is then that of the
worker's keeper, and killing the keeper ends every process of the worker's namespaces.
In uid mode the factory runs outside any sandbox and each worker takes an unprivileged
uid of its own.

Requests (JSON over SOCK_SEQPACKET; `spawn` carries three descriptors, four with
namespaces: the staged submission folder last):
  spawn {uid, work, submission, env, limits, namespaces}  -> {pid}
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
import sys
import time

from grader.isolation import namespaces

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
CHANNEL_FDS = (3, 4)               # the worker's read and write ends, as worker.main expects


def prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value)
    except (OSError, AttributeError):
        pass


def seed_font_cache() -> None:
    """Copy the grader's matplotlib font list (beside these modules) into MPLCONFIGDIR."""
    config = os.environ.get("MPLCONFIGDIR")
    if not config:
        return
    os.makedirs(config, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    for name in os.listdir(here):
        if name.startswith("fontlist-") and name.endswith(".json"):
            shutil.copyfile(os.path.join(here, name), os.path.join(config, name))


def warm_up() -> None:
    """Import what every worker needs, once, before the first fork."""
    seed_font_cache()
    import matplotlib.pyplot  # noqa: F401  (learners' usual way in; MPLBACKEND is Agg)
    import numpy  # noqa: F401
    from matplotlib.backends import backend_agg  # noqa: F401
    from matplotlib.figure import Figure

    from grader.isolation import worker  # noqa: F401

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
                data, fds, _, _ = socket.recv_fds(self.control, 65536, 4)
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
            if request.get("namespaces"):
                become_namespaced_worker(request, fds)   # never returns
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


def kill_uid(uid: int, rounds: int = 200) -> None:
    """SIGKILL every process of uid, as root, without ever becoming uid.

    (A helper that takes the uid to call kill(-1) can itself be stopped by the learner's
    processes between setuid and kill, and then waited for forever.) Each round stops
    every process found with the uid among its ids (a stopped process cannot fork), then
    kills them; rounds go on until one finds none. RLIMIT_NPROC bounds what may appear
    meanwhile. Then its keyrings are cleared (keys outlive processes)."""
    for _ in range(rounds):
        found = processes_with_uid(uid)
        if not found:
            break
        for number in (signal.SIGSTOP, signal.SIGKILL):
            for pid in found:
                try:
                    os.kill(pid, number)
                except (ProcessLookupError, PermissionError):
                    pass
    clear_keyrings_of(uid)


def processes_with_uid(uid: int) -> list[int]:
    """Live processes with uid as their real, effective, saved or file-system uid (read
    from /proc/PID/status, which a process cannot hide by becoming non-dumpable)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        if fields.get("State", "").strip()[:1] in ("Z", "X"):
            continue
        if str(uid) in fields.get("Uid", "").split():
            found.append(int(entry))
    return found


KEYCTL, KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = 250, 7, -4, -5


def clear_keyrings_of(uid: int) -> None:
    """Empty uid's user keyrings, which the kernel keeps after its last process (what one
    student stored there, the next could read). Only once uid has no process left, so no
    learner code can stop the helper that takes the uid; it is waited for with a deadline."""
    child = os.fork()
    if child == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            libc = ctypes.CDLL(None, use_errno=True)
            for keyring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
                libc.syscall(ctypes.c_long(KEYCTL), ctypes.c_long(KEYCTL_CLEAR),
                             ctypes.c_long(keyring))
        finally:
            os._exit(0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if os.waitpid(child, os.WNOHANG)[0] == child:
            return
        time.sleep(0.005)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue",
                  "/var/crash", "/run/shm")
SWEPT_PARENTS = ("/", "/run", "/var", "/var/lib", "/var/cache", "/dev", "/home", "/srv", "/opt")


def world_writable_folders() -> list[str]:
    """The usual shared folders plus every world-writable folder one level below the
    usual roots: where a uid with no home can leave files for the next one."""
    found = [folder for folder in SHARED_FOLDERS if os.path.isdir(folder)]
    for parent in SWEPT_PARENTS:
        try:
            entries = list(os.scandir(parent))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False) and \
                        entry.stat(follow_symlinks=False).st_mode & 0o002:
                    found.append(entry.path)
            except OSError:
                continue
    return sorted(set(found))


def remove_files_of(uid: int) -> None:
    """Delete what uid left in world-writable folders, and its SysV IPC objects (so no
    later grade, which may get the same uid, can read them); a worker's own work/ folder
    goes with its space."""
    for folder in world_writable_folders():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue
    remove_ipc_of(uid)


def remove_tree(path: str) -> None:
    """Remove path whatever its depth (shutil.rmtree recurses and raises RecursionError
    on thousands of nested folders), never following symlinks."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        pass
    if os.path.lexists(path):
        pid = os.fork()
        if pid == 0:
            try:
                os.execvp("rm", ["rm", "-rf", "--one-file-system", "--", path])
            finally:
                os._exit(1)
        os.waitpid(pid, 0)


IPC_TABLES = {"shm": "shmctl", "msg": "msgctl", "sem": "semctl"}
IPC_RMID = 0


def remove_ipc_of(uid: int) -> None:
    """Remove every SysV shared-memory segment, message queue and semaphore set that uid
    created or owns (/proc/sysvipc lists them); detached segments otherwise stay
    allocated after every process of the uid is gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for table, call in IPC_TABLES.items():
        try:
            with open(f"/proc/sysvipc/{table}") as listing:
                header, *rows = listing.read().splitlines()
        except OSError:
            continue
        columns = header.split()               # the object's id is the second column
        for row in rows:
            values = dict(zip(columns, row.split()))
            if uid in (int(values.get("uid", -1)), int(values.get("cuid", -1))):
                number = int(values[columns[1]])
                if call == "semctl":
                    libc.semctl(number, 0, IPC_RMID)
                else:
                    getattr(libc, call)(number, IPC_RMID, None)


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


def become_namespaced_worker(request: dict, fds: list[int]) -> None:
    """In the forked child: the keeper of a worker with namespaces of its own."""
    try:
        os.setsid()
        namespaces.close_all_but(fds)
        namespaces.enter_fresh_namespaces()
        namespaces.copy_submission(fds[3])
        namespaces.keep(lambda: start_namespaced_worker(request, fds[:3]), fds[:3])
    except BaseException as exc:  # noqa: BLE001 - report why this worker could not start
        os.write(2, f"worker start failed: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(1)


def start_namespaced_worker(request: dict, fds: list[int]) -> None:
    """In the namespaces' worker: descriptors, limits, no privileges, then serve."""
    try:
        settle(request, fds, "/work", own_uid=True)
        namespaces.drop_privileges()
        namespaces.die_with_parent()
        from grader.isolation import worker
        worker.main([str(CHANNEL_FDS[0]), str(CHANNEL_FDS[1]), namespaces.SUBMISSION])
    except BaseException as exc:  # noqa: BLE001 - report why this worker could not start
        os.write(2, f"worker start failed: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(0)


def settle(request: dict, fds: list[int], work: str, own_uid: bool) -> None:
    """What every worker does first: a session of its own, default signals, its
    descriptors, its folder, its environment and its limits."""
    os.setsid()
    for number in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    place_descriptors(fds)
    os.chdir(work)
    os.environ.clear()
    os.environ.update(request["env"])
    apply_limits(request["limits"], own_uid)


def become_worker(request: dict, fds: list[int]) -> None:
    """In the forked child: take the worker's descriptors, limits and uid, then serve."""
    try:
        factory = os.getppid()
        uid = request.get("uid")
        settle(request, fds, request["work"], own_uid=uid is not None)
        if uid is not None:
            # its own SysV/POSIX IPC and an empty network, where the kernel lets root unshare
            ctypes.CDLL(None, use_errno=True).unshare(namespaces.CLONE_NEWIPC
                                                      | namespaces.CLONE_NEWNET)
            os.setgroups([])
            os.setgid(int(uid))
            os.setuid(int(uid))
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # dies with the factory (after setuid,
        if os.getppid() != factory:               # which clears it); already gone: stop
            return
        prctl(PR_SET_NO_NEW_PRIVS, 1)             # no setuid program gives privileges back
        from grader.isolation import worker
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
    for fd in open_descriptors():
        if fd > CHANNEL_FDS[1] and not namespaces.read_only_file(fd):
            try:
                os.close(fd)
            except OSError:      # the listing's own descriptor, already gone
                pass


def open_descriptors() -> list[int]:
    """This process's descriptors: from /proc, or by trying each below the soft limit."""
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        return list(range(min(limit, 1 << 16)))


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
