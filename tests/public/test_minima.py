"""Public checks for minima.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

from grader.isolation.formulas import double_well

# (w**2 - 1)**2 + 0.5 * w and its gradient: two valleys, near w = -1.06 (deeper) and 0.93.
# A grader formula: under the grader it runs beside your code instead of being called back.
tilted_double_well, tilted_double_well_grad = double_well(tilt=0.5)


@pytest.mark.points(1)
def test_classify_critical_point_examples(submission):
    """classify_critical_point: a bowl, a cap, a saddle and a flat direction
    x**2 + 2y**2 -> minimum, -(x**2 + 2y**2) -> maximum, x*y -> saddle (eigenvalues +1 and -1),
    x**2 (flat along y) -> degenerate."""
    cases = [("minimum", [[2.0, 0.0], [0.0, 4.0]]), ("maximum", [[-2.0, 0.0], [0.0, -4.0]]),
             ("saddle", [[0.0, 1.0], [1.0, 0.0]]), ("degenerate", [[2.0, 0.0], [0.0, 0.0]])]
    for expected, hessian in cases:
        got = submission.minima.classify_critical_point(np.array(hessian))
        assert got == expected, f"Hessian {hessian} should be {expected!r}, got {got!r}"


@pytest.mark.points(1)
def test_multi_start_minimize_finds_the_deeper_valley(submission):
    """multi_start_minimize: starts 1.5, -1.5 and 0.5 on a tilted double well find the left valley
    From 1.5 and 0.5 gradient descent stops in the shallow right valley (loss 0.48); only the
    start at -1.5 reaches the deeper left one (loss -0.51): keep the run with the lowest loss."""
    starts = np.array([[1.5], [-1.5], [0.5]])
    best_w, best_loss = submission.minima.multi_start_minimize(
        tilted_double_well, tilted_double_well_grad, starts, 0.02)
    assert np.shape(best_w) == (1,), f"best_w should have shape (1,), got {np.shape(best_w)}"
    assert best_w[0] == pytest.approx(-1.0574537707, abs=1e-6), (
        f"best_w should be the left minimum near -1.057, got {best_w}")
    assert best_loss == pytest.approx(tilted_double_well(best_w), rel=1e-9), (
        f"best_loss {best_loss} should be the loss at best_w")


def symmetric_well(w):
    """(w**2 - 1)**2: two equally deep valleys at -1 and 1; nan once |w| passes 10."""
    return float("nan") if abs(w[0]) > 10 else float((w[0] ** 2 - 1) ** 2)


def symmetric_well_grad(w):
    return np.array([4 * w[0] * (w[0] ** 2 - 1)])


@pytest.mark.points(1)
def test_multi_start_minimize_nan_and_ties(submission):
    """multi_start_minimize: a run ending on nan never wins; of equal losses the first start wins
    From 4.0 with lr=0.05 the run overshoots and its loss becomes nan; from 0.5 and -0.5 the runs
    reach the valleys at 1 and -1 with exactly equal losses: the start listed first, 0.5, wins.
    (np.argmin would pick the nan run.)"""
    starts = np.array([[4.0], [0.5], [-0.5]])
    best_w, best_loss = submission.minima.multi_start_minimize(
        symmetric_well, symmetric_well_grad, starts, 0.05)
    assert not np.isnan(best_loss), "best_loss is nan: a run that ended on nan must not win"
    assert np.shape(best_w) == (1,), f"best_w should have shape (1,), got {np.shape(best_w)}"
    assert best_w[0] == pytest.approx(1.0, abs=1e-6), (
        f"best_w should be the valley at 1, reached from the first of the tied starts (0.5), "
        f"got {best_w}")
    assert best_loss == pytest.approx(0.0, abs=1e-12), f"best_loss should be ~0, got {best_loss}"
