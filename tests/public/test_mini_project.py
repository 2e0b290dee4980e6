"""Public checks for mini_project.py: run `pytest tests/public` while you work."""


import numpy as np
import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def toy_data():
    """40 points in 2-D with noisy labels from the direction [1, -2] (fixed seed)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 2))
    y = (X @ np.array([1.0, -2.0]) + rng.normal(size=40) > 0).astype(float)
    return X, y


@pytest.mark.points(1)
def test_train_logistic_regression_runs_n_steps(submission):
    """train_logistic_regression: 25 updates from zeros give 26 decreasing losses from ln 2
    At w = 0 every probability is 0.5, so the loss starts at ln 2; a small lr only lowers it."""
    X, y = toy_data()
    w, losses = submission.mini_project.train_logistic_regression(X, y, 0.5, 25)
    assert np.shape(w) == (2,), f"w should have shape (d,) = (2,), got {np.shape(w)}"
    assert len(losses) == 26, f"25 updates give 26 losses, got {len(losses)}"
    assert losses[0] == pytest.approx(np.log(2.0), rel=1e-9), f"losses[0] = {losses[0]}, not ln 2"
    assert np.all(np.diff(losses) <= 1e-12), f"the loss went up: {losses}"


@pytest.mark.points(1)
def test_train_logistic_regression_includes_penalty(submission):
    """train_logistic_regression: with lam=0.1 the last loss is logistic loss + 0.1 * ||w||**2"""
    X, y = toy_data()
    w, losses = submission.mini_project.train_logistic_regression(X, y, 0.5, 10, lam=0.1)
    z = X @ w
    expected = np.mean(np.logaddexp(0.0, z) - y * z) + 0.1 * np.sum(w**2)
    assert len(losses) == 11, f"10 updates give 11 losses, got {len(losses)}"
    assert losses[-1] == pytest.approx(expected, rel=1e-9), (
        f"last loss {losses[-1]} should be the regularized loss at the returned w, {expected}")


@pytest.mark.points(1)
def test_train_logistic_regression_keeps_every_update_when_diverging(submission):
    """train_logistic_regression: exactly n_steps updates even when the loss becomes inf or nan
    With lam=10 and lr=10 the penalty's gradient dominates: every update flips the sign of w
    and makes it about 200 times larger, so the penalty overflows within 80 updates. No
    stopping rule applies: losses still has n_steps + 1 entries, the first ln 2, and no
    exception is raised (numpy's overflow RuntimeWarnings are expected here; gradient_descent
    would stop at the inf)."""
    X, y = toy_data()
    w, losses = submission.mini_project.train_logistic_regression(X, y, 10.0, 80, lam=10.0)
    assert len(losses) == 81, f"80 updates give 81 losses, even when diverging; got {len(losses)}"
    assert losses[0] == pytest.approx(np.log(2.0), rel=1e-9), f"losses[0] = {losses[0]}, not ln 2"
    assert not np.isfinite(losses[-1]), (
        f"this run diverges: the last loss should be inf or nan, got {losses[-1]}")


@pytest.mark.points(1)
def test_learning_rate_sweep_one_curve_per_rate(submission):
    """learning_rate_sweep: lrs [0.1, 1.0] give two curves, each as train_logistic_regression's"""
    X, y = toy_data()
    curves = submission.mini_project.learning_rate_sweep(X, y, [0.1, 1.0], 5)
    assert len(curves) == 2, f"one curve per learning rate: expected 2, got {len(curves)}"
    for lr, curve in zip([0.1, 1.0], curves, strict=True):
        _, losses = submission.mini_project.train_logistic_regression(X, y, lr, 5)
        np.testing.assert_allclose(curve, losses, rtol=1e-12,
                                   err_msg=f"the curve for lr={lr}")


@pytest.mark.points(1)
def test_plot_loss_curves_writes_a_png(submission):
    """plot_loss_curves: writes a PNG file at path and returns path"""
    curves = [[1.0, 0.5, 0.25, 0.125], [1.0, 0.8, 0.64, 0.512]]
    target = submission.output_file("loss_curves.png")
    got = submission.mini_project.plot_loss_curves(curves, ["lr=0.5", "lr=0.1"], target)
    path = submission.last_call.paths["loss_curves.png"]
    assert got == path, f"plot_loss_curves should return the path it wrote, got {got!r}"
    data = submission.last_call.files.get("loss_curves.png")
    problem = submission.last_call.file_problems.get("loss_curves.png")
    assert data is not None, f"plot_loss_curves {problem}"
    assert data[:8] == PNG_SIGNATURE, f"{path} does not start with the PNG signature " \
                                      f"(got {data[:8]!r})"
