"""The gradient-descent update, the loop around it, momentum, and learning rates.

Gradient descent walks downhill: w <- w - lr * grad L(w). On a quadratic with largest
curvature L (the top eigenvalue of the Hessian), it converges exactly when lr < 2 / L.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def gd_step(w: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One gradient-descent update.

    Inputs:
    - w: current weights, array of shape (d,) (not modified).
    - grad: gradient of the loss at w, shape (d,).
    - lr: learning rate (step size) > 0.

    Returns:
    - a new array of shape (d,): w - lr * grad.
    """
    # TODO: Step against the gradient, without changing w in place.
    # HINT: `w -= ...` would modify the caller's array; build a new one instead.
    # YOUR CODE HERE
    raise NotImplementedError()


def gradient_descent(loss_fn: Callable, grad_fn: Callable, w0: np.ndarray, lr: float,
                     max_steps: int = 1000, tol: float = 1e-8) -> tuple[np.ndarray, list]:
    """Plain gradient descent with a gradient-norm stopping rule.

    Inputs:
    - loss_fn: w -> float; grad_fn: w -> array shaped like w.
    - w0: starting weights, shape (d,) (not modified); lr: learning rate.
    - max_steps: the most updates to make; tol: stop when norm(grad_fn(w)) < tol.

    Returns:
    - (w, losses): the final weights, shape (d,), and a list of floats. losses[0] =
      loss_fn(w0) and losses[i] is the loss after update i, so len(losses) == updates + 1.
      The gradient norm is checked before each update. A loss that is not finite (inf or
      nan: divergence) is appended and ends the run; nothing is raised. So when
      loss_fn(w0) itself is not finite, no update is made: w is (a copy of) w0 and
      losses == [loss_fn(w0)].
    """
    # TODO: Loop: stop on a non-finite loss, check the gradient norm, update w, record the
    # loss.
    # HINT: np.linalg.norm and np.isfinite. Write out what happens with max_steps=0, and
    # when the very first loss is inf.
    # YOUR CODE HERE
    raise NotImplementedError()


def momentum_descent(loss_fn: Callable, grad_fn: Callable, w0: np.ndarray, lr: float,
                     beta: float = 0.9, max_steps: int = 1000,
                     tol: float = 1e-8) -> tuple[np.ndarray, list]:
    """Gradient descent with heavy-ball momentum.

    Inputs:
    - as gradient_descent, plus beta in [0, 1): how much of the previous velocity is kept.

    Returns:
    - (w, losses) with the same contract as gradient_descent (stopping rules included:
      tol applies to norm(grad_fn(w)), not to v; no update when loss_fn(w0) is not
      finite), using the updates
      v = beta * v + grad_fn(w), w = w - lr * v, with v starting at zeros.
    """
    # TODO: As gradient_descent, but keep a velocity v that accumulates gradients.
    # HINT: v = np.zeros_like(w) before the loop.
    # YOUR CODE HERE
    raise NotImplementedError()


def backtracking_line_search(loss_fn: Callable, grad_fn: Callable, w: np.ndarray,
                             lr0: float = 1.0, shrink: float = 0.5, c: float = 1e-4) -> float:
    """Choose a learning rate by backtracking until the Armijo condition holds.

    Inputs:
    - loss_fn, grad_fn: as gradient_descent; w: current weights, shape (d,) (not modified).
    - lr0: the first learning rate tried; shrink in (0, 1): factor per retry;
      c: required fraction of the decrease predicted by the gradient.

    Returns:
    - float: the first lr = lr0 * shrink**k, k = 0, 1, ..., 50, with
      loss_fn(w - lr * g) <= loss_fn(w) - c * lr * (g @ g), g = grad_fn(w);
      lr0 * shrink**50 if none qualifies.
    """
    # TODO: Try lr0, lr0 * shrink, ... until the loss drops by at least c * lr * |g|^2.
    # HINT: evaluate loss_fn(w) and grad_fn(w) once, before the loop.
    # YOUR CODE HERE
    raise NotImplementedError()


def max_stable_learning_rate(hessian: np.ndarray) -> float:
    """The largest learning rate for which gradient descent converges on a quadratic.

    On L(w) = 0.5 w^T H w, an update multiplies the eigencomponent along eigenvalue
    lambda by (1 - lr * lambda); all shrink exactly when lr < 2 / lambda_max.

    Inputs:
    - hessian: symmetric positive-definite array of shape (d, d).

    Returns:
    - float: 2 / (largest eigenvalue of hessian).
    """
    # TODO: Find the largest eigenvalue and return the stability bound.
    # HINT: np.linalg.eigvalsh is for symmetric matrices.
    # YOUR CODE HERE
    raise NotImplementedError()
