"""Hidden checks for mini_project.py."""

import numpy as np
import pytest

from grader.checking.expect import (
    expect,
    expect_array,
    expect_close,
    expect_equal_length,
    expect_float_list,
    expect_unchanged,
)
from reference import logistic_gradient, logistic_loss


def _dataset(n=40, d=3, seed=7):
    """A fixed random classification problem: labels from a noisy linear score."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ np.array([1.5, -2.0, 0.5])[:d] + 0.8 * rng.normal(size=n) > 0).astype(float)
    return X, y


def _train(X, y, lr, n_steps, lam=0.0):
    """n_steps plain gradient-descent updates from zeros on the regularized logistic loss."""
    w = np.zeros(X.shape[1])
    losses = [logistic_loss(X, w, y, lam)]
    for _ in range(n_steps):
        w = w - lr * logistic_gradient(X, w, y, lam)
        losses.append(logistic_loss(X, w, y, lam))
    return w, losses


def _fit(submission, what, *args, **kwargs):
    result = submission.mini_project.train_logistic_regression(*args, **kwargs)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           f"{what} should return a pair (w, losses), but returned {type(result).__name__}")
    w, losses = result
    return w, expect_float_list(losses, f"{what}: losses")


def _expect_fit(got, want, what):
    (w, losses), (want_w, want_losses) = got, want
    expect_equal_length(losses, len(want_losses), f"{what}: losses")
    expect_close(losses, want_losses, f"{what}: losses", rtol=1e-9, atol=1e-12)
    expect_close(w, want_w, f"{what}: w", rtol=1e-9, atol=1e-12)


@pytest.mark.points(2)
def test_train_starts_at_log_two(submission):
    """train_logistic_regression: n_steps + 1 losses, the first log(2) (w starts at zeros)"""
    X, y = _dataset()
    for n_steps in (1, 12):
        what = f"train_logistic_regression(n_steps={n_steps})"
        w, losses = _fit(submission, what, X, y, 0.5, n_steps)
        expect_array(w, (3,), f"{what}: w")
        expect_equal_length(losses, n_steps + 1, f"{what}: losses")
        expect_close(losses[0], np.log(2.0), f"{what}: losses[0]", rtol=1e-12)


@pytest.mark.points(3)
def test_train_matches_gradient_descent(submission):
    """train_logistic_regression: exactly the losses and w of n_steps gradient-descent updates"""
    X, y = _dataset()
    for lr, n_steps in ((0.5, 25), (2.0, 10)):
        what = f"train_logistic_regression(lr={lr}, n_steps={n_steps})"
        got = _fit(submission, what, X, y, lr, n_steps)
        expect_unchanged(submission)
        _expect_fit(got, _train(X, y, lr, n_steps), what)


@pytest.mark.points(2)
def test_train_includes_l2_penalty(submission):
    """train_logistic_regression: with lam > 0 the L2 penalty is in the loss and its gradient"""
    X, y = _dataset(60, 3, 8)
    for lam in (0.05, 0.5):
        what = f"train_logistic_regression(lam={lam})"
        got = _fit(submission, what, X, y, 0.8, 15, lam=lam)
        expect_unchanged(submission)
        _expect_fit(got, _train(X, y, 0.8, 15, lam), what)


@pytest.mark.points(1)
def test_train_loss_decreases_for_small_lr(submission):
    """train_logistic_regression: with lr below 1/smoothness every update lowers the loss"""
    X, y = _dataset(50, 3, 9)
    # the logistic loss's Hessian is at most X^T X / (4 n)
    lr = 0.9 / (np.linalg.eigvalsh(X.T @ X / (4 * len(y))).max())
    _, losses = _fit(submission, "train_logistic_regression", X, y, lr, 30)
    expect_equal_length(losses, 31, "train_logistic_regression: losses")
    expect(bool(np.all(np.diff(losses) < 0)),
           f"train_logistic_regression with a small lr: the loss does not decrease at every "
           f"update; losses came back as {losses[:3]} ... {losses[-2:]}")


@pytest.mark.points(1)
def test_train_never_stops_early(submission):
    """train_logistic_regression: makes all n_steps updates even at a stationary point"""
    rng = np.random.default_rng(10)
    rows = rng.normal(size=(10, 2))
    # each row appears once with label 0 and once with label 1: the gradient at w = 0 is 0
    X, y = np.vstack([rows, rows]), np.concatenate([np.zeros(10), np.ones(10)])
    w, losses = _fit(submission, "train_logistic_regression at a stationary point", X, y, 0.5, 20)
    expect_equal_length(losses, 21, "train_logistic_regression at a stationary point: losses")
    expect_close(losses, [np.log(2.0)] * 21,
                 "train_logistic_regression at a stationary point: losses", rtol=1e-9)
    expect_close(w, np.zeros(2), "train_logistic_regression at a stationary point: w",
                 atol=1e-9)


@pytest.mark.points(2)
def test_sweep_one_curve_per_rate(submission):
    """learning_rate_sweep: one full loss curve per learning rate, in the order of lrs"""
    X, y = _dataset()
    lrs = [2.0, 0.05, 0.5]
    curves = submission.mini_project.learning_rate_sweep(X, y, lrs, 10)
    expect_unchanged(submission)
    expect(isinstance(curves, (list, tuple)),
           f"learning_rate_sweep should return a list of loss lists, not {type(curves).__name__}")
    expect_equal_length(curves, len(lrs), "learning_rate_sweep: the list of curves")
    for i, lr in enumerate(lrs):
        what = f"learning_rate_sweep: curve {i} (lr={lr})"
        curve = expect_float_list(curves[i], what)
        want = _train(X, y, lr, 10)[1]
        expect_equal_length(curve, len(want), what)
        expect_close(curve, want, what, rtol=1e-9, atol=1e-12)


@pytest.mark.points(2)
def test_plot_writes_png(submission):
    """plot_loss_curves: writes a real PNG at the given path and returns the path"""
    X, y = _dataset()
    curves = [_train(X, y, lr, 15)[1] for lr in (0.05, 0.5, 2.0)]
    target = submission.output_file("loss_curves.png")
    got = submission.mini_project.plot_loss_curves(curves, ["0.05", "0.5", "2.0"], target)
    record = submission.last_call
    expect_unchanged(submission)
    path = record.paths.get("loss_curves.png")
    expect(got == path, f"plot_loss_curves should return the path it wrote, but returned {got!r}")
    data = record.files.get("loss_curves.png")
    expect(data is not None, f"plot_loss_curves {record.file_problems.get('loss_curves.png')}")
    expect(data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR",
           f"plot_loss_curves wrote a file that is not a PNG (it starts with {data[:8]!r})")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    expect(width > 0 and height > 0 and len(data) > 1000,
           f"plot_loss_curves wrote an empty image ({width}x{height}, {len(data)} bytes)")


def _saved_axes(record) -> dict:
    """The one axes of the figure the learner saved, as grader.isolation.figures describes it."""
    expect(len(record.figures) > 0,
           "plot_loss_curves saved no matplotlib figure (the PNG was not written by "
           "matplotlib's savefig, so what it shows cannot be checked)")
    panels = [axes for axes in record.figures[-1]["axes"] if axes["lines"]]
    expect(len(panels) == 1, f"the saved figure has {len(panels)} axes with lines; "
                             "draw every curve on one axes")
    return panels[0]


@pytest.mark.points(1)
def test_plot_shows_each_curve(submission):
    """plot_loss_curves: the saved figure has one line per curve, carrying that curve's losses"""
    X, y = _dataset()
    curves = [_train(X, y, lr, 12)[1] for lr in (0.05, 0.5, 2.0)]
    submission.mini_project.plot_loss_curves(curves, ["0.05", "0.5", "2.0"],
                                             submission.output_file("curves.png"))
    axes = _saved_axes(submission.last_call)
    lines = axes["lines"]
    expect(len(lines) == len(curves), f"the figure has {len(lines)} lines for "
                                      f"{len(curves)} curves")
    for index, (line, curve) in enumerate(zip(lines, curves)):
        expect(line["y"].shape == (len(curve),),
               f"line {index + 1} has {line['y'].size} points, not one per iteration")
        expect_close(line["y"], np.asarray(curve), f"the y data of line {index + 1}",
                     rtol=1e-9, atol=0.0)


@pytest.mark.points(1)
def test_plot_log_scale_labels_legend(submission):
    """plot_loss_curves: a log loss axis, both axes labelled, and a legend of the labels"""
    X, y = _dataset()
    curves = [_train(X, y, lr, 12)[1] for lr in (0.05, 0.5)]
    labels = ["slow 0.05", "fast 0.5"]
    submission.mini_project.plot_loss_curves(curves, labels, submission.output_file("c.png"))
    axes = _saved_axes(submission.last_call)
    expect(axes["yscale"] == "log", f"the y-axis scale is {axes['yscale']!r}, not 'log'")
    expect(axes["xlabel"].strip() != "" and axes["ylabel"].strip() != "",
           f"axis labels are x={axes['xlabel']!r}, y={axes['ylabel']!r}; label both axes")
    expect(axes["has_legend"], "the figure has no legend")
    expect(sorted(axes["legend"]) == sorted(labels),
           f"the legend shows {axes['legend']!r}, not the labels given")
