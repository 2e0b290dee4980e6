"""Correct implementations of mini_project.py written differently: they keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("train_logistic_regression", "own-loop",
         summary="its own update loop with an inline stable sigmoid (tanh form)")
def train_logistic_regression(X, y, lr, n_steps, lam=0.0):
    n, d = X.shape
    w = np.zeros(d)
    losses = []
    for step in range(n_steps + 1):
        z = X @ w
        losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z) + lam * w @ w))
        if step == n_steps:
            break
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        w = w - lr * (X.T @ (p - y) / n + 2 * lam * w)
    return w, losses
