"""The class report's numbers, read from a batch folder: who was graded, the score
statistics, the module, check, misconception and flagged tables, and the loss-curve bands.

Everything here is plain data (the JSON the report writes); `charts` draws from it and
`page` lays it out.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from grader.contract import MODULES
from grader.problems import ToolProblem
from grader.reports.results import GradeResult, load_grade


class ReportProblem(ToolProblem, ValueError):
    """There is no batch to report on; one line saying what to do."""


NOT_GRADED_PREFIX = "not graded:"
FLAG_KINDS = ("timeout", "crashed", "bad-return")
# Notes the intake and isolation layers leave when a submission holds something odd.
FLAG_NOTE_MARKERS = ("symbolic link", "symlink", "points outside the archive",
                     "not a regular file", "not graded")
CURVE_PLOTS = ("gd_learning_rates", "mini_project_sweep")
HISTOGRAM_BINS = 10


# ---------------------------------------------------------------------- reading

@dataclass
class Student:
    """One finished student of a batch: the folder name is the id links use."""

    id: str
    folder: Path
    result: GradeResult
    not_graded: str = ""          # why the submission could not be read; '' if it was

    @property
    def graded(self) -> bool:
        """Whether the submission could be read (else it is left out of the numbers)."""
        return not self.not_graded

    @property
    def link(self) -> str:
        """The student's own feedback page, relative to the batch folder."""
        return f"{quote(self.id)}/feedback.html"


def load_students(batch_dir: Path) -> tuple[list[Student], list[dict]]:
    """Every DIR/<student>/grade.json (hidden folders skipped), and the unreadable ones."""
    if not batch_dir.is_dir():
        raise ReportProblem(f"{batch_dir}: not a folder (give the --out folder of a batch)")
    students, unreadable = [], []
    for folder in sorted(batch_dir.iterdir()):
        path = folder / "grade.json"
        if folder.name.startswith(".") or not folder.is_dir() or not path.is_file():
            continue
        try:
            result = load_grade(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            unreadable.append({"student": folder.name,
                               "reason": f"grade.json could not be read ({type(exc).__name__})"})
            continue
        reasons = [n[len(NOT_GRADED_PREFIX):].strip() for n in result.notes
                   if n.startswith(NOT_GRADED_PREFIX)]
        reason = "; ".join(r or "no reason given" for r in reasons)
        students.append(Student(folder.name, folder, slim(result), reason))
    return students, unreadable


def slim(result: GradeResult) -> GradeResult:
    """Only what the report uses: messages, descriptions and output go, and the check names
    every student shares are stored once, so memory grows little with the class."""
    result.output = ""
    for check in result.checks:
        check.message = check.description = ""
        check.name, check.module = sys.intern(check.name), sys.intern(check.module)
    return result


def read_plot_data(path: Path) -> tuple[str, list[dict]]:
    """(title, the well-formed loss series) of one plots/<name>.json; ('', []) if it is
    absent or damaged. Values that are not finite become None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", []
    if not isinstance(data, dict):
        return "", []
    series, found = data.get("series"), []
    for item in series if isinstance(series, list) else []:
        if not isinstance(item, dict) or item.get("source") not in ("learner", "reference"):
            continue
        lr, values = item.get("lr"), item.get("values")
        if not _is_number(lr) or not isinstance(values, list) or not all(
                v is None or type(v) in (int, float) for v in values):
            continue
        found.append({"source": item["source"], "lr": float(lr),
                      "label": str(item.get("label", f"lr={lr:g}")),
                      "values": [None if v is None or not math.isfinite(v) else float(v)
                                 for v in values]})
    return str(data.get("title", "")), found


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


# ---------------------------------------------------------------------- the numbers

def statistics(values: Sequence[float]) -> dict:
    """mean, median, quartiles (numpy percentile, linear), min and max; None when empty."""
    if not values:
        return dict.fromkeys(("mean", "median", "q1", "q3", "min", "max"))
    array = np.asarray(values, dtype=np.float64)
    q1, median, q3 = np.percentile(array, [25, 50, 75])
    return {"mean": float(array.mean()), "median": float(median), "q1": float(q1),
            "q3": float(q3), "min": float(array.min()), "max": float(array.max())}


def percent_of(score: float, max_score: float) -> float:
    """score as a percent of max_score, unrounded; 0 when nothing could be scored."""
    return 100.0 * score / max_score if max_score > 0 else 0.0


def histogram_bin(score: float, max_score: float) -> int:
    """0 for 0-10 %, ..., 9 for 90-100 % (full marks included)."""
    if max_score <= 0:
        return 0
    return max(0, min(HISTOGRAM_BINS - 1, math.floor(HISTOGRAM_BINS * score / max_score + 1e-9)))


def summarise(students: list[Student]) -> dict:
    """Counts, score statistics (points and percent) and the histogram; every statistic
    over the graded students only."""
    graded = [s for s in students if s.graded]
    maxima = Counter(s.result.max_score for s in (graded or students))
    max_score = maxima.most_common(1)[0][0] if maxima else 0.0
    scores = [s.result.score for s in graded]
    percents = [percent_of(s.result.score, s.result.max_score) for s in graded]
    counts = [0] * HISTOGRAM_BINS
    for s in graded:
        counts[histogram_bin(s.result.score, s.result.max_score)] += 1
    step = 100 // HISTOGRAM_BINS
    return {
        "students": len(students),
        "graded": len(graded),
        "not_gradable": len(students) - len(graded),
        "not_gradable_students": [{"student": s.id, "reason": s.not_graded, "link": s.link}
                                  for s in students if not s.graded],
        "max_score": float(max_score),
        "max_scores_differ": len(maxima) > 1,
        **statistics(scores),
        "percent": statistics(percents),
        "full_marks": sum(s.result.max_score > 0 and s.result.score >= s.result.max_score
                          for s in graded),
        "zero": sum(s.result.score == 0 for s in graded),
        "histogram": {"bins": [f"{lo}-{lo + step}" for lo in range(0, 100, step)],
                      "edges": list(range(0, 101, step)), "counts": counts},
    }


def module_table(graded: list[Student]) -> list[dict]:
    """Per exercise module, in learning order: mean score of max, pass rate of its checks."""
    rows: dict[str, dict] = {}
    for student in graded:
        for m in student.result.modules:
            row = rows.setdefault(m.module, {"module": m.module, "scores": [], "max_score": 0.0,
                                             "checks_passed": 0, "checks_total": 0})
            row["scores"].append(m.score)
            row["max_score"] = max(row["max_score"], m.max_score)
            row["checks_passed"] += m.passed
            row["checks_total"] += m.total
    order = [m for m in MODULES if m in rows] + sorted(m for m in rows if m not in MODULES)
    table = []
    for module in order:
        row = rows[module]
        mean = float(np.mean(row.pop("scores")))
        table.append({**row, "mean_score": mean,
                      "mean_percent": percent_of(mean, row["max_score"]),
                      "pass_rate": row["checks_passed"] / row["checks_total"]
                      if row["checks_total"] else None})
    return table


def check_table(graded: list[Student]) -> list[dict]:
    """Every check: how many graded students passed it; hardest first, ties by name."""
    rows: dict[str, dict] = {}
    for student in graded:
        for check in student.result.checks:
            row = rows.setdefault(check.name, {
                "name": check.name, "module": check.module, "suite": check.suite,
                "points": 0.0, "students": 0, "passed": 0, "failed": 0,
                "failed_students": [], "failure_kinds": Counter(), "misconceptions": Counter()})
            row["points"] = max(row["points"], check.max_score)
            row["students"] += 1
            if check.passed:
                row["passed"] += 1
                continue
            row["failed"] += 1
            row["failed_students"].append(student.id)
            row["failure_kinds"][check.kind or "check"] += 1
            if check.misconception is not None:
                row["misconceptions"][check.misconception.id] += 1
    table = []
    for row in rows.values():
        row["pass_rate"] = row["passed"] / row["students"]
        row["failure_kinds"] = dict(sorted(row["failure_kinds"].items()))
        row["misconceptions"] = dict(sorted(row["misconceptions"].items()))
        table.append(row)
    return sorted(table, key=lambda r: (r["pass_rate"], r["name"]))


def misconception_table(graded: list[Student]) -> list[dict]:
    """Each misconception recognised in a failed check; a student counts once per id."""
    found: dict[str, dict] = {}
    for student in graded:
        for check in student.result.checks:
            seen = check.misconception
            if check.passed or seen is None:
                continue
            row = found.setdefault(seen.id, {"id": seen.id, "summary": seen.summary,
                                             "hint": seen.hint, "students": [], "checks": [],
                                             "failed_checks": 0})
            row["failed_checks"] += 1
            if student.id not in row["students"]:
                row["students"].append(student.id)
            if check.name not in row["checks"]:
                row["checks"].append(check.name)
    table = []
    for row in found.values():
        count = len(row["students"])
        table.append({**row, "count": count,
                      "share": count / len(graded) if graded else None,
                      "students": sorted(row["students"]), "checks": sorted(row["checks"]),
                      "links": [f"{quote(s)}/feedback.html" for s in sorted(row["students"])]})
    table.sort(key=lambda r: (-r["count"], r["id"]))
    for place, row in enumerate(table):
        row["reteach_first"] = place == 0
    return table


def flagged_table(students: list[Student]) -> list[dict]:
    """Submissions to look at: timeouts, crashes, bad returns, notes from intake/isolation."""
    flagged = []
    for student in students:
        failing = [c for c in student.result.checks if not c.passed and c.kind in FLAG_KINDS]
        notes = [n for n in student.result.notes
                 if any(marker in n.lower() for marker in FLAG_NOTE_MARKERS)]
        if not failing and not notes:
            continue
        flagged.append({"student": student.id, "link": student.link,
                        "kinds": dict(sorted(Counter(c.kind for c in failing).items())),
                        "checks": [c.name for c in failing], "notes": notes,
                        "not_gradable": not student.graded})
    return flagged


# ---------------------------------------------------------------------- loss curves

def diverged(values: Sequence[float | None]) -> bool:
    """A loss curve diverged if it stopped being finite or ended above where it started."""
    if not values or any(v is None for v in values):
        return bool(values)
    return values[-1] > values[0]


def band(curves: list[list[float | None]]) -> dict:
    """Per iteration over the curves still running there, nulls ignored: how many, the
    25th percentile, median and 75th percentile (None where no curve has a value)."""
    width = max((len(c) for c in curves), default=0)
    grid = np.full((len(curves), width), np.nan)
    for row, values in enumerate(curves):
        grid[row, :len(values)] = [np.nan if v is None else v for v in values]
    count, q1, median, q3 = [], [], [], []
    for column in grid.T:
        finite = column[np.isfinite(column)]
        count.append(int(finite.size))
        low, mid, high = (np.percentile(finite, [25, 50, 75]) if finite.size
                          else (None, None, None))
        for target, value in ((q1, low), (median, mid), (q3, high)):
            target.append(None if value is None else float(value))
    return {"count": count, "q1": q1, "median": median, "q3": q3}


def curve_table(graded: list[Student], name: str) -> dict:
    """One shared run (plots/<name>.json): per learning rate, the class against the reference."""
    reference: dict[float, dict] = {}
    learner: dict[float, list[tuple[str, list]]] = {}
    labels: dict[float, str] = {}
    title, with_plot = "", []
    for student in graded:
        heading, series = read_plot_data(student.folder / "plots" / f"{name}.json")
        if not series:
            continue
        title = title or heading
        mine = [s for s in series if s["source"] == "learner"]
        if mine:
            with_plot.append(student.id)
        for item in series:
            if item["source"] == "reference":
                reference.setdefault(item["lr"], item)
            else:
                learner.setdefault(item["lr"], []).append((student.id, item["values"]))
                labels.setdefault(item["lr"], item["label"])
    rates = list(reference) + sorted(lr for lr in learner if lr not in reference)
    panels = [curve_panel(lr, learner.get(lr, []), reference.get(lr), labels.get(lr), graded)
              for lr in rates]
    return {"name": name, "title": title or name, "students_with_curves": len(with_plot),
            "students_without_curves": [s.id for s in graded if s.id not in with_plot],
            "panels": panels}


def curve_panel(lr: float, runs: list[tuple[str, list]], ref: dict | None, label: str | None,
                graded: list[Student]) -> dict:
    """One learning rate of a shared run: runs are (student, losses) of the learners who
    made it, ref the reference series (None if the plot has none), label the learners'."""
    gone = [student for student, values in runs if diverged(values)]
    have = {student for student, _ in runs}
    return {
        "lr": lr,
        "label": label or (ref["label"].removesuffix(", reference") if ref else f"lr={lr:g}"),
        "curves": len(runs), "diverged": len(gone), "diverged_students": gone,
        "no_curve_students": [s.id for s in graded if s.id not in have],
        "reference": ref["values"] if ref else None,
        "reference_diverged": diverged(ref["values"]) if ref else None,
        **band([values for _, values in runs]),
        "_runs": runs,      # for the charts only: drop_runs removes it before the JSON
    }


def drop_runs(report: dict) -> None:
    """Remove the learners' own curves the charts drew from, which the JSON leaves out."""
    for table in report["loss_curves"]:
        for panel in table["panels"]:
            del panel["_runs"]


# ---------------------------------------------------------------------- the whole report

def numbers(batch_dir: Path) -> dict:
    """Every number of batch_dir's report, as the JSON holds them (in that key order), but
    with each loss-curve panel still holding its "_runs" until `drop_runs`.

    Raises ReportProblem when batch_dir is not a folder or holds no <student>/grade.json.
    """
    students, unreadable = load_students(batch_dir)
    if not students:
        raise ReportProblem(f"{batch_dir}: holds no graded students (no <student>/grade.json); "
                            "run `python -m grader batch SUBMISSIONS --out DIR` first")
    graded = [s for s in students if s.graded]
    return {
        "batch": batch_dir.resolve().name,
        "suites": sorted({s.result.suites for s in students}),
        "summary": summarise(students),
        "students": [{"student": s.id, "score": s.result.score,
                      "max_score": s.result.max_score,
                      "percent": percent_of(s.result.score, s.result.max_score),
                      "graded": s.graded, "link": s.link} for s in students],
        "modules": module_table(graded),
        "checks": check_table(graded),
        "misconceptions": misconception_table(graded),
        "loss_curves": [curve_table(graded, name) for name in CURVE_PLOTS],
        "flagged": flagged_table(students),
        "unreadable": unreadable,
    }
