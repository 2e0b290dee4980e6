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

`model` reads the batch folder and computes the numbers, `charts` draws them, `page` lays
them out as HTML; this module ties the three together and writes the files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.instructor.class_report import charts, model
from grader.instructor.class_report.model import ReportProblem
from grader.instructor.class_report.page import render_html
from grader.reports.results import write_atomically

__all__ = ["REPORT_HTML", "REPORT_JSON", "ReportProblem", "build_class_report", "class_report",
           "main", "rebuild"]

REPORT_JSON = "class_report.json"
REPORT_HTML = "class_report.html"


def class_report(batch_dir: Path) -> tuple[dict, dict[str, bytes]]:
    """The report's JSON dict and its charts (name -> PNG bytes), without writing."""
    report = model.numbers(batch_dir)
    pictures = charts.draw(report)
    model.drop_runs(report)
    return report, pictures


def build_class_report(batch_dir: Path) -> dict:
    """Write DIR/class_report.json and DIR/class_report.html (atomically); the JSON dict.

    Raises ValueError with one line when batch_dir is not a folder or holds no
    <student>/grade.json.
    """
    batch_dir = Path(batch_dir)
    report, pictures = class_report(batch_dir)
    write_atomically(batch_dir / REPORT_JSON,
                     json.dumps(report, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    write_atomically(batch_dir / REPORT_HTML, render_html(report, pictures))
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

