"""`python -m grader grade|batch|check` as users run them: files, exit codes, one-line errors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]


def grader(*args: str, cwd: Path = KIT, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def solutions_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("solutions-report")
    done = grader("grade", KIT / "solutions", "--out", out)
    return done, out


def test_grade_of_solutions_gives_full_marks_with_every_file_of_the_spec(solutions_report):
    done, out = solutions_report
    assert done.returncode == 0, done.stderr
    data = results(out)
    assert data["score"] == data["extra_data"]["max_score"] > 0
    assert all(test["status"] == "passed" for test in data["tests"])
    for name in ("feedback.md", "feedback.html", "grade.json"):
        assert (out / name).stat().st_size > 0
    plots = {p.name for p in (out / "plots").iterdir()}
    for stem in ("gd_learning_rates", "gd_path", "mini_project_sweep", "learner_plot"):
        assert {f"{stem}.png", f"{stem}.json"} <= plots
    assert "total" in done.stdout and "100%" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_check_names_are_stable_across_runs(solutions_report, tmp_path):
    _, out = solutions_report
    again = tmp_path / "again"
    assert grader("grade", KIT / "solutions", "--out", again).returncode == 0
    names = [t["name"] for t in results(out)["tests"]]
    assert names == [t["name"] for t in results(again)["tests"]]


def test_grade_of_the_stubs_gives_zero_and_says_not_implemented(tmp_path):
    done = grader("grade", KIT / "exercises", "--out", tmp_path, "--tests", "public")
    assert done.returncode == 0
    data = results(tmp_path)
    assert data["score"] == 0 and data["tests"]
    assert all(t["extra_data"]["kind"] == "not-implemented" for t in data["tests"])
    assert "NotImplementedError" in (tmp_path / "feedback.md").read_text()


FORGING_PLUGIN = """
import os
import pytest

def pytest_configure(config):
    open(os.environ["FORGING_PLUGIN_LOADED"], "w").close()

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    report.outcome, report.longrepr = "passed", None
"""


def test_a_pytest_plugin_installed_in_the_environment_takes_no_part_in_grading(tmp_path):
    """An instructor's environment may have pytest plugins (pytest-randomly reseeds and
    reorders; this one passes everything): none is loaded into a grading session."""
    site = tmp_path / "site"
    (site / "forging_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "forging_plugin.py").write_text(FORGING_PLUGIN)
    (site / "forging_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: forging-plugin\nVersion: 1.0\n")
    (site / "forging_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[pytest11]\nforging = forging_plugin\n")
    loaded = tmp_path / "loaded"
    environment = {**os.environ, "PYTHONPATH": str(site), "FORGING_PLUGIN_LOADED": str(loaded)}
    probe = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "tests/kit/test_kit.py"],
                           cwd=KIT, env=environment, capture_output=True, text=True, timeout=120)
    assert loaded.exists(), "the plugin is installed: a plain pytest loads it"
    loaded.unlink()
    done = subprocess.run([sys.executable, "-m", "grader", "grade", KIT / "exercises", "--out",
                           tmp_path / "out", "--tests", "public"], cwd=KIT, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert results(tmp_path / "out")["score"] == 0, "the plugin passed the stubs' checks"
    assert not loaded.exists(), probe.stdout[-500:]


@pytest.mark.parametrize("target, message", [
    ("no/such/place", "no such file or folder"),
    ("pyproject.toml", "not a folder, .zip or .ipynb"),
    ("grader", "holds none of the exercise modules"),
])
def test_ungradable_paths_get_one_clear_line_and_exit_2(tmp_path, target, message):
    done = grader("grade", target, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) <= 2
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_unwritable_out_dir_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = grader("grade", KIT / "solutions", "--out", blocker / "out")
    assert done.returncode == 2 and "cannot write to" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_damaged_zip_is_one_line(tmp_path):
    broken = tmp_path / "hw.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    done = grader("grade", broken, "--out", tmp_path / "out")
    assert done.returncode == 2 and "zip" in done.stderr and "Traceback" not in done.stderr


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.glob("*.py")):
            archive.write(path, prefix + path.name)
    return target


def test_a_zip_with_modules_one_folder_down_is_graded(tmp_path, make_submission):
    folder = make_submission(remove=("minima",))
    archive = zip_folder(folder, tmp_path / "lms.zip", prefix="Alice Smith_123/")
    done = grader("grade", archive, "--out", tmp_path / "out", "--tests", "public")
    assert done.returncode == 0, done.stderr
    tests = results(tmp_path / "out")["tests"]
    minima = [t for t in tests if t["tags"] == ["minima"]]
    assert minima and all(t["status"] == "failed" for t in minima)
    assert "minima.py is missing" in minima[0]["output"]
    assert all(t["status"] == "passed" for t in tests if t["tags"] != ["minima"])


def test_a_wrong_submission_loses_points_and_names_the_function(tmp_path, make_submission):
    folder = make_submission(append={"gradient_descent": """
        def gd_step(w, grad, lr):
            return w + lr * grad
    """})
    assert grader("grade", folder, "--out", tmp_path / "out").returncode == 0
    failed = [t for t in results(tmp_path / "out")["tests"] if t["status"] == "failed"]
    assert failed and any(t["name"].startswith("gd_step") for t in failed)
    report = (tmp_path / "out" / "feedback.md").read_text()
    assert "gd_step" in report and "Likely misconception" in report


def test_self_check_runs_the_public_suite_on_a_folder(tmp_path):
    done = grader("check", KIT / "solutions", "--out", tmp_path / "feedback")
    assert done.returncode == 0
    data = results(tmp_path / "feedback")
    assert data["score"] == data["extra_data"]["max_score"]
    assert {t["visibility"] for t in data["tests"]} == {"visible"}


def test_junit_is_written_beside_the_report(tmp_path):
    junit = tmp_path / "junit.xml"
    done = grader("grade", KIT / "exercises", "--out", tmp_path / "out", "--tests", "public",
                  "--junit", junit)
    assert done.returncode == 0
    assert "<testsuites" in junit.read_text() and "failure" in junit.read_text()


# ----------------------------------------------------------------------------- batch

@pytest.fixture
def small_class(tmp_path, make_submission):
    """Three students: correct, wrong in one place, and a damaged zip."""
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    make_submission("class/ada")
    make_submission("class/bob", append={"losses": """
        def mse(y_pred, y):
            return float(np.sum((y_pred - y) ** 2))
    """})
    (class_dir / "eve.zip").write_bytes(b"garbage")
    return class_dir


def read_grades(out: Path) -> list[dict]:
    with (out / "grades.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_batch_grades_every_student_and_writes_grades_csv(small_class, tmp_path):
    out = tmp_path / "out"
    done = grader("batch", small_class, "--out", out, "-j", "2", "--tests", "public")
    assert done.returncode == 0, done.stderr
    rows = {row["student"]: row for row in read_grades(out)}
    assert set(rows) == {"ada", "bob", "eve"}
    assert rows["ada"]["score"] == rows["ada"]["max_score"]
    assert float(rows["bob"]["score"]) < float(rows["bob"]["max_score"])
    assert float(rows["bob"]["losses"]) < float(rows["ada"]["losses"])
    assert float(rows["eve"]["score"]) == 0
    assert "zip" in (out / "eve" / "feedback.md").read_text()
    header = (out / "grades.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["student", "score", "max_score"] and "derivatives" in header
    for student in ("ada", "bob", "eve"):
        assert (out / student / "results.json").is_file()
    with (out / "lms_grades.csv").open() as handle:
        lms = {row["Student ID"]: row for row in csv.DictReader(handle)}
    assert lms["ada"]["Percent"] == "100" and "Full marks" in lms["ada"]["Feedback"]
    assert "losses" in lms["bob"]["Feedback"] and lms["bob"]["Grade"] == rows["bob"]["score"]
    assert lms["eve"]["Feedback"].startswith("not graded:")


def test_a_killed_batch_resumes_without_regrading_or_torn_files(small_class, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "batch", str(small_class), "--out", str(out),
               "--tests", "public"]
    process = subprocess.Popen(command, cwd=KIT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out / "ada" / "grade.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p.name for p in out.iterdir() if (p / "grade.json").is_file()}
    assert "ada" in finished
    stamps = {name: (out / name / "grade.json").stat().st_mtime_ns for name in finished}
    if (out / "grades.csv").exists():
        rows = read_grades(out)
        assert all(row["student"] in finished for row in rows)
    done = grader("batch", small_class, "--out", out, "--tests", "public")
    assert done.returncode == 0
    assert "already graded" in done.stderr
    for name, stamp in stamps.items():
        assert (out / name / "grade.json").stat().st_mtime_ns == stamp, f"{name} was regraded"
    assert sorted(row["student"] for row in read_grades(out)) == ["ada", "bob", "eve"]
    assert not list(out.glob(".partial-*"))


def test_batch_on_a_missing_folder_is_one_line(tmp_path):
    done = grader("batch", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert done.returncode == 2 and "not a folder" in done.stderr


def notebook_of(*sources: str) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": source} for source in sources]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def test_a_notebook_submission_is_graded_through_the_worker(tmp_path):
    code = (KIT / "solutions" / "derivatives.py").read_text()
    homework = tmp_path / "derivatives.ipynb"
    homework.write_text(notebook_of("%matplotlib inline", code, "print(central_difference)"))
    done = grader("grade", homework, "--out", tmp_path / "out", "--tests", "public")
    assert done.returncode == 0, done.stderr
    tests = results(tmp_path / "out")["tests"]
    assert all(t["status"] == "passed" for t in tests if t["tags"] == ["derivatives"])
    assert all(t["status"] == "failed" for t in tests if t["tags"] == ["losses"])


def test_a_broken_notebook_is_one_line(tmp_path):
    broken = tmp_path / "losses.ipynb"
    broken.write_text("{ not json")
    done = grader("grade", broken, "--out", tmp_path / "out")
    assert done.returncode == 2 and "not a Jupyter notebook" in done.stderr
    assert "Traceback" not in done.stderr


def test_batch_writes_the_class_report_and_report_rebuilds_it(small_class, tmp_path):
    out = tmp_path / "out"
    assert grader("batch", small_class, "--out", out, "--tests", "public").returncode == 0
    report = json.loads((out / "class_report.json").read_text())
    assert report["summary"]["students"] == 3
    (out / "class_report.html").unlink()
    again = grader("report", out)
    assert again.returncode == 0 and (out / "class_report.html").is_file()
    empty = grader("report", tmp_path)
    assert empty.returncode == 2 and "no graded students" in empty.stderr


def test_nbgrader_writes_a_course(tmp_path):
    done = grader("nbgrader", tmp_path / "course")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "course" / "nbgrader_config.py").is_file()
    notebooks = sorted((tmp_path / "course" / "source").glob("*/*.ipynb"))
    assert [p.stem for p in notebooks] == sorted(p.stem for p in (KIT / "solutions").glob("*.py"))
