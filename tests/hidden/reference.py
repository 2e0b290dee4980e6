"""Reference computations the hidden checks compare learner code with (instructor-only).

Several hidden suites need the same expected values: a stable sigmoid, the logistic and
ridge losses and their gradients, a central-difference gradient, the contract's
gradient-descent loop, a rotated symmetric matrix of given eigenvalues, and the ratios
that measure a difference formula's order. Each is written here once. They run in the
grading process, beside the checks, never in the learner's sandbox: learner code is
reached only through the `submission` fixture.

These functions are the answers to the exercises, so the module lives with the hidden
checks, in tests/hidden/, and travels only where they do (Gradescope's autograder, the
instructors' private repository that GitHub Classroom's hidden steps check out into
tests/hidden/), never in the student bundle. The kit's pytest settings (and the bundle's,
for those hidden steps) put tests/hidden/ on sys.path (`pythonpath`), so a hidden suite
says `from reference import descent`. It imports nothing of the grader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def sigmoid(z: ArrayLike) -> np.ndarray:
    """The logistic sigmoid elementwise, finite and warning-free for any float z.

    Inputs: z, a float or an array of any shape.
    Returns: a float64 array of z's shape (0-d for a float), entries in [0, 1].
    """
    # sigmoid(z) = 1 / (1 + exp(-z)); with e = exp(-|z|) <= 1 (never overflows) that is
    # 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def logistic_loss(X: np.ndarray, w: np.ndarray, y: np.ndarray, lam: float = 0.0) -> float:
    """The mean logistic loss of the scores X @ w, plus an L2 penalty lam * sum(w**2).

    Inputs: X (n, d), w (d,), y (n,) labels in [0, 1], lam >= 0 (0: no penalty).
    Returns: a float.
    """
    # L(w) = mean(log(1 + exp(z)) - y z) + lam sum(w**2) with z = X w;
    # np.logaddexp(0, z) is log(1 + exp(z)) without overflow
    z = X @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z) + lam * np.sum(w**2))


def logistic_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray,
                      lam: float = 0.0) -> np.ndarray:
    """The gradient in w of logistic_loss(X, w, y, lam).

    Inputs: X (n, d), w (d,), y (n,) labels in [0, 1], lam >= 0.
    Returns: an array of shape (d,).
    """
    # grad L(w) = X^T (sigmoid(X w) - y) / n + 2 lam w
    return X.T @ (sigmoid(X @ w) - y) / X.shape[0] + 2.0 * lam * w


def ridge_loss(X: np.ndarray, w: np.ndarray, y: np.ndarray, lam: float = 0.0) -> float:
    """The mean squared error of X @ w against y, plus lam * sum(w**2).

    Inputs: X (n, d), w (d,), y (n,), lam >= 0 (0: plain mean squared error).
    Returns: a float.
    """
    # L(w) = mean((X w - y)**2) + lam sum(w**2)
    return float(np.mean((X @ w - y) ** 2) + lam * np.sum(w**2))


def ridge_gradient(X: np.ndarray, w: np.ndarray, y: np.ndarray,
                   lam: float = 0.0) -> np.ndarray:
    """The gradient in w of ridge_loss(X, w, y, lam).

    Inputs: X (n, d), w (d,), y (n,), lam >= 0.
    Returns: an array of shape (d,).
    """
    # grad L(w) = (2 / n) X^T (X w - y) + 2 lam w
    return (2.0 / X.shape[0]) * X.T @ (X @ w - y) + 2.0 * lam * w


def central_gradient(f: Callable[[Any], Any], x: np.ndarray, h: float) -> np.ndarray:
    """Central differences of a scalar function, one coordinate of x at a time.

    Inputs: f, called with one array shaped like x, returning a number; x, a float64 array
    of any shape (0-d too); h > 0, the step.
    Returns: a float64 array of x's shape.
    """
    # df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h), e_i the i-th unit array
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def descent(loss_fn: Callable[[np.ndarray], Any], grad_fn: Callable[[np.ndarray], Any],
            w0: ArrayLike, lr: float, max_steps: int = 1000, tol: float = 1e-8,
            beta: float | None = None) -> tuple[np.ndarray, list[float]]:
    """The contract's descent loop, written out; beta=None is plain gradient descent.

    Inputs: loss_fn and grad_fn of a w shaped like w0 (grad_fn returns w's shape); w0 of
    shape (d,); lr > 0; at most max_steps updates; tol, the gradient norm that stops the
    run; beta, the momentum (None: none).
    Returns: (w, losses): the last w, shape (d,), and the floats loss_fn(w0) followed by
    one loss per update made. A run stops, before any update, once the last loss is not
    finite or norm(grad) < tol.
    """
    # plain: w <- w - lr g; momentum: v <- beta v + g, w <- w - lr v from v = 0
    w = np.array(w0, dtype=float)
    v = np.zeros_like(w)
    losses = [float(loss_fn(w))]
    for _ in range(max_steps):
        if not np.isfinite(losses[-1]):
            break
        g = grad_fn(w)
        if np.linalg.norm(g) < tol:
            break
        if beta is None:
            w = w - lr * g
        else:
            v = beta * v + g
            w = w - lr * v
        losses.append(float(loss_fn(w)))
    return w, losses


def rotated_symmetric(eigs: Sequence[float] | np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """A symmetric matrix with exactly these eigenvalues along random directions.

    Inputs: eigs, d numbers; rng, the generator that draws the rotation (d * d normals).
    Returns: an array of shape (d, d), symmetric to the last bit.
    """
    # H = Q diag(eigs) Q^T, Q orthogonal from the QR of a Gaussian matrix (columns signed
    # by R's diagonal, so Q is uniformly distributed); (H + H^T) / 2 removes round-off
    d = len(eigs)
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    Q = Q * np.sign(np.diag(R))
    H = Q @ np.diag(eigs) @ Q.T
    return (H + H.T) / 2


def error_ratios(estimates: Sequence[ArrayLike], truth: ArrayLike) -> np.ndarray:
    """How much the error of an estimate shrinks from each step h to the next (h / 2).

    Inputs: estimates, k >= 2 arrays of one shape, made with steps h, h / 2, h / 4, ...;
    truth, the exact value, of the same shape.
    Returns: a 1-D array of (k - 1) * size ratios, the pairs of steps in order (inf or nan
    where an error is 0): about 2 for a first-order formula, 4 for a second-order one.
    """
    # ratio = |estimate(h) - truth| / |estimate(h / 2) - truth|, elementwise
    errors = [np.abs(np.asarray(e) - truth) for e in estimates]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.concatenate([np.ravel(errors[i] / errors[i + 1])
                               for i in range(len(errors) - 1)])
