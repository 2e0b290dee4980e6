"""Formulas: test functions the worker evaluates beside learner code, with no round trip."""

from __future__ import annotations

import os

import numpy as np
import pytest

from grader.isolation import formulas, protocol
from grader.isolation.proxy import IsolatedSubmission
from grader.isolation.sandbox import Limits
from grader.isolation.submission import LocalSubmission

FAST = Limits(call_seconds=2.0, total_seconds=30.0)


@pytest.fixture
def isolated(make_submission):
    submission = IsolatedSubmission(make_submission(), FAST)
    yield submission
    submission.close()


def spd_quadratic(seed: int, d: int = 4):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(d, d))
    return formulas.quadratic(M @ M.T + d * np.eye(d), rng.normal(size=d), offset=1.5)


def test_each_family_computes_its_formula():
    A, w_star, w = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0]), np.array([0.5, 2.0])
    loss, grad = formulas.quadratic(A, w_star, offset=2.0)
    e = w - w_star
    assert loss(w) == pytest.approx(0.5 * e @ A @ e + 2.0, rel=1e-15)
    np.testing.assert_allclose(grad(w), A @ e, rtol=1e-15)
    loss, grad = formulas.double_well(tilt=0.3, bowl=0.5)
    assert loss(w) == pytest.approx((0.25 - 1) ** 2 + 0.3 * 0.5 + 0.5 * 4.0, rel=1e-15)
    np.testing.assert_allclose(grad(w), [4 * 0.5 * (0.25 - 1) + 0.3, 2.0], rtol=1e-15)
    loss, grad = formulas.sum_of_squares()
    assert loss(w) == 4.25 and np.array_equal(grad(w), 2 * w)


def test_a_formula_speaks_plain_data_like_a_called_back_function():
    loss, grad = formulas.sum_of_squares()
    assert type(loss(np.array([1, 2]))) is float           # ints in, a float out
    assert type(grad([1.0, 2.0])) is np.ndarray              # a list in, an array out
    with pytest.raises(TypeError, match="a function given to you was called with"):
        loss(object())
    with pytest.raises(formulas.FormulaFailed, match="a function given to you raised"):
        formulas.quadratic(np.eye(2), np.zeros(2))[1](np.ones(3))   # wrong shape


def test_formulas_are_evaluated_in_the_worker_with_the_same_bits(isolated, make_submission):
    loss, grad = spd_quadratic(7)
    w0 = np.linspace(-1.0, 1.0, 4)
    local = LocalSubmission(make_submission())
    here = local.gradient_descent.gradient_descent(loss, grad, w0, 0.05, max_steps=200)
    assert local.last_call.callbacks > 50                  # in-process: each call counted
    there = isolated.gradient_descent.gradient_descent(loss, grad, w0, 0.05, max_steps=200)
    assert isolated.last_call.callbacks == 0               # no round trip per call
    assert np.array_equal(here[0], there[0]) and here[1] == there[1]


def test_a_formula_the_learner_breaks_fails_that_call_only(isolated, make_submission):
    submission = IsolatedSubmission(make_submission(append={"gradient_descent": """
        def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
            loss_fn.params["A"][:] = 0.0          # edits its own copy in the worker
            return w0, [loss_fn(np.ones(7))]      # a wrong shape: the formula raises
    """}), FAST)
    loss, grad = spd_quadratic(1)
    A_before = loss.params["A"].copy()
    try:
        with pytest.raises(Exception, match="a function given to you raised"):
            submission.gradient_descent.gradient_descent(loss, grad, np.zeros(4), 0.1)
        assert np.array_equal(loss.params["A"], A_before)   # the grader's copy is untouched
        gradient = submission.gradients.numerical_gradient(loss, np.zeros(4))
        np.testing.assert_allclose(gradient, grad(np.zeros(4)), rtol=1e-6)  # next call works
    finally:
        submission.close()


def test_the_channel_rebuilds_only_known_formulas():
    loss, _ = formulas.double_well()
    frame = protocol.encode({"op": "call", "args": [loss]}, [])
    header, buffers = _split(frame)
    rebuilt = protocol.decode(header, buffers, make_callable=lambda n: None)["args"][0]
    assert isinstance(rebuilt, formulas.Formula) and rebuilt(np.array([2.0])) == loss(
        np.array([2.0]))
    with pytest.raises(protocol.ProtocolError):             # the grader never accepts one
        protocol.decode(header, buffers)
    forged = header.replace(b"double_well", b"os_system__")
    with pytest.raises(protocol.ProtocolError, match="no formula"):
        protocol.decode(forged, buffers, make_callable=lambda n: None)


def _split(frame: bytes) -> tuple[bytes, list[bytes]]:
    """(header, buffers) of one encoded frame."""
    read, write = os.pipe()
    os.write(write, frame)
    os.close(write)
    channel = protocol.Channel(read, os.open(os.devnull, os.O_WRONLY))
    try:
        return channel.receive()
    finally:
        channel.close()
