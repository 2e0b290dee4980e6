"""The class report's charts: matplotlib figures drawn from its numbers, as PNG bytes.

Only the Agg canvas is used (no pyplot, no display: a batch runs headless) and margins are
fixed, so a chart costs little however large the class.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from grader.instructor.class_report.model import diverged

DPI = 100


def draw(report: dict) -> dict[str, bytes]:
    """Every chart of a report (its loss-curve panels still holding their runs): "histogram",
    then one per shared run that any student has curves for, by the run's name."""
    charts = {"histogram": histogram_png(report["summary"])}
    for table in report["loss_curves"]:
        if table["panels"]:
            charts[table["name"]] = curves_png(table)
    return charts


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
    """The figure as PNG bytes."""
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
        if place < len(panels):
            _curves_panel(axes, panels[place])
        else:
            axes.set_visible(False)
    grid.flat[0].legend(handles=_legend_handles(), fontsize="small", loc="best")
    return _png(figure)


def _curves_panel(axes: Axes, panel: dict) -> None:
    """One learning rate: the learners, the class band and median, the reference."""
    runs = panel["_runs"]
    _learner_lines(axes, [values for _, values in runs], panel["reference_diverged"])
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


def _learner_lines(axes: Axes, curves: list[Sequence[float | None]],
                   reference_diverged: bool | None) -> None:
    """Every learner's curve, grey, or red if it diverged where the reference converges."""
    alpha = max(0.12, min(0.5, 4 / max(len(curves), 1)))
    # one LineCollection per colour, not one Line2D per learner: memory and drawing time
    # then barely grow with the class
    bad = [values for values in curves if diverged(values) and not reference_diverged]
    fine = [values for values in curves if not (diverged(values) and not reference_diverged)]
    for group, colour, opacity in ((fine, "0.55", alpha), (bad, "#cf222e", 0.7)):
        if group:
            axes.add_collection(LineCollection(
                [piece for values in group for piece in _pieces(values)],
                colors=colour, alpha=opacity, linewidths=1.0, zorder=1))


def _legend_handles() -> list:
    """What the curves' colours mean, drawn in the first panel."""
    return [Line2D([], [], color="#0969da", linewidth=2.6, label="class median"),
            Patch(color="#0969da", alpha=0.25, label="middle half of the class (25-75%)"),
            Line2D([], [], color="black", linestyle="--", label="reference"),
            Line2D([], [], color="0.55", label="one learner"),
            Line2D([], [], color="#cf222e", label="diverged where the reference converges")]


