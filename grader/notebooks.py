"""Jupyter and nbgrader: write an nbgrader course from solutions/, read learners' notebooks.

`write_nbgrader_course` turns each module of solutions/ into an nbgrader source notebook:
an introduction, a locked import cell, a locked cell of helpers from earlier notebooks
(only where the module needs them), then for every contract function a description, a
solution cell holding the reference function with its solution region, and a locked test
cell worth that function's points in the kit's suites, with visible checks and a hidden
region. `nbgrader generate_assignment` strips both for the learners' release.

Helpers from earlier notebooks: each notebook is executed on its own (by the learner's
kernel and by `nbgrader autograde`), so a module that imports another (losses uses
chain_rule.sigmoid) cannot import the learner's other notebook. Its locked helper cell
defines what it imports as small reference functions written for the notebooks (not
copied from solutions/). A notebook's helper cell never holds a function that notebook
asks for; it holds only functions that an earlier notebook in the learning order asks for.

Notebooks are written with the json module: the grader does not need nbformat. Reading
learners' notebooks is grader.notebook_intake's role (it holds no answers and ships in
the student bundle; this module holds notebook checks and helpers, and does not).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

from grader.contract import CONTRACT, MODULES

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
COURSE_ID = "calculus-for-optimization"
DEFAULT_ASSIGNMENT = "calculus_for_optimization"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python",
                 "codemirror_mode": {"name": "ipython", "version": 3},
                 "nbconvert_exporter": "python", "pygments_lexer": "ipython3"}

# module -> (lesson concept, what the lesson says of it)
CONCEPTS: dict[str, tuple[str, str]] = {
    "derivatives": ("Functions & Derivatives", "Measure how outputs change with inputs: "
                    "f'(x) = lim(h -> 0) [f(x + h) - f(x)] / h."),
    "gradients": ("Partial Derivatives", "Gradients for multivariable functions: one partial "
                  "derivative per coordinate."),
    "gradient_check": ("Partial Derivatives", "Checking an analytic gradient against a "
                       "numerical one, as every backpropagation implementation should be."),
    "chain_rule": ("Chain Rule", "Links multiple derivatives (core of backpropagation): "
                   "dL/dx = (dL/dy) * (dy/dx)."),
    "losses": ("Loss Function", "Quantifies model error (e.g. MSE, cross-entropy)."),
    "regularization": ("Regularization", "Prevents overfitting by adding penalty terms."),
    "gradient_descent": ("Gradient Descent, Learning Rate", "An iterative method to minimize "
                         "the loss, w = w - lr * grad L(w); the learning rate controls how "
                         "fast the weights update."),
    "minima": ("Local vs Global Minima", "Where optimization can get stuck."),
    "mini_project": ("Mini project: gradient descent on a custom loss", "Define a logistic "
                     "loss, compute its gradient, experiment with learning rates and plot "
                     "the loss curve over iterations."),
}

HOW_TO_WORK = """\
**How to work**

- Write your code in each function's cell, in place of `# YOUR CODE HERE` and
  `raise NotImplementedError()`. Keep the function's name and signature.
- Run the cell that defines a function, then the test cell under it. Its visible checks
  tell you quickly whether you are on track. When your notebook is graded, the test cell
  also runs hidden checks (random inputs, shapes, overflow, inputs left unchanged) and is
  worth the points shown above it.
- Read-only cells hold the imports, helpers from earlier notebooks and the tests: leave
  them as they are.
- Arrays are float64 numpy arrays; no function may modify its inputs.
- Before you submit: *Kernel > Restart & Run All*, and check that no cell shows an error.
"""

# Helpers a notebook may need from earlier notebooks: name -> (source, helpers it uses).
# Written for the notebooks, not copied from solutions/.
HELPERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "numerical_gradient": ('''\
def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar f, shaped like x (notebook: gradients)."""
    point = np.array(x, dtype=float)
    grad = np.empty_like(point)
    for index in np.ndindex(point.shape):
        step = np.zeros_like(point)
        step[index] = h
        grad[index] = (f(point + step) - f(point - step)) / (2 * h)
    return grad
''', ()),
    "sigmoid": ('''\
def sigmoid(z):
    """The logistic function, overflow-free (notebook: chain_rule)."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))
''', ()),
    "mse": ('''\
def mse(y_pred, y):
    """Mean squared error (notebook: losses)."""
    return float(np.mean(np.square(np.asarray(y_pred) - np.asarray(y))))
''', ()),
    "mse_gradient": ('''\
def mse_gradient(X, w, y):
    """Gradient of mse(X @ w, y) with respect to w (notebook: losses)."""
    residual = X @ w - y
    return 2.0 * (X.T @ residual) / len(y)
''', ()),
    "logistic_loss": ('''\
def logistic_loss(X, w, y):
    """Mean logistic loss of a linear model, overflow-free (notebook: losses)."""
    scores = X @ w
    return float(np.mean(np.logaddexp(0.0, scores) - y * scores))
''', ()),
    "logistic_gradient": ('''\
def logistic_gradient(X, w, y):
    """Gradient of logistic_loss with respect to w (notebook: losses)."""
    return X.T @ (sigmoid(X @ w) - y) / len(y)
''', ("sigmoid",)),
    "l2_penalty": ('''\
def l2_penalty(w, lam):
    """lam * sum(w**2) (notebook: regularization)."""
    return float(lam * np.sum(np.square(w)))
''', ()),
    "l2_gradient": ('''\
def l2_gradient(w, lam):
    """Gradient of l2_penalty (notebook: regularization)."""
    return 2.0 * lam * np.asarray(w, dtype=float)
''', ()),
    "gradient_descent": ('''\
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    """(w, losses) of plain gradient descent (notebook: gradient_descent)."""
    w = np.array(w0, dtype=float)
    losses = [float(loss_fn(w))]
    while len(losses) <= max_steps and np.isfinite(losses[-1]):
        step = grad_fn(w)
        if np.linalg.norm(step) < tol:
            break
        w = w - lr * step
        losses.append(float(loss_fn(w)))
    return w, losses
''', ()),
}


# In check sources, a line `@no_warnings` opens a block in which numpy's overflow, divide
# and invalid warnings are failures (the contract asks for warning-free results there).
NO_WARNINGS = ('with np.errstate(over="warn", divide="warn", invalid="warn"), '
               'warnings.catch_warnings():\n    warnings.simplefilter("error")')


def _checks(visible: str, hidden: str) -> tuple[str, str]:
    def expand(source: str) -> str:
        lines = []
        for line in textwrap.dedent(source).strip("\n").splitlines():
            if line.strip() == "@no_warnings":
                indent = line[: len(line) - len(line.lstrip())]
                lines.extend(indent + part for part in NO_WARNINGS.splitlines())
            else:
                lines.append(line)
        return "\n".join(lines)
    return expand(visible), expand(hidden)

# function -> (visible checks, hidden checks): the test cell under the function.
CHECKS: dict[str, tuple[str, str]] = {
    # derivatives -------------------------------------------------------------------
    "forward_difference": _checks("""
        x = np.array([0.0, 1.0, 2.0, -3.0])
        got = forward_difference(lambda t: t**2, x, 1e-3)
        assert np.shape(got) == (4,), f"expected an array shaped like x, got shape {np.shape(got)}"
        np.testing.assert_allclose(got, 2 * x + 1e-3, rtol=0, atol=1e-8,
                                   err_msg="((x + h)**2 - x**2) / h is exactly 2*x + h")
        """, """
        rng = np.random.default_rng(2024)
        for shape in [(), (5,), (3, 4)]:
            x = rng.uniform(-1.0, 1.0, size=shape)
            before = np.copy(x)
            got = forward_difference(np.sin, x)
            assert np.shape(got) == np.shape(x), f"shape {np.shape(got)} for x of shape {shape}"
            np.testing.assert_array_equal(x, before, err_msg="x was modified")
            np.testing.assert_allclose(got, np.cos(x), rtol=0, atol=1e-5)
        x = rng.uniform(-1.0, 1.0, size=8)
        coarse, fine = (np.abs(forward_difference(np.exp, x, h) - np.exp(x)) for h in (1e-2, 5e-3))
        assert np.all((coarse / fine > 1.8) & (coarse / fine < 2.2)), "the error should be O(h)"
        """),
    "central_difference": _checks("""
        got = central_difference(lambda t: t**3, 2.0)
        assert abs(got - 12.0) < 1e-5, f"d/dx x**3 at 2 is 12, got {got}"
        got = central_difference(lambda t: t**2, 3.0, 1e-3)
        assert abs(got - 6.0) < 1e-8, f"exact for x**2: expected 6, got {got} (use 2 * h)"
        """, """
        rng = np.random.default_rng(2025)
        for shape in [(), (5,), (3, 4)]:
            x = rng.uniform(-1.0, 1.0, size=shape)
            before = np.copy(x)
            got = central_difference(np.sin, x)
            assert np.shape(got) == np.shape(x), f"shape {np.shape(got)} for x of shape {shape}"
            np.testing.assert_array_equal(x, before, err_msg="x was modified")
            np.testing.assert_allclose(got, np.cos(x), rtol=0, atol=1e-9)
        x = rng.uniform(-1.0, 1.0, size=8)
        coarse, fine = (np.abs(central_difference(np.exp, x, h) - np.exp(x)) for h in (1e-2, 5e-3))
        assert np.all((coarse / fine > 3.6) & (coarse / fine < 4.4)), "the error should be O(h**2)"
        """),
    "second_derivative": _checks("""
        got = second_derivative(lambda t: t**3, 2.0)
        assert abs(got - 12.0) < 1e-4, f"d2/dx2 x**3 at 2 is 12, got {got}"
        """, """
        rng = np.random.default_rng(2026)
        for shape in [(), (5,), (3, 4)]:
            x = rng.uniform(-1.0, 1.0, size=shape)
            before = np.copy(x)
            got = second_derivative(np.sin, x)
            assert np.shape(got) == np.shape(x), f"shape {np.shape(got)} for x of shape {shape}"
            np.testing.assert_array_equal(x, before, err_msg="x was modified")
            np.testing.assert_allclose(got, -np.sin(x), rtol=0, atol=1e-6)
        x = rng.uniform(-1.0, 1.0, size=8)
        coarse, fine = (np.abs(second_derivative(np.exp, x, h) - np.exp(x)) for h in (1e-2, 5e-3))
        assert np.all((coarse / fine > 3.6) & (coarse / fine < 4.4)), "the error should be O(h**2)"
        """),
    "polynomial_derivative": _checks("""
        got = polynomial_derivative(np.array([1.0, 2.0, 3.0]))
        np.testing.assert_allclose(got, [2.0, 6.0], rtol=1e-12,
                                   err_msg="the derivative of 1 + 2x + 3x**2 is 2 + 6x")
        got = polynomial_derivative(np.array([5.0]))
        np.testing.assert_array_equal(got, [0.0], err_msg="the derivative of 5 is [0.0]")
        """, """
        coeffs = np.random.default_rng(2027).normal(size=6)
        before = coeffs.copy()
        got = polynomial_derivative(coeffs)
        np.testing.assert_array_equal(coeffs, before, err_msg="coeffs was modified")
        want = np.polynomial.Polynomial(coeffs).deriv().coef
        assert np.shape(got) == (5,), f"a degree-5 polynomial has 5 derivative coefficients"
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_allclose(polynomial_derivative(np.array([3.5, -1.25])), [-1.25])
        np.testing.assert_array_equal(polynomial_derivative(np.array([4.2])), [0.0])
        """),
    # gradients ---------------------------------------------------------------------
    "numerical_gradient": _checks("""
        def f(x):
            return x[0] ** 2 + 3 * x[1]

        x = np.array([1.0, 2.0])
        got = numerical_gradient(f, x)
        np.testing.assert_allclose(got, [2.0, 3.0], rtol=1e-6, atol=1e-8,
                                   err_msg="df/dx0 = 2*x0 = 2 and df/dx1 = 3")
        np.testing.assert_array_equal(x, [1.0, 2.0], err_msg="numerical_gradient changed x")
        """, """
        rng = np.random.default_rng(3)
        for shape in [(4,), (3, 4), (2, 3, 2)]:
            x = rng.uniform(-1.0, 1.0, size=shape)
            before = x.copy()
            got = numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x)
            assert np.shape(got) == shape, f"shape {np.shape(got)} for x of shape {shape}"
            np.testing.assert_array_equal(x, before, err_msg="x was modified")
            np.testing.assert_allclose(got, np.cos(x) * x + np.sin(x), rtol=0, atol=1e-8)
        # every partial derivative is taken at x itself: a coupled function
        x = rng.uniform(-1.0, 1.0, size=(3, 4))
        got = numerical_gradient(lambda v: float(np.exp(np.sum(v) / 3)), x)
        np.testing.assert_allclose(got, np.full(x.shape, np.exp(np.sum(x) / 3) / 3), rtol=1e-8)
        # central differences of x**3 with step h are exactly 3 x**2 + h**2
        x = rng.uniform(-1.0, 1.0, size=5)
        got = numerical_gradient(lambda v: float(np.sum(v**3)), x, h=1e-2)
        np.testing.assert_allclose(got, 3 * x**2 + 1e-4, rtol=0, atol=1e-9)
        """),
    "numerical_jacobian": _checks("""
        def f(x):
            return np.array([x[0] * x[1], x[0] + 2 * x[1], x[1] ** 2])

        got = numerical_jacobian(f, np.array([2.0, 3.0]))
        assert np.shape(got) == (3, 2), f"expected shape (m, n) = (3, 2), got {np.shape(got)}"
        np.testing.assert_allclose(got, [[3.0, 2.0], [1.0, 2.0], [0.0, 6.0]], rtol=1e-6, atol=1e-8)
        """, """
        rng = np.random.default_rng(5)
        for m, n in [(5, 3), (2, 4)]:
            A = rng.normal(size=(m, n))
            x = rng.normal(size=n)
            before = x.copy()
            got = numerical_jacobian(lambda v: A @ np.sin(v), x)
            assert np.shape(got) == (m, n), f"expected shape {(m, n)}, got {np.shape(got)}"
            np.testing.assert_array_equal(x, before, err_msg="x was modified")
            np.testing.assert_allclose(got, A * np.cos(x), rtol=0, atol=1e-8)
        """),
    "numerical_hessian": _checks("""
        def f(x):
            return x[0] ** 2 + 3 * x[0] * x[1] + 2 * x[1] ** 2

        got = numerical_hessian(f, np.array([1.0, -1.0]))
        assert np.shape(got) == (2, 2), f"expected shape (2, 2), got {np.shape(got)}"
        np.testing.assert_allclose(got, [[2.0, 3.0], [3.0, 4.0]], rtol=0, atol=1e-4)
        """, """
        rng = np.random.default_rng(6)
        B = rng.normal(size=(4, 4))
        A, b = B + B.T, rng.normal(size=4)
        x = rng.normal(size=4)
        before = x.copy()
        got = numerical_hessian(lambda v: 0.5 * v @ A @ v + b @ v, x)
        assert np.shape(got) == (4, 4), f"expected shape (4, 4), got {np.shape(got)}"
        np.testing.assert_array_equal(x, before, err_msg="x was modified")
        np.testing.assert_allclose(got, A, rtol=0, atol=1e-5)
        np.testing.assert_allclose(got, got.T, rtol=0, atol=1e-5, err_msg="H is symmetric")
        e, s, c = np.exp(0.3), np.sin(-0.7), np.cos(-0.7)
        want = [[e * s, e * c, 0.0], [e * c, -e * s, 0.0], [0.0, 0.0, 3.0]]
        got = numerical_hessian(lambda v: np.exp(v[0]) * np.sin(v[1]) + v[2] ** 3,
                                np.array([0.3, -0.7, 0.5]))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)
        """),
    # gradient_check ----------------------------------------------------------------
    "relative_error": _checks("""
        got = relative_error(np.array([0.0, 1.0, 3.0]), np.array([0.0, 1.0, 1.0]))
        assert np.isfinite(got), f"got {got}: floor the denominator at eps so 0 / 0 cannot happen"
        assert abs(got - 0.5) < 1e-12, f"the largest relative error is 2 / 4, got {got}"
        """, """
        rng = np.random.default_rng(8)
        a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        want = max(abs(p - q) / max(abs(p) + abs(q), 1e-12) for p, q in zip(a.flat, b.flat))
        got = relative_error(a, b)
        assert np.ndim(got) == 0, "relative_error returns a single number"
        assert abs(got - want) <= 1e-12 * want, f"got {got} for two random 3 x 4 arrays"
        assert relative_error(np.zeros(3), np.zeros(3)) == 0.0, "two zero arrays give 0"
        assert abs(relative_error(np.array([1.0]), np.array([-1.0])) - 1.0) < 1e-12
        assert abs(relative_error(np.array([1e-13]), np.array([0.0])) - 0.1) < 1e-9
        assert abs(relative_error(np.array([1e-13]), np.array([0.0]), eps=1e-14) - 1.0) < 1e-9
        got = relative_error(2.0, 1.0)
        assert np.ndim(got) == 0 and abs(got - 1 / 3) < 1e-12, f"two floats gave {got}"
        """),
    "check_gradient": _checks("""
        x = np.array([1.0, -2.0, 3.0])
        passed, error = check_gradient(lambda v: float(np.sum(v**2)), lambda v: 2 * v, x)
        assert error < 1e-6, f"max relative error {error} for a correct gradient should be tiny"
        assert isinstance(passed, (bool, np.bool_)) and passed, f"passed={passed!r}"
        passed, error = check_gradient(lambda v: float(np.sum(v**2)), lambda v: v, x)
        assert not passed, "a gradient missing its factor 2 should fail"
        assert abs(error - 1 / 3) < 1e-6, f"|x - 2x| / (|x| + |2x|) is 1/3, got {error}"
        """, """
        rng = np.random.default_rng(9)
        x = rng.normal(size=(2, 3))
        before = x.copy()
        passed, error = check_gradient(lambda v: float(np.sum(np.sin(v))), np.cos, x)
        np.testing.assert_array_equal(x, before, err_msg="x was modified")
        assert isinstance(passed, (bool, np.bool_)) and passed and error < 1e-6
        passed, error = check_gradient(lambda v: float(np.sum(v**2)), lambda v: 3 * v,
                                       np.array([1.0, -2.0]))
        assert not passed and abs(error - 0.2) < 1e-6, f"3x against 2x: error {error}"
        def f(v):
            return float(np.sum(v**2))

        def off(v):
            return 2 * v * (1 + 1e-4)

        assert check_gradient(f, off, x, tol=1e-3)[0], "tol=1e-3 passes an error of 5e-5"
        assert not check_gradient(f, off, x, tol=1e-5)[0], "tol=1e-5 fails an error of 5e-5"
        # the worst elementwise error counts: one bad small entry among large good ones
        passed, error = check_gradient(f, lambda v: 2 * v * np.array([1.0, 1.0, 2.0]),
                                       np.array([100.0, -100.0, 0.01]))
        assert not passed and abs(error - 1 / 3) < 1e-3, f"one entry off by 2x: error {error}"
        # central differences of x**3 with step h are exactly 3 x**2 + h**2
        x = np.array([0.5, -1.0, 2.0])
        passed, error = check_gradient(lambda v: float(np.sum(v**3)),
                                       lambda v: 3 * v**2 + 1e-4, x, h=1e-2)
        assert error < 1e-9, f"the step h=1e-2 should be used: error {error}"
        """),
    # chain_rule --------------------------------------------------------------------
    "sigmoid": _checks("""
        import warnings

        ln3 = np.log(3.0)
        got = sigmoid(np.array([0.0, ln3, -ln3]))
        assert np.shape(got) == (3,), f"expected an array shaped like z, got {np.shape(got)}"
        np.testing.assert_allclose(got, [0.5, 0.75, 0.25], rtol=1e-9)
        @no_warnings
            value = sigmoid(-1000.0)
        assert np.isfinite(value) and abs(value) < 1e-12, f"sigmoid(-1000) gave {value}"
        """, """
        import warnings

        rng = np.random.default_rng(10)
        z = rng.uniform(-20.0, 20.0, size=(3, 4))
        before = z.copy()
        got = sigmoid(z)
        assert np.shape(got) == (3, 4), f"expected shape (3, 4), got {np.shape(got)}"
        np.testing.assert_array_equal(z, before, err_msg="z was modified")
        np.testing.assert_allclose(got, 1.0 / (1.0 + np.exp(-z)), rtol=1e-9, atol=1e-15)
        assert np.ndim(sigmoid(0.7)) == 0, "a float in gives a single number out"
        big = np.linspace(-1e4, 1e4, 11)
        @no_warnings
            got = sigmoid(big)
            one = sigmoid(1e4)
        assert np.all(np.isfinite(got)) and np.all((got >= 0) & (got <= 1))
        np.testing.assert_allclose(got + got[::-1], 1.0, rtol=0, atol=1e-12)
        assert abs(one - 1.0) < 1e-12, f"sigmoid(1e4) gave {one}"
        """),
    "sigmoid_derivative": _checks("""
        got = sigmoid_derivative(np.array([0.0, np.log(3.0)]))
        np.testing.assert_allclose(got, [0.25, 0.1875], rtol=1e-9,
                                   err_msg="sigmoid(z) * (1 - sigmoid(z)) at 0 and ln 3")
        """, """
        import warnings

        rng = np.random.default_rng(11)
        z = rng.uniform(-10.0, 10.0, size=(2, 5))
        before = z.copy()
        got = sigmoid_derivative(z)
        np.testing.assert_array_equal(z, before, err_msg="z was modified")
        tail = np.exp(-np.abs(z))
        np.testing.assert_allclose(got, tail / (1.0 + tail) ** 2, rtol=1e-7, atol=1e-15)
        assert np.ndim(sigmoid_derivative(0.7)) == 0, "a float in gives a single number out"
        @no_warnings
            got = sigmoid_derivative(np.array([-1e4, -50.0, 50.0, 1e4]))
        assert np.all(np.isfinite(got)) and np.all((got >= 0) & (got <= 0.25)), f"got {got}"
        """),
    "chain_derivative": _checks("""
        got = chain_derivative(lambda u: 2 * u, lambda x: 3 * x + 1, lambda x: 3.0, 2.0)
        assert abs(got - 42.0) < 1e-12, f"d/dx (3x + 1)**2 at 2 is 2 * 7 * 3 = 42, got {got}"
        """, """
        x = np.linspace(-1.5, 1.5, 7)
        before = x.copy()
        got = chain_derivative(np.cos, lambda t: t**2 + 1, lambda t: 2 * t, x)
        np.testing.assert_array_equal(x, before, err_msg="x was modified")
        np.testing.assert_allclose(got, np.cos(x**2 + 1) * 2 * x, rtol=1e-12, atol=1e-15)
        got = chain_derivative(np.exp, lambda t: 3 * t - 1, lambda t: 3.0, 0.4)
        assert abs(got - 3 * np.exp(0.2)) < 1e-12, f"d/dx exp(3x - 1) at 0.4 gave {got}"
        """),
    "two_layer_net": _checks("""
        params = {"W1": np.array([[0.0]]), "b1": np.array([0.0]), "w2": np.array([2.0]), "b2": 0.5}
        loss, grads = two_layer_net(params, np.array([[1.0]]), np.array([1.5]))
        assert abs(loss - 1.0) < 1e-12, f"hidden = tanh(0) = 0, pred = 0.5: loss 1, got {loss}"
        assert isinstance(grads, dict) and set(grads) == set(params), f"grads: {grads!r}"
        for key, want in [("W1", [[-4.0]]), ("b1", [-4.0]), ("w2", [0.0]), ("b2", -2.0)]:
            assert np.shape(grads[key]) == np.shape(want), f"grads[{key!r}] has the wrong shape"
            np.testing.assert_allclose(grads[key], want, rtol=1e-12, atol=1e-12, err_msg=key)
        """, """
        rng = np.random.default_rng(12)
        X, y = rng.normal(size=(6, 3)), rng.normal(size=6)
        params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
                  "w2": rng.normal(size=4), "b2": 0.3}
        saved = {key: np.copy(value) for key, value in params.items()}
        X_before, y_before = X.copy(), y.copy()

        def loss_at(p):
            activations = np.tanh(X @ p["W1"] + p["b1"])
            return np.mean((activations @ p["w2"] + p["b2"] - y) ** 2)

        loss, grads = two_layer_net(params, X, y)
        assert np.ndim(loss) == 0 and abs(loss - loss_at(params)) < 1e-12 * max(1.0, loss)
        for key in params:
            np.testing.assert_array_equal(params[key], saved[key], err_msg=f"{key} modified")
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(y, y_before)
        assert isinstance(grads, dict) and set(grads) == set(params)
        for key, value in saved.items():
            value = np.asarray(value, dtype=float)
            assert np.shape(grads[key]) == value.shape, f"grads[{key!r}] has the wrong shape"
            numeric = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                plus = {k: np.array(v, dtype=float) for k, v in saved.items()}
                minus = {k: np.array(v, dtype=float) for k, v in saved.items()}
                plus[key][index] += 1e-6
                minus[key][index] -= 1e-6
                numeric[index] = (loss_at(plus) - loss_at(minus)) / 2e-6
            np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-7, err_msg=key)
        """),
    # losses ------------------------------------------------------------------------
    "mse": _checks("""
        got = mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
        assert abs(got - 4 / 3) < 1e-12, f"the mean of [0, 0, 4] is 4/3, got {got}"
        """, """
        rng = np.random.default_rng(13)
        p, y = rng.normal(size=9), rng.normal(size=9)
        p_before, y_before = p.copy(), y.copy()
        got = mse(p, y)
        assert np.ndim(got) == 0, "mse returns a single number"
        assert abs(got - sum((a - b) ** 2 for a, b in zip(p, y)) / 9) < 1e-12
        np.testing.assert_array_equal(p, p_before)
        np.testing.assert_array_equal(y, y_before)
        assert mse(y, y) == 0.0
        """),
    "mse_gradient": _checks("""
        X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        got = mse_gradient(X, np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]))
        np.testing.assert_allclose(got, [2 / 3, 2 / 3], rtol=1e-12,
                                   err_msg="(2 / n) * X.T @ (X @ w - y)")
        """, """
        rng = np.random.default_rng(14)
        X, w, y = rng.normal(size=(7, 3)), rng.normal(size=3), rng.normal(size=7)
        saved = [X.copy(), w.copy(), y.copy()]
        got = mse_gradient(X, w, y)
        for before, after in zip(saved, [X, w, y]):
            np.testing.assert_array_equal(after, before, err_msg="an input was modified")
        assert np.shape(got) == (3,), f"expected shape (d,) = (3,), got {np.shape(got)}"
        numeric = [(np.mean((X @ (w + e) - y) ** 2) - np.mean((X @ (w - e) - y) ** 2)) / 2e-6
                   for e in np.eye(3) * 1e-6]
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)
        """),
    "binary_cross_entropy": _checks("""
        import warnings

        got = binary_cross_entropy(np.array([0.5, 0.8]), np.array([1.0, 0.0]))
        assert abs(got - np.log(10.0) / 2) < 1e-9, f"expected ln(10) / 2, got {got}"
        @no_warnings
            got = binary_cross_entropy(np.array([0.0]), np.array([1.0]))
        assert abs(got + np.log(1e-12)) < 1e-8, f"p=0 for label 1 costs -ln(1e-12), got {got}"
        """, """
        import math
        import warnings

        p, y = np.array([0.9, 0.2, 0.6, 0.35]), np.array([1.0, 0.0, 1.0, 0.0])
        want = -(math.log(0.9) + math.log(0.8) + math.log(0.6) + math.log(0.65)) / 4
        assert abs(binary_cross_entropy(p, y) - want) < 1e-12
        p, y = np.array([0.4, 0.9]), np.array([0.3, 0.7])
        want = -(0.3 * math.log(0.4) + 0.7 * math.log(0.6)
                 + 0.7 * math.log(0.9) + 0.3 * math.log(0.1)) / 2
        assert abs(binary_cross_entropy(p, y) - want) < 1e-12, "soft labels weight both terms"
        p = np.array([0.0, 1.0])
        @no_warnings
            got = binary_cross_entropy(p, np.array([1.0, 0.0]))
            small = binary_cross_entropy(np.array([0.0]), np.array([1.0]), eps=1e-6)
        np.testing.assert_array_equal(p, [0.0, 1.0], err_msg="p was modified")
        assert np.isfinite(got) and abs(got + math.log(1e-12)) < 1e-4 * 27.7, f"got {got}"
        assert abs(small + math.log(1e-6)) < 1e-9, f"eps=1e-6 should clip p to 1e-6: {small}"
        """),
    "logistic_loss": _checks("""
        import warnings

        X = np.array([[1.0], [1.0]])
        @no_warnings
            got = logistic_loss(X, np.array([1000.0]), np.array([1.0, 0.0]))
        assert abs(got - 500.0) < 1e-7, f"the mean of [0, 1000] is 500, got {got}"
        """, """
        import warnings

        rng = np.random.default_rng(15)
        X, w, y = rng.normal(size=(8, 3)), rng.normal(size=3), rng.uniform(size=8)
        saved = [X.copy(), w.copy(), y.copy()]
        got = logistic_loss(X, w, y)
        for before, after in zip(saved, [X, w, y]):
            np.testing.assert_array_equal(after, before, err_msg="an input was modified")
        scores = X @ w
        assert np.ndim(got) == 0, "logistic_loss returns a single number"
        assert abs(got - np.mean(np.log1p(np.exp(scores)) - y * scores)) < 1e-12
        X = np.array([[1.0], [1.0], [-1.0], [-1.0]])
        @no_warnings
            got = logistic_loss(X, np.array([1e4]), np.array([1.0, 0.0, 1.0, 0.0]))
        assert abs(got - 5000.0) < 1e-8, f"scores of +-1e4: expected 5000, got {got}"
        """),
    "logistic_gradient": _checks("""
        X = np.array([[1.0, 2.0], [3.0, 4.0]])
        got = logistic_gradient(X, np.zeros(2), np.array([1.0, 0.0]))
        np.testing.assert_allclose(got, [0.5, 0.5], rtol=1e-12,
                                   err_msg="(1 / n) * X.T @ (sigmoid(X @ w) - y)")
        """, """
        rng = np.random.default_rng(16)
        X, w, y = rng.normal(size=(9, 3)), rng.normal(size=3), rng.uniform(size=9)
        saved = [X.copy(), w.copy(), y.copy()]
        got = logistic_gradient(X, w, y)
        for before, after in zip(saved, [X, w, y]):
            np.testing.assert_array_equal(after, before, err_msg="an input was modified")
        assert np.shape(got) == (3,), f"expected shape (d,) = (3,), got {np.shape(got)}"

        def loss_at(v):
            scores = X @ v
            return np.mean(np.logaddexp(0.0, scores) - y * scores)

        numeric = [(loss_at(w + e) - loss_at(w - e)) / 2e-6 for e in np.eye(3) * 1e-6]
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)
        with np.errstate(all="ignore"):
            got = logistic_gradient(np.array([[1.0], [-1.0]]), np.array([1e4]),
                                    np.array([0.0, 1.0]))
        np.testing.assert_allclose(got, [1.0], rtol=1e-12, err_msg="scores of +-1e4")
        """),
    # regularization ----------------------------------------------------------------
    "l2_penalty": _checks("""
        got = l2_penalty(np.array([1.0, -2.0, 3.0]), 0.1)
        assert abs(got - 1.4) < 1e-12, f"0.1 * (1 + 4 + 9) = 1.4, got {got}"
        """, """
        w = np.random.default_rng(17).normal(size=6)
        got = l2_penalty(w, 0.35)
        assert np.ndim(got) == 0 and abs(got - 0.35 * sum(v * v for v in w)) < 1e-12
        """),
    "l2_gradient": _checks("""
        got = l2_gradient(np.array([1.0, -2.0, 3.0]), 0.1)
        np.testing.assert_allclose(got, [0.2, -0.4, 0.6], rtol=1e-12, err_msg="2 * lam * w")
        """, """
        w = np.random.default_rng(18).normal(size=6)
        before = w.copy()
        got = l2_gradient(w, 0.35)
        np.testing.assert_array_equal(w, before, err_msg="w was modified")
        np.testing.assert_allclose(got, 0.7 * before, rtol=1e-12)
        """),
    "l1_penalty": _checks("""
        got = l1_penalty(np.array([1.0, -2.0, 3.0]), 0.1)
        assert abs(got - 0.6) < 1e-12, f"0.1 * (1 + 2 + 3) = 0.6, got {got}"
        """, """
        w = np.random.default_rng(19).normal(size=6)
        got = l1_penalty(w, 0.35)
        assert np.ndim(got) == 0 and abs(got - 0.35 * sum(abs(v) for v in w)) < 1e-12
        """),
    "l1_subgradient": _checks("""
        got = l1_subgradient(np.array([1.5, 0.0, -2.0]), 0.5)
        np.testing.assert_allclose(got, [0.5, 0.0, -0.5], rtol=1e-12, err_msg="lam * sign(w)")
        """, """
        w = np.array([0.3, -1e-9, 0.0, 2.5, -0.0, -4.0])
        before = w.copy()
        got = l1_subgradient(w, 0.25)
        np.testing.assert_array_equal(w, before, err_msg="w was modified")
        np.testing.assert_allclose(got, [0.25, -0.25, 0.0, 0.25, 0.0, -0.25], rtol=0, atol=0)
        """),
    "ridge_loss": _checks("""
        got = ridge_loss(np.eye(2), np.array([1.0, 2.0]), np.array([1.0, 0.0]), 0.5)
        assert abs(got - 4.5) < 1e-12, f"mse 2 + penalty 2.5 = 4.5, got {got}"
        """, """
        rng = np.random.default_rng(20)
        X, w, y = rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=8)
        got = ridge_loss(X, w, y, 0.4)
        want = np.mean((X @ w - y) ** 2) + 0.4 * np.sum(w**2)
        assert np.ndim(got) == 0 and abs(got - want) < 1e-12 * want
        """),
    "ridge_gradient": _checks("""
        got = ridge_gradient(np.eye(2), np.array([1.0, 2.0]), np.array([1.0, 0.0]), 0.5)
        np.testing.assert_allclose(got, [1.0, 4.0], rtol=1e-12,
                                   err_msg="mse_gradient + l2_gradient")
        """, """
        rng = np.random.default_rng(21)
        X, w, y = rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=8)
        for lam in (0.0, 0.4):
            def loss_at(v):
                return np.mean((X @ v - y) ** 2) + lam * np.sum(v**2)

            numeric = [(loss_at(w + e) - loss_at(w - e)) / 2e-6 for e in np.eye(3) * 1e-6]
            got = ridge_gradient(X, w, y, lam)
            assert np.shape(got) == (3,), f"expected shape (3,), got {np.shape(got)}"
            np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8, err_msg=f"lam={lam}")
        """),
    "ridge_closed_form": _checks("""
        got = ridge_closed_form(np.eye(2), np.array([2.0, 4.0]), 0.5)
        np.testing.assert_allclose(got, [1.0, 2.0], rtol=1e-12,
                                   err_msg="solve (X.T @ X + n * lam * I) w = X.T @ y")
        """, """
        rng = np.random.default_rng(22)
        X, y = rng.normal(size=(12, 4)), rng.normal(size=12)
        X_before, y_before = X.copy(), y.copy()
        w = ridge_closed_form(X, y, 0.3)
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(y, y_before)
        residual = X @ w - y
        np.testing.assert_allclose(2 * X.T @ residual / 12 + 0.6 * w, 0.0, atol=1e-10,
                                   err_msg="the ridge gradient is zero at the minimiser")
        least_squares = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(ridge_closed_form(X, y, 0.0), least_squares, rtol=1e-9)
        """),
    # gradient_descent --------------------------------------------------------------
    "gd_step": _checks("""
        w = np.array([1.0, 2.0])
        got = gd_step(w, np.array([0.5, -1.0]), 0.1)
        np.testing.assert_allclose(got, [0.95, 2.1], rtol=1e-12, err_msg="w - lr * grad")
        np.testing.assert_array_equal(w, [1.0, 2.0], err_msg="gd_step changed w in place")
        """, """
        rng = np.random.default_rng(23)
        w, g = rng.normal(size=5), rng.normal(size=5)
        w_before, g_before = w.copy(), g.copy()
        got = gd_step(w, g, 0.3)
        np.testing.assert_array_equal(w, w_before, err_msg="w was modified")
        np.testing.assert_array_equal(g, g_before, err_msg="grad was modified")
        np.testing.assert_allclose(got, w_before - 0.3 * g_before, rtol=1e-12)
        """),
    "gradient_descent": _checks("""
        def bowl(w):
            return float(np.sum(w**2))

        def bowl_grad(w):
            return 2 * w

        w, losses = gradient_descent(bowl, bowl_grad, np.array([10.0]), 0.1, max_steps=20)
        assert len(losses) == 21, f"20 updates give 21 losses, got {len(losses)}"
        np.testing.assert_allclose(losses, 100 * 0.64 ** np.arange(21), rtol=1e-9)
        np.testing.assert_allclose(w, [10 * 0.8**20], rtol=1e-9)
        w, losses = gradient_descent(bowl, bowl_grad, np.array([1.0]), 0.5)
        assert np.allclose(losses, [1.0, 0.0]), f"expected [1.0, 0.0], got {losses[:5]}"
        with np.errstate(over="ignore", invalid="ignore"):
            w, losses = gradient_descent(bowl, bowl_grad, np.array([1.0]), 1.5)
        assert not np.isfinite(losses[-1]) and np.all(np.isfinite(losses[:-1])), "divergence"
        """, """
        def bowl(w):
            return float(np.sum(w**2))

        def bowl_grad(w):
            return 2 * w

        w, losses = gradient_descent(bowl, bowl_grad, np.zeros(2), 0.1)
        assert len(losses) == 1 and losses[0] == 0.0, "no update from the minimiser"
        # w halves at each update; norm(2w) < 1e-3 first holds after 11 updates
        w, losses = gradient_descent(bowl, bowl_grad, np.array([1.0]), 0.25, tol=1e-3)
        assert len(losses) == 12, f"11 updates give 12 losses, got {len(losses)}"
        w, losses = gradient_descent(bowl, bowl_grad, np.array([1.0]), 1e-4)
        assert len(losses) == 1001, "max_steps defaults to 1000"
        w0 = np.array([3.0, -1.0])
        gradient_descent(bowl, bowl_grad, w0, 0.1, max_steps=5)
        np.testing.assert_array_equal(w0, [3.0, -1.0], err_msg="w0 was modified")
        # an ill-conditioned quadratic with lr = 1/L: the loss contracts by (1 - mu/L)**2
        A = np.diag([1.0, 10.0])
        w, losses = gradient_descent(lambda v: 0.5 * v @ A @ v, lambda v: A @ v,
                                     np.array([1.0, 1.0]), 0.1, max_steps=50)
        np.testing.assert_allclose(losses[1:], 0.5 * 0.81 ** np.arange(1, 51), rtol=1e-9)
        # a non-finite loss is the last entry
        w, losses = gradient_descent(lambda v: np.nan if v[0] < 0.5 else bowl(v), bowl_grad,
                                     np.array([1.0]), 0.3)
        assert len(losses) == 2 and np.isnan(losses[-1]), f"losses {losses[:4]}"
        w, losses = gradient_descent(bowl, bowl_grad, np.array([1.0]), 1.5, max_steps=10)
        np.testing.assert_allclose(losses, 4.0 ** np.arange(11), rtol=1e-12)
        """),
    "momentum_descent": _checks("""
        def bowl(w):
            return float(np.sum(w**2))

        def bowl_grad(w):
            return 2 * w

        w, losses = momentum_descent(bowl, bowl_grad, np.array([1.0]), 0.1, beta=0.9, max_steps=2)
        np.testing.assert_allclose(losses, [1.0, 0.64, 0.2116], rtol=1e-9,
                                   err_msg="v = 2, w = 0.8; then v = 3.4, w = 0.46")
        np.testing.assert_allclose(w, [0.46], rtol=1e-9)
        """, """
        def bowl(w):
            return float(np.sum(w**2))

        def bowl_grad(w):
            return 2 * w

        w, losses = momentum_descent(bowl, bowl_grad, np.array([1.0]), 0.1, max_steps=3)
        np.testing.assert_allclose(w, [0.062], rtol=1e-9, err_msg="beta defaults to 0.9")
        w0 = np.array([2.0, -1.0])
        w, losses = momentum_descent(bowl, bowl_grad, w0, 0.1, beta=0.0, max_steps=15)
        np.testing.assert_array_equal(w0, [2.0, -1.0], err_msg="w0 was modified")
        np.testing.assert_allclose(losses, 5 * 0.64 ** np.arange(16), rtol=1e-9,
                                   err_msg="beta = 0 is plain gradient descent")
        w, losses = momentum_descent(bowl, bowl_grad, np.zeros(2), 0.1)
        assert len(losses) == 1, "no update from the minimiser"
        with np.errstate(over="ignore", invalid="ignore"):
            w, losses = momentum_descent(bowl, bowl_grad, np.array([1.0]), 3.0)
        assert not np.isfinite(losses[-1]) and np.all(np.isfinite(losses[:-1])), "divergence"
        """),
    "backtracking_line_search": _checks("""
        def bowl(w):
            return float(np.sum(w**2))

        got = backtracking_line_search(bowl, lambda w: 2 * w, np.array([1.0]))
        assert abs(got - 0.5) < 1e-12, f"lr=1 does not decrease the loss, lr=0.5 does: got {got}"
        """, """
        def bowl(w):
            return float(np.sum(w**2))

        w = np.array([1.0])
        got = backtracking_line_search(lambda v: 5 * bowl(v), lambda v: 10 * v, w)
        assert abs(got - 0.125) < 1e-12, f"on 5 w**2 from 1 the first Armijo step is 1/8: {got}"
        np.testing.assert_array_equal(w, [1.0], err_msg="w was modified")
        got = backtracking_line_search(bowl, lambda v: 2 * v, np.array([0.1]), lr0=3.0,
                                       shrink=0.3, c=0.5)
        assert abs(got - 0.27) < 1e-12, f"lr0, shrink and c are honoured: got {got}"
        # the gradient points uphill: no step decreases the loss
        got = backtracking_line_search(lambda v: float(np.sum(v)), lambda v: -np.ones_like(v),
                                       np.zeros(2))
        assert abs(got - 0.5**50) < 1e-12 * 0.5**50, f"no step qualifies: got {got}"
        """),
    "max_stable_learning_rate": _checks("""
        got = max_stable_learning_rate(np.array([[2.0, 1.0], [1.0, 2.0]]))
        assert abs(got - 2 / 3) < 1e-9, f"eigenvalues 1 and 3: 2 / 3, got {got}"
        """, """
        Q, _ = np.linalg.qr(np.random.default_rng(24).normal(size=(3, 3)))
        H = Q @ np.diag([1.0, 4.0, 10.0]) @ Q.T
        got = max_stable_learning_rate((H + H.T) / 2)
        assert abs(got - 0.2) < 1e-9, f"2 / 10 for a rotated Hessian, got {got}"
        """),
    # minima ------------------------------------------------------------------------
    "classify_critical_point": _checks("""
        cases = [("minimum", [[2.0, 0.0], [0.0, 4.0]]), ("maximum", [[-2.0, 0.0], [0.0, -4.0]]),
                 ("saddle", [[0.0, 1.0], [1.0, 0.0]]), ("degenerate", [[2.0, 0.0], [0.0, 0.0]])]
        for want, hessian in cases:
            got = classify_critical_point(np.array(hessian))
            assert got == want, f"Hessian {hessian} should be {want!r}, got {got!r}"
        """, """
        Q, _ = np.linalg.qr(np.random.default_rng(25).normal(size=(3, 3)))
        cases = [("minimum", [0.5, 2.0, 7.0]), ("maximum", [-0.5, -2.0, -7.0]),
                 ("saddle", [3.0, -1.0, 2.0]), ("saddle", [1.0, 0.0, -1.0]),
                 ("degenerate", [1.0, 2.0, 0.0]), ("degenerate", [-1.0, 0.0, -2.0])]
        for want, eigenvalues in cases:
            H = Q @ np.diag(eigenvalues) @ Q.T
            got = classify_critical_point((H + H.T) / 2)
            assert got == want, f"eigenvalues {eigenvalues} should be {want!r}, got {got!r}"
        assert classify_critical_point(np.diag([1.0, 1e-6])) == "minimum"
        assert classify_critical_point(np.diag([1.0, 1e-6]), tol=1e-5) == "degenerate"
        """),
    "multi_start_minimize": _checks("""
        def well(w):
            return float((w[0] ** 2 - 1) ** 2 + 0.5 * w[0])

        def well_grad(w):
            return np.array([4 * w[0] * (w[0] ** 2 - 1) + 0.5])

        starts = np.array([[1.5], [-1.5], [0.5]])
        best_w, best_loss = multi_start_minimize(well, well_grad, starts, 0.02)
        assert np.shape(best_w) == (1,), f"best_w should have shape (1,), got {np.shape(best_w)}"
        assert abs(best_w[0] + 1.0574537707) < 1e-6, f"the deeper valley is near -1.057: {best_w}"
        assert abs(best_loss - well(best_w)) < 1e-9, "best_loss is the loss at best_w"
        """, """
        def well(w):
            return float((w[0] ** 2 - 1) ** 2 + 0.5 * w[0] + (w[1] - 0.5) ** 2)

        def well_grad(w):
            return np.array([4 * w[0] * (w[0] ** 2 - 1) + 0.5, 2 * (w[1] - 0.5)])

        starts = np.array([[1.5, 0.0], [0.2, 2.0], [-1.5, -1.0], [0.6, 1.0]])
        before = starts.copy()
        runs = [gradient_descent(well, well_grad, start, 0.02, 40) for start in before]
        want_w, want_losses = min(runs, key=lambda run: run[1][-1])
        best_w, best_loss = multi_start_minimize(well, well_grad, starts, 0.02, max_steps=40)
        np.testing.assert_array_equal(starts, before, err_msg="starts was modified")
        np.testing.assert_allclose(best_w, want_w, rtol=1e-12, err_msg="best of 40-step runs")
        assert abs(best_loss - want_losses[-1]) < 1e-12, f"best_loss {best_loss}"
        """),
    # mini_project ------------------------------------------------------------------
    "train_logistic_regression": _checks("""
        rng = np.random.default_rng(7)
        X = rng.normal(size=(40, 2))
        y = (X @ np.array([1.0, -2.0]) + rng.normal(size=40) > 0).astype(float)
        w, losses = train_logistic_regression(X, y, 0.5, 25)
        assert np.shape(w) == (2,), f"w should have shape (d,) = (2,), got {np.shape(w)}"
        assert len(losses) == 26, f"25 updates give 26 losses, got {len(losses)}"
        assert abs(losses[0] - np.log(2.0)) < 1e-9, f"at w = 0 the loss is ln 2, got {losses[0]}"
        assert np.all(np.diff(losses) <= 1e-12), "a small learning rate only lowers the loss"
        """, """
        rng = np.random.default_rng(26)
        X = rng.normal(size=(30, 3))
        y = (rng.uniform(size=30) < 0.5).astype(float)
        X_before, y_before = X.copy(), y.copy()

        def penalised(v, lam):
            scores = X @ v
            return np.mean(np.logaddexp(0.0, scores) - y * scores) + lam * np.sum(v**2)

        def penalised_grad(v, lam):
            probabilities = 0.5 * (1.0 + np.tanh(0.5 * (X @ v)))
            return X.T @ (probabilities - y) / len(y) + 2 * lam * v

        for lam in (0.0, 0.2):
            v = np.zeros(3)
            want = [penalised(v, lam)]
            for _ in range(12):
                v = v - 0.7 * penalised_grad(v, lam)
                want.append(penalised(v, lam))
            w, losses = train_logistic_regression(X, y, 0.7, 12, lam=lam)
            np.testing.assert_allclose(losses, want, rtol=1e-10, err_msg=f"losses, lam={lam}")
            np.testing.assert_allclose(w, v, rtol=1e-9, atol=1e-12, err_msg=f"w, lam={lam}")
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(y, y_before)
        # labels of 0.5 make w = 0 stationary: still exactly n_steps updates
        w, losses = train_logistic_regression(X, np.full(30, 0.5), 0.5, 7)
        assert len(losses) == 8, f"7 updates give 8 losses, got {len(losses)}"
        """),
    "learning_rate_sweep": _checks("""
        rng = np.random.default_rng(7)
        X = rng.normal(size=(40, 2))
        y = (X @ np.array([1.0, -2.0]) + rng.normal(size=40) > 0).astype(float)
        curves = learning_rate_sweep(X, y, [0.1, 1.0], 5)
        assert len(curves) == 2, f"one curve per learning rate: expected 2, got {len(curves)}"
        for lr, curve in zip([0.1, 1.0], curves):
            np.testing.assert_allclose(curve, train_logistic_regression(X, y, lr, 5)[1],
                                       rtol=1e-12, err_msg=f"the curve for lr={lr}")
        """, """
        rng = np.random.default_rng(27)
        X = rng.normal(size=(25, 3))
        y = (rng.uniform(size=25) < 0.4).astype(float)
        lrs = [2.0, 0.05, 0.5]
        curves = learning_rate_sweep(X, y, lrs, 6)
        assert len(curves) == 3, f"expected 3 curves, got {len(curves)}"
        for lr, curve in zip(lrs, curves):
            assert len(curve) == 7, f"6 updates give 7 losses, got {len(curve)} for lr={lr}"
            np.testing.assert_allclose(curve, train_logistic_regression(X, y, lr, 6)[1],
                                       rtol=1e-12, err_msg=f"the curve for lr={lr}")
        """),
    "plot_loss_curves": _checks("""
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "loss_curves.png")
            curves = [[1.0, 0.5, 0.25, 0.125], [1.0, 0.8, 0.64, 0.512]]
            got = plot_loss_curves(curves, ["lr=0.5", "lr=0.1"], path)
            assert got == path, f"plot_loss_curves should return the path it wrote, got {got!r}"
            with open(path, "rb") as file:
                assert file.read(8) == b"\\x89PNG\\r\\n\\x1a\\n", "the file is not a PNG"
        """, """
        import os
        import tempfile

        curves = [[0.69, 0.5, 0.4, 0.35, 0.33], [0.69, 0.3, 0.2, 0.15, 0.12], [0.69, 2.0, 9.0]]
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "sweep.png")
            got = plot_loss_curves(curves, [0.1, 1.0, 10.0], path)
            assert got == path, f"plot_loss_curves should return the path it wrote, got {got!r}"
            with open(path, "rb") as file:
                data = file.read()
        assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n" and len(data) > 1000, "not a real PNG"
        """),
}


# --- the course -------------------------------------------------------------------------

def write_nbgrader_course(kit: Path, target: Path, assignment: str = DEFAULT_ASSIGNMENT,
                          *, modules: Iterable[str] | None = None) -> Path:
    """Write an nbgrader course for the kit in target; returns the assignment's source folder.

    target/nbgrader_config.py and target/source/<assignment>/<module>.ipynb, one notebook per
    exercise module (all of them, or `modules`), from kit/solutions/. Each function's test
    cell is worth that function's points in kit/tests/public and kit/tests/hidden.
    """
    kit, target = Path(kit), Path(target)
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", assignment):
        raise ValueError(f"{assignment!r}: an assignment name is letters, digits, _ and -")
    chosen = list(MODULES if modules is None else modules)
    unknown = [name for name in chosen if name not in CONTRACT]
    if unknown:
        raise ValueError(f"not exercise modules: {', '.join(unknown)}")
    points = function_points(kit / "tests")
    source = target / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    for module in chosen:
        notebook = source_notebook(kit / "solutions" / f"{module}.py", module, points)
        (source / f"{module}.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")
    (target / "nbgrader_config.py").write_text(nbgrader_config(assignment))
    return source


def nbgrader_config(assignment: str) -> str:
    return f'''\
"""nbgrader configuration of the Calculus for Optimization course (`python -m grader nbgrader`).

Run the nbgrader commands in this folder:
    nbgrader generate_assignment {assignment} --force    # source/ -> release/
    nbgrader autograde {assignment} --force              # submitted/<student>/ -> autograded/
Grades land in gradebook.db (nbgrader.api.Gradebook, or the formgrader).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.course_id = "{COURSE_ID}"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")
c.GenerateAssignment.create_assignment = True
c.Autograde.create_student = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = 120          # seconds per cell
'''


def function_points(tests: Path) -> dict[tuple[str, str], float]:
    """(module, function) -> points of its checks in tests/public and tests/hidden.

    A check belongs to the function its name starts with ("sigmoid: ..."); parametrized
    checks count once per parameter set, as pytest runs them.
    """
    points: dict[tuple[str, str], float] = {}
    for suite in ("public", "hidden"):
        folder = tests / suite
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: the kit's {suite} checks are needed for points")
        for path in sorted(folder.glob("test_*.py")):
            module = path.stem.removeprefix("test_")
            for function, value in _check_points(path):
                key = (module, function)
                points[key] = points.get(key, 0.0) + value
    return points


def _check_points(path: Path) -> list[tuple[str, float]]:
    """(function, points) of every check in one test file, imported under a private name."""
    name = f"_grader_notebooks_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    found = []
    for attribute, test in vars(module).items():
        if not attribute.startswith("test") or not callable(test):
            continue
        marks = getattr(test, "pytestmark", [])
        value = sum(float(mark.args[0]) for mark in marks if mark.name == "points" and mark.args)
        for mark in marks:
            if mark.name == "parametrize":
                value *= len(list(mark.args[1]))
        function = (test.__doc__ or "").strip().split(":", 1)[0].strip()
        found.append((function, value))
    return found


def source_notebook(solution: Path, module: str, points: dict[tuple[str, str], float]) -> dict:
    """The nbgrader source notebook (nbformat 4 as plain data) of one solution module."""
    text = solution.read_text()
    tree = ast.parse(text, filename=str(solution))
    imports, needed = [], []
    functions: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module in CONTRACT:
                needed.extend(alias.name for alias in node.names)
            else:
                imports.append(ast.get_source_segment(text, node))
        elif isinstance(node, ast.FunctionDef) and node.name in CONTRACT[module]:
            functions[node.name] = node
    missing = [name for name in CONTRACT[module] if name not in functions]
    if missing:
        raise ValueError(f"{solution}: defines no {', '.join(missing)}")
    concept, about = CONCEPTS[module]
    number = MODULES.index(module) + 1
    doc = ast.get_docstring(tree) or ""
    cells = [
        markdown(f"{module}-intro", f"# {number}. `{module}`: {concept}\n\n"
                 f"*Lesson 8, Calculus for Optimization.* **{concept}**: {about}\n\n"
                 f"{markdown_text(doc)}\n\n{HOW_TO_WORK}"),
        code(f"{module}-imports", "# The imports this notebook uses.\n" + "\n".join(imports)
             .replace("import annotations\n", "import annotations\n\n", 1), locked=True),
    ]
    if needed:
        names = helper_closure(needed)
        cells.append(markdown(f"{module}-helpers-note",
                              "These helpers come from earlier notebooks ("
                              + ", ".join(f"`{name}`" for name in names)
                              + "). They are provided so that this notebook runs on its own; "
                              "they are not graded here."))
        cells.append(code(f"{module}-helpers",
                          "\n\n".join(HELPERS[name][0].rstrip() for name in names), locked=True))
    for name, node in functions.items():
        worth = points.get((module, name), 0.0)
        if worth <= 0:
            raise ValueError(f"{module}.{name} has no points in the kit's checks")
        if name not in CHECKS:
            raise ValueError(f"{module}.{name} has no notebook checks in grader.notebooks")
        body = function_source(text, node)
        cells.append(markdown(f"{name}-task",
                              f"## `{signature(text, node)}`\n\n"
                              f"{markdown_text(ast.get_docstring(node) or '')}\n\n"
                              f"*The test cell below is worth {_number(worth)} points.*"))
        cells.append(code(name, body, solution=True))
        visible, hidden = CHECKS[name]
        cells.append(code(f"test_{name}",
                          f"# Checks of {name}: run this cell after the one above.\n{visible}\n"
                          f'print("{name}: the visible checks pass")\n'
                          f"{BEGIN_HIDDEN}\n{hidden}\n{END_HIDDEN}",
                          grade=True, locked=True, points=worth))
    return {"cells": cells,
            "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)},
            "nbformat": 4, "nbformat_minor": 5}


def helper_closure(names: Iterable[str]) -> list[str]:
    """The helpers named, and those they use, each after the helpers it uses."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in HELPERS:
            raise ValueError(f"no notebook helper for {name}: add it to grader.notebooks.HELPERS")
        for dependency in HELPERS[name][1]:
            visit(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def function_source(text: str, node: ast.FunctionDef) -> str:
    """The def as written, with the indented comments after its last statement (the
    end-of-solution marker is a comment, which the syntax tree leaves out)."""
    lines = text.splitlines()
    end = node.end_lineno
    while end < len(lines) and lines[end].startswith((" ", "\t")) and \
            lines[end].lstrip().startswith("#"):
        end += 1
    return "\n".join(lines[node.lineno - 1:end])


def signature(text: str, node: ast.FunctionDef) -> str:
    """'name(a, b, h=1e-5)': the parameters as written, without annotations."""
    args = node.args
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    parts = [arg.arg if default is None else f"{arg.arg}={ast.get_source_segment(text, default)}"
             for arg, default in zip(args.args, defaults)]
    return f"{node.name}({', '.join(parts)})"


def markdown_text(doc: str) -> str:
    """A docstring as markdown: `*` escaped (x**2 is not emphasis) except in code blocks."""
    return "\n".join(line if line.startswith("    ") else line.replace("*", "\\*")
                     for line in doc.splitlines())


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _lines(source: str) -> list[str]:
    lines = source.splitlines(keepends=True)
    if lines and lines[-1].endswith("\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def markdown(cell_id: str, source: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "source": _lines(source.strip() + "\n"),
            "metadata": {"nbgrader": {"grade": False, "grade_id": cell_id, "locked": True,
                                      "schema_version": 3, "solution": False, "task": False}}}


def code(cell_id: str, source: str, *, solution: bool = False, grade: bool = False,
         locked: bool = False, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": cell_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = _number(points or 0)
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": meta}, "outputs": [], "source": _lines(source)}


# --- learners' notebooks -> modules ------------------------------------------------------
