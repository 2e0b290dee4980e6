"""Hidden checks for gradients.py.

The contract leaves the loop style free, so estimates are compared with the analytic
gradient, Jacobian and Hessian of test functions, within MARGIN (100) times the error the
method must carry. Gradients and Jacobians are central differences: truncation
d3 * h**2 / 6 (d3 bounds the third derivatives) plus round-off eps * |f| / h, |f| being
the size of the terms of f. A forward difference (error about h * |f''| / 2), a missing
factor or a step left in place by the previous coordinate is off by far more than that.
The Hessian's formula is left free by the contract, so a first-order one is accepted too:
truncation up to d3 * h (d4 * h**2 / 3 for central ones) plus round-off eps * |f| / h**2.
On a quadratic every such formula is exact up to round-off, which catches wrong factors
and missing entries; symmetry is required up to round-off, as the contract asks.
"""

import numpy as np
import pytest

from grader.checking.expect import expect, expect_array, expect_near, expect_unchanged
from reference import error_ratios

EPS = np.finfo(float).eps
MARGIN = 100.0
STEPS = (1e-2, 5e-3, 2.5e-3)


def first_difference_tolerance(h, d3, size):
    """MARGIN times a central first difference's truncation and round-off error."""
    return MARGIN * (d3 * h**2 / 6 + EPS * size / h)


def second_difference_tolerance(h, d3, d4, size):
    """MARGIN times a second difference's truncation (first- or second-order) and round-off."""
    return MARGIN * (d3 * h + d4 * h**2 / 3 + EPS * size / h**2)


class ScalarField:
    """f(x) = sum(a * sin(x)) + (sum(b * x))**2 on arrays of any shape.

    The squared sum couples every pair of coordinates, so a coordinate left nudged by a
    previous step shows up in the next partial derivative.
    """

    def __init__(self, shape, seed):
        rng = np.random.default_rng(seed)
        self.a = rng.uniform(0.5, 2.0, size=shape)
        self.b = rng.uniform(-1.0, 1.0, size=shape)
        self.x = rng.uniform(-1.0, 1.0, size=shape)
        self.d3 = float(np.max(self.a))  # |d3f/dx_i3| = |a_i cos x_i|; the square adds none

    def __call__(self, x):
        return float(np.sum(self.a * np.sin(x)) + np.sum(self.b * x) ** 2)

    def gradient(self, x):
        return self.a * np.cos(x) + 2 * np.sum(self.b * x) * self.b

    def size(self):
        return float(np.sum(np.abs(self.a)) + np.sum(np.abs(self.b * self.x)) ** 2) + 1.0


# numerical_gradient ------------------------------------------------------------------

@pytest.mark.points(2)
def test_numerical_gradient_vector(submission):
    """numerical_gradient: matches the analytic gradient for a 1-D x, x unchanged"""
    field, h = ScalarField((6,), seed=101), 1e-5
    got = submission.gradients.numerical_gradient(field, field.x)
    expect_unchanged(submission)
    expect_near(got, field.gradient(field.x), "numerical_gradient on a 1-D x",
                first_difference_tolerance(h, field.d3, field.size()))


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2)], ids=["2-D", "3-D"])
def test_numerical_gradient_any_shape(submission, shape):
    """numerical_gradient: shaped like x and matching the analytic gradient for x of 2+ dims"""
    field, h = ScalarField(shape, seed=100 + len(shape)), 1e-5
    got = submission.gradients.numerical_gradient(field, field.x)
    expect_unchanged(submission)
    expect_near(got, field.gradient(field.x), f"numerical_gradient on x of shape {shape}",
                first_difference_tolerance(h, field.d3, field.size()))


@pytest.mark.points(1)
def test_numerical_gradient_second_order(submission):
    """numerical_gradient: central differences in the given h: the error quarters when h halves"""
    field = ScalarField((5,), seed=103)
    estimates = []
    for h in STEPS:
        got = submission.gradients.numerical_gradient(field, field.x, h=h)
        estimates.append(expect_array(got, field.x.shape, "numerical_gradient"))
    ratios = error_ratios(estimates, field.gradient(field.x))
    expect(bool(np.all((ratios > 3.6) & (ratios < 4.4))),
           "when h is halved twice (1e-2, 5e-3, 2.5e-3) the error of numerical_gradient "
           f"shrinks by factors between {np.min(ratios):.3g} and {np.max(ratios):.3g}")


# numerical_jacobian ------------------------------------------------------------------

class VectorField:
    """f(x) = tanh(A @ x) + B @ x**2 from R^n to R^m, with J = diag(1 - tanh(Ax)**2) A + 2 B x."""

    def __init__(self, m, n, seed):
        rng = np.random.default_rng(seed)
        self.A = rng.uniform(-1.0, 1.0, size=(m, n))
        self.B = rng.uniform(-1.0, 1.0, size=(m, n))
        self.x = rng.uniform(-1.0, 1.0, size=n)
        # |tanh'''| <= 2 and each third partial carries three entries of A; x**2 adds none
        self.d3 = 2.0 * float(np.max(np.abs(self.A))) ** 3

    def __call__(self, x):
        return np.tanh(self.A @ x) + self.B @ x**2

    def jacobian(self, x):
        return (1 - np.tanh(self.A @ x) ** 2)[:, None] * self.A + 2 * self.B * x[None, :]

    def size(self):
        return 1.0 + float(np.max(np.abs(self.B) @ self.x**2))


@pytest.mark.points(2)
@pytest.mark.parametrize("m, n", [(5, 3), (2, 4)], ids=["tall", "wide"])
def test_numerical_jacobian_matches_analytic(submission, m, n):
    """numerical_jacobian: an (m, n) array, m != n, matching the analytic Jacobian"""
    field, h = VectorField(m, n, seed=200 + m), 1e-5
    got = submission.gradients.numerical_jacobian(field, field.x)
    expect_unchanged(submission)
    expect_near(got, field.jacobian(field.x), f"numerical_jacobian of R^{n} -> R^{m}",
                first_difference_tolerance(h, field.d3, field.size()))


# numerical_hessian -------------------------------------------------------------------

def random_symmetric(n, rng):
    M = rng.uniform(-1.0, 1.0, size=(n, n))
    return M + M.T


class CurvedField:
    """f(x) = 0.5 x A x + sum(cos x) + (b x)**3 / 6, Hessian A - diag(cos x) + (b x) b b^T."""

    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.A = random_symmetric(n, rng)
        self.b = rng.uniform(-1.0, 1.0, size=n)
        self.x = rng.uniform(-1.0, 1.0, size=n)
        # third partials: sin x_i and b_i b_j b_k; fourth partials: only cos x_i
        self.d3 = 1.0 + float(np.max(np.abs(self.b))) ** 3
        self.d4 = 1.0

    def __call__(self, x):
        return float(0.5 * x @ self.A @ x + np.sum(np.cos(x)) + (self.b @ x) ** 3 / 6)

    def hessian(self, x):
        return self.A - np.diag(np.cos(x)) + (self.b @ x) * np.outer(self.b, self.b)

    def size(self):
        quadratic = 0.5 * np.abs(self.x) @ np.abs(self.A) @ np.abs(self.x)
        return float(quadratic + self.x.size + (np.abs(self.b) @ np.abs(self.x)) ** 3 / 6) + 1.0


@pytest.mark.points(2)
def test_numerical_hessian_quadratic(submission):
    """numerical_hessian: the Hessian A of 0.5 x A x + b x, up to round-off"""
    rng = np.random.default_rng(301)
    A, b, x = random_symmetric(4, rng), rng.normal(size=4), rng.normal(size=4)

    def quadratic(v):
        return float(0.5 * v @ A @ v + b @ v)

    got = submission.gradients.numerical_hessian(quadratic, x)
    expect_unchanged(submission)
    size = float(0.5 * np.abs(x) @ np.abs(A) @ np.abs(x) + np.abs(b) @ np.abs(x)) + 1.0
    expect_near(got, A, "numerical_hessian of a quadratic",
                second_difference_tolerance(1e-4, 0.0, 0.0, size))


@pytest.mark.points(2)
def test_numerical_hessian_matches_analytic(submission):
    """numerical_hessian: matches the analytic Hessian of a non-quadratic function"""
    field, h = CurvedField(5, seed=302), 1e-4
    got = submission.gradients.numerical_hessian(field, field.x)
    expect_unchanged(submission)
    expect_near(got, field.hessian(field.x), "numerical_hessian of a non-quadratic function",
                second_difference_tolerance(h, field.d3, field.d4, field.size()))


@pytest.mark.points(1)
def test_numerical_hessian_symmetric(submission):
    """numerical_hessian: symmetric, H[i, j] equal to H[j, i] up to round-off"""
    field, h = CurvedField(4, seed=303), 1e-4
    got = submission.gradients.numerical_hessian(field, field.x)
    got = expect_array(got, (4, 4), "numerical_hessian")
    asymmetry = float(np.max(np.abs(got - got.T)))
    expect(asymmetry <= second_difference_tolerance(h, 0.0, 0.0, field.size()),
           f"numerical_hessian is not symmetric: max |H[i, j] - H[j, i]| is {asymmetry:.3g}")
