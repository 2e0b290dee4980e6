"""Misconceptions for chain_rule.py: sigmoids, the chain rule and backpropagation gone wrong.

Each entry redefines a contract function on purpose (one def per misconception), and is
self-contained: entries needing the sigmoid compute it in their own body.
"""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("sigmoid", "naive-overflow",
       summary="computes 1 / (1 + exp(-z)) directly, so exp overflows (with a warning) for z << 0",
       hint="For z = -1e4, exp(-z) = exp(1e4) overflows. Arrange the formula so that exp only "
            "ever sees a non-positive number, e.g. exp(-abs(z)), using one form for z >= 0 "
            "and an equivalent one for z < 0.")
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@wrong("sigmoid", "wrong-sign",
       summary="computes 1 / (1 + exp(z)), the mirror image sigmoid(-z)",
       hint="sigmoid(z) should approach 1 as z grows; check the sign inside exp with a large "
            "positive z.")
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    result = np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
    return result if result.ndim else float(result)


@wrong("sigmoid", "scalar-only",
       summary="branches with `if z >= 0`, which fails for arrays",
       hint="`if` needs a single True or False, but z may be an array. Compute both forms "
            "elementwise and choose with np.where, or work on exp(-abs(z)).")
def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@wrong("sigmoid_derivative", "plus-instead-of-minus",
       summary="gets a sign wrong in the sigmoid's derivative: its values exceed 0.25 and grow "
               "with z",
       hint="Differentiate 1 / (1 + exp(-z)) with the chain rule, keeping every sign, then write "
            "the result in terms of sigmoid(z). The sigmoid's slope is never above 0.25, its "
            "value at z = 0; your gradient check compares yours with the slope of your sigmoid.")
def sigmoid_derivative(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    result = s * (1 + s)
    return result if result.ndim else float(result)


@wrong("sigmoid_derivative", "naive-quotient",
       summary="evaluates the derivative as a quotient of exponentials: inf / inf = nan for "
               "z << 0",
       hint="exp(-z) overflows for z = -1e4 and the quotient of two infinities is nan. "
            "Rewrite your derivative in terms of sigmoid(z) itself and call your stable sigmoid, "
            "which never overflows.")
def sigmoid_derivative(z):
    e = np.exp(-z)
    return e / (1.0 + e) ** 2


@wrong("sigmoid_derivative", "naive-sigmoid-inside",
       summary="recomputes a naive sigmoid inside, which overflows with a warning for z << 0",
       hint="The value comes out right, but exp(-z) overflows on the way for z = -1e4. "
            "Call your own stable sigmoid instead of writing the formula again.")
def sigmoid_derivative(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1 - s)


@wrong("sigmoid_derivative", "returns-sigmoid",
       summary="returns sigmoid(z) itself rather than its derivative",
       hint="sigmoid_derivative is the slope of the sigmoid: it peaks at 0.25 at z = 0 and "
            "goes to 0 on both sides.")
def sigmoid_derivative(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    result = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result if result.ndim else float(result)


@wrong("chain_derivative", "outer-at-x",
       summary="evaluates f_prime at x instead of at g(x)",
       hint="The outer derivative is taken where the outer function is evaluated: at the "
            "inner value g(x), not at x.")
def chain_derivative(f_prime, g, g_prime, x):
    return f_prime(x) * g_prime(x)


@wrong("chain_derivative", "inner-value-not-slope",
       summary="multiplies by g(x) instead of g_prime(x)",
       hint="The chain rule multiplies by the inner function's derivative g'(x), not by its "
            "value.")
def chain_derivative(f_prime, g, g_prime, x):
    return f_prime(g(x)) * g(x)


@wrong("chain_derivative", "outer-derivative-only",
       summary="forgets the inner derivative: returns f_prime(g(x))",
       hint="d/dx f(g(x)) has two factors: the outer derivative at g(x), times how fast the "
            "inside moves, g'(x).")
def chain_derivative(f_prime, g, g_prime, x):
    return f_prime(g(x))


@wrong("two_layer_net", "missing-tanh-derivative",
       summary="backpropagates through tanh as if it were the identity",
       hint="Between the hidden values and the pre-activations sits tanh: by the chain rule, "
            "multiply the gradient elementwise by the slope of tanh at the pre-activations "
            "before going further. Differentiate tanh = sinh / cosh by hand, and check the "
            "result against central differences.")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    hidden = np.tanh(X @ W1 + b1)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n
    d_preact = np.outer(d_pred, w2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact.sum(axis=0),
             "w2": hidden.T @ d_pred, "b2": float(d_pred.sum())}
    return loss, grads


@wrong("two_layer_net", "missing-two-over-n",
       summary="starts backpropagation with pred - y, which is not the derivative of the loss "
               "with respect to pred",
       hint="The loss is a mean of squared residuals: differentiate it with respect to one "
            "pred[i], with the chain rule through the square and the derivative of a mean, "
            "before going further.")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    hidden = np.tanh(X @ W1 + b1)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = pred - y
    d_preact = np.outer(d_pred, w2) * (1.0 - hidden**2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact.sum(axis=0),
             "w2": hidden.T @ d_pred, "b2": float(d_pred.sum())}
    return loss, grads


@wrong("two_layer_net", "b1-not-summed",
       summary="returns the per-sample b1 gradient (n, k) instead of summing over samples",
       hint="b1 is shared by every sample, so its gradient adds up the contributions of all "
            "n rows: it must have the shape of b1, (k,).")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    hidden = np.tanh(X @ W1 + b1)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n
    d_preact = np.outer(d_pred, w2) * (1.0 - hidden**2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact,
             "w2": hidden.T @ d_pred, "b2": float(d_pred.sum())}
    return loss, grads


@wrong("two_layer_net", "b2-as-array",
       summary="returns the b2 gradient as a one-element array instead of a number",
       hint="b2 is a single number, so its gradient is too: sum to a scalar (and float() it) "
            "rather than keeping a length-1 axis.")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    hidden = np.tanh(X @ W1 + b1)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n
    d_preact = np.outer(d_pred, w2) * (1.0 - hidden**2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact.sum(axis=0),
             "w2": hidden.T @ d_pred, "b2": np.sum(d_pred, keepdims=True)}
    return loss, grads


@wrong("two_layer_net", "w2-from-preactivation",
       summary="uses the pre-activation X W1 + b1 instead of tanh of it for the w2 gradient",
       hint="w2 multiplies the hidden values tanh(X W1 + b1), so dloss/dw2 pairs dloss/dpred "
            "with those values, after the tanh.")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    preact = X @ W1 + b1
    hidden = np.tanh(preact)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n
    d_preact = np.outer(d_pred, w2) * (1.0 - hidden**2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact.sum(axis=0),
             "w2": preact.T @ d_pred, "b2": float(d_pred.sum())}
    return loss, grads


@wrong("two_layer_net", "updates-params",
       summary="takes a gradient step on params in place while computing the gradients",
       hint="two_layer_net only reports the loss and gradients; the caller's params must "
            "come back unchanged (no -= on them).")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    hidden = np.tanh(X @ W1 + b1)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n
    d_preact = np.outer(d_pred, w2) * (1.0 - hidden**2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact.sum(axis=0),
             "w2": hidden.T @ d_pred, "b2": float(d_pred.sum())}
    for key in ("W1", "b1", "w2"):
        params[key] -= 0.01 * grads[key]
    return loss, grads


@wrong("two_layer_net", "b1-averaged",
       summary="averages the per-sample b1 gradients (mean over samples) instead of summing them",
       hint="The 1/n of the mean loss is already in dL/dpred; b1's gradient adds up the n per-sample contributions (a sum over axis 0), or it divides by n twice.")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    hidden = np.tanh(X @ W1 + b1)
    pred = hidden @ w2 + b2
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n
    d_preact = np.outer(d_pred, w2) * (1.0 - hidden**2)
    grads = {"W1": X.T @ d_preact, "b1": d_preact.mean(axis=0),
             "w2": hidden.T @ d_pred, "b2": float(d_pred.sum())}
    return loss, grads
