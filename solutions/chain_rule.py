"""The chain rule and backpropagation through a small network.

If y = g(x) and L = f(y), the lesson's chain rule reads dL/dx = (dL/dy) * (dy/dx): how
fast L moves with y, times how fast y moves with x. Backpropagation applies it layer by
layer, from the loss back to every parameter.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def sigmoid(z: float | np.ndarray) -> float | np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), elementwise and overflow-free.

    Inputs:
    - z: float, or array of any shape; any finite value (e.g. -1e4 or 1e4). A 0-d array
      (np.array(0.5)) or a numpy float counts as a float.

    Returns:
    - float or array shaped like z, in [0, 1], computed without overflow or warnings. For a
      float z, a single number: a Python float, a numpy float or a 0-d array all count.
    """
    # TODO: Compute the sigmoid without ever taking exp of a large positive number.
    # HINT: for z < 0, 1 / (1 + exp(-z)) = exp(z) / (1 + exp(z)); exp(-abs(z)) never overflows.
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
    result = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result if result.ndim else float(result)
    ### END SOLUTION


def sigmoid_derivative(z: float | np.ndarray) -> float | np.ndarray:
    """The derivative of the sigmoid: d/dz sigmoid(z), elementwise.

    Inputs:
    - z: float, or array of any shape; any finite value (e.g. -1e4 or 1e4).

    Returns:
    - float or array shaped like z: the slope of sigmoid at each z, finite and without
      overflow or warnings.
    """
    # TODO: Differentiate sigmoid(z) = 1 / (1 + exp(-z)) by hand, then write the result in
    # terms of sigmoid(z) itself, so it reuses your overflow-free sigmoid.
    # HINT: the chain rule on (1 + exp(-z))**-1; then replace exp(-z) by what it is in terms
    # of sigmoid(z). Check your answer against central_difference(sigmoid, z).
    ### BEGIN SOLUTION
    # sigmoid'(z) = exp(-z) / (1 + exp(-z))**2 = sigmoid(z) * (1 - sigmoid(z))
    s = sigmoid(z)
    return s * (1 - s)
    ### END SOLUTION


def chain_derivative(f_prime: Callable, g: Callable, g_prime: Callable,
                     x: float | np.ndarray) -> float | np.ndarray:
    """The derivative of the composition f(g(x)) with respect to x, by the chain rule.

    Inputs:
    - f_prime: the derivative f' of the outer function f (f itself is not needed).
    - g, g_prime: the inner function and its derivative.
    - x: float, or array on which all three act elementwise.

    Returns:
    - d/dx f(g(x)) at x: a float, or an array shaped like x.
    """
    # TODO: Apply the chain rule with y = g(x): at which point must the outer derivative
    # be evaluated?
    # HINT: dL/dx = (dL/dy) * (dy/dx). Try it on a composition you can differentiate by
    # hand, e.g. (3x + 1)**2, and compare with central_difference.
    ### BEGIN SOLUTION
    # d/dx f(g(x)) = f'(g(x)) * g'(x)
    return f_prime(g(x)) * g_prime(x)
    ### END SOLUTION


def two_layer_net(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Loss and gradients of a one-hidden-layer tanh network, by backpropagation.

    Forward pass: hidden = tanh(X @ W1 + b1), pred = hidden @ w2 + b2,
    loss = mean((pred - y)**2).

    Inputs:
    - params: dict with W1 (d, k), b1 (k,), w2 (k,), b2 (float); not modified.
    - X: array of shape (n, d); y: array of shape (n,).

    Returns:
    - (loss, grads): loss a float; grads a dict with the keys of params, where grads[key]
      is the derivative of loss with respect to params[key], shaped like that parameter
      (grads["b2"] a float).
    """
    # TODO: Run the forward pass, keeping its intermediate values; then go backwards: the
    # derivative of the loss with respect to pred, then to w2 and b2, to hidden, through
    # the tanh, and to W1 and b1.
    # HINT: each step is the chain rule once; differentiate the mean and the tanh by hand.
    # A gradient has its parameter's shape: that tells you where a transpose or a sum over
    # the n samples goes. Check every gradient with your numerical_gradient.
    ### BEGIN SOLUTION
    # dL/dpred = 2 (pred - y) / n; d tanh(a)/da = 1 - tanh(a)**2; then the chain rule
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
    ### END SOLUTION
