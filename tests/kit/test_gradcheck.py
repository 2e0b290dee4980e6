"""grader.checking.gradcheck: slopes, the disagreement table, and messages that fit a report."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checking import gradcheck
from grader.checking.expect import CheckFailed
from grader.isolation.errors import MESSAGE_CAP


def quartic(w):
    return float(np.sum(w**4) + w[0] * w[1])


def quartic_gradient(w):
    return 4 * w**3 + np.array([w[1], w[0], 0.0])


def test_central_slopes_match_a_known_gradient():
    w = np.array([0.3, -1.2, 0.8])
    np.testing.assert_allclose(gradcheck.central_slopes(quartic, w), quartic_gradient(w),
                               rtol=0, atol=1e-8)
    np.testing.assert_allclose(gradcheck.elementwise_slopes(np.sin, w), np.cos(w), atol=1e-9)


def test_a_correct_gradient_passes_and_a_wrong_one_shows_the_worst_rows_first():
    w = np.array([0.3, -1.2, 0.8])
    numeric = gradcheck.central_slopes(quartic, w)
    labels = gradcheck.index_labels("w", w.shape)
    gradcheck.expect_slopes(quartic_gradient(w), numeric, "quartic", labels)
    wrong = quartic_gradient(w) * np.array([1.0, 2.0, 1.1])
    with pytest.raises(CheckFailed) as failure:
        gradcheck.expect_slopes(wrong, numeric, "quartic", labels)
    lines = str(failure.value).splitlines()
    assert gradcheck.DISAGREES.format(reference="your own loss") in lines[0]
    assert "(2 of 3 entries, worst 3 shown)" in lines[0]
    assert lines[1] == gradcheck.HEADER
    assert [line.split()[0] for line in lines[2:]] == ["w[1]", "w[2]", "w[0]"]
    assert len({len(line) for line in lines[1:]}) == 1, "the table is fixed-width"


def test_a_wrong_loss_is_named_and_replaced_by_the_correct_one():
    w = np.array([0.3, -1.2, 0.8])

    def doubled(v):
        return 2 * quartic(v)

    with pytest.raises(CheckFailed) as failure:
        gradcheck.expect_gradient(2 * quartic_gradient(w), doubled, quartic, w, "quartic",
                                  "quartic_loss")
    message = str(failure.value)
    assert message.startswith("your quartic_loss is off here")
    assert "the slope of the correct quartic_loss" in message
    # the learner's gradient is right for the correct loss: no second penalty
    gradcheck.expect_gradient(quartic_gradient(w), doubled, quartic, w, "quartic", "quartic_loss")


def test_the_longest_message_fits_in_a_report():
    w = np.full(6, 123456.789)
    with pytest.raises(CheckFailed) as failure:
        gradcheck.expect_gradient(-w, lambda v: 1e9, lambda v: float(np.sum(v**2)), w,
                                  "logistic_gradient at random point 3", "logistic_loss",
                                  label="W1_long_name")
    assert len(str(failure.value)) < MESSAGE_CAP, str(failure.value)


def test_flatten_round_trips_a_parameter_dict():
    params = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.array([1.0, 2.0, 3.0]), "b2": 0.5}
    vector, labels, unflatten = gradcheck.flatten(params)
    assert vector.shape == (10,) and labels[:2] == ["W1[0, 0]", "W1[0, 1]"] and labels[-1] == "b2"
    back = unflatten(vector)
    assert back["b2"] == 0.5 and isinstance(back["b2"], float)
    np.testing.assert_array_equal(back["W1"], params["W1"])
