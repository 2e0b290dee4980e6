"""Mini project: gradient descent on a custom logistic loss.

Train a logistic-regression classifier by gradient descent on
    L(w) = mean(log(1 + exp(X w)) - y * (X w)) + lam * ||w||^2,
sweep the learning rate, and plot the loss curves on a log scale to see which rates
crawl, which converge and which oscillate.
"""

from __future__ import annotations

import numpy as np

from gradient_descent import gd_step
from losses import logistic_gradient, logistic_loss
from regularization import l2_gradient, l2_penalty


def train_logistic_regression(X: np.ndarray, y: np.ndarray, lr: float, n_steps: int,
                              lam: float = 0.0) -> tuple[np.ndarray, list]:
    """Fit logistic regression with exactly n_steps gradient-descent updates.

    Minimises L(w) = logistic_loss(X, w, y) + l2_penalty(w, lam) from w = zeros(d).

    Inputs:
    - X: array of shape (n, d); y: labels in {0, 1}, shape (n,).
    - lr: learning rate; n_steps: number of updates; lam: L2 strength (>= 0).

    Returns:
    - (w, losses): w of shape (d,) after n_steps updates from zeros(d); losses a list of
      exactly n_steps + 1 floats, L before and after each update. Always n_steps updates:
      no stopping rule, not even when the loss becomes inf or nan (a diverging run, e.g.
      lr * lam > 1, keeps its non-finite losses to the end and raises no exception; the
      RuntimeWarnings numpy prints on the way, such as "overflow encountered", are
      expected). That is why gradient_descent, which stops at a non-finite loss, does not
      fit here.
    """
    # TODO: Define L and its gradient as functions of w, then make exactly n_steps updates
    # from w = zeros(d), recording L before the first update and after each one.
    # HINT: a for loop over range(n_steps) with your gd_step; reuse logistic_loss,
    # logistic_gradient, l2_penalty and l2_gradient.
    # YOUR CODE HERE
    raise NotImplementedError()


def learning_rate_sweep(X: np.ndarray, y: np.ndarray, lrs: list, n_steps: int) -> list:
    """Train once per learning rate and collect the loss curves.

    Inputs:
    - X, y: as train_logistic_regression; lrs: list of learning rates; n_steps: updates per run.

    Returns:
    - list of len(lrs) loss lists, the i-th from train_logistic_regression(X, y, lrs[i], n_steps).
    """
    # TODO: One training run per learning rate; keep only the losses.
    # HINT: a list comprehension.
    # YOUR CODE HERE
    raise NotImplementedError()


def plot_loss_curves(curves: list, labels: list, path: str) -> str:
    """Plot loss curves on a log-scale y axis and save them as a PNG.

    Inputs:
    - curves: list of loss lists (one line each); labels: one legend label per curve. A
      diverging run's curve may end in inf or nan: plot it as it is (matplotlib leaves
      such points out).
    - path: where to write the PNG.

    Returns:
    - path, after the PNG is written: x is the iteration, y the loss (log scale),
      both axes labelled, with a legend.
    """
    # TODO: Draw one line per curve, use a log y scale, label the axes, add a legend, save.
    # HINT: matplotlib's Figure (from matplotlib.figure) needs no pyplot and no display.
    # YOUR CODE HERE
    raise NotImplementedError()
