"""The nbgrader bridge: a notebook's test cell runs the kit's own checks of one function.

Every test cell of the generated nbgrader course (grader/instructor/nbgrader_course.py) reads:

    from grader.checking.bridge import Checks; checks = Checks("losses", "mse")
    checks.run("public")
    ### BEGIN HIDDEN TESTS
    checks.run("hidden")
    ### END HIDDEN TESTS
    checks.points

`run` collects that suite's checks of the function (the checks of tests/<suite>/
test_<module>.py whose name starts with "mse:"), runs them with the `submission` fixture
bound to the functions the notebook defined, prints which public checks failed and why
(hidden ones: only how many), and adds the points won. The cell's last value, a number,
is nbgrader's partial credit: the points `python -m grader grade` gives the same code.
The checks, their tolerances and their points exist once, in the kit's suites.

Here learner code runs in the notebook's own kernel, as nbgrader runs it: this mode
trusts the learner's process (see SECURITY.md). `python -m grader grade` on the same
notebooks runs them in the sandbox.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.checking.pytest_plugin import (
    RECORDER,
    SUBMISSION_FACTORY,
    CheckRecord,
    check_name,
    session_arguments,
)
from grader.isolation import errors
from grader.isolation.submission import CallRecord, LocalSubmission, Submission, invoke_in_process

KIT = Path(__file__).resolve().parents[2]


class Checks:
    """The kit's checks of one function, run against a notebook's definitions."""

    def __init__(self, module: str, function: str, namespace: dict | None = None):
        self.module, self.function = module, function
        self.namespace = namespace if namespace is not None else sys._getframe(1).f_globals
        self.points = 0.0
        self.max_points = 0.0
        self.records: list = []

    def run(self, suite: str) -> None:
        """Run this function's checks of suite; print what failed; add the points won."""
        records = run_checks(self.module, self.function, suite, self.namespace)
        self.records += records
        self.points += sum(r.points for r in records if r.passed)
        self.max_points += sum(r.points for r in records)
        print(summary(records, suite, self.function))


def run_checks(module: str, function: str, suite: str, namespace: dict,
               kit: Path = KIT) -> list[CheckRecord]:
    """The CheckRecords of suite's checks of function, learner code from namespace."""
    path = kit / "tests" / suite / f"test_{module}.py"
    if not path.is_file():
        return []
    submission = NamespaceSubmission(namespace)
    binder = OneFunction(submission, function)
    # (pytest's unraisable-exception plugin collects garbage 5 times per session: most of
    # a session's cost here, for nothing a check needs)
    args = [str(path), *session_arguments(kit, kit), "-p", "no:unraisableexception"]
    sink = io.StringIO()     # nbgrader gives no credit to a cell that wrote to stderr
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main(args, plugins=[binder])
    submission.close()
    return binder.records


def summary(records: list, suite: str, function: str) -> str:
    """What a learner reads under the cell: public failures in full, hidden ones counted."""
    passed = sum(r.passed for r in records)
    head = f"{function}: {passed} of {len(records)} {suite} checks passed"
    if suite == "hidden":
        return head
    failed = [f"  FAILED {r.name}\n    {r.message.splitlines()[0] if r.message else ''}"
              for r in records if not r.passed]
    return "\n".join([head, *failed])


class OneFunction:
    """A pytest plugin: bind the fixture to submission, keep only function's checks."""

    def __init__(self, submission: Submission, function: str):
        self.submission, self.function = submission, function
        self.records: list[CheckRecord] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SUBMISSION_FACTORY] = lambda _config, _folder: self.submission

    def pytest_collection_modifyitems(self, items: list) -> None:
        items[:] = [item for item in items
                    if check_name(item).split(":")[0].strip() == self.function]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.records = list(session.config.stash[RECORDER].records.values())


class NamespaceSubmission(LocalSubmission):
    """The `submission` the checks see: functions looked up in a notebook's namespace, run
    in this process as LocalSubmission runs a folder's modules."""

    def __init__(self, namespace: dict):
        Submission.__init__(self)
        self.namespace, self.folder, self._scratch = namespace, Path.cwd(), None

    def _invoke(self, module: str, name: str, record: CallRecord) -> Any:
        function = self.namespace.get(name)
        if not callable(function):
            raise errors.MissingFunction(f"the notebook defines no function {name} "
                                         "(run the cell that defines it first)")
        return invoke_in_process(function, record, self.folder, self._output_folder)
