"""Functions and derivatives: finite differences and polynomial derivatives.

The derivative is the limit of a difference quotient,
    f'(x) = lim_{h -> 0} (f(x + h) - f(x)) / h,
so a small finite h gives a computable estimate. How the two evaluation points are
placed decides how fast the estimate's error shrinks with h.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def forward_difference(f: Callable, x: float | np.ndarray, h: float = 1e-5) -> float | np.ndarray:
    """Estimate f'(x) with the forward difference.

    Inputs:
    - f: callable taking x (a float, or an array on which it acts elementwise).
    - x: float, or array of any shape.
    - h: step size, a small positive float.

    Returns:
    - (f(x + h) - f(x)) / h: a float, or an array shaped like x.
      Its error is O(h): first-order accurate.
    """
    # TODO: Return the forward-difference estimate of f'(x).
    # HINT: one line, straight from the limit definition with a finite h.
    return (f(x + h) - f(x)) / h


def central_difference(f: Callable, x: float | np.ndarray, h: float = 1e-5) -> float | np.ndarray:
    """Estimate f'(x) with the central difference.

    Inputs:
    - f: callable taking x (a float, or an array on which it acts elementwise).
    - x: float, or array of any shape.
    - h: step size, a small positive float.

    Returns:
    - (f(x + h) - f(x - h)) / (2 * h): a float, or an array shaped like x.
      The O(h) terms of the two Taylor expansions cancel, so its error is O(h**2).
    """
    # TODO: Return the central-difference estimate of f'(x).
    # HINT: one line; the two points x - h and x + h are 2 * h apart.
    return (f(x + h) - f(x - h)) / h


def second_derivative(f: Callable, x: float | np.ndarray, h: float = 1e-4) -> float | np.ndarray:
    """Estimate f''(x) with the central second difference.

    Inputs:
    - f: callable taking x (a float, or an array on which it acts elementwise).
    - x: float, or array of any shape.
    - h: step size; larger than for first derivatives because round-off grows like eps / h**2.

    Returns:
    - (f(x + h) - 2 * f(x) + f(x - h)) / h**2: a float, or an array shaped like x.
    """
    # TODO: Return the central second-difference estimate of f''(x).
    # HINT: it is the difference of two first differences, divided by h once more.
    return (f(x + h) - 2 * f(x) + f(x - h)) / h**2


def polynomial_derivative(coeffs: np.ndarray) -> np.ndarray:
    """Differentiate a polynomial given by its coefficients.

    Inputs:
    - coeffs: array of shape (m,), m >= 1; coeffs[k] multiplies x**k.

    Returns:
    - array of shape (max(m - 1, 1),): the coefficients of p'(x), since
      d/dx coeffs[k] * x**k = k * coeffs[k] * x**(k - 1). A constant's derivative is [0.0].
    """
    # TODO: Return the coefficients of the derivative as a float array.
    # HINT: np.arange gives the powers k; drop the constant term. Ours is 4 lines.
    coeffs = np.asarray(coeffs, dtype=float)
    if coeffs.shape[0] <= 1:
        return np.zeros(1)
    powers = np.arange(1, coeffs.shape[0])
    return powers * coeffs[1:]
