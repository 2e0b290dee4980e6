"""The chain rule and backpropagation through a small network.

If y = g(x) and L = f(y), then dL/dx = f'(g(x)) * g'(x): the derivative of the outside,
evaluated at the inside, times the derivative of the inside. Backpropagation applies it
layer by layer, from the loss back to every parameter.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def sigmoid(z: float | np.ndarray) -> float | np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), elementwise and overflow-free.

    Inputs:
    - z: float, or array of any shape; any finite value (e.g. -1e4 or 1e4).

    Returns:
    - float or array shaped like z, in [0, 1], computed without overflow or warnings.
    """
    # TODO: Compute the sigmoid without ever taking exp of a large positive number.
    # HINT: for z < 0, 1 / (1 + exp(-z)) = exp(z) / (1 + exp(z)); exp(-abs(z)) never overflows.
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
    result = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result if result.ndim else float(result)


def sigmoid_derivative(z: float | np.ndarray) -> float | np.ndarray:
    """The derivative of the sigmoid, sigmoid(z) * (1 - sigmoid(z)).

    Inputs:
    - z: float, or array of any shape; any finite value.

    Returns:
    - float or array shaped like z, in [0, 0.25], without overflow or warnings.
    """
    # TODO: Use the identity sigma'(z) = sigma(z) * (1 - sigma(z)).
    # HINT: reuse sigmoid; one line.
    s = sigmoid(z)
    return s * (1 - s)


def chain_derivative(f_prime: Callable, g: Callable, g_prime: Callable,
                     x: float | np.ndarray) -> float | np.ndarray:
    """The derivative of the composition f(g(x)) by the chain rule.

    Inputs:
    - f_prime: the derivative f' of the outer function.
    - g, g_prime: the inner function and its derivative.
    - x: float, or array on which all three act elementwise.

    Returns:
    - f_prime(g(x)) * g_prime(x), shaped like x.
    """
    # TODO: Evaluate the outer derivative at the inner value, times the inner derivative.
    # HINT: one line.
    return f_prime(g(x)) * g_prime(x)


def two_layer_net(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Loss and gradients of a one-hidden-layer tanh network, by backpropagation.

    Forward pass: hidden = tanh(X @ W1 + b1), pred = hidden @ w2 + b2,
    loss = mean((pred - y)**2).

    Inputs:
    - params: dict with W1 (d, k), b1 (k,), w2 (k,), b2 (float); not modified.
    - X: array of shape (n, d); y: array of shape (n,).

    Returns:
    - (loss, grads): loss a float; grads a dict with the keys of params, each gradient
      shaped like its parameter (b2 a float).
    """
    # TODO: Run the forward pass, then backpropagate dloss/dpred through each layer.
    # HINT: dloss/dpred = 2 (pred - y) / n and d tanh(a)/da = 1 - tanh(a)**2.
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    n = X.shape[0]
    hidden = np.tanh(X @ W1 + b1)                      # (n, k)
    pred = hidden @ w2 + b2                            # (n,)
    loss = float(np.mean((pred - y) ** 2))
    d_pred = 2.0 * (pred - y) / n                      # dL/dpred, (n,)
    d_hidden = np.outer(d_pred, w2)                    # dL/dhidden, (n, k)
    d_preact = d_hidden * (1.0 - hidden**2)            # through tanh, (n, k)
    grads = {
        "W1": X.T @ d_preact,                          # (d, k)
        "b1": d_preact.sum(axis=0),                    # (k,)
        "w2": hidden.T @ d_pred,                       # (k,)
        "b2": float(d_pred.sum()),
    }
    return loss, grads
