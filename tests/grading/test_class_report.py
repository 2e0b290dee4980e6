"""The instructor's class report: its numbers against the per-student results, its page in a
real headless browser, and one real batch of four learners end to end."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from grader.checking.misconceptions import build_submission, load_catalogue
from grader.instructor.class_report import REPORT_HTML, REPORT_JSON, build_class_report, rebuild
from grader.reports import markup
from grader.reports.results import CheckResult, GradeResult, Misconception, load_grade, save_grade

KIT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ a class made by hand

D1 = ("central_difference: derivative of x**3 at 2.0 is 12", "derivatives", "public", 1.0)
D2 = ("central_difference: exact for x**2 at 3.0 even with h=1e-3", "derivatives", "hidden", 2.0)
L1 = ("mse: predictions [1, 2, 3] against [1, 2, 5] give 4/3", "losses", "public", 1.0)
L2 = ("mse_gradient: matches a numerical gradient", "losses", "hidden", 2.0)
G1 = ("gradient_descent: x**2 from 10 with lr=0.1 for 20 steps", "gradient_descent", "public",
      2.0)
G2 = ("gradient_descent: too large a learning rate diverges", "gradient_descent", "hidden", 1.0)
CHECKS = (D1, D2, L1, L2, G1, G2)

DIVIDES_BY_H = Misconception("derivatives.central_difference/divides-by-h",
                             "divides by h instead of 2h",
                             "x - h and x + h are 2h apart: divide by the distance between them.")
SUM_NOT_MEAN = Misconception("losses.mse/sum-not-mean",
                             "sums the squared residuals instead of averaging them",
                             "A mean divides by n: try two equal residuals.")
UNREADABLE = "gus.zip: not a readable zip file <script>alert(1)</script> & more"

# student -> ({check: (kind, misconception)}, notes)
CLASS = {
    "ada": ({}, []),
    "bob": ({D1: ("check", DIVIDES_BY_H), D2: ("check", DIVIDES_BY_H)}, []),
    "cy": ({D1: ("check", DIVIDES_BY_H), G2: ("check", None)}, []),
    "dan": ({L1: ("check", SUM_NOT_MEAN), L2: ("check", SUM_NOT_MEAN)}, []),
    "eve": ({L1: ("crashed", None), L2: ("crashed", None)}, []),
    "fay": ({G1: ("timeout", None), G2: ("timeout", None), D1: ("check", None)}, []),
    "gus": ({c: ("missing-module", None) for c in CHECKS}, [f"not graded: {UNREADABLE}"]),
    "hal": ({L1: ("missing-module", None), L2: ("missing-module", None)},
            ["losses.py is a symbolic link and was not graded"]),
    "ivy": ({c: ("not-implemented", None) for c in CHECKS}, []),
}

REFERENCE = {0.1: [100.0, 10.0, 1.0, 0.1, 0.01], 0.21: [100.0, 200.0, 400.0, 800.0, 1600.0]}
GD_CURVES = {  # student -> lr -> learner losses (None: not finite)
    "ada": dict(REFERENCE),
    "bob": {0.1: [100.0, 50.0, 25.0, 12.5, 6.25], 0.21: REFERENCE[0.21]},
    "cy": {0.1: [100.0, 1000.0, None], 0.21: [100.0, 300.0, None]},
    "dan": {0.1: [100.0, 20.0, 4.0, 0.8, 0.16]},
}
SWEEP_REFERENCE = {0.5: [0.69, 0.6, 0.55]}
SWEEP_CURVES = {"ada": {0.5: [0.69, 0.6, 0.55]}, "bob": {0.5: [0.69, 0.65, 0.7]}}


def make_result(student: str, failures: dict, notes: list[str]) -> GradeResult:
    checks = []
    for number, check in enumerate(CHECKS, 1):
        name, module, suite, points = check
        kind, misconception = failures.get(check, ("", None))
        checks.append(CheckResult(number, name, module, suite, 0.0 if kind else points,
                                  points, not kind, "what came back" if kind else "", kind,
                                  f"{name} holds", misconception))
    return GradeResult(student, "all", checks, notes=list(notes))


def write_plot(path: Path, curves: dict, reference: dict, title: str) -> None:
    series = [{"label": f"lr={lr:g}", "source": "learner", "lr": lr, "values": v}
              for lr, v in curves.items()]
    series += [{"label": f"lr={lr:g}, reference", "source": "reference", "lr": lr, "values": v}
               for lr, v in reference.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"title": title, "y_scale": "log", "series": series}))


def write_hand_class(out: Path) -> Path:
    """The class above as a batch folder: grade.json, feedback.html and plots/*.json each."""
    for student, (failures, notes) in CLASS.items():
        (out / student).mkdir(parents=True)
        save_grade(make_result(student, failures, notes), out / student / "grade.json")
        (out / student / "feedback.html").write_text(f"<p>{student}</p>")
    for student, curves in GD_CURVES.items():
        write_plot(out / student / "plots" / "gd_learning_rates.json", curves, REFERENCE,
                   "Gradient descent on a quadratic")
    for student, curves in SWEEP_CURVES.items():
        write_plot(out / student / "plots" / "mini_project_sweep.json", curves, SWEEP_REFERENCE,
                   "Logistic regression: learning-rate sweep")
    (out / "eve" / "plots").mkdir()
    (out / "eve" / "plots" / "gd_learning_rates.json").write_text("{damaged")
    # what the report must ignore: an unfinished student, a folder without a grade, a file
    (out / ".partial-zed-1").mkdir()
    save_grade(make_result("zed", {}, []), out / ".partial-zed-1" / "grade.json")
    (out / "stray").mkdir()
    (out / "grades.csv").write_text("student,score,max_score\n")
    return out


@pytest.fixture
def hand_class(tmp_path) -> Path:
    return write_hand_class(tmp_path / "batch")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """One hand-made class and its report, shared by the tests that only read them."""
    out = write_hand_class(tmp_path_factory.mktemp("class") / "batch")
    return out, build_class_report(out)


def graded_results(out: Path) -> dict[str, GradeResult]:
    """Every student's grade.json whose submission could be read."""
    results = {p.parent.name: load_grade(p) for p in sorted(out.glob("[!.]*/grade.json"))}
    return {s: r for s, r in results.items()
            if not any(n.startswith("not graded:") for n in r.notes)}


# ------------------------------------------------------------------ the numbers

def test_summary_matches_the_students_grades(built):
    hand_class, report = built
    summary = report["summary"]
    graded = graded_results(hand_class)
    scores = np.array([r.score for r in graded.values()])
    percents = 100 * scores / np.array([r.max_score for r in graded.values()])
    assert sorted(graded) == ["ada", "bob", "cy", "dan", "eve", "fay", "hal", "ivy"]
    assert (summary["students"], summary["graded"], summary["not_gradable"]) == (9, 8, 1)
    assert summary["not_gradable_students"] == [
        {"student": "gus", "reason": UNREADABLE, "link": "gus/feedback.html"}]
    assert summary["max_score"] == 9 and not summary["max_scores_differ"]
    q1, median, q3 = np.percentile(scores, [25, 50, 75])
    assert summary["mean"] == pytest.approx(scores.mean())
    assert (summary["median"], summary["q1"], summary["q3"]) == pytest.approx((median, q1, q3))
    assert (summary["min"], summary["max"]) == (0, 9)
    assert summary["percent"]["median"] == pytest.approx(np.median(percents))
    assert summary["percent"]["q1"] == pytest.approx(np.percentile(percents, 25))
    assert summary["full_marks"] == sum(r.score == r.max_score for r in graded.values()) == 1
    assert summary["zero"] == sum(r.score == 0 for r in graded.values()) == 1   # ivy, not gus
    counts, _ = np.histogram(percents, bins=np.linspace(0, 100, 11))
    assert summary["histogram"]["counts"] == counts.tolist() == [1, 0, 0, 0, 0, 1, 4, 1, 0, 1]
    assert summary["histogram"]["bins"][::9] == ["0-10", "90-100"]
    rows = {row["student"]: row for row in report["students"]}
    assert set(rows) == set(CLASS) and rows["gus"]["graded"] is False
    assert all(rows[s]["score"] == r.score for s, r in graded.items())


def test_checks_carry_the_class_pass_rates_hardest_first(built):
    hand_class, report = built
    graded = graded_results(hand_class)
    for row in report["checks"]:
        verdicts = {s: c.passed for s, r in graded.items() for c in r.checks
                    if c.name == row["name"]}
        assert row["students"] == len(verdicts) == 8
        assert row["passed"] == sum(verdicts.values())
        assert row["failed"] == 8 - row["passed"]
        assert row["failed_students"] == sorted(s for s, ok in verdicts.items() if not ok)
        assert row["pass_rate"] == pytest.approx(row["passed"] / 8)
        name, module, suite, points = next(c for c in CHECKS if c[0] == row["name"])
        assert (row["module"], row["suite"], row["points"]) == (module, suite, points)
    order = [(row["pass_rate"], row["name"]) for row in report["checks"]]
    assert order == sorted(order)
    assert [row["name"] for row in report["checks"]] == [D1[0], L1[0], L2[0], G2[0], D2[0], G1[0]]
    by_name = {row["name"]: row for row in report["checks"]}
    assert by_name[L1[0]]["failure_kinds"] == {"check": 1, "crashed": 1, "missing-module": 1,
                                               "not-implemented": 1}
    assert by_name[D1[0]]["misconceptions"] == {DIVIDES_BY_H.id: 2}


def test_modules_in_learning_order_with_mean_points_and_pass_rates(built):
    hand_class, report = built
    graded = graded_results(hand_class)
    assert [m["module"] for m in report["modules"]] == ["derivatives", "losses",
                                                        "gradient_descent"]
    for row in report["modules"]:
        subtotals = [m for r in graded.values() for m in r.modules if m.module == row["module"]]
        assert row["mean_score"] == pytest.approx(np.mean([m.score for m in subtotals]))
        assert row["max_score"] == 3
        assert row["checks_passed"] == sum(m.passed for m in subtotals)
        assert row["checks_total"] == sum(m.total for m in subtotals) == 16
        assert row["pass_rate"] == pytest.approx(row["checks_passed"] / 16)


def test_misconceptions_counted_once_per_student_most_common_first(built):
    hand_class, report = built
    found = report["misconceptions"]
    assert [m["id"] for m in found] == [DIVIDES_BY_H.id, SUM_NOT_MEAN.id]
    top, other = found
    assert top["reteach_first"] and not other["reteach_first"]
    assert (top["summary"], top["hint"]) == (DIVIDES_BY_H.summary, DIVIDES_BY_H.hint)
    assert top["students"] == ["bob", "cy"] and top["count"] == 2
    assert top["links"] == ["bob/feedback.html", "cy/feedback.html"]
    assert top["failed_checks"] == 3 and top["checks"] == sorted([D1[0], D2[0]])
    assert top["share"] == pytest.approx(2 / 8)
    assert other["students"] == ["dan"] and other["count"] == 1
    assert other["share"] == pytest.approx(1 / 8) and other["checks"] == sorted([L1[0], L2[0]])
    graded = graded_results(hand_class)
    for row in found:
        assert row["students"] == sorted(
            s for s, r in graded.items()
            if any(c.misconception and c.misconception.id == row["id"] for c in r.checks))


def test_flagged_lists_timeouts_crashes_and_intake_notes_exactly(built):
    flagged = built[1]["flagged"]
    assert [(f["student"], f["kinds"], f["not_gradable"]) for f in flagged] == [
        ("eve", {"crashed": 2}, False),
        ("fay", {"timeout": 2}, False),
        ("gus", {}, True),
        ("hal", {}, False),
    ]
    assert flagged[0]["checks"] == [L1[0], L2[0]] and flagged[1]["checks"] == [G1[0], G2[0]]
    assert flagged[2]["notes"] == [f"not graded: {UNREADABLE}"]
    assert flagged[3]["notes"] == ["losses.py is a symbolic link and was not graded"]
    assert flagged[0]["link"] == "eve/feedback.html"


def test_loss_curves_give_the_class_median_and_spread_per_rate(built):
    curves = {t["name"]: t for t in built[1]["loss_curves"]}
    gd = curves["gd_learning_rates"]
    assert gd["students_with_curves"] == 4
    assert gd["students_without_curves"] == ["eve", "fay", "hal", "ivy"]
    slow, fast = gd["panels"]
    assert (slow["lr"], fast["lr"]) == (0.1, 0.21)
    assert slow["reference"] == REFERENCE[0.1] and not slow["reference_diverged"]
    assert fast["reference"] == REFERENCE[0.21] and fast["reference_diverged"]
    assert (slow["curves"], slow["diverged"], slow["diverged_students"]) == (4, 1, ["cy"])
    assert (fast["curves"], fast["diverged"]) == (3, 3)
    assert fast["no_curve_students"] == ["dan", "eve", "fay", "hal", "ivy"]
    for panel in (slow, fast):
        runs = [GD_CURVES[s][panel["lr"]] for s in GD_CURVES if panel["lr"] in GD_CURVES[s]]
        for step in range(5):
            values = [run[step] for run in runs if step < len(run) and run[step] is not None]
            assert panel["count"][step] == len(values)
            q1, median, q3 = np.percentile(values, [25, 50, 75])
            assert panel["median"][step] == pytest.approx(median)
            assert (panel["q1"][step], panel["q3"][step]) == pytest.approx((q1, q3))
    assert slow["count"] == [4, 4, 3, 3, 3] and slow["median"][2] == 4.0
    sweep = curves["mini_project_sweep"]["panels"]
    assert [(p["lr"], p["curves"], p["diverged_students"]) for p in sweep] == [(0.5, 2, ["bob"])]


def test_both_files_are_written_whole_and_the_page_escapes_everything(built):
    hand_class, report = built
    assert json.loads((hand_class / REPORT_JSON).read_text()) == report
    page = (hand_class / REPORT_HTML).read_text()
    assert not list(hand_class.glob(".class_report*"))           # no temporary file left
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert page.count('src="data:image/png;base64,') == 3       # histogram + two runs
    assert 'href="bob/feedback.html"' in page and 'href="gus/feedback.html"' in page
    words = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "zed" not in words and "stray" not in words
    assert re.search(r"Re-teach first</span><h2>divides by h instead of 2h</h2>", page)
    assert f"<style>{markup.BASE_CSS}" in page      # the learner report's stylesheet, extended


def test_rebuild_prints_the_path_and_refuses_an_empty_folder(hand_class, tmp_path, capsys):
    assert rebuild(hand_class) == 0
    assert f"class report: {hand_class / REPORT_HTML}" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no graded students") as caught:
        rebuild(tmp_path / "empty")
    assert "\n" not in str(caught.value)
    with pytest.raises(ValueError, match="not a folder"):
        rebuild(tmp_path / "nowhere")


def test_a_class_nobody_could_grade_still_gets_a_report(tmp_path):
    out = tmp_path / "batch"
    for student in ("ann", "ben"):
        failures, notes = {c: ("missing-module", None) for c in CHECKS}, ["not graded: empty"]
        (out / student).mkdir(parents=True)
        save_grade(make_result(student, failures, notes), out / student / "grade.json")
    report = build_class_report(out)
    summary = report["summary"]
    assert (summary["students"], summary["graded"], summary["not_gradable"]) == (2, 0, 2)
    assert summary["mean"] is None and summary["percent"]["median"] is None
    assert summary["histogram"]["counts"] == [0] * 10 and summary["zero"] == 0
    assert report["checks"] == report["modules"] == report["misconceptions"] == []
    assert [f["student"] for f in report["flagged"]] == ["ann", "ben"]
    assert (out / REPORT_HTML).read_text().count("data:image/png") == 1


def test_command_line_rebuild_exits_0_or_2_with_one_line(hand_class, tmp_path):
    (hand_class / REPORT_HTML).unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-m", "grader.instructor.class_report", str(hand_class)],
                          cwd=KIT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and (hand_class / REPORT_HTML).is_file()
    assert str(hand_class / REPORT_HTML) in done.stdout
    done = subprocess.run([sys.executable, "-m", "grader.instructor.class_report",
                           str(tmp_path / "no")],
                          cwd=KIT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------ a real browser

def test_the_page_renders_its_charts_in_a_headless_browser(built, tmp_path, chromium):
    hand_class, report = built
    page = hand_class / REPORT_HTML
    dom = chromium(page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', dom.stdout)
    assert len(images) == 3
    for data in images:
        picture = mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert picture.shape[0] > 200 and picture.shape[1] > 400 and picture.std() > 0.01
    text = re.sub(r"<[^>]+>", " ", dom.stdout)
    summary = report["summary"]
    headline = f'{summary["percent"]["mean"]:.0f}%'
    for words in ("Re-teach first", "divides by h instead of 2h", headline,
                  "students (8 graded)", "not gradable", "Loss curves of the class"):
        assert words in text
    shot = tmp_path / "report.png"
    done = chromium(page, "--window-size=1280,2400",
                    f"--screenshot={shot}")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    assert pixels[..., :3].var() > 0.005                   # not a blank page


# ------------------------------------------------------------------ a real batch

def test_a_real_batch_of_four_agrees_with_grades_csv_and_each_grade(tmp_path):
    solutions = KIT / "solutions"
    catalogue = {e.id: e for e in load_catalogue(KIT / "tests" / "misconceptions")}
    planted = catalogue["derivatives.central_difference/divides-by-h"]
    submissions = tmp_path / "class"
    shutil.copytree(solutions, submissions / "ada", ignore=shutil.ignore_patterns("__*"))
    build_submission(solutions, planted, submissions / "bob")
    for student, module, source in (
            ("loopy", "gradient_descent",
             "def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):\n"
             "    while True:\n        pass\n"),
            ("crash", "losses", "def mse(y_pred, y):\n    import os\n    os._exit(0)\n")):
        shutil.copytree(solutions, submissions / student, ignore=shutil.ignore_patterns("__*"))
        with (submissions / student / f"{module}.py").open("a") as handle:
            handle.write("\n\n" + source)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--out",
                           str(out), "--tests", "public", "-j", "2"], cwd=KIT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]

    report = build_class_report(out)
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    grades = {s: load_grade(out / s / "grade.json") for s in rows}
    summary = report["summary"]
    assert summary["students"] == summary["graded"] == len(rows) == 4
    scores = np.array([float(rows[s]["score"]) for s in sorted(rows)])
    assert [r["score"] for r in report["students"]] == scores.tolist()
    assert summary["mean"] == pytest.approx(scores.mean())
    assert summary["median"] == pytest.approx(np.median(scores))
    assert summary["full_marks"] == sum(float(r["score"]) == float(r["max_score"])
                                        for r in rows.values()) == 1
    assert summary["max_score"] == float(rows["ada"]["max_score"])
    assert sum(summary["histogram"]["counts"]) == 4

    for row in report["checks"]:
        failed = sorted(s for s, g in grades.items() for c in g.checks
                        if c.name == row["name"] and not c.passed)
        assert row["failed_students"] == failed
    assert report["checks"][0]["pass_rate"] < 1
    top = report["misconceptions"][0]
    assert top["id"] == planted.id and top["students"] == ["bob"] and top["reteach_first"]
    kinds = {f["student"]: set(f["kinds"]) for f in report["flagged"]}
    assert kinds == {"crash": {"crashed"}, "loopy": {"timeout"}}
    curves = {t["name"]: t for t in report["loss_curves"]}
    assert curves["gd_learning_rates"]["students_without_curves"] == ["loopy"]
    assert all(p["curves"] == 3 for p in curves["gd_learning_rates"]["panels"])
    assert (out / REPORT_HTML).is_file()
