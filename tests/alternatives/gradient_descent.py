"""Correct implementations of gradient_descent.py written differently: they keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("gradient_descent", "while-loop",
         summary="a while loop with an explicit update counter; finiteness checked after appending")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = w0.copy()
    losses = [loss_fn(w)]
    if not np.isfinite(losses[0]):
        return w, losses
    updates = 0
    while updates < max_steps:
        grad = grad_fn(w)
        if np.sqrt(np.sum(grad**2)) < tol:
            break
        w = w - lr * grad
        updates += 1
        losses.append(loss_fn(w))
        if not np.isfinite(losses[-1]):
            break
    return w, losses


@variant("momentum_descent", "scaled-velocity-counter",
         summary="velocity kept in step units (u = beta u - lr g, w = w + u) with a step counter")
def momentum_descent(loss_fn, grad_fn, w0, lr, beta=0.9, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    step = np.zeros(w.shape)
    losses = [float(loss_fn(w))]
    k = 0
    while k < max_steps and np.isfinite(losses[-1]):
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        step = beta * step - lr * grad
        w = w + step
        losses.append(float(loss_fn(w)))
        k += 1
    return w, losses


@variant("backtracking_line_search", "repeated-shrink",
         summary="shrinks lr by repeated multiplication, lr *= shrink, up to 50 times")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    f0 = loss_fn(w)
    gg = g @ g
    lr = lr0
    for _ in range(50):
        if loss_fn(w - lr * g) <= f0 - c * lr * gg:
            return lr
        lr *= shrink
    return lr


@variant("max_stable_learning_rate", "general-eigvals",
         summary="np.linalg.eigvals (not eigvalsh), real part, largest")
def max_stable_learning_rate(hessian):
    return 2.0 / np.max(np.linalg.eigvals(hessian).real)
