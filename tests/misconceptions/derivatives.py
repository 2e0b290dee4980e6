"""Misconceptions for derivatives.py: realistic wrong finite differences and polynomial derivatives.

Each entry redefines a contract function on purpose (one def per misconception).
"""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("forward_difference", "sign-flipped",
       summary="subtracts the wrong way round: (f(x) - f(x + h)) / h",
       hint="A rising function must give a positive slope: check the sign of your estimate "
            "for f(x) = x at any point, and which value comes first in the numerator.")
def forward_difference(f, x, h=1e-5):
    return (f(x) - f(x + h)) / h


@wrong("forward_difference", "backward-difference",
       summary="steps backwards: (f(x) - f(x - h)) / h",
       hint="The forward difference looks ahead: the second point is x + h, not x - h. "
            "Both are first-order, but they are different formulas with different errors.")
def forward_difference(f, x, h=1e-5):
    return (f(x) - f(x - h)) / h


@wrong("forward_difference", "central-instead",
       summary="computes the central difference instead of the forward one",
       hint="This exercise asks for the one-sided quotient using f(x) and f(x + h) only; "
            "the symmetric version is the next function.")
def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


@wrong("central_difference", "forward-instead",
       summary="uses the forward difference instead of the central one",
       hint="The central difference uses the two points x - h and x + h, one on each side "
            "of x; then the O(h) error terms cancel. Halve h and watch how fast the error "
            "shrinks.")
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


@wrong("central_difference", "divides-by-h",
       summary="divides by h instead of 2h",
       hint="x - h and x + h are 2h apart: divide the difference by the distance between "
            "the two points. Try f(x) = x, whose slope is exactly 1.")
def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


@wrong("central_difference", "sign-flipped",
       summary="subtracts the wrong way round: (f(x - h) - f(x + h)) / (2h)",
       hint="The slope is (value on the right - value on the left) / distance; check your "
            "estimate's sign on f(x) = x.")
def central_difference(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)


@wrong("second_derivative", "divides-by-h",
       summary="divides the second difference by h instead of h**2",
       hint="The second difference is a difference of two first differences (each already "
            "divided by h), divided by h once more. Try f(x) = x**2, whose f'' is 2.")
def second_derivative(f, x, h=1e-4):
    return (f(x + h) - 2 * f(x) + f(x - h)) / h


@wrong("second_derivative", "one-sided",
       summary="uses the one-sided stencil f(x), f(x + h), f(x + 2h)",
       hint="That stencil is centred at x + h, so it is only first-order accurate at x. "
            "Use the three points x - h, x, x + h, symmetric around x.")
def second_derivative(f, x, h=1e-4):
    return (f(x + 2 * h) - 2 * f(x + h) + f(x)) / h**2


@wrong("second_derivative", "missing-factor-two",
       summary="forgets the factor 2 on f(x)",
       hint="The weights of the three points are 1, -2, 1: they must add up to zero so that "
            "a constant function has second derivative 0.")
def second_derivative(f, x, h=1e-4):
    return (f(x + h) - f(x) + f(x - h)) / h**2


@wrong("polynomial_derivative", "no-power",
       summary="drops the constant term but leaves the other coefficients as they were",
       hint="Differentiate one term c x**k on its own with the power rule: what becomes of the "
            "exponent, and what comes down in front? Check with p(x) = x**2, comparing your p' "
            "with the central_difference of p.")
def polynomial_derivative(coeffs):
    coeffs = np.asarray(coeffs, dtype=float)
    if coeffs.shape[0] <= 1:
        return np.zeros(1)
    return coeffs[1:].copy()


@wrong("polynomial_derivative", "keeps-length",
       summary="returns len(coeffs) coefficients, one too many: the constant term's 0 stays in "
               "front",
       hint="The derivative has degree one less: the result should have len(coeffs) - 1 "
            "entries, starting with the coefficient of x**0 of p'(x).")
def polynomial_derivative(coeffs):
    coeffs = np.asarray(coeffs, dtype=float)
    return np.arange(coeffs.shape[0]) * coeffs


@wrong("polynomial_derivative", "empty-for-constant",
       summary="returns an empty array for a constant polynomial",
       hint="The contract asks for [0.0] when coeffs has one entry: a constant has "
            "derivative zero, which is still a polynomial with one coefficient.")
def polynomial_derivative(coeffs):
    coeffs = np.asarray(coeffs, dtype=float)
    return np.arange(1, coeffs.shape[0]) * coeffs[1:]


@wrong("polynomial_derivative", "off-by-one-power",
       summary="multiplies coeffs[k] by k - 1: the power rule is off by one",
       hint="Position and power are easy to mix up: coeffs[k] belongs to the term of x**k. "
            "Differentiate that term alone with the power rule, and check the linear term: "
            "the slope of 3x is 3.")
def polynomial_derivative(coeffs):
    coeffs = np.asarray(coeffs, dtype=float)
    if coeffs.shape[0] <= 1:
        return np.zeros(1)
    return np.arange(0, coeffs.shape[0] - 1) * coeffs[1:]


@wrong("polynomial_derivative", "highest-first",
       summary="treats coeffs[0] as the highest power (np.polyder's convention)",
       hint="Here coeffs[k] multiplies x**k, so coeffs[0] is the constant term; np.polyder "
            "expects the opposite order.")
def polynomial_derivative(coeffs):
    coeffs = np.asarray(coeffs, dtype=float)
    if coeffs.shape[0] <= 1:
        return np.zeros(1)
    return np.polyder(coeffs)


@wrong("polynomial_derivative", "in-place",
       summary="multiplies the caller's coeffs in place",
       hint="np.asarray does not copy an array that is already float64: multiplying its "
            "slice in place changes the caller's coefficients. Build a new array instead.")
def polynomial_derivative(coeffs):
    coeffs = np.asarray(coeffs, dtype=float)
    if coeffs.shape[0] <= 1:
        return np.zeros(1)
    coeffs[1:] *= np.arange(1, coeffs.shape[0])
    return coeffs[1:]
