"""How a worker process is started: its folders, limits, environment and user.

A WorkerSpace is one submission's private area: a read-only copy of the learner's
modules and of the grader's worker code, an empty writable working directory, and a
capped output log. `start_worker` launches `python -I` in it with two dedicated pipes,
resource limits, a scrubbed environment, its own session, and, when the grader is root,
an unprivileged uid of its own.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader import protocol

GRADER_DIR = Path(__file__).resolve().parent
WORKER_MODULES = ("__init__.py", "protocol.py", "plain.py", "errors.py", "contract.py",
                  "submission.py", "worker.py")
BOOTSTRAP = ("import sys; sys.path.insert(0, sys.argv[1]); from grader import worker; "
             "del sys.path[0]; worker.main(sys.argv[2:])")
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

    call_seconds: float = 5.0        # wall time of one learner call, callbacks included
    startup_seconds: float = 30.0    # the worker's own start (python + numpy)
    total_seconds: float = 120.0     # all learner calls of one submission together
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
        self.runtime = self.root / "runtime"
        self.work = self.root / "work"
        self.log = self.root / "output.log"
        self.uid = worker_uid()
        self._copy_inputs(submission)

    def _copy_inputs(self, submission: Path) -> None:
        self.submission.mkdir()
        for path in submission.glob("*.py"):
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, self.submission / path.name)
        (self.runtime / "grader").mkdir(parents=True)
        for name in WORKER_MODULES:
            shutil.copyfile(GRADER_DIR / name, self.runtime / "grader" / name)
        self.work.mkdir()
        self.log.touch(mode=0o600)
        if self.uid is None:
            os.chmod(self.root, 0o700)
            return
        # Only this worker's uid may read its inputs; nobody else may list the folder.
        os.chmod(self.root, 0o711)
        for folder, mode in ((self.submission, 0o500), (self.runtime, 0o500), (self.work, 0o700)):
            hand_over(folder, self.uid, mode)

    def output_excerpt(self, limit: int) -> str:
        """The start of what learner code printed, capped."""
        with self.log.open("rb") as handle:
            text = handle.read(limit + 1).decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "\n... (output cut)"

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def hand_over(folder: Path, uid: int, mode: int) -> None:
    """Give folder and everything in it to uid: folders `mode`, files read-only."""
    for directory, _, files in os.walk(folder):
        os.chown(directory, uid, uid)
        os.chmod(directory, mode)
        for name in files:
            os.chown(os.path.join(directory, name), uid, uid)
            os.chmod(os.path.join(directory, name), 0o400)


def protect(paths: list[Path]) -> None:
    """As root, close paths to other users (o-rwx), so a worker's uid cannot read them.

    Used for the kit's tests/ and solutions/ and the grader's output folder. Contents are
    untouched; only the folders' permission bits for 'others' are removed.
    """
    if os.geteuid() != 0:
        return
    for path in paths:
        if path.exists() and os.stat(path).st_mode & 0o007:
            os.chmod(path, os.stat(path).st_mode & ~0o007)


def worker_uid() -> int | None:
    """An unprivileged uid for this grade's workers when we are root, else None.

    The uid has no account and owns nothing of the grader's; one per grading process,
    so workers of different students cannot signal each other. None also when the
    Python installation is not reachable by other users (see closed_directories).
    """
    if os.geteuid() != 0 or closed_directories():
        return None
    return 61000 + os.getpid() % 4000


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


def _apply_limits(limits: Limits, own_uid: bool) -> None:
    """In the child, before exec: cap CPU, memory, file size and (own uid) processes."""
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if own_uid:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


class WorkerProcess:
    """A running worker and the grader's end of its channel."""

    def __init__(self, process: subprocess.Popen, channel: protocol.Channel,
                 uid: int | None, marker: str):
        self.process, self.channel = process, channel
        self.uid, self.marker = uid, marker

    def kill(self) -> None:
        """SIGKILL the worker and everything it started, then reap them."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:
            kill_all_processes_of(self.uid)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        kill_orphans(self.marker, self.uid)
        self.channel.close()

    def exit_description(self) -> str:
        """Why the worker is gone, in words a learner can act on."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
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
    """Launch a worker in space; returns once it is ready (or raises WorkerStartFailed)."""
    to_worker_read, to_worker_write = os.pipe()
    from_worker_read, from_worker_write = os.pipe()
    own_uid = space.uid is not None
    become_subreaper()
    marker = space.root.name
    environment = {**scrubbed_environment(space), MARKER_VARIABLE: marker}
    with space.log.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOTSTRAP, str(space.runtime),
             str(to_worker_read), str(from_worker_write), str(space.submission)],
            pass_fds=(to_worker_read, from_worker_write), stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, cwd=space.work,
            env=environment, start_new_session=True,
            user=space.uid, group=space.uid, extra_groups=[] if own_uid else None,
            preexec_fn=lambda: _apply_limits(limits, own_uid))
    os.close(to_worker_read)
    os.close(from_worker_write)
    return WorkerProcess(process, protocol.Channel(from_worker_read, to_worker_write),
                         space.uid, marker)


# --------------------------------------------------------------------------- clean-up

def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux), so a worker's grandchildren stay findable."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_all_processes_of(uid: int, rounds: int = 5) -> None:
    """SIGKILL every process of uid, even those in sessions of their own.

    A forked child takes the uid and calls kill(-1, SIGKILL), which reaches exactly the
    processes that uid owns; repeated while any survive (a fork bomb races the first).
    """
    for _ in range(rounds):
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        if not processes_of(uid):
            return


def processes_of(uid: int) -> list[int]:
    """Pids of live (not zombie) processes owned by uid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid and _state(entry) != "Z":
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return found


def kill_orphans(marker: str, uid: int | None) -> None:
    """SIGKILL and reap our adopted children that came from this worker."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if _parent(entry) != os.getpid() or not _from_worker(entry, marker, uid):
                continue
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (FileNotFoundError, ProcessLookupError, PermissionError, ChildProcessError):
            continue


def _state(entry: Path) -> str:
    return entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0]


def _parent(entry: Path) -> int:
    return int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])


def _from_worker(entry: Path, marker: str, uid: int | None) -> bool:
    if uid is not None and entry.stat().st_uid == uid:
        return True
    try:
        return f"{MARKER_VARIABLE}={marker}".encode() in entry.joinpath("environ").read_bytes()
    except (PermissionError, FileNotFoundError):
        return False
