"""The instructor's class report: what a class got wrong, so it can be re-taught on Monday.

`build_class_report(batch_dir)` reads every DIR/<student>/grade.json a batch wrote (and
the plots/*.json beside it) and writes, each atomically,

- DIR/class_report.json: the numbers, for scripts;
- DIR/class_report.html: one self-contained page (inline CSS, PNG charts as data: URIs,
  no JavaScript) that reads well projected on a screen.

What it holds: the score distribution and summary; the pass rate of every exercise module
and every check, hardest check first; the misconceptions recognised across the class, the
most common one marked "re-teach first"; the class's loss curves on the shared gradient
descent runs (median and middle half per iteration against the reference); and the
submissions that timed out, crashed, returned unusable values or were flagged while being
taken in, for the instructor to look at.

Denominators: a student whose submission could not be read at all (a note starting "not
graded:") is counted and listed with the reason, but left out of every score statistic,
pass rate and share, which describe the graded students only. `rebuild(batch_dir)` (or
`python -m grader.instructor.class_report DIR`) rebuilds the report from a batch folder without
regrading anyone.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from grader.contract import MODULES
from grader.problems import ToolProblem
from grader.reports import formats
from grader.reports.results import GradeResult, load_grade, write_atomically


class ReportProblem(ToolProblem, ValueError):
    """There is no batch to report on; one line saying what to do."""


REPORT_JSON = "class_report.json"
REPORT_HTML = "class_report.html"
NOT_GRADED_PREFIX = "not graded:"
FLAG_KINDS = ("timeout", "crashed", "bad-return")
# Notes the intake and isolation layers leave when a submission holds something odd.
FLAG_NOTE_MARKERS = ("symbolic link", "symlink", "points outside the archive",
                     "not a regular file", "not graded")
CURVE_PLOTS = ("gd_learning_rates", "mini_project_sweep")
HISTOGRAM_BINS = 10
DPI = 100


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
        return not self.not_graded

    @property
    def link(self) -> str:
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
    return 100.0 * score / max_score if max_score > 0 else 0.0


def histogram_bin(score: float, max_score: float) -> int:
    """0 for 0-10 %, ..., 9 for 90-100 % (full marks included)."""
    if max_score <= 0:
        return 0
    return max(0, min(HISTOGRAM_BINS - 1, math.floor(HISTOGRAM_BINS * score / max_score + 1e-9)))


def summarise(students: list[Student]) -> dict:
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
    panels = []
    for lr in rates:
        runs = learner.get(lr, [])
        ref = reference.get(lr)
        gone = [student for student, values in runs if diverged(values)]
        have = {student for student, _ in runs}
        panels.append({
            "lr": lr,
            "label": labels.get(lr) or (ref["label"].removesuffix(", reference") if ref
                                        else f"lr={lr:g}"),
            "curves": len(runs), "diverged": len(gone), "diverged_students": gone,
            "no_curve_students": [s.id for s in graded if s.id not in have],
            "reference": ref["values"] if ref else None,
            "reference_diverged": diverged(ref["values"]) if ref else None,
            **band([values for _, values in runs]),
            "_runs": runs,
        })
    return {"name": name, "title": title or name, "students_with_curves": len(with_plot),
            "students_without_curves": [s.id for s in graded if s.id not in with_plot],
            "panels": panels}


# ---------------------------------------------------------------------- charts

def _new_figure(width: float, height: float) -> Figure:
    # fixed margins (in inches, set by _margins) instead of constrained layout, which
    # measured every tick label several times and cost most of a class report's time
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _margins(figure: Figure, rows: int = 1) -> None:
    """Room for y labels on the left, the x label below and a title above every panel."""
    width, height = figure.get_size_inches()
    panel = height / rows
    figure.subplots_adjust(left=0.95 / width, right=1 - 0.25 / width,
                           bottom=0.7 / height, top=1 - 0.5 / height,
                           wspace=0.85 / (width / 2 - 1.2) if width > 4 else 0.3,
                           hspace=1.25 / max(panel - 1.2, 0.5))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def histogram_png(summary: dict) -> bytes:
    """Bars of graded students per 10 % band, each labelled with its count."""
    figure = _new_figure(10.0, 4.2)
    axes = figure.subplots()
    _margins(figure)
    counts, labels = summary["histogram"]["counts"], summary["histogram"]["bins"]
    positions = np.arange(len(counts))
    bars = axes.bar(positions, counts, color="#0969da", width=0.85)
    axes.bar_label(bars, labels=[str(c) if c else "" for c in counts], fontsize=13)
    axes.set_xticks(positions, [f"{label}%" for label in labels])
    axes.tick_params(labelsize=12)
    axes.set_xlabel("score", fontsize=13)
    axes.set_ylabel("students", fontsize=13)
    axes.set_title(f"Score distribution of the {summary['graded']} graded students",
                   fontsize=15)
    axes.set_ylim(0, max(counts + [1]) * 1.18)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(True, axis="y", alpha=0.35)
    axes.set_axisbelow(True)
    return _png(figure)


def _positive(values: Iterable[float | None]) -> np.ndarray:
    """Values for a log axis: missing, non-finite and non-positive ones become gaps."""
    return np.array([v if v is not None and v > 0 else np.nan for v in values], dtype=np.float64)


def _pieces(values: Sequence[float | None]) -> list[np.ndarray]:
    """(iteration, loss) polylines of one curve, broken where a loss is missing or <= 0."""
    y = _positive(values)
    x = np.arange(len(y), dtype=np.float64)
    keep = np.isfinite(y)
    pieces, start = [], None
    for index, ok in enumerate([*keep, False]):
        if ok and start is None:
            start = index
        elif not ok and start is not None:
            if index - start >= 1:
                pieces.append(np.column_stack([x[start:index], y[start:index]]))
            start = None
    return pieces


def curves_png(table: dict) -> bytes:
    """One panel per learning rate: every learner thin (red if it diverged where the
    reference converges), the class median and middle half in blue, the reference dashed
    black; log scale."""
    panels = table["panels"]
    columns = 2 if len(panels) > 1 else 1
    rows = max(1, math.ceil(len(panels) / columns))
    figure = _new_figure(12.0 if columns > 1 else 7.5, 4.0 * rows)
    grid = figure.subplots(rows, columns, squeeze=False)
    _margins(figure, rows)
    for place, axes in enumerate(grid.flat):
        if place >= len(panels):
            axes.set_visible(False)
            continue
        panel = panels[place]
        runs = panel["_runs"]
        alpha = max(0.12, min(0.5, 4 / max(len(runs), 1)))
        # every learner's curve: one LineCollection per colour, not one Line2D per learner
        # (memory and drawing time then barely grow with the class)
        bad = [values for _, values in runs
               if diverged(values) and not panel["reference_diverged"]]
        fine = [values for _, values in runs
                if not (diverged(values) and not panel["reference_diverged"])]
        for group, colour, opacity in ((fine, "0.55", alpha), (bad, "#cf222e", 0.7)):
            if group:
                axes.add_collection(LineCollection(
                    [piece for values in group for piece in _pieces(values)],
                    colors=colour, alpha=opacity, linewidths=1.0, zorder=1))
        steps = np.arange(len(panel["median"]))
        if len(steps):
            axes.fill_between(steps, _positive(panel["q1"]), _positive(panel["q3"]),
                              color="#0969da", alpha=0.25, linewidth=0, zorder=2)
            axes.plot(steps, _positive(panel["median"]), color="#0969da", linewidth=2.6,
                      zorder=3)
        if panel["reference"]:
            axes.plot(_positive(panel["reference"]), color="black", linestyle="--",
                      linewidth=1.6, zorder=4)
        shown = [v for v in [*(panel["reference"] or []), *panel["median"]]
                 if v is not None and v > 0]
        if shown or any(v is not None and v > 0 for _, values in runs for v in values):
            axes.set_yscale("log")
        reference_note = " (reference diverges too)" if panel["reference_diverged"] else ""
        axes.set_title(f"{panel['label']}: {panel['curves']} curves, {panel['diverged']} "
                       f"diverged{reference_note}", fontsize=11)
        axes.set_xlabel("iteration", fontsize=12)
        axes.set_ylabel("loss (log scale)", fontsize=12)
        axes.tick_params(labelsize=11)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(True, alpha=0.35)
    grid.flat[0].legend(handles=_legend_handles(), fontsize="small", loc="best")
    return _png(figure)


def _legend_handles() -> list:
    return [Line2D([], [], color="#0969da", linewidth=2.6, label="class median"),
            Patch(color="#0969da", alpha=0.25, label="middle half of the class (25-75%)"),
            Line2D([], [], color="black", linestyle="--", label="reference"),
            Line2D([], [], color="0.55", label="one learner"),
            Line2D([], [], color="#cf222e", label="diverged where the reference converges")]


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ---------------------------------------------------------------------- the report

def class_report(batch_dir: Path) -> tuple[dict, dict[str, bytes]]:
    """The report's JSON dict and its charts (name -> PNG bytes), without writing."""
    students, unreadable = load_students(batch_dir)
    if not students:
        raise ReportProblem(f"{batch_dir}: holds no graded students (no <student>/grade.json); "
                         "run `python -m grader batch SUBMISSIONS --out DIR` first")
    graded = [s for s in students if s.graded]
    summary = summarise(students)
    curves = [curve_table(graded, name) for name in CURVE_PLOTS]
    charts = {"histogram": histogram_png(summary)}
    for table in curves:
        if table["panels"]:
            charts[table["name"]] = curves_png(table)
        for panel in table["panels"]:
            del panel["_runs"]
    report = {
        "batch": batch_dir.resolve().name,
        "suites": sorted({s.result.suites for s in students}),
        "summary": summary,
        "students": [{"student": s.id, "score": s.result.score,
                      "max_score": s.result.max_score,
                      "percent": percent_of(s.result.score, s.result.max_score),
                      "graded": s.graded, "link": s.link} for s in students],
        "modules": module_table(graded),
        "checks": check_table(graded),
        "misconceptions": misconception_table(graded),
        "loss_curves": curves,
        "flagged": flagged_table(students),
        "unreadable": unreadable,
    }
    return report, charts


def build_class_report(batch_dir: Path) -> dict:
    """Write DIR/class_report.json and DIR/class_report.html (atomically); the JSON dict.

    Raises ValueError with one line when batch_dir is not a folder or holds no
    <student>/grade.json.
    """
    batch_dir = Path(batch_dir)
    report, charts = class_report(batch_dir)
    write_atomically(batch_dir / REPORT_JSON,
                     json.dumps(report, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    write_atomically(batch_dir / REPORT_HTML, render_html(report, charts))
    return report


def rebuild(batch_dir: Path) -> int:
    """Rebuild the class report of an existing batch folder without regrading; prints
    its path and returns 0 (ValueError, one line, if there is nothing to report on)."""
    batch_dir = Path(batch_dir)
    report = build_class_report(batch_dir)
    summary = report["summary"]
    mean = summary["percent"]["mean"]
    print(f"{summary['students']} students, {summary['graded']} graded"
          + (f", mean {mean:.0f}%" if mean is not None else ""))
    print(f"class report: {batch_dir / REPORT_HTML}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.instructor.class_report DIR`: rebuild DIR's class report; 2 on a
    problem."""
    parser = argparse.ArgumentParser(prog="python -m grader.instructor.class_report",
                                     description="Rebuild a batch folder's class report "
                                                 "without regrading.")
    parser.add_argument("batch_dir", type=Path, help="the --out folder of a batch")
    args = parser.parse_args(argv)
    try:
        return rebuild(args.batch_dir)
    except (ValueError, OSError) as problem:
        text = problem.strerror if isinstance(problem, OSError) and problem.strerror else problem
        print(f"error: {text}", file=sys.stderr)
        return 2


# ---------------------------------------------------------------------- HTML

_CSS = formats._CSS + """
main{max-width:76rem;font-size:1.05rem}
h1{font-size:2rem}h2{font-size:1.5rem;margin:2.2rem 0 .6rem}h3{font-size:1.15rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.9rem;
margin:1.2rem 0}
.card{border:1px solid #d0d7de;border-radius:.6rem;padding:.7rem 1rem;background:#f6f8fa}
.card .value{display:block;font-size:2.6rem;font-weight:700;line-height:1.15;
font-variant-numeric:tabular-nums}
.card .label{display:block;color:#57606a}.card.alert .value{color:#cf222e}
.reteach{border:3px solid #cf222e;background:#fff5f5;border-radius:.7rem;padding:1rem 1.4rem;
margin:1.6rem 0}
.reteach .tag{display:inline-block;background:#cf222e;color:#fff;font-weight:700;
text-transform:uppercase;letter-spacing:.05em;padding:.1rem .6rem;border-radius:.3rem}
.reteach h2{font-size:1.9rem;margin:.5rem 0}.reteach .share{font-size:1.5rem;font-weight:700}
.reteach .hint{font-size:1.2rem}
.ok{border:3px solid #1a7f37;background:#f0fff4;border-radius:.7rem;padding:1rem 1.4rem}
tr.first{background:#fff5f5}td.wrap{max-width:26rem}
.students a{margin-right:.5rem;white-space:nowrap}
.rate{display:flex;align-items:center;gap:.5rem}.rate .bar{flex:1}
.rate span.num{min-width:3.2rem;text-align:right;font-variant-numeric:tabular-nums}
"""


def esc(text: object) -> str:
    """Any text as HTML: cleaned of characters no format carries, then escaped."""
    return html.escape(formats.clean(text))


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.0f}%"


def _rate(count: int, total: int) -> str:
    """'67%': whole percent that never rounds up to 100 unless everyone passed."""
    return "-" if total <= 0 else f"{formats.percent(count, total)}%"


def _points(value: float | None) -> str:
    return "-" if value is None else formats.number_text(value)


def _student_links(ids: Iterable[str]) -> str:
    return "".join(f'<a href="{esc(quote(s))}/feedback.html">{esc(s)}</a>' for s in ids)


def _rate_bar(label: str, passed: int, total: int) -> str:
    """A pass-rate bar in the learner report's colours, announced as 'label: n of m passed'."""
    share = 0 if total <= 0 else round(100 * passed / total)
    level = "" if total and passed == total else " partial" if share >= 50 else " low"
    name = esc(f"{label}: {passed} of {total} passed")
    return (f'<div class="rate"><div class="bar{level}" role="progressbar" aria-valuemin="0" '
            f'aria-valuemax="{total}" aria-valuenow="{passed}" aria-label="{name}">'
            f'<span style="width:{share}%"></span></div>'
            f'<span class="num">{_rate(passed, total)}</span></div>')


def _card(value: str, label: str, alert: bool = False) -> str:
    return (f'<div class="card{" alert" if alert else ""}"><span class="value">{value}</span>'
            f'<span class="label">{label}</span></div>')


def html_headline(report: dict) -> str:
    s = report["summary"]
    p = s["percent"]
    cards = [
        _card(str(s["students"]), f"students ({s['graded']} graded)"),
        _card(_pct(p["mean"]), f"mean score ({_points(s['mean'])} / {_points(s['max_score'])})"),
        _card(_pct(p["median"]), f"median score ({_points(s['median'])} points)"),
        _card(str(s["full_marks"]), "full marks"),
        _card(str(s["zero"]), "scored zero", alert=s["zero"] > 0),
        _card(str(s["not_gradable"]), "not gradable", alert=s["not_gradable"] > 0),
        _card(str(len(report["flagged"])), "to look at", alert=bool(report["flagged"])),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def html_reteach(report: dict) -> str:
    table = report["misconceptions"]
    if not table:
        return ('<section class="ok"><h2>No catalogued misconception was recognised</h2>'
                '<p>Look at the hardest checks below for what to revisit.</p></section>')
    top = table[0]
    share = _pct(None if top["share"] is None else 100 * top["share"])
    return (f'<section class="reteach" aria-label="re-teach first"><span class="tag">'
            f"Re-teach first</span><h2>{formats.html_text(top['summary'])}</h2>"
            f'<p class="share">{top["count"]} of {report["summary"]["graded"]} graded students '
            f"({share})</p><p class=\"hint\"><strong>What to say:</strong> "
            f"{formats.html_text(top['hint'])}</p>"
            f'<p class="muted">{esc(top["id"])}, seen in: '
            f"{'; '.join(formats.html_text(c) for c in top['checks'])}</p>"
            f'<p class="students">Students: {_student_links(top["students"])}</p></section>')


def html_distribution(report: dict, charts: dict[str, bytes]) -> str:
    s, p = report["summary"], report["summary"]["percent"]
    rows = "".join(f'<tr><th scope="row">{label}</th><td class="num">{_points(s[key])}</td>'
                   f'<td class="num">{_pct(p[key])}</td></tr>'
                   for label, key in (("mean", "mean"), ("lower quartile", "q1"),
                                      ("median", "median"), ("upper quartile", "q3"),
                                      ("lowest", "min"), ("highest", "max")))
    bins = zip(s["histogram"]["bins"], s["histogram"]["counts"])
    alt = "Histogram of scores: " + ", ".join(f"{b}%: {c} students" for b, c in bins)
    parts = ["<section><h2>Score distribution</h2>",
             f'<figure><img src="{data_uri(charts["histogram"])}" alt="{esc(alt)}"></figure>',
             '<table><caption class="muted">Over the graded students; full marks '
             f'{s["full_marks"]}, zero {s["zero"]}. Max score {_points(s["max_score"])}'
             f'{" (not the same for every student)" if s["max_scores_differ"] else ""}.'
             '</caption><thead><tr><th scope="col"></th><th scope="col" class="num">points'
             f'</th><th scope="col" class="num">percent</th></tr></thead><tbody>{rows}'
             "</tbody></table>"]
    lost = s["not_gradable_students"] + [{**u, "link": ""} for u in report["unreadable"]]
    if lost:
        items = "".join(
            f"<li>{_student_links([u['student']]) if u['link'] else esc(u['student'])}: "
            f"{esc(u['reason'])}</li>" for u in lost)
        parts.append(f"<h3>Not gradable ({len(lost)})</h3><p class=\"muted\">Counted as "
                     "students, left out of the numbers above.</p>"
                     f"<ul>{items}</ul>")
    return "".join(parts) + "</section>"


def html_misconceptions(report: dict) -> str:
    table = report["misconceptions"]
    if not table:
        return ""
    rows = []
    for row in table:
        share = None if row["share"] is None else 100 * row["share"]
        rows.append(f'<tr class="{"first" if row["reteach_first"] else ""}">'
                    f'<td class="wrap"><strong>{formats.html_text(row["summary"])}</strong>'
                    f'<br><span class="muted">{esc(row["id"])}</span></td>'
                    f'<td class="num">{row["count"]}</td><td class="num">{_pct(share)}</td>'
                    f'<td class="wrap">{formats.html_text(row["hint"])}</td>'
                    f'<td class="students">{_student_links(row["students"])}</td>'
                    f'<td class="wrap">{"<br>".join(formats.html_text(c) for c in row["checks"])}'
                    "</td></tr>")
    return ("<section><h2>Misconceptions recognised across the class</h2>"
            '<table><thead><tr><th scope="col">Misconception</th>'
            '<th scope="col" class="num">Students</th><th scope="col" class="num">Share</th>'
            '<th scope="col">What to explain</th><th scope="col">Who</th>'
            f'<th scope="col">Seen in</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            "</section>")


def html_modules(report: dict) -> str:
    rows = "".join(
        f'<tr><th scope="row">{esc(m["module"])}</th>'
        f'<td class="num">{_points(m["mean_score"])} / {_points(m["max_score"])}</td>'
        f'<td>{_rate_bar(m["module"], m["checks_passed"], m["checks_total"])}</td></tr>'
        for m in report["modules"])
    return ("<section><h2>Exercise modules</h2><table><thead><tr>"
            '<th scope="col">Module</th><th scope="col" class="num">Mean points</th>'
            '<th scope="col">Checks passed</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></section>")


def _check_rows(checks: list[dict]) -> str:
    return "".join(
        f'<tr><td class="wrap">{formats.html_text(c["name"])}</td><td>{esc(c["module"])}</td>'
        f'<td>{esc(c["suite"])}</td><td class="num">{_points(c["points"])}</td>'
        f'<td>{_rate_bar(c["name"], c["passed"], c["students"])}</td>'
        f'<td class="num">{c["failed"]}</td></tr>' for c in checks)


def html_checks(report: dict) -> str:
    header = ('<thead><tr><th scope="col">Check</th><th scope="col">Module</th>'
              '<th scope="col">Suite</th><th scope="col" class="num">Points</th>'
              '<th scope="col">Pass rate</th><th scope="col" class="num">Failed</th></tr>'
              "</thead>")
    hard = [c for c in report["checks"] if c["failed"]]
    easy = [c for c in report["checks"] if not c["failed"]]
    parts = ["<section><h2>Checks, hardest first</h2>"]
    if hard:
        parts.append(f"<table>{header}<tbody>{_check_rows(hard)}</tbody></table>")
    else:
        parts.append("<p>Every graded student passed every check.</p>")
    if easy:
        parts.append(f"<details><summary>Checks every graded student passed ({len(easy)})"
                     f"</summary><table>{header}<tbody>{_check_rows(easy)}</tbody></table>"
                     "</details>")
    return "".join(parts) + "</section>"


def html_curves(report: dict, charts: dict[str, bytes]) -> str:
    parts = ["<section><h2>Loss curves of the class</h2><p class=\"muted\">Each panel is one "
             "learning rate of a run every learner made on the same problem. Thin grey lines: "
             "one learner each; red: a learner whose loss diverged (stopped being finite or "
             "ended above where it started) where the reference converges; blue: the class "
             "median and its middle half (25-75%) per iteration, values that are not finite "
             "left out; dashed black: the reference.</p>"]
    for table in report["loss_curves"]:
        parts.append(f"<h3>{formats.html_text(table['title'])}</h3>")
        if table["name"] not in charts:
            parts.append('<p class="muted">No student has curves for this run.</p>')
            continue
        parts.append(f'<figure><img src="{data_uri(charts[table["name"]])}" '
                     f'alt="{esc(table["title"])}: class against reference"></figure>')
        rows = "".join(
            f'<tr><th scope="row">{esc(p["label"])}</th><td class="num">{p["curves"]}</td>'
            f'<td class="num">{p["diverged"]}</td><td>'
            f'{"diverges too" if p["reference_diverged"] else "converges"}</td>'
            f'<td class="students">{_student_links(p["diverged_students"])}</td></tr>'
            for p in table["panels"])
        parts.append('<table><thead><tr><th scope="col">Learning rate</th>'
                     '<th scope="col" class="num">Curves</th>'
                     '<th scope="col" class="num">Diverged</th><th scope="col">Reference</th>'
                     f'<th scope="col">Who diverged</th></tr></thead><tbody>{rows}</tbody>'
                     "</table>")
        if table["students_without_curves"]:
            parts.append('<p class="muted">No curves from: '
                         f'<span class="students">'
                         f'{_student_links(table["students_without_curves"])}</span>'
                         " (their reports say why).</p>")
    return "".join(parts) + "</section>"


def html_flagged(report: dict) -> str:
    flagged = report["flagged"]
    parts = ["<section><h2>Submissions to look at</h2><p class=\"muted\">Checks that timed "
             "out, crashed the worker or got an unusable return value, and notes the intake "
             "and isolation layers left (possible tampering).</p>"]
    if not flagged:
        return "".join(parts) + "<p>None.</p></section>"
    rows = []
    for row in flagged:
        kinds = ", ".join(f"{esc(kind)} &times; {count}" for kind, count in row["kinds"].items())
        notes = "<br>".join(esc(n) for n in row["notes"])
        rows.append(f'<tr><td class="students">{_student_links([row["student"]])}</td>'
                    f"<td>{kinds or '-'}</td><td class=\"wrap\">{notes or '-'}</td></tr>")
    parts.append('<table><thead><tr><th scope="col">Student</th><th scope="col">Failed '
                 'checks by kind</th><th scope="col">Notes</th></tr></thead>'
                 f"<tbody>{''.join(rows)}</tbody></table>")
    return "".join(parts) + "</section>"


def render_html(report: dict, charts: dict[str, bytes]) -> str:
    """class_report.html: one self-contained page, no JavaScript, all text escaped."""
    title = f"Class report: {esc(report['batch'])}"
    suites = ", ".join(esc(s) for s in report["suites"])
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{_CSS}</style></head><body><main>"
            f'<h1>{title}</h1><p class="muted">{report["summary"]["students"]} students '
            f"(checks: {suites}). Every name links to that student's own feedback.</p>"
            f"{html_headline(report)}{html_reteach(report)}"
            f"{html_distribution(report, charts)}{html_misconceptions(report)}"
            f"{html_modules(report)}{html_checks(report)}{html_curves(report, charts)}"
            f"{html_flagged(report)}</main></body></html>\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
