"""Public checks for derivatives.py: run `pytest tests/public` while you work."""

import numpy as np
import pytest


@pytest.mark.points(1)
def test_central_difference_of_sine(submission):
    """central_difference: the derivative of sin at 1.0 is cos(1.0)"""
    got = submission.derivatives.central_difference(np.sin, 1.0)
    np.testing.assert_allclose(got, np.cos(1.0), rtol=1e-8)
