"""How a worker process is started: its folders, limits, environment and user.

A WorkerSpace is one submission's private area: a read-only copy of the learner's
modules and of the grader's worker code, an empty writable working directory, and a
capped output log. `start_worker` launches `python -I` in it with two dedicated pipes,
resource limits, a scrubbed environment, its own session, and, when the grader is root,
an unprivileged uid of its own.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader import protocol

GRADER_DIR = Path(__file__).resolve().parent
WORKER_MODULES = ("__init__.py", "protocol.py", "plain.py", "errors.py", "contract.py",
                  "submission.py", "worker.py")
BOOTSTRAP = ("import sys; sys.path.insert(0, sys.argv[1]); from grader import worker; "
             "del sys.path[0]; worker.main(sys.argv[2:])")
KEPT_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "TZ")


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (seconds, bytes, counts)."""

    call_seconds: float = 5.0        # wall time of one learner call, callbacks included
    startup_seconds: float = 30.0    # the worker's own start (python + numpy)
    total_seconds: float = 120.0     # all learner calls of one submission together
    cpu_seconds: int = 120           # CPU time of one worker process
    memory_bytes: int = 2 << 30      # address space of one worker process
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
        self.log.touch()
        os.chmod(self.root, 0o755)
        if self.uid is not None:
            os.chown(self.work, self.uid, self.uid)
            os.chmod(self.work, 0o700)

    def output_excerpt(self, limit: int) -> str:
        """The start of what learner code printed, capped."""
        with self.log.open("rb") as handle:
            text = handle.read(limit + 1).decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "\n... (output cut)"

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


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

    def __init__(self, process: subprocess.Popen, channel: protocol.Channel):
        self.process, self.channel = process, channel

    def kill(self) -> None:
        """SIGKILL the worker's whole process group, then reap it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
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
    with space.log.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOTSTRAP, str(space.runtime),
             str(to_worker_read), str(from_worker_write), str(space.submission)],
            pass_fds=(to_worker_read, from_worker_write), stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, cwd=space.work,
            env=scrubbed_environment(space), start_new_session=True,
            user=space.uid, group=space.uid, extra_groups=[] if own_uid else None,
            preexec_fn=lambda: _apply_limits(limits, own_uid))
    os.close(to_worker_read)
    os.close(from_worker_write)
    worker = WorkerProcess(process, protocol.Channel(from_worker_read, to_worker_write))
    return worker
