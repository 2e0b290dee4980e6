"""Checks with learner-facing messages that never reveal expected values.

Hidden tests state their expectation in their docstring and call these helpers, whose
failure message says what came back (type, shape, a few values, the relative error) but
not what was expected. The grader shows a hidden check's CheckFailed message and nothing
else of it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.isolation.plain import describe


class CheckFailed(AssertionError):
    """A check's verdict, worded for the learner."""


def fail(message: str) -> None:
    raise CheckFailed(message)


def expect(condition: bool, message: str) -> None:
    """Fail with message unless condition holds."""
    if not condition:
        fail(message)


def expect_float(got: Any, what: str) -> float:
    """got must be a scalar number (a Python or numpy float/int, or a 0-d array)."""
    if isinstance(got, bool) or not isinstance(got, (int, float, np.ndarray)):
        fail(f"{what} should be a single number, but came back as {describe(got)}")
    if isinstance(got, np.ndarray):
        if got.shape != ():
            fail(f"{what} should be a single number, but came back as {describe(got)}")
        return float(got)
    return float(got)


def expect_array(got: Any, shape: tuple, what: str) -> np.ndarray:
    """got must be an array of exactly this shape (a float is shape ())."""
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = np.asarray(float(got))
    if isinstance(got, (list, tuple)) and all(is_number(v) for v in got):
        got = np.asarray(got, dtype=float)  # a list of numbers is accepted as an array
    if not isinstance(got, np.ndarray):
        fail(f"{what} should be an array of shape {shape}, but came back as {describe(got)}")
    if got.shape != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, but has shape {got.shape}")
    return got


def relative_gap(got: Any, want: Any, atol: float) -> float:
    """max |got - want| / max(max |want|, atol): the error relative to the answer's scale."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, atol)
    return float(np.max(np.abs(got - want))) / scale if got.size else 0.0


def expect_close(got: Any, want: Any, what: str, rtol: float = 1e-7, atol: float = 1e-12) -> None:
    """got must match want elementwise: |got - want| <= atol + rtol * |want|, shapes equal.

    The message reports what came back and the relative error, never want itself.
    """
    want = np.asarray(want, dtype=float)
    if want.shape == ():
        value = expect_float(got, what)
        got_array = np.asarray(value)
    else:
        got_array = expect_array(got, want.shape, what)
    if not np.all(np.isfinite(got_array)) and np.all(np.isfinite(want)):
        fail(f"{what} is not finite: came back as {describe(got)}")
    if not np.allclose(got_array, want, rtol=rtol, atol=atol, equal_nan=True):
        gap = relative_gap(got_array, want, atol)
        fail(f"{what} is off: it came back as {describe(got)}, a relative error of "
             f"{gap:.2g} (allowed: {rtol:.0e})")


def expect_near(got: Any, want: Any, what: str, tolerance: float) -> None:
    """Every |got - want| within the absolute error bound `tolerance` (up to twice it for
    the largest entries); the message reports the error relative to the answer's size."""
    scale = max(float(np.max(np.abs(want))), tolerance)
    expect_close(got, want, what, rtol=tolerance / scale, atol=tolerance)


def expect_float_list(values: Any, what: str) -> list[float]:
    """A learner's list of numbers (a 1-D array is accepted too) as a list of floats."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = list(values)
    expect(isinstance(values, (list, tuple)),
           f"{what} should be a list of floats, but came back as {type(values).__name__}")
    return [expect_float(v, f"{what}: an entry") for v in values]


def expect_finite(got: Any, what: str) -> None:
    """Every number in got must be finite (no inf, no nan)."""
    values = np.asarray(got, dtype=float)
    if not np.all(np.isfinite(values)):
        fail(f"{what} contains inf or nan: came back as {describe(got)}")


def expect_unchanged(submission: Any, what: str | None = None) -> None:
    """The last learner call must not have modified any array it was given."""
    record = submission.last_call
    if record.mutated:
        names = ", ".join(f"`{name}`" for name in record.mutated)
        fail(f"{what or record.function} changed its input {names} in place; "
             "work on a copy (e.g. x = x.copy() or w = w - lr * g instead of w -= ...)")


def expect_no_warnings(submission: Any, what: str | None = None) -> None:
    """The last learner call must not have raised any warning (overflow, divide, invalid)."""
    record = submission.last_call
    if record.warnings:
        fail(f"{what or record.function} raised a warning: {record.warnings[0]}; "
             "rewrite it so no intermediate value overflows")


def expect_equal_length(got: Any, length: int, what: str) -> None:
    """got must be a sequence (list, tuple or 1-D array) of exactly length items."""
    if isinstance(got, np.ndarray):
        size = got.shape[0] if got.ndim == 1 else None
    else:
        size = len(got) if isinstance(got, (list, tuple)) else None
    if size is None:
        fail(f"{what} should be a list of {length} numbers, but came back as {describe(got)}")
    if size != length:
        fail(f"{what} should have {length} entries, but has {size}")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    return is_number(value) and math.isfinite(value)
