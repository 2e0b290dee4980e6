"""A long-lived grading process: grades many submissions, one after another, for `batch`.

`batch -j N` runs N of these (`python -m grader.instructor.serve FD`), each on a CPU of its own.
One process keeps what every grade would otherwise rebuild: Python, numpy, matplotlib
and pytest imported, the checks collected once in one pytest session, the worker factory
warm, the catalogue and reference curves loaded. Each submission then runs the collected
checks afresh (session fixtures are set up and torn down around it, the records are its
own). Learner code still runs only in workers: each submission gets fresh workers, and
closing it kills everything its uid started and removes every file its uid left, before
the next begins.

Requests are JSON lines on stdin: {"path", "out", "student", "suites"}. Each gets one
JSON line on descriptor FD: {"ok": true, "summary": "..."} or {"ok": false, "reason":
"one line"}. End of stdin ends the process; so does a fault in the grader itself, after
a reply that carries "fault": true, so the batch starts a clean one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from grader import intake
from grader.checking.pytest_plugin import (
    RECORDER,
    SUBMISSION_FACTORY,
    CheckRecord,
    CheckRecorder,
    session_arguments,
)
from grader.checking.run import KIT, GradeOptions, grade_path
from grader.isolation import sandbox
from grader.isolation.submission import Submission
from grader.problems import GraderFault, UsageProblem
from grader.reports import formats


class CollectedChecks:
    """A pytest plugin: collect the suites once, then run them for one submission at a time."""

    def __init__(self, requests: Iterable[str], reply_fd: int):
        self.requests, self.reply_fd = requests, reply_fd
        self.submission: Submission | None = None
        self.session: pytest.Session | None = None
        self.status = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SUBMISSION_FACTORY] = lambda _config, _folder: self.submission

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.session = session
        broken = session.testsfailed > 0          # collection errors: no grade can be trusted
        for line in self.requests:
            if broken:
                self.reply({"ok": False, "fault": True,
                            "reason": "grader fault: the kit's checks could not "
                            "be collected (run `python -m pytest tests/public tests/hidden`)"})
                self.status = 1
                return True
            if not self.answer(line):
                self.status = 1
                return True
        return True

    def answer(self, line: str) -> bool:
        """Grade one request and reply; False after a fault of ours (the process then ends)."""
        try:
            reply = self.grade(json.loads(line))
            self.reply(reply)
            return not reply.get("fault")
        except Exception as exc:  # a fault of ours: say it, then let the batch start afresh
            self.reply({"ok": False, "fault": True,
                        "reason": f"grader fault: {type(exc).__name__}: {exc}"[:300]})
            return False

    def grade(self, request: dict) -> dict:
        """Grade like `grade --zero-if-unreadable`; the reply to send."""
        options = GradeOptions(suites=request["suites"], student=request["student"],
                               modules=tuple(request.get("modules") or ()))
        try:
            result = grade_path(Path(request["path"]), Path(request["out"]), options,
                                zero_if_unreadable=True, runner=self.run_checks)
        except GraderFault as problem:   # ours (e.g. the sandbox broke): start afresh
            return {"ok": False, "fault": True, "reason": str(problem)[:300]}
        except (UsageProblem, intake.NotASubmission) as problem:
            return {"ok": False, "reason": str(problem)[:300]}
        return {"ok": True, "summary": formats.total_text(result)}

    def run_checks(self, submission: Submission, folder: Path, paths: list[Path],
                   kit: Path) -> list[CheckRecord]:
        """Run the collected checks of the chosen suites against submission; the records."""
        assert self.session is not None
        config = self.session.config
        self.submission = submission
        config.stash[RECORDER] = CheckRecorder()
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:        # (needed for assertion messages) keeps every report
            reporter.stats.clear()      # it is shown: memory would grow with the class
        wanted = {path.resolve() for path in paths}       # suite folders, or test files
        items = [item for item in self.session.items
                 if item.path.parent.resolve() in wanted or item.path.resolve() in wanted]
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            # following=None tears every fixture down: the next submission starts clean
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
        self.submission = None
        records = list(config.stash[RECORDER].records.values())
        if not records:
            raise GraderFault("the test suites ran no checks")
        return records

    def reply(self, message: dict) -> None:
        os.write(self.reply_fd, (json.dumps(message) + "\n").encode())


def serve(requests: Iterable[str], reply_fd: int, kit: Path = KIT) -> int:
    """Collect the kit's suites and grade every request; the exit status."""
    checks = CollectedChecks(requests, reply_fd)
    sandbox.worker_factory()            # it warms up while pytest collects
    suites = [kit / "tests" / name for name in ("public", "hidden")
              if (kit / "tests" / name).is_dir()]
    # learner code never runs in this process, so output capture and log capture around
    # every check would only cost time (about a tenth of each grade)
    args = [*map(str, suites), *session_arguments(kit, kit),
            "-s", "-p", "no:logging", "-p", "no:faulthandler"]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        pytest.main(args, plugins=[checks])     # stderr stays: the batch shows its last line
    return checks.status


def main(argv: list[str]) -> int:
    # pytest puts /dev/null on descriptor 0 while it runs: read requests from a copy of it
    with os.fdopen(os.dup(sys.stdin.fileno()), "r") as requests:
        return serve(requests, int(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
