"""Learners derive their derivatives: no closed form reaches learner-facing text.

The generated exercises/ (docstrings, TODO and HINT comments), the public checks and the
grader's gradient-check helper ship to learners. None of them may state the closed form
of a derivative the exercises ask for; the formulas live in solutions/, inside the
solution regions, where stubs cannot regenerate them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader import stubs

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [*sorted((ROOT / "exercises").glob("*.py")),
           *sorted((ROOT / "tests" / "public").glob("*.py")), ROOT / "grader" / "gradcheck.py"]

# closed forms of the derivatives the exercises ask for, tolerant to spacing
CLOSED_FORMS = {
    "X transposed (gradients of X @ w)": r"X\s*\.\s*T\b|X\s*\^\s*T\b|X\s*\.\s*transpose",
    "the sigmoid identity": r"sigmoid\(\s*z\s*\)\s*\*\s*\(\s*1|\(\s*1\s*-\s*sigmoid"
                            r"|\bs\s*\*\s*\(\s*1\s*-\s*s\s*\)",
    "the L2 penalty's gradient": r"2\s*\*?\s*lam\s*\*?\s*w",
    "the mean's factor 2 / n": r"\(\s*2\s*/\s*n\s*\)|\b2(\.0)?\s*/\s*n\b|\(\s*1\s*/\s*n\s*\)",
    "dloss/dpred": r"2\s*\*?\s*\(\s*pred\s*-\s*y\s*\)",
    "the L1 subgradient": r"np\s*\.\s*sign\s*\(|\bsign\s*\(\s*w\s*\)",
    "the tanh derivative": r"1\s*-\s*(np\.)?tanh",
    "the power rule": r"k\s*\*\s*coeffs\s*\[\s*k\s*\]|\bk\s*\*\s*x\s*\*\*\s*\(\s*k\s*-\s*1",
    "the chain rule on f_prime and g": r"f_prime\s*\(\s*g\s*\(\s*x\s*\)\s*\)\s*\*",
    "the ridge normal equations": r"n\s*\*?\s*lam\s*\*?\s*I\b|n\s*\*\s*lam\s*\*\s*np\.eye",
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
