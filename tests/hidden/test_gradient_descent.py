"""Hidden checks for gradient_descent.py."""

import numpy as np
import pytest

from grader.checking.expect import (
    expect,
    expect_array,
    expect_close,
    expect_equal_length,
    expect_float,
    expect_float_list,
    expect_unchanged,
)
from grader.isolation.formulas import quadratic  # (loss, grad), evaluated beside learner code
from reference import descent, rotated_symmetric


def _exploding():
    """w @ w whose loss becomes inf once |w| passes 1e145 (warning-free), gradient 2 w."""
    def loss_fn(w):
        return float("inf") if np.max(np.abs(w)) > 1e145 else float(w @ w)

    def grad_fn(w):
        return 2.0 * w

    return loss_fn, grad_fn


def _run(function, what, *args, **kwargs):
    """Call a learner descent function; check the (w, losses) shape of its result."""
    result = function(*args, **kwargs)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           f"{what} should return a pair (w, losses), but returned {type(result).__name__}")
    w, losses = result
    return w, expect_float_list(losses, f"{what}: losses")


def _expect_run(got, want, what, rtol=1e-9):
    (w, losses), (want_w, want_losses) = got, want
    # the count is computed, not fixed by the contract: say what came back, not what was due
    expect(len(losses) == len(want_losses),
           f"{what}: losses has {len(losses)} entries, which does not fit losses[0] = loss(w0) "
           "plus one entry per update made under the stopping rules (tol checked before each "
           "update, max_steps, stop after a non-finite loss)")
    expect_close(losses, want_losses, f"{what}: losses", rtol=rtol, atol=1e-12)
    expect_close(w, want_w, f"{what}: final w", rtol=rtol, atol=1e-12)


@pytest.mark.points(1)
def test_gd_step_formula(submission):
    """gd_step: returns w - lr * grad"""
    rng = np.random.default_rng(1)
    for lr in (0.1, 1.0, 2.5e-3):
        w, grad = rng.normal(size=5), rng.normal(size=5)
        got = submission.gradient_descent.gd_step(w, grad, lr)
        expect_close(got, w - lr * grad, f"gd_step(w, grad, lr={lr})", rtol=1e-12, atol=1e-15)


@pytest.mark.points(1)
def test_gd_step_does_not_modify_inputs(submission):
    """gd_step: leaves w and grad unchanged (returns a new array)"""
    rng = np.random.default_rng(2)
    w, grad = rng.normal(size=4), rng.normal(size=4)
    submission.gradient_descent.gd_step(w, grad, 0.3)
    expect_unchanged(submission)


@pytest.mark.points(3)
def test_gradient_descent_exact_iterates(submission):
    """gradient_descent: losses[0] = loss(w0) and one loss per update, as the update rule gives"""
    rng = np.random.default_rng(3)
    A, w_star = rotated_symmetric([0.5, 1.0, 2.0, 3.0], rng), rng.normal(size=4)
    loss_fn, grad_fn = quadratic(A, w_star, offset=3.0)
    w0 = w_star + rng.normal(size=4)
    for lr, steps in ((0.2, 7), (0.05, 12)):
        got = _run(submission.gradient_descent.gradient_descent, "gradient_descent",
                   loss_fn, grad_fn, w0, lr, max_steps=steps, tol=1e-8)
        expect_unchanged(submission)
        _expect_run(got, descent(loss_fn, grad_fn, w0, lr, steps, 1e-8),
                    f"gradient_descent with lr={lr}, max_steps={steps}")


@pytest.mark.points(2)
def test_gradient_descent_no_update_at_optimum(submission):
    """gradient_descent: started at the minimiser it makes zero updates, losses == [loss(w0)]"""
    rng = np.random.default_rng(4)
    A, w_star = rotated_symmetric([1.0, 2.0, 5.0], rng), rng.normal(size=3)
    loss_fn, grad_fn = quadratic(A, w_star, offset=3.0)
    got = _run(submission.gradient_descent.gradient_descent, "gradient_descent",
               loss_fn, grad_fn, w_star, 0.1, max_steps=50, tol=1e-8)
    _expect_run(got, (w_star, [loss_fn(w_star)]), "gradient_descent started at the minimiser",
                rtol=1e-12)


@pytest.mark.points(2)
def test_gradient_descent_stopping_rule_before_update(submission):
    """gradient_descent: checks norm(grad) < tol before each update (exact update count)
    Strictly less: a gradient whose norm is exactly tol does not stop the run."""
    A, w_star = np.diag([4.0, 1.0]), np.array([1.0, -2.0])
    loss_fn, grad_fn = quadratic(A, w_star)
    w0 = np.array([3.0, 2.0])
    for tol, max_steps in ((1e-3, 1000), (1e-3, 40), (0.5, 1000)):
        got = _run(submission.gradient_descent.gradient_descent, "gradient_descent",
                   loss_fn, grad_fn, w0, 0.125, max_steps=max_steps, tol=tol)
        _expect_run(got, descent(loss_fn, grad_fn, w0, 0.125, max_steps, tol),
                    f"gradient_descent with tol={tol}, max_steps={max_steps}")
    _expect_tie_does_not_stop(submission, "gradient_descent")


def _expect_tie_does_not_stop(submission, name):
    """A linear loss whose gradient has norm exactly 1 = tol: every step is made."""
    _, losses = _run(getattr(submission.gradient_descent, name), name,
                     lambda w: float(w[0]), lambda w: np.ones(1), np.zeros(1), 0.25,
                     max_steps=3, tol=1.0)
    expect_equal_length(losses, 4, f"{name} on a slope whose norm is exactly tol "
                                   "(max_steps=3): losses")


@pytest.mark.points(1)
def test_gradient_descent_default_arguments(submission):
    """gradient_descent: uses max_steps=1000 and tol=1e-8 by default"""
    A, w_star = np.diag([4.0, 1.0]), np.array([1.0, -2.0])
    loss_fn, grad_fn = quadratic(A, w_star)
    w0 = np.array([3.0, 2.0])
    got = _run(submission.gradient_descent.gradient_descent, "gradient_descent",
               loss_fn, grad_fn, w0, 0.125)
    _expect_run(got, descent(loss_fn, grad_fn, w0, 0.125), "gradient_descent with defaults")
    slow_loss, slow_grad = quadratic(np.diag([1.0, 1e-3]), np.zeros(2))
    got = _run(submission.gradient_descent.gradient_descent, "gradient_descent",
               slow_loss, slow_grad, np.ones(2), 1.0)
    _expect_run(got, descent(slow_loss, slow_grad, np.ones(2), 1.0),
                "gradient_descent with defaults on a slow problem")


def _check_rate(submission, eigs, steps, seed):
    """Run lr = 1/L on a random quadratic; the loss must contract as theory predicts."""
    rng = np.random.default_rng(seed)
    A, w_star = rotated_symmetric(eigs, rng), rng.normal(size=len(eigs))
    loss_fn, grad_fn = quadratic(A, w_star)
    w0 = w_star + rng.normal(size=len(eigs))
    mu, L = min(eigs), max(eigs)
    rate = 1.0 - mu / L  # every eigencomponent of w - w* shrinks by at most this per update
    what = f"gradient_descent with lr = 1/L on a quadratic with condition number {L / mu:.0f}"
    w, losses = _run(submission.gradient_descent.gradient_descent, what,
                     loss_fn, grad_fn, w0, 1.0 / L, max_steps=steps, tol=0.0)
    expect_equal_length(losses, steps + 1, f"{what}: losses")
    w = expect_array(w, w0.shape, f"{what}: final w")
    losses = np.asarray(losses)
    expect(bool(np.all(losses > 0)), f"{what}: losses came back as {list(losses[:3])} ...")
    ratios = losses[1:] / losses[:-1]
    expect(bool(np.all(ratios <= rate**2 * (1 + 1e-6))),
           f"{what}: some update shrinks the loss by a factor of only {ratios.max():.6g}")
    expect(bool(ratios[-1] >= 0.99 * rate**2),
           f"{what}: the loss shrinks by a factor of {ratios[-1]:.6g} per update at the end, "
           "not at the rate lr = 1/L gives")
    gap = float(np.linalg.norm(w - w_star))
    expect(gap <= rate**steps * float(np.linalg.norm(w0 - w_star)) * (1 + 1e-6),
           f"{what}: after {steps} updates w is {gap:.3g} from the minimiser, too far")


@pytest.mark.points(2)
def test_gradient_descent_rate_well_conditioned(submission):
    """gradient_descent: with lr = 1/L the loss contracts by (1 - mu/L)^2 per update"""
    _check_rate(submission, [1.0, 1.7, 2.5, 3.2, 4.0], 40, 5)


@pytest.mark.points(2)
def test_gradient_descent_rate_ill_conditioned(submission):
    """gradient_descent: converges on an ill-conditioned quadratic at rate (1 - mu/L)"""
    _check_rate(submission, list(np.geomspace(0.01, 1.0, 6)), 300, 6)
    # and it reaches the minimiser when allowed to run to the tolerance
    rng = np.random.default_rng(7)
    A, w_star = rotated_symmetric(np.geomspace(0.05, 1.0, 4), rng), rng.normal(size=4)
    loss_fn, grad_fn = quadratic(A, w_star)
    w, _ = _run(submission.gradient_descent.gradient_descent, "gradient_descent",
                loss_fn, grad_fn, w_star + 1.0, 1.0, max_steps=5000, tol=1e-8)
    w = expect_array(w, (4,), "gradient_descent: final w")
    gap = float(np.linalg.norm(w - w_star))
    # norm(A (w - w*)) < tol implies norm(w - w*) < tol / mu = 2e-7
    expect(gap <= 4e-7, f"gradient_descent stopped {gap:.3g} away from the minimiser")


@pytest.mark.points(2)
def test_gradient_descent_diverges_above_two_over_l(submission):
    """gradient_descent: with lr > 2/L the losses grow, run ends at max_steps, nothing raised"""
    rng = np.random.default_rng(8)
    eigs = [1.0, 2.0, 3.0, 4.0]
    A, w_star = rotated_symmetric(eigs, rng), rng.normal(size=4)
    loss_fn, grad_fn = quadratic(A, w_star)
    w0 = w_star + rng.normal(size=4)
    lr = 2.2 / max(eigs)
    got = _run(submission.gradient_descent.gradient_descent, "gradient_descent with lr > 2/L",
               loss_fn, grad_fn, w0, lr, max_steps=60, tol=1e-8)
    losses = np.asarray(got[1])
    expect_equal_length(losses, 61, "gradient_descent with lr > 2/L: losses")
    expect(bool(np.all(np.isfinite(losses)) and np.all(np.diff(losses[30:]) > 0)),
           f"gradient_descent with lr > 2/L: losses should keep growing, came back as "
           f"{list(losses[-3:])} at the end")
    _expect_run(got, descent(loss_fn, grad_fn, w0, lr, 60), "gradient_descent with lr > 2/L")


@pytest.mark.points(2)
def test_gradient_descent_stops_at_first_non_finite_loss(submission):
    """gradient_descent: a non-finite loss (inf or nan) is the last entry; nothing raised"""
    loss_fn, grad_fn = _exploding()

    def nan_loss(w):
        value = loss_fn(w)
        return value if np.isfinite(value) else float("nan")

    w0 = np.array([1.0, -0.5])
    for name, loss in (("inf", loss_fn), ("nan", nan_loss)):
        what = f"gradient_descent on a diverging run (loss becomes {name})"
        got = _run(submission.gradient_descent.gradient_descent, what,
                   loss, grad_fn, w0, 5e9, max_steps=40, tol=1e-8)
        want = descent(loss, grad_fn, w0, 5e9, 40)
        expect(not np.isfinite(got[1][-1]),
               f"{what}: the last loss should be the first non-finite one, but came back "
               f"as {got[1][-1]}")
        _expect_run(got, want, what)


@pytest.mark.points(3)
def test_momentum_descent_exact_iterates(submission):
    """momentum_descent: v = beta v + grad, w = w - lr v from v = 0 (beta given and default)"""
    rng = np.random.default_rng(9)
    A, w_star = rotated_symmetric([0.5, 1.0, 2.0, 4.0], rng), rng.normal(size=4)
    loss_fn, grad_fn = quadratic(A, w_star, offset=1.5)
    w0 = w_star + rng.normal(size=4)
    momentum = submission.gradient_descent.momentum_descent
    for lr, beta, steps in ((0.1, 0.7, 6), (0.05, 0.5, 10)):
        got = _run(momentum, "momentum_descent", loss_fn, grad_fn, w0, lr, beta=beta,
                   max_steps=steps, tol=1e-8)
        expect_unchanged(submission)
        _expect_run(got, descent(loss_fn, grad_fn, w0, lr, steps, 1e-8, beta),
                    f"momentum_descent with lr={lr}, beta={beta}, max_steps={steps}")
    got = _run(momentum, "momentum_descent", loss_fn, grad_fn, w0, 0.05, max_steps=8)
    _expect_run(got, descent(loss_fn, grad_fn, w0, 0.05, 8, 1e-8, 0.9),
                "momentum_descent with the default beta")


@pytest.mark.points(1)
def test_momentum_descent_beta_zero_is_gradient_descent(submission):
    """momentum_descent: with beta = 0 it is plain gradient descent"""
    rng = np.random.default_rng(10)
    A, w_star = rotated_symmetric([1.0, 2.0, 3.0], rng), rng.normal(size=3)
    loss_fn, grad_fn = quadratic(A, w_star)
    w0 = w_star + rng.normal(size=3)
    got = _run(submission.gradient_descent.momentum_descent, "momentum_descent",
               loss_fn, grad_fn, w0, 0.2, beta=0.0, max_steps=15, tol=1e-8)
    _expect_run(got, descent(loss_fn, grad_fn, w0, 0.2, 15, 1e-8),
                "momentum_descent with beta=0")


@pytest.mark.points(2)
def test_momentum_descent_faster_when_ill_conditioned(submission):
    """momentum_descent: beats gradient descent on an ill-conditioned quadratic (lr = 1/L)"""
    rng = np.random.default_rng(3)
    A = rotated_symmetric(np.geomspace(0.01, 1.0, 6), rng)
    w_star = rng.normal(size=6)
    w0 = w_star + rng.normal(size=6)
    loss_fn, grad_fn = quadratic(A, w_star)
    w, losses = _run(submission.gradient_descent.momentum_descent, "momentum_descent",
                     loss_fn, grad_fn, w0, 1.0, beta=0.9, max_steps=200, tol=0.0)
    w = expect_array(w, (6,), "momentum_descent: final w")
    expect_equal_length(losses, 201, "momentum_descent: losses")
    plain_w, _ = descent(loss_fn, grad_fn, w0, 1.0, 200, 0.0)
    momentum_gap = float(np.linalg.norm(w - w_star))
    plain_gap = float(np.linalg.norm(plain_w - w_star))
    expect(momentum_gap <= 0.1 * plain_gap,
           f"momentum_descent (beta=0.9) ended {momentum_gap:.3g} from the minimiser after 200 "
           "updates: not clearly faster than plain gradient descent")


@pytest.mark.points(2)
def test_momentum_descent_stopping(submission):
    """momentum_descent: zero updates at the optimum; ends at the first non-finite loss
    tol is compared with the norm of grad_fn(w), strictly, not with the velocity's."""
    rng = np.random.default_rng(11)
    A, w_star = rotated_symmetric([1.0, 3.0], rng), rng.normal(size=2)
    loss_fn, grad_fn = quadratic(A, w_star, offset=2.0)
    momentum = submission.gradient_descent.momentum_descent
    got = _run(momentum, "momentum_descent", loss_fn, grad_fn, w_star, 0.1, max_steps=30)
    _expect_run(got, (w_star, [loss_fn(w_star)]), "momentum_descent started at the minimiser",
                rtol=1e-12)
    boom_loss, boom_grad = _exploding()
    w0 = np.array([1.0, -0.5])
    what = "momentum_descent on a diverging run"
    got = _run(momentum, what, boom_loss, boom_grad, w0, 5e9, beta=0.5, max_steps=40)
    expect_unchanged(submission)
    _expect_run(got, descent(boom_loss, boom_grad, w0, 5e9, 40, 1e-8, 0.5), what)
    _expect_tie_does_not_stop(submission, "momentum_descent")
    bowl_loss, bowl_grad = quadratic(np.eye(1), np.zeros(1))
    what = "momentum_descent with tol=1e-2 on a one-dimensional bowl"
    got = _run(momentum, what, bowl_loss, bowl_grad, np.ones(1), 0.1, beta=0.9, tol=1e-2)
    _expect_run(got, descent(bowl_loss, bowl_grad, np.ones(1), 0.1, 1000, 1e-2, 0.9), what)


@pytest.mark.points(1)
def test_momentum_descent_non_finite_start(submission):
    """momentum_descent: a non-finite loss at w0 (inf or nan) means zero updates, [loss(w0)]"""
    def grad_fn(w):
        return 2.0 * w

    w0 = np.array([1.5, -0.5])
    for value in (float("inf"), float("nan")):
        def loss_fn(w, value=value):
            return value

        what = f"momentum_descent when loss_fn(w0) is {value}"
        got = _run(submission.gradient_descent.momentum_descent, what, loss_fn, grad_fn, w0,
                   0.1, max_steps=20)
        _expect_run(got, (w0, [value]), what, rtol=1e-12)


def _armijo(loss_fn, grad_fn, w, lr, c):
    g = grad_fn(w)
    return loss_fn(w - lr * g) <= loss_fn(w) - c * lr * float(g @ g)


@pytest.mark.points(2)
def test_backtracking_known_step(submission):
    """backtracking_line_search: on 5 w^2 from w = 1 it returns the known first Armijo step"""
    loss_fn, grad_fn = quadratic(np.array([[10.0]]), np.zeros(1))
    w = np.array([1.0])
    search = submission.gradient_descent.backtracking_line_search
    # Armijo here is lr * 10 <= 2 (1 - c): c = 0.5 gives lr <= 0.1, the defaults lr <= 0.19998
    # (c = 1e-3 would reject lr0 = 0.1999)
    for kwargs, want in (({"lr0": 1.0, "shrink": 0.5, "c": 0.5}, 0.0625), ({}, 0.125),
                         ({"lr0": 0.9, "shrink": 0.25, "c": 0.5}, 0.9 * 0.25**2),
                         ({"lr0": 0.1999}, 0.1999)):
        got = search(loss_fn, grad_fn, w, **kwargs)
        expect_close(got, want, f"backtracking_line_search with {kwargs or 'the defaults'}",
                     rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(2)
def test_backtracking_first_armijo_step(submission):
    """backtracking_line_search: returns the first lr0 * shrink**k meeting the Armijo condition"""
    rng = np.random.default_rng(21)
    search = submission.gradient_descent.backtracking_line_search
    for _ in range(3):
        A, w_star = rotated_symmetric([0.5, 2.0, 9.0], rng), rng.normal(size=3)
        w = w_star + rng.normal(size=3)
        loss_fn, grad_fn = quadratic(A, w_star, offset=1.0)
        for lr0, shrink, c in ((2.0, 0.3, 0.3), (1.0, 0.5, 1e-4), (5.0, 0.7, 0.45)):
            what = f"backtracking_line_search(lr0={lr0}, shrink={shrink}, c={c})"
            k = next(k for k in range(51) if _armijo(loss_fn, grad_fn, w, lr0 * shrink**k, c))
            got = expect_float(search(loss_fn, grad_fn, w, lr0, shrink, c), what)
            expect_unchanged(submission)
            expect(_armijo(loss_fn, grad_fn, w, got, c),
                   f"{what} returned {got:.6g}, which does not meet the Armijo condition")
            expect(got == lr0 or not _armijo(loss_fn, grad_fn, w, got / shrink, c),
                   f"{what} returned {got:.6g}, but a larger step in the sequence already "
                   "meets the Armijo condition")
            expect_close(got, lr0 * shrink**k, what, rtol=1e-12)


@pytest.mark.points(1)
def test_backtracking_fallback(submission):
    """backtracking_line_search: returns lr0 * shrink**50 when no step qualifies"""
    def loss_fn(w):
        return float(w @ w)

    def uphill(w):  # minus the gradient: every step along -g climbs
        return -2.0 * w

    w = np.array([1.25, -1.5, 1.75])
    for lr0, shrink in ((1.0, 0.5), (3.0, 0.6)):
        got = submission.gradient_descent.backtracking_line_search(loss_fn, uphill, w, lr0,
                                                                   shrink, 1e-4)
        expect_close(got, lr0 * shrink**50,
                     f"backtracking_line_search(lr0={lr0}, shrink={shrink}) with no valid step",
                     rtol=1e-12, atol=0.0)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_backtracking_accepts_lr0(submission):
    """backtracking_line_search: returns lr0 itself when lr0 already meets the Armijo condition"""
    rng = np.random.default_rng(23)
    A, w_star = rotated_symmetric([0.5, 1.0, 1.5], rng), rng.normal(size=3)
    loss_fn, grad_fn = quadratic(A, w_star, offset=1.0)
    w = w_star + rng.normal(size=3)
    search = submission.gradient_descent.backtracking_line_search
    # on a quadratic of largest curvature L, every lr <= 2 (1 - c) / L meets Armijo
    for kwargs, lr0 in (({}, 1.0), ({"lr0": 0.6, "shrink": 0.5, "c": 0.5}, 0.6),
                        ({"lr0": 0.1, "shrink": 0.8, "c": 0.9}, 0.1)):
        got = search(loss_fn, grad_fn, w, **kwargs)
        expect_close(got, lr0, f"backtracking_line_search with {kwargs or 'the defaults'} "
                     "where the first step already decreases the loss enough", rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_backtracking_stationary_point(submission):
    """backtracking_line_search: returns lr0 at a stationary point (Armijo holds with equality)"""
    rng = np.random.default_rng(24)
    search = submission.gradient_descent.backtracking_line_search
    for name, eigs in (("a minimiser", [1.0, 2.0, 4.0]), ("a saddle point", [2.0, -1.0, 3.0])):
        A, w_star = rotated_symmetric(eigs, rng), rng.normal(size=3)
        loss_fn, grad_fn = quadratic(A, w_star, offset=0.5)
        got = search(loss_fn, grad_fn, w_star, 0.7, 0.5, 1e-4)
        expect_close(got, 0.7, f"backtracking_line_search(lr0=0.7) at {name}, where the "
                     "gradient is zero", rtol=1e-12)
        expect_unchanged(submission)


@pytest.mark.points(1)
def test_backtracking_gives_up_after_k_fifty(submission):
    """backtracking_line_search: tries k = 0..50 only, then returns lr0 * shrink**50"""
    search = submission.gradient_descent.backtracking_line_search
    for lr0, shrink in ((1.0, 0.5), (2.0, 0.8)):
        # 0.5 L w^2 with c = 0.5 meets Armijo exactly when lr <= 1 / L: put 1 / L between
        # the steps k = 51 and k = 50, so only steps smaller than the last one tried qualify
        curvature = 2.0 / (lr0 * shrink**50 * (1.0 + shrink))
        loss_fn, grad_fn = quadratic(np.array([[curvature]]), np.zeros(1))
        got = search(loss_fn, grad_fn, np.array([1.0]), lr0, shrink, 0.5)
        expect_close(got, lr0 * shrink**50,
                     f"backtracking_line_search(lr0={lr0}, shrink={shrink}) on a loss so steep "
                     "that no step up to k = 50 qualifies", rtol=1e-12, atol=0.0)
        expect_unchanged(submission)


@pytest.mark.points(2)
def test_max_stable_learning_rate_known_eigenvalues(submission):
    """max_stable_learning_rate: 2 / largest eigenvalue of a rotated Hessian"""
    rng = np.random.default_rng(12)
    for eigs in ([0.3, 1.7, 4.2, 9.5], [2.0, 0.5], [1e-3, 1.0, 7.0, 2.0, 3.0]):
        H = rotated_symmetric(eigs, rng)
        got = submission.gradient_descent.max_stable_learning_rate(H)
        expect_close(got, 2.0 / max(eigs), f"max_stable_learning_rate of a {len(eigs)}x"
                     f"{len(eigs)} Hessian", rtol=1e-10)
        expect_unchanged(submission)
