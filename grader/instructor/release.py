"""The student release: the folder learners receive, built from the kit in one call.

`build_release(kit, target)` writes target/ with the exercise stubs, the public checks,
the grader and what makes `pip install -e .` then `python -m grader check` work, a
learner README.md, INSTRUCTORS.md and .github/workflows/classroom.yml (GitHub
Classroom's autograding workflow: one command-grader step per exercise module, worth
that module's public points, and the grading reporter).

Nothing instructor-only goes in: not solutions/, tests/hidden, tests/misconceptions,
tests/alternatives, examples/ nor the kit's own tests; the bundle's grader runs without
them (no catalogue: no misconception matching; no hidden suite: `--tests public`). Of
the grader itself, the bundle copies an allow-list: the top-level modules of grader/ and
the packages of LEARNER_PACKAGES. grader/instructor/, and any package added later, stays
out until someone decides a learner needs it (and no shipped module may import one it
leaves out when it loads). The plots' reference curves, which the kit makes by running
solutions/, travel as numbers in grader/reports/reference_runs.json (the same numbers
every report shows anyway).
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from grader.checking.run import KIT
from grader.contract import CONTRACT, MODULES
from grader.instructor import points
from grader.problems import ToolProblem
from grader.reports import plots

BUNDLE_NAME = "calculus-optimization-exercises"
SETUP_COMMAND = "python -m pip install -e ."
MODULE_COMMAND = "python -m pytest tests/public/test_{module}.py -q"
# a hidden step shows no tracebacks nor check names in the (student-readable) log
HIDDEN_COMMAND = "python -m pytest tests/hidden/test_{module}.py -q --tb=no -rN"
STEP_TIMEOUT_MINUTES = 10
WORKFLOW_PATH = ".github/workflows/classroom.yml"
REFERENCE_RUNS = "reference_runs.json"
# The grader packages a learner's bundle needs, beside grader/*.py (the command line, the
# contract, problems, environment names): the sandbox, the checks' runtime (with the
# nbgrader bridge their course notebooks call), intake of folders, zips and notebooks, and
# the feedback with its plots. grader/instructor/ is not among them.
LEARNER_PACKAGES = ("isolation", "checking", "intake", "reports")


class BuildProblem(ToolProblem):
    """The kit or the target cannot make this package; one line saying what to do."""


def build_release(kit: Path, target: Path) -> Path:
    """Write the student bundle into target (new or empty); returns target."""
    kit, target = Path(kit).resolve(), Path(target).resolve()
    for needed in ("exercises", "tests/public", "grader", "conftest.py", "pyproject.toml"):
        if not (kit / needed).exists():
            raise BuildProblem(f"{kit} has no {needed}: build the release from a full kit")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BuildProblem(f"{target} already exists and is not empty: remove it or choose "
                           "a new folder")
    generated = bundle_documents(kit)      # everything that can fail, before any writing
    check_learner_grader(kit / "grader")
    for folder in ("exercises", "tests/public"):
        copy_sources(kit / folder, target / folder)
    for source in learner_sources(kit / "grader"):
        shipped = target / "grader" / source.relative_to(kit / "grader")
        shipped.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, shipped)
    shutil.copyfile(kit / "conftest.py", target / "conftest.py")
    for name, text in generated.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    return target


def bundle_documents(kit: Path) -> dict[str, str]:
    """Relative path -> text of every file of the bundle that is generated, not copied."""
    points = suite_points(kit)
    return {
        f"grader/reports/{REFERENCE_RUNS}": json.dumps(plots.reference_runs()) + "\n",
        "pyproject.toml": bundle_pyproject(kit),
        "README.md": learner_readme(kit, points["public"]),
        "INSTRUCTORS.md": INSTRUCTORS,
        ".gitignore": "__pycache__/\n*.egg-info/\n/feedback/\n",
        WORKFLOW_PATH: classroom_workflow(points),
    }


def copy_sources(source: Path, target: Path) -> None:
    """The .py files of source (not its caches nor sub-folders) into target."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.py")):
        shutil.copyfile(path, target / path.name)


def learner_sources(grader: Path) -> list[Path]:
    """The grader's files the bundle ships: grader/*.py and the .py files of
    LEARNER_PACKAGES (not their caches)."""
    files = sorted(grader.glob("*.py"))
    for package in LEARNER_PACKAGES:
        files += sorted((grader / package).glob("*.py"))
    return files


def module_name(path: Path, grader: Path) -> str:
    """grader/checking/run.py -> grader.checking.run; a package's __init__.py -> its name."""
    parts = ("grader", *path.relative_to(grader).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def check_learner_grader(grader: Path) -> None:
    """BuildProblem if a package the bundle ships is missing, or a shipped module imports
    one the bundle leaves out when it loads."""
    missing = [package for package in LEARNER_PACKAGES
               if not (grader / package / "__init__.py").is_file()]
    if missing:
        raise BuildProblem(f"grader/ has no package {', '.join(missing)}: update "
                           "grader.instructor.release.LEARNER_PACKAGES")
    shipped = learner_sources(grader)
    left_out = {module_name(path, grader) for path in grader.rglob("*.py")} - {
        module_name(path, grader) for path in shipped}
    for path in shipped:
        imported = {name for name in load_time_imports(ast.parse(path.read_text()))
                    if any(name == out or name.startswith(out + ".") for out in left_out)}
        if imported:
            raise BuildProblem(f"grader/{path.relative_to(grader)} imports "
                               f"{', '.join(sorted(imported))} when it loads: import it inside "
                               "the function that needs it, so the student bundle can leave "
                               "it out")


def load_time_imports(tree: ast.Module) -> set[str]:
    """The modules (and module.name) a module imports when it loads, not inside functions."""
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        pending.extend(ast.iter_child_nodes(node))
    return names


# --------------------------------------------------------------------- points

def suite_points(kit: Path, suites: tuple[str, ...] = ("public", "hidden")) -> dict:
    """suite -> exercise module -> points (grader.instructor.points), in learning order,
    for those of suites the kit has."""
    try:
        collected = points.by_suite_and_module(points.collect(kit, suites))
    except points.PointsProblem as problem:
        raise BuildProblem(str(problem)) from None
    return {suite: in_learning_order(collected.get(suite, {})) for suite in suites}


def in_learning_order(points: dict[str, float]) -> dict[str, float]:
    order = [m for m in MODULES if m in points] + sorted(set(points) - set(MODULES))
    return {module: points[module] for module in order}


# --------------------------------------------------------------------- packaging

def kit_settings(kit: Path) -> dict:
    """The kit's pyproject.toml as a dict (tomllib; on Python 3.10 its backport tomli)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise BuildProblem("building a release on Python 3.10 needs tomli "
                               "(pip install tomli)") from None
    return tomllib.loads((kit / "pyproject.toml").read_text())


def bundle_pyproject(kit: Path) -> str:
    """pyproject.toml of the bundle: the kit's dependencies and pytest options."""
    settings = kit_settings(kit)
    project, pytest_options = settings["project"], settings["tool"]["pytest"]["ini_options"]
    return "\n".join([
        "[build-system]",
        'requires = ["setuptools>=64"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {json.dumps(BUNDLE_NAME)}",
        f"version = {json.dumps(project['version'])}",
        'description = "Calculus for Optimization: exercises with their public checks"',
        'readme = "README.md"',
        f"requires-python = {json.dumps(project['requires-python'])}",
        f"dependencies = {json.dumps(project['dependencies'])}",
        "",
        "[project.scripts]",
        'calc-grader = "grader.cli:main"',
        "",
        "[tool.setuptools]",
        f"packages = {json.dumps(['grader', *(f'grader.{name}' for name in LEARNER_PACKAGES)])}",
        "",
        "[tool.setuptools.package-data]",
        f'"grader.reports" = [{json.dumps(REFERENCE_RUNS)}]',
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests/public"]',
        f"addopts = {json.dumps(pytest_options['addopts'])}",
        # the hidden steps check tests/hidden/ out here, reference.py with it
        f"pythonpath = {json.dumps(pytest_options['pythonpath'])}",
        f"filterwarnings = {json.dumps(pytest_options.get('filterwarnings', []))}",
        "",
    ])


# --------------------------------------------------------------------- documents

def module_topic(kit: Path, module: str) -> str:
    """The first line of the exercise module's docstring, without its full stop."""
    tree = ast.parse((kit / "exercises" / f"{module}.py").read_text())
    doc = ast.get_docstring(tree) or ""
    return doc.splitlines()[0].rstrip(".") if doc else ""


def exercise_map(kit: Path, points: dict[str, float]) -> str:
    """A Markdown table: module, functions, topic, public points."""
    rows = ["| module | functions | topic | public points |", "|---|---|---|---|"]
    for module, value in points.items():
        functions = ", ".join(f"`{f}`" for f in CONTRACT.get(module, {}))
        rows.append(f"| `{module}` | {functions} | {module_topic(kit, module)} "
                    f"| {value:g} |")
    return "\n".join(rows)


LEARNER_README = """\
# Calculus for Optimization: exercises

You implement the calculus that makes machine-learning models learn: finite differences,
gradients, the chain rule and backpropagation, losses, regularization, gradient descent,
learning rates and minima, then a mini project that trains logistic regression.

## Set up (once)

With Python {python}+ in this folder:

```
python -m pip install -e .
```

This installs numpy, matplotlib and pytest, and the checker (`python -m grader`).

## How to work

1. Open `exercises/` and take the modules in the order of the map below. Every function
   has its signature, a docstring with the shapes of its inputs and outputs, a `TODO`
   and a `HINT`. Replace `raise NotImplementedError()` with your code; keep the names
   and parameters as they are.
2. Check as you go:
   - `python -m pytest tests/public` runs the public checks on `exercises/`;
     `-k central_difference` runs one function's checks,
     `python -m pytest tests/public/test_derivatives.py` one module's.
   - `python -m grader check` runs the same checks through the grader and writes
     `feedback/feedback.html` (open it in a browser) and `feedback/feedback.md`: your
     points per module, an explanation of every lost point, and plots of your own
     gradient-descent runs against the reference's.
   - To try a function by hand, start Python in `exercises/` (the modules import each
     other by name): `cd exercises && python -c "from gradients import numerical_gradient"`.
3. Hand in the way your course says: push to your GitHub Classroom repository (every
   push runs the checks: see the Actions tab), or upload the files of `exercises/` to
   Gradescope.

Your instructor also has hidden checks that test the same functions more thoroughly:
random inputs, shapes, overflow, not modifying inputs, convergence rates, divergence
above 2/L and stopping rules. Passing every public check is a good sign, not a promise.

## What the feedback means

- **Expected**: what the check wanted, in words.
- **What came back**: what your code returned (its type, shape, first values, the
  relative error) or the error it raised.
- **Likely misconception**: in the instructor's grade, when your output matches a known
  mistake. The catalogue of mistakes stays with the instructor (it would hint at the
  answers), so your self-check shows **What went wrong** instead: the kind of failure.
- **Hint**: where to look next.
- The slope table of a derivative: each row is one entry of your result (a coordinate,
  or a point `x=...`), worst first: your value (`analytic`), the numerical slope of the
  function (`numerical`), their `ratio` and relative error. Exactly the same ratio in
  every row is a constant factor; -1 is a sign.
- `not implemented yet`: the `raise NotImplementedError()` stub is still there.
- `did not finish within N s`: a loop that never ends; check your stopping rule.
- `the worker exited during the call`: your code called `exit()` or `os._exit()`,
  or crashed Python.

## The exercise map

In learning order; each module builds on the ones before. Public points total
{total:g}.

{exercise_map}

## For instructors

How this bundle is built, how the GitHub Classroom workflow scores it, and how to add
the hidden checks from a private repository: see `INSTRUCTORS.md`.
"""


def learner_readme(kit: Path, points: dict[str, float]) -> str:
    python = kit_settings(kit)["project"]["requires-python"].removeprefix(">=")
    return LEARNER_README.format(python=python, total=sum(points.values()),
                                 exercise_map=exercise_map(kit, points))


INSTRUCTORS = """\
# For instructors

This folder is the student bundle built by `python -m grader release DIR` from the full
kit. It holds the exercise stubs, the public checks and the checker; it holds no
solutions, no hidden checks and no misconception catalogue.

## GitHub Classroom

Use this folder as the assignment's template repository. `.github/workflows/classroom.yml`
is GitHub Classroom's autograding workflow ("Autograding Tests", job
`run-autograding-tests`): on every push it installs the bundle, runs one
`classroom-resources/autograding-command-grader` step per exercise module (the module's
public checks; the step earns the module's public points when all of them pass) and
reports the total with `classroom-resources/autograding-grading-reporter`.

### Adding the hidden checks from a private repository

1. Put the kit's `tests/hidden/*.py` in a private repository, e.g.
   `your-org/calculus-hidden-tests` (the files at its top level).
2. Create a fine-grained personal access token with read access to that repository's
   contents only (or a deploy key), and store it as a secret named `HIDDEN_TESTS_TOKEN`
   on the organisation (visible to the assignment repositories) or on each repository.
3. Un-comment the hidden-checks steps in `.github/workflows/classroom.yml` (they are
   generated with the hidden points of each module), the reporter's `HIDDEN-*_RESULTS`
   env lines, and its longer `runners` line in place of the shorter one. The first step
   checks the private repository out into `tests/hidden` with the token; then one grader
   step per module runs `python -m pytest tests/hidden/test_<module>.py -q --tb=no -rN`
   (the log shows no tracebacks nor check names) and earns that module's hidden points
   when all its hidden checks pass; the last writes the report with details withheld,
   `python -m grader grade exercises --tests hidden --out hidden-report`, as an artifact.

A repository secret keeps the hidden checks out of the students' files, not out of reach:
anyone who can push a workflow to the repository can make it print what it fetched. For
hidden checks that stay secret, grade outside the students' repositories: Gradescope
(`python -m grader gradescope autograder.zip`) or `python -m grader batch` over the
cloned repositories on your own machine.

## Gradescope

`python -m grader gradescope autograder.zip` (from the full kit) builds the autograder:
public and hidden checks, run as an unprivileged user within Gradescope's limits.
"""


# --------------------------------------------------------------------- GitHub Classroom

def step_id(module: str, prefix: str = "") -> str:
    """A grader step's id: derivatives, gradient-descent, hidden-gradient-descent."""
    return prefix + module.replace("_", "-")


def results_variable(step: str) -> str:
    """The reporter's env entry for a step: GRADIENT-DESCENT_RESULTS: "${{steps...}}"."""
    return f'{step.upper()}_RESULTS: "${{{{steps.{step}.outputs.result}}}}"'


def grader_step(name: str, step: str, command: str, points: float) -> list[str]:
    return [f"- name: {name}",
            f"  id: {step}",
            "  uses: classroom-resources/autograding-command-grader@v1",
            "  with:",
            f"    test-name: {name}",
            f"    command: {command}",
            f"    timeout: {STEP_TIMEOUT_MINUTES}",
            f"    max-score: {points:g}"]


WORKFLOW_HEAD = f"""\
# GitHub Classroom autograding (built by `python -m grader release`): one grader step per
# exercise module runs that module's public checks and earns its points when all pass.
name: Autograding Tests
on:
  - push
  - workflow_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the exercises
        run: {SETUP_COMMAND}
"""

HIDDEN_NOTE = """\
# Hidden checks (instructors, see INSTRUCTORS.md): keep tests/hidden in a private
# repository, store a token that can read it as the secret HIDDEN_TESTS_TOKEN, then
# un-comment the steps below and the reporter's HIDDEN-* env lines, and use the
# reporter's commented runners line instead of the one above it."""

HIDDEN_FETCH = """\
- name: Fetch the hidden checks
  uses: actions/checkout@v4
  with:
    repository: your-org/calculus-hidden-tests
    token: ${{ secrets.HIDDEN_TESTS_TOKEN }}
    path: tests/hidden"""

HIDDEN_REPORT = """\
- name: Hidden-check report (details withheld)
  if: always()
  run: python -m grader grade exercises --tests hidden --out hidden-report
- uses: actions/upload-artifact@v4
  if: always()
  with:
    name: hidden-report
    path: hidden-report"""


def indented(lines: list[str], spaces: int, comment: bool = False) -> list[str]:
    prefix = " " * spaces + ("# " if comment else "")
    return [prefix + line for line in lines]


def classroom_workflow(points: dict[str, dict[str, float]]) -> str:
    """.github/workflows/classroom.yml: a grader step per module worth its public points,
    the hidden-check steps (commented out) and the reporter."""
    public, hidden = points["public"], points.get("hidden", {})
    steps = [line for module, value in public.items()
             for line in grader_step(module, step_id(module), MODULE_COMMAND.format(
                 module=module), value)]
    hidden_steps = HIDDEN_FETCH.splitlines()
    for module, value in hidden.items():
        hidden_steps += grader_step(f"hidden {module}", step_id(module, "hidden-"),
                                    HIDDEN_COMMAND.format(module=module), value)
    hidden_steps += HIDDEN_REPORT.splitlines()
    runners = [step_id(module) for module in public]
    hidden_runners = [step_id(module, "hidden-") for module in hidden]
    reporter = ["- name: Autograding Reporter",
                "  uses: classroom-resources/autograding-grading-reporter@v1",
                "  env:",
                *indented([results_variable(step) for step in runners], 4),
                *indented([results_variable(step) for step in hidden_runners], 4, True),
                "  with:",
                f"    runners: {','.join(runners)}",
                *indented([f"runners: {','.join(runners + hidden_runners)}"], 4, True)]
    lines = [*indented(steps, 6), *indented(HIDDEN_NOTE.splitlines(), 6),
             *indented(hidden_steps, 6, True), *indented(reporter, 6)]
    return WORKFLOW_HEAD + "\n".join(lines) + "\n"


# --------------------------------------------------------------------- command line

def main(*, target: Path, kit: Path = KIT) -> int:
    """`python -m grader release DIR`: build the student bundle into DIR."""
    bundle = build_release(kit, target)
    files = sum(1 for path in bundle.rglob("*") if path.is_file())
    print(f"wrote the student bundle to {bundle} ({files} files)")
    print(f"learners run: {SETUP_COMMAND} && python -m grader check")
    return 0
