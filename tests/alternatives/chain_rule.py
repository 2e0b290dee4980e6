"""Correct variants for chain_rule.py: written differently, they must keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("sigmoid", "tanh-identity",
         summary="0.5 * (1 + tanh(z / 2)), which never overflows")
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float) / 2.0))


@variant("sigmoid", "exp-of-log-sigmoid",
         summary="exp(-log(1 + exp(-z))) with np.logaddexp, which never overflows")
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


@variant("sigmoid_derivative", "symmetric-quotient",
         summary="exp(-|z|) / (1 + exp(-|z|))**2, using that the derivative is even")
def sigmoid_derivative(z):
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return e / (1.0 + e) ** 2


@variant("two_layer_net", "per-sample-loop",
         summary="forward and backward pass one sample at a time, accumulating gradients")
def two_layer_net(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    grads = {"W1": np.zeros_like(W1), "b1": np.zeros_like(b1), "w2": np.zeros_like(w2),
             "b2": 0.0}
    total = 0.0
    for x_i, y_i in zip(X, y):
        hidden = np.tanh(x_i @ W1 + b1)
        residual = hidden @ w2 + b2 - y_i
        total += residual**2
        d_pred = 2.0 * residual / n
        d_preact = d_pred * w2 * (1.0 - hidden**2)
        grads["W1"] = grads["W1"] + np.outer(x_i, d_preact)
        grads["b1"] = grads["b1"] + d_preact
        grads["w2"] = grads["w2"] + d_pred * hidden
        grads["b2"] = grads["b2"] + float(d_pred)
    return float(total / n), grads
