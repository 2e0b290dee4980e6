"""Hidden checks for losses.py.

Each loss is fixed by the contract's formula; its value is a mean of n terms, correct to
a few eps of the terms' size in any summation order, so rtol 1e-10 (relative to the
largest term for the gradients) leaves a wide margin. Where p is clipped at 1 - eps, the
float 1 - 1e-12 is itself 1.1e-16 / 1e-12 = 1.1e-4 off in relative terms, which moves
log(1 - q) by up to 1.1e-4: clipping 1 - p instead is as correct, so such checks allow
atol 1e-3. The gradients are also checked against central differences of the loss
computed here, within MARGIN (100) times truncation plus round-off.
"""

import numpy as np
import pytest

from grader.checking.expect import (
    expect_close,
    expect_finite,
    expect_float,
    expect_near,
    expect_no_warnings,
    expect_unchanged,
)
from reference import (
    central_gradient,
    logistic_gradient,
    logistic_loss,
    ridge_gradient,
    ridge_loss,
)

EPS = np.finfo(float).eps
MARGIN = 100.0


def regression_problem(seed, n=8, d=3):
    """X (n, d), w (d,), y (n,) with n != d."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=d), rng.normal(size=n)


def classification_problem(seed, n=9, d=3):
    """X (n, d), w (d,), hard labels y in {0, 1}, scores z = X @ w of moderate size."""
    rng = np.random.default_rng(seed)
    X, w = rng.normal(size=(n, d)), rng.normal(scale=1.5, size=d)
    return X, w, (rng.uniform(size=n) < 0.5).astype(float)


def bce_formula(p, y, eps=1e-12):
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def expect_gradient(got, want, what):
    """A sum of n products, rearranged: rtol 1e-10 of the largest entry."""
    scale = max(float(np.max(np.abs(want))), 1e-12)
    expect_close(got, want, what, rtol=1e-10, atol=1e-10 * scale)


# mse ---------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_mse_value(submission):
    """mse: the mean of the squared residuals, a single number, inputs unchanged"""
    rng = np.random.default_rng(801)
    y_pred, y = rng.normal(size=10), rng.normal(size=10)
    got = submission.losses.mse(y_pred, y)
    expect_unchanged(submission)
    expect_float(got, "mse")
    expect_close(got, np.mean((y_pred - y) ** 2), "mse of 10 predictions", rtol=1e-10)


@pytest.mark.points(1)
def test_mse_perfect(submission):
    """mse: zero when the predictions equal the targets"""
    y = np.random.default_rng(802).normal(size=6)
    expect_close(submission.losses.mse(y, y.copy()), 0.0, "mse of identical arrays", atol=0.0)


# mse_gradient ------------------------------------------------------------------------

@pytest.mark.points(2)
def test_mse_gradient_formula(submission):
    """mse_gradient: the exact gradient of mse(X @ w, y), shape (d,), n != d, inputs unchanged"""
    X, w, y = regression_problem(811)
    got = submission.losses.mse_gradient(X, w, y)
    expect_unchanged(submission)
    expect_gradient(got, ridge_gradient(X, w, y), "mse_gradient")  # lam = 0


@pytest.mark.points(1)
def test_mse_gradient_is_gradient(submission):
    """mse_gradient: agrees with central differences of mean((X w - y)**2)"""
    X, w, y = regression_problem(812, n=6, d=4)
    got = submission.losses.mse_gradient(X, w, y)

    def loss(v):
        return ridge_loss(X, v, y)  # lam = 0: the mean squared error

    h = 1e-5  # quadratic: no truncation error, round-off eps * loss / h
    expect_near(got, central_gradient(loss, w, h), "mse_gradient", MARGIN * EPS * loss(w) / h)


# binary_cross_entropy ----------------------------------------------------------------

@pytest.mark.points(1)
def test_binary_cross_entropy_hard_labels(submission):
    """binary_cross_entropy: -mean(y log p + (1 - y) log(1 - p)) for labels 0 and 1"""
    rng = np.random.default_rng(821)
    p, y = rng.uniform(0.05, 0.95, size=12), (rng.uniform(size=12) < 0.5).astype(float)
    got = submission.losses.binary_cross_entropy(p, y)
    expect_unchanged(submission)
    expect_close(got, bce_formula(p, y), "binary_cross_entropy with hard labels", rtol=1e-10)


@pytest.mark.points(2)
def test_binary_cross_entropy_soft_labels(submission):
    """binary_cross_entropy: soft labels y in [0, 1] weight both log terms"""
    rng = np.random.default_rng(822)
    p, y = rng.uniform(0.05, 0.95, size=12), rng.uniform(size=12)
    got = submission.losses.binary_cross_entropy(p, y)
    expect_close(got, bce_formula(p, y), "binary_cross_entropy with soft labels", rtol=1e-10)


@pytest.mark.points(2)
def test_binary_cross_entropy_certain_predictions(submission):
    """binary_cross_entropy: p exactly 0 or 1 is clipped to [eps, 1 - eps]: finite, p unchanged"""
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.3])
    got = submission.losses.binary_cross_entropy(p, y)
    expect_unchanged(submission)
    expect_finite(got, "binary_cross_entropy with p = 0 and p = 1")
    expect_close(got, bce_formula(p, y), "binary_cross_entropy with p = 0 and p = 1",
                 rtol=1e-7, atol=1e-3)


@pytest.mark.points(1)
def test_binary_cross_entropy_given_eps(submission):
    """binary_cross_entropy: honours the eps argument"""
    p, y = np.array([0.0, 1.0, 0.4]), np.array([1.0, 0.0, 1.0])
    got = submission.losses.binary_cross_entropy(p, y, eps=1e-3)
    expect_close(got, bce_formula(p, y, eps=1e-3), "binary_cross_entropy with eps=1e-3",
                 rtol=1e-10)


# logistic_loss -----------------------------------------------------------------------

@pytest.mark.points(2)
def test_logistic_loss_value(submission):
    """logistic_loss: mean(log(1 + exp(z)) - y z) with z = X w, a single number, inputs unchanged"""
    X, w, y = classification_problem(831)
    got = submission.losses.logistic_loss(X, w, y)
    expect_unchanged(submission)
    expect_float(got, "logistic_loss")
    expect_close(got, logistic_loss(X, w, y), "logistic_loss", rtol=1e-10)


@pytest.mark.points(1)
def test_logistic_loss_soft_labels(submission):
    """logistic_loss: labels anywhere in [0, 1]"""
    X, w, _ = classification_problem(832)
    y = np.random.default_rng(833).uniform(size=X.shape[0])
    got = submission.losses.logistic_loss(X, w, y)
    expect_close(got, logistic_loss(X, w, y), "logistic_loss with soft labels", rtol=1e-10)


def extreme_problem():
    """Scores z = X @ w from -1e4 to 1e4 exactly (w picks the first column)."""
    z = np.array([-1e4, -1000.0, -750.0, -40.0, 0.0, 40.0, 750.0, 1000.0, 1e4])
    X = np.column_stack([z, np.linspace(-1.0, 1.0, z.size)])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    return X, np.array([1.0, 0.0]), y


@pytest.mark.points(2)
def test_logistic_loss_extreme_scores(submission):
    """logistic_loss: finite, correct and warning-free for |z| up to 1e4"""
    X, w, y = extreme_problem()
    got = submission.losses.logistic_loss(X, w, y)
    expect_no_warnings(submission)
    expect_finite(got, "logistic_loss with |z| up to 1e4")
    expect_close(got, logistic_loss(X, w, y), "logistic_loss with |z| up to 1e4",
                 rtol=1e-10)


# logistic_gradient -------------------------------------------------------------------

@pytest.mark.points(2)
def test_logistic_gradient_formula(submission):
    """logistic_gradient: the exact gradient of logistic_loss in w, shape (d,), inputs unchanged"""
    X, w, y = classification_problem(841)
    got = submission.losses.logistic_gradient(X, w, y)
    expect_unchanged(submission)
    expect_gradient(got, logistic_gradient(X, w, y), "logistic_gradient")


@pytest.mark.points(1)
def test_logistic_gradient_is_gradient(submission):
    """logistic_gradient: agrees with central differences of the logistic loss"""
    X, w, y = classification_problem(842, n=7, d=4)
    got = submission.losses.logistic_gradient(X, w, y)

    def loss(v):
        return logistic_loss(X, v, y)

    h = 1e-5
    # d3/dw3 of log(1 + exp(x.w)) is sigmoid'' (<= 0.1) times |x|**3; round-off eps * loss / h
    d3 = 0.1 * float(np.max(np.sum(np.abs(X), axis=1))) ** 3
    expect_near(got, central_gradient(loss, w, h), "logistic_gradient",
                MARGIN * (d3 * h**2 / 6 + EPS * loss(w) / h))


@pytest.mark.points(1)
def test_logistic_gradient_extreme_scores(submission):
    """logistic_gradient: finite and correct for |z| up to 1e4"""
    X, w, y = extreme_problem()
    got = submission.losses.logistic_gradient(X, w, y)
    expect_finite(got, "logistic_gradient with |z| up to 1e4")
    expect_gradient(got, logistic_gradient(X, w, y), "logistic_gradient with |z| up to 1e4")
