"""Files and figures that learner code makes, brought back as plain data.

A check that wants learner code to write a file passes `OutputFile(name)` where the path
goes. Where the code runs (the worker, or this process for a trusted run), the marker
becomes a path in a private outputs/ folder; after the call, the file's bytes come back
with the result, capped, and only if it is a regular file (no symlink is followed, no
FIFO or device is read). The grading process never opens a path learner code controls.

While learner code runs, every matplotlib figure it saves is described as plain data
(`describe_figure`): per axes, its lines with their y data and labels, the y scale, the
axis labels and the legend's entries. Checks verify what a plot shows from these.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_FILE_BYTES = 8 << 20          # a learner's PNG of a few curves is well under 1 MB
MAX_FIGURES, MAX_AXES, MAX_LINES, MAX_POINTS = 8, 16, 64, 100_000
MAX_TEXT = 200
OUTPUTS = "outputs"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class OutputFile:
    """Where a check asks learner code to write a file named `name`."""

    name: str

    def __post_init__(self) -> None:
        if not _SAFE_NAME.match(self.name):
            raise ValueError(f"not a plain file name: {self.name!r}")


def prepare(folder: str, name: str) -> str:
    """The path learner code gets for OutputFile(name): folder/outputs/name, with any old
    file there removed (a stale file must not pass for a new one)."""
    if not _SAFE_NAME.match(name):
        raise ValueError(f"not a plain file name: {name!r}")
    outputs = os.path.join(folder, OUTPUTS)
    os.makedirs(outputs, exist_ok=True)
    path = os.path.join(outputs, name)
    if os.path.lexists(path) and not os.path.isdir(path):
        os.unlink(path)
    return path


def collect(path: str) -> tuple[bytes | None, str]:
    """(the file's bytes, '') or (None, what is wrong); never follows a symlink or blocks."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, "wrote no file at the path it was given"
    except OSError:
        return None, "left something at the path that is not a readable file (a symlink?)"
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None, "left something at the path that is not a regular file"
        data = os.read(descriptor, MAX_FILE_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        return None, f"wrote a file larger than {MAX_FILE_BYTES >> 20} MB"
    return data, ""


# --------------------------------------------------------------------- figures

def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT]


def describe_axes(axes: Any) -> dict:
    """One matplotlib Axes as plain data."""
    lines = []
    for line in axes.get_lines()[:MAX_LINES]:
        y = np.asarray(line.get_ydata(), dtype=np.float64).ravel()[:MAX_POINTS]
        lines.append({"label": _text(line.get_label()), "y": y})
    legend = axes.get_legend()
    entries = [_text(t.get_text()) for t in legend.get_texts()][:MAX_LINES] if legend else []
    return {"lines": lines, "yscale": _text(axes.get_yscale()),
            "xlabel": _text(axes.get_xlabel()), "ylabel": _text(axes.get_ylabel()),
            "legend": entries, "has_legend": legend is not None}


def describe_figure(figure: Any) -> dict:
    """A matplotlib Figure as plain data: its axes (see describe_axes)."""
    axes = []
    for panel in figure.get_axes()[:MAX_AXES]:
        try:
            axes.append(describe_axes(panel))
        except (TypeError, ValueError):       # data that is not numbers: describe no lines
            axes.append({"lines": [], "yscale": "", "xlabel": "", "ylabel": "",
                         "legend": [], "has_legend": False})
    return {"axes": axes}


class FigureRecorder:
    """While active, every Figure.savefig first records describe_figure(figure)."""

    def __init__(self) -> None:
        self.figures: list[dict] = []
        self._original: Any = None

    def __enter__(self) -> FigureRecorder:
        self.figures = []
        try:
            from matplotlib.figure import Figure
        except ImportError:
            return self
        self._original = original = Figure.savefig
        recorder = self

        def savefig(figure: Any, *args: Any, **kwargs: Any) -> Any:
            if len(recorder.figures) < MAX_FIGURES:
                try:
                    recorder.figures.append(describe_figure(figure))
                except Exception:  # noqa: BLE001 - never break the learner's own savefig
                    pass
            return original(figure, *args, **kwargs)
        Figure.savefig = savefig
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._original is not None:
            from matplotlib.figure import Figure
            Figure.savefig = self._original
            self._original = None


def validate_figures(value: Any) -> list[dict]:
    """Figures received from a worker, rebuilt with checked types; ValueError if malformed."""
    if type(value) is not list or len(value) > MAX_FIGURES:
        raise ValueError("malformed figures")
    return [{"axes": [_valid_axes(a) for a in _list(f.get("axes"), MAX_AXES)]}
            for f in value if type(f) is dict]


def _list(value: Any, limit: int) -> list:
    if type(value) is not list or len(value) > limit:
        raise ValueError("malformed figure list")
    return value


def _valid_axes(axes: Any) -> dict:
    if type(axes) is not dict:
        raise ValueError("malformed axes")
    lines = []
    for line in _list(axes.get("lines"), MAX_LINES):
        if type(line) is not dict or type(line.get("y")) is not np.ndarray:
            raise ValueError("malformed line")
        lines.append({"label": _text(line.get("label", "")), "y": line["y"].ravel()})
    return {"lines": lines, "yscale": _text(axes.get("yscale", "")),
            "xlabel": _text(axes.get("xlabel", "")), "ylabel": _text(axes.get("ylabel", "")),
            "legend": [_text(e) for e in _list(axes.get("legend", []), MAX_LINES)],
            "has_legend": axes.get("has_legend") is True}
