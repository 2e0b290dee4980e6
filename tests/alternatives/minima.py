"""Correct implementations of minima.py written differently: they keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("classify_critical_point", "eigh-counts",
         summary="np.linalg.eigh and counts of positive and negative eigenvalues")
def classify_critical_point(hessian, tol=1e-8):
    eigenvalues, _ = np.linalg.eigh(hessian)
    positive = int(np.sum(eigenvalues > tol))
    negative = int(np.sum(eigenvalues < -tol))
    if positive == len(eigenvalues):
        return "minimum"
    if negative == len(eigenvalues):
        return "maximum"
    if positive and negative:
        return "saddle"
    return "degenerate"


@variant("multi_start_minimize", "argmin-own-loop",
         summary="its own descent loop per start, then the first index of a stable argsort "
                 "of the final losses (argsort puts nan last, unlike np.argmin)")
def multi_start_minimize(loss_fn, grad_fn, starts, lr, max_steps=1000):
    finals, points = [], []
    for start in starts:
        w = start.copy()
        loss = loss_fn(w)
        for _ in range(max_steps):
            if not np.isfinite(loss):
                break
            g = grad_fn(w)
            if np.linalg.norm(g) < 1e-8:
                break
            w = w - lr * g
            loss = loss_fn(w)
        finals.append(loss)
        points.append(w)
    best = int(np.argsort(finals, kind="stable")[0])
    return points[best], finals[best]
