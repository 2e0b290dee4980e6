"""Realistic wrong implementations of mini_project.py, each with its hint."""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("train_logistic_regression", "one-update-short",
       summary="makes n_steps - 1 updates, so losses has n_steps entries",
       hint="n_steps counts updates; losses holds the starting loss plus one per update, n_steps + 1 in all.")
def train_logistic_regression(X, y, lr, n_steps, lam=0.0):
    def loss(w):
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + lam * np.sum(w**2))

    def grad(w):
        p = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        return X.T @ (p - y) / X.shape[0] + 2.0 * lam * w

    w = np.zeros(X.shape[1])
    losses = [loss(w)]
    for _ in range(n_steps - 1):
        w = w - lr * grad(w)
        losses.append(loss(w))
    return w, losses


@wrong("train_logistic_regression", "ignores-lam",
       summary="trains on the plain logistic loss, ignoring lam",
       hint="With lam > 0 the objective is logistic_loss + l2_penalty(w, lam), in the loss and in its gradient.")
def train_logistic_regression(X, y, lr, n_steps, lam=0.0):
    def loss(w):
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def grad(w):
        p = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        return X.T @ (p - y) / X.shape[0]

    w = np.zeros(X.shape[1])
    losses = [loss(w)]
    for _ in range(n_steps):
        w = w - lr * grad(w)
        losses.append(loss(w))
    return w, losses


@wrong("train_logistic_regression", "lam-w-gradient",
       summary="adds lam * w for the penalty's gradient, missing the factor the square brings "
               "down",
       hint="Differentiate lam * sum(w**2) one weight at a time with the power rule, or reuse "
            "your l2_gradient, which your gradient check verified.")
def train_logistic_regression(X, y, lr, n_steps, lam=0.0):
    def loss(w):
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + lam * np.sum(w**2))

    def grad(w):
        p = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        return X.T @ (p - y) / X.shape[0] + lam * w

    w = np.zeros(X.shape[1])
    losses = [loss(w)]
    for _ in range(n_steps):
        w = w - lr * grad(w)
        losses.append(loss(w))
    return w, losses


@wrong("train_logistic_regression", "penalty-only-in-gradient",
       summary="includes the penalty in the gradient but reports the unregularized loss",
       hint="The recorded losses are of the objective being minimised: logistic loss plus lam * sum(w**2).")
def train_logistic_regression(X, y, lr, n_steps, lam=0.0):
    def loss(w):
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def grad(w):
        p = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        return X.T @ (p - y) / X.shape[0] + 2.0 * lam * w

    w = np.zeros(X.shape[1])
    losses = [loss(w)]
    for _ in range(n_steps):
        w = w - lr * grad(w)
        losses.append(loss(w))
    return w, losses


@wrong("train_logistic_regression", "stops-early",
       summary="keeps gradient descent's tol = 1e-8 stopping rule, so it may stop before n_steps updates",
       hint="The contract asks for exactly n_steps updates: turn the gradient-norm stopping rule off (tol=0.0).")
def train_logistic_regression(X, y, lr, n_steps, lam=0.0):
    def loss(w):
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + lam * np.sum(w**2))

    def grad(w):
        p = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        return X.T @ (p - y) / X.shape[0] + 2.0 * lam * w

    w = np.zeros(X.shape[1])
    losses = [loss(w)]
    for _ in range(n_steps):
        g = grad(w)
        if np.linalg.norm(g) < 1e-8:
            break
        w = w - lr * g
        losses.append(loss(w))
    return w, losses


@wrong("learning_rate_sweep", "final-losses-only",
       summary="returns each run's final loss instead of its whole loss curve",
       hint="Each entry of the result is a full list of losses, one per iteration, ready to plot.")
def learning_rate_sweep(X, y, lrs, n_steps):
    def train(lr):
        w = np.zeros(X.shape[1])
        losses = []
        for _ in range(n_steps + 1):
            z = X @ w
            losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
            w = w - lr * X.T @ (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / X.shape[0]
        return losses

    return [train(lr)[-1] for lr in lrs]


@wrong("learning_rate_sweep", "whole-results",
       summary="returns each run's (w, losses) pair instead of just the losses",
       hint="Keep only the losses of each training run: the result is a list of loss lists.")
def learning_rate_sweep(X, y, lrs, n_steps):
    def train(lr):
        w = np.zeros(X.shape[1])
        losses = []
        for step in range(n_steps + 1):
            z = X @ w
            losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
            if step < n_steps:
                w = w - lr * X.T @ (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / X.shape[0]
        return w, losses

    return [train(lr) for lr in lrs]


@wrong("learning_rate_sweep", "sorted-rates",
       summary="sorts the learning rates first, so the curves are not in the order of lrs",
       hint="The i-th curve must belong to lrs[i]; keep the caller's order.")
def learning_rate_sweep(X, y, lrs, n_steps):
    def train(lr):
        w = np.zeros(X.shape[1])
        losses = []
        for step in range(n_steps + 1):
            z = X @ w
            losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
            if step < n_steps:
                w = w - lr * X.T @ (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / X.shape[0]
        return losses

    return [train(lr) for lr in sorted(lrs)]


@wrong("plot_loss_curves", "returns-nothing",
       summary="writes the PNG but returns None instead of the path",
       hint="After saving the figure, return the path it was written to.")
def plot_loss_curves(curves, labels, path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    for curve, label in zip(curves, labels):
        axes.plot(np.arange(len(curve)), curve, label=str(label))
    axes.set_yscale("log")
    axes.set_xlabel("iteration")
    axes.set_ylabel("loss")
    axes.legend()
    figure.savefig(path, format="png")
