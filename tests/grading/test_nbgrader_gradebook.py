"""`python -m grader nbgrader-grade`: nbgrader's submissions graded by the isolated grader,
the points written into nbgrader's gradebook.

One course of three modules, released by real `nbgrader generate_assignment`; in
submitted/: alice (the solutions), bob (two catalogued mistakes) and mallory, whose
notebooks exit the process, loop, eat memory, are not JSON or are a symbolic link. The
gradebook then holds, for every test cell, the points `python -m grader grade` gives the
same notebooks; mallory zeros with the reasons; a rerun changes nothing; rows already
there (a manual score, another student, another assignment) are kept; a student the
grader could not grade keeps their rows. Plain `nbgrader autograde` still works on the
same course (test_notebooks.py checks its scores over the catalogue).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from grader.checking.misconceptions import load_catalogue
from grader.contract import CONTRACT
from grader.instructor import nbgrader_gradebook
from grader.instructor.nbgrader_course import COURSE_ID, function_points, write_nbgrader_course
from grader.reports.results import load_grade

pytestmark = pytest.mark.slow
pytest.importorskip("nbgrader")       # as test_notebooks.py: `pip install -e '.[nbgrader]'`

from nbgrader.api import Comment, Grade, Gradebook  # noqa: E402  (after the skip)

KIT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "calculus_for_optimization"
COURSE_MODULES = ("derivatives", "chain_rule", "losses")
POINTS = function_points(KIT / "tests")
CATALOGUE = {entry.id: entry for entry in load_catalogue(KIT / "tests" / "misconceptions",
                                                         KIT / "tests" / "alternatives")}
BOB = ("derivatives.forward_difference/sign-flipped", "losses.mse/sum-not-mean")
MALLORY = {                           # hostile functions, each in place of the solution
    "forward_difference": "def forward_difference(f, x, h=1e-5):\n    import os\n    os._exit(3)",
    "central_difference": "def central_difference(f, x, h=1e-5):\n    while True:\n        pass",
    "second_derivative": "def second_derivative(f, x, h=1e-4):\n    import os\n    os._exit(0)",
    "polynomial_derivative": "def polynomial_derivative(coeffs):\n    hog = []\n"
                             "    while True:\n        hog.append(bytearray(1 << 24))",
}
STUDENTS = ("alice", "bob", "mallory")


def run(*args: str, cwd: Path = KIT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


def nbgrader_grade(root: Path) -> subprocess.CompletedProcess:
    return run("grader", "nbgrader-grade", str(root), ASSIGNMENT, "-j", "2")


def edit_cells(notebook: Path, sources: dict[str, str], append: bool = False) -> None:
    """Put sources (grade_id -> code) in place of those cells' code, or after it."""
    data = json.loads(notebook.read_text())
    for cell in data["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            before = "".join(cell["source"]) + "\n\n" if append else ""
            cell["source"] = (before + sources[grade_id]).splitlines(keepends=True)
    notebook.write_text(json.dumps(data))


def submit(root: Path, student: str) -> Path:
    """A copy of the course's notebooks as student's submission, as nbgrader collect puts it."""
    folder = root / "submitted" / student / ASSIGNMENT
    shutil.copytree(root / "source" / ASSIGNMENT, folder)
    (folder / "timestamp.txt").write_text("2026-12-01 09:30:00.000000 UTC")
    return folder


def db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def gradebook_rows(root: Path) -> dict:
    """Every grade and comment of the gradebook, and every submission's timestamp."""
    with Gradebook(db_url(root), course_id=COURSE_ID) as gradebook:
        rows = {("grade", g.assignment.name, g.notebook.name, g.name, g.student.id):
                (g.auto_score, g.manual_score, g.needs_manual_grade)
                for g in gradebook.db.query(Grade)}
        rows.update({("comment", c.assignment.name, c.notebook.name, c.name, c.student.id):
                     (c.auto_comment, c.manual_comment) for c in gradebook.db.query(Comment)})
        for assignment in gradebook.assignments:
            rows.update({("submission", assignment.name, s.student.id): s.timestamp
                         for s in assignment.submissions})
    return rows


def add_rows_of_others(root: Path) -> None:
    """What an instructor has in the gradebook already: another assignment graded by
    hand, a student who is not in submitted/, and a manual score of alice's."""
    with Gradebook(db_url(root), course_id=COURSE_ID) as gradebook, \
            warnings.catch_warnings():      # nbgrader's add_submission warns of what it does
        warnings.filterwarnings("ignore", message=".* not in session")
        gradebook.add_assignment("essay")
        gradebook.add_notebook("essay", "essay")
        gradebook.add_grade_cell("q1", "essay", "essay", max_score=5, cell_type="markdown")
        for student in ("dave", "alice"):
            gradebook.update_or_create_student(student)
        for assignment, student, cell, notebook, score in [
                ("essay", "dave", "q1", "essay", 4.0),
                (ASSIGNMENT, "dave", "test_sigmoid", "chain_rule", 3.0),
                (ASSIGNMENT, "alice", "test_mse", "losses", 1.0)]:
            gradebook.update_or_create_submission(assignment, student)
            gradebook.find_grade(cell, notebook, assignment, student).manual_score = score
        gradebook.db.commit()


def points_by_function(grade_json: Path) -> dict[tuple[str, str], float]:
    points: dict[tuple[str, str], float] = {}
    for check in load_grade(grade_json).checks:
        key = (check.module, check.function)
        points[key] = points.get(key, 0.0) + check.score
    return points


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """The course after one `nbgrader-grade`, with what `grade` gives each student."""
    tmp = tmp_path_factory.mktemp("nbgrader-gradebook")
    root = tmp / "course"
    write_nbgrader_course(KIT, root, modules=COURSE_MODULES)
    released = run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=root)
    assert released.returncode == 0, released.stderr[-3000:]
    add_rows_of_others(root)
    submit(root, "alice")
    bob = submit(root, "bob")
    for entry in map(CATALOGUE.__getitem__, BOB):
        edit_cells(bob / f"{entry.module}.ipynb", {entry.function: entry.source}, append=True)
    mallory = submit(root, "mallory")
    edit_cells(mallory / "derivatives.ipynb", MALLORY)
    (mallory / "chain_rule.ipynb").write_text('{"cells": [')
    (mallory / "losses.ipynb").unlink()
    (mallory / "losses.ipynb").symlink_to(root / "source" / ASSIGNMENT / "losses.ipynb")
    before = gradebook_rows(root)
    done = nbgrader_grade(root)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    graders = {student: subprocess.Popen(
        [sys.executable, "-m", "grader", "grade", str(root / "submitted" / student / ASSIGNMENT),
         "--out", str(tmp / "grade" / student)], cwd=KIT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True) for student in STUDENTS}
    expected = {}
    for student, process in graders.items():
        assert process.wait(timeout=900) == 0, process.stderr.read()[-2000:]
        expected[student] = points_by_function(tmp / "grade" / student / "grade.json")
    return {"root": root, "done": done, "before": before, "expected": expected}


def test_every_test_cell_holds_the_points_grade_gives(course):
    root, expected = course["root"], course["expected"]
    assert course["done"].stdout.count("points into the gradebook") == len(STUDENTS)
    with Gradebook(db_url(root), course_id=COURSE_ID) as gradebook:
        for student in STUDENTS:
            for module in COURSE_MODULES:
                for function in CONTRACT[module]:
                    grade = gradebook.find_grade(f"test_{function}", module, ASSIGNMENT, student)
                    assert grade.auto_score == expected[student][(module, function)], \
                        (student, module, function, grade.auto_score)
                    if student == "alice":
                        assert grade.auto_score == POINTS[(module, function)]
            submission = gradebook.find_submission(ASSIGNMENT, student)
            assert str(submission.timestamp) == "2026-12-01 09:30:00"
        for entry in map(CATALOGUE.__getitem__, BOB):
            grade = gradebook.find_grade(f"test_{entry.function}", entry.module, ASSIGNMENT, "bob")
            assert grade.auto_score < grade.max_score
            comment = gradebook.find_comment(entry.function, entry.module, ASSIGNMENT, "bob")
            assert comment.auto_comment.startswith("Graded in isolation"), comment.auto_comment
        # a function that lost nothing has no comment
        assert gradebook.find_comment("sigmoid", "chain_rule", ASSIGNMENT, "bob").auto_comment \
            is None


def test_the_hostile_student_gets_zeros_and_the_reasons(course):
    reasons = {"forward_difference": "exited with code 3", "central_difference": "within 3 s",
               "sigmoid": "not a Jupyter notebook", "mse": "symbolic link"}
    with Gradebook(db_url(course["root"]), course_id=COURSE_ID) as gradebook:
        for module in COURSE_MODULES:
            for function in CONTRACT[module]:
                grade = gradebook.find_grade(f"test_{function}", module, ASSIGNMENT, "mallory")
                comment = gradebook.find_comment(function, module, ASSIGNMENT, "mallory")
                assert grade.auto_score == 0 and not grade.needs_manual_grade, function
                assert comment.auto_comment and "0 of" in comment.auto_comment, function
                assert reasons.get(function, "") in comment.auto_comment, comment.auto_comment
    assert "mallory: 0 / 97 points" in course["done"].stdout


def test_rows_already_in_the_gradebook_are_kept(course):
    before, after = course["before"], gradebook_rows(course["root"])
    others = {key: value for key, value in before.items()
              if "dave" in key or "essay" in key}
    assert others and all(after[key] == value for key, value in others.items())
    alice_mse = ("grade", ASSIGNMENT, "losses", "test_mse", "alice")
    assert after[alice_mse] == (POINTS[("losses", "mse")], 1.0, True)   # manual score kept


def test_formgrader_lists_every_submission_as_graded(course):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = course["root"]
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    listed = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert all(listed[student]["autograded"] for student in STUDENTS)
    assert listed["mallory"]["score"] == 0 and listed["bob"]["score"] < listed["bob"]["max_score"]
    for module in COURSE_MODULES:
        assert (root / "autograded" / "bob" / ASSIGNMENT / f"{module}.ipynb").is_file()


def test_a_second_run_changes_nothing(course):
    root = course["root"]
    before = gradebook_rows(root)
    again = nbgrader_grade(root)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "3 of 3 already graded" in again.stderr
    assert gradebook_rows(root) == before


def test_a_new_submission_is_graded_again(course):
    root = course["root"]
    shutil.rmtree(root / "submitted" / "bob")
    submit(root, "bob")                                 # bob fixed his notebooks
    done = nbgrader_grade(root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 of 3 already graded" in done.stderr and "bob: 97 / 97 points" in done.stdout
    with Gradebook(db_url(root), course_id=COURSE_ID) as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "bob").score == sum(
            POINTS[(module, f)] for module in COURSE_MODULES for f in CONTRACT[module])


def test_a_student_the_grader_could_not_grade_keeps_their_rows(course, monkeypatch, capsys):
    """A grader fault (the batch's NOT GRADED: no grade.json) writes no zeros."""
    root = course["root"]
    real = nbgrader_gradebook.batch.run_batch

    def batch_failing_on_mallory(folder: Path, out: Path, **options) -> int:
        code = real(folder, out, **options)
        shutil.rmtree(out / "mallory")
        return code

    with Gradebook(db_url(root), course_id=COURSE_ID) as gradebook:
        grade = gradebook.find_grade("test_mse", "losses", ASSIGNMENT, "mallory")
        grade.auto_score = 2.5                        # set by an earlier grading
        gradebook.db.commit()
    before = gradebook_rows(root)
    monkeypatch.setattr(nbgrader_gradebook.batch, "run_batch", batch_failing_on_mallory)
    assert nbgrader_gradebook.grade_assignment(root, ASSIGNMENT) == 1
    said = capsys.readouterr().out
    assert "mallory: NOT GRADED" in said and "2 of 3 students written" in said
    assert gradebook_rows(root) == before


def test_plain_nbgrader_autograde_still_works_on_the_course(course):
    root = course["root"]
    done = run("nbgrader", "autograde", ASSIGNMENT, "--student", "alice", "--force", cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    with Gradebook(db_url(root), course_id=COURSE_ID) as gradebook:
        for module in COURSE_MODULES:
            for function in CONTRACT[module]:
                grade = gradebook.find_grade(f"test_{function}", module, ASSIGNMENT, "alice")
                assert grade.auto_score == POINTS[(module, function)], (module, function)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The error line of a refused command (a line before it may note the isolation)."""
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and len(done.stderr.strip().splitlines()) <= 2, done.stderr
    return errors[0]


def test_an_assignment_not_in_the_gradebook_gets_one_line(course):
    line = one_error_line(run("grader", "nbgrader-grade", str(course["root"]), "homework"))
    assert "no test cells of homework" in line
    assert "run `nbgrader generate_assignment homework`" in line


def test_a_course_not_released_gets_one_line_saying_to_run_generate_assignment(tmp_path):
    root = tmp_path / "course"
    write_nbgrader_course(KIT, root, modules=("derivatives",))
    submit(root, "alice")
    line = one_error_line(run("grader", "nbgrader-grade", str(root), ASSIGNMENT))
    assert "no gradebook" in line and "run `nbgrader generate_assignment`" in line
    assert not (root / "gradebook.db").exists() and not (root / "calcgrader").exists()


def test_a_student_id_batch_would_rename_is_staged_under_a_name_batch_keeps(tmp_path):
    """So a student's copy, their grade in batch's --out and their gradebook rows match."""
    students = ("alice", "eve smith", "eve_smith", "grades.csv", "notes.zip", "é", "a" * 150)
    names = {nbgrader_gradebook.staged_name(student) for student in students}
    assert len(names) == len(students) and "alice" in names
    for name in names:
        (tmp_path / name).mkdir()
    found = nbgrader_gradebook.batch.find_students(tmp_path)
    assert all(student.id == student.path.name and not student.note for student in found)
