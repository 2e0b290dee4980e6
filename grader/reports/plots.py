"""Loss-curve plots: the learner's gradient-descent runs drawn against the reference's.

`draw_plots(submission, plots_dir)` calls the learner's code through `submission` (plain
data in and out; the loss and gradient functions handed to it are called back in this
process), runs this module's own reference loops on the same fixed problems, and writes
plots_dir/<name>.png plus plots_dir/<name>.json, the data behind the picture:

- gd_learning_rates: loss per iteration of gradient_descent on a rotated 2-D quadratic
  (Hessian eigenvalues 1 and 10, so L = 10) at several learning rates, one above 2 / L;
- gd_path: the iterates over that quadratic's contour lines at lr = 1/L and near 2/L;
- mini_project_sweep: learning_rate_sweep on a fixed, seeded classification dataset;
- learner_plot: the PNG the learner's own plot_loss_curves wrote, brought back as bytes.

Every number drawn as the learner's came from the learner's code. A learner function that
is missing or fails costs only its own plot (or series), reported as a one-sentence note;
nothing the learner does makes draw_plots raise. The reference's curves come from
solutions/ where the kit has it (imported in this process: it is the instructor's code),
else from the recorded reference_runs.json of the student bundle. grader.checking.run draws these
plots before any hidden check runs, so no hidden input can reach them.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatter
from matplotlib.transforms import offset_copy
from PIL import Image

from grader.isolation import errors, formulas
from grader.isolation.plain import describe
from grader.isolation.submission import LocalSubmission, Submission
from grader.reports.results import Plot, write_atomically

# The quadratic L(w) = 0.5 (w - w*)^T A (w - w*), A = R diag(1, 10) R^T rotated by 30 deg.
QUAD_EIGENVALUES = (1.0, 10.0)
QUAD_ANGLE = math.pi / 6
QUAD_CENTER = (1.0, -0.5)                 # w*, the minimum
QUAD_START = (-3.0, 2.5)                  # w0 of every run
CURVATURE = max(QUAD_EIGENVALUES)         # L: gradient descent converges iff lr < 2 / L
GD_LRS = (0.02, 0.1, 0.19, 0.21)          # crawl, 1/L, zig-zag, diverge (> 2/L)
PATH_LRS = (0.1, 0.19)
GD_MAX_STEPS = 60
GD_TOL = 1e-10

# The logistic-regression sweep: 80 points, 2 features, two overlapping Gaussian classes.
SWEEP_SEED = 0
SWEEP_POINTS = 80
SWEEP_SHIFT = (1.0, 0.5)                  # class 1 centred at +shift, class 0 at -shift
SWEEP_SPREAD = 2.0                        # standard deviation of every feature in a class
SWEEP_LRS = (0.05, 0.5, 2.0, 8.0)         # crawl, converge, wobble, oscillate
SWEEP_STEPS = 60

KIT_SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
REFERENCE_RUNS_FILE = Path(__file__).with_name("reference_runs.json")
LEARNER_PNG = "learner_loss_curves.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 5 * 1024 * 1024
MAX_PNG_SIDE = 8000                       # pixels; larger images are not embedded
MAX_SERIES_LENGTH = 10_000                # longest loss list drawn
MAX_PATH_POINTS = 2_000                   # most grad_fn arguments recorded per run
FIGSIZE = (7.0, 4.5)
DPI = 100
# Fixed margins (fractions of the figure) instead of tight_layout, which measured every
# tick label before each draw and cost about as much as the draw. LOSS_MARGINS leave room
# for y tick labels up to '6×10⁻¹⁰' wide; PATH_MARGINS leave the right third to the legend.
LOSS_MARGINS = {"left": 0.135, "right": 0.975, "bottom": 0.11, "top": 0.925}
PATH_MARGINS = {"left": 0.10, "right": 0.66, "bottom": 0.11, "top": 0.925}
X_LABEL_DROP = 21.0   # points from the axes to the x label: tick, pad, a tick label, labelpad

LearnerPoints = list[list[float]]


# --------------------------------------------------------------------- fixed problems

def _hessian() -> np.ndarray:
    """A = R diag(eigenvalues) R^T, exactly symmetric and read-only."""
    c, s = math.cos(QUAD_ANGLE), math.sin(QUAD_ANGLE)
    rotation = np.array([[c, -s], [s, c]])
    hessian = rotation @ np.diag(QUAD_EIGENVALUES) @ rotation.T
    hessian = (hessian + hessian.T) / 2
    hessian.setflags(write=False)
    return hessian


QUAD_HESSIAN = _hessian()


def _as_point(w: Any) -> np.ndarray:
    """w as a float64 array of shape (2,), or ValueError (the learner then sees it)."""
    point = np.array(w, dtype=np.float64)
    if point.shape != (2,):
        raise ValueError(f"expected w of shape (2,), got shape {point.shape}")
    return point


def quadratic_loss(w: Any) -> float:
    """L(w) = 0.5 (w - w*)^T A (w - w*)."""
    offset = _as_point(w) - QUAD_CENTER
    with np.errstate(all="ignore"):
        return float(0.5 * offset @ QUAD_HESSIAN @ offset)


def quadratic_grad(w: Any) -> np.ndarray:
    """grad L(w) = A (w - w*)."""
    with np.errstate(all="ignore"):
        return QUAD_HESSIAN @ (_as_point(w) - QUAD_CENTER)


# the same quadratic as a formula: evaluated beside learner code, no round trip per step
QUAD_LOSS, QUAD_GRAD = formulas.quadratic(QUAD_HESSIAN, QUAD_CENTER)


def sweep_dataset() -> tuple[np.ndarray, np.ndarray]:
    """The sweep's (X, y): fresh arrays, the same every call (seeded)."""
    rng = np.random.default_rng(SWEEP_SEED)
    y = (rng.random(SWEEP_POINTS) < 0.5).astype(np.float64)
    X = SWEEP_SPREAD * rng.normal(size=(SWEEP_POINTS, 2)) + np.outer(2 * y - 1, SWEEP_SHIFT)
    return X, y


# --------------------------------------------------------------------- learner runs

class PathRecorder:
    """grad_fn for the learner: the quadratic's gradient, remembering where it was asked.

    The arguments the learner's gradient_descent passes are its iterates; repeated calls
    at the same point (checking the norm, then updating) are recorded once.
    """

    def __init__(self) -> None:
        self.points: LearnerPoints = []

    def __call__(self, w: Any) -> np.ndarray:
        point = _as_point(w)
        if len(self.points) < MAX_PATH_POINTS and (not self.points
                                                   or self.points[-1] != point.tolist()):
            self.points.append(point.tolist())
        return quadratic_grad(point)


def _loss_list(value: Any, function: str) -> list[float]:
    """The learner's loss list as floats, or BadReturnValue saying what came back."""
    items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
    wrong = (type(items) not in (list, tuple) or not 0 < len(items) <= MAX_SERIES_LENGTH
             or any(type(v) not in (int, float) for v in items))
    try:
        losses = [] if wrong else [float(v) for v in items]
    except OverflowError:
        wrong = True
    if wrong:
        raise errors.BadReturnValue(f"{function} returned losses as {describe(value)}, "
                                    f"not a list of at most {MAX_SERIES_LENGTH} floats")
    return losses


def _pair(result: Any, function: str) -> tuple[Any, Any]:
    """(w, losses) from a learner result, or BadReturnValue."""
    if type(result) not in (list, tuple) or len(result) != 2:
        raise errors.BadReturnValue(f"{function} returned {describe(result)}; "
                                    "expected a pair (w, losses)")
    return result[0], result[1]


def learner_descent(submission: Submission, lr: float,
                    grad_fn: Callable = QUAD_GRAD) -> tuple[Any, list[float]]:
    """The learner's gradient_descent on the quadratic: (w as returned, losses as floats)."""
    function = "gradient_descent.gradient_descent"
    result = submission.gradient_descent.gradient_descent(
        QUAD_LOSS, grad_fn, np.array(QUAD_START), lr, max_steps=GD_MAX_STEPS, tol=GD_TOL)
    w, losses = _pair(result, function)
    return w, _loss_list(losses, function)


def learner_path(submission: Submission, lr: float) -> LearnerPoints:
    """The learner's iterates: the points its grad_fn calls saw, then the w it returned."""
    recorder = PathRecorder()
    w, _ = learner_descent(submission, lr, recorder)
    points = recorder.points
    try:
        final = _as_point(w).tolist()
    except (ValueError, TypeError):
        return points
    return points if points and points[-1] == final else [*points, final]


def learner_sweep(submission: Submission) -> list[list[float]]:
    """The learner's learning_rate_sweep on the fixed dataset, one float list per lr."""
    function = "mini_project.learning_rate_sweep"
    X, y = sweep_dataset()
    curves = submission.mini_project.learning_rate_sweep(X, y, list(SWEEP_LRS), SWEEP_STEPS)
    if type(curves) not in (list, tuple) or len(curves) != len(SWEEP_LRS):
        raise errors.BadReturnValue(f"{function} returned {describe(curves)}; expected a "
                                    f"list of {len(SWEEP_LRS)} loss lists, one per rate")
    return [_loss_list(curve, function) for curve in curves]


# --------------------------------------------------------------------- reference runs

def record_reference_runs(reference: Submission) -> dict:
    """The runs every plot compares with, made by the reference implementation.

    {"losses": {repr(lr): [...]}, "paths": {repr(lr): [[x, y], ...]}, "sweep": [[...], ...]}:
    the same calls, on the same fixed problems, as the learner's runs.
    """
    return {"losses": {repr(lr): learner_descent(reference, lr)[1] for lr in GD_LRS},
            "paths": {repr(lr): learner_path(reference, lr) for lr in PATH_LRS},
            "sweep": learner_sweep(reference)}


@functools.lru_cache(maxsize=1)
def reference_runs() -> dict:
    """The reference's runs: from solutions/ where the kit has it (instructors), else from
    reference_runs.json, which the student bundle carries instead of the solutions."""
    if KIT_SOLUTIONS.is_dir():
        return record_reference_runs(LocalSubmission(KIT_SOLUTIONS))
    return json.loads(REFERENCE_RUNS_FILE.read_text())


def _each_rate(run: Callable[[float], Any], lrs: Sequence[float], what: str,
               notes: list[str]) -> dict[float, Any]:
    """run(lr) for every lr; a failed rate becomes a note, all failing loses the plot."""
    results: dict[float, Any] = {}
    problems: list[tuple[float, errors.SubmissionProblem]] = []
    for lr in lrs:
        try:
            results[lr] = run(lr)
        except errors.SubmissionProblem as problem:
            problems.append((lr, problem))
    if not results:
        raise problems[0][1]
    for lr, problem in problems:
        notes.append(_sentence(f"The {what} plot has no curve of yours for lr={lr:g}: {problem}"))
    return results


# --------------------------------------------------------------------- drawing

def _sentence(text: str) -> str:
    """text as one capped line ending in a full stop (learner messages may hold newlines)."""
    text = errors.cap(" ".join(text.split()), 600)
    return text if text.endswith((".", "!", "?")) else text + "."


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _rate_label(lr: float) -> str:
    """'lr=0.1 (= 1/L)', 'lr=0.21 (> 2/L)', 'lr=0.02'."""
    label = f"lr={lr:g}"
    if math.isclose(lr, 1 / CURVATURE):
        return label + " (= 1/L)"
    return label + " (> 2/L)" if lr > 2 / CURVATURE else label


def _loss_series(label: str, source: str, lr: float, values: list[float]) -> dict:
    return {"label": label if source == "learner" else f"{label}, reference",
            "source": source, "lr": float(lr), "values": [_json_float(v) for v in values]}


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class PlainLogFormatter(LogFormatter):
    """Log-axis tick labels as plain text, '10⁻³' and '3×10⁻¹': what matplotlib's default
    LogFormatterSciNotation shows, without a mathtext parse per label (matplotlib caches
    those parses per renderer, and every figure has its own, so each plot paid for all)."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        exponent = math.log10(x)
        if abs(exponent - round(exponent)) < 1e-9:
            return "10" + str(round(exponent)).translate(_SUPERSCRIPTS)
        exponent = math.floor(exponent)
        return f"{x / 10 ** exponent:.3g}×10" + str(exponent).translate(_SUPERSCRIPTS)


def _new_figure(title: str, x_label: str, y_label: str,
                margins: dict[str, float] = LOSS_MARGINS) -> tuple[Figure, Axes]:
    """A figure on its own Agg canvas (no pyplot, no global state), with one titled grid.

    The margins are fixed: tight_layout measured every tick label before the figure was
    drawn and cost about as much as drawing it. For the same reason the title and the x
    label sit at fixed places, just above the axes and one tick label below them (where
    matplotlib put them after measuring the ticks on every draw); the y label, whose tick
    labels vary in width ('10¹' to '6×10⁻¹'), is still placed by matplotlib."""
    figure = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(**margins)
    axes = figure.subplots()
    axes.set_title(title, y=1.0)
    axes.set_xlabel(x_label)
    axes.xaxis.set_label_coords(0.5, 0.0, offset_copy(axes.transAxes, figure, y=-X_LABEL_DROP,
                                                      units="points"))
    axes.set_ylabel(y_label)
    axes.grid(True, alpha=0.35)
    return figure, axes


def _line_style(source: str, markers: bool = False) -> dict:
    """Learner: a wide, light solid line; reference: a thin dashed one drawn on top of it,
    so a learner curve that matches shows as a dashed line inside a solid band."""
    if source == "learner":
        return {"linestyle": "-", "linewidth": 3.2, "alpha": 0.5, "zorder": 2,
                "marker": "o" if markers else None, "markersize": 4}
    return {"linestyle": "--", "linewidth": 1.3, "alpha": 1.0, "zorder": 3}


def _legend_key(rate_labels: Sequence[str], markers: bool = False) -> tuple[list, list[str]]:
    """(handles, labels): one colour per rate, then the two line styles, yours and the
    reference's. The same key whatever the learner returned, and two entries shorter than
    one per series (each legend entry is text matplotlib measures and draws)."""
    handles: list = [Line2D([], [], color=f"C{index}", linewidth=2.5)
                     for index in range(len(rate_labels))]
    handles += [Line2D([], [], color="0.35", **_line_style("learner", markers)),
                Line2D([], [], color="0.35", **_line_style("reference"))]
    return handles, [*rate_labels, "yours", "reference"]


def _drawable(values: Sequence[float | None], log: bool = False) -> np.ndarray:
    """values as floats for drawing only: None (and, on a log axis, v <= 0) as NaN."""
    return np.array([np.nan if v is None or (log and v <= 0) else v for v in values],
                    dtype=np.float64)


class _Frames(threading.local):
    """Per thread, each plot's figure with what is the same for every submission already
    on it: title, axis labels, grid, scales, legend key, the quadratic's level sets.

    Building a figure (axes, ticks, the legend's boxes) and measuring its text cost about
    30% of drawing it, and a long-lived grader draws the same frames for every learner.
    Figures are per thread because matplotlib artists are not thread-safe and draw_plots may
    run in several threads at once; none is ever known to pyplot, so nothing piles up in its
    figure registry, and the figures alive stay these three per thread.
    """

    def __init__(self) -> None:
        self.figures: dict[str, tuple[Figure, Axes]] = {}


_FRAMES = _Frames()


@contextlib.contextmanager
def _frame(name: str, build: Callable[[], tuple[Figure, Axes]]) -> Iterator[tuple[Figure, Axes]]:
    """The thread's figure for plot `name`, built on first use. The lines drawn on it in the
    block are removed after it, so every submission starts from the same frame; a block that
    raises takes the figure with it and the next call builds a fresh one."""
    figure, axes = _FRAMES.figures.pop(name, None) or build()
    frame_lines = set(axes.lines)
    yield figure, axes
    for line in [line for line in axes.lines if line not in frame_lines]:
        line.remove()
    _FRAMES.figures[name] = (figure, axes)


def _loss_frame(text: dict, rate_labels: Sequence[str]) -> tuple[Figure, Axes]:
    """A loss-per-iteration figure without curves: log y axis, legend key."""
    figure, axes = _new_figure(text["title"], "iteration", "loss (log scale)")
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(PlainLogFormatter())
    axes.yaxis.set_minor_formatter(PlainLogFormatter())
    axes.legend(*_legend_key(rate_labels), fontsize="small", ncols=3)
    return figure, axes


def _draw_loss_series(axes: Axes, series: list[dict], lrs: Sequence[float]) -> None:
    """Learner solid, reference dashed, one colour per rate; unplottable values skipped;
    the axes' limits from these curves alone."""
    for item in series:
        values = _drawable(item["values"], log=True)
        axes.plot(np.arange(len(values)), values, color=f"C{lrs.index(item['lr'])}",
                  label=item["label"], **_line_style(item["source"]))
    axes.relim()
    axes.autoscale_view()


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes: RGB (the figure is opaque, so alpha carries nothing) at zlib
    level 3, which encodes in about half the time of savefig's RGBA at level 6 and still
    makes a smaller file."""
    canvas = figure.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(physical=True),
                             canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=3)
    return buffer.getvalue()


def _save(figure: Figure, plots_dir: Path, name: str, data: dict) -> None:
    """plots_dir/<name>.png from the figure and plots_dir/<name>.json from data."""
    write_atomically(plots_dir / f"{name}.png", _png(figure))
    text = json.dumps(data, allow_nan=False, indent=1)
    write_atomically(plots_dir / f"{name}.json", text.encode())


def _save_loss_plot(plots_dir: Path, name: str, text: dict, series: list[dict],
                    lrs: Sequence[float], rate_labels: Sequence[str]) -> Plot:
    """Draw and save one loss-per-iteration plot; text holds title and caption."""
    with _frame(name, lambda: _loss_frame(text, rate_labels)) as (figure, axes):
        _draw_loss_series(axes, series, lrs)
        data = {**text, "x_label": "iteration", "y_label": "loss (log scale)", "y_scale": "log",
                "series": series}
        _save(figure, plots_dir, name, data)
    return Plot(name=name, title=text["title"], caption=text["caption"])


# --------------------------------------------------------------------- the plots

LEARNING_RATES_TEXT = {
    "title": f"Gradient descent on a quadratic (L = {CURVATURE:g}): loss per iteration",
    "caption": "Wide solid lines are your gradient_descent, dashed lines the reference, one "
               "colour per learning rate. Below 2/L every curve should fall onto its dashed twin; "
               "above 2/L the loss must blow up.",
}
PATH_TEXT = {
    "title": "Gradient descent paths over the quadratic's contour lines",
    "caption": "Your iterates (wide solid line with dots) and the reference's (dashed); the star "
               "is the minimum. At lr = 1/L the path should slide into the valley, near 2/L it "
               "zig-zags across it while still closing in.",
}
SWEEP_TEXT = {
    "title": "Logistic regression: learning-rate sweep",
    "caption": "Your learning_rate_sweep (wide solid lines) against the reference (dashed) on "
               "a fixed 80-point dataset. The smallest rate crawls and the largest oscillates; "
               "each solid curve should carry its dashed twin.",
}
LEARNER_TEXT = {
    "title": "Your plot_loss_curves picture",
    "caption": "The PNG your plot_loss_curves wrote for the reference sweep's curves. Look for "
               "one line per learning rate, a log-scale loss axis, labelled axes and a legend.",
}


def plot_learning_rates(submission: Submission, plots_dir: Path, notes: list[str]) -> Plot:
    """gd_learning_rates: learner and reference losses on the quadratic, per rate."""
    runs = _each_rate(lambda lr: learner_descent(submission, lr)[1], GD_LRS,
                      "learning-rate", notes)
    series = [_loss_series(_rate_label(lr), "learner", lr, runs[lr]) for lr in runs]
    reference = reference_runs()["losses"]
    series += [_loss_series(_rate_label(lr), "reference", lr, reference[repr(lr)])
               for lr in GD_LRS]
    return _save_loss_plot(plots_dir, "gd_learning_rates", LEARNING_RATES_TEXT, series, GD_LRS,
                           [_rate_label(lr) for lr in GD_LRS])


def plot_sweep(submission: Submission, plots_dir: Path, notes: list[str]) -> Plot:
    """mini_project_sweep: learner and reference logistic-regression loss curves."""
    curves = learner_sweep(submission)
    reference = reference_runs()["sweep"]
    series = [_loss_series(f"lr={lr:g}", "learner", lr, c) for lr, c in zip(SWEEP_LRS, curves)]
    series += [_loss_series(f"lr={lr:g}", "reference", lr, c)
               for lr, c in zip(SWEEP_LRS, reference)]
    return _save_loss_plot(plots_dir, "mini_project_sweep", SWEEP_TEXT, series, SWEEP_LRS,
                           [f"lr={lr:g}" for lr in SWEEP_LRS])


def _view_box(reference: list[np.ndarray], learner: list[np.ndarray]) -> np.ndarray:
    """[[xmin, ymin], [xmax, ymax]]: the reference paths, plus learner points not far off."""
    known = np.vstack([*reference, QUAD_CENTER])
    low, high = known.min(axis=0), known.max(axis=0)
    span = high - low
    points = np.vstack([known, *learner]) if learner else known
    near = np.all(np.isfinite(points) & (points >= low - 2 * span) & (points <= high + 2 * span),
                  axis=1)
    low, high = points[near].min(axis=0), points[near].max(axis=0)
    pad = 0.08 * (high - low).max()
    return np.array([low - pad, high + pad])


@functools.lru_cache(maxsize=1)
def _level_sets() -> tuple[np.ndarray, ...]:
    """The quadratic's level sets {w : L(w) = c} as closed polylines, exactly: the ellipses
    w* + V diag(sqrt(2c / eigenvalues)) (cos t, sin t) for A = V diag(eigenvalues) V^T.
    Geometrically spaced c from L(w0) down; the same for every submission, so made once."""
    eigenvalues, eigenvectors = np.linalg.eigh(QUAD_HESSIAN)
    turn = np.linspace(0.0, 2 * math.pi, 121)
    circle = np.stack([np.cos(turn), np.sin(turn)])
    levels = quadratic_loss(QUAD_START) * 0.45 ** np.arange(12)
    ellipses = tuple(np.asarray(QUAD_CENTER)
                     + (eigenvectors @ (np.sqrt(2 * level / eigenvalues)[:, None] * circle)).T
                     for level in levels)
    for ellipse in ellipses:
        ellipse.setflags(write=False)
    return ellipses


def _path_frame() -> tuple[Figure, Axes]:
    """The path figure without paths: level sets, the starred minimum, legend key."""
    figure, axes = _new_figure(PATH_TEXT["title"], "w[0]", "w[1]", PATH_MARGINS)
    axes.add_collection(LineCollection(_level_sets(), colors="0.7", linewidths=0.8,
                                       zorder=1), autolim=False)
    star = axes.plot(*QUAD_CENTER, marker="*", markersize=14, color="black", linestyle="none",
                     label="minimum w*", zorder=4)
    handles, labels = _legend_key([_rate_label(lr) for lr in PATH_LRS], markers=True)
    axes.legend([*handles, *star], [*labels, "minimum w*"], fontsize="small",
                loc="center left", bbox_to_anchor=(1.02, 0.5))
    axes.set_aspect("equal", adjustable="box")
    return figure, axes


def _path_series(lr: float, source: str, points: list) -> dict:
    return {"label": _rate_label(lr) if source == "learner" else f"{_rate_label(lr)}, reference",
            "source": source, "lr": float(lr),
            "points": [[_json_float(float(x)), _json_float(float(y))] for x, y in points]}


def _draw_paths(axes: Axes, series: list[dict]) -> None:
    """Learner paths solid with dots, reference dashed."""
    for item in series:
        points = _drawable([v for point in item["points"] for v in point]).reshape(-1, 2)
        axes.plot(points[:, 0], points[:, 1], color=f"C{PATH_LRS.index(item['lr'])}",
                  label=item["label"], **_line_style(item["source"], markers=True))


def plot_path(submission: Submission, plots_dir: Path, notes: list[str]) -> Plot:
    """gd_path: learner and reference iterates over the quadratic's contour lines."""
    runs = _each_rate(lambda lr: learner_path(submission, lr), PATH_LRS, "path", notes)
    reference = {lr: reference_runs()["paths"][repr(lr)] for lr in PATH_LRS}
    series = [_path_series(lr, "learner", runs[lr]) for lr in runs]
    series += [_path_series(lr, "reference", reference[lr]) for lr in PATH_LRS]
    learner_points = [np.array(runs[lr], dtype=np.float64).reshape(-1, 2) for lr in runs]
    box = _view_box([np.array(reference[lr]) for lr in PATH_LRS], learner_points)
    contour = {"center": list(QUAD_CENTER), "hessian": QUAD_HESSIAN.tolist()}
    data = {**PATH_TEXT, "x_label": "w[0]", "y_label": "w[1]", "y_scale": "linear",
            "series": series, "contour": contour}
    with _frame("gd_path", _path_frame) as (figure, axes):
        _draw_paths(axes, series)
        axes.set_xlim(box[0, 0], box[1, 0])
        axes.set_ylim(box[0, 1], box[1, 1])
        _save(figure, plots_dir, "gd_path", data)
    return Plot(name="gd_path", title=PATH_TEXT["title"], caption=PATH_TEXT["caption"])


# --------------------------------------------------------------------- the learner's PNG

def _png_dimensions_problem(data: bytes) -> str:
    """'' if the IHDR chunk gives a sane size, else what is wrong."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return "wrote a file that starts like a PNG but has no image header"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not (0 < width <= MAX_PNG_SIDE and 0 < height <= MAX_PNG_SIDE):
        return f"wrote a PNG of {width} x {height} pixels (at most {MAX_PNG_SIDE} a side is kept)"
    return ""


def check_learner_png(data: bytes | None, problem: str) -> tuple[bytes, str]:
    """(the PNG's bytes, '') or (b'', what is wrong) for what the worker brought back."""
    if data is None:
        return b"", problem or "wrote no file at the path it was given"
    if len(data) > MAX_PNG_BYTES:
        return b"", f"wrote a file larger than {MAX_PNG_BYTES // (1024 * 1024)} MB"
    if not data.startswith(PNG_SIGNATURE):
        return b"", "wrote a file that is not a PNG (it lacks the 8-byte PNG signature)"
    problem = _png_dimensions_problem(data)
    return (b"", problem) if problem else (data, "")


def _pyplot_figure_numbers() -> set[int]:
    """The figures pyplot holds open in this process; none if nothing imported pyplot (the
    grader never does: importing it would pick a backend)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot is not None else set()


def _close_pyplot_figures(keep: set[int]) -> None:
    """Close the pyplot figures opened since `keep`: learner code run in this process
    (LocalSubmission) that draws through pyplot and never closes its figure would otherwise
    leave one behind per submission in a long-lived grader."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    for number in _pyplot_figure_numbers() - keep:
        pyplot.close(number)


def plot_learner_png(submission: Submission, plots_dir: Path, notes: list[str]) -> Plot | None:
    """learner_plot: run plot_loss_curves and keep the PNG it wrote, if it is a sound one.

    The PNG's bytes come back from where the code ran (grader.isolation.figures.OutputFile): this
    process never opens a path the learner's code controls.
    """
    curves = reference_runs()["sweep"]
    labels = [f"lr={lr:g}" for lr in SWEEP_LRS]
    open_before = _pyplot_figure_numbers()
    try:
        returned = submission.mini_project.plot_loss_curves(
            curves, labels, submission.output_file(LEARNER_PNG))
    finally:
        _close_pyplot_figures(open_before)
    record = submission.last_call
    data, problem = check_learner_png(record.files.get(LEARNER_PNG),
                                      record.file_problems.get(LEARNER_PNG, ""))
    if problem:
        notes.append(_sentence(f"No learner plot: mini_project.plot_loss_curves {problem}"))
        return None
    write_atomically(plots_dir / "learner_plot.png", data)
    record = {**LEARNER_TEXT, "source": "learner", "returned": errors.cap(str(returned), 300)}
    write_atomically(plots_dir / "learner_plot.json", json.dumps(record, indent=1).encode())
    return Plot(name="learner_plot", title=LEARNER_TEXT["title"], caption=LEARNER_TEXT["caption"])


# --------------------------------------------------------------------- entry point

PLOTTERS: tuple[tuple[str, Callable[[Submission, Path, list[str]], Plot | None]], ...] = (
    ("learning-rate", plot_learning_rates),
    ("path", plot_path),
    ("learning-rate sweep", plot_sweep),
    ("learner", plot_learner_png),
)


def draw_plots(submission: Submission, plots_dir: Path) -> tuple[list[Plot], list[str]]:
    """Draw every plot the learner's code allows into plots_dir; (plots, notes).

    Each plot writes plots_dir/<name>.png and plots_dir/<name>.json. A plot whose learner
    function is missing or fails is skipped with a one-sentence note; so is one this
    module could not draw, so a plot never costs the grade.
    """
    plots_dir = Path(plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    plots: list[Plot] = []
    notes: list[str] = []
    for what, plotter in PLOTTERS:
        try:
            plot = plotter(submission, plots_dir, notes)
        except errors.SubmissionProblem as problem:
            notes.append(_sentence(f"No {what} plot: {problem}"))
        except Exception as exc:  # a drawing failure must not stop the grade
            notes.append(_sentence(f"No {what} plot: the grader could not draw it "
                                   f"({type(exc).__name__}: {exc})"))
        else:
            if plot is not None:
                plots.append(plot)
    return plots, notes


__all__ = ["draw_plots", "record_reference_runs", "reference_runs", "sweep_dataset",
           "quadratic_loss", "quadratic_grad", "QUAD_HESSIAN"]
