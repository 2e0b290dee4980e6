"""Correct variants for gradient_check.py: written differently, they must keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("relative_error", "loop",
         summary="a loop over the flattened elements with Python's max")
def relative_error(a, b, eps=1e-12):
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    worst = 0.0
    for a_i, b_i in zip(a, b):
        worst = max(worst, abs(a_i - b_i) / max(abs(a_i) + abs(b_i), eps))
    return float(worst)


@variant("check_gradient", "inline-numerical-gradient",
         summary="its own vectorised central differences over unit steps and an inline error")
def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
    x = np.asarray(x, dtype=float)
    steps = np.eye(x.size).reshape((x.size,) + x.shape) * h
    numeric = np.array([(f(x + s) - f(x - s)) / (2 * h) for s in steps]).reshape(x.shape)
    analytic = np.asarray(grad_f(x), dtype=float)
    denominator = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    error = float(np.max(np.abs(analytic - numeric) / denominator))
    return error < tol, error
