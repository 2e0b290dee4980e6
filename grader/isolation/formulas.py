"""Formulas: functions a check hands to learner code, evaluated beside that code.

Checks give learner code functions to call (a loss and its gradient). A plain Python
function stays in the grading process, so under isolation every call the learner makes is
a round trip over the worker channel (about 0.1 ms): a gradient-descent check makes
thousands of them. A Formula is instead a named family from this module plus plain-data
parameters, so the worker rebuilds it and evaluates it in place, with the same numpy and
so the same bits as the grading process.

Nothing that decides a score moves: verdicts still compare what learner code returns with
expectations computed in the grading process. A formula gives learner code nothing it
could not learn by calling the function: its parameters are the function, not the answer
a check expects (that is computed, never sent). Calls to a formula are not counted.

Each family is a pair of functions of (params, w) written as the lesson writes the maths;
`quadratic(A, w_star)` returns the (loss, gradient) pair a check passes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.isolation.plain import NotPlainData, to_plain

FLOAT64 = np.dtype(np.float64)


class FormulaFailed(Exception):
    """A formula could not be evaluated on what learner code passed it."""


class Formula:
    """One part ("loss" or "grad") of a family, with its parameters (plain data)."""

    __slots__ = ("family", "part", "params")

    def __init__(self, family: str, part: str, params: dict[str, Any]):
        if part not in FAMILIES.get(family, {}):
            raise ValueError(f"no formula {family}.{part}")
        self.family, self.part, self.params = family, part, params

    def __call__(self, *args: Any) -> Any:
        # the same contract as a called-back function: plain data in, plain data out.
        # Float64 arrays and floats pass as they are (the formulas never write to their
        # arguments and always return new arrays); anything else goes through to_plain.
        try:
            plain = [a if type(a) is float or (type(a) is np.ndarray and a.dtype == FLOAT64)
                     else to_plain(a) for a in args]
        except NotPlainData as exc:
            raise TypeError(f"a function given to you was called with {exc}") from None
        try:
            value = FAMILIES[self.family][self.part](self.params, *plain)
            fresh = type(value) is float or (type(value) is np.ndarray and value.dtype == FLOAT64)
            return value if fresh else to_plain(value)
        except Exception as exc:
            raise FormulaFailed(f"a function given to you raised {type(exc).__name__}: "
                                f"{str(exc)[:240]}") from None

    def __repr__(self) -> str:
        return f"<{self.family} {self.part}>"


def rebuild(family: Any, part: Any, params: Any) -> Formula:
    """A Formula from decoded message parts; ValueError if it names no known formula."""
    if type(family) is not str or type(part) is not str or type(params) is not dict:
        raise ValueError("malformed formula")
    return Formula(family, part, params)


# --------------------------------------------------------------------------- families

def _quadratic_loss(p: dict, w: Any) -> float:
    # L(w) = 0.5 (w - w*)^T A (w - w*) + offset
    e = w - p["w_star"]
    return float(0.5 * e @ p["A"] @ e + p["offset"])


def _quadratic_grad(p: dict, w: Any) -> np.ndarray:
    # grad L(w) = A (w - w*)   (A symmetric)
    return p["A"] @ (w - p["w_star"])


def _double_well_loss(p: dict, w: Any) -> float:
    # L(w) = (w0^2 - 1)^2 + tilt w0 + bowl * sum(w[1:]^2): two valleys along w0
    return float((w[0] ** 2 - 1.0) ** 2 + p["tilt"] * w[0] + p["bowl"] * np.sum(w[1:] ** 2))


def _double_well_grad(p: dict, w: Any) -> np.ndarray:
    # dL/dw0 = 4 w0 (w0^2 - 1) + tilt;  dL/dwi = 2 bowl wi
    g = 2.0 * p["bowl"] * np.asarray(w, dtype=float)
    g[0] = 4.0 * w[0] * (w[0] ** 2 - 1.0) + p["tilt"]
    return g


def _sum_of_squares_loss(p: dict, w: Any) -> float:
    # L(w) = sum(w^2), the lesson's bowl
    return float(np.sum(np.asarray(w) ** 2))


def _sum_of_squares_grad(p: dict, w: Any) -> np.ndarray:
    # grad L(w) = 2 w
    return 2 * np.asarray(w, dtype=float)


FAMILIES: dict[str, dict[str, Callable]] = {
    "quadratic": {"loss": _quadratic_loss, "grad": _quadratic_grad},
    "double_well": {"loss": _double_well_loss, "grad": _double_well_grad},
    "sum_of_squares": {"loss": _sum_of_squares_loss, "grad": _sum_of_squares_grad},
}


def _pair(family: str, params: dict) -> tuple[Formula, Formula]:
    return Formula(family, "loss", params), Formula(family, "grad", params)


def quadratic(A: np.ndarray, w_star: np.ndarray, offset: float = 0.0
              ) -> tuple[Formula, Formula]:
    """(loss, grad) of 0.5 (w - w*)^T A (w - w*) + offset, A symmetric (d, d), w* (d,)."""
    return _pair("quadratic", {"A": np.array(A, dtype=float), "offset": float(offset),
                               "w_star": np.array(w_star, dtype=float)})


def double_well(tilt: float = 0.3, bowl: float = 0.0) -> tuple[Formula, Formula]:
    """(loss, grad) of (w0^2 - 1)^2 + tilt w0 + bowl sum(w[1:]^2): a local and a global min."""
    return _pair("double_well", {"tilt": float(tilt), "bowl": float(bowl)})


def sum_of_squares() -> tuple[Formula, Formula]:
    """(loss, grad) of sum(w^2), minimum 0 at w = 0."""
    return _pair("sum_of_squares", {})
