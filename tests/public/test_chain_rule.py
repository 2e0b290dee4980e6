"""Public checks for chain_rule.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest

LN3 = float(np.log(3.0))



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
def test_sigmoid_derivative_values(submission):
    """sigmoid_derivative: 0 and ln 3 give 0.25 and 0.1875
    sigmoid(z) * (1 - sigmoid(z)): 0.5 * 0.5 at 0 (its maximum) and 0.75 * 0.25 at ln 3."""
    got = submission.chain_rule.sigmoid_derivative(np.array([0.0, LN3]))
    np.testing.assert_allclose(got, [0.25, 0.1875], rtol=1e-9)


@pytest.mark.points(1)
def test_chain_derivative_worked_example(submission):
    """chain_derivative: d/dx (3x + 1)**2 at x = 2 is 2 * 7 * 3 = 42
    Outer f(u) = u**2 has f'(u) = 2u, evaluated at the inside g(2) = 7; times g'(x) = 3."""
    got = submission.chain_rule.chain_derivative(lambda u: 2 * u, lambda x: 3 * x + 1,
                                                 lambda x: 3.0, 2.0)
    assert got == pytest.approx(42.0, rel=1e-12), (
        f"got {got}; f_prime(g(x)) * g_prime(x) = 2 * 7 * 3 (12 means f_prime got x, not g(x))")


@pytest.mark.points(2)
def test_two_layer_net_worked_example(submission):
    """two_layer_net: loss and gradients of a one-unit net, worked by hand
    X=[[1]], W1=[[0]], b1=[0], w2=[2], b2=0.5, y=[1.5]: hidden = tanh(0) = 0, pred = 0.5, loss = 1.
    dL/dpred = 2 (0.5 - 1.5) = -2 = dL/db2; dL/dw2 = hidden * -2 = 0; back through w2 and
    tanh'(0) = 1: dL/db1 = -2 * 2 = -4 and dL/dW1 = x * -4 = -4."""
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
    Nudge each parameter by +-h, recompute the loss: the slope must equal your gradient."""
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
              "w2": rng.normal(size=4), "b2": 0.3}
    loss, grads = submission.chain_rule.two_layer_net(params, X, y)
    assert loss == pytest.approx(net_loss(params, X, y), rel=1e-9), "loss of the forward pass"
    h = 1e-5
    for key, value in params.items():
        value = np.asarray(value, dtype=float)
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            nudged = {k: np.array(v, dtype=float) for k, v in params.items()}
            nudged[key][index] = value[index] + h
            plus = net_loss(nudged, X, y)
            nudged[key][index] = value[index] - h
            numeric[index] = (plus - net_loss(nudged, X, y)) / (2 * h)
        assert np.shape(grads[key]) == value.shape, (
            f"grads[{key!r}] should have shape {value.shape}, got {np.shape(grads[key])}")
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8,
                                   err_msg=f"grads[{key!r}] against central differences")
