"""Hidden checks for regularization.py."""

import numpy as np
import pytest

from grader.checking.expect import expect, expect_array, expect_close, expect_unchanged
from reference import central_gradient, ridge_gradient, ridge_loss

LAMS = (0.0, 0.05, 0.7, 3.0)


def _data(n=30, d=4, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = X @ rng.normal(size=d) + 0.3 * rng.normal(size=n)
    return X, w, y


@pytest.mark.points(1)
def test_l2_penalty_formula(submission):
    """l2_penalty: equals lam * sum(w**2), for lam = 0 too"""
    w = np.random.default_rng(11).normal(size=6)
    for lam in LAMS:
        got = submission.regularization.l2_penalty(w, lam)
        expect_close(got, lam * np.sum(w**2), f"l2_penalty(w, lam={lam})", rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_l2_gradient_formula(submission):
    """l2_gradient: the exact gradient of l2_penalty at a random w, which it leaves unchanged"""
    w = np.random.default_rng(12).normal(size=5)
    for lam in LAMS:
        got = submission.regularization.l2_gradient(w, lam)
        expect_close(got, 2.0 * lam * w, f"l2_gradient(w, lam={lam})", rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_l1_penalty_formula(submission):
    """l1_penalty: equals lam * sum(abs(w)) with negative weights"""
    w = np.array([1.5, -2.0, 0.0, -0.25, 3.0])
    for lam in LAMS:
        got = submission.regularization.l1_penalty(w, lam)
        expect_close(got, lam * np.sum(np.abs(w)), f"l1_penalty(w, lam={lam})", rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(2)
def test_l1_subgradient_sign_and_zero(submission):
    """l1_subgradient: the slope of l1_penalty wherever w != 0, exactly 0 where w == 0"""
    w = np.array([1.5, 0.0, -2.0, 0.0, 1e-12, -3.0, -0.0])
    zero = w == 0.0
    for lam in (0.0, 0.4, 2.5):
        got = submission.regularization.l1_subgradient(w, lam)
        got = expect_array(got, w.shape, f"l1_subgradient(w, lam={lam})")
        expect(bool(np.all(got[zero] == 0.0)),
               f"l1_subgradient(w, lam={lam}) is not 0 where w == 0: it came back as {got}")
        expect_close(got, lam * np.sign(w), f"l1_subgradient(w, lam={lam})", rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_ridge_loss_formula(submission):
    """ridge_loss: mean squared error of X @ w plus lam * sum(w**2)"""
    X, w, y = _data()
    for lam in LAMS:
        got = submission.regularization.ridge_loss(X, w, y, lam)
        expect_close(got, ridge_loss(X, w, y, lam), f"ridge_loss(X, w, y, lam={lam})", rtol=1e-10)
        expect_unchanged(submission)


@pytest.mark.points(2)
def test_ridge_gradient_formula(submission):
    """ridge_gradient: the exact gradient of ridge_loss at random points, for lam = 0 too"""
    for seed, (n, d) in ((7, (30, 4)), (8, (9, 3))):
        X, w, y = _data(n, d, seed)
        for lam in LAMS:
            got = submission.regularization.ridge_gradient(X, w, y, lam)
            expect_close(got, ridge_gradient(X, w, y, lam),
                         f"ridge_gradient on a {n}x{d} X, lam={lam}", rtol=1e-10, atol=1e-12)
            expect_unchanged(submission)


@pytest.mark.points(1)
def test_ridge_gradient_matches_finite_differences(submission):
    """ridge_gradient: matches central differences of the ridge loss"""
    X, w, y = _data(20, 3, 9)
    lam, h = 0.3, 1e-5

    def loss(v):
        return ridge_loss(X, v, y, lam)

    numeric = central_gradient(loss, w, h)
    got = submission.regularization.ridge_gradient(X, w, y, lam)
    # central difference of a quadratic: no truncation error; round-off ~ eps * |loss| / h
    expect_close(got, numeric, "ridge_gradient compared with finite differences",
                 rtol=1e-6, atol=1e-6)


@pytest.mark.points(3)
def test_ridge_closed_form_gradient_vanishes(submission):
    """ridge_closed_form: the ridge gradient is zero at the returned w"""
    for seed, (n, d), lam in ((7, (30, 4), 0.5), (8, (50, 6), 0.02), (9, (12, 3), 2.0)):
        X, _, y = _data(n, d, seed)
        got = submission.regularization.ridge_closed_form(X, y, lam)
        got = expect_array(got, (d,), f"ridge_closed_form on a {n}x{d} X, lam={lam}")
        residual = np.linalg.norm(ridge_gradient(X, got, y, lam))
        scale = np.linalg.norm(2.0 / n * X.T @ y) + np.linalg.norm(2.0 / n * X.T @ X) * (
            np.linalg.norm(got) + 1.0)
        expect(bool(np.isfinite(residual)) and residual <= 1e-9 * scale,
               f"ridge_closed_form on a {n}x{d} X, lam={lam}: the ridge gradient at the "
               f"returned w has norm {residual:.3g}, not ~0")


@pytest.mark.points(2)
def test_ridge_closed_form_matches_augmented_least_squares(submission):
    """ridge_closed_form: the exact minimiser of ridge_loss, for tall and wide X"""
    for seed, (n, d), lam in ((10, (25, 5), 0.1), (11, (40, 3), 1.3), (12, (6, 9), 0.2)):
        X, _, y = _data(n, d, seed)
        A = np.vstack([X, np.sqrt(n * lam) * np.eye(d)])
        b = np.concatenate([y, np.zeros(d)])
        want = np.linalg.lstsq(A, b, rcond=None)[0]
        got = submission.regularization.ridge_closed_form(X, y, lam)
        expect_close(got, want, f"ridge_closed_form on a {n}x{d} X, lam={lam}",
                     rtol=1e-8, atol=1e-10)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_ridge_closed_form_lam_zero_is_least_squares(submission):
    """ridge_closed_form: with lam = 0 it is ordinary least squares"""
    X, _, y = _data(35, 4, 13)
    want = np.linalg.lstsq(X, y, rcond=None)[0]
    got = submission.regularization.ridge_closed_form(X, y, 0.0)
    expect_close(got, want, "ridge_closed_form with lam=0", rtol=1e-8, atol=1e-10)
    expect_unchanged(submission)
