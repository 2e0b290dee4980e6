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
    # HINT: np.sum of the squares.
    ### BEGIN SOLUTION
    return float(lam * np.sum(np.asarray(w) ** 2))
    ### END SOLUTION


def l2_gradient(w: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of the L2 penalty l2_penalty(w, lam) with respect to w.

    Inputs:
    - w: array of shape (d,) (not modified); lam: penalty strength.

    Returns:
    - a new array of shape (d,): entry i is the partial derivative of lam * sum(w**2) with
      respect to w[i].
    """
    # TODO: Differentiate lam * sum(w**2) with respect to each w[i].
    # HINT: only one term of the sum depends on w[i]. Check with your check_gradient.
    ### BEGIN SOLUTION
    # d/dw_i lam * sum(w**2) = 2 * lam * w_i
    return 2.0 * lam * np.asarray(w, dtype=float)
    ### END SOLUTION


def l1_penalty(w: np.ndarray, lam: float) -> float:
    """The L1 (lasso) penalty.

    Inputs:
    - w: array of shape (d,); lam: penalty strength, lam >= 0.

    Returns:
    - float: lam * sum(abs(w)).
    """
    # TODO: Return lam times the sum of absolute values.
    # HINT: np.abs and np.sum.
    ### BEGIN SOLUTION
    return float(lam * np.sum(np.abs(w)))
    ### END SOLUTION


def l1_subgradient(w: np.ndarray, lam: float) -> np.ndarray:
    """A subgradient of the L1 penalty l1_penalty(w, lam) with respect to w.

    Inputs:
    - w: array of shape (d,) (not modified); lam: penalty strength.

    Returns:
    - a new array of shape (d,): where w[i] != 0, the partial derivative of
      lam * sum(abs(w)) with respect to w[i]; where w[i] == 0 (the kink of abs, which has
      no derivative there), exactly 0, the subgradient that lets sparse weights stay at 0.
    """
    # TODO: Differentiate lam * abs(w[i]) on each side of 0, and return 0 at w[i] == 0.
    # HINT: sketch abs(t): what is its slope for t > 0, and for t < 0? Away from 0, compare
    # with central differences of your l1_penalty.
    ### BEGIN SOLUTION
    # d/dw_i lam * |w_i| = lam * sign(w_i) for w_i != 0; np.sign gives 0 at 0
    return lam * np.sign(np.asarray(w, dtype=float))
    ### END SOLUTION


def ridge_loss(X: np.ndarray, w: np.ndarray, y: np.ndarray, lam: float) -> float:
    """Mean squared error of a linear model plus the L2 penalty.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,); lam >= 0.

    Returns:
    - float: mse(X @ w, y) + l2_penalty(w, lam).
    """
    # TODO: Add the data term and the penalty.
    # HINT: reuse mse and l2_penalty.
    ### BEGIN SOLUTION
    return mse(X @ w, y) + l2_penalty(w, lam)
    ### END SOLUTION


def ridge_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of the loss ridge_loss(X, w, y, lam) with respect to the weights w.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,); lam >= 0.

    Returns:
    - array of shape (d,): entry j is the partial derivative of ridge_loss with respect
      to w[j].
    """
    # TODO: Differentiate mse(X @ w, y) + l2_penalty(w, lam) with respect to w.
    # HINT: the gradient of a sum is the sum of the gradients: reuse mse_gradient and
    # l2_gradient.
    ### BEGIN SOLUTION
    # (2 / n) X^T (X w - y) + 2 lam w
    return mse_gradient(X, w, y) + l2_gradient(w, lam)
    ### END SOLUTION


def ridge_closed_form(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """The exact minimiser of ridge_loss: the w where ridge_gradient(X, w, y, lam) is zero.

    Inputs:
    - X: array of shape (n, d); y: array of shape (n,); lam >= 0 (lam > 0 if the columns of
      X are linearly dependent, so that the minimiser is unique).

    Returns:
    - w: array of shape (d,) with ridge_gradient(X, w, y, lam) equal to 0 (up to round-off).
    """
    # TODO: Set your ridge gradient to zero and rearrange the equation into a d x d linear
    # system A @ w = b (what is A, what is b?); then solve it.
    # HINT: collect the terms with w on one side; an identity matrix np.eye(d) turns a
    # number times w into a matrix times w. np.linalg.solve is faster and more accurate than
    # inverting A. At your answer, your ridge_gradient should be ~0: check it.
    ### BEGIN SOLUTION
    # (2 / n) X^T (X w - y) + 2 lam w = 0  <=>  (X^T X + n lam I) w = X^T y
    n, d = X.shape
    A = X.T @ X + n * lam * np.eye(d)
    return np.linalg.solve(A, X.T @ y)
    ### END SOLUTION
