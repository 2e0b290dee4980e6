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
    # HINT: np.mean averages over all entries.
    ### BEGIN SOLUTION
    return float(np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2))
    ### END SOLUTION


def mse_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the loss mse(X @ w, y) with respect to the weights w.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,).

    Returns:
    - array of shape (d,): entry j is the partial derivative of mse(X @ w, y) with
      respect to w[j].
    """
    # TODO: Differentiate mean((X @ w - y)**2) with respect to w.
    # HINT: the chain rule through the residual r = X @ w - y; the derivative of a mean is
    # the mean of the derivatives. Do it for one w[j] first, then write it for all j with
    # one matrix product. Check it with your check_gradient.
    ### BEGIN SOLUTION
    # d/dw mean((X w - y)**2) = (2 / n) X^T (X w - y)
    n = X.shape[0]
    return (2.0 / n) * X.T @ (X @ w - y)
    ### END SOLUTION


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
    # HINT: np.clip, np.log, np.mean.
    ### BEGIN SOLUTION
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    z = X @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z))
    ### END SOLUTION


def logistic_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the loss logistic_loss(X, w, y) with respect to the weights w.

    Inputs:
    - X: array of shape (n, d); w: array of shape (d,); y: array of shape (n,).

    Returns:
    - array of shape (d,): entry j is the partial derivative of logistic_loss(X, w, y) with
      respect to w[j]; finite for abs(X @ w) up to 1e4.
    """
    # TODO: Differentiate mean(log(1 + exp(z)) - y * z), z = X @ w, with respect to w.
    # HINT: the chain rule through z = X @ w: first the derivative of one term with respect
    # to its own z_i (you will meet your sigmoid: reuse it, it never overflows), then how
    # z moves with w, then the mean. Check it with your check_gradient.
    ### BEGIN SOLUTION
    # d/dz log(1 + exp(z)) = sigmoid(z), so the gradient is (1 / n) X^T (sigmoid(X w) - y)
    n = X.shape[0]
    return X.T @ (sigmoid(X @ w) - y) / n
    ### END SOLUTION
