"""Finite-difference gradient checks: is an analytic gradient right?

Compare an analytic gradient with a numerical one by the relative error
    |a - b| / max(|a| + |b|, eps),
which is scale-free: 1e-7 is excellent, 1e-2 means a bug.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradients import numerical_gradient


def relative_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """The largest elementwise relative error between a and b.

    Inputs:
    - a, b: arrays of the same shape (or floats).
    - eps: floor of the denominator, so two zeros give error 0 and not 0 / 0.

    Returns:
    - float: max over elements of abs(a - b) / maximum(abs(a) + abs(b), eps).
    """
    # TODO: Return the maximum relative error as a Python float.
    # HINT: np.maximum keeps the denominator at least eps elementwise.
    # YOUR CODE HERE
    raise NotImplementedError()


def check_gradient(f: Callable, grad_f: Callable, x: np.ndarray,
                   h: float = 1e-5, tol: float = 1e-6) -> tuple[bool, float]:
    """Check an analytic gradient against central differences.

    Inputs:
    - f: scalar function of an array shaped like x.
    - grad_f: its claimed gradient, returning an array shaped like x.
    - x: array at which to check (not modified).
    - h: finite-difference step; tol: the largest relative error that passes.

    Returns:
    - (passed, max_rel_error): max_rel_error = relative_error(grad_f(x),
      numerical_gradient(f, x, h)) and passed = max_rel_error < tol.
    """
    # TODO: Compare grad_f(x) with numerical_gradient(f, x, h).
    # HINT: reuse relative_error and numerical_gradient; return a real bool.
    # YOUR CODE HERE
    raise NotImplementedError()
