"""Loss functions and their gradients.

A loss turns "how wrong is the model" into one number; its gradient with respect to the
weights says which way to move them.
"""

from __future__ import annotations

import numpy as np

from chain_rule import sigmoid


def mse(y_pred: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error.

    Inputs:
    - y_pred, y: arrays of the same shape, e.g. (n,).

    Returns:
    - float: mean((y_pred - y)**2).
    """
    # TODO: Average the squared residuals.
    # HINT: one line with np.mean.
    return float(np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2))


def mse_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of mse(X @ w, y) with respect to w.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,).

    Returns:
    - array of shape (d,): (2 / n) * X.T @ (X @ w - y).
    """
    # TODO: Differentiate the mean of squared residuals with the chain rule.
    # HINT: the 2 comes from the square, the 1 / n from the mean.
    n = X.shape[0]
    return (2.0 / n) * X.T @ (X @ w - y)


def binary_cross_entropy(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """Binary cross-entropy of predicted probabilities against (possibly soft) labels.

    Inputs:
    - p: predicted probabilities, array of shape (n,), values in [0, 1] (0 and 1 allowed).
    - y: labels in [0, 1], same shape (soft labels allowed).
    - eps: p is clipped to [eps, 1 - eps] so log never sees 0.

    Returns:
    - float: -mean(y * log(q) + (1 - y) * log(1 - q)) with q = clip(p, eps, 1 - eps).
    """
    # TODO: Clip p, then average the negative log-likelihood.
    # HINT: np.clip, np.log, np.mean; ours is 2 lines.
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def logistic_loss(X: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    """Logistic loss of a linear model, stable for large scores.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: labels in [0, 1], shape (n,).

    Returns:
    - float: mean(log(1 + exp(z)) - y * z) with z = X @ w; finite and warning-free
      for abs(z) up to 1e4.
    """
    # TODO: Compute the mean logistic loss without overflowing exp.
    # HINT: log(1 + exp(z)) is np.logaddexp(0, z).
    z = X @ w
    return float(np.mean(np.log(1 + np.exp(z)) - y * z))


def logistic_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of logistic_loss with respect to w.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,).

    Returns:
    - array of shape (d,): (1 / n) * X.T @ (sigmoid(X @ w) - y).
    """
    # TODO: d/dz log(1 + exp(z)) = sigmoid(z); apply the chain rule through z = X @ w.
    # HINT: reuse sigmoid from chain_rule; one line after n.
    n = X.shape[0]
    return X.T @ (sigmoid(X @ w) - y) / n
