"""Misconceptions for gradients.py: gradients, Jacobians and Hessians gone wrong.

Each entry redefines a contract function on purpose (one def per misconception).
"""

import numpy as np

from grader.checking.misconceptions import wrong


@wrong("numerical_gradient", "forward-difference",
       summary="uses a forward difference for each partial derivative",
       hint="Nudge each coordinate both ways, x + h e_i and x - h e_i, and divide by 2h: the "
            "one-sided quotient is only first-order accurate, so its error is far larger.")
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    base = f(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        grad[index] = (f(x) - base) / h
        x[index] = original
    return grad


@wrong("numerical_gradient", "one-dimensional-only",
       summary="loops over range(len(x)), which nudges whole rows when x is 2-D",
       hint="For a 2-D x, x[i] is a whole row. Visit every single entry, e.g. with "
            "np.ndindex(x.shape), so each partial derivative moves exactly one number.")
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        original = x[i].copy()
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@wrong("numerical_gradient", "flattened",
       summary="returns the gradient flattened to 1-D instead of shaped like x",
       hint="The gradient has one entry per entry of x, in the same layout: reshape it to "
            "x.shape (or fill an array made with np.zeros_like(x)).")
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    flat = x.ravel()
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        f_plus = f(x)
        flat[i] = original - h
        f_minus = f(x)
        flat[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@wrong("numerical_gradient", "mutates-x",
       summary="nudges the caller's x in place and never restores it",
       hint="Work on a copy of x, and put each coordinate back to its original value after "
            "the two evaluations, before moving on to the next one.")
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        f_plus = f(x)
        x[index] -= 2 * h
        f_minus = f(x)
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


@wrong("numerical_gradient", "no-restore",
       summary="copies x but forgets to restore each coordinate after nudging it",
       hint="After evaluating f at x + h e_i and x - h e_i, set x[i] back to its original "
            "value; otherwise every later partial derivative is taken at a shifted point.")
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


@wrong("numerical_jacobian", "transposed",
       summary="returns the (n, m) transpose: row j holds the derivatives along x_j",
       hint="J[i, j] = d f_i / d x_j: rows follow the outputs, columns the inputs. The "
            "difference along e_j is a column of J, so the result has shape (m, n).")
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    rows = []
    for j in range(x.shape[0]):
        step = np.zeros_like(x)
        step[j] = h
        rows.append((np.atleast_1d(f(x + step)) - np.atleast_1d(f(x - step))) / (2 * h))
    return np.array(rows)


@wrong("numerical_jacobian", "forward-difference",
       summary="builds the Jacobian from forward differences",
       hint="Each column should be (f(x + h e_j) - f(x - h e_j)) / (2h); the one-sided "
            "difference is only first-order accurate.")
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    base = np.atleast_1d(f(x))
    columns = []
    for j in range(x.shape[0]):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((np.atleast_1d(f(x + step)) - base) / h)
    return np.stack(columns, axis=1)


@wrong("numerical_jacobian", "square-assumed",
       summary="allocates an (n, n) array, assuming as many outputs as inputs",
       hint="f maps R^n to R^m with m possibly different from n: size J from the number of "
            "outputs f returns and the number of inputs.")
def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    J = np.zeros((n, n))
    for j in range(n):
        step = np.zeros_like(x)
        step[j] = h
        column = (np.atleast_1d(f(x + step)) - np.atleast_1d(f(x - step))) / (2 * h)
        m = min(n, column.shape[0])
        J[:m, j] = column[:m]
    return J


@wrong("numerical_hessian", "diagonal-only",
       summary="computes only the diagonal second derivatives and leaves the mixed ones zero",
       hint="The Hessian's off-diagonal entries d2f / dx_i dx_j are the mixed partials: "
            "they need the four-point difference with both e_i and e_j.")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        H[i, i] = (f(x + e) - 2 * f(x) + f(x - e)) / h**2
    return H


@wrong("numerical_hessian", "divides-by-h-squared",
       summary="divides the four-point difference by h**2 instead of 4 h**2",
       hint="The four points are 2h apart along each axis, so the mixed difference is "
            "divided by (2h) * (2h). Try f(x) = x_0 * x_1, whose mixed partial is 1.")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    unit = np.eye(n) * h
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = unit[i], unit[j]
            H[i, j] = H[j, i] = (f(x + e_i + e_j) - f(x + e_i - e_j)
                                 - f(x - e_i + e_j) + f(x - e_i - e_j)) / h**2
    return H


@wrong("numerical_hessian", "upper-triangle-only",
       summary="fills the upper triangle and forgets to mirror it",
       hint="H is symmetric: H[j, i] = H[i, j]. If you compute only j >= i, copy each value "
            "into the lower triangle too.")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    unit = np.eye(n) * h
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = unit[i], unit[j]
            H[i, j] = (f(x + e_i + e_j) - f(x + e_i - e_j)
                       - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * h**2)
    return H


@wrong("numerical_hessian", "gradient-outer-product",
       summary="returns the outer product of the gradient with itself",
       hint="The Hessian holds second derivatives: how each partial derivative changes as "
            "another coordinate moves, not products of first derivatives.")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    grad = np.zeros(n)
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return np.outer(grad, grad)


@wrong("numerical_hessian", "skips-diagonal",
       summary="fills only the entries above the diagonal and their mirror images (j from i + 1), leaving the diagonal at zero",
       hint="The diagonal entries are second derivatives too, d2f/dx_i^2: the inner loop starts at j = i.")
def numerical_hessian(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    unit = np.eye(n) * h
    hessian = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            e_i, e_j = unit[i], unit[j]
            value = (f(x + e_i + e_j) - f(x + e_i - e_j)
                     - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * h**2)
            hessian[i, j] = hessian[j, i] = value
    return hessian
