"""Public checks for chain_rule.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

from grader.checking import gradcheck
from grader.checking.expect import expect_float

LN3 = float(np.log(3.0))
SEEDS = (1, 2, 3)


def correct_sigmoid(z):
    """1 / (1 + exp(-z)) for moderate z (the checks below stay within |z| <= 8)."""
    return 1.0 / (1.0 + np.exp(-z))


def net_loss(params, X, y):
    """The forward pass of the contract: mean((tanh(X @ W1 + b1) @ w2 + b2 - y)**2)."""
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    return float(np.mean((hidden @ params["w2"] + params["b2"] - y) ** 2))


@pytest.mark.points(1)
def test_sigmoid_values(submission):
    """sigmoid: 0, ln 3 and -ln 3 give 0.5, 0.75 and 0.25
    1 / (1 + exp(-ln 3)) = 1 / (1 + 1/3) = 3/4, and sigmoid(-z) = 1 - sigmoid(z)."""
    got = submission.chain_rule.sigmoid(np.array([0.0, LN3, -LN3]))
    assert np.shape(got) == (3,), f"expected an array shaped like z (3,), got shape {np.shape(got)}"
    np.testing.assert_allclose(got, [0.5, 0.75, 0.25], rtol=1e-9)


@pytest.mark.points(1)
def test_sigmoid_does_not_overflow(submission):
    """sigmoid: sigmoid(-1000) is (almost) 0, finite and without an overflow warning
    exp(1000) overflows; for z < 0 use exp(z) / (1 + exp(z)): its exp never sees a big number."""
    got = submission.chain_rule.sigmoid(-1000.0)
    problems = submission.last_call.warnings
    assert problems == [], f"sigmoid(-1000) raised {problems}; avoid exp of large positive numbers"
    assert np.isfinite(got), f"sigmoid(-1000) should be finite, got {got}"
    assert got == pytest.approx(0.0, abs=1e-12), f"sigmoid(-1000) should be about 0.0, got {got}"


@pytest.mark.points(1)
def test_sigmoid_zero_d_array_is_a_float(submission):
    """sigmoid: a 0-d array counts as a float: np.array(ln 3) gives a single number, 0.75
    A float may come as a Python float, a numpy float or a 0-d array, in and out alike."""
    got = submission.chain_rule.sigmoid(np.array(LN3))
    value = expect_float(got, "sigmoid(np.array(ln 3))")
    assert value == pytest.approx(0.75, rel=1e-12), f"sigmoid(ln 3) is 3/4, got {value}"


@pytest.mark.points(1)
def test_sigmoid_derivative_values(submission):
    """sigmoid_derivative: 0 and ln 3 give 0.25 and 0.1875
    The sigmoid is steepest at 0. At ln 3, where exp(-z) = 1/3 and sigmoid(z) = 3/4, your
    derivative of 1 / (1 + exp(-z)) should give 3/16."""
    got = submission.chain_rule.sigmoid_derivative(np.array([0.0, LN3]))
    np.testing.assert_allclose(got, [0.25, 0.1875], rtol=1e-9)


@pytest.mark.points(1)
def test_sigmoid_derivative_matches_slope_of_sigmoid(submission):
    """sigmoid_derivative: agrees with central differences of your own sigmoid
    At random z in [-8, 8], (sigmoid(z + h) - sigmoid(z - h)) / (2h) with your sigmoid must equal
    your sigmoid_derivative(z): the habit of the lesson's gradient check."""
    for seed in SEEDS:
        z = np.random.default_rng(seed).uniform(-8.0, 8.0, size=5)
        gradcheck.expect_elementwise_derivative(
            submission.chain_rule.sigmoid_derivative(z), submission.chain_rule.sigmoid,
            correct_sigmoid, z, f"sigmoid_derivative at random z, set {seed}", "sigmoid")


@pytest.mark.points(1)
def test_chain_derivative_worked_example(submission):
    """chain_derivative: d/dx (3x + 1)**2 at x = 2 is 42
    Outer f(u) = u**2 with f_prime(u) = 2u, inner g(x) = 3x + 1 with g_prime(x) = 3; by hand,
    (3x + 1)**2 = 9x**2 + 6x + 1 has slope 18x + 6 = 42 at x = 2."""
    got = submission.chain_rule.chain_derivative(lambda u: 2 * u, lambda x: 3 * x + 1,
                                                 lambda x: 3.0, 2.0)
    assert got == pytest.approx(42.0, rel=1e-12), (
        f"got {got}; 12 would mean the outer derivative was taken at x, not at the inner "
        "value g(x) = 7")


def cubic_minus_x(x):
    return x**3 - x


def cubic_minus_x_slope(x):
    return 3 * x**2 - 1


@pytest.mark.points(1)
def test_chain_derivative_matches_slope_of_composition(submission):
    """chain_derivative: agrees with central differences of sin(x**3 - x) at random points
    With f = sin (f_prime = cos) and g(x) = x**3 - x, your chain_derivative must equal the slope
    (f(g(x + h)) - f(g(x - h))) / (2h) of the composition itself."""
    for seed in SEEDS:
        x = np.random.default_rng(seed).uniform(-1.5, 1.5, size=5)
        got = submission.chain_rule.chain_derivative(np.cos, cubic_minus_x, cubic_minus_x_slope, x)
        numeric = gradcheck.elementwise_slopes(lambda t: np.sin(cubic_minus_x(t)), x)
        gradcheck.expect_slopes(got, numeric, f"chain_derivative at random x, set {seed}",
                                gradcheck.index_labels("x", x.shape),
                                reference="f(g(x)) = sin(x**3 - x)")


@pytest.mark.points(2)
def test_two_layer_net_worked_example(submission):
    """two_layer_net: loss and gradients of a one-unit net, worked by hand
    X=[[1]], W1=[[0]], b1=[0], w2=[2], b2=0.5, y=[1.5]: hidden = tanh(0) = 0, pred = 0.5, and
    loss = (0.5 - 1.5)**2 = 1. Differentiating that loss by hand, layer by layer, gives
    dL/db2 = -2, dL/dw2 = 0 (the hidden value is 0), dL/db1 = -4 and dL/dW1 = -4."""
    params = {"W1": np.array([[0.0]]), "b1": np.array([0.0]), "w2": np.array([2.0]), "b2": 0.5}
    loss, grads = submission.chain_rule.two_layer_net(params, np.array([[1.0]]), np.array([1.5]))
    assert loss == pytest.approx(1.0, rel=1e-12), f"loss should be (0.5 - 1.5)**2 = 1, got {loss}"
    assert isinstance(grads, dict) and set(grads) == set(params), (
        f"grads should be a dict with keys {sorted(params)}, got {grads!r}")
    for key, expected in [("W1", [[-4.0]]), ("b1", [-4.0]), ("w2", [0.0]), ("b2", -2.0)]:
        assert np.shape(grads[key]) == np.shape(expected), (
            f"grads[{key!r}] should have shape {np.shape(expected)}, got {np.shape(grads[key])}")
        np.testing.assert_allclose(grads[key], expected, rtol=1e-12, atol=1e-12,
                                   err_msg=f"grads[{key!r}]")


@pytest.mark.points(2)
def test_two_layer_net_matches_finite_differences(submission):
    """two_layer_net: backpropagated gradients match central differences on a random net
    Nudge each parameter by +-h and recompute the loss your two_layer_net returns: the slope
    must equal your gradient, for every entry of W1, b1, w2 and b2."""
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
              "w2": rng.normal(size=4), "b2": 0.3}
    loss, grads = submission.chain_rule.two_layer_net(params, X, y)
    assert isinstance(grads, dict) and set(grads) == set(params), (
        f"grads should be a dict with keys {sorted(params)}, got {grads!r}")
    for key, value in params.items():
        assert np.shape(grads[key]) == np.shape(value), (
            f"grads[{key!r}] should have shape {np.shape(value)}, got {np.shape(grads[key])}")
    theta, labels, unflatten = gradcheck.flatten(params)
    analytic, _, _ = gradcheck.flatten({key: grads[key] for key in params})

    def own_loss(vector):
        return submission.chain_rule.two_layer_net(unflatten(vector), X, y)[0]

    def correct_loss(vector):
        return net_loss(unflatten(vector), X, y)

    function, note, scale = gradcheck.loss_reference(own_loss, correct_loss, theta, "loss")
    gradcheck.expect_slopes(analytic, gradcheck.central_slopes(function, theta),
                            "two_layer_net on a random net", labels,
                            reference="your own loss" if not note else "the correct loss",
                            scale=scale, note=note)
