"""Public checks for regularization.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

W = np.array([1.0, -2.0, 3.0])


@pytest.mark.points(1)
def test_l2_penalty_worked_example(submission):
    """l2_penalty: w=[1, -2, 3] with lam=0.1 gives 1.4
    lam * (1 + 4 + 9) = 0.1 * 14."""
    got = submission.regularization.l2_penalty(W, 0.1)
    assert got == pytest.approx(1.4, rel=1e-12), f"0.1 * sum(w**2) = 1.4, got {got}"


@pytest.mark.points(1)
def test_l2_gradient_worked_example(submission):
    """l2_gradient: w=[1, -2, 3] with lam=0.1 gives [0.2, -0.4, 0.6]
    d/dw_i of lam * w_i**2 is 2 * lam * w_i."""
    got = submission.regularization.l2_gradient(W, 0.1)
    np.testing.assert_allclose(got, [0.2, -0.4, 0.6], rtol=1e-12, err_msg="2 * lam * w")


@pytest.mark.points(1)
def test_l1_penalty_worked_example(submission):
    """l1_penalty: w=[1, -2, 3] with lam=0.1 gives 0.6
    lam * (|1| + |-2| + |3|) = 0.1 * 6."""
    got = submission.regularization.l1_penalty(W, 0.1)
    assert got == pytest.approx(0.6, rel=1e-12), f"0.1 * sum(abs(w)) = 0.6, got {got}"


@pytest.mark.points(1)
def test_l1_subgradient_is_zero_at_zero(submission):
    """l1_subgradient: w=[1.5, 0, -2] with lam=0.5 gives [0.5, 0, -0.5]
    lam * sign(w): every nonzero weight is pushed toward 0 equally hard; a zero weight stays."""
    got = submission.regularization.l1_subgradient(np.array([1.5, 0.0, -2.0]), 0.5)
    np.testing.assert_allclose(got, [0.5, 0.0, -0.5], rtol=1e-12, err_msg="lam * sign(w)")


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
    The gradient of a sum is the sum of gradients: (2/2) * [0, 2] + 2 * 0.5 * [1, 2]."""
    got = submission.regularization.ridge_gradient(np.eye(2), np.array([1.0, 2.0]),
                                                   np.array([1.0, 0.0]), 0.5)
    np.testing.assert_allclose(got, [1.0, 4.0], rtol=1e-12,
                               err_msg="mse_gradient + l2_gradient")


@pytest.mark.points(1)
def test_ridge_closed_form_worked_example(submission):
    """ridge_closed_form: X=I (n=2), y=[2, 4], lam=0.5 gives w=[1, 2]
    (X.T @ X + n * lam * I) w = X.T @ y reads 2 w = y here; [4/3, 8/3] would mean n was left out."""
    got = submission.regularization.ridge_closed_form(np.eye(2), np.array([2.0, 4.0]), 0.5)
    np.testing.assert_allclose(got, [1.0, 2.0], rtol=1e-12,
                               err_msg="solve (X.T @ X + n * lam * I) w = X.T @ y")
