"""Public checks for regularization.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

from grader.checking import gradcheck

W = np.array([1.0, -2.0, 3.0])
SEEDS = (1, 2, 3)


def weights(seed, size=4):
    """Random weights whose entries all lie at least 0.1 away from 0 (the kink of abs)."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.1, 2.0, size=size)


PENALTIES = {"l2_penalty": lambda w: np.sum(w**2), "l1_penalty": lambda w: np.sum(np.abs(w))}


def penalty_of_w(submission, name, lam):
    """(your penalty `name`(w, lam), the correct one) as functions of w."""
    def own(w):
        return getattr(submission.regularization, name)(w, lam)

    def correct(w):
        return float(lam * PENALTIES[name](w))

    return own, correct


def ridge_loss_of_w(submission, X, y, lam):
    """(your ridge_loss(X, w, y, lam), the correct one) as functions of w."""
    def own(w):
        return submission.regularization.ridge_loss(X, w, y, lam)

    def correct(w):
        return float(np.mean((X @ w - y) ** 2) + lam * np.sum(w**2))

    return own, correct


@pytest.mark.points(1)
def test_l2_penalty_worked_example(submission):
    """l2_penalty: w=[1, -2, 3] with lam=0.1 gives 1.4
    lam * (1 + 4 + 9) = 0.1 * 14."""
    got = submission.regularization.l2_penalty(W, 0.1)
    assert got == pytest.approx(1.4, rel=1e-12), f"0.1 * sum(w**2) = 1.4, got {got}"


@pytest.mark.points(1)
def test_l2_gradient_worked_example(submission):
    """l2_gradient: w=[1, -2, 3] with lam=0.1 gives [0.2, -0.4, 0.6]
    The slope of 0.1 * (w[0]**2 + w[1]**2 + w[2]**2) along each w[i]: only one term moves."""
    got = submission.regularization.l2_gradient(W, 0.1)
    np.testing.assert_allclose(got, [0.2, -0.4, 0.6], rtol=1e-12,
                               err_msg="the gradient of 0.1 * sum(w**2) at w = [1, -2, 3]")


@pytest.mark.points(1)
def test_l2_gradient_matches_slope_of_l2_penalty(submission):
    """l2_gradient: agrees with central differences of your own l2_penalty
    Nudge each w[i] by +-h and recompute your l2_penalty(w, lam): the slope must equal your
    l2_gradient, at random w and lam."""
    for seed in SEEDS:
        w, lam = weights(seed), 0.1 * seed
        analytic = submission.regularization.l2_gradient(w, lam)
        gradcheck.expect_gradient(analytic, *penalty_of_w(submission, "l2_penalty", lam), w,
                                  f"l2_gradient at a random point (lam={lam:g})", "l2_penalty")


@pytest.mark.points(1)
def test_l1_penalty_worked_example(submission):
    """l1_penalty: w=[1, -2, 3] with lam=0.1 gives 0.6
    lam * (|1| + |-2| + |3|) = 0.1 * 6."""
    got = submission.regularization.l1_penalty(W, 0.1)
    assert got == pytest.approx(0.6, rel=1e-12), f"0.1 * sum(abs(w)) = 0.6, got {got}"


@pytest.mark.points(1)
def test_l1_subgradient_is_zero_at_zero(submission):
    """l1_subgradient: w=[1.5, 0, -2] with lam=0.5 gives [0.5, 0, -0.5]
    Every nonzero weight is pushed toward 0 equally hard, whatever its size; at w[i] == 0, the
    kink of abs, the contract picks 0 so that a zero weight stays."""
    got = submission.regularization.l1_subgradient(np.array([1.5, 0.0, -2.0]), 0.5)
    np.testing.assert_allclose(got, [0.5, 0.0, -0.5], rtol=1e-12,
                               err_msg="the subgradient of 0.5 * sum(abs(w)) at [1.5, 0, -2]")


@pytest.mark.points(1)
def test_l1_subgradient_matches_slope_of_l1_penalty(submission):
    """l1_subgradient: away from 0 it agrees with central differences of your own l1_penalty
    Where no w[i] is near the kink at 0, abs has an ordinary slope: nudging each w[i] by +-h and
    recomputing your l1_penalty(w, lam) must give your l1_subgradient."""
    for seed in SEEDS:
        w, lam = weights(seed), 0.2 * seed
        analytic = submission.regularization.l1_subgradient(w, lam)
        gradcheck.expect_gradient(analytic, *penalty_of_w(submission, "l1_penalty", lam), w,
                                  f"l1_subgradient at a random point (lam={lam:g})", "l1_penalty")


@pytest.mark.points(1)
def test_ridge_loss_worked_example(submission):
    """ridge_loss: X=I, w=[1, 2], y=[1, 0], lam=0.5 gives 4.5
    Residuals [0, 2] give mse 4 / 2 = 2; the penalty is 0.5 * (1 + 4) = 2.5."""
    got = submission.regularization.ridge_loss(np.eye(2), np.array([1.0, 2.0]),
                                               np.array([1.0, 0.0]), 0.5)
    assert got == pytest.approx(4.5, rel=1e-12), f"mse 2 + penalty 2.5 = 4.5, got {got}"


@pytest.mark.points(1)
def test_ridge_gradient_worked_example(submission):
    """ridge_gradient: X=I, w=[1, 2], y=[1, 0], lam=0.5 gives [1, 4]
    The gradient of a sum is the sum of the gradients: here the mse part is [0, 2] and the
    penalty part [1, 2]."""
    got = submission.regularization.ridge_gradient(np.eye(2), np.array([1.0, 2.0]),
                                                   np.array([1.0, 0.0]), 0.5)
    np.testing.assert_allclose(got, [1.0, 4.0], rtol=1e-12,
                               err_msg="mse_gradient + l2_gradient")


@pytest.mark.points(1)
def test_ridge_gradient_matches_slope_of_ridge_loss(submission):
    """ridge_gradient: agrees with central differences of your own ridge_loss
    Nudge each w[j] by +-h and recompute your ridge_loss(X, w, y, lam): the slope must equal
    your ridge_gradient at random points."""
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        X, w, y, lam = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=6), 0.3
        analytic = submission.regularization.ridge_gradient(X, w, y, lam)
        gradcheck.expect_gradient(analytic, *ridge_loss_of_w(submission, X, y, lam), w,
                                  f"ridge_gradient at random point {seed}", "ridge_loss")


@pytest.mark.points(1)
def test_ridge_closed_form_worked_example(submission):
    """ridge_closed_form: X=I (n=2), y=[2, 4], lam=0.5 gives w=[1, 2]
    At w = [1, 2] the ridge gradient is zero: the data term pulls w toward y exactly as hard
    as the penalty pulls it toward 0. [4/3, 8/3] would mean the mean's 1/n was lost."""
    got = submission.regularization.ridge_closed_form(np.eye(2), np.array([2.0, 4.0]), 0.5)
    np.testing.assert_allclose(got, [1.0, 2.0], rtol=1e-12,
                               err_msg="the w where the ridge gradient is zero")
