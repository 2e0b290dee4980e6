"""Gradient checks for the public suite: an analytic derivative against the slope of a function.

A learner's gradient is compared with central differences of the learner's own loss, the
habit the lesson's gradient check teaches. When they disagree, the failure shows a small
fixed-width table of the worst coordinates (coordinate, analytic, numerical, relative
error) under the sentence DISAGREES. When the learner's loss is itself off, its slope is
no reference: the check says so and compares with the slope of the contract's loss instead.

A coordinate agrees when |analytic - numerical| <= RTOL * (|analytic| + |numerical|) + atol,
atol = ATOL * max(1, |f|): central differences with step H carry truncation about
H**2 * |f'''| / 6 and round-off about eps * |f| / H, both below 1e-9 * max(1, |f|) on the
checks' inputs, so ATOL leaves a margin of 100. A wrong derivative (a missing factor, a
sign, a transpose) is off by a sizeable fraction of the gradient itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checking.expect import expect_array, fail
from grader.isolation.plain import describe

H = 1e-5
RTOL = 1e-6
ATOL = 1e-7
ROWS = 3
DISAGREES = "your derivative disagrees with the slope of {reference} here"
LOSS_OFF = ("your {name} is off here (it gave {got:.6g}, not {want:.6g}; see its own check), "
            "so the correct {name} stands in for it")
# ratio = analytic / numerical: the same ratio on every row is a constant factor (a lost
# 1/n, a lost 2), a negative one a sign
HEADER = f"{'entry':>10} {'analytic':>11} {'numerical':>11} {'ratio':>8} {'rel. err':>8}"


def central_slopes(f: Callable[[np.ndarray], Any], w: np.ndarray, h: float = H) -> np.ndarray:
    """Central differences of a scalar function f along every coordinate of w.

    Inputs:
    - f: callable taking an array shaped like w, returning a number.
    - w: float64 array of any shape (not modified).

    Returns:
    - array shaped like w: entry i is (f(w + h e_i) - f(w - h e_i)) / (2 h).
    """
    slopes = np.zeros_like(w, dtype=float)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w, dtype=float)
        step[index] = h
        slopes[index] = (float(f(w + step)) - float(f(w - step))) / (2 * h)
    return slopes


def elementwise_slopes(f: Callable[[np.ndarray], Any], z: np.ndarray, h: float = H) -> np.ndarray:
    """Central differences of an elementwise function f at every entry of z.

    Inputs:
    - f: callable acting elementwise on an array shaped like z.
    - z: float64 array of any shape.

    Returns:
    - array shaped like z: (f(z + h) - f(z - h)) / (2 h).
    """
    ahead = np.asarray(f(z + h), dtype=float)
    behind = np.asarray(f(z - h), dtype=float)
    return (ahead - behind) / (2 * h)


def index_labels(name: str, shape: tuple) -> list[str]:
    """'w[0]', 'w[1]', ... or 'W1[0, 2]': one label per entry of an array, in C order."""
    return [f"{name}[{', '.join(map(str, index))}]" if index else name
            for index in np.ndindex(shape)]


def relative_errors(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """|a - b| / max(|a| + |b|, 1e-12) elementwise, as the lesson's relative_error."""
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)


def disagreement_table(analytic: np.ndarray, numeric: np.ndarray, labels: Sequence[str],
                       atol: float, rows: int = ROWS) -> str:
    """The fixed-width table of the `rows` coordinates that disagree most.

    Inputs:
    - analytic, numeric: arrays of the same shape; labels: one per entry (C order).
    - atol: the absolute slack of the comparison (ranks tiny coordinates fairly).

    Returns:
    - the header and one line per coordinate, worst first, joined by newlines.
    """
    a, n = np.ravel(analytic), np.ravel(numeric)
    excess = np.abs(a - n) / (atol + RTOL * (np.abs(a) + np.abs(n)))
    worst = np.argsort(-excess, kind="stable")[:rows]
    errors = relative_errors(a, n)
    lines = [HEADER] + [f"{labels[i][-10:]:>10} {a[i]:>11.5g} {n[i]:>11.5g} "
                        f"{ratio(a[i], n[i]):>8} {errors[i]:>8.1e}" for i in worst]
    return "\n".join(lines)


def ratio(analytic: float, numeric: float) -> str:
    """analytic / numeric to 3 digits, or '-' where the slope is 0."""
    return f"{analytic / numeric:.3g}" if abs(numeric) > 1e-12 else "-"


def expect_slopes(analytic: Any, numeric: np.ndarray, what: str, labels: Sequence[str],
                  reference: str = "your own loss", scale: float = 1.0, note: str = "") -> None:
    """Fail with the disagreement table unless analytic matches the numerical slopes.

    Inputs:
    - analytic: the learner's derivative (checked to be shaped like numeric).
    - numeric: central differences of the reference function; labels: one per entry.
    - what: where the check looked, e.g. "mse_gradient at random point 2".
    - reference: the function whose slope was taken, as the sentence names it.
    - scale: the size of the function's values (sets atol); note: a line put first.
    """
    analytic = expect_array(analytic, numeric.shape, what)
    atol = ATOL * max(1.0, abs(scale))
    slack = atol + RTOL * (np.abs(analytic) + np.abs(numeric))
    if np.all(np.abs(analytic - numeric) <= slack):
        return
    if not np.all(np.isfinite(analytic)):
        fail(f"{what}: your derivative came back with inf or nan entries")
    bad = int(np.sum(~(np.abs(analytic - numeric) <= slack)))
    sentence = DISAGREES.format(reference=reference)
    shown = min(ROWS, numeric.size)
    lines = [note, f"{what}: {sentence} ({bad} of {numeric.size} entries, worst "
                   f"{shown} shown):",
             disagreement_table(analytic, numeric, labels, atol)]
    fail("\n".join(line for line in lines if line))


def loss_reference(own: Callable, correct: Callable, w: np.ndarray, name: str,
                   rtol: float = 1e-9) -> tuple[Callable, str, float]:
    """The function whose slope a gradient is checked against, and the note to show.

    The learner's own function when it agrees with the correct one at w (within rtol),
    otherwise the correct one, with a note saying the learner's is off.

    Returns:
    - (function, note, scale): note is "" when the learner's own function is used; scale
      is the size of the function's values at w.
    """
    want = np.asarray(correct(w), dtype=float)
    value = own(w)
    try:
        got = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return correct, f"your {name} returned {describe(value)}", scale_of(want)
    if got.shape != want.shape:
        return correct, f"your {name} returned shape {got.shape}, not {want.shape}", scale_of(want)
    if np.allclose(got, want, rtol=rtol, atol=1e-14):
        return own, "", scale_of(want)
    worst = int(np.argmax(np.where(np.isnan(got), np.inf, np.abs(got - want))))
    note = LOSS_OFF.format(name=name, got=got.flat[worst], want=want.flat[worst])
    return correct, note, scale_of(want)


def scale_of(values: np.ndarray) -> float:
    """The size of a function's values: the largest magnitude (0 for none)."""
    return float(np.max(np.abs(values))) if values.size else 0.0


def flatten(params: dict) -> tuple[np.ndarray, list[str], Callable[[np.ndarray], dict]]:
    """A dict of arrays and floats as one vector, its labels, and the way back.

    Returns:
    - (vector, labels, unflatten): unflatten(vector) is a dict shaped like params
      (a float entry comes back as a float).
    """
    shapes = {key: np.shape(value) for key, value in params.items()}
    vector = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in params.values()])
    labels = [label for key, shape in shapes.items() for label in index_labels(key, shape)]

    def unflatten(flat: np.ndarray) -> dict:
        out, start = {}, 0
        for key, shape in shapes.items():
            size = int(np.prod(shape, dtype=int))
            part = flat[start:start + size]
            out[key] = float(part[0]) if shape == () else part.reshape(shape).copy()
            start += size
        return out

    return vector, labels, unflatten


def expect_gradient(analytic: Any, own: Callable, correct: Callable, w: np.ndarray, what: str,
                    name: str, reference: str = "your own loss", label: str = "w") -> None:
    """The learner's gradient at w against central differences of their own loss.

    Inputs:
    - analytic: the learner's gradient at w; own: the learner's loss as a function of w;
      correct: the contract's loss, used instead when own is off at w.
    - w: float64 array (any shape); what: where the check looked; name: own's name
      (e.g. "mse"); reference: how the sentence names own; label: the name of w's entries.
    """
    function, note, scale = loss_reference(own, correct, w, name)
    shown = reference if not note else f"the correct {name}"
    expect_slopes(analytic, central_slopes(function, w), what, index_labels(label, w.shape),
                  reference=shown, scale=scale, note=note)


def expect_elementwise_derivative(analytic: Any, own: Callable, correct: Callable, z: np.ndarray,
                                  what: str, name: str, label: str = "z") -> None:
    """The learner's elementwise derivative at z against the slopes of their own function.

    Inputs: as expect_gradient, with own and correct acting elementwise on z.
    """
    function, note, scale = loss_reference(own, correct, z, name)
    shown = f"your own {name}" if not note else f"the correct {name}"
    expect_slopes(analytic, elementwise_slopes(function, z), what, index_labels(label, z.shape),
                  reference=shown, scale=scale, note=note)
