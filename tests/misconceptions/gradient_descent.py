"""Realistic wrong implementations of gradient_descent.py, each with its hint."""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("gd_step", "climbs",
       summary="steps along the gradient (w + lr * grad), climbing the loss",
       hint="The gradient points uphill; a descent step moves the opposite way.")
def gd_step(w, grad, lr):
    return w + lr * grad


@wrong("gd_step", "in-place",
       summary="updates w in place with w -= lr * grad and returns the caller's array",
       hint="`w -= ...` changes the array the caller passed in; build a new array with w - lr * grad.")
def gd_step(w, grad, lr):
    w -= lr * grad
    return w


@wrong("gradient_descent", "checks-after-update",
       summary="tests the stopping rule after the update, so it moves even when started at the optimum",
       hint="The contract checks norm(grad_fn(w)) < tol before each update: at a minimiser no update should happen.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        w = w - lr * grad_fn(w)
        losses.append(float(loss_fn(w)))
        if not np.isfinite(losses[-1]) or np.linalg.norm(grad_fn(w)) < tol:
            break
    return w, losses


@wrong("gradient_descent", "stale-gradient-check",
       summary="stops when the gradient used by the previous update was small, one update too late",
       hint="Check the gradient at the current w, before updating; a gradient from the step before is out of date.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    previous = None
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]):
            break
        if previous is not None and np.linalg.norm(previous) < tol:
            break
        grad = grad_fn(w)
        w = w - lr * grad
        losses.append(float(loss_fn(w)))
        previous = grad
    return w, losses


@wrong("gradient_descent", "one-update-short",
       summary="makes at most max_steps - 1 updates",
       hint="max_steps counts updates; count them: range(max_steps) runs max_steps times.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps - 1):
        if not np.isfinite(losses[-1]):
            break
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * grad
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("gradient_descent", "no-initial-loss",
       summary="records losses only after updates, so losses[0] is not loss_fn(w0)",
       hint="losses[0] is the loss at the start, before any update: len(losses) == updates + 1.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = []
    for _ in range(max_steps):
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * grad
        losses.append(float(loss_fn(w)))
        if not np.isfinite(losses[-1]):
            break
    return w, losses


@wrong("gradient_descent", "ignores-divergence",
       summary="keeps updating after the loss becomes inf or nan",
       hint="Once a loss is not finite the run has diverged: append it and stop (np.isfinite).")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * grad
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("gradient_descent", "drops-non-finite-loss",
       summary="stops on divergence but without appending the non-finite loss",
       hint="The first non-finite loss is part of the record: it is the last entry of losses.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * grad
        loss = float(loss_fn(w))
        if not np.isfinite(loss):
            break
        losses.append(loss)
    return w, losses


@wrong("gradient_descent", "raises-on-divergence",
       summary="raises an error when the loss stops being finite",
       hint="Divergence is a result to report, not an error: record the non-finite loss and return normally.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * grad
        losses.append(float(loss_fn(w)))
        if not np.isfinite(losses[-1]):
            raise FloatingPointError("gradient descent diverged")
    return w, losses


@wrong("gradient_descent", "stops-on-small-loss",
       summary="stops when the loss is below tol instead of the gradient norm",
       hint="The stopping rule is about flatness, not height: a minimum can have any loss value. Use norm(grad_fn(w)).")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]) or abs(losses[-1]) < tol:
            break
        w = w - lr * grad_fn(w)
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("gradient_descent", "mutates-w0",
       summary="updates the caller's w0 in place (w = w0; w -= lr * grad)",
       hint="`w = w0` does not copy the array; start from w = w0.copy() or use w = w - lr * grad.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = w0
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]):
            break
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w -= lr * grad
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("momentum_descent", "ema-velocity",
       summary="averages gradients, v = beta * v + (1 - beta) * grad, instead of accumulating them",
       hint="Heavy-ball momentum adds the full gradient to the decayed velocity: no (1 - beta) factor.")
def momentum_descent(loss_fn, grad_fn, w0, lr, beta=0.9, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    v = np.zeros_like(w)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]):
            break
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        v = beta * v + (1 - beta) * grad
        w = w - lr * v
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("momentum_descent", "resets-velocity",
       summary="creates v = zeros inside the loop, so momentum never builds up",
       hint="The velocity must survive from one update to the next: initialise it once, before the loop.")
def momentum_descent(loss_fn, grad_fn, w0, lr, beta=0.9, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]):
            break
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        v = np.zeros_like(w)
        v = beta * v + grad
        w = w - lr * v
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("momentum_descent", "moves-before-velocity",
       summary="moves w with the old velocity before adding the new gradient",
       hint="Update the velocity with the current gradient first, then step w with the new velocity.")
def momentum_descent(loss_fn, grad_fn, w0, lr, beta=0.9, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    v = np.zeros_like(w)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]):
            break
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * v
        v = beta * v + grad
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("backtracking_line_search", "no-sufficient-decrease",
       summary="accepts any step that lowers the loss, without the c * lr * (g @ g) term",
       hint="Armijo asks for a decrease of at least c * lr * |g|^2, not just any decrease.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    for k in range(51):
        lr = lr0 * shrink**k
        if loss_fn(w - lr * g) <= here:
            return lr
    return lr0 * shrink**50


@wrong("backtracking_line_search", "one-shrink-too-many",
       summary="shrinks once more after the condition holds, returning the step after the first good one",
       hint="Return the first learning rate that meets the condition; check the condition before shrinking.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    lr = lr0
    for _ in range(51):
        lr = lr * shrink
        if loss_fn(w - lr / shrink * g) <= here - c * (lr / shrink) * float(g @ g):
            return lr
    return lr0 * shrink**50


@wrong("backtracking_line_search", "fifty-tries",
       summary="tries only k = 0..49 and returns the last step tried when none qualifies",
       hint="k runs from 0 to 50 inclusive, and the fallback is lr0 * shrink**50.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    lr = lr0
    for k in range(50):
        lr = lr0 * shrink**k
        if loss_fn(w - lr * g) <= here - c * lr * float(g @ g):
            return lr
    return lr


@wrong("backtracking_line_search", "norm-not-squared",
       summary="uses c * lr * norm(g) instead of c * lr * (g @ g) in the Armijo condition",
       hint="The predicted decrease is lr times the squared gradient norm, g @ g.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    for k in range(51):
        lr = lr0 * shrink**k
        if loss_fn(w - lr * g) <= here - c * lr * float(np.linalg.norm(g)):
            return lr
    return lr0 * shrink**50


@wrong("max_stable_learning_rate", "one-over-L",
       summary="returns 1 / largest eigenvalue instead of 2 / largest eigenvalue",
       hint="1/L is a safe choice, but the stability bound asks where |1 - lr * L| reaches 1.")
def max_stable_learning_rate(hessian):
    return float(1.0 / np.max(np.linalg.eigvalsh(hessian)))


@wrong("max_stable_learning_rate", "smallest-eigenvalue",
       summary="divides by the smallest eigenvalue instead of the largest",
       hint="The steepest direction limits the step: which eigenvalue makes |1 - lr * lambda| largest?")
def max_stable_learning_rate(hessian):
    return float(2.0 / np.min(np.linalg.eigvalsh(hessian)))


@wrong("max_stable_learning_rate", "largest-diagonal",
       summary="uses the largest diagonal entry instead of the largest eigenvalue",
       hint="The diagonal is the curvature along the axes only; a rotated Hessian curves most along an eigenvector.")
def max_stable_learning_rate(hessian):
    return float(2.0 / np.max(np.diag(hessian)))


@wrong("gradient_descent", "one-update-too-many",
       summary="makes up to max_steps + 1 updates",
       hint="max_steps counts updates, and range(max_steps) already runs max_steps times: losses holds at most max_steps + 1 entries.")
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps + 1):
        if not np.isfinite(losses[-1]):
            break
        grad = grad_fn(w)
        if np.linalg.norm(grad) < tol:
            break
        w = w - lr * grad
        losses.append(float(loss_fn(w)))
    return w, losses


@wrong("backtracking_line_search", "never-tries-lr0",
       summary="shrinks before the first test, so lr0 itself is never tried",
       hint="The first candidate is k = 0, lr0 * shrink**0 = lr0: when lr0 already meets the Armijo condition it is the answer. Test the condition first, then shrink.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    lr = lr0
    for _ in range(50):
        lr = lr * shrink
        if loss_fn(w - lr * g) <= here - c * lr * float(g @ g):
            return lr
    return lr0 * shrink**50


@wrong("backtracking_line_search", "strict-decrease",
       summary="asks for a strict inequality (<) in the Armijo test, so at a stationary point no step qualifies",
       hint="The condition is loss(w - lr * g) <= loss(w) - c * lr * (g @ g), with <=. Where the gradient is zero both sides are equal, and lr0 qualifies.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    for k in range(51):
        lr = lr0 * shrink**k
        if loss_fn(w - lr * g) < here - c * lr * float(g @ g):
            return lr
    return lr0 * shrink**50


@wrong("backtracking_line_search", "mean-not-dot",
       summary="uses the mean of g**2 instead of g @ g (their sum) in the Armijo condition",
       hint="The decrease the gradient predicts for a step lr is lr times the squared norm of g, g @ g: a sum over the coordinates, not an average.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    for k in range(51):
        lr = lr0 * shrink**k
        if loss_fn(w - lr * g) <= here - c * lr * float(np.mean(g * g)):
            return lr
    return lr0 * shrink**50


@wrong("backtracking_line_search", "fallback-one-shrink-too-far",
       summary="shrinks once more after the last failed test, so its fallback is lr0 * shrink**51",
       hint="When no k in 0..50 qualifies, the answer is lr0 * shrink**50, the last step tried; a loop that shrinks after every failed test has shrunk once too often when it ends.")
def backtracking_line_search(loss_fn, grad_fn, w, lr0=1.0, shrink=0.5, c=1e-4):
    g = grad_fn(w)
    here = loss_fn(w)
    lr = lr0
    for _ in range(51):
        if loss_fn(w - lr * g) <= here - c * lr * float(g @ g):
            return lr
        lr = lr * shrink
    return lr
