"""Hidden checks for derivatives.py.

The contract fixes each difference formula, so values are compared with that formula
evaluated here, allowing only round-off: a first difference of values of size |f| carries
about eps * |f| / h of it, a second difference about eps * |f| / h**2, and we allow
MARGIN (100) times that. Any rearrangement of the formula passes; another stencil, a
missing factor or a flipped sign is off by far more. The order of accuracy is measured
from the error against the true derivative at h = 1e-2, 5e-3, 2.5e-3 on exp, where
round-off is about 1e-6 of the truncation error: halving h must divide the error by 2
(first order) or by 4 (second order), within 10%.
"""

import numpy as np
import pytest

from grader.checking.expect import expect, expect_array, expect_close, expect_near, expect_unchanged
from reference import error_ratios

EPS = np.finfo(float).eps
MARGIN = 100.0
SHAPES = {"scalar": (), "vector": (5,), "matrix": (3, 4)}
STEPS = (1e-2, 5e-3, 2.5e-3)


def wavy(x):
    """A smooth elementwise function with no special structure."""
    return np.exp(np.sin(2.0 * x)) + 0.5 * x**2


def sample(shape, seed):
    """Points in [-1, 1] as a float64 array of the given shape (shape () is 0-d)."""
    rng = np.random.default_rng(seed)
    return np.asarray(rng.uniform(-1.0, 1.0, size=shape), dtype=float)


def roundoff(values, divisor):
    """MARGIN times the round-off of a signed sum of these values, divided by divisor."""
    total = sum(float(np.max(np.abs(v))) for v in values)
    return MARGIN * EPS * total / divisor


def expect_ratios(ratios, low, high, what):
    expect(bool(np.all((ratios > low) & (ratios < high))),
           f"when h is halved twice (1e-2, 5e-3, 2.5e-3) the error of {what} against the "
           f"true derivative shrinks by factors between {np.min(ratios):.3g} and "
           f"{np.max(ratios):.3g}")


# forward_difference ------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_forward_difference_formula(submission, shape):
    """forward_difference: equals (f(x + h) - f(x)) / h at the default h, x of any shape"""
    x, h = sample(shape, seed=11), 1e-5
    got = submission.derivatives.forward_difference(wavy, x)
    expect_unchanged(submission)
    ahead, here = wavy(x + h), wavy(x)
    expect_near(got, (ahead - here) / h, f"forward_difference on x of shape {shape}",
                roundoff([ahead, here], h))


@pytest.mark.points(2)
def test_forward_difference_first_order(submission):
    """forward_difference: first-order accurate: the error halves when h halves"""
    x = sample((3, 4), seed=12)
    estimates = []
    for h in STEPS:
        got = submission.derivatives.forward_difference(np.exp, x, h=h)
        estimates.append(expect_array(got, x.shape, "forward_difference"))
    expect_ratios(error_ratios(estimates, np.exp(x)), 1.8, 2.2, "forward_difference")


# central_difference ------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_central_difference_formula(submission, shape):
    """central_difference: equals (f(x + h) - f(x - h)) / (2h) at the default h, any shape"""
    x, h = sample(shape, seed=21), 1e-5
    for f in (wavy, steep):    # steep: another default h would be far off its formula
        got = submission.derivatives.central_difference(f, x)
        expect_unchanged(submission)
        ahead, behind = f(x + h), f(x - h)
        expect_near(got, (ahead - behind) / (2 * h), f"central_difference on x of shape {shape}",
                    roundoff([ahead, behind], 2 * h))


def steep(x):
    return np.sin(50.0 * x)


@pytest.mark.points(2)
def test_central_difference_second_order(submission):
    """central_difference: second-order accurate: the error quarters when h halves"""
    x = sample((3, 4), seed=22)
    estimates = []
    for h in STEPS:
        got = submission.derivatives.central_difference(np.exp, x, h=h)
        estimates.append(expect_array(got, x.shape, "central_difference"))
    expect_ratios(error_ratios(estimates, np.exp(x)), 3.6, 4.4, "central_difference")


@pytest.mark.points(1)
def test_central_difference_true_derivative(submission):
    """central_difference: the derivative of sin at a float x is cos(x), to O(h**2)"""
    x, h = 0.7, 1e-5
    got = submission.derivatives.central_difference(np.sin, x)
    # truncation h**2 / 6 * |sin'''| <= h**2 / 6; round-off eps * |sin| / h
    tolerance = MARGIN * (h**2 / 6 + EPS * 1.0 / h)
    expect_near(got, np.cos(x), "central_difference of sin at 0.7", tolerance)


# second_derivative -------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_second_derivative_formula(submission, shape):
    """second_derivative: equals (f(x+h) - 2f(x) + f(x-h)) / h**2 at the default h"""
    x, h = sample(shape, seed=31), 1e-4
    got = submission.derivatives.second_derivative(wavy, x)
    expect_unchanged(submission)
    ahead, here, behind = wavy(x + h), wavy(x), wavy(x - h)
    expect_near(got, (ahead - 2 * here + behind) / h**2,
                f"second_derivative on x of shape {shape}",
                roundoff([ahead, 2 * here, behind], h**2))


@pytest.mark.points(2)
def test_second_derivative_second_order(submission):
    """second_derivative: second-order accurate: the error quarters when h halves"""
    x = sample((3, 4), seed=32)
    estimates = []
    for h in STEPS:
        got = submission.derivatives.second_derivative(np.exp, x, h=h)
        estimates.append(expect_array(got, x.shape, "second_derivative"))
    expect_ratios(error_ratios(estimates, np.exp(x)), 3.6, 4.4, "second_derivative")


@pytest.mark.points(1)
def test_second_derivative_true_value(submission):
    """second_derivative: the second derivative of sin at a float x is -sin(x)"""
    x, h = 0.7, 1e-4
    got = submission.derivatives.second_derivative(np.sin, x)
    # truncation h**2 / 12 * |sin''''| <= h**2 / 12; round-off 4 * eps * |sin| / h**2
    tolerance = MARGIN * (h**2 / 12 + 4 * EPS / h**2)
    expect_near(got, -np.sin(x), "second_derivative of sin at 0.7", tolerance)


# polynomial_derivative ---------------------------------------------------------------

@pytest.mark.points(2)
def test_polynomial_derivative_random(submission):
    """polynomial_derivative: the exact coefficients of p' for a random degree-5 polynomial"""
    coeffs = np.random.default_rng(41).normal(size=6)
    got = submission.derivatives.polynomial_derivative(coeffs)
    expect_unchanged(submission)
    want = np.arange(1, 6) * coeffs[1:]
    expect_close(got, want, "polynomial_derivative of a degree-5 polynomial", rtol=1e-12)


@pytest.mark.points(1)
def test_polynomial_derivative_evaluates_to_slope(submission):
    """polynomial_derivative: its polynomial is the slope p'(x) at several points"""
    coeffs = np.random.default_rng(42).normal(size=4)
    got = submission.derivatives.polynomial_derivative(coeffs)
    got = expect_array(got, (3,), "polynomial_derivative of a cubic")
    xs = np.linspace(-2.0, 2.0, 7)
    slopes = coeffs[1] + 2 * coeffs[2] * xs + 3 * coeffs[3] * xs**2
    values = sum(got[k] * xs**k for k in range(3))
    expect_close(values, slopes, "p'(x) built from polynomial_derivative's coefficients",
                 rtol=1e-12, atol=1e-12 * float(np.max(np.abs(slopes))))


@pytest.mark.points(1)
def test_polynomial_derivative_line(submission):
    """polynomial_derivative: a line c0 + c1 x has derivative [c1]"""
    got = submission.derivatives.polynomial_derivative(np.array([3.5, -1.25]))
    expect_close(got, [-1.25], "polynomial_derivative of 3.5 - 1.25 x", rtol=1e-12)


@pytest.mark.points(1)
def test_polynomial_derivative_constant(submission):
    """polynomial_derivative: the derivative of a constant is [0.0]"""
    got = submission.derivatives.polynomial_derivative(np.array([4.2]))
    expect_close(got, [0.0], "polynomial_derivative of the constant 4.2", atol=0.0)
