"""Jupyter and nbgrader: write an nbgrader course from solutions/, read learners' notebooks.

`write_nbgrader_course` turns each module of solutions/ into an nbgrader source notebook:
an introduction, a locked import cell, then for every contract function a description, a
solution cell holding the reference function with its solution region, and a locked test
cell worth that function's points in the kit's suites. `nbgrader generate_assignment`
strips the solutions and the hidden region for the learners' release.

The test cells hold no checks of their own: each runs the kit's public checks of its
function in the visible region and the hidden checks in the hidden region, through one
line of grader.checking.bridge each, and ends with the points won, which nbgrader takes as partial
credit. So a function scores the same points in nbgrader as in `grader grade`.

A module that imports another (losses uses chain_rule.sigmoid) keeps its import as the
kit writes it: the import cell first imports grader.checking.notebook_modules, which lets
`from chain_rule import sigmoid` load the learner's own chain_rule.ipynb beside it.

Notebooks are written with the json module: the grader does not need nbformat. Reading
learners' notebooks is grader.intake.notebooks's role (it holds no answers and ships in
the student bundle; this module holds notebook checks and helpers, and does not).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path

from grader.contract import CONTRACT, MODULES
from grader.instructor import points
from grader.instructor.markers import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION  # noqa: F401

COURSE_ID = "calculus-for-optimization"
DEFAULT_ASSIGNMENT = "calculus_for_optimization"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python",
                 "codemirror_mode": {"name": "ipython", "version": 3},
                 "nbconvert_exporter": "python", "pygments_lexer": "ipython3"}

# module -> (lesson concept, what the lesson says of it)
CONCEPTS: dict[str, tuple[str, str]] = {
    "derivatives": ("Functions & Derivatives", "Measure how outputs change with inputs: "
                    "f'(x) = lim(h -> 0) [f(x + h) - f(x)] / h."),
    "gradients": ("Partial Derivatives", "Gradients for multivariable functions: one partial "
                  "derivative per coordinate."),
    "gradient_check": ("Partial Derivatives", "Checking an analytic gradient against a "
                       "numerical one, as every backpropagation implementation should be."),
    "chain_rule": ("Chain Rule", "Links multiple derivatives (core of backpropagation): "
                   "dL/dx = (dL/dy) * (dy/dx)."),
    "losses": ("Loss Function", "Quantifies model error (e.g. MSE, cross-entropy)."),
    "regularization": ("Regularization", "Prevents overfitting by adding penalty terms."),
    "gradient_descent": ("Gradient Descent, Learning Rate", "An iterative method to minimize "
                         "the loss, w = w - lr * grad L(w); the learning rate controls how "
                         "fast the weights update."),
    "minima": ("Local vs Global Minima", "Where optimization can get stuck."),
    "mini_project": ("Mini project: gradient descent on a custom loss", "Define a logistic "
                     "loss, compute its gradient, experiment with learning rates and plot "
                     "the loss curve over iterations."),
}

HOW_TO_WORK = """\
**How to work**

- Write your code in each function's cell, in place of `# YOUR CODE HERE` and
  `raise NotImplementedError()`. Keep the function's name and signature.
- Run the cell that defines a function, then the test cell under it. Its visible checks
  tell you quickly whether you are on track. When your notebook is graded, the test cell
  also runs hidden checks (random inputs, shapes, overflow, inputs left unchanged) and is
  worth the points shown above it.
- Read-only cells hold the imports (your functions from earlier notebooks come from
  their notebooks, beside this one) and the tests: leave them as they are.
- Arrays are float64 numpy arrays; no function may modify its inputs.
- Before you submit: *Kernel > Restart & Run All*, and check that no cell shows an error.
"""


def write_nbgrader_course(kit: Path, target: Path, assignment: str = DEFAULT_ASSIGNMENT,
                          *, modules: Iterable[str] | None = None) -> Path:
    """Write an nbgrader course for the kit in target; returns the assignment's source folder.

    target/nbgrader_config.py and target/source/<assignment>/<module>.ipynb, one notebook per
    exercise module (all of them, or `modules`), from kit/solutions/. Each function's test
    cell is worth that function's points in kit/tests/public and kit/tests/hidden.
    """
    kit, target = Path(kit), Path(target)
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", assignment):
        raise ValueError(f"{assignment!r}: an assignment name is letters, digits, _ and -")
    chosen = list(MODULES if modules is None else modules)
    unknown = [name for name in chosen if name not in CONTRACT]
    if unknown:
        raise ValueError(f"not exercise modules: {', '.join(unknown)}")
    points = function_points(kit / "tests")
    source = target / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    for module in chosen:
        notebook = source_notebook(kit / "solutions" / f"{module}.py", module, points)
        (source / f"{module}.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")
    (target / "nbgrader_config.py").write_text(nbgrader_config(assignment))
    return source


def nbgrader_config(assignment: str) -> str:
    return f'''\
"""nbgrader configuration of the Calculus for Optimization course (`python -m grader nbgrader`).

Run the nbgrader commands in this folder:
    nbgrader generate_assignment {assignment} --force    # source/ -> release/
    nbgrader autograde {assignment} --force              # submitted/<student>/ -> autograded/
Grades land in gradebook.db (nbgrader.api.Gradebook, or the formgrader).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.course_id = "{COURSE_ID}"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")
c.GenerateAssignment.create_assignment = True
c.Autograde.create_student = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = 120          # seconds per cell
'''


def function_points(tests: Path) -> dict[tuple[str, str], float]:
    """(module, function) -> points of its checks in tests/public and tests/hidden (one
    source: grader.instructor.points)."""
    for suite in ("public", "hidden"):
        if not (tests / suite).is_dir():
            raise FileNotFoundError(f"{tests / suite}: the kit's {suite} checks are needed "
                                    "for points")
    return points.by_function(points.collect(tests.parent))


def source_notebook(solution: Path, module: str, points: dict[tuple[str, str], float]) -> dict:
    """The nbgrader source notebook (nbformat 4 as plain data) of one solution module."""
    text = solution.read_text()
    tree = ast.parse(text, filename=str(solution))
    imports, earlier = [], []
    functions: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in CONTRACT:
            earlier.append(ast.get_source_segment(text, node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(text, node))
        elif isinstance(node, ast.FunctionDef) and node.name in CONTRACT[module]:
            functions[node.name] = node
    missing = [name for name in CONTRACT[module] if name not in functions]
    if missing:
        raise ValueError(f"{solution}: defines no {', '.join(missing)}")
    concept, about = CONCEPTS[module]
    number = MODULES.index(module) + 1
    doc = ast.get_docstring(tree) or ""
    cells = [
        markdown(f"{module}-intro", f"# {number}. `{module}`: {concept}\n\n"
                 f"*Lesson 8, Calculus for Optimization.* **{concept}**: {about}\n\n"
                 f"{markdown_text(doc)}\n\n{HOW_TO_WORK}"),
        code(f"{module}-imports", import_cell(imports, earlier), locked=True),
    ]
    for name, node in functions.items():
        worth = points.get((module, name), 0.0)
        if worth <= 0:
            raise ValueError(f"{module}.{name} has no points in the kit's checks")
        body = function_source(text, node)
        cells.append(markdown(f"{name}-task",
                              f"## `{signature(text, node)}`\n\n"
                              f"{markdown_text(ast.get_docstring(node) or '')}\n\n"
                              f"*The test cell below is worth {_number(worth)} points.*"))
        cells.append(code(name, body, solution=True))
        cells.append(code(f"test_{name}", bridge_cell(module, name), grade=True, locked=True,
                          points=worth))
    return {"cells": cells,
            "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)},
            "nbformat": 4, "nbformat_minor": 5}


def import_cell(imports: list[str], earlier: list[str]) -> str:
    """The locked import cell: the module's imports, then those of earlier notebooks."""
    lines = ["# The imports this notebook uses.", *imports]
    if earlier:
        lines += ["", "# Your functions from earlier notebooks (their .ipynb beside this one):",
                  "import grader.checking.notebook_modules  # noqa: F401", *earlier]
    return "\n".join(lines).replace("import annotations\n", "import annotations\n\n", 1)


def bridge_cell(module: str, function: str) -> str:
    """A test cell: the kit's checks of function through grader.checking.bridge, the points
    last."""
    return (f"# The kit's checks of {function}: run this cell after the one above.\n"
            "from grader.checking.bridge import Checks; "
            f"checks = Checks({module!r}, {function!r})\n"
            f'checks.run("public")\n'
            f"{BEGIN_HIDDEN}\n"
            f'checks.run("hidden")\n'
            f"{END_HIDDEN}\n"
            f"checks.points")


def function_source(text: str, node: ast.FunctionDef) -> str:
    """The def as written, with the indented comments after its last statement (the
    end-of-solution marker is a comment, which the syntax tree leaves out)."""
    lines = text.splitlines()
    end = node.end_lineno
    while end < len(lines) and lines[end].startswith((" ", "\t")) and \
            lines[end].lstrip().startswith("#"):
        end += 1
    return "\n".join(lines[node.lineno - 1:end])


def signature(text: str, node: ast.FunctionDef) -> str:
    """'name(a, b, h=1e-5)': the parameters as written, without annotations."""
    args = node.args
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    parts = [arg.arg if default is None else f"{arg.arg}={ast.get_source_segment(text, default)}"
             for arg, default in zip(args.args, defaults)]
    return f"{node.name}({', '.join(parts)})"


def markdown_text(doc: str) -> str:
    """A docstring as markdown: `*` escaped (x**2 is not emphasis) except in code blocks."""
    return "\n".join(line if line.startswith("    ") else line.replace("*", "\\*")
                     for line in doc.splitlines())


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _lines(source: str) -> list[str]:
    lines = source.splitlines(keepends=True)
    if lines and lines[-1].endswith("\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def markdown(cell_id: str, source: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "source": _lines(source.strip() + "\n"),
            "metadata": {"nbgrader": {"grade": False, "grade_id": cell_id, "locked": True,
                                      "schema_version": 3, "solution": False, "task": False}}}


def code(cell_id: str, source: str, *, solution: bool = False, grade: bool = False,
         locked: bool = False, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": cell_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = _number(points or 0)
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": meta}, "outputs": [], "source": _lines(source)}
