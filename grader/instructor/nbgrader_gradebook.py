"""nbgrader's collected submissions graded by the isolated grader, the points into its gradebook.

An nbgrader course written by `python -m grader nbgrader` can be graded two ways:

- `nbgrader autograde`: each notebook runs in a Jupyter kernel, and its test cells run the
  kit's checks there too (grader.checking.bridge). Learner code and the checks share one
  process, so code that means to can change its own points. Fine for practice.
- `python -m grader nbgrader-grade DIR ASSIGNMENT` (this module): every
  DIR/submitted/<student>/<assignment>/ is graded by the kit's batch (the grader's sandbox
  runs the learner code, and the checks never run in that process). Each function's points
  become the auto_score of its test cell (grade_id `test_<function>`) in nbgrader's gradebook.
  A function that lost points gets the reason as the auto_comment of its solution cell.
  The submitted notebooks are copied to DIR/autograded/, so formgrader lists the
  submission as graded and can show it.

The work folder is DIR/calcgrader/<assignment>/: `submissions/<student>/` holds copies of
the submitted notebooks (regular files only, never through a link), and `grades/` is the
batch's --out (feedback, grade.json, grades.csv, the class report). A rerun keeps the grade
of a student whose notebooks are unchanged and grades the rest again. Only the rows of
the submitted students for this assignment's test cells and their solution cells'
auto_comment change: manual scores, other cells, other students and other assignments
are left alone. A student the batch could not grade (a fault of the grader, NOT GRADED)
keeps their rows as they were.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.contract import CONTRACT, MODULES
from grader.instructor import batch
from grader.intake import remove_tree
from grader.intake.files import Unreadable, printable, read_regular
from grader.intake.notebooks import MAX_NOTEBOOK_BYTES, list_notebooks
from grader.isolation.sandbox import protect
from grader.problems import UsageProblem
from grader.reports.formats import number_text
from grader.reports.results import GradeResult, load_grade

WORK = "calcgrader"             # DIR/calcgrader/<assignment>/{submissions,grades}/
SETTINGS = ".nbgrader-grade.json"   # in grades/: the modules graded; others: grade again
MAX_COMMENT_CHARS = 600


def grade_assignment(course: Path, assignment: str, jobs: int = 1) -> int:
    """Grade every submission of assignment in course in isolation, and write the points
    into the gradebook; 0 if every student's rows were written, 1 if some were left."""
    course = Path(course).resolve()
    api = nbgrader_api()
    db_url, course_id = course_settings(course)
    modules = graded_modules(db_url, course_id, assignment)
    students = submitted_students(course, assignment)
    work = course / WORK / assignment
    protect([course])             # uid isolation: no worker uid may read the course
    names = {student: staged_name(student) for student in students}
    notes = stage_class(course, assignment, names, work, modules)
    partial = () if set(modules) == set(MODULES) else modules    # all: plots, hints too
    batch.run_batch(work / "submissions", work / "grades", jobs=jobs, modules=partial)
    results = graded_results(work)
    left = 0
    with open_gradebook(db_url, course_id) as gradebook:
        for student in students:
            result = results.get(names[student])
            if result is None:
                left += 1
                print(f"{student}: NOT GRADED (see the batch's line above): the gradebook "
                      "keeps what it had; rerun to retry")
                continue
            try:
                written = write_student(gradebook, assignment, student, result,
                                        notes.get(student, []), submitted_timestamp(
                                            course / "submitted" / student / assignment))
            except (api.InvalidEntry, api.MissingEntry) as problem:
                left += 1
                print(f"{student}: not written, the gradebook refused it: {problem}")
                continue
            copy_for_formgrader(work / "submissions" / names[student],
                                course / "autograded" / student / assignment)
            print(f"{student}: {written}")
    print(f"gradebook: {db_url} ({len(students) - left} of {len(students)} students written); "
          f"reports: {work / 'grades'}")
    return 1 if left else 0


def course_settings(course: Path) -> tuple[str, str]:
    """(db_url, course_id) from course/nbgrader_config.py, as nbgrader reads them; the
    default is course/gradebook.db."""
    if not course.is_dir():
        raise UsageProblem(f"{course}: not a folder (give the nbgrader course folder)")
    settings: Any = {}
    if (course / "nbgrader_config.py").is_file():
        from traitlets.config.loader import PyFileConfigLoader  # as nbgrader reads it
        try:
            loaded = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
        except Exception as problem:   # the instructor's own file: say what broke, in a line
            raise UsageProblem(f"{course / 'nbgrader_config.py'} cannot be read: "
                               f"{type(problem).__name__}: {problem}") from None
        settings = loaded.get("CourseDirectory", {})
    return (str(settings.get("db_url") or f"sqlite:///{course / 'gradebook.db'}"),
            str(settings.get("course_id") or ""))


def nbgrader_api() -> ModuleType:
    """nbgrader.api, or UsageProblem saying how to install nbgrader."""
    try:
        return importlib.import_module("nbgrader.api")
    except ImportError:
        raise UsageProblem("nbgrader is not installed: python -m pip install -e '.[nbgrader]'"
                           ) from None


def open_gradebook(db_url: str, course_id: str) -> Any:
    """nbgrader.api.Gradebook on db_url (never creating an sqlite file that is not there)."""
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        raise UsageProblem(f"no gradebook at {db_url}: run `nbgrader generate_assignment` "
                           "in the course folder first")
    return nbgrader_api().Gradebook(db_url, course_id=course_id)


def graded_modules(db_url: str, course_id: str, assignment: str) -> tuple[str, ...]:
    """The exercise modules whose notebooks the gradebook holds for assignment, with test
    cells; UsageProblem saying to run generate_assignment when it holds none."""
    with open_gradebook(db_url, course_id) as gradebook:
        try:
            notebooks = gradebook.find_assignment(assignment).notebooks
        except nbgrader_api().MissingEntry:
            notebooks = []
        modules = tuple(sorted(notebook.name for notebook in notebooks
                               if notebook.name in CONTRACT and any(
                                   cell.name.startswith("test_")
                                   for cell in notebook.grade_cells)))
    if not modules:
        raise UsageProblem(f"the gradebook has no test cells of {assignment}: run `nbgrader "
                           f"generate_assignment {assignment}` in the course folder first")
    return modules


def submitted_students(course: Path, assignment: str) -> list[str]:
    """The students with a folder course/submitted/<student>/<assignment>/."""
    submitted = course / "submitted"
    students = sorted(path.name for path in (submitted.iterdir() if submitted.is_dir() else [])
                      if not path.name.startswith(".") and (path / assignment).is_dir()
                      and not (path / assignment).is_symlink())
    if not students:
        raise UsageProblem(f"no submissions in {submitted}/*/{assignment}/: collect them "
                           "first (nbgrader collect, or copy them there)")
    return students


def staged_name(student: str) -> str:
    """The folder of student's copy: their nbgrader id where batch takes it as it is (so
    it is also their id in batch's reports), else that id made safe, with a hash of it."""
    safe, note = batch.safe_id(Path(student))
    if safe == student and not note:
        return student
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{safe[:80]}-{digest[:8]}"


def stage_class(course: Path, assignment: str, names: dict[str, str], work: Path,
                modules: tuple[str, ...]) -> dict[str, list[str]]:
    """Copy each student's notebooks into work/submissions/<their staged_name>/; a student
    whose notebooks changed, or who left, loses the grade batch kept. names: student ->
    staged name. Notes on the files not copied, by student."""
    staging, grades = work / "submissions", work / "grades"
    staging.mkdir(parents=True, exist_ok=True)
    settings = json.dumps({"modules": list(modules)})
    if (grades / SETTINGS).is_file() and (grades / SETTINGS).read_text() != settings:
        remove_tree(grades)                 # the course's modules changed: grade everyone
    grades.mkdir(parents=True, exist_ok=True)
    (grades / SETTINGS).write_text(settings)
    for old in staging.iterdir():
        if old.name not in names.values():
            remove_tree(old)
            remove_tree(grades / old.name)
    notes = {}
    for student, name in names.items():
        files, notes[student] = read_notebooks(course / "submitted" / student / assignment)
        copy = staging / name
        if not copy.is_dir() or read_notebooks(copy)[0] != files:
            remove_tree(grades / name)
            remove_tree(copy)
            for path, data in files.items():
                (copy / path).parent.mkdir(parents=True, exist_ok=True)
                (copy / path).write_bytes(data)
            copy.mkdir(exist_ok=True)
        for note in notes[student]:
            print(f"{student}: note: {note}")
    return notes


def read_notebooks(folder: Path) -> tuple[dict[str, bytes], list[str]]:
    """relative path -> bytes of the regular notebooks of folder (and one folder down),
    read without following a link; notes on those left out."""
    paths, notes = list_notebooks(folder)
    files = {}
    for path in paths:
        name = str(path.relative_to(folder))
        try:
            files[name] = read_regular(path, MAX_NOTEBOOK_BYTES)
        except (Unreadable, ValueError) as problem:
            reason = problem if isinstance(problem, Unreadable) else "is too large"
            notes.append(f"{printable(name)} {reason} and was not graded")
    return files, notes


def graded_results(work: Path) -> dict[str, GradeResult]:
    """Each graded student's result (by the name of their staged folder)."""
    students = batch.find_students(work / "submissions")
    return {student.path.name: load_grade(work / "grades" / student.id / "grade.json")
            for student in students if batch.is_done(work / "grades", student)}


def function_checks(result: GradeResult) -> dict[tuple[str, str], list]:
    """(module, function) -> its checks in result."""
    found: dict[tuple[str, str], list] = {}
    for check in result.checks:
        found.setdefault((check.module, check.function), []).append(check)
    return found


def write_student(gradebook: Any, assignment: str, student: str, result: GradeResult,
                  notes: list[str], timestamp: Any) -> str:
    """Set the auto_score of each test cell of student's submission to the points of its
    function in result, and the auto_comment of its solution cell; one line saying what
    was written."""
    gradebook.update_or_create_student(student)
    with warnings.catch_warnings():     # nbgrader's add_submission warns of what it does
        warnings.filterwarnings("ignore", message=".* not in session")
        submission = gradebook.update_or_create_submission(
            assignment, student, **({"timestamp": timestamp} if timestamp else {}))
    checks = function_checks(result)
    won = worth = 0.0
    mismatched = []
    try:
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                function = grade.name[len("test_"):] if grade.name.startswith("test_") else ""
                found = checks.get((notebook.name, function))
                if not found:
                    continue            # not a test cell of the kit's: not ours to set
                score = sum(check.score for check in found)
                grade.auto_score = score
                grade.needs_manual_grade = grade.manual_score is not None
                won, worth = won + score, worth + grade.cell.max_score
                if sum(check.max_score for check in found) != grade.cell.max_score:
                    mismatched.append(f"{notebook.name}/{grade.name}")
            for comment in notebook.comments:
                found = checks.get((notebook.name, comment.name))
                if found:
                    comment.auto_comment = comment_text(notebook.name, found,
                                                        result.notes + notes)
        gradebook.db.commit()
    except Exception:
        gradebook.db.rollback()
        raise
    line = f"{number_text(won)} / {number_text(worth)} points into the gradebook"
    if mismatched:
        line += (f" (the kit's points differ from the course's for {', '.join(mismatched)}: "
                 "write the course again with `python -m grader nbgrader`)")
    return line


def comment_text(module: str, checks: list, notes: list[str]) -> str | None:
    """Why a function lost points, for formgrader: its failed checks' messages and the
    notes on its module; None when it lost none."""
    won, worth = sum(c.score for c in checks), sum(c.max_score for c in checks)
    if won >= worth:
        return None
    failed = [c.message for c in checks if c.score < c.max_score and c.message]
    mentions = [note for note in notes if f"{module}.ipynb" in note or f"{module}.py" in note]
    reasons = dict.fromkeys(" ".join(text.split())[:200] for text in failed[:3] + mentions)
    text = (f"Graded in isolation (python -m grader nbgrader-grade): {number_text(won)} of "
            f"{number_text(worth)} points." + "".join(f"\n- {reason}" for reason in reasons))
    return text[:MAX_COMMENT_CHARS]


def submitted_timestamp(folder: Path) -> Any:
    """The time in folder/timestamp.txt (nbgrader collect writes it), or None."""
    from nbgrader.utils import parse_utc
    try:
        return parse_utc(read_regular(folder / "timestamp.txt", 200).decode().strip())
    except (Unreadable, ValueError, OverflowError, UnicodeDecodeError):
        return None


def copy_for_formgrader(staged: Path, autograded: Path) -> None:
    """The graded notebooks into autograded/<student>/<assignment>/, which formgrader
    takes as the sign that a submission is graded, and shows."""
    autograded.mkdir(parents=True, exist_ok=True)
    for path in staged.rglob("*.ipynb"):
        target = autograded / path.relative_to(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            os.unlink(target)
        shutil.copyfile(path, target)
