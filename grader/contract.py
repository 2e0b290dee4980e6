"""The exercise contract as data: modules in learning order, their functions and parameters.

This mirrors ../shared/spec/exercises.md; a kit test checks it against solutions/.
It names arguments in feedback ("changed its argument `w`") and lists what a
submission must define.
"""

from __future__ import annotations

# module -> function -> parameter names, in the order learners meet them.
CONTRACT: dict[str, dict[str, tuple[str, ...]]] = {
    "derivatives": {
        "forward_difference": ("f", "x", "h"),
        "central_difference": ("f", "x", "h"),
        "second_derivative": ("f", "x", "h"),
        "polynomial_derivative": ("coeffs",),
    },
    "gradients": {
        "numerical_gradient": ("f", "x", "h"),
        "numerical_jacobian": ("f", "x", "h"),
        "numerical_hessian": ("f", "x", "h"),
    },
    "gradient_check": {
        "relative_error": ("a", "b", "eps"),
        "check_gradient": ("f", "grad_f", "x", "h", "tol"),
    },
    "chain_rule": {
        "sigmoid": ("z",),
        "sigmoid_derivative": ("z",),
        "chain_derivative": ("f_prime", "g", "g_prime", "x"),
        "two_layer_net": ("params", "X", "y"),
    },
    "losses": {
        "mse": ("y_pred", "y"),
        "mse_gradient": ("X", "w", "y"),
        "binary_cross_entropy": ("p", "y", "eps"),
        "logistic_loss": ("X", "w", "y"),
        "logistic_gradient": ("X", "w", "y"),
    },
    "regularization": {
        "l2_penalty": ("w", "lam"),
        "l2_gradient": ("w", "lam"),
        "l1_penalty": ("w", "lam"),
        "l1_subgradient": ("w", "lam"),
        "ridge_loss": ("X", "w", "y", "lam"),
        "ridge_gradient": ("X", "w", "y", "lam"),
        "ridge_closed_form": ("X", "y", "lam"),
    },
    "gradient_descent": {
        "gd_step": ("w", "grad", "lr"),
        "gradient_descent": ("loss_fn", "grad_fn", "w0", "lr", "max_steps", "tol"),
        "momentum_descent": ("loss_fn", "grad_fn", "w0", "lr", "beta", "max_steps", "tol"),
        "backtracking_line_search": ("loss_fn", "grad_fn", "w", "lr0", "shrink", "c"),
        "max_stable_learning_rate": ("hessian",),
    },
    "minima": {
        "classify_critical_point": ("hessian", "tol"),
        "multi_start_minimize": ("loss_fn", "grad_fn", "starts", "lr", "max_steps"),
    },
    "mini_project": {
        "train_logistic_regression": ("X", "y", "lr", "n_steps", "lam"),
        "learning_rate_sweep": ("X", "y", "lrs", "n_steps"),
        "plot_loss_curves": ("curves", "labels", "path"),
    },
}

MODULES: tuple[str, ...] = tuple(CONTRACT)

# Functions the spec defines with others (exercises.md: ridge_loss = mse(X @ w, y) +
# l2_penalty(w, lam), check_gradient compares with numerical_gradient, ...). A learner's
# version usually calls them, so when both fail, feedback says which to fix first.
BUILDS_ON: dict[str, tuple[str, ...]] = {
    "check_gradient": ("relative_error", "numerical_gradient"),
    "sigmoid_derivative": ("sigmoid",),
    "logistic_gradient": ("sigmoid",),
    "ridge_loss": ("mse", "l2_penalty"),
    "ridge_gradient": ("mse_gradient", "l2_gradient"),
    "gradient_descent": ("gd_step",),
    "multi_start_minimize": ("gradient_descent",),
    "train_logistic_regression": ("logistic_loss", "logistic_gradient", "l2_penalty",
                                  "l2_gradient"),
    "learning_rate_sweep": ("train_logistic_regression",),
}


def parameter_names(module: str, function: str) -> tuple[str, ...]:
    """The contract's parameter names of module.function (empty if unknown)."""
    return CONTRACT.get(module, {}).get(function, ())
