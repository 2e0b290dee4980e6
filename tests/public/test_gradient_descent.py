"""Public checks for gradient_descent.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

from grader.isolation.formulas import sum_of_squares

# The lesson's bowl L(w) = sum(w**2) and its gradient 2 * w (minimum 0 at w = 0). They are
# grader formulas: under the grader they run beside your code instead of being called back.
square_loss, square_grad = sum_of_squares()


@pytest.mark.points(1)
def test_gd_step_worked_example(submission):
    """gd_step: w=[1, 2], grad=[0.5, -1], lr=0.1 gives [0.95, 2.1]
    Step against the gradient: w - lr * grad."""
    got = submission.gradient_descent.gd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
    np.testing.assert_allclose(got, [0.95, 2.1], rtol=1e-12, err_msg="w - lr * grad")


@pytest.mark.points(1)
def test_gd_step_leaves_w_unchanged(submission):
    """gd_step: does not modify its input w
    `w -= lr * grad` changes the caller's array; `return w - lr * grad` builds a new one."""
    submission.gradient_descent.gd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
    assert submission.last_call.mutated == [], (
        f"gd_step changed its argument(s) {submission.last_call.mutated} in place; "
        "return a new array instead")


@pytest.mark.points(2)
def test_gradient_descent_lesson_example(submission):
    """gradient_descent: x**2 from 10 with lr=0.1 for 20 steps, as in the lesson
    Each update w - 0.1 * 2w multiplies w by 0.8: w = 10 * 0.8**20 and losses[i] = 100 * 0.64**i."""
    w, losses = submission.gradient_descent.gradient_descent(
        square_loss, square_grad, np.array([10.0]), 0.1, max_steps=20)
    assert len(losses) == 21, (
        f"20 updates give 21 losses (the start plus one per update), got {len(losses)}")
    np.testing.assert_allclose(losses, 100 * 0.64 ** np.arange(21), rtol=1e-9,
                               err_msg="losses[0] = loss_fn(w0), losses[i] = loss after update i")
    np.testing.assert_allclose(w, [10 * 0.8**20], rtol=1e-9, err_msg="final w")


@pytest.mark.points(1)
def test_gradient_descent_stops_at_a_minimum(submission):
    """gradient_descent: x**2 from 1 with lr=0.5 lands on 0 in one update, then stops
    w - 0.5 * 2w = 0, where the gradient is 0 < tol: losses are [1, 0], not 1001 entries."""
    w, losses = submission.gradient_descent.gradient_descent(
        square_loss, square_grad, np.array([1.0]), 0.5)
    assert losses == pytest.approx([1.0, 0.0], abs=1e-12), (
        f"expected losses [1.0, 0.0], got {losses[:5]}{' ...' if len(losses) > 5 else ''} "
        f"({len(losses)} entries): check norm(grad_fn(w)) < tol before each update")
    np.testing.assert_allclose(w, [0.0], atol=1e-12, err_msg="final w")


@pytest.mark.points(1)
def test_gradient_descent_reports_divergence(submission):
    """gradient_descent: too large a learning rate diverges without raising; inf ends the losses
    With lr=1.5 each update multiplies w by 1 - 2 * 1.5 = -2, so the loss 4**k overflows to inf."""
    w, losses = submission.gradient_descent.gradient_descent(
        square_loss, square_grad, np.array([1.0]), 1.5)
    assert not np.isfinite(losses[-1]), f"the last loss should be inf, got {losses[-1]}"
    assert np.all(np.isfinite(losses[:-1])), "only the last loss may be non-finite: stop after it"
    assert losses[:3] == pytest.approx([1.0, 4.0, 16.0]), f"losses start {losses[:3]}"


@pytest.mark.points(1)
def test_gradient_descent_non_finite_start(submission):
    """gradient_descent: when loss_fn(w0) is already inf it makes no update
    The loss at w0 is the first entry, and a non-finite loss ends the run: losses == [inf] and
    w equals w0 (the gradient is never used)."""
    def loss_fn(w):
        return float("inf")

    def grad_fn(w):
        return 2.0 * w

    w, losses = submission.gradient_descent.gradient_descent(loss_fn, grad_fn,
                                                             np.array([3.0, -1.0]), 0.1)
    assert len(losses) == 1 and losses[0] == float("inf"), (
        f"expected losses == [inf] (no update after a non-finite loss), got {losses[:5]}"
        f"{' ...' if len(losses) > 5 else ''} ({len(losses)} entries)")
    np.testing.assert_array_equal(w, [3.0, -1.0], err_msg="with no update, w is w0")


@pytest.mark.points(1)
def test_momentum_descent_two_steps(submission):
    """momentum_descent: two heavy-ball steps on x**2 from 1 with lr=0.1, beta=0.9
    v = 2, w = 1 - 0.1 * 2 = 0.8; then v = 0.9 * 2 + 1.6 = 3.4, w = 0.8 - 0.34 = 0.46."""
    w, losses = submission.gradient_descent.momentum_descent(
        square_loss, square_grad, np.array([1.0]), 0.1, beta=0.9, max_steps=2)
    np.testing.assert_allclose(losses, [1.0, 0.64, 0.2116], rtol=1e-9,
                               err_msg="losses before and after each of the 2 updates")
    np.testing.assert_allclose(w, [0.46], rtol=1e-9, err_msg="final w")


@pytest.mark.points(1)
def test_backtracking_line_search_halves_once(submission):
    """backtracking_line_search: x**2 at w=1 rejects lr=1 and accepts lr=0.5
    lr=1 jumps to w=-1 (loss 1: no decrease); lr=0.5 lands on 0, well below 1 - c * 0.5 * 4."""
    got = submission.gradient_descent.backtracking_line_search(
        square_loss, square_grad, np.array([1.0]))
    assert got == pytest.approx(0.5, rel=1e-12), f"expected lr = 0.5, got {got}"


@pytest.mark.points(1)
def test_max_stable_learning_rate_uses_eigenvalues(submission):
    """max_stable_learning_rate: Hessian [[2, 1], [1, 2]] gives 2/3
    Its eigenvalues are 1 and 3 (not the diagonal 2, 2): lr must stay below 2 / 3."""
    got = submission.gradient_descent.max_stable_learning_rate(np.array([[2.0, 1.0],
                                                                         [1.0, 2.0]]))
    assert got == pytest.approx(2 / 3, rel=1e-9), f"2 / largest eigenvalue = 2/3, got {got}"
