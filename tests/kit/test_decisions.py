"""The contract decisions of docs/contract-decisions.md that accept more than one answer.

Where a decision leaves learners a choice (the Hessian's diagonal stencil, a 0-d array for
a float), a submission making the other choice must keep full marks on both suites. The
decisions that fix one behaviour are pinned by public checks instead (see the doc).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

THREE_POINT_DIAGONAL = '''

def numerical_hessian(f, x, h=1e-4):
    """Mixed entries by the four-point formula; the diagonal by the three-point second
    difference with step h (not 2h)."""
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    unit = np.eye(n) * h
    here = f(x)
    hessian = np.zeros((n, n))
    for i in range(n):
        hessian[i, i] = (f(x + unit[i]) - 2 * here + f(x - unit[i])) / h**2
        for j in range(i + 1, n):
            value = (f(x + unit[i] + unit[j]) - f(x + unit[i] - unit[j])
                     - f(x - unit[i] + unit[j]) + f(x - unit[i] - unit[j])) / (4 * h**2)
            hessian[i, j] = hessian[j, i] = value
    return hessian
'''

ZERO_D_SIGMOID = '''

def sigmoid(z):
    """The stable sigmoid, returning a 0-d array (not a float) for a float z."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
'''

ZERO_D_LOSSES = '''

def mse(y_pred, y):
    """mean((y_pred - y)**2) as a 0-d array."""
    return np.asarray(np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2))


def logistic_loss(X, w, y):
    """The stable logistic loss as a 0-d array."""
    z = X @ w
    return np.asarray(np.mean(np.logaddexp(0.0, z) - y * z))
'''


def submission_with(tmp_path: Path, module: str, source: str) -> Path:
    """A copy of solutions/ whose module ends with source (later definitions win)."""
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / f"{module}.py"
    path.write_text(path.read_text() + source)
    return folder


def failed_checks(folder: Path, module: str, results: Path) -> list[str]:
    """Names and messages of the public and hidden checks of module that folder fails."""
    suites = [f"tests/public/test_{module}.py", f"tests/hidden/test_{module}.py"]
    command = [sys.executable, "-m", "pytest", *suites, "--submission", str(folder),
               "--results-json", str(results), "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert results.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    records = json.loads(results.read_text())
    assert records, "no checks ran"
    return [f"{r['name']}: {r['message']}" for r in records if not r["passed"]]


@pytest.mark.parametrize("module, source", [
    ("gradients", THREE_POINT_DIAGONAL),
    ("chain_rule", ZERO_D_SIGMOID),
    ("losses", ZERO_D_LOSSES),
], ids=["hessian-diagonal-step-h", "sigmoid-0-d", "losses-0-d"])
def test_the_other_accepted_choice_keeps_full_marks(tmp_path, module, source):
    folder = submission_with(tmp_path, module, source)
    assert failed_checks(folder, module, tmp_path / "r.json") == []
