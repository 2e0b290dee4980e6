"""Regularized losses: penalties that keep weights small.

Adding lam * ||w||^2 (ridge, L2) or lam * ||w||_1 (lasso, L1) to a loss trades a little
training error for simpler models that generalise better.
"""

from __future__ import annotations

import numpy as np

from losses import mse, mse_gradient


def l2_penalty(w: np.ndarray, lam: float) -> float:
    """The L2 (ridge) penalty.

    Inputs:
    - w: array of shape (d,); lam: penalty strength, lam >= 0.

    Returns:
    - float: lam * sum(w**2).
    """
    # TODO: Return lam times the squared Euclidean norm of w.
    # HINT: one line.
    return float(lam * np.sum(np.asarray(w) ** 2))


def l2_gradient(w: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of the L2 penalty.

    Inputs:
    - w: array of shape (d,); lam: penalty strength.

    Returns:
    - array of shape (d,): 2 * lam * w (d/dw_i of lam * w_i**2 is 2 * lam * w_i).
    """
    # TODO: Differentiate lam * sum(w**2) with respect to each w_i.
    # HINT: one line; return a new array.
    return lam * np.asarray(w, dtype=float)


def l1_penalty(w: np.ndarray, lam: float) -> float:
    """The L1 (lasso) penalty.

    Inputs:
    - w: array of shape (d,); lam: penalty strength, lam >= 0.

    Returns:
    - float: lam * sum(abs(w)).
    """
    # TODO: Return lam times the sum of absolute values.
    # HINT: one line.
    return float(lam * np.sum(np.abs(w)))


def l1_subgradient(w: np.ndarray, lam: float) -> np.ndarray:
    """A subgradient of the L1 penalty.

    Inputs:
    - w: array of shape (d,); lam: penalty strength.

    Returns:
    - array of shape (d,): lam * sign(w), with 0 where w == 0 (|w| has a kink there;
      0 is the subgradient that lets sparse weights stay at zero).
    """
    # TODO: Return lam times the sign of each weight.
    # HINT: np.sign already gives 0 at 0.
    return lam * np.sign(np.asarray(w, dtype=float))


def ridge_loss(X: np.ndarray, w: np.ndarray, y: np.ndarray, lam: float) -> float:
    """Mean squared error of a linear model plus the L2 penalty.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,); lam >= 0.

    Returns:
    - float: mse(X @ w, y) + l2_penalty(w, lam).
    """
    # TODO: Add the data term and the penalty.
    # HINT: reuse mse and l2_penalty; one line.
    return mse(X @ w, y) + l2_penalty(w, lam)


def ridge_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of ridge_loss with respect to w.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,); lam >= 0.

    Returns:
    - array of shape (d,): (2 / n) * X.T @ (X @ w - y) + 2 * lam * w.
    """
    # TODO: The gradient of a sum is the sum of the gradients.
    # HINT: reuse mse_gradient and l2_gradient; one line.
    return mse_gradient(X, w, y) + l2_gradient(w, lam)


def ridge_closed_form(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """The exact minimiser of ridge_loss.

    Setting ridge_gradient to zero gives (2 / n) X^T (X w - y) + 2 lam w = 0, that is
    (X^T X + n lam I) w = X^T y.

    Inputs:
    - X: array of shape (n, d); y: array of shape (n,); lam >= 0 (lam > 0 if X^T X is singular).

    Returns:
    - w: array of shape (d,) solving (X.T @ X + n * lam * I) w = X.T @ y.
    """
    # TODO: Build the d x d system and solve it.
    # HINT: np.linalg.solve is faster and more accurate than inverting the matrix.
    n, d = X.shape
    A = X.T @ X + n * lam * np.eye(d)
    return np.linalg.solve(A, X.T @ y)
