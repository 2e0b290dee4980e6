"""How a worker process is started and ended: its folders, limits, environment and user.

A WorkerSpace is one submission's private area: a copy of the learner's modules only its
worker's uid may read, an empty writable working directory, and a capped output log.
`start_worker` asks this grading process's WorkerFactory (grader.factory, started once,
with Python, numpy and matplotlib already imported) to fork a worker with two dedicated
pipes, resource limits, a scrubbed environment, its own session, and, when the grader is
root, an unprivileged uid of its own. Killing a worker kills everything it started.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader import protocol
from grader.factory import kill_uid as kill_all_processes_of  # noqa: F401 (re-exported)

GRADER_DIR = Path(__file__).resolve().parent
WORKER_MODULES = ("__init__.py", "protocol.py", "plain.py", "errors.py", "contract.py",
                  "formulas.py", "submission.py", "worker.py")
FACTORY_MODULES = (*WORKER_MODULES, "factory.py")
BOOTSTRAP = ("import sys; sys.path.insert(0, sys.argv[1]); from grader import factory; "
             "del sys.path[0]; factory.main(sys.argv[2:])")
UID_BASE = 200_000                 # worker uid = UID_BASE + the grading process's pid
MARKER_VARIABLE = "CALCGRADER_WORKER"
KEPT_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "TZ")


MEMORY_VARIABLE = "CALCGRADER_MEMORY_MB"


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


class WorkerSpace:
    """The folders one submission's workers share, removed by close()."""

    def __init__(self, submission: Path, base: Path | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="calcgrader-", dir=base))
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
        if self.uid is None:
            os.chmod(self.root, 0o700)
            return
        # The worker's group may read its modules but not change them; it owns only work/.
        # Nobody else may list the folder or read anything in it.
        os.chmod(self.root, 0o711)
        share_read_only(self.submission, self.uid)
        os.chown(self.work, self.uid, self.uid)
        os.chmod(self.work, 0o700)

    def output_excerpt(self, limit: int) -> str:
        """The start of what learner code printed, capped."""
        with self.log.open("rb") as handle:
            text = handle.read(limit + 1).decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "\n... (output cut)"

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def share_read_only(folder: Path, gid: int) -> None:
    """folder and its files stay root's; group gid (the worker's) may only read them."""
    for directory, _, files in os.walk(folder):
        os.chown(directory, 0, gid)
        os.chmod(directory, 0o750)
        for name in files:
            os.chown(os.path.join(directory, name), 0, gid)
            os.chmod(os.path.join(directory, name), 0o640)


def protect(paths: list[Path]) -> None:
    """As root, close paths to other users (o-rwx), so a worker's uid cannot read them.

    Used for the kit itself (its tests, solutions and .git) and the grader's output
    folder. Contents are untouched; only the folders' permission bits for 'others' go.
    """
    if os.geteuid() != 0:
        return
    for path in paths:
        if path.exists() and os.stat(path).st_mode & 0o007:
            os.chmod(path, os.stat(path).st_mode & ~0o007)


def worker_uid() -> int | None:
    """An unprivileged uid for this grade's workers when we are root, else None.

    The uid has no account and owns nothing of the grader's; one per grading process
    (pids of live processes are unique), so workers of different students cannot signal
    each other. None also when the
    Python installation is not reachable by other users (see closed_directories).
    """
    if os.geteuid() != 0 or closed_directories():
        return None
    return UID_BASE + os.getpid()      # unique among live grading processes


def closed_directories() -> list[str]:
    """Directories on the way to this Python that other users cannot traverse (o+x)."""
    closed = []
    for start in {Path(sys.executable).resolve(), Path(sys.prefix), Path(sys.base_prefix)}:
        for directory in [start, *start.parents] if start.is_dir() else start.parents:
            if not os.stat(directory).st_mode & 0o001 and str(directory) not in closed:
                closed.append(str(directory))
    return sorted(closed)


def open_interpreter_to_workers() -> list[str]:
    """As root, make the folders on the way to this Python traversable by other users
    (o+x), so learner code can run as an unprivileged uid; returns them."""
    if os.geteuid() != 0:
        return []
    opened = closed_directories()
    for directory in opened:
        os.chmod(directory, os.stat(directory).st_mode | 0o001)
        print(f"made {directory} traversable (o+x) for the grader's unprivileged worker")
    return opened


def isolation_note() -> str:
    """One line for the user when running as root cannot drop privileges, else ''."""
    closed = closed_directories() if os.geteuid() == 0 else []
    if not closed:
        return ""
    return (f"note: learner code runs as root because {', '.join(closed)} is closed to other "
            f"users; `chmod o+x {' '.join(closed)}` lets it run unprivileged (see SECURITY.md)")


def scrubbed_environment(space: WorkerSpace) -> dict[str, str]:
    """The worker's whole environment: no tokens, no secrets, no PYTHON* settings."""
    env = {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}
    env.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(space.work),
                "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(space.work / ".matplotlib"),
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "LC_ALL": "C.UTF-8"})
    return env


class WorkerFactory:
    """The grader's end of grader.factory: spawn, kill and ask after workers."""

    def __init__(self) -> None:
        self.runtime = Path(tempfile.mkdtemp(prefix="calcgrader-factory-"))
        (self.runtime / "grader").mkdir()
        for name in FACTORY_MODULES:
            shutil.copyfile(GRADER_DIR / name, self.runtime / "grader" / name)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}
        environment.update(FACTORY_ENVIRONMENT)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOTSTRAP, str(self.runtime), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=environment, start_new_session=True)
        theirs.close()
        self.control = ours
        self.control.settimeout(60)
        self.ready = False          # it warms up (about 0.5 s) while the grader collects tests

    def _wait_until_ready(self) -> None:
        if self.ready:
            return
        if not self._reply().get("ready"):
            raise OSError("the worker factory did not start")
        self.ready = True
        share_one_cpu(self.process.pid)

    def _reply(self) -> dict:
        data = self.control.recv(65536)
        if not data:
            raise OSError("the worker factory stopped")
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
        shutil.rmtree(self.runtime, ignore_errors=True)


FACTORY_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "MPLBACKEND": "Agg",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1", "LC_ALL": "C.UTF-8"}
_FACTORY_LOCK = threading.Lock()
_FACTORY: list[WorkerFactory] = []


CPU_VARIABLE = "CALCGRADER_CPU"


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
    for pid in (0, factory_pid):
        try:
            os.sched_setaffinity(pid, {cpu})
        except OSError:                 # the factory may already be gone: it is then restarted
            pass


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


class WorkerProcess:
    """A running worker and the grader's end of its channel."""

    def __init__(self, pid: int, channel: protocol.Channel, uid: int | None,
                 factory: WorkerFactory):
        self.pid, self.channel, self.uid, self.factory = pid, channel, uid, factory

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (its session, its uid, orphans)."""
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
    """Fork a worker for space from the factory; its channel is ready to use."""
    factory = worker_factory()
    to_worker_read, to_worker_write = os.pipe()
    from_worker_read, from_worker_write = os.pipe()
    log = os.open(space.log, os.O_WRONLY | os.O_APPEND)
    environment = {**scrubbed_environment(space), MARKER_VARIABLE: space.root.name}
    request = {"op": "spawn", "uid": space.uid, "work": str(space.work),
               "submission": str(space.submission), "env": environment,
               "limits": {"cpu": limits.cpu_seconds, "memory": limits.memory_bytes,
                          "file": limits.file_bytes, "processes": limits.processes}}
    try:
        pid = factory.ask(request, (to_worker_read, from_worker_write, log))["pid"]
    finally:
        for fd in (to_worker_read, from_worker_write, log):
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
