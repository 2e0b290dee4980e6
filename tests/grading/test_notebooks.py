"""The nbgrader course written from solutions/, and learners' notebooks as submissions.

Three groups: the generated notebooks (valid nbformat 4, nbgrader metadata, test cells
that only call the kit's checks through grader.checking.bridge, no leaked solutions, and the same
points per function as `grade` gives the same code, over the whole catalogue); nbgrader
itself releasing the course and autograding catalogued students; and notebooks turned
back into modules that the grader's checks import and score.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from grader.checking.misconceptions import build_submission, load_catalogue
from grader.checking.run import check_results, run_suites
from grader.contract import CONTRACT, MODULES
from grader.instructor.nbgrader_course import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    COURSE_ID,
    END_HIDDEN,
    END_SOLUTION,
    bridge_cell,
    function_points,
    write_nbgrader_course,
)
from grader.instructor.stubs import strip_solutions
from grader.intake.notebooks import extract_notebook, extract_notebooks
from grader.isolation.submission import LocalSubmission

KIT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "calculus_for_optimization"
POINTS = function_points(KIT / "tests")
CATALOGUE = load_catalogue(KIT / "tests" / "misconceptions", KIT / "tests" / "alternatives")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    write_nbgrader_course(KIT, root)
    return root


@pytest.fixture(scope="module")
def notebooks(course) -> dict[str, dict]:
    folder = course / "source" / ASSIGNMENT
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.ipynb"))}


def source(cell: dict) -> str:
    return "".join(cell["source"])


def meta(cell: dict) -> dict:
    return cell["metadata"].get("nbgrader", {})


def cells_of(notebook: dict, kind: str) -> list[dict]:
    """kind: 'solution', 'test' (autograder tests) or 'locked' (read-only code)."""
    found = []
    for cell in notebook["cells"]:
        info = meta(cell)
        if cell["cell_type"] != "code":
            continue
        if (kind == "solution" and info.get("solution")
                or kind == "test" and info.get("grade") and not info.get("solution")
                or kind == "locked" and info.get("locked") and not info.get("grade")):
            found.append(cell)
    return found


def solution_lines(module: str = "*") -> set[str]:
    """Lines of the reference solutions' solution regions (comments dropped), non-trivial."""
    lines = set()
    for path in (KIT / "solutions").glob(f"{module}.py"):
        inside = False
        for line in path.read_text().splitlines():
            if line.strip() == BEGIN_SOLUTION:
                inside = True
            elif line.strip() == END_SOLUTION:
                inside = False
            elif inside:
                code = line.split("#", 1)[0].strip()
                if len(code) >= 16:
                    lines.add(code)
    return lines


def code_lines(text: str) -> set[str]:
    return {line.split("#", 1)[0].strip() for line in text.splitlines()}


@contextlib.contextmanager
def working_folder(folder: Path):
    """Run with folder as the current folder (where a notebook's kernel starts)."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_notebook(notebook: dict, folder: Path, replace: dict[str, str] | None = None,
                 stubs: bool = False, only: set[str] | None = None) -> dict:
    """Run a notebook's code cells in order in one namespace, in folder, as a kernel would.

    replace: grade_id -> code run right after that solution cell (a learner's version);
    only: the test cells to run (default: all). Returns grade_id -> (points won, points
    possible) for every test cell run, and grade_id -> the error for any cell that raised.
    """
    namespace: dict = {"__name__": "__main__"}
    outcome: dict = {}
    with working_folder(folder):
        for cell in notebook["cells"]:
            info = meta(cell)
            if cell["cell_type"] != "code" or (only is not None and info.get("grade")
                                               and info["grade_id"] not in only):
                continue
            text = strip_solutions(source(cell)) if stubs and info.get("solution") \
                else source(cell)
            try:
                with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(text, info["grade_id"], "exec"), namespace)
                    if replace and info["grade_id"] in replace:
                        exec(replace[info["grade_id"]], namespace)
            except Exception as exc:   # a failing cell, as in Jupyter: note it and go on
                outcome[info["grade_id"]] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            if info.get("grade"):
                checks = namespace["checks"]
                outcome[info["grade_id"]] = (checks.points, checks.max_points)
    return outcome


# --- (a) the generated notebooks --------------------------------------------------------

def test_course_has_config_and_one_notebook_per_module(course, notebooks):
    assert sorted(notebooks) == sorted(MODULES)
    config = (course / "nbgrader_config.py").read_text()
    for setting in ("c.CourseDirectory.root", "c.CourseDirectory.course_id",
                    "c.CourseDirectory.db_url"):
        assert setting in config
    assert f'"{COURSE_ID}"' in config
    compile(config, "nbgrader_config.py", "exec")


def test_notebooks_are_valid_nbformat_4(course, notebooks):
    try:
        import nbformat
    except ImportError:
        nbformat = None
    for name, notebook in notebooks.items():
        assert notebook["nbformat"] == 4, name
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
        if nbformat is not None:
            nbformat.validate(nbformat.reads(json.dumps(notebook), as_version=4))
        ids = [cell["id"] for cell in notebook["cells"]]
        assert len(ids) == len(set(ids)), f"{name}: duplicate cell ids"
        for cell in notebook["cells"]:
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell["id"]), cell["id"]
            assert cell["cell_type"] in ("markdown", "code")
            assert isinstance(cell["source"], list) and all(isinstance(s, str)
                                                             for s in cell["source"])
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None


def test_cells_carry_nbgrader_metadata(notebooks):
    for name, notebook in notebooks.items():
        grade_ids = [meta(cell)["grade_id"] for cell in notebook["cells"] if meta(cell)]
        assert len(grade_ids) == len(set(grade_ids)), f"{name}: duplicate grade ids"
        for cell in notebook["cells"]:
            info = meta(cell)
            assert info["schema_version"] == 3
            assert re.fullmatch(r"[A-Za-z0-9_-]+", info["grade_id"])
        assert cells_of(notebook, "locked"), f"{name}: no locked import cell"
        assert notebook["cells"][0]["cell_type"] == "markdown"
        solutions = cells_of(notebook, "solution")
        tests = cells_of(notebook, "test")
        assert [meta(c)["grade_id"] for c in solutions] == list(CONTRACT[name])
        assert [meta(c)["grade_id"] for c in tests] == [f"test_{f}" for f in CONTRACT[name]]
        for cell in solutions:
            info, text = meta(cell), source(cell)
            assert (info["grade"], info["locked"]) == (False, False)
            assert text.startswith(f"def {info['grade_id']}(")
            assert text.count(BEGIN_SOLUTION) == 1 and text.count(END_SOLUTION) == 1
            assert text.index(BEGIN_SOLUTION) < text.index(END_SOLUTION)
        for cell in tests:
            info, text = meta(cell), source(cell)
            function = info["grade_id"].removeprefix("test_")
            assert (info["solution"], info["locked"]) == (False, True)
            assert info["points"] == POINTS[(name, function)] > 0
            assert text.count(BEGIN_HIDDEN) == 1 and text.count(END_HIDDEN) == 1
            visible, hidden = text.split(BEGIN_HIDDEN)
            assert f"Checks({name!r}, {function!r})" in visible
            assert 'checks.run("public")' in visible
            assert 'checks.run("hidden")' in hidden.split(END_HIDDEN)[0]
            assert BEGIN_SOLUTION not in text
    total = sum(meta(cell)["points"] for notebook in notebooks.values()
                for cell in cells_of(notebook, "test"))
    assert total == sum(POINTS.values())


def test_no_test_or_read_only_cell_reveals_solution_code(notebooks):
    """Test cells hold no line of any solution; read-only cells none of their notebook's."""
    reference = solution_lines()
    assert len(reference) > 50
    for name, notebook in notebooks.items():
        for cell in cells_of(notebook, "test"):
            leaked = code_lines(source(cell)) & reference
            assert not leaked, f"{name}/{meta(cell)['grade_id']} holds solution code: {leaked}"
        own = solution_lines(name)
        for cell in cells_of(notebook, "locked"):
            leaked = code_lines(source(cell)) & own
            assert not leaked, f"{name}/{meta(cell)['grade_id']} holds its solutions: {leaked}"
        markdown = " ".join(source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")
        assert BEGIN_SOLUTION not in markdown and BEGIN_HIDDEN not in markdown


def test_test_cells_hold_no_checks_only_the_bridge(notebooks):
    """Every test cell is the bridge's template: the kit's public checks in the visible
    region, its hidden checks in the hidden region, one line each, and the points last.
    No notebook defines a function of an earlier notebook: it imports the learner's own."""
    for name, notebook in notebooks.items():
        for function in CONTRACT[name]:
            [cell] = [c for c in cells_of(notebook, "test")
                      if meta(c)["grade_id"] == f"test_{function}"]
            assert source(cell) == bridge_cell(name, function)
            visible, _, rest = source(cell).partition(BEGIN_HIDDEN)
            hidden = rest.partition(END_HIDDEN)[0]
            assert [line for line in hidden.splitlines() if line.strip()] == \
                ['checks.run("hidden")']
            assert "assert" not in source(cell) and "==" not in source(cell)
        for cell in cells_of(notebook, "locked"):
            defined = set(re.findall(r"^def (\w+)\(", source(cell), re.MULTILINE))
            assert not defined, f"{name} redefines {defined}"


def test_solutions_pass_every_test_cell_and_stubs_fail_them(course, notebooks):
    folder = course / "source" / ASSIGNMENT
    for name, notebook in notebooks.items():
        solved = run_notebook(notebook, folder)
        stubbed = run_notebook(notebook, folder, stubs=True)
        for function in CONTRACT[name]:
            worth = POINTS[(name, function)]
            assert solved[f"test_{function}"] == (worth, worth), (name, function, solved)
            assert stubbed[f"test_{function}"] == (0.0, worth), (name, function, stubbed)


def grade_points(folder: Path, module: str) -> dict[str, float]:
    """Points per function that `grade`'s scoring gives folder on module's checks."""
    suites = [KIT / "tests" / suite / f"test_{module}.py" for suite in ("public", "hidden")]
    results = check_results(run_suites(LocalSubmission(folder), folder, suites, KIT), None)
    points: dict[str, float] = {}
    for result in results:
        points[result.function] = points.get(result.function, 0.0) + result.score
    return points


@pytest.mark.slow
@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.id for entry in CATALOGUE])
def test_a_notebook_scores_what_grade_scores(entry, course, notebooks, tmp_path):
    """Parity, in process: each catalogued mistake and correct variant, as a notebook
    through the nbgrader test cell and as a module through grade's scoring, gets the same
    points for its function; mistakes lose some, variants none."""
    by_grade = grade_points(build_submission(KIT / "solutions", entry, tmp_path / "py"),
                            entry.module)[entry.function]
    outcome = run_notebook(notebooks[entry.module], course / "source" / ASSIGNMENT,
                           replace={entry.function: entry.source},
                           only={f"test_{entry.function}"})
    won, worth = outcome[f"test_{entry.function}"]
    assert won == by_grade, (entry.id, won, by_grade)
    assert worth == POINTS[(entry.module, entry.function)]
    assert (won == worth) == entry.correct, (entry.id, entry.summary, won, worth)


# --- (b) nbgrader itself ---------------------------------------------------------------

def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


NBGRADER_MODULES = ("derivatives", "chain_rule")     # no notebook of these imports another
NBGRADER_SAMPLE = [entry for entry in CATALOGUE if entry.module in NBGRADER_MODULES][::2]


def test_nbgrader_releases_the_course_without_solutions_or_hidden_checks(tmp_path):
    pytest.importorskip("nbgrader")
    root = tmp_path / "course"
    source_folder = write_nbgrader_course(KIT, root)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    release = root / "release" / ASSIGNMENT
    for path in sorted(source_folder.glob("*.ipynb")):
        released = json.loads((release / path.name).read_text())
        text = "\n".join(source(cell) for cell in released["cells"])
        assert BEGIN_SOLUTION not in text and BEGIN_HIDDEN not in text
        assert 'checks.run("hidden")' not in text and 'checks.run("public")' in text
        leaked = code_lines(text) & solution_lines(path.stem)
        assert not leaked, f"{path.name}: solution code released: {leaked}"
        for cell in cells_of(released, "solution"):
            assert "raise NotImplementedError()" in source(cell)


def autograde_in_halves(root: Path, students: list[str]) -> dict[str, Path]:
    """`nbgrader autograde` of students, in two copies of the course at once (each has its
    own gradebook: one autograde runs one notebook at a time); each student's course root."""
    halves = {root: students[::2], root.with_name(root.name + "-2"): students[1::2]}
    shutil.copytree(root, root.with_name(root.name + "-2"))
    for course, others in zip(halves, reversed(halves.values()), strict=True):
        for student in others:
            shutil.rmtree(course / "submitted" / student)
    running = [subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT,
                                 "--force"], cwd=course, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for course in halves]
    for process in running:
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, f"nbgrader autograde failed:\n{errors[-3000:]}"
    return {student: course for course, part in halves.items() for student in part}


@pytest.mark.slow
def test_nbgrader_autograde_scores_the_catalogue_as_grade_does(tmp_path):
    """Real `nbgrader autograde` of a correct student and of catalogue entries (every
    other one of two modules: at least 20), with the generated test cells: each function
    gets exactly the points `grade`'s scoring gives the same code as modules."""
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    assert len(NBGRADER_SAMPLE) >= 20
    root = tmp_path / "course"
    source_folder = write_nbgrader_course(KIT, root, modules=NBGRADER_MODULES)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    students = {"alice": None, **{f"s{number:02d}": entry
                                  for number, entry in enumerate(NBGRADER_SAMPLE)}}
    for student, entry in students.items():
        folder = shutil.copytree(source_folder, root / "submitted" / student / ASSIGNMENT)
        if entry is not None:
            replace_function(folder / f"{entry.module}.ipynb", entry.function, entry.source)
    course_of = autograde_in_halves(root, list(students))

    for student, entry in students.items():
        built = build_submission(KIT / "solutions", entry, tmp_path / "py" / student) \
            if entry else KIT / "solutions"
        with Gradebook(f"sqlite:///{course_of[student] / 'gradebook.db'}",
                       course_id=COURSE_ID) as gradebook:
            for module in NBGRADER_MODULES:
                expected = grade_points(built, module)
                for function in CONTRACT[module]:
                    cell = gradebook.find_grade(f"test_{function}", module, ASSIGNMENT, student)
                    assert cell.score == expected[function], (student, entry and entry.id,
                                                               function, cell.score)


def replace_function(notebook_path: Path, function: str, code: str) -> None:
    """A learner's version of function in place of the solution cell's."""
    notebook = json.loads(notebook_path.read_text())
    [cell] = [c for c in notebook["cells"] if meta(c).get("grade_id") == function]
    cell["source"] = (source(cell) + "\n\n" + code).splitlines(keepends=True)
    notebook_path.write_text(json.dumps(notebook))


# --- (c) notebooks as submissions -------------------------------------------------------

def learner_notebook(notebook: dict) -> dict:
    """A filled-in notebook with what learners add: magics, demos, a cell that fails."""
    copy = json.loads(json.dumps(notebook))
    extra = ["%matplotlib inline\n!pip list\nimport math\nprint(math.pi)",
             "%%time\nsum(range(10))",
             "demo = undefined_name + 1\nprint(demo)",
             "for step in range(3):\n    print(step)",
             "def broken(:\n    pass"]
    for number, text in enumerate(extra):
        copy["cells"].insert(3, {"cell_type": "code", "id": f"scratch-{number}",
                                 "execution_count": None, "metadata": {}, "outputs": [],
                                 "source": text.splitlines(keepends=True)})
    return copy


def test_extracted_notebooks_pass_the_public_checks(notebooks, tmp_path):
    chosen = list(MODULES)        # a notebook imports the earlier ones it builds on
    folder = tmp_path / "submission"
    for module in chosen:
        path = tmp_path / "notebooks" / f"{module}.ipynb"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(learner_notebook(notebooks[module])))
        assert extract_notebook(path, folder) == [f"{module}.py"]
    text = (folder / "losses.py").read_text()
    assert "# %matplotlib inline" in text and "# !pip list" in text and "# %%time" in text
    assert "# print(math.pi)" in text and "# for step in range(3):" in text
    assert "def broken" not in text.replace("# def broken", "")
    loaded = LocalSubmission(folder)
    assert not {module: loaded.import_problems.get(module) for module in chosen
                if module in loaded.import_problems}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               *[f"tests/public/test_{module}.py" for module in chosen],
               "--submission", str(folder)]
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b\d+ passed\b", done.stdout) and "failed" not in done.stdout


def test_isolated_grader_gives_full_marks_to_the_extracted_course(course, tmp_path):
    folder, out = tmp_path / "submission", tmp_path / "report"
    written, notes = extract_notebooks(course / "source" / ASSIGNMENT, folder)
    assert written == sorted(f"{module}.py" for module in MODULES) and notes == []
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--out",
                           str(out)], cwd=KIT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((out / "grade.json").read_text())
    assert result["score"] == result["max_score"] == sum(POINTS.values()), done.stdout


def notebook_file(path: Path, cells: list[tuple[str, dict]]) -> Path:
    """A minimal notebook of code cells: (source, nbgrader metadata or {})."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "id": f"c{i}", "execution_count": None,
                   "metadata": {"nbgrader": info} if info else {}, "outputs": [],
                   "source": text} for i, (text, info) in enumerate(cells)]}))
    return path


def test_any_notebook_becomes_the_modules_whose_functions_it_defines(notebooks, tmp_path):
    homework = notebook_file(tmp_path / "homework.ipynb", [
        ("import numpy as np", {}),
        ("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", {}),
        ("def mse(y_pred, y):\n    return float(np.mean((y_pred - y) ** 2))", {}),
        ("assert mse(np.ones(2), np.ones(2)) == 0", {"grade": True, "solution": False,
                                                      "locked": True, "grade_id": "t",
                                                      "points": 1, "schema_version": 3})])
    folder = tmp_path / "out"
    assert extract_notebook(homework, folder) == ["chain_rule.py", "losses.py"]
    assert "assert mse" not in (folder / "losses.py").read_text()
    # a renamed copy of our losses notebook is losses only: helper cells do not count
    renamed = tmp_path / "losses-Copy1.ipynb"
    renamed.write_text(json.dumps(notebooks["losses"]))
    assert extract_notebook(renamed, tmp_path / "renamed") == ["losses.py"]
    notes = notebook_file(tmp_path / "numpy.ipynb", [("x = 1", {})])
    assert extract_notebook(notes, tmp_path / "none") == []


def test_a_folder_of_notebooks(notebooks, tmp_path):
    folder = tmp_path / "download"
    (folder / "alice" / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / "alice" / "derivatives.ipynb").write_text(json.dumps(notebooks["derivatives"]))
    (folder / "alice" / ".ipynb_checkpoints" / "minima-checkpoint.ipynb").write_text("{}")
    (folder / "alice" / "broken.ipynb").write_text('{"cells": [')
    notebook_file(folder / "alice" / "scratch.ipynb",
                  [("def forward_difference(f, x, h=1e-5):\n    return 0.0", {})])
    written, notes = extract_notebooks(folder, tmp_path / "staged")
    assert written == ["derivatives.py"]
    assert "return (f(x + h) - f(x)) / h" in (tmp_path / "staged" / "derivatives.py").read_text()
    assert any("broken.ipynb" in note and "not a Jupyter notebook" in note for note in notes)
    assert any("scratch.ipynb" in note for note in notes)


@pytest.mark.parametrize("content", ['{"cells": [', "not json at all", "[1, 2]",
                                     '{"nbformat": 4}', '{"cells": [1]}'])
def test_a_file_that_is_not_a_notebook_is_a_value_error(tmp_path, content):
    path = tmp_path / "derivatives.ipynb"
    path.write_text(content)
    with pytest.raises(ValueError) as problem:
        extract_notebook(path, tmp_path / "out")
    message = str(problem.value)
    assert "\n" not in message and message.startswith("derivatives.ipynb: ")
    assert not (tmp_path / "out").exists()
