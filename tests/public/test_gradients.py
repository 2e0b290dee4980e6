"""Public checks for gradients.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_numerical_gradient_of_simple_function(submission):
    """numerical_gradient: gradient of x0**2 + 3*x1 at (1, 2) is (2, 3)
    Each partial derivative nudges one coordinate and holds the other fixed."""
    def f(x):
        return x[0] ** 2 + 3 * x[1]

    got = submission.gradients.numerical_gradient(f, np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, [2.0, 3.0], rtol=1e-6, atol=1e-8,
                               err_msg="df/dx0 = 2*x0 = 2 and df/dx1 = 3")


@pytest.mark.points(1)
def test_numerical_gradient_leaves_x_unchanged(submission):
    """numerical_gradient: does not modify its input x
    Nudge a copy of x (np.array(x, dtype=float)), or restore each entry exactly."""
    x = np.array([0.1, 0.2, 0.3])
    got = submission.gradients.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    assert submission.last_call.mutated == [], (
        f"numerical_gradient changed its argument(s) {submission.last_call.mutated} in place; "
        "x + h - h is not always exactly x: work on a copy")
    np.testing.assert_allclose(got, 2 * x, rtol=1e-6, atol=1e-8,
                               err_msg="the gradient of sum(x**2) is 2*x")


@pytest.mark.points(1)
def test_numerical_jacobian_shape_and_values(submission):
    """numerical_jacobian: (x0*x1, x0 + 2*x1, x1**2) at (2, 3) gives [[3, 2], [1, 2], [0, 6]]
    Row i holds the partial derivatives of output i; column j how every output moves with x_j."""
    def f(x):
        return np.array([x[0] * x[1], x[0] + 2 * x[1], x[1] ** 2])

    got = submission.gradients.numerical_jacobian(f, np.array([2.0, 3.0]))
    assert np.shape(got) == (3, 2), f"expected shape (m, n) = (3, 2), got {np.shape(got)}"
    np.testing.assert_allclose(got, [[3.0, 2.0], [1.0, 2.0], [0.0, 6.0]], rtol=1e-6, atol=1e-8)


@pytest.mark.points(1)
def test_numerical_hessian_of_quadratic(submission):
    """numerical_hessian: Hessian of x0**2 + 3*x0*x1 + 2*x1**2 is [[2, 3], [3, 4]]
    The mixed partial d2f/dx0dx1 = 3 appears on both sides of the diagonal: H is symmetric."""
    def f(x):
        return x[0] ** 2 + 3 * x[0] * x[1] + 2 * x[1] ** 2

    got = submission.gradients.numerical_hessian(f, np.array([1.0, -1.0]))
    assert np.shape(got) == (2, 2), f"expected shape (2, 2), got {np.shape(got)}"
    np.testing.assert_allclose(got, [[2.0, 3.0], [3.0, 4.0]], rtol=0, atol=1e-4)


@pytest.mark.points(1)
def test_numerical_hessian_diagonal_of_a_curved_function(submission):
    """numerical_hessian: diagonal entries are second derivatives, with step h or 2h
    f = cos(x0) + exp(x1) + x0 * x1 at (0.5, -0.3) has Hessian [[-cos(0.5), 1], [1, exp(-0.3)]].
    The four-point formula with i == j is the second difference with step 2h, as intended; the
    three-point one with step h on the diagonal is just as good, and so is any formula whose
    error shrinks with h (first-order ones too): within 1e-2 here, not off by a factor."""
    def f(x):
        return np.cos(x[0]) + np.exp(x[1]) + x[0] * x[1]

    got = submission.gradients.numerical_hessian(f, np.array([0.5, -0.3]))
    assert np.shape(got) == (2, 2), f"expected shape (2, 2), got {np.shape(got)}"
    # 100 times a first-order formula's truncation h * (3rd derivative) <= 1e-4, plus round-off
    np.testing.assert_allclose(got, [[-np.cos(0.5), 1.0], [1.0, np.exp(-0.3)]], rtol=0,
                               atol=1e-2, err_msg="the Hessian of cos(x0) + exp(x1) + x0 * x1")
