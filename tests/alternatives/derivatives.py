"""Correct variants for derivatives.py: written differently, they must keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("central_difference", "half-over-h",
         summary="multiplies the difference by 0.5 / h instead of dividing by 2h")
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) * (0.5 / h)


@variant("second_derivative", "difference-of-differences",
         summary="the difference of the forward and backward first differences, over h")
def second_derivative(f, x, h=1e-4):
    here = f(x)
    forward = (f(x + h) - here) / h
    backward = (here - f(x - h)) / h
    return (forward - backward) / h


@variant("polynomial_derivative", "loop",
         summary="a plain loop over the powers, building a list")
def polynomial_derivative(coeffs):
    terms = [k * float(coeffs[k]) for k in range(1, len(coeffs))]
    return np.array(terms if terms else [0.0])
