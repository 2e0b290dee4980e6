"""Public checks for losses.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

from grader.checking import gradcheck

SEEDS = (1, 2, 3)


def regression_problem(seed):
    """X (6, 3), w (3,), y (6,): a random linear-regression problem with n != d."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=6)


def classification_problem(seed):
    """X (7, 3), w (3,), labels y in {0, 1}: scores X @ w of moderate size."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(7, 3)), rng.normal(size=3), (rng.uniform(size=7) < 0.5) * 1.0


def mse_of_w(submission, X, y):
    """(your mse(X @ w, y), the correct one) as functions of w."""
    def own(w):
        return submission.losses.mse(X @ w, y)

    def correct(w):
        return float(np.mean((X @ w - y) ** 2))

    return own, correct


def logistic_loss_of_w(submission, X, y):
    """(your logistic_loss(X, w, y), the correct one) as functions of w."""
    def own(w):
        return submission.losses.logistic_loss(X, w, y)

    def correct(w):
        return float(np.mean(np.logaddexp(0.0, X @ w) - y * (X @ w)))

    return own, correct


@pytest.mark.points(1)
def test_mse_worked_example(submission):
    """mse: predictions [1, 2, 3] against [1, 2, 5] give 4/3
    Squared residuals [0, 0, 4], averaged over n = 3."""
    got = submission.losses.mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert got == pytest.approx(4 / 3, rel=1e-12), f"mean of [0, 0, 4] is 4/3, got {got}"


@pytest.mark.points(1)
def test_mse_gradient_worked_example(submission):
    """mse_gradient: X=[[1, 0], [0, 1], [1, 1]], w=[1, 1], y=[1, 1, 1] give [2/3, 2/3]
    The residuals X @ w - y are [0, 0, 1]: only the third sample pulls on the loss, and it
    involves w[0] and w[1] alike, so both partial derivatives are equal."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    got = submission.losses.mse_gradient(X, np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(got, [2 / 3, 2 / 3], rtol=1e-12,
                               err_msg="the gradient of mean((X @ w - y)**2) at w = [1, 1]")


@pytest.mark.points(1)
def test_mse_gradient_matches_slope_of_mse(submission):
    """mse_gradient: agrees with central differences of your own mse at random points
    Nudge each w[j] by +-h and recompute mse(X @ w, y) with your mse: the slope must equal
    your mse_gradient, as your check_gradient would say."""
    for seed in SEEDS:
        X, w, y = regression_problem(seed)
        analytic = submission.losses.mse_gradient(X, w, y)
        gradcheck.expect_gradient(analytic, *mse_of_w(submission, X, y), w,
                                  f"mse_gradient at random point {seed}", "mse")


@pytest.mark.points(1)
def test_binary_cross_entropy_worked_example(submission):
    """binary_cross_entropy: p=[0.5, 0.8] for labels [1, 0] gives ln(10) / 2
    -(ln 0.5 + ln(1 - 0.8)) / 2 = (ln 2 + ln 5) / 2: each label pays -log of its probability."""
    got = submission.losses.binary_cross_entropy(np.array([0.5, 0.8]), np.array([1.0, 0.0]))
    assert got == pytest.approx(np.log(10.0) / 2, rel=1e-9), f"expected ln(10)/2, got {got}"


@pytest.mark.points(1)
def test_binary_cross_entropy_clips_probabilities(submission):
    """binary_cross_entropy: p=0 for label 1 costs -ln(1e-12) = 27.63, not inf
    Clip p to [eps, 1 - eps] before the log, so a certain but wrong prediction stays finite."""
    got = submission.losses.binary_cross_entropy(np.array([0.0]), np.array([1.0]))
    problems = submission.last_call.warnings
    assert problems == [], f"binary_cross_entropy raised {problems}; clip p before np.log"
    assert np.isfinite(got), f"the loss should be finite, got {got}"
    assert got == pytest.approx(-np.log(1e-12), rel=1e-9), f"expected -ln(1e-12), got {got}"


@pytest.mark.points(1)
def test_logistic_loss_is_stable_for_huge_scores(submission):
    """logistic_loss: scores z = 1000 with labels [1, 0] give 500, finite and without overflow
    log(1 + exp(1000)) - 1000 is about 0 (right label) and log(1 + exp(1000)) about 1000 (wrong);
    np.logaddexp(0, z) computes log(1 + exp(z)) without overflow."""
    X = np.array([[1.0], [1.0]])
    got = submission.losses.logistic_loss(X, np.array([1000.0]), np.array([1.0, 0.0]))
    problems = submission.last_call.warnings
    assert problems == [], f"logistic_loss raised {problems}; use np.logaddexp(0, z)"
    assert got == pytest.approx(500.0, rel=1e-9), f"mean of [0, 1000] is 500, got {got}"


@pytest.mark.points(1)
def test_logistic_gradient_at_zero(submission):
    """logistic_gradient: X=[[1, 2], [3, 4]], y=[1, 0], w=0 give [0.5, 0.5]
    At w = 0 every predicted probability is 0.5: the first sample (label 1) pulls w up, the
    second (label 0, with larger features) pulls it down harder."""
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = submission.losses.logistic_gradient(X, np.zeros(2), np.array([1.0, 0.0]))
    np.testing.assert_allclose(got, [0.5, 0.5], rtol=1e-12,
                               err_msg="the gradient of logistic_loss at w = 0")


@pytest.mark.points(1)
def test_logistic_gradient_matches_slope_of_logistic_loss(submission):
    """logistic_gradient: agrees with central differences of your own logistic_loss
    Nudge each w[j] by +-h and recompute your logistic_loss(X, w, y): the slope must equal your
    logistic_gradient at random points, as your check_gradient would say."""
    for seed in SEEDS:
        X, w, y = classification_problem(seed)
        analytic = submission.losses.logistic_gradient(X, w, y)
        gradcheck.expect_gradient(analytic, *logistic_loss_of_w(submission, X, y), w,
                                  f"logistic_gradient at random point {seed}", "logistic_loss")
