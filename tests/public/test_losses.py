"""Public checks for losses.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_mse_worked_example(submission):
    """mse: predictions [1, 2, 3] against [1, 2, 5] give 4/3
    Squared residuals [0, 0, 4], averaged over n = 3."""
    got = submission.losses.mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert got == pytest.approx(4 / 3, rel=1e-12), f"mean of [0, 0, 4] is 4/3, got {got}"


@pytest.mark.points(1)
def test_mse_gradient_worked_example(submission):
    """mse_gradient: X=[[1, 0], [0, 1], [1, 1]], w=[1, 1], y=[1, 1, 1] give [2/3, 2/3]
    Residual X @ w - y = [0, 0, 1]; X.T @ residual = [1, 1]; times 2 / n = 2 / 3."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    got = submission.losses.mse_gradient(X, np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(got, [2 / 3, 2 / 3], rtol=1e-12,
                               err_msg="(2 / n) * X.T @ (X @ w - y)")


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
    sigmoid(0) = 0.5, so sigmoid(X @ w) - y = [-0.5, 0.5]; X.T @ that = [1, 1]; divided by n = 2."""
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = submission.losses.logistic_gradient(X, np.zeros(2), np.array([1.0, 0.0]))
    np.testing.assert_allclose(got, [0.5, 0.5], rtol=1e-12,
                               err_msg="(1 / n) * X.T @ (sigmoid(X @ w) - y)")
