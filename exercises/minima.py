"""Local vs global minima: classify critical points, and restart to escape bad basins.

At a critical point (gradient zero) the Hessian's eigenvalues tell its kind: all positive
is a local minimum, all negative a maximum, mixed signs a saddle. Gradient descent finds
the minimum of the basin it starts in; several starts give several chances at the global one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradient_descent import gradient_descent


def classify_critical_point(hessian: np.ndarray, tol: float = 1e-8) -> str:
    """Classify a critical point by the eigenvalues of its Hessian.

    Inputs:
    - hessian: symmetric array of shape (d, d) at the critical point.
    - tol: eigenvalues within [-tol, tol] count as zero.

    Returns:
    - "minimum" if all eigenvalues > tol, "maximum" if all < -tol, "saddle" if some are
      > tol and some < -tol, otherwise "degenerate" (the second-order test cannot tell).
    """
    # TODO: Compute the eigenvalues and apply the second-order test.
    # HINT: np.linalg.eigvalsh gives the eigenvalues of a symmetric matrix; np.all and
    # np.any test them all at once.
    # YOUR CODE HERE
    raise NotImplementedError()


def multi_start_minimize(loss_fn: Callable, grad_fn: Callable, starts: np.ndarray,
                         lr: float, max_steps: int = 1000) -> tuple[np.ndarray, float]:
    """Run gradient descent from several starts and keep the best result.

    Inputs:
    - loss_fn, grad_fn: as gradient_descent.
    - starts: array of shape (k, n), one starting point per row (not modified).
    - lr: learning rate; max_steps: the most updates per run.

    Returns:
    - (best_w, best_loss): the final weights, shape (n,), of the run whose final loss
      (the last entry of its losses) is lowest, and that loss as a float.
      Ties: among runs with equal final losses, the first in the order of starts wins.
      NaN: a run whose final loss is nan never wins over a run that ended on a number
      (inf included); only when every run ends on nan is the first run returned.
      Careful: np.argmin and Python's min treat nan differently from this.
    """
    # TODO: Call gradient_descent from each row of starts; keep the lowest final loss.
    # HINT: a run's final loss is the last entry of its losses list. Compare with <, which
    # keeps the first of equal losses, and decide what a nan must never do.
    # YOUR CODE HERE
    raise NotImplementedError()
