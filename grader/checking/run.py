"""Grade one staged submission: run the suites against the worker, explain, plot, report.

The grading process runs pytest in-process over the chosen suites, with the `submission`
fixture bound to an IsolatedSubmission (learner code in a sandboxed worker). Check
records become CheckResults; failed checks are matched against the misconception
catalogue; the learner's runs are plotted; every format is written from one GradeResult.
"""

from __future__ import annotations

import contextlib
import functools
import io
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader import intake
from grader.checking.misconceptions import load_catalogue
from grader.checking.pytest_plugin import (
    RECORDER,
    SUBMISSION_FACTORY,
    CheckRecord,
    session_arguments,
)
from grader.checking.recognise import Recogniser
from grader.isolation.proxy import IsolatedSubmission
from grader.isolation.sandbox import Limits, isolation_description, protect
from grader.isolation.submission import LocalSubmission, Submission, import_folder
from grader.problems import GraderFault, UsageProblem
from grader.reports import formats
from grader.reports.plots import draw_plots
from grader.reports.results import CheckResult, GradeResult, save_grade

KIT = Path(__file__).resolve().parents[2]
SUITE_CHOICES = ("public", "hidden", "all")


@dataclass
class GradeOptions:
    suites: str = "all"
    student: str = ""
    isolate: bool = True
    limits: Limits = field(default_factory=Limits)
    kit: Path = KIT
    # only these modules' checks (a partial grade, as the mutation audit asks: no plots, no
    # misconception matching); () for every module
    modules: tuple[str, ...] = ()


def suite_paths(options: GradeOptions) -> list[Path]:
    """The test folders (or, for a partial grade, files) to run; GraderFault if this kit
    lacks one."""
    names = ("public", "hidden") if options.suites == "all" else (options.suites,)
    paths = [options.kit / "tests" / name for name in names]
    missing = [str(p) for p in paths if not p.is_dir()]
    if missing:
        raise GraderFault(f"this kit has no {', '.join(missing)}: use --tests public")
    if options.modules:
        return [path / f"test_{module}.py" for path in paths for module in options.modules
                if (path / f"test_{module}.py").is_file()]
    return paths


SuiteRunner = Callable[[Submission, Path, list[Path], Path], list[CheckRecord]]


def grade(folder: Path, out_dir: Path, options: GradeOptions,
          runner: SuiteRunner | None = None) -> GradeResult:
    """Grade the staged submission in folder; writes the report into out_dir.

    runner runs the suites against the submission (default: one pytest session, run_suites;
    grader.instructor.serve passes checks it collected once for many submissions).
    """
    started = time.monotonic()
    paths = suite_paths(options)
    if options.isolate:
        protect([options.kit, out_dir])     # uid isolation: the kit, tests, solutions, .git
    submission = open_submission(folder, options, out_dir)
    visible: dict = {}

    def draw_visible() -> None:
        """Plots and printed output, made before any hidden check has passed learner code
        an input (then the worker starts afresh), so no hidden input can show in them."""
        visible["plots"], visible["notes"] = draw_plots(submission, out_dir / "plots")
        visible["output"] = submission.output_excerpt()

    if options.modules:                 # a partial grade: no plots
        visible.update(plots=[], notes=[], output="")
    else:
        submission.before_hidden = draw_visible
    try:
        records = (runner or run_suites)(submission, folder, paths, options.kit)
        if "plots" not in visible:
            draw_visible()
        raise_if_sandbox_failed(submission)
    finally:
        submission.close()
    recogniser = None if options.modules else make_recogniser(options.kit.resolve(), folder)
    mode = getattr(submission, "isolation", "in-process")
    return GradeResult(student=options.student or folder.name, suites=options.suites,
                       checks=check_results(records, recogniser), plots=visible["plots"],
                       execution_time=round(time.monotonic() - started, 3),
                       output=visible["output"], isolation=mode,
                       notes=[*visible["notes"], isolation_note(mode)])


def raise_if_sandbox_failed(submission: Submission) -> None:
    """GraderFault when the sandbox broke for reasons of ours: no score is written."""
    fault = getattr(submission, "fault", "")
    if fault:
        raise GraderFault(f"{fault}; nothing was graded (this is not the learner's fault)")


def isolation_note(mode: str) -> str:
    """The report's line on how learner code was isolated."""
    if mode == "in-process":
        return "Your code ran inside the grading process (a trusted run, not isolated)."
    return f"Your code ran {isolation_description(mode)}."


def open_submission(folder: Path, options: GradeOptions, out_dir: Path) -> Submission:
    if options.isolate:
        return IsolatedSubmission(folder, options.limits)
    scratch = out_dir / ".scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    return LocalSubmission(folder, scratch_dir=scratch)


class _BindSubmission:
    """A pytest plugin object: binds the fixture to our submission, keeps the records."""

    def __init__(self, submission: Submission):
        self.submission = submission
        self.records: list[CheckRecord] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SUBMISSION_FACTORY] = lambda _config, _folder: self.submission

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.records = list(session.config.stash[RECORDER].records.values())


def run_suites(submission: Submission, folder: Path, paths: list[Path], kit: Path) -> list:
    """Run pytest over paths with the fixture bound to submission; the check records."""
    binder = _BindSubmission(submission)
    args = [*map(str, paths), *session_arguments(kit, folder),
            "-p", "no:unraisableexception"]       # five gc.collect() per session, unneeded
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
        code = pytest.main(args, plugins=[binder])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not binder.records:
        last = terminal.getvalue().strip().splitlines()[-1:] or ["no output"]
        raise GraderFault(f"the test suites could not run (pytest exit {int(code)}: {last[0]})")
    return binder.records


def make_recogniser(kit: Path, folder: Path) -> Recogniser | None:
    """Misconception matching, when this kit has the catalogue and the reference."""
    loaded = _catalogue_and_reference(kit)
    return Recogniser(*loaded, folder) if loaded else None


@functools.lru_cache(maxsize=4)
def _catalogue_and_reference(kit: Path) -> tuple[list, dict] | None:
    """The kit's catalogue and reference solutions, loaded once per process."""
    catalogue, solutions = kit / "tests" / "misconceptions", kit / "solutions"
    if not (catalogue.is_dir() and solutions.is_dir()):
        return None
    reference, problems = import_folder(solutions)
    return None if problems else (load_catalogue(catalogue), reference)


# A hidden check's message may carry what learner code made of the hidden inputs (its
# return values, its exception text, the names in its traceback, its exit code), and
# learner code inside the worker can even choose the kind of failure it reports: so every
# failed hidden check shows the grader's words for its kind instead, and results.json keeps
# the message for after grades are published.
WITHHELD = {
    "check": "the result does not meet this hidden check (what came back is shown once "
             "grades are published)",
    "raised": "your code raised an exception on this hidden check's inputs (its message is "
              "shown once grades are published)",
    "bad-return": "your code returned something other than numbers or arrays on this hidden "
                  "check (details once grades are published)",
    "crashed": "the worker running your code stopped during this hidden check (details once "
               "grades are published)",
    "not-implemented": "this function is not implemented yet (it raises NotImplementedError)",
    "missing-module": "the module is missing, so this hidden check could not run",
    "import-error": "the module could not be imported, so this hidden check could not run "
                    "(the public checks show why)",
    "missing-function": "the function is missing, so this hidden check could not run",
    "timeout": "your code did not finish in time on this hidden check's inputs",
}
WITHHELD_OTHERWISE = "this hidden check did not pass (details once grades are published)"


def check_results(records: list[CheckRecord], recogniser: Recogniser | None) -> list:
    """CheckResults in run order, each failed check matched against the catalogue."""
    results = []
    for number, record in enumerate(records, start=1):
        recognised = None
        if not record.passed and record.kind == "check" and recogniser:
            recognised = recogniser.recognise(record.calls)
        message, detail = record.message, ""
        if record.suite == "hidden" and not record.passed:
            message = WITHHELD.get(record.kind, WITHHELD_OTHERWISE)
            detail = record.message
        results.append(CheckResult(
            number=number, name=record.name, module=record.module, suite=record.suite,
            score=record.points if record.passed else 0.0, max_score=record.points,
            passed=record.passed, message=message, kind=record.kind,
            description=record.description, misconception=recognised, detail=detail))
    return results


# --------------------------------------------------------------------- one path, end to end

def prepare_out_dir(out: Path) -> None:
    """Create out (and out/plots) or raise UsageProblem saying why it cannot be used."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as exc:
        raise UsageProblem(f"cannot write to {out} ({exc.strerror or exc}); "
                           "choose another --out folder") from None
    plots = out / "plots"
    shutil.rmtree(plots, ignore_errors=True)
    plots.mkdir()


def grade_path(path: Path, out: Path, options: GradeOptions,
               zero_if_unreadable: bool = False, runner: SuiteRunner | None = None
               ) -> GradeResult:
    """Stage, grade and report one submission; prints the summary.

    With zero_if_unreadable (batch), a path that is not a submission is graded as an
    empty one, so the student still gets a row, a zero and the reason.
    """
    try:
        staged = intake.stage(path)
    except intake.NotASubmission as problem:
        if not zero_if_unreadable:
            raise
        staged = intake.empty_submission(str(problem))
    try:
        prepare_out_dir(out)
        result = grade(staged.folder, out, options, runner)
        result.notes = staged.notes + result.notes
        formats.write_report(result, out)
        save_grade(result, out / "grade.json")
    finally:
        staged.close()
    print(formats.summary_text(result))
    print(f"report: {out / 'feedback.html'}")
    return result
