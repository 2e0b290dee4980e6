"""Realistic wrong implementations of minima.py, each with its hint."""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("classify_critical_point", "ignores-tol",
       summary="compares eigenvalues with 0 instead of with +-tol",
       hint="Eigenvalues computed in floating point are rarely exactly zero: treat those within tol as zero.")
def classify_critical_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > 0):
        return "minimum"
    if np.all(eigenvalues < 0):
        return "maximum"
    if np.any(eigenvalues > 0) and np.any(eigenvalues < 0):
        return "saddle"
    return "degenerate"


@wrong("classify_critical_point", "determinant-test",
       summary="uses the 2-D determinant test (det and the top-left entry) in every dimension",
       hint="det > 0 only says an even number of eigenvalues are negative; look at the signs of all eigenvalues.")
def classify_critical_point(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if hessian[0, 0] > 0 else "maximum"


@wrong("classify_critical_point", "degenerate-first",
       summary="calls any Hessian with a near-zero eigenvalue degenerate, even when signs are mixed",
       hint="A positive and a negative eigenvalue already make a saddle, whatever the others are; check the cases in the contract's order.")
def classify_critical_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.any(np.abs(eigenvalues) <= tol):
        return "degenerate"
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    return "saddle"


@wrong("classify_critical_point", "diagonal-entries",
       summary="classifies by the signs of the diagonal entries instead of the eigenvalues",
       hint="The diagonal is the curvature along the axes only; a rotated saddle can have a positive diagonal. Use the eigenvalues.")
def classify_critical_point(hessian, tol=1e-8):
    diagonal = np.diag(hessian)
    if np.all(diagonal > tol):
        return "minimum"
    if np.all(diagonal < -tol):
        return "maximum"
    if np.any(diagonal > tol) and np.any(diagonal < -tol):
        return "saddle"
    return "degenerate"


@wrong("multi_start_minimize", "first-start",
       summary="returns the result of the first start instead of the best one",
       hint="Run gradient descent from every row of starts and compare their final losses.")
def multi_start_minimize(loss_fn, grad_fn, starts, lr, max_steps=1000):
    def descend(w):
        w = np.array(w, dtype=float)
        losses = [float(loss_fn(w))]
        for _ in range(max_steps):
            if not np.isfinite(losses[-1]):
                break
            g = grad_fn(w)
            if np.linalg.norm(g) < 1e-8:
                break
            w = w - lr * g
            losses.append(float(loss_fn(w)))
        return w, losses

    w, losses = descend(np.asarray(starts, dtype=float)[0])
    return w, losses[-1]


@wrong("multi_start_minimize", "keeps-worst",
       summary="keeps the run with the highest final loss",
       hint="The best run is the one whose final loss is lowest.")
def multi_start_minimize(loss_fn, grad_fn, starts, lr, max_steps=1000):
    def descend(w):
        w = np.array(w, dtype=float)
        losses = [float(loss_fn(w))]
        for _ in range(max_steps):
            if not np.isfinite(losses[-1]):
                break
            g = grad_fn(w)
            if np.linalg.norm(g) < 1e-8:
                break
            w = w - lr * g
            losses.append(float(loss_fn(w)))
        return w, losses

    runs = [descend(start) for start in np.asarray(starts, dtype=float)]
    w, losses = max(runs, key=lambda run: run[1][-1])
    return w, losses[-1]


@wrong("multi_start_minimize", "compares-initial-losses",
       summary="ranks runs by their first loss (at the start) instead of their final loss",
       hint="A start with a low loss can sit in a poor basin: compare losses[-1], where each run ended.")
def multi_start_minimize(loss_fn, grad_fn, starts, lr, max_steps=1000):
    def descend(w):
        w = np.array(w, dtype=float)
        losses = [float(loss_fn(w))]
        for _ in range(max_steps):
            if not np.isfinite(losses[-1]):
                break
            g = grad_fn(w)
            if np.linalg.norm(g) < 1e-8:
                break
            w = w - lr * g
            losses.append(float(loss_fn(w)))
        return w, losses

    runs = [descend(start) for start in np.asarray(starts, dtype=float)]
    w, losses = min(runs, key=lambda run: run[1][0])
    return w, losses[-1]


@wrong("multi_start_minimize", "ignores-max-steps",
       summary="runs every start with 1000 steps, ignoring the max_steps argument",
       hint="Pass max_steps on to each gradient-descent run.")
def multi_start_minimize(loss_fn, grad_fn, starts, lr, max_steps=1000):
    def descend(w):
        w = np.array(w, dtype=float)
        losses = [float(loss_fn(w))]
        for _ in range(1000):
            if not np.isfinite(losses[-1]):
                break
            g = grad_fn(w)
            if np.linalg.norm(g) < 1e-8:
                break
            w = w - lr * g
            losses.append(float(loss_fn(w)))
        return w, losses

    runs = [descend(start) for start in np.asarray(starts, dtype=float)]
    w, losses = min(runs, key=lambda run: run[1][-1])
    return w, losses[-1]


@wrong("classify_critical_point", "any-positive-is-minimum",
       summary="calls a point a minimum when some eigenvalue is positive, not all of them",
       hint="A minimum curves up in every direction: all eigenvalues > tol. Positive and negative eigenvalues together make a saddle.")
def classify_critical_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.any(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol):
        return "saddle"
    return "degenerate"


@wrong("classify_critical_point", "plus-tol-for-negative",
       summary="tests for negative eigenvalues against +tol instead of -tol",
       hint="tol is a margin on both sides of zero: an eigenvalue counts as negative only below -tol, so one within tol of zero stays degenerate.")
def classify_critical_point(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < tol):
        return "maximum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < tol):
        return "saddle"
    return "degenerate"
