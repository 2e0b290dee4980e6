"""Realistic wrong implementations of regularization.py, each with its hint."""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("l2_penalty", "half-lambda",
       summary="uses lam / 2 * sum(w**2), the convention of some textbooks, instead of lam * sum(w**2)",
       hint="This course's L2 penalty has no 1/2 in front: it is lam times the sum of the squared weights.")
def l2_penalty(w, lam):
    return float(lam / 2 * np.sum(w**2))


@wrong("l2_penalty", "norm-not-squared",
       summary="uses lam * norm(w) instead of the squared norm",
       hint="The ridge penalty squares each weight before summing; np.linalg.norm takes a square root.")
def l2_penalty(w, lam):
    return float(lam * np.linalg.norm(w))


@wrong("l2_gradient", "missing-two",
       summary="returns lam * w, missing the factor the square brings down",
       hint="Differentiate lam * w_i**2 with respect to w_i with the power rule, one term at a "
            "time; your gradient check compares yours with the slope of your own l2_penalty.")
def l2_gradient(w, lam):
    return lam * np.asarray(w, dtype=float)


@wrong("l1_penalty", "no-absolute-value",
       summary="sums the weights instead of their absolute values",
       hint="Negative weights must add to the penalty too: take the absolute value of each weight.")
def l1_penalty(w, lam):
    return float(lam * np.sum(w))


@wrong("l1_subgradient", "lam-at-zero",
       summary="returns +lam (not 0) where w == 0, by testing w >= 0",
       hint="At w == 0 the absolute value has a kink; the contract picks the subgradient 0 there. Treat w == 0 apart from w > 0 and w < 0.")
def l1_subgradient(w, lam):
    return np.where(np.asarray(w) >= 0, lam, -lam).astype(float)


@wrong("ridge_loss", "sum-not-mean",
       summary="sums the squared residuals instead of averaging them",
       hint="The data term is the mean squared error: divide the sum of squared residuals by n.")
def ridge_loss(X, w, y, lam):
    return float(np.sum((X @ w - y) ** 2) + lam * np.sum(w**2))


@wrong("ridge_gradient", "no-penalty",
       summary="returns only the mean-squared-error gradient, without the penalty's gradient",
       hint="The gradient of a sum is the sum of the gradients: add the gradient of lam * sum(w**2).")
def ridge_gradient(X, w, y, lam):
    return (2.0 / X.shape[0]) * X.T @ (X @ w - y)


@wrong("ridge_gradient", "lam-w",
       summary="adds lam * w for the penalty's gradient, missing the factor the square brings "
               "down",
       hint="Differentiate lam * w_i**2 with the power rule, or reuse your l2_gradient; your "
            "gradient check compares yours with the slope of your own ridge_loss.")
def ridge_gradient(X, w, y, lam):
    return (2.0 / X.shape[0]) * X.T @ (X @ w - y) + lam * w


@wrong("ridge_gradient", "mse-missing-two",
       summary="drops the factor the square brings down from the data term's gradient",
       hint="Differentiate each squared residual with the power rule, then apply the chain rule "
            "through r = X @ w - y (or reuse your mse_gradient); your gradient check compares "
            "yours with the slope of your own ridge_loss.")
def ridge_gradient(X, w, y, lam):
    return (1.0 / X.shape[0]) * X.T @ (X @ w - y) + 2.0 * lam * w


@wrong("ridge_closed_form", "lam-not-times-n",
       summary="solves the zero-gradient equations with the penalty not scaled by n, as if the "
               "data term were a sum",
       hint="Set the gradient of ridge_loss to zero and clear its fractions: the data term is "
            "a mean over n samples and the penalty is not, so they do not scale alike. Your "
            "ridge_gradient at the returned w must be zero.")
def ridge_closed_form(X, y, lam):
    d = X.shape[1]
    return np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ y)


@wrong("ridge_closed_form", "ignores-lam",
       summary="returns the ordinary least-squares solution, ignoring lam",
       hint="The penalty changes the minimiser: set the gradient of the whole ridge loss, "
            "penalty included, to zero.")
def ridge_closed_form(X, y, lam):
    return np.linalg.lstsq(X, y, rcond=None)[0]


@wrong("l2_penalty", "mean-not-sum",
       summary="averages w**2 over the weights instead of summing it",
       hint="The penalty is lam times the squared norm of w: a sum over the weights, not a mean.")
def l2_penalty(w, lam):
    return float(lam * np.mean(np.asarray(w) ** 2))


@wrong("l1_penalty", "mean-not-sum",
       summary="averages abs(w) over the weights instead of summing it",
       hint="The penalty is lam times the L1 norm of w: a sum of absolute values, not a mean.")
def l1_penalty(w, lam):
    return float(lam * np.mean(np.abs(w)))
