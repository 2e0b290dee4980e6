"""Correct variants for losses.py: written differently, they must keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("mse", "dot-product",
         summary="the residual's dot product with itself, over n")
def mse(y_pred, y):
    residual = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)
    return float(np.dot(residual, residual) / residual.size)


@variant("mse_gradient", "expanded-normal-equations",
         summary="(2 / n) (X.T X w - X.T y), the product expanded")
def mse_gradient(X, w, y):
    n = X.shape[0]
    return 2.0 * (X.T @ X @ w - X.T @ y) / n


@variant("binary_cross_entropy", "clip-both-sides",
         summary="clips p and 1 - p separately before taking their logs")
def binary_cross_entropy(p, y, eps=1e-12):
    p = np.asarray(p, dtype=float)
    log_q = np.log(np.clip(p, eps, 1 - eps))
    log_not_q = np.log(np.clip(1 - p, eps, 1 - eps))
    return float(-np.mean(y * log_q + (1 - y) * log_not_q))


@variant("logistic_loss", "where-branches",
         summary="np.where between z + log1p(exp(-|z|)) and log1p(exp(-|z|))")
def logistic_loss(X, w, y):
    z = X @ w
    tail = np.log1p(np.exp(-np.abs(z)))
    softplus = np.where(z > 0, z + tail, tail)
    return float(np.mean(softplus - y * z))


@variant("logistic_gradient", "sample-loop",
         summary="sums x_i (sigmoid(x_i w) - y_i) over samples with a tanh-based sigmoid")
def logistic_gradient(X, w, y):
    grad = np.zeros(X.shape[1])
    for x_i, y_i in zip(X, y):
        s = 0.5 * (1.0 + np.tanh(0.5 * float(x_i @ w)))
        grad = grad + (s - y_i) * x_i
    return grad / X.shape[0]
