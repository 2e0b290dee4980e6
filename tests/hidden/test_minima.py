"""Hidden checks for minima.py."""

import numpy as np
import pytest

from grader.checking.expect import (
    expect,
    expect_array,
    expect_close,
    expect_float,
    expect_unchanged,
)
from grader.isolation.formulas import double_well  # (w0^2 - 1)^2 + tilt w0 + bowl |w[1:]|^2
from reference import descent, rotated_symmetric


def _classify(submission, eigs, seed, want, **kwargs):
    # seed None: the diagonal matrix itself, whose eigenvalues are exactly eigs
    H = np.diag(eigs) if seed is None else rotated_symmetric(eigs, np.random.default_rng(seed))
    got = submission.minima.classify_critical_point(H, **kwargs)
    what = f"classify_critical_point of a {len(eigs)}x{len(eigs)} Hessian" + (
        f" with tol={kwargs['tol']}" if kwargs else "")
    expect(isinstance(got, str), f"{what} should return a string, but returned {got!r}")
    expect(got == want, f"{what} returned {got!r}, which is not its kind")
    expect_unchanged(submission)


@pytest.mark.points(1)
def test_classify_minimum(submission):
    """classify_critical_point: positive-definite rotated Hessians are minima"""
    _classify(submission, [0.5, 2.0], 1, "minimum")
    _classify(submission, [0.1, 3.0, 1e-6, 5.0], 2, "minimum")


@pytest.mark.points(1)
def test_classify_maximum(submission):
    """classify_critical_point: negative-definite rotated Hessians are maxima"""
    _classify(submission, [-0.5, -2.0], 3, "maximum")
    _classify(submission, [-1.0, -4.0, -1e-6], 4, "maximum")


@pytest.mark.points(2)
def test_classify_saddle(submission):
    """classify_critical_point: mixed-sign eigenvalues make a saddle (any dimension)"""
    _classify(submission, [1.0, -1.0], 5, "saddle")
    _classify(submission, [3.0, -1.0, -2.0], 6, "saddle")
    _classify(submission, [-1.0, -2.0, 3.0, 4.0], 7, "saddle")


@pytest.mark.points(2)
def test_classify_near_zero_is_degenerate(submission):
    """classify_critical_point: eigenvalues within tol of zero make it degenerate"""
    _classify(submission, [2.0, 0.5, 3e-9], 8, "degenerate")
    _classify(submission, [-2.0, -1.0, -4e-9], 9, "degenerate")
    _classify(submission, [1.0, 0.0, 2.0, 0.5], 10, "degenerate")
    _classify(submission, [0.0, 0.0], 11, "degenerate")


@pytest.mark.points(1)
def test_classify_zero_eigenvalue_in_saddle(submission):
    """classify_critical_point: some > tol and some < -tol is a saddle even with a zero one"""
    _classify(submission, [3.0, -1.0, 0.0], 12, "saddle")
    _classify(submission, [2e-9, 1.0, -0.5], 13, "saddle")


@pytest.mark.points(2)
def test_classify_uses_tol(submission):
    """classify_critical_point: the tol argument decides what counts as zero
    The comparisons are strict: an eigenvalue exactly tol (or -tol) is within tol of zero."""
    for eigs in ([1e-8, 1.0], [-1e-8, -1.0], [1e-8, -1.0], [1.0, -1e-8]):
        _classify(submission, eigs, None, "degenerate")
    _classify(submission, [1.0, 2.0, 1e-3], 14, "degenerate", tol=1e-2)
    _classify(submission, [1.0, 2.0, 1e-3], 14, "minimum", tol=1e-4)
    _classify(submission, [-1.0, -2.0, -1e-3], 15, "degenerate", tol=1e-2)
    _classify(submission, [-1.0, -2.0, -1e-3], 15, "maximum", tol=1e-4)
    _classify(submission, [0.5, -1e-3], 16, "degenerate", tol=1e-2)


def _best(loss_fn, grad_fn, starts, lr, max_steps=1000):
    runs = [descent(loss_fn, grad_fn, s, lr, max_steps) for s in starts]
    w, losses = min(runs, key=lambda run: run[1][-1])
    return w, losses[-1]


def _multi_start(submission, what, *args, **kwargs):
    result = submission.minima.multi_start_minimize(*args, **kwargs)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           f"{what} should return a pair (best_w, best_loss), but returned "
           f"{type(result).__name__}")
    expect_unchanged(submission)
    return result


# the start closest to a minimum (lowest starting loss) lies in the local, worse basin
STARTS_1D = np.array([[1.0], [0.4], [-2.0], [1.8], [-0.5]])


@pytest.mark.points(3)
def test_multi_start_finds_global_minimum(submission):
    """multi_start_minimize: on a 1-D double well it returns the global minimum"""
    loss_fn, grad_fn = double_well()
    roots = np.roots([4.0, 0.0, -4.0, 0.3]).real
    w_global = roots.min()
    best_w, best_loss = _multi_start(submission, "multi_start_minimize", loss_fn, grad_fn,
                                     STARTS_1D, 0.05)
    best_w = expect_array(best_w, (1,), "multi_start_minimize: best_w")
    best_loss = expect_float(best_loss, "multi_start_minimize: best_loss")
    expect(abs(best_w[0] - w_global) < 1e-6,
           f"multi_start_minimize returned best_w = {best_w}, which is not the global minimum")
    expect_close(best_loss, loss_fn(best_w), "multi_start_minimize: best_loss, compared with "
                 "loss_fn(best_w)", rtol=1e-12, atol=1e-15)


@pytest.mark.points(2)
def test_multi_start_matches_runs(submission):
    """multi_start_minimize: gradient_descent from each row, best final loss kept (max_steps)"""
    for tilt, lr, max_steps in ((0.3, 0.05, 1000), (0.3, 0.02, 3), (-0.4, 0.03, 25)):
        loss_fn, grad_fn = double_well(tilt, bowl=0.5)
        starts = np.column_stack([np.sign(tilt) * STARTS_1D[:, 0],
                                  np.linspace(-1.0, 1.0, len(STARTS_1D))])
        want_w, want_loss = _best(loss_fn, grad_fn, starts, lr, max_steps)
        what = f"multi_start_minimize(lr={lr}, max_steps={max_steps}) with 2-D starts"
        best_w, best_loss = _multi_start(submission, what, loss_fn, grad_fn, starts, lr,
                                         max_steps=max_steps)
        expect_close(best_w, want_w, f"{what}: best_w", rtol=1e-9, atol=1e-12)
        expect_close(best_loss, want_loss, f"{what}: best_loss", rtol=1e-9, atol=1e-12)


def _nan_beyond(limit):
    """(w**2 - 1)**2 + w / 4 and its gradient; the loss is nan once |w| passes limit."""
    def loss_fn(w):
        return float("nan") if abs(w[0]) > limit else float((w[0] ** 2 - 1) ** 2 + w[0] / 4)

    def grad_fn(w):
        return np.array([4 * w[0] * (w[0] ** 2 - 1) + 0.25])

    return loss_fn, grad_fn


@pytest.mark.points(1)
def test_multi_start_nan_runs(submission):
    """multi_start_minimize: nan never beats a number wherever it is; all nan gives the first run"""
    loss_fn, grad_fn = _nan_beyond(10.0)
    # from 4.0 and -4.5 the runs overshoot past 10 and end on nan; 0.8 ends in the right
    # valley, -0.2 in the deeper left one, which must win wherever the nan runs are
    want_w, want_loss = _best(loss_fn, grad_fn, np.array([[0.8], [-0.2]]), 0.05, 200)
    for starts in ([[4.0], [0.8], [-4.5], [-0.2]], [[0.8], [4.0], [-0.2], [-4.5]]):
        starts = np.array(starts)
        what = f"multi_start_minimize with starts {starts.ravel().tolist()}, two ending on nan"
        best_w, best_loss = _multi_start(submission, what, loss_fn, grad_fn, starts, 0.05,
                                         max_steps=200)
        expect_close(best_loss, want_loss, f"{what}: best_loss", rtol=1e-9, atol=1e-12)
        expect_close(best_w, want_w, f"{what}: best_w", rtol=1e-9, atol=1e-12)
    starts = np.array([[4.0], [-4.5]])
    first_w, _ = descent(loss_fn, grad_fn, starts[0], 0.05, 200)
    what = "multi_start_minimize when every run ends on nan"
    best_w, best_loss = _multi_start(submission, what, loss_fn, grad_fn, starts, 0.05,
                                     max_steps=200)
    expect(np.isnan(expect_float(best_loss, f"{what}: best_loss")),
           f"{what}: best_loss came back as {best_loss}, which is not the nan runs' loss")
    expect_close(best_w, first_w, f"{what}: best_w (the first run's)", rtol=1e-12, atol=0.0)
