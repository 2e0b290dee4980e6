"""Learners derive their derivatives: no closed form reaches learner-facing text.

The generated exercises/ (docstrings, TODO and HINT comments), the public checks and the
grader's gradient-check helper and hints ship to learners. The names and descriptions of
the hidden checks (their docstrings) and the catalogue's summaries and hints do not ship,
but reach learners in every report (feedback.md/html, results.json). None of them may
state the closed form of a derivative the exercises ask for; the formulas live in
solutions/, inside the solution regions, where stubs cannot regenerate them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from grader.checking.misconceptions import load_catalogue
from grader.instructor import stubs

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [*sorted((ROOT / "exercises").glob("*.py")),
           *sorted((ROOT / "tests" / "public").glob("*.py")),
           ROOT / "grader" / "checking" / "gradcheck.py",
           ROOT / "grader" / "reports" / "hints.py",
           ROOT / "docs" / "learner-journey.md"]   # not shipped; linked for learners
SUITES = [*sorted((ROOT / "tests" / "hidden").glob("test_*.py")),
          *sorted((ROOT / "tests" / "public").glob("test_*.py"))]

# closed forms of the derivatives the exercises ask for, tolerant to spacing
CLOSED_FORMS = {
    "X transposed (gradients of X @ w)": r"X\s*\.\s*T\b|X\s*\^\s*T\b|X\s*\.\s*transpose",
    "the sigmoid identity": r"(sigmoid|sigma)\(\s*z\s*\)\s*\*\s*\(\s*1"
                            r"|\(\s*1\s*-\s*(sigmoid|sigma)\b|\bs\s*\*\s*\(\s*1\s*[-+]\s*s\s*\)",
    "the sigmoid's derivative as a quotient": r"exp\(\s*-\s*z\s*\)\s*/\s*\(\s*1\s*\+\s*"
                                              r"(np\.)?exp\(\s*-\s*z\s*\)\s*\)\s*\*\*\s*2",
    "the logistic loss's derivative": r"sigmoid\(\s*(X\s*@?\s*w|z)\s*\)\s*-\s*y\b"
                                      r"|log\(\s*1\s*\+\s*(np\.)?exp\(\s*z\s*\)\s*\)\s*(=|is)\s*sigmoid",
    "the L2 penalty's gradient": r"2\s*\*?\s*lam\s*\*?\s*w",
    "the mean's factor 2 / n": r"\(\s*2\s*/\s*n\s*\)|\b2(\.0)?\s*/\s*n\b|\(\s*1\s*/\s*n\s*\)",
    "dloss/dpred": r"2\s*\*?\s*\(\s*pred\s*-\s*y\s*\)",
    "the L1 subgradient": r"np\s*\.\s*sign\s*\(|\bsign\s*\(\s*w\s*\)",
    "the tanh derivative": r"1\s*-\s*(np\.)?tanh",
    "the power rule": r"k\s*\*\s*coeffs\s*\[\s*k\s*\]|x\s*\*\*\s*\(\s*k\s*-\s*1\s*\)",
    "the chain rule on f_prime and g": r"f_prime\s*\(\s*g\s*\(\s*x\s*\)\s*\)\s*\*",
    "the ridge normal equations": r"n\s*\*?\s*lam\s*\*?\s*I\b|n\s*\*\s*lam\s*\*\s*np\.eye"
                                  r"|sqrt\(\s*n\s*\*?\s*lam",
}


def closed_forms_in(text: str) -> list[tuple[int, str, str]]:
    """(line number, what, line) for every line of text holding a closed form."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in CLOSED_FORMS.items():
            if re.search(pattern, line):
                found.append((number, what, line.strip()))
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_text_gives_no_closed_form_of_a_derivative(path):
    found = closed_forms_in(path.read_text())
    assert not found, "\n".join(f"{path.name}:{n}: {what}: {line}" for n, what, line in found)


def check_docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, docstring) of every check in a suite file: its name and its description."""
    tree = ast.parse(path.read_text())
    return [(node.lineno, ast.get_docstring(node) or "") for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


@pytest.mark.parametrize("path", SUITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_check_names_and_descriptions_give_no_closed_form(path):
    """A check's docstring is its name and its "Expected" in every report, hidden or not."""
    checks = check_docstrings(path)
    assert checks, f"{path.name} has no checks: the scan would pass vacuously"
    found = [f"{path.name}:{line}: {what}: {text}" for line, doc in checks
             for _, what, text in closed_forms_in(doc)]
    assert not found, "\n".join(found)


def test_catalogue_summaries_and_hints_give_no_closed_form():
    """A misconception's summary and hint are shown to the learner whose output matches it."""
    entries = [e for e in load_catalogue(ROOT / "tests" / "misconceptions") if not e.correct]
    assert len(entries) > 100
    found = [f"{entry.id}: {what}: {text}" for entry in entries
             for _, what, text in closed_forms_in(f"{entry.summary}\n{entry.hint}")]
    assert not found, "\n".join(found)


def test_the_scan_catches_the_closed_forms_reports_used_to_show():
    """Names and hints the reports once showed, each of which the scan must flag."""
    for text in ("ridge_gradient: (2 / n) X^T (X w - y) + 2 lam w, for lam = 0 too",
                 "l2_gradient: equals 2 * lam * w and leaves w unchanged",
                 "mse_gradient: (2 / n) X.T (X w - y), shape (d,) with n != d, inputs unchanged",
                 "logistic_gradient: (1 / n) X.T (sigmoid(X w) - y), shape (d,), inputs unchanged",
                 "sigmoid_derivative: sigmoid(z) * (1 - sigmoid(z)) on a 2-D array, z unchanged",
                 "l1_subgradient: lam * sign(w), exactly 0 where w == 0",
                 "polynomial_derivative: k * coeffs[k] for k >= 1, for a random polynomial",
                 "ridge_closed_form: equals least squares on [X; sqrt(n lam) I], [y; 0]",
                 "Reuse your stable sigmoid: sigma'(z) = sigma(z) * (1 - sigma(z)).",
                 "computes s * (1 + s) instead of s * (1 - s)",
                 "computes exp(-z) / (1 + exp(-z))**2 directly: inf / inf = nan for z << 0",
                 "d/dz [log(1 + exp(z)) - y z] = sigmoid(z) - y; keep that order.",
                 "The derivative of log(1 + exp(z)) is sigmoid(z), not z",
                 "d/dx c x**k = k c x**(k - 1): each remaining coefficient is multiplied",
                 "multiply the gradient by its derivative 1 - tanh(a)**2, elementwise",
                 "starts backpropagation with pred - y instead of 2 (pred - y) / n",
                 "The gradient of lam * sum(w**2) is 2 * lam * w."):
        assert closed_forms_in(text), text


def test_committed_exercises_are_what_the_scan_read():
    generated = stubs.generated_exercises(ROOT / "solutions")
    for name, text in generated.items():
        assert (ROOT / "exercises" / name).read_text() == text, f"regenerate exercises/{name}"


def test_the_formulas_live_inside_solution_regions():
    """The scan is live: solutions/ state each closed form, inside their solution regions."""
    solutions = "".join(path.read_text() for path in sorted((ROOT / "solutions").glob("*.py")))
    seen = {what for _, what, _ in closed_forms_in(solutions)}
    assert seen == set(CLOSED_FORMS), f"patterns that match nothing: {set(CLOSED_FORMS) - seen}"
    assert not closed_forms_in(stubs.strip_solutions(solutions))


def test_no_remark_on_how_many_lines_ours_is():
    for path in sorted((ROOT / "exercises").glob("*.py")):
        text = path.read_text()
        assert not re.search(r"ours is \d+ lines|\bone line\b[;.]", text, re.IGNORECASE), path.name
