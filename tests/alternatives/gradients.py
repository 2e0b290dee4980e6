"""Correct variants for gradients.py: written differently, they must keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("numerical_gradient", "unit-vectors",
         summary="steps along rows of np.eye(x.size) reshaped like x, no in-place nudging")
def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    steps = np.eye(x.size).reshape((x.size,) + x.shape) * h
    partials = [(f(x + step) - f(x - step)) / (2 * h) for step in steps]
    return np.array(partials, dtype=float).reshape(x.shape)


@variant("numerical_jacobian", "rows-of-transpose",
         summary="collects the columns as rows of J.T, then transposes")
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    transposed = []
    for j in range(n):
        step = np.zeros(n)
        step[j] = h
        plus = np.atleast_1d(np.asarray(f(x + step), dtype=float))
        minus = np.atleast_1d(np.asarray(f(x - step), dtype=float))
        transposed.append((plus - minus) / (2 * h))
    return np.array(transposed).T


@variant("numerical_hessian", "jacobian-of-gradient",
         summary="the central difference of a central-difference gradient, every (i, j) "
                 "computed separately (symmetric only up to round-off)")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]

    def gradient(point):
        grad = np.zeros(n)
        for j in range(n):
            step = np.zeros(n)
            step[j] = h
            grad[j] = (f(point + step) - f(point - step)) / (2 * h)
        return grad

    hessian = np.zeros((n, n))
    for i in range(n):
        step = np.zeros(n)
        step[i] = h
        hessian[i] = (gradient(x + step) - gradient(x - step)) / (2 * h)
    return hessian


@variant("numerical_hessian", "forward-differences",
         summary="first-order forward differences f(x+h e_i+h e_j) - f(x+h e_i) - f(x+h e_j) "
                 "+ f(x), over h**2 (the contract leaves the Hessian formula free)")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    unit = np.eye(n) * h
    here = f(x)
    moved = [f(x + unit[i]) for i in range(n)]
    hessian = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            value = (f(x + unit[i] + unit[j]) - moved[i] - moved[j] + here) / h**2
            hessian[i, j] = hessian[j, i] = value
    return hessian
