"""Misconceptions for gradient_check.py: relative errors and gradient checks gone wrong.

Each entry redefines a contract function on purpose (one def per misconception), and is
self-contained: check_gradient entries carry their own numerical gradient.
"""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("relative_error", "mean-not-max",
       summary="averages the elementwise relative errors instead of taking the largest",
       hint="A gradient check must flag the single worst entry: one wrong partial derivative "
            "among many should not be averaged away. Take the maximum.")
def relative_error(a, b, eps=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


@wrong("relative_error", "abs-of-sum",
       summary="divides by abs(a + b) instead of abs(a) + abs(b)",
       hint="When a and b have opposite signs, a + b can be near zero and the error blows "
            "up. The scale of the two numbers is abs(a) + abs(b).")
def relative_error(a, b, eps=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a + b), eps)))


@wrong("relative_error", "no-eps-floor",
       summary="has no floor on the denominator, so two zeros give 0 / 0 = nan",
       hint="If a and b are both 0 the denominator is 0. Keep it at least eps with "
            "np.maximum(..., eps) so that two zeros give an error of 0.")
def relative_error(a, b, eps=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))


@wrong("relative_error", "eps-added",
       summary="adds eps to the denominator instead of flooring it at eps",
       hint="The contract floors the denominator: maximum(abs(a) + abs(b), eps). Adding eps "
            "changes the error whenever abs(a) + abs(b) is near eps.")
def relative_error(a, b, eps=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + eps)))


@wrong("relative_error", "max-denominator",
       summary="divides by max(abs(a), abs(b)) instead of abs(a) + abs(b)",
       hint="Read the denominator in the contract again: it is the sum abs(a) + abs(b), "
            "floored at eps.")
def relative_error(a, b, eps=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), eps)))


@wrong("check_gradient", "swapped-tuple",
       summary="returns (max_rel_error, passed) instead of (passed, max_rel_error)",
       hint="The contract returns the verdict first: passed (a bool), then the error.")
def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
    x = np.array(x, dtype=float)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        numeric[index] = (f_plus - f_minus) / (2 * h)
    analytic = np.asarray(grad_f(x), dtype=float)
    error = float(np.max(np.abs(analytic - numeric)
                         / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)))
    return error, bool(error < tol)


@wrong("check_gradient", "inverted-test",
       summary="passes when the error is above tol instead of below it",
       hint="A small relative error means the gradients agree: passed should be True when "
            "max_rel_error < tol.")
def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
    x = np.array(x, dtype=float)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        numeric[index] = (f_plus - f_minus) / (2 * h)
    analytic = np.asarray(grad_f(x), dtype=float)
    error = float(np.max(np.abs(analytic - numeric)
                         / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)))
    return bool(error > tol), error


@wrong("check_gradient", "norm-ratio",
       summary="uses norm(a - b) / (norm(a) + norm(b)) instead of the elementwise maximum",
       hint="The contract's error is relative_error: the worst elementwise relative error. "
            "A ratio of norms lets one bad entry hide among large good ones.")
def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
    x = np.array(x, dtype=float)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        numeric[index] = (f_plus - f_minus) / (2 * h)
    analytic = np.asarray(grad_f(x), dtype=float)
    error = float(np.linalg.norm(analytic - numeric)
                  / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12))
    return bool(error < tol), error


@wrong("check_gradient", "ignores-h",
       summary="computes the numerical gradient with the default step, ignoring h",
       hint="Pass the caller's h on to the numerical gradient: numerical_gradient(f, x, h).")
def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
    x = np.array(x, dtype=float)
    step = 1e-5
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + step
        f_plus = f(x)
        x[index] = original - step
        f_minus = f(x)
        x[index] = original
        numeric[index] = (f_plus - f_minus) / (2 * step)
    analytic = np.asarray(grad_f(x), dtype=float)
    error = float(np.max(np.abs(analytic - numeric)
                         / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)))
    return bool(error < tol), error


@wrong("check_gradient", "fixed-threshold",
       summary="compares the error with a fixed 1e-7 instead of the tol argument",
       hint="The caller chooses how strict the check is: compare max_rel_error with tol.")
def check_gradient(f, grad_f, x, h=1e-5, tol=1e-6):
    x = np.array(x, dtype=float)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        numeric[index] = (f_plus - f_minus) / (2 * h)
    analytic = np.asarray(grad_f(x), dtype=float)
    error = float(np.max(np.abs(analytic - numeric)
                         / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)))
    return bool(error < 1e-7), error
