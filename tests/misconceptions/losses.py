"""Misconceptions for losses.py: losses and their gradients gone wrong.

Each entry redefines a contract function on purpose (one def per misconception), and is
self-contained: entries needing the sigmoid compute it in their own body.
"""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("mse", "sum-not-mean",
       summary="sums the squared residuals instead of averaging them",
       hint="The mean squared error divides by the number of samples: use np.mean, so the "
            "loss does not grow with the size of the data set.")
def mse(y_pred, y):
    return float(np.sum((np.asarray(y_pred) - np.asarray(y)) ** 2))


@wrong("mse", "root-mean-square",
       summary="returns the root of the mean squared error (RMSE)",
       hint="MSE is the mean of the squared residuals, without a square root.")
def mse(y_pred, y):
    return float(np.sqrt(np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2)))


@wrong("mse", "square-of-mean",
       summary="squares the mean residual instead of averaging the squared residuals",
       hint="Square each residual first, then average: positive and negative errors must "
            "not cancel.")
def mse(y_pred, y):
    return float(np.mean(np.asarray(y_pred) - np.asarray(y)) ** 2)


@wrong("mse_gradient", "missing-two",
       summary="forgets the factor 2 from differentiating the square",
       hint="Differentiate each squared residual with the power rule, then apply the chain "
            "rule through r = X @ w - y. Your gradient check compares your gradient with the "
            "slope of your own mse.")
def mse_gradient(X, w, y):
    return X.T @ (X @ w - y) / X.shape[0]


@wrong("mse_gradient", "missing-one-over-n",
       summary="forgets the 1 / n from the mean",
       hint="The loss is a mean over the n samples, and the derivative of a mean is the mean "
            "of the derivatives: average the samples' contributions, do not just add them.")
def mse_gradient(X, w, y):
    return 2.0 * X.T @ (X @ w - y)


@wrong("mse_gradient", "sign-flipped",
       summary="has its sign flipped: it points downhill, so a small step along it lowers the "
               "loss",
       hint="The gradient points uphill: a small step along it must increase the loss. Apply "
            "the chain rule through the residual r = X @ w - y and keep track of the sign; "
            "your gradient check compares your gradient with the slope of your own mse.")
def mse_gradient(X, w, y):
    return (2.0 / X.shape[0]) * X.T @ (y - X @ w)


@wrong("binary_cross_entropy", "no-clipping",
       summary="takes log(p) without clipping, so p = 0 or 1 gives inf",
       hint="log(0) is -inf. Clip p to [eps, 1 - eps] with np.clip before taking logs.")
def binary_cross_entropy(p, y, eps=1e-12):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@wrong("binary_cross_entropy", "missing-minus",
       summary="forgets the minus sign, so the loss is negative",
       hint="log of a probability is negative; the loss is minus the mean log-likelihood, "
            "so it is positive and shrinks as predictions improve.")
def binary_cross_entropy(p, y, eps=1e-12):
    q = np.clip(p, eps, 1 - eps)
    return float(np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


@wrong("binary_cross_entropy", "ignores-negative-term",
       summary="keeps only y * log(p) and drops the (1 - y) * log(1 - p) term",
       hint="Samples with label 0 must be penalised for a high p too: add the term "
            "(1 - y) * log(1 - q).")
def binary_cross_entropy(p, y, eps=1e-12):
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(q)))


@wrong("binary_cross_entropy", "clips-in-place",
       summary="clips the caller's p in place (np.clip(p, ..., out=p))",
       hint="Clipping with out=p overwrites the caller's predictions. Keep the clipped "
            "values in a new array: q = np.clip(p, eps, 1 - eps).")
def binary_cross_entropy(p, y, eps=1e-12):
    q = np.clip(p, eps, 1 - eps, out=p)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


@wrong("binary_cross_entropy", "hard-label-branch",
       summary="chooses log(q) or log(1 - q) by whether y == 1, which ignores soft labels",
       hint="Labels may be any number in [0, 1]: weight both terms, y * log(q) + (1 - y) * "
            "log(1 - q), instead of picking one.")
def binary_cross_entropy(p, y, eps=1e-12):
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(np.where(y == 1, np.log(q), np.log(1 - q))))


@wrong("binary_cross_entropy", "ignores-eps",
       summary="clips with a hard-coded 1e-15 instead of the eps argument",
       hint="Use the eps the caller passes: q = np.clip(p, eps, 1 - eps).")
def binary_cross_entropy(p, y, eps=1e-12):
    q = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


@wrong("logistic_loss", "naive-overflow",
       summary="computes log(1 + exp(z)) directly, which overflows for large z",
       hint="exp(1e4) is inf. Rewrite log(1 + exp(z)) so that exp only sees non-positive "
            "numbers (np.logaddexp(0, z) does exactly this).")
def logistic_loss(X, w, y):
    z = X @ w
    return float(np.mean(np.log(1 + np.exp(z)) - y * z))


@wrong("logistic_loss", "plus-minus-one-labels",
       summary="uses the {-1, +1}-label formula log(1 + exp(-y z)) with labels in {0, 1}",
       hint="Here labels are 0 or 1 (or in between): the loss is log(1 + exp(z)) - y z. The "
            "log(1 + exp(-y z)) form is for labels -1 and +1.")
def logistic_loss(X, w, y):
    return float(np.mean(np.logaddexp(0.0, -y * (X @ w))))


@wrong("logistic_loss", "sign-of-yz",
       summary="adds y * z instead of subtracting it",
       hint="The loss should be small when the score z agrees with a label of 1: subtract "
            "y * z.")
def logistic_loss(X, w, y):
    z = X @ w
    return float(np.mean(np.logaddexp(0.0, z) + y * z))


@wrong("logistic_gradient", "missing-one-over-n",
       summary="forgets the 1 / n from the mean",
       hint="The loss is a mean over the n samples, and the derivative of a mean is the mean "
            "of the derivatives: average the samples' contributions, do not just add them.")
def logistic_gradient(X, w, y):
    z = X @ w
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return X.T @ (s - y)


@wrong("logistic_gradient", "sign-flipped",
       summary="has its sign flipped: it points downhill, so a small step along it lowers the "
               "loss",
       hint="Differentiate one sample's loss log(1 + exp(z)) - y z with respect to its score z, "
            "keeping the sign, then apply the chain rule through z = X @ w. A small step along "
            "the gradient must increase the loss; your gradient check compares yours with the "
            "slope of your own logistic_loss.")
def logistic_gradient(X, w, y):
    z = X @ w
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return X.T @ (y - s) / X.shape[0]


@wrong("logistic_gradient", "no-sigmoid",
       summary="differentiates log(1 + exp(z)) as if it were z**2 / 2, as in linear regression",
       hint="Differentiate log(1 + exp(z)) with respect to z with the chain rule (the outer "
            "log, the inner 1 + exp(z)): the result is not z. Then go through z = X @ w, and "
            "compare with your gradient check.")
def logistic_gradient(X, w, y):
    return X.T @ (X @ w - y) / X.shape[0]


@wrong("binary_cross_entropy", "sum-not-mean",
       summary="sums the per-sample losses instead of averaging them",
       hint="The loss is a mean over the n samples (np.mean), so that it does not grow with the size of the data set.")
def binary_cross_entropy(p, y, eps=1e-12):
    q = np.clip(p, eps, 1 - eps)
    return float(-np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)))


@wrong("logistic_loss", "sum-not-mean",
       summary="sums log(1 + exp(z)) - y z over the samples instead of averaging",
       hint="The loss is a mean over the n samples (np.mean), so that it does not grow with the size of the data set.")
def logistic_loss(X, w, y):
    z = X @ w
    return float(np.sum(np.logaddexp(0.0, z) - y * z))
