"""Hidden checks for chain_rule.py.

sigmoid and its derivative lie in [0, 1], so any correct formula (the stable branches,
exp(z) / (1 + exp(z)), 0.5 * (1 + tanh(z / 2)), a clipped exponent) is within a few
eps of the truth in absolute terms: we allow atol = 100 eps plus rtol 1e-12. At z = ±1e4
they must also stay finite and raise no warning. chain_derivative multiplies exactly the
numbers the callables return, so rtol 1e-12 is generous. two_layer_net's gradients are
sums of n products, correct to about n * eps of their size whatever the summation order:
rtol 1e-9 relative to each gradient's largest entry. The independent check against
central differences of the loss allows MARGIN (100) times truncation plus round-off.
"""

import numpy as np
import pytest

import reference
from grader.checking.expect import (
    expect,
    expect_array,
    expect_close,
    expect_equal_length,
    expect_finite,
    expect_float,
    expect_near,
    expect_no_warnings,
    expect_unchanged,
)

EPS = np.finfo(float).eps
MARGIN = 100.0
SIGMOID_ATOL = MARGIN * EPS
EXTREMES = np.array([-1e4, -1000.0, -745.0, -50.0, -0.5, 0.0, 0.5, 50.0, 745.0, 1000.0, 1e4])
PARAM_KEYS = ("W1", "b1", "w2", "b2")


def true_sigmoid_derivative(z):
    """exp(-|z|) / (1 + exp(-|z|))**2, the derivative, symmetric in z."""
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return e / (1 + e) ** 2


# sigmoid -----------------------------------------------------------------------------

@pytest.mark.points(2)
def test_sigmoid_matrix(submission):
    """sigmoid: 1 / (1 + exp(-z)) elementwise on a 2-D array, z unchanged"""
    z = np.random.default_rng(601).uniform(-30.0, 30.0, size=(4, 5))
    got = submission.chain_rule.sigmoid(z)
    expect_unchanged(submission)
    expect_close(got, reference.sigmoid(z), "sigmoid of a (4, 5) array", rtol=1e-12,
                 atol=SIGMOID_ATOL)


@pytest.mark.points(1)
@pytest.mark.parametrize("z", [0.7, -3.0], ids=["positive", "negative"])
def test_sigmoid_scalar(submission, z):
    """sigmoid: a float in gives a single number out"""
    got = submission.chain_rule.sigmoid(z)
    expect_close(got, reference.sigmoid(z), f"sigmoid({z})", rtol=1e-12, atol=SIGMOID_ATOL)


@pytest.mark.points(2)
def test_sigmoid_extremes(submission):
    """sigmoid: finite, correct and warning-free for z from -1e4 to 1e4"""
    got = submission.chain_rule.sigmoid(EXTREMES)
    expect_no_warnings(submission)
    expect_finite(got, "sigmoid of values from -1e4 to 1e4")
    expect_close(got, reference.sigmoid(EXTREMES), "sigmoid of values from -1e4 to 1e4",
                 rtol=1e-12, atol=SIGMOID_ATOL)


@pytest.mark.points(1)
@pytest.mark.parametrize("z", [-1e4, 1e4], ids=["large-negative", "large-positive"])
def test_sigmoid_extreme_scalar(submission, z):
    """sigmoid: a float of size 1e4 gives a finite number without a warning"""
    got = submission.chain_rule.sigmoid(z)
    expect_no_warnings(submission)
    expect_close(got, reference.sigmoid(z), f"sigmoid({z:g})", rtol=1e-12, atol=SIGMOID_ATOL)


# sigmoid_derivative ------------------------------------------------------------------

@pytest.mark.points(2)
def test_sigmoid_derivative_matrix(submission):
    """sigmoid_derivative: the exact slope of the sigmoid on a 2-D array, z unchanged"""
    z = np.random.default_rng(602).uniform(-30.0, 30.0, size=(3, 4))
    got = submission.chain_rule.sigmoid_derivative(z)
    expect_unchanged(submission)
    expect_close(got, true_sigmoid_derivative(z), "sigmoid_derivative of a (3, 4) array",
                 rtol=1e-12, atol=SIGMOID_ATOL)


@pytest.mark.points(1)
def test_sigmoid_derivative_scalar(submission):
    """sigmoid_derivative: a float in gives a single number out"""
    got = submission.chain_rule.sigmoid_derivative(1.3)
    expect_close(got, true_sigmoid_derivative(1.3), "sigmoid_derivative(1.3)", rtol=1e-12,
                 atol=SIGMOID_ATOL)


@pytest.mark.points(2)
def test_sigmoid_derivative_extremes(submission):
    """sigmoid_derivative: finite, correct and warning-free for z from -1e4 to 1e4"""
    got = submission.chain_rule.sigmoid_derivative(EXTREMES)
    expect_no_warnings(submission)
    expect_finite(got, "sigmoid_derivative of values from -1e4 to 1e4")
    expect_close(got, true_sigmoid_derivative(EXTREMES),
                 "sigmoid_derivative of values from -1e4 to 1e4", rtol=1e-12,
                 atol=SIGMOID_ATOL)


# chain_derivative --------------------------------------------------------------------

def square_plus_one(x):
    return x**2 + 1.0


def twice(x):
    return 2.0 * x


@pytest.mark.points(2)
def test_chain_derivative_array(submission):
    """chain_derivative: the exact derivative of sin(x**2 + 1) on an array, x unchanged"""
    x = np.random.default_rng(603).uniform(-2.0, 2.0, size=6)
    got = submission.chain_rule.chain_derivative(np.cos, square_plus_one, twice, x)
    expect_unchanged(submission)
    expect_close(got, np.cos(x**2 + 1.0) * 2.0 * x, "chain_derivative of sin(x**2 + 1)",
                 rtol=1e-12, atol=1e-15)


@pytest.mark.points(1)
def test_chain_derivative_scalar(submission):
    """chain_derivative: the exact derivative of exp(3x - 1) at a float x"""
    def inner(x):
        return 3.0 * x - 1.0

    def inner_slope(x):
        return 3.0 + 0.0 * x

    got = submission.chain_rule.chain_derivative(np.exp, inner, inner_slope, 0.4)
    expect_close(got, 3.0 * np.exp(3.0 * 0.4 - 1.0), "chain_derivative of exp(3x - 1) at 0.4",
                 rtol=1e-12)


# two_layer_net -----------------------------------------------------------------------

def net_problem(seed, n=7, d=4, k=5):
    """Random parameters and data with n, d and k all different (transposes show)."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(scale=0.7, size=(d, k)), "b1": rng.normal(scale=0.3, size=k),
              "w2": rng.normal(size=k), "b2": 0.3}
    return params, rng.normal(size=(n, d)), rng.normal(size=n)


def net_loss(params, X, y):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    return float(np.mean((hidden @ params["w2"] + params["b2"] - y) ** 2))


def net_gradients(params, X, y):
    """Backpropagation written out, one sample at a time."""
    grads = {"W1": np.zeros_like(params["W1"]), "b1": np.zeros_like(params["b1"]),
             "w2": np.zeros_like(params["w2"]), "b2": 0.0}
    for x_i, y_i in zip(X, y):
        hidden = np.tanh(x_i @ params["W1"] + params["b1"])
        d_pred = 2.0 * (hidden @ params["w2"] + params["b2"] - y_i) / len(y)
        d_preact = d_pred * params["w2"] * (1.0 - hidden**2)
        grads["W1"] += np.outer(x_i, d_preact)
        grads["b1"] += d_preact
        grads["w2"] += d_pred * hidden
        grads["b2"] += d_pred
    return grads


def unpack_net(result):
    """(loss, grads) from two_layer_net's result, checking its structure."""
    expect_equal_length(result, 2, "two_layer_net's result (loss, grads)")
    loss, grads = result
    expect(isinstance(grads, dict), "the second item of two_layer_net's result should be a "
                                    f"dict of gradients, but is a {type(grads).__name__}")
    expect(set(grads) == set(PARAM_KEYS), f"grads has the keys {sorted(grads)}")
    return loss, grads


def expect_gradient(got, want, what):
    """Round-off of a sum of n products: rtol 1e-9 of the gradient's largest entry."""
    scale = max(float(np.max(np.abs(want))), 1e-12)
    expect_close(got, want, what, rtol=1e-9, atol=1e-9 * scale)


@pytest.mark.points(2)
def test_two_layer_net_loss(submission):
    """two_layer_net: loss = mean((tanh(X W1 + b1) w2 + b2 - y)**2), a single number"""
    params, X, y = net_problem(701)
    loss, _ = unpack_net(submission.chain_rule.two_layer_net(params, X, y))
    expect_float(loss, "the loss")
    expect_close(loss, net_loss(params, X, y), "the loss of two_layer_net", rtol=1e-12)


@pytest.mark.points(1)
def test_two_layer_net_shapes(submission):
    """two_layer_net: every gradient shaped like its parameter, b2's a single number"""
    params, X, y = net_problem(702)
    _, grads = unpack_net(submission.chain_rule.two_layer_net(params, X, y))
    for key in ("W1", "b1", "w2"):
        expect_array(grads[key], params[key].shape, f"grads[{key!r}]")
    expect_float(grads["b2"], "grads['b2']")


@pytest.mark.points(1)
def test_two_layer_net_unchanged(submission):
    """two_layer_net: params, X and y are left unchanged"""
    params, X, y = net_problem(703)
    submission.chain_rule.two_layer_net(params, X, y)
    expect_unchanged(submission)


@pytest.mark.points(2)
@pytest.mark.parametrize("key", ["W1", "b1"], ids=["W1", "b1"])
def test_two_layer_net_first_layer(submission, key):
    """two_layer_net: first-layer gradient through the tanh, matching backpropagation"""
    params, X, y = net_problem(704)
    _, grads = unpack_net(submission.chain_rule.two_layer_net(params, X, y))
    expect_gradient(grads[key], net_gradients(params, X, y)[key], f"grads[{key!r}]")


@pytest.mark.points(1)
@pytest.mark.parametrize("key", ["w2", "b2"], ids=["w2", "b2"])
def test_two_layer_net_second_layer(submission, key):
    """two_layer_net: second-layer gradient, matching backpropagation"""
    params, X, y = net_problem(705)
    _, grads = unpack_net(submission.chain_rule.two_layer_net(params, X, y))
    expect_gradient(grads[key], net_gradients(params, X, y)[key], f"grads[{key!r}]")


@pytest.mark.points(1)
def test_two_layer_net_finite_differences(submission):
    """two_layer_net: every gradient agrees with central differences of the loss"""
    params, X, y = net_problem(706, n=5, d=3, k=4)
    _, grads = unpack_net(submission.chain_rule.two_layer_net(params, X, y))
    h = 1e-5
    loss = net_loss(params, X, y)
    # A first-layer weight moves pred by p' <= |w2| |x|, p'' <= 0.77 |w2| x**2 and
    # p''' <= 2 |w2| |x|**3 (bounds of tanh', tanh'', tanh'''), so the loss's third
    # derivative is at most 2 (3 |p'| |p''| + |pred - y| |p'''|); the second layer enters
    # linearly and adds nothing. Round-off is eps * loss / h.
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    residual = float(np.max(np.abs(hidden @ params["w2"] + params["b2"] - y)))
    w, x = float(np.max(np.abs(params["w2"]))), max(1.0, float(np.max(np.abs(X))))
    d3 = 2 * (3 * 0.77 * w**2 + 2 * w * residual) * x**3
    tolerance = MARGIN * (d3 * h**2 / 6 + EPS * loss / h)
    for key in PARAM_KEYS:
        def loss(value, key=key):
            return net_loss({**params, key: value}, X, y)

        numeric = reference.central_gradient(loss, np.asarray(params[key], dtype=float), h)
        want = numeric if numeric.shape else float(numeric)
        expect_near(grads[key], want, f"grads[{key!r}]", tolerance)
