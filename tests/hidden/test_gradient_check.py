"""Hidden checks for gradient_check.py.

relative_error is fixed by the contract's formula; a rearrangement changes it by a few
ulps, so rtol 1e-10 leaves a wide margin. check_gradient's error for a wrong gradient is
compared with relative_error(grad_f(x), true gradient) computed here: the central
difference differs from the true gradient by about 1e-10 of its size at h = 1e-5, which
moves that error by far less than the rtol 1e-6 allowed. With h = 0.1 the truncation
error itself is the error, and it is compared with our own central difference at 0.1.
"""

import numpy as np
import pytest

from grader.checking.expect import (
    expect,
    expect_close,
    expect_equal_length,
    expect_float,
    expect_unchanged,
)
from reference import central_gradient


def formula(a, b, eps=1e-12):
    """The contract's relative error, evaluated here."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def softplus_cubic(x):
    """f(x) = sum(exp(x) + x**3 / 3): its gradient exp(x) + x**2 stays away from zero."""
    return float(np.sum(np.exp(x) + x**3 / 3))


def softplus_cubic_gradient(x):
    return np.exp(x) + x**2


def correct_error_bound(x, h=1e-5):
    """100 times the relative error a correct central difference may show for softplus_cubic.

    Truncation h**2 / 6 * |f'''| with f''' = exp(x) + 2, round-off eps * |f| / h, divided
    by |a| + |b|, about twice the gradient exp(x) + x**2.
    """
    size = np.sum(np.exp(x) + np.abs(x) ** 3)
    absolute = (np.exp(x) + 2) * h**2 / 6 + np.finfo(float).eps * size / h
    return float(100 * np.max(absolute / (2 * softplus_cubic_gradient(x))))


def unpack(result):
    """(passed, error) from check_gradient's result, checking its structure."""
    expect_equal_length(result, 2, "check_gradient's result (passed, max_rel_error)")
    passed, error = result
    expect(isinstance(passed, bool),
           f"the first item of check_gradient's result (passed) should be a bool, but came "
           f"back as {type(passed).__name__} {passed!r}")
    return passed, expect_float(error, "the second item of check_gradient's result")


# relative_error ----------------------------------------------------------------------

@pytest.mark.points(2)
def test_relative_error_matrix(submission):
    """relative_error: the largest elementwise |a-b| / (|a|+|b|) of two 2-D arrays"""
    rng = np.random.default_rng(401)
    a = rng.normal(size=(3, 4))
    b = a * (1 + rng.uniform(0.0, 0.2, size=(3, 4)))
    b[1, 2] = a[1, 2] * 1.7  # one clearly worst element
    got = submission.gradient_check.relative_error(a, b)
    expect_unchanged(submission)
    expect_close(got, formula(a, b), "relative_error of two (3, 4) arrays", rtol=1e-10)


@pytest.mark.points(1)
def test_relative_error_opposite_signs(submission):
    """relative_error: opposite signs count fully: denominator abs(a) + abs(b)"""
    a = np.array([1.0, -2.0, 3.0, 0.5])
    b = np.array([-1.0, -2.2, 3.3, -0.25])
    got = submission.gradient_check.relative_error(a, b)
    expect_close(got, formula(a, b), "relative_error of arrays with opposite signs", rtol=1e-10)


@pytest.mark.points(1)
def test_relative_error_zeros(submission):
    """relative_error: two zero arrays give 0.0, with no 0/0"""
    got = submission.gradient_check.relative_error(np.zeros(4), np.zeros(4))
    expect_close(got, 0.0, "relative_error of two zero arrays", atol=0.0)


@pytest.mark.points(1)
def test_relative_error_eps_floor(submission):
    """relative_error: tiny differences are divided by eps, not by |a| + |b|"""
    a, b = np.array([0.0, 1e-15, 2.0]), np.array([0.0, 0.0, 2.0])
    got = submission.gradient_check.relative_error(a, b)
    expect_close(got, formula(a, b), "relative_error with values below eps", rtol=1e-10)


@pytest.mark.points(1)
def test_relative_error_given_eps(submission):
    """relative_error: honours the eps argument"""
    a, b = np.array([1e-4, -2e-4, 0.0]), np.array([3e-4, -2e-4, 5e-5])
    got = submission.gradient_check.relative_error(a, b, eps=1e-2)
    expect_close(got, formula(a, b, eps=1e-2), "relative_error with eps=1e-2", rtol=1e-10)


@pytest.mark.points(1)
def test_relative_error_floats(submission):
    """relative_error: two floats give a single number"""
    got = submission.gradient_check.relative_error(1.0, 1.1)
    expect_close(got, formula(1.0, 1.1), "relative_error(1.0, 1.1)", rtol=1e-10)


# check_gradient ----------------------------------------------------------------------

@pytest.mark.points(2)
def test_check_gradient_right_gradient(submission):
    """check_gradient: a correct gradient passes, with an error far below 1e-6"""
    x = np.random.default_rng(501).uniform(-1.0, 1.0, size=5)
    result = submission.gradient_check.check_gradient(softplus_cubic, softplus_cubic_gradient,
                                                      x)
    expect_unchanged(submission)
    passed, error = unpack(result)
    expect(passed, "check_gradient rejected a correct gradient: passed came back False "
                   f"with max_rel_error {error:.3g}")
    expect(0.0 <= error <= correct_error_bound(x),
           f"max_rel_error for a correct gradient came back as {error:.3g}")


@pytest.mark.points(2)
def test_check_gradient_wrong_gradient(submission):
    """check_gradient: a wrong gradient fails, with relative_error against the true gradient"""
    x = np.random.default_rng(502).uniform(-1.0, 1.0, size=5)
    scale = np.array([1.0, 1.3, 1.0, 0.6, 1.05])

    def wrong_gradient(v):
        return scale * softplus_cubic_gradient(v)

    result = submission.gradient_check.check_gradient(softplus_cubic, wrong_gradient, x)
    passed, error = unpack(result)
    expect(not passed, f"check_gradient accepted a wrong gradient (max_rel_error {error:.3g})")
    want = formula(wrong_gradient(x), softplus_cubic_gradient(x))
    expect_close(error, want, "max_rel_error for a wrong gradient", rtol=1e-6)


@pytest.mark.points(1)
def test_check_gradient_uses_tol(submission):
    """check_gradient: passed is max_rel_error < tol, for the given tol
    Strictly less, with tol=1e-6 by default."""
    x = np.random.default_rng(503).uniform(-1.0, 1.0, size=4)

    def nearly_right(v):  # a relative error of about 5e-5
        return softplus_cubic_gradient(v) * (1 + 1e-4)

    loose = unpack(submission.gradient_check.check_gradient(softplus_cubic, nearly_right, x,
                                                            tol=1e-3))
    expect(loose[0], f"with tol=1e-3, an error of {loose[1]:.3g} should pass, but passed was False")
    strict = unpack(submission.gradient_check.check_gradient(softplus_cubic, nearly_right, x,
                                                             tol=1e-6))
    expect(not strict[0], f"with tol=1e-6, an error of {strict[1]:.3g} should fail, "
                          "but passed was True")

    def slightly_off(v):  # a relative error of about 5e-6: over the default tol of 1e-6
        return softplus_cubic_gradient(v) * (1 + 1e-5)

    default = unpack(submission.gradient_check.check_gradient(softplus_cubic, slightly_off, x))
    expect(not default[0], f"with the default tol, an error of {default[1]:.3g} should fail, "
                           "but passed was True")
    # the gradient of sum(v**2) negated: an error of exactly 1.0, which tol=1.0 rejects
    tie = unpack(submission.gradient_check.check_gradient(
        lambda v: float(np.sum(v ** 2)), lambda v: -2.0 * v, np.array([1.0, 2.0]), tol=1.0))
    expect(not tie[0], f"an error of {tie[1]:.3g} with tol=1.0 should fail (passed is "
                       "max_rel_error < tol), but passed was True")


@pytest.mark.points(1)
def test_check_gradient_uses_h(submission):
    """check_gradient: the numerical gradient uses the given step h"""
    x = np.random.default_rng(504).uniform(-1.0, 1.0, size=4)
    h = 0.1  # large on purpose: the truncation error h**2 / 6 * f''' becomes the error
    result = submission.gradient_check.check_gradient(softplus_cubic, softplus_cubic_gradient,
                                                      x, h=h)
    _, error = unpack(result)
    want = formula(softplus_cubic_gradient(x), central_gradient(softplus_cubic, x, h))
    expect_close(error, want, "max_rel_error with h=0.1", rtol=1e-6)


@pytest.mark.points(1)
def test_check_gradient_matrix_x(submission):
    """check_gradient: works for a 2-D x and leaves it unchanged"""
    x = np.random.default_rng(505).uniform(-1.0, 1.0, size=(2, 3))
    result = submission.gradient_check.check_gradient(softplus_cubic, softplus_cubic_gradient,
                                                      x)
    expect_unchanged(submission)
    passed, error = unpack(result)
    expect(passed and error <= correct_error_bound(x),
           f"for a 2-D x and a correct gradient, check_gradient returned ({passed}, {error:.3g})")
