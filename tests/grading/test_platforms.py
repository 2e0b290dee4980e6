"""The student release, its GitHub Classroom workflow and Gradescope's autograder.zip,
built as an instructor builds them and run as a learner, Classroom and Gradescope run them.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml

from grader.checking.misconceptions import build_submission, load_catalogue
from grader.contract import MODULES
from grader.instructor import gradescope
from grader.instructor.release import (
    LEARNER_PACKAGES,
    BuildProblem,
    build_release,
    check_learner_grader,
)
from grader.instructor.stubs import BEGIN, END
from grader.isolation.sandbox import processes_of
from grader.reports import plots as kit_plots

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

KIT = Path(__file__).resolve().parents[2]
INSTRUCTOR_ONLY = ("solutions", "tests/hidden", "tests/misconceptions", "tests/alternatives")
# Generic matplotlib calls that the plot_loss_curves solution shares with the grader's own
# drawing code (grader/reports/plots.py draws the learner's plots; the exercise's HINT names
# Figure). They may appear in the grader's modules and nowhere else.
SHARED_PLOTTING_LINES = {"from matplotlib.figure import Figure", "axes = figure.subplots()",
                         'axes.set_yscale("log")', "figure.tight_layout()"}
WRONG_ENTRY = "derivatives.central_difference/divides-by-h"


# --------------------------------------------------------------------- what the kit holds

def solution_lines() -> set[str]:
    """Every line of a solution region (between the markers), stripped, over 20 chars."""
    lines, inside = set(), False
    for path in (KIT / "solutions").glob("*.py"):
        for line in path.read_text().splitlines():
            marker = line.strip()
            if marker in (BEGIN, END):
                inside = marker == BEGIN
            elif inside and len(marker) > 20:
                lines.add(marker)
    return lines


def check_function_names(folder: Path) -> set[str]:
    names = set()
    for path in folder.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
    return {name for name in names if name.startswith("test")}


def module_points(results: dict, visibility: str) -> dict[str, float]:
    """Exercise module -> the points the grader's results.json gives its checks of one
    visibility ("visible": public, "after_published": hidden), in learning order."""
    points: dict[str, float] = {}
    for test in results["tests"]:
        if test["visibility"] == visibility:
            [module] = test["tags"]
            points[module] = points.get(module, 0.0) + test["max_score"]
    return {module: points[module] for module in MODULES if module in points}


def digests(folder: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


# --------------------------------------------------------------------- the student release

def test_the_bundle_holds_no_solution_code_nor_hidden_check(tmp_path):
    bundle = build_release(KIT, tmp_path / "bundle")      # as built, before anything ran in it
    files = [path for path in bundle.rglob("*") if path.is_file()]
    secret_lines = solution_lines() - SHARED_PLOTTING_LINES
    hidden_names = check_function_names(KIT / "tests" / "hidden")
    instructor_files = set().union(*(digests(KIT / folder) for folder in INSTRUCTOR_ONLY))
    assert len(secret_lines) > 50 and len(hidden_names) > 50
    for path in files:
        relative = path.relative_to(bundle).as_posix()
        assert not relative.startswith(INSTRUCTOR_ONLY), relative
        assert hashlib.sha256(path.read_bytes()).hexdigest() not in instructor_files, relative
        text = path.read_text()
        lines = {line.strip() for line in text.splitlines()}
        assert not lines & secret_lines, f"{relative} holds solution code"
        if not relative.startswith("grader/"):
            assert not lines & SHARED_PLOTTING_LINES, relative
        named = {name for name in hidden_names if re.search(rf"\b{name}\b", text)}
        assert not named, f"{relative} names hidden checks: {sorted(named)[:3]}"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_release(KIT, tmp_path_factory.mktemp("release") / "bundle")


def test_the_bundle_holds_what_learners_need(bundle):
    kit_exercises = {p.name: p.read_text() for p in (KIT / "exercises").glob("*.py")}
    assert {p.name: p.read_text() for p in (bundle / "exercises").glob("*.py")} == kit_exercises
    assert {p.name for p in (bundle / "tests" / "public").iterdir()} == {
        p.name for p in (KIT / "tests" / "public").glob("*.py")}
    import tomllib

    settings, kit = (tomllib.loads((folder / "pyproject.toml").read_text())
                     for folder in (bundle, KIT))
    assert settings["project"]["name"] == "calculus-optimization-exercises"
    assert settings["project"]["dependencies"] == kit["project"]["dependencies"]
    pytest_options = settings["tool"]["pytest"]["ini_options"]
    assert pytest_options["addopts"] == kit["tool"]["pytest"]["ini_options"]["addopts"]
    assert pytest_options["testpaths"] == ["tests/public"]
    readme = (bundle / "README.md").read_text()
    for command in ("python -m pip install -e .", "python -m pytest tests/public",
                    "python -m grader check", "feedback/feedback.html", "Likely misconception"):
        assert command in readme
    assert all(f"| `{module}` |" in readme for module in MODULES)
    assert "HIDDEN_TESTS_TOKEN" in (bundle / "INSTRUCTORS.md").read_text()
    shipped = {str(path.relative_to(bundle / "grader"))
               for path in (bundle / "grader").rglob("*") if path.is_file()}
    allowed = {str(path.relative_to(KIT / "grader")) for path in (KIT / "grader").glob("*.py")}
    for package in LEARNER_PACKAGES:
        allowed |= {f"{package}/{path.name}" for path in (KIT / "grader" / package).glob("*.py")}
    # the allow-list, and nothing else: no instructor module, no cache, no stray package
    assert shipped == allowed | {"reports/reference_runs.json"}
    assert not any(name.startswith("instructor/") for name in shipped)
    kit_packages = {path.parent.name for path in (KIT / "grader").glob("*/__init__.py")}
    assert kit_packages - set(LEARNER_PACKAGES) == {"instructor"}
    assert not list((bundle / "tests").glob("hidden*"))
    with pytest.raises(BuildProblem, match="not empty"):
        build_release(KIT, bundle)


def test_a_shipped_module_may_import_an_instructor_only_one_only_when_called(tmp_path):
    for package in (*LEARNER_PACKAGES, "instructor"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "instructor" / "nbgrader_course.py").write_text("")
    (tmp_path / "cli.py").write_text("def run():\n    from grader.instructor import "
                                     "nbgrader_course\n")
    check_learner_grader(tmp_path)
    (tmp_path / "cli.py").write_text("import sys\nfrom grader.instructor import nbgrader_course\n")
    with pytest.raises(BuildProblem, match="grader/cli.py imports grader.instructor"):
        check_learner_grader(tmp_path)
    (tmp_path / "cli.py").write_text("")
    (tmp_path / "reports" / "formats.py").write_text("import grader.instructor.batch\n")
    with pytest.raises(BuildProblem, match="grader/reports/formats.py imports grader.instructor"):
        check_learner_grader(tmp_path)
    (tmp_path / "reports" / "formats.py").write_text("")
    (tmp_path / "experimental").mkdir()          # a new package is left out until listed
    (tmp_path / "experimental" / "__init__.py").write_text("")
    (tmp_path / "checking" / "run.py").write_text("from grader.experimental import x\n")
    with pytest.raises(BuildProblem, match="imports grader.experimental"):
        check_learner_grader(tmp_path)
    (tmp_path / "checking" / "run.py").write_text("")
    shutil.rmtree(tmp_path / "checking")
    with pytest.raises(BuildProblem, match="no package checking"):
        check_learner_grader(tmp_path)


@pytest.fixture(scope="module")
def solved_bundle(bundle, tmp_path_factory):
    """A copy of the bundle whose exercises are the kit's solutions."""
    solved = shutil.copytree(bundle, tmp_path_factory.mktemp("solved") / "bundle")
    for path in (KIT / "solutions").glob("*.py"):
        shutil.copyfile(path, solved / "exercises" / path.name)
    return solved


@pytest.fixture(scope="module")
def learner(bundle, tmp_path_factory):
    """A learner's fresh venv with the bundle installed in it: .env to run commands in
    it, .seconds it took to make.

    Rather than --system-site-packages (which would also run the system site's .pth
    hooks, among them any editable install of the kit and its own grader), the venv
    reaches numpy, matplotlib and pytest through a plain path entry: no download of
    them, and no grader but the bundle's. The bundle itself goes in with pip, --no-deps
    and editable; pip fetches the build backend as it does for the kit's own install.
    """
    started = time.monotonic()
    venv = tmp_path_factory.mktemp("learner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    [packages] = venv.glob("lib/python*/site-packages")
    (packages / "kit-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", "-e",
                           str(bundle)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(venv))
    return SimpleNamespace(env=env, seconds=time.monotonic() - started)


def learner_run(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def self_checks(bundle, solved_bundle, learner):
    """`python -m grader check` in the learner's venv, on the stubs and on the solutions:
    name -> its feedback/results.json, and "seconds" -> the time both took."""
    started, checks = time.monotonic(), {}
    for name, folder in (("stubs", bundle), ("solved", solved_bundle)):
        done = learner_run("python -m grader check", folder, learner.env)
        assert done.returncode == 0, done.stderr
        checks[name] = json.loads((folder / "feedback" / "results.json").read_text())
    checks["seconds"] = time.monotonic() - started
    return checks


def test_the_self_check_runs_in_a_fresh_venv_from_the_bundle_alone(bundle, solved_bundle,
                                                                   learner, self_checks,
                                                                   tmp_path):
    where = learner_run('python -c "import grader; print(grader.__file__)"', tmp_path,
                        learner.env)
    assert Path(where.stdout.strip()).parent == bundle / "grader", where.stderr
    stubs, solved = self_checks["stubs"], self_checks["solved"]
    public = solved["extra_data"]["max_score"]
    assert public > 0 and solved["score"] == public and stubs["score"] == 0
    assert stubs["extra_data"]["max_score"] == public
    assert {test["extra_data"]["kind"] for test in stubs["tests"]} == {"not-implemented"}
    assert {test["visibility"] for test in stubs["tests"] + solved["tests"]} == {"visible"}
    assert module_points(solved, "visible") == module_points(stubs, "visible")
    plots = solved_bundle / "feedback" / "plots"
    for stem in ("gd_learning_rates", "gd_path", "mini_project_sweep", "learner_plot"):
        assert (plots / f"{stem}.png").is_file(), f"no {stem} plot"
    drawn = json.loads((plots / "gd_learning_rates.json").read_text())["series"]
    kit_reference = kit_plots.reference_runs()["losses"]
    assert [s["values"] for s in drawn if s["source"] == "reference"] == [
        [v if math.isfinite(v) else None for v in kit_reference[repr(lr)]]
        for lr in kit_plots.GD_LRS]
    assert learner.seconds + self_checks["seconds"] < 60


# --------------------------------------------------------------------- GitHub Classroom

def workflow(bundle: Path, text: str | None = None) -> dict:
    data = yaml.safe_load(text or (bundle / ".github/workflows/classroom.yml").read_text())
    data["on"] = data.pop(True, data.get("on"))   # YAML 1.1 reads the key `on` as True
    return data


def grader_steps(steps: list[dict], prefix: str = "") -> list[dict]:
    return [step for step in steps if step.get("uses", "").startswith(
        "classroom-resources/autograding-command-grader@v1") and step["id"].startswith(prefix)]


def check_reporter(reporter: dict, ids: list[str]) -> None:
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}"
                               for i in ids}
    assert reporter["with"]["runners"].split(",") == ids


def test_the_classroom_workflow_has_classroom_s_current_form(bundle, self_checks):
    data = workflow(bundle)
    assert data["name"] == "Autograding Tests" and data["on"] == ["push", "workflow_dispatch"]
    assert data["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    assert list(data["jobs"]) == ["run-autograding-tests"]
    job = data["jobs"]["run-autograding-tests"]
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    assert steps[1]["uses"] == "actions/setup-python@v5"
    assert steps[1]["with"]["python-version"] == "3.11"
    assert steps[2]["run"] == "python -m pip install -e ."
    points = module_points(self_checks["solved"], "visible")
    graders = grader_steps(steps)
    assert [step["with"]["test-name"] for step in graders] == list(points)
    for step in graders:
        module = step["with"]["test-name"]
        assert step["id"] == module.replace("_", "-")
        assert step["with"] == {"test-name": module, "timeout": 10, "max-score": points[module],
                                "command": f"python -m pytest tests/public/test_{module}.py -q"}
    assert steps[3:-1] == graders
    check_reporter(steps[-1], [step["id"] for step in graders])


def test_un_commenting_the_hidden_block_gives_the_hidden_steps(bundle, full_marks):
    text = (bundle / ".github/workflows/classroom.yml").read_text()
    assert "tests/hidden" not in json.dumps(workflow(bundle))   # commented out until wanted
    lines = [re.sub(r"^(\s*)# (?=- |  |HIDDEN-|runners: )", r"\1", line)
             for line in text.splitlines()]
    runners = [i for i, line in enumerate(lines) if line.strip().startswith("runners:")]
    assert len(runners) == 2
    del lines[runners[0]]                           # "use the longer runners line instead"
    steps = workflow(bundle, "\n".join(lines))["jobs"]["run-autograding-tests"]["steps"]
    [fetch] = [step for step in steps if step.get("with", {}).get("path") == "tests/hidden"]
    assert fetch["uses"] == "actions/checkout@v4"
    assert fetch["with"]["token"] == "${{ secrets.HIDDEN_TESTS_TOKEN }}"
    points = module_points(full_marks[0], "after_published")
    hidden = grader_steps(steps, "hidden-")
    assert [step["id"] for step in hidden] == [f"hidden-{m.replace('_', '-')}" for m in points]
    for step, (module, value) in zip(hidden, points.items()):
        assert step["with"]["max-score"] == value
        assert step["with"]["command"] == (f"python -m pytest tests/hidden/test_{module}.py "
                                           "-q --tb=no -rN")
    check_reporter(steps[-1], [step["id"] for step in grader_steps(steps)])


def test_every_module_command_passes_on_solutions_and_fails_on_stubs(bundle, solved_bundle,
                                                                     learner):
    steps = grader_steps(workflow(bundle)["jobs"]["run-autograding-tests"]["steps"])
    runs = [(step["with"]["command"], folder) for step in steps
            for folder in (bundle, solved_bundle)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda run: learner_run(*run, learner.env), runs))
    for (command, folder), result in zip(runs, done):
        expected = 0 if folder == solved_bundle else 1  # 1: checks failed (not a usage error)
        assert result.returncode == expected, f"{command} in {folder.name}: {result.stdout}"


def test_a_hidden_step_passes_on_solutions_and_names_no_check(bundle, solved_bundle,
                                                              learner, tmp_path):
    names = check_function_names(KIT / "tests" / "hidden")
    command = "python -m pytest tests/hidden/test_derivatives.py -q --tb=no -rN"
    for name, source, expected in (("solved", solved_bundle, 0), ("stubs", bundle, 1)):
        folder = shutil.copytree(source, tmp_path / name,
                                 ignore=shutil.ignore_patterns("feedback", "*.egg-info"))
        shutil.copytree(KIT / "tests" / "hidden", folder / "tests" / "hidden")
        done = learner_run(command, folder, learner.env)
        assert done.returncode == expected, done.stdout
        assert not {name for name in names if name in done.stdout + done.stderr}


# --------------------------------------------------------------------- Gradescope

VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
FORMATS = ["text", "html", "simple_format", "md", "ansi"]
TEST_SCHEMA = {
    "type": "object",
    "required": ["name", "score", "max_score", "status", "output", "visibility", "tags"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"}, "name_format": {"enum": FORMATS},
        "number": {"type": "string"},
        "score": {"type": "number"}, "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]},
        "output": {"type": "string"}, "output_format": {"enum": FORMATS},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": VISIBILITY}, "extra_data": {"type": "object"},
    },
}
# Gradescope's results.json, every documented field and no other
# (https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format).
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"}, "execution_time": {"type": "number"},
        "output": {"type": "string"}, "output_format": {"enum": FORMATS},
        "test_output_format": {"enum": FORMATS}, "test_name_format": {"enum": FORMATS},
        "visibility": {"enum": VISIBILITY}, "stdout_visibility": {"enum": VISIBILITY},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": TEST_SCHEMA},
        "leaderboard": {"type": "array"},
    },
}
MEASURED = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(code)")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """An /autograder root as Gradescope's image has it after setup.sh: the zip unpacked
    (modes kept, as unzip keeps them) into source/, run_autograder copied to the root, and
    setup.sh's Python part run. The root is world-traversable, as /autograder is."""
    archive = gradescope.build_autograder_zip(KIT, tmp_path_factory.mktemp("gs") / "ag.zip")
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    root.chmod(0o755)
    with zipfile.ZipFile(archive) as unpacked:
        names = unpacked.namelist()
        for info in unpacked.infolist():
            os.chmod(unpacked.extract(info, root / "source"), info.external_attr >> 16 & 0o777)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    env = {**os.environ, gradescope.ROOT_VARIABLE: str(root), "PIP_NO_INDEX": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(root / "source" / "setup_python.sh")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    yield root, env, names
    shutil.rmtree(root, ignore_errors=True)


def test_the_zip_follows_gradescope_s_layout(autograder):
    root, _, names = autograder
    assert {"setup.sh", "run_autograder", "setup_python.sh", "requirements.txt"} <= set(names)
    for folder in ("grader", "tests/public", "tests/hidden", "tests/misconceptions", "solutions"):
        assert any(name.startswith(folder + "/") for name in names), folder
    assert not [name for name in names if "__pycache__" in name or name.startswith(
        ("exercises", "examples", "tests/kit", "tests/grading"))]
    assert os.access(root / "run_autograder", os.X_OK)
    setup = (root / "source" / "setup.sh").read_text()
    assert "apt-get install" in setup and "setup_python.sh" in setup
    script = (root / "run_autograder").read_text()
    assert "python3 -m grader grade" in script and "--tests all" in script


def grade_on_gradescope(autograder, submission: Path) -> tuple[dict, float, int]:
    """Run run_autograder on a copy of submission: (results.json, seconds, peak RSS in KB
    of the largest process of the run)."""
    root, env, _ = autograder
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    shutil.copytree(submission, root / "submission")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", MEASURED, str(root / "run_autograder")],
                          cwd=root, env=env, capture_output=True, text=True,
                          timeout=gradescope.GRADE_SECONDS + 60)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    return data, seconds, int(done.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def full_marks(autograder):
    return grade_on_gradescope(autograder, KIT / "solutions")


def test_gradescope_gives_solutions_full_marks(full_marks):
    data, seconds, _ = full_marks
    assert data["score"] == sum(test["max_score"] for test in data["tests"]) > 0
    assert all(test["status"] == "passed" for test in data["tests"])
    assert {test["visibility"] for test in data["tests"]} == {"visible", "after_published"}
    assert seconds < 120


def test_gradescope_names_a_catalogued_misconception(autograder, tmp_path):
    [entry] = [e for e in load_catalogue(KIT / "tests" / "misconceptions") if e.id == WRONG_ENTRY]
    data, _, _ = grade_on_gradescope(autograder, build_submission(KIT / "solutions", entry,
                                                                   tmp_path / "wrong"))
    failed = [test for test in data["tests"] if test["status"] == "failed"]
    assert failed and 0 < data["score"] < sum(test["max_score"] for test in data["tests"])
    assert {tuple(test["tags"]) for test in failed} == {("derivatives",)}
    assert WRONG_ENTRY in {test["extra_data"].get("misconception") for test in failed}


HOSTILE = """

import os as _os, subprocess as _subprocess, sys as _sys

print("uid", _os.getuid(), flush=True)
for _path, _mode in (({hidden!r}, "r"), ({results!r}, "a")):
    try:
        with open(_path, _mode):
            print("opened", _path, flush=True)
    except OSError as _exc:
        print("refused", type(_exc).__name__, flush=True)
_subprocess.Popen([_sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", {token!r}],
                  start_new_session=True)


def central_difference(f, x, h=1e-5):
    _os._exit(0)
"""

ENDLESS = """

def gd_step(w, grad, lr):
    while True:
        pass
"""


def processes_with(token: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token.encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found


def test_a_hostile_submission_loses_points_in_bounded_time_and_leaves_nothing(autograder,
                                                                              tmp_path):
    root, _, _ = autograder
    token = f"hostile-{uuid.uuid4().hex}"
    submission = shutil.copytree(KIT / "solutions", tmp_path / "hostile")
    hidden = root / "source" / "tests" / "hidden" / "test_derivatives.py"
    with (submission / "derivatives.py").open("a") as handle:
        handle.write(HOSTILE.format(hidden=str(hidden), results=str(root / "results"
                                                                   / "results.json"),
                                    token=token))
    with (submission / "gradient_descent.py").open("a") as handle:
        handle.write(ENDLESS)
    data, seconds, _ = grade_on_gradescope(autograder, submission)
    assert seconds < gradescope.GRADE_SECONDS / 2
    failed = {test["name"].split(":")[0]: test for test in data["tests"]
              if test["status"] == "failed"}
    assert {"central_difference", "gd_step"} <= set(failed)
    assert data["score"] < sum(test["max_score"] for test in data["tests"])
    assert not processes_with(token), "a process the submission started outlived the grade"
    printed = (root / "results" / "feedback.md").read_text()
    uids = {int(uid) for uid in re.findall(r"^uid (\d+)$", printed, re.MULTILINE)}
    assert uids and all(not processes_of(uid) for uid in uids if uid != 0)
    if os.geteuid() == 0:                   # learner code never runs as root
        assert 0 not in uids
        assert "opened" not in printed and printed.count("refused ") >= 2


def test_an_ungradable_submission_still_gets_a_valid_results_json(autograder, tmp_path):
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "notes.txt").write_text("I could not finish.")
    data, _, _ = grade_on_gradescope(autograder, tmp_path / "upload")
    assert data["score"] == 0 and data["tests"] == []
    assert "holds none of the exercise modules" in data["output"]


def test_the_grade_fits_gradescope_s_768_mb(autograder, full_marks):
    root, _, _ = autograder
    script = (root / "run_autograder").read_text()
    default = gradescope.WORKER_MEMORY_MB
    assert f'export CALCGRADER_MEMORY_MB="${{CALCGRADER_MEMORY_MB:-{default}}}"' in script
    peak_mb = full_marks[2] / 1024        # the largest process of the run: grader or worker
    assert peak_mb + gradescope.WORKER_MEMORY_MB < 768, f"peak {peak_mb:.0f} MB"


def test_the_worker_honours_the_memory_variable(autograder):
    root, env, _ = autograder
    done = subprocess.run(
        [sys.executable, "-c",
         "from grader.isolation.sandbox import Limits; print(Limits().memory_bytes)"],
        cwd=root / "source", env={**env, gradescope.MEMORY_VARIABLE: "384"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 384 << 20, "each worker may still take 2 GiB on Gradescope"
