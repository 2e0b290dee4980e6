"""The pytest side of grading: the `submission` fixture, `points` marker and check records.

Registered by tests/conftest.py. Tests reach learner code only through the `submission`
fixture (`submission.derivatives.central_difference(...)`); which folder it loads comes
from `--submission PATH` (default: exercises/), and how it runs the code is decided by a
factory the grader may put in `config.stash` (in-process by default). Every test carries
`@pytest.mark.points(n)`; its check name is the first line of its docstring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checking.expect import CheckFailed
from grader.isolation import errors
from grader.isolation.submission import CallRecord, LocalSubmission, Submission

POINTS_MARKER_HELP = "points(n): the points a check is worth (a number > 0)"
HIDDEN_DETAILS_WITHHELD = "this hidden check failed (its details are not shown)"

SubmissionFactory = Callable[[pytest.Config, Path], Submission]
SUBMISSION_FACTORY = pytest.StashKey[SubmissionFactory]()
RECORDER = pytest.StashKey["CheckRecorder"]()
CALLS = pytest.StashKey[Submission]()


@dataclass
class CheckRecord:
    """The outcome of one check, as the grader scores and reports it."""

    name: str
    module: str
    suite: str
    points: float
    passed: bool
    message: str = ""
    kind: str = ""                 # "" when passed; "check" or a SubmissionProblem kind
    nodeid: str = ""
    description: str = ""          # the docstring after its first line
    calls: list[CallRecord] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("calls")
        return data


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "calculus-for-optimization grading")
    group.addoption("--submission", default=None, metavar="PATH",
                    help="folder of learner modules to test (default: exercises/)")
    group.addoption("--results-json", default=None, metavar="FILE",
                    help="write every check's name, points and outcome to FILE")
    group.addoption("--isolate", action="store_true",
                    help="run learner code in the grader's sandboxed worker, as grading does")


def session_arguments(kit: Path, submission: Path) -> list[str]:
    """pytest's arguments for a grader's session over kit's suites (the paths go first).

    --submission=PATH is one word: pytest's first look at the arguments does not know the
    option yet and would take a separate PATH for a test path, importing a conftest.py from
    that folder (or one above it) into the grading process; --confcutdir keeps every
    conftest.py outside the kit out as well. The kit's own settings, whatever the working
    folder. No plugin the environment happens to have installed (pytest-randomly reseeds
    and reorders, others rerun or rewrite reports): the kit's conftest.py names the one
    the checks need, and the import of the others cost half a second per session.
    """
    return [f"--submission={submission}", f"--confcutdir={kit}", "--disable-plugin-autoload",
            "-q", "-p", "no:cacheprovider",
            "--import-mode=importlib", f"--rootdir={kit}", "-c", str(kit / "pyproject.toml"),
            "-W", "ignore::pytest.PytestUnraisableExceptionWarning"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", POINTS_MARKER_HELP)
    config.stash[RECORDER] = CheckRecorder()
    if config.getoption("--isolate", False) and SUBMISSION_FACTORY not in config.stash:
        from grader.isolation import sandbox
        sandbox.protect([config.rootpath])
        sandbox.worker_factory()        # it warms up while pytest collects
        config.stash[SUBMISSION_FACTORY] = isolated_submission
    config.stash.setdefault(SUBMISSION_FACTORY, local_submission)


def local_submission(config: pytest.Config, folder: Path) -> Submission:
    return LocalSubmission(folder)


def isolated_submission(config: pytest.Config, folder: Path) -> Submission:
    from grader.isolation.proxy import IsolatedSubmission
    submission = IsolatedSubmission(folder)
    config.add_cleanup(submission.close)
    return submission


def submission_folder(config: pytest.Config) -> Path:
    option = config.getoption("--submission")
    return Path(option).resolve() if option else config.rootpath / "exercises"


@pytest.fixture(scope="session")
def _loaded_submission(pytestconfig: pytest.Config) -> Submission:
    folder = submission_folder(pytestconfig)
    if not folder.is_dir():
        raise pytest.UsageError(f"--submission {folder}: no such folder")
    return pytestconfig.stash[SUBMISSION_FACTORY](pytestconfig, folder)


@pytest.fixture
def submission(_loaded_submission: Submission, request: pytest.FixtureRequest) -> Submission:
    """The learner's modules: `submission.<module>.<function>(...)`."""
    _loaded_submission.enter_suite(request.node.path.parent.name)   # public, hidden
    _loaded_submission.reset_calls()
    request.node.stash[CALLS] = _loaded_submission
    return _loaded_submission


@pytest.fixture
def scratch_dir(submission: Submission, request: pytest.FixtureRequest) -> Path:
    """A folder learner code may write into and the test may read back."""
    return submission.scratch_dir or request.getfixturevalue("tmp_path")


def check_name(item: pytest.Item) -> str:
    """The stable name of a check: its docstring's first line, plus any parameter id."""
    doc = (getattr(item, "function", None).__doc__ or "").strip()
    name = doc.splitlines()[0].strip() if doc else item.name
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec else name


def check_description(item: pytest.Item) -> str:
    """What a check expects, in words: its docstring after the first line."""
    doc = (getattr(item, "function", None).__doc__ or "").strip()
    return " ".join(line.strip() for line in doc.splitlines()[1:] if line.strip())


def check_module(item: pytest.Item) -> str:
    """The exercise module a check belongs to, from its file name test_<module>.py."""
    return item.path.stem.removeprefix("test_")


def check_points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 0.0


class CheckRecorder:
    """Collects a CheckRecord per test from pytest's reports."""

    def __init__(self) -> None:
        self.records: dict[str, CheckRecord] = {}
        self.kept_numbers = 0       # in the results of the calls kept so far

    def keep(self, calls: list) -> list:
        """The calls whose results are kept to explain a failure: each at most
        KEPT_RESULT_NUMBERS numbers, all of a session's at most KEPT_NUMBERS_PER_SESSION
        (else a submission returning results just under the first bound from every call
        made the grader hold 8 MB per failed check: 1.5 GB)."""
        kept = []
        for call in calls:
            numbers = numbers_in(call.result, KEPT_RESULT_NUMBERS)
            if numbers is not None and self.kept_numbers + numbers <= KEPT_NUMBERS_PER_SESSION:
                self.kept_numbers += numbers
                # without the files and figures it sent: a forged reply made them 56 MB
                kept.append(replace(call, files={}, figures=[]))
        return kept

    def record(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        suite = item.path.parent.name
        passed = call.excinfo is None
        kind, message = ("", "") if passed else failure_text(call.excinfo, suite)
        existing = self.records.get(item.nodeid)
        if existing and not existing.passed:
            return  # keep the first failure (setup or call) of a check
        owner = item.stash.get(CALLS, None)
        # calls are kept only to explain a failure, and never with huge results
        calls = [] if passed or owner is None else self.keep(owner.calls)
        self.records[item.nodeid] = CheckRecord(
            name=check_name(item), module=check_module(item), suite=suite,
            points=check_points(item), passed=passed, message=message, kind=kind,
            nodeid=item.nodeid, description=check_description(item),
            calls=calls)


KEPT_RESULT_NUMBERS = 100_000            # one call's result (a test's arrays are far smaller)
KEPT_NUMBERS_PER_SESSION = 2_000_000     # all kept results of a grade: 16 MB of floats
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
# pytest's advice to its own users ("Use -v to get more diff") and its "+  where ..."
# unrolling of the assertion mean nothing to a learner
PYTEST_NOISE = re.compile(r"^\s*(Use -v to get more diff|\+\s+where .*)\n?", re.MULTILINE)


def numbers_in(value: Any, most: int) -> int | None:
    """How many numbers a plain result holds (its arrays' sizes, one for each other value
    in its lists, tuples and dicts), or None when that is more than most (counting stops
    there)."""
    count = [0]

    def fits(item: Any) -> bool:
        if isinstance(item, np.ndarray):
            count[0] += item.size
        elif isinstance(item, (list, tuple)):
            return all(fits(v) for v in item)        # stops at the first past most
        elif isinstance(item, dict):
            return all(fits(v) for v in item.values())
        else:
            count[0] += 1
        return count[0] <= most
    return count[0] if fits(value) else None


def failure_text(excinfo: pytest.ExceptionInfo, suite: str) -> tuple[str, str]:
    """(kind, message) of a failure; a hidden check's own assertions stay withheld."""
    exc = excinfo.value
    if isinstance(exc, errors.SubmissionProblem):
        return exc.kind, str(exc)
    if isinstance(exc, CheckFailed):
        return "check", errors.cap(str(exc))
    if suite == "hidden":
        return "check", HIDDEN_DETAILS_WITHHELD
    # pytest's explanation names objects by address (<function diff at 0x7f...>): drop it,
    # so a message is the same in every run
    text = without_explanation(excinfo.exconly())
    return "check", errors.cap(PYTEST_NOISE.sub("", ADDRESS.sub("", text)), 1500)


def without_explanation(text: str) -> str:
    """An assertion's own message without pytest's rewrite of the expression after it
    ("best_loss is nan: ...\nassert not np.True_" means nothing to a learner); a bare
    assert keeps it, as it is all there is."""
    head, _, rest = text.partition("\n")
    if not head.startswith("AssertionError: ") or head.startswith("AssertionError: assert "):
        return text
    kept = []
    for line in rest.splitlines():
        if line.startswith("assert "):
            break
        kept.append(line)
    return "\n".join([head, *kept])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
        item.config.stash[RECORDER].record(item, call)
    if call.excinfo is not None and isinstance(call.excinfo.value, errors.SubmissionProblem):
        report.longrepr = str(call.excinfo.value)  # the learner's problem, not our traceback
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--results-json")
    if target:
        records = session.config.stash[RECORDER].records.values()
        Path(target).write_text(json.dumps([r.to_dict() for r in records], indent=1))
