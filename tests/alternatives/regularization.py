"""Correct implementations of regularization.py written differently: they keep full marks."""

import numpy as np

from grader.checking.misconceptions import variant


@variant("ridge_closed_form", "augmented-lstsq",
         summary="least squares on the augmented system [X; sqrt(n lam) I] w = [y; 0]")
def ridge_closed_form(X, y, lam):
    n, d = X.shape
    A = np.vstack([X, np.sqrt(n * lam) * np.eye(d)])
    b = np.concatenate([y, np.zeros(d)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


@variant("l1_subgradient", "where-branches",
         summary="np.where with explicit branches for w > 0, w < 0 and w == 0")
def l1_subgradient(w, lam):
    w = np.asarray(w, dtype=float)
    return np.where(w > 0, lam, np.where(w < 0, -lam, 0.0))


@variant("l2_penalty", "squared-norm",
         summary="lam times the squared Euclidean norm, via np.linalg.norm and w @ w")
def l2_penalty(w, lam):
    return lam * np.linalg.norm(w) ** 2
