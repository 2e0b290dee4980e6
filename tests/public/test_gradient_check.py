"""Public checks for gradient_check.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_relative_error_worked_example(submission):
    """relative_error: a=[0, 1, 3] and b=[0, 1, 1] give 0.5
    Elementwise |a - b| / max(|a| + |b|, eps) is [0, 0, 2/4]; two zeros give 0, not 0/0."""
    got = submission.gradient_check.relative_error(np.array([0.0, 1.0, 3.0]),
                                                   np.array([0.0, 1.0, 1.0]))
    assert np.isfinite(got), f"got {got}: floor the denominator at eps so 0 / 0 cannot happen"
    assert got == pytest.approx(0.5, rel=1e-12), f"the largest relative error is 2 / 4, got {got}"


@pytest.mark.points(1)
def test_check_gradient_accepts_a_correct_gradient(submission):
    """check_gradient: accepts 2*x as the gradient of sum(x**2)"""
    x = np.array([1.0, -2.0, 3.0])
    passed, error = submission.gradient_check.check_gradient(
        lambda v: float(np.sum(v**2)), lambda v: 2 * v, x)
    assert error < 1e-6, f"max relative error {error} for a correct gradient should be tiny"
    assert passed is True, f"a correct gradient should pass, got passed={passed!r}"


@pytest.mark.points(1)
def test_check_gradient_flags_a_missing_factor(submission):
    """check_gradient: flags x as the gradient of sum(x**2), with error 1/3
    |x - 2x| / (|x| + |2x|) = 1/3 in every coordinate: far above any sensible tol."""
    x = np.array([1.0, -2.0, 3.0])
    passed, error = submission.gradient_check.check_gradient(
        lambda v: float(np.sum(v**2)), lambda v: v, x)
    assert passed is False, f"a gradient missing its factor 2 should fail, got passed={passed!r}"
    assert error == pytest.approx(1 / 3, rel=1e-6), f"max relative error should be 1/3, got {error}"
