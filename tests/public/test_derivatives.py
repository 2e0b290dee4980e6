"""Public checks for derivatives.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

from grader.checking import gradcheck
from grader.checking.expect import expect_array


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
    d/dx x**3 = 3 * x**2 = 12 at x = 2. At the default h = 1e-5 the estimate is within 3e-8 of
    it: 100 times its truncation error h**2 (1e-10) plus round-off (2e-10)."""
    got = submission.derivatives.central_difference(lambda t: t**3, 2.0)
    assert got == pytest.approx(12.0, abs=3e-8), f"central difference of x**3 at 2.0 gave {got}"


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
def test_second_derivative_default_step(submission):
    """second_derivative: uses h = 1e-4 when h is not given
    On cos(1000 x) the estimate depends visibly on h: second_derivative(f, x) must equal
    second_derivative(f, x, h=1e-4) up to round-off, while a default of h = 1e-5 gives values
    hundreds away (the second derivative is about 1e6 in size here)."""
    x = np.array([0.3, 1.1, -0.7])
    default = submission.derivatives.second_derivative(lambda t: np.cos(1000.0 * t), x)
    given = submission.derivatives.second_derivative(lambda t: np.cos(1000.0 * t), x, 1e-4)
    assert np.shape(default) == (3,), f"expected an array shaped like x, got {np.shape(default)}"
    # 100 times the round-off of a second difference, 4 eps |f| / h**2 = 9e-8 (|f| <= 1)
    np.testing.assert_allclose(default, given, rtol=0, atol=1e-5,
                               err_msg="the default h of second_derivative should be 1e-4")


@pytest.mark.points(1)
def test_polynomial_derivative_of_quadratic(submission):
    """polynomial_derivative: 1 + 2x + 3x**2 gives 2 + 6x, coefficients [2, 6]
    coeffs[k] multiplies x**k, lowest power first: [1, 2, 3] is 1 + 2x + 3x**2, not np.polyder's
    x**2 + 2x + 3 (whose derivative [2, 2] would mean the order was reversed)."""
    got = submission.derivatives.polynomial_derivative(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(got, [2.0, 6.0], rtol=1e-12,
                               err_msg="the derivative of 1 + 2x + 3x**2 is 2 + 6x "
                                       "(coeffs[k] multiplies x**k, the reverse of np.polyder)")


@pytest.mark.points(1)
def test_polynomial_derivative_of_constant(submission):
    """polynomial_derivative: the derivative of a constant is [0.0]
    A constant has no x**1 term: its derivative is the zero polynomial, kept as one coefficient."""
    got = submission.derivatives.polynomial_derivative(np.array([5.0]))
    np.testing.assert_array_equal(got, [0.0], err_msg="the derivative of p(x) = 5 is [0.0]")


def evaluate(coeffs, x):
    """p(x) = sum of coeffs[k] * x**k, lowest power first, for an array x."""
    return sum(c * x**k for k, c in enumerate(coeffs))


@pytest.mark.points(1)
def test_polynomial_derivative_matches_slope(submission):
    """polynomial_derivative: its p' matches the slope of p at random points
    Evaluate p'(x) from your coefficients (entry k multiplies x**k) and compare it with central
    differences (p(x + h) - p(x - h)) / (2h) of the polynomial p itself, for a random quartic."""
    rng = np.random.default_rng(17)
    coeffs, xs = rng.normal(size=5), rng.uniform(-1.5, 1.5, size=4)
    got = submission.derivatives.polynomial_derivative(coeffs)
    got = expect_array(got, (4,), "polynomial_derivative of a quartic (5 coefficients)")
    numeric = gradcheck.elementwise_slopes(lambda x: evaluate(coeffs, x), xs)
    gradcheck.expect_slopes(evaluate(got, xs), numeric, "your p'(x) for a random quartic",
                            [f"x={x:.3f}" for x in xs], reference="the polynomial p",
                            scale=float(np.max(np.abs(evaluate(coeffs, xs)))))
