"""Public checks for derivatives.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_forward_difference_is_off_by_h(submission):
    """forward_difference: x**2 at [0, 1, 2, -3] with h=1e-3 gives 2*x + h
    For f(x) = x**2, ((x + h)**2 - x**2) / h = 2*x + h exactly: the forward error is O(h)."""
    x = np.array([0.0, 1.0, 2.0, -3.0])
    got = submission.derivatives.forward_difference(lambda t: t**2, x, 1e-3)
    assert np.shape(got) == (4,), f"expected an array shaped like x (4,), got shape {np.shape(got)}"
    np.testing.assert_allclose(got, 2 * x + 1e-3, rtol=0, atol=1e-8,
                               err_msg="forward difference of x**2 should be 2*x + h")


@pytest.mark.points(1)
def test_central_difference_of_cube(submission):
    """central_difference: derivative of x**3 at 2.0 is 12
    d/dx x**3 = 3 * x**2 = 12 at x = 2; at the default h the estimate is within 1e-9 of it."""
    got = submission.derivatives.central_difference(lambda t: t**3, 2.0)
    assert got == pytest.approx(12.0, rel=1e-6), f"central difference of x**3 at 2.0 gave {got}"


@pytest.mark.points(1)
def test_central_difference_exact_for_quadratic(submission):
    """central_difference: exact for x**2 at 3.0 even with h=1e-3 (6, not 6.001)
    ((x + h)**2 - (x - h)**2) / (2h) = 2x: the O(h) terms cancel, unlike the forward difference."""
    got = submission.derivatives.central_difference(lambda t: t**2, 3.0, 1e-3)
    assert got == pytest.approx(6.0, abs=1e-8), (
        f"got {got}; 6.001 would be the forward difference, 12 or 3 a wrong divisor (use 2 * h)")


@pytest.mark.points(1)
def test_second_derivative_of_cube(submission):
    """second_derivative: second derivative of x**3 at 2.0 is 12
    d2/dx2 x**3 = 6 * x; divide by h**2, not 2 * h**2 or h."""
    got = submission.derivatives.second_derivative(lambda t: t**3, 2.0)
    assert got == pytest.approx(12.0, abs=1e-4), f"second derivative of x**3 at 2.0 gave {got}"


@pytest.mark.points(1)
def test_polynomial_derivative_of_quadratic(submission):
    """polynomial_derivative: 1 + 2x + 3x**2 gives 2 + 6x, coefficients [2, 6]
    coeffs[k] multiplies x**k, so the term k * coeffs[k] * x**(k - 1) lands at index k - 1."""
    got = submission.derivatives.polynomial_derivative(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(got, [2.0, 6.0], rtol=1e-12,
                               err_msg="the derivative of 1 + 2x + 3x**2 is 2 + 6x")


@pytest.mark.points(1)
def test_polynomial_derivative_of_constant(submission):
    """polynomial_derivative: the derivative of a constant is [0.0]
    A constant has no x**1 term: its derivative is the zero polynomial, kept as one coefficient."""
    got = submission.derivatives.polynomial_derivative(np.array([5.0]))
    np.testing.assert_array_equal(got, [0.0], err_msg="the derivative of p(x) = 5 is [0.0]")
