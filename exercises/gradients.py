"""Partial derivatives: gradients, Jacobians and Hessians by central differences.

A partial derivative moves one coordinate and holds the others fixed:
    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h),
where e_i is the i-th unit vector.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Estimate the gradient of a scalar function by central differences.

    Inputs:
    - f: callable mapping an array shaped like x to a float.
    - x: array of any shape (not modified).
    - h: step size.

    Returns:
    - grad: array shaped like x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h).
    """
    # TODO: Loop over every coordinate of x, nudge it by +h and -h, and store the
    # central difference. Work on a copy: the caller's x must stay unchanged.
    # HINT: np.nditer or np.ndindex(x.shape) visits every index of any shape.
    # YOUR CODE HERE
    raise NotImplementedError()


def numerical_jacobian(f: Callable, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Estimate the Jacobian of f: R^n -> R^m by central differences.

    Inputs:
    - f: callable mapping an array of shape (n,) to an array of shape (m,).
    - x: array of shape (n,) (not modified).
    - h: step size.

    Returns:
    - J: array of shape (m, n), J[i, j] = d f_i / d x_j; column j is the central
      difference of f along e_j.
    """
    # TODO: Build J one column at a time: column j is how every output moves with x_j.
    # HINT: np.atleast_1d(f(...)) gives the outputs as an array; np.stack(columns, axis=1)
    # puts the columns side by side.
    # YOUR CODE HERE
    raise NotImplementedError()


def numerical_hessian(f: Callable, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Estimate the Hessian of a scalar function by central differences.

    Inputs:
    - f: callable mapping an array of shape (n,) to a float.
    - x: array of shape (n,) (not modified).
    - h: step size.

    Returns:
    - H: symmetric array of shape (n, n), H[i, j] = d^2 f / (dx_i dx_j), from
      (f(x+h e_i+h e_j) - f(x+h e_i-h e_j) - f(x-h e_i+h e_j) + f(x-h e_i-h e_j)) / (4 h^2).
      On the diagonal (i == j) this same formula is the second difference of
      second_derivative with step 2h, (f(x+2h e_i) - 2 f(x) + f(x-2h e_i)) / (2h)^2: that is
      intended. The three-point second difference with step h on the diagonal is accepted
      too; any formula whose error shrinks with h passes.
    """
    # TODO: Fill H with the four-point mixed central difference for every (i, j).
    # HINT: compute the upper triangle and mirror it, so H is exactly symmetric.
    # YOUR CODE HERE
    raise NotImplementedError()
