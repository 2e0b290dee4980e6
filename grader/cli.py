"""The command line: `python -m grader VERB ...`, a thin layer over one function per verb.

Errors the user can fix are one line on stderr and exit code 2; no traceback of ours
is ever shown.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

from grader import intake
from grader.checking.run import KIT, SUITE_CHOICES, GradeOptions, grade_path
from grader.isolation import sandbox
from grader.problems import GraderFault, ToolProblem, UsageProblem
from grader.reports import formats


def instructor(module: str) -> ModuleType:
    """grader.instructor.<module>, or UsageProblem where the student bundle has left it
    out (the instructors' verbs live in grader/instructor/, which the bundle does not
    ship: imported only when their verb runs)."""
    try:
        return importlib.import_module(f"grader.instructor.{module}")
    except ModuleNotFoundError as missing:
        if missing.name not in ("grader.instructor", f"grader.instructor.{module}"):
            raise
        raise UsageProblem(f"this is an instructor's command: grader/instructor/{module}.py "
                           "is not in the student bundle (use the full kit)") from None


def build_parser() -> argparse.ArgumentParser:
    """The command line: a learner's verbs, a class's, the platforms' courses, the kit's."""
    parser = argparse.ArgumentParser(prog="python -m grader",
                                     description="Grade calculus-for-optimization exercises.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    add_submission_verbs(verbs)
    add_class_verbs(verbs)
    add_course_verbs(verbs)
    add_kit_verbs(verbs)
    return parser


def add_submission_verbs(verbs: argparse._SubParsersAction) -> None:
    """grade (one submission) and check (a learner's self-check)."""
    one = verbs.add_parser("grade", help="grade one submission (a folder or a .zip)")
    one.add_argument("submission", type=Path, help="folder or .zip of exercise modules")
    one.add_argument("--out", type=Path, required=True, help="folder for the report")
    one.add_argument("--tests", choices=SUITE_CHOICES, default="all", help="suites to run")
    one.add_argument("--student", default="", help="id shown in the report")
    one.add_argument("--junit", type=Path, help="also write JUnit XML to this file")
    one.add_argument("--zero-if-unreadable", action="store_true", help=argparse.SUPPRESS)
    add_root_flag(one)
    one.set_defaults(run=run_grade)
    check = verbs.add_parser("check", help="self-check: the public suite on your exercises/")
    check.add_argument("folder", type=Path, nargs="?", default=KIT / "exercises",
                       help="your modules (default: exercises/)")
    check.add_argument("--out", type=Path, default=Path("feedback"), help="report folder")
    check.set_defaults(run=run_check)


def add_class_verbs(verbs: argparse._SubParsersAction) -> None:
    """batch, merge (of shards) and report (a class report rebuilt)."""
    many = verbs.add_parser(
        "batch", help="grade every sub-folder or .zip of a folder",
        description="Grade every sub-folder or .zip of SUBMISSIONS (one student each) into "
                    "OUT/<student>/, with OUT/grades.csv, OUT/lms_grades.csv and the class "
                    "report. A rerun keeps every finished student and grades the rest.",
        epilog="A class too large for one machine: run `batch SUBMISSIONS --out OUT_i "
               "--shard i/N` for i = 1..N (on N machines, CI jobs or array tasks, each with "
               "its own OUT_i), then `python -m grader merge OUT OUT_1 ... OUT_N`.")
    many.add_argument("submissions", type=Path, help="folder of student folders or zips")
    many.add_argument("--out", type=Path, required=True, help="folder for reports and grades.csv")
    many.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded at once")
    many.add_argument("--tests", choices=SUITE_CHOICES, default="all", help="suites to run")
    many.add_argument("--shard", metavar="I/N",
                      help="grade only shard I of N (1-based): a student is in shard "
                           "1 + sha256(student id) mod N, whoever else is in the class")
    add_root_flag(many)
    many.set_defaults(run=run_batch)
    combine = verbs.add_parser(
        "merge", help="combine the --out folders of `batch --shard` runs",
        description="Copy every finished student of the SHARD_OUT folders into OUT and rebuild "
                    "OUT's grades.csv, lms_grades.csv and class report. A student graded "
                    "differently in two folders stops the merge (nothing is changed); "
                    "students already in OUT are kept, so merge can be rerun as shards "
                    "finish.")
    combine.add_argument("out", type=Path, metavar="OUT",
                         help="the merged folder (created if needed)")
    combine.add_argument("shard_outs", type=Path, nargs="+", metavar="SHARD_OUT",
                         help="the --out folder of a `batch --shard` run")
    combine.set_defaults(run=lambda args: instructor("shards").merge(args.out, args.shard_outs))
    report = verbs.add_parser("report", help="rebuild a batch folder's class report")
    report.add_argument("out", type=Path, help="the --out folder of a batch")
    report.set_defaults(run=lambda args: instructor("class_report").rebuild(args.out))


def add_course_verbs(verbs: argparse._SubParsersAction) -> None:
    """What a platform runs: the student bundle, Gradescope's autograder, the nbgrader
    course and the gradebook import of its submissions."""
    bundle = verbs.add_parser("release", help="build the student bundle into DIR")
    bundle.add_argument("target", type=Path, help="new or empty folder")
    bundle.set_defaults(run=lambda args: instructor("release").main(target=args.target))
    zipped = verbs.add_parser("gradescope", help="build Gradescope's autograder.zip")
    zipped.add_argument("target_zip", type=Path, help="the zip to write")
    zipped.set_defaults(run=lambda args: instructor("gradescope").main(target_zip=args.target_zip))
    course = verbs.add_parser("nbgrader", help="write an nbgrader course into DIR")
    course.add_argument("target", type=Path, help="the course folder to write")
    course.add_argument("--assignment", default="calculus_for_optimization",
                        help="assignment name (default: calculus_for_optimization)")
    course.set_defaults(run=run_nbgrader)
    graded = verbs.add_parser(
        "nbgrader-grade", help="grade an nbgrader course's submissions in isolation",
        description="Grade every DIR/submitted/<student>/ASSIGNMENT/ with the isolated grader "
                    "(as batch does, into DIR/calcgrader/ASSIGNMENT/) and write each "
                    "function's points into the course's gradebook as its test cell's "
                    "auto_score, so formgrader shows them. Run `nbgrader generate_assignment` "
                    "first. Unlike `nbgrader autograde`, learner code never runs in the "
                    "process that runs the checks.")
    graded.add_argument("course", type=Path, metavar="DIR", help="the nbgrader course folder")
    graded.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment's name")
    graded.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded at once")
    add_root_flag(graded)
    graded.set_defaults(run=run_nbgrader_grade)


def add_kit_verbs(verbs: argparse._SubParsersAction) -> None:
    """isolation (what this machine gives learner code), audit and exercises."""
    where = verbs.add_parser("isolation", help="say how learner code would be isolated here",
                             description="Print the isolation this machine gives learner code "
                             "(namespaces, uid, same-user) and why; exit 2 if grading would "
                             "refuse. Run it where you grade (a Gradescope image, a CI runner).")
    add_root_flag(where)
    where.set_defaults(run=run_isolation)
    mutation = verbs.add_parser(
        "audit", help="mutation audit: do the suites catch single-point mutants of solutions/?",
        description="A mutation audit of solutions/: how strong are the suites?")
    add_audit_arguments(mutation)
    exercises = verbs.add_parser("exercises", help="regenerate exercises/ from solutions/")
    exercises.add_argument("--check", action="store_true",
                           help="only report whether exercises/ is up to date (exit 1 if not)")
    exercises.set_defaults(run=run_exercises)


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """The audit's options where the kit has grader/instructor/audit.py; its verb runs it."""
    try:
        audit = importlib.import_module("grader.instructor.audit")
    except ModuleNotFoundError:       # the student bundle: the verb says it is not there
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        parser.set_defaults(run=lambda args: instructor("audit"))
        return
    audit.add_arguments(parser)
    parser.set_defaults(run=audit.run_from_args)


def add_root_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-root-worker", action="store_true",
                        help="as root, where neither namespaces nor an unprivileged uid can be "
                             "had, run learner code as root anyway (see SECURITY.md)")


def run_isolation(args: argparse.Namespace) -> int:
    mode = sandbox.isolation()
    print(f"{mode}: learner code runs {sandbox.isolation_description(mode)}")
    if mode != "namespaces":
        print(f"namespaces: not available ({sandbox.namespaces_problem()})")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    options = GradeOptions(suites=args.tests, student=args.student or args.submission.stem)
    result = grade_path(args.submission, args.out, options, args.zero_if_unreadable)
    if args.junit:
        formats.write_junit(result, args.junit)
    return 0


SELF_CHECK_WAY_OUT = ("Run the self-check again; if it keeps failing, `python -m pytest "
                      "tests/public` runs the same public checks without the sandbox, and "
                      "`python -m grader isolation` says what this machine allows")


def run_check(args: argparse.Namespace) -> int:
    """The learner's self-check: a sandbox that failed to start gets one more try with a
    fresh factory, and a learner who still cannot check is told what to run instead."""
    options = GradeOptions(suites="public", student="self-check")
    try:
        grade_path(args.folder, args.out, options)
    except GraderFault:
        sandbox.discard_factory()
        try:
            grade_path(args.folder, args.out, options)
        except GraderFault as fault:
            raise GraderFault(f"{fault}. {SELF_CHECK_WAY_OUT}") from None
    return 0


UID_JOBS_NOTE = ("note: with uid isolation, students graded at the same time (-j > 1) share "
                 "/tmp and the other world-writable folders while both run; -j 1 keeps them "
                 "apart (see SECURITY.md)")


def run_batch(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageProblem("-j must be at least 1")
    batch, shards = instructor("batch"), instructor("shards")
    shard = shards.parse(args.shard) if args.shard is not None else None
    if args.jobs > 1 and sandbox.isolation() == "uid":
        print(UID_JOBS_NOTE, file=sys.stderr)
    code = batch.run_batch(args.submissions, args.out, jobs=args.jobs, suites=args.tests,
                           shard=shard)
    if shard is not None:
        students = batch.find_students(args.submissions)
        shards.write_marker(args.out, shard, len(students),
                            [s.id for s in shard.select(students)])
    return code


def run_nbgrader(args: argparse.Namespace) -> int:
    notebooks = instructor("nbgrader_course")
    try:
        source = notebooks.write_nbgrader_course(KIT, args.target, args.assignment)
    except (FileNotFoundError, ValueError) as problem:
        raise UsageProblem(f"cannot write the course: {problem}") from None
    print(f"wrote {source}")
    print(f"next: cd {args.target} && nbgrader generate_assignment {args.assignment}")
    return 0


def run_nbgrader_grade(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageProblem("-j must be at least 1")
    return instructor("nbgrader_gradebook").grade_assignment(args.course, args.assignment,
                                                             jobs=args.jobs)


def run_exercises(args: argparse.Namespace) -> int:
    solutions, exercises = KIT / "solutions", KIT / "exercises"
    if not solutions.is_dir():
        raise UsageProblem(f"{solutions} not found: run this from a full checkout of the kit")
    if args.check:
        drifted = instructor("stubs").drifted_files(solutions, exercises)
        if drifted:
            print("exercises/ is out of date: " + ", ".join(drifted)
                  + "; run `python -m grader exercises`")
            return 1
        print("exercises/ matches solutions/")
        return 0
    written = instructor("stubs").write_exercises(solutions, exercises)
    print(f"wrote {len(written)} modules to exercises/")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "allow_root_worker", False):
        os.environ[sandbox.ALLOW_ROOT_VARIABLE] = "1"     # grading processes inherit it
    try:
        if args.verb in ("grade", "batch", "check", "nbgrader-grade"):
            sandbox.sweep_stale_folders()             # what killed grades left behind
        if args.verb in ("grade", "batch", "nbgrader-grade"):  # instructors' verbs: a
            note = sandbox.instructor_note()          # learner's self-check shows none of this
            if note:
                print(note, file=sys.stderr)
        return args.run(args)
    except (ToolProblem, intake.NotASubmission, GraderFault,
            sandbox.IsolationUnavailable) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
