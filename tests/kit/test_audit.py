"""The mutation audit: its mutants are well formed, and the suites kill every one that
is not reviewed as equivalent.

The whole audit (every mutant of solutions/ graded through batch) takes minutes: it is
marked slow (`-m "not slow"` leaves it out; `python -m pytest` and .ci/run run it).
"""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import pytest

from grader.instructor.audit import (
    EQUIVALENTS,
    load_equivalents,
    report_text,
    run_audit,
    summary_text,
)
from grader.instructor.mutants import OPERATORS, generate, solution_lines

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
MUTANTS = generate(SOLUTIONS)


def test_every_operator_makes_mutants_with_unique_keys():
    assert {mutant.operator for mutant in MUTANTS} == set(OPERATORS)
    keys = [mutant.key for mutant in MUTANTS]
    assert len(keys) == len(set(keys)), "two mutants share a key"


def test_each_mutant_changes_one_solution_region_and_parses():
    for mutant in MUTANTS:
        original = (SOLUTIONS / f"{mutant.module}.py").read_text()
        old, new = original.splitlines(), mutant.source.splitlines()
        changed = [n for n, (a, b) in enumerate(zip(old, new), start=1) if a != b]
        assert len(old) == len(new) and changed, mutant.key
        assert set(changed) <= solution_lines(original), f"{mutant.key} edits outside"
        assert ast.dump(ast.parse(mutant.source)) != ast.dump(ast.parse(original))


def test_keys_survive_docstring_comment_and_layout_edits(tmp_path):
    copy = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, copy)
    for path in copy.glob("*.py"):
        text = path.read_text().replace('    """', '    """Reworded. ', 1)
        path.write_text("# a comment moves every line down\n\n" + text)
    assert [m.key for m in generate(copy)] == [m.key for m in MUTANTS]


def test_reviewed_equivalents_name_current_mutants_with_reasons():
    reviewed = load_equivalents(EQUIVALENTS)       # one-line reasons, or it raises
    stale = set(reviewed) - {mutant.key for mutant in MUTANTS}
    assert not stale, f"no such mutant any more (review again): {sorted(stale)}"


@pytest.mark.slow
def test_suites_kill_every_mutant_not_reviewed_as_equivalent(tmp_path):
    audit = run_audit(tmp_path / "audit", jobs=min(2, os.cpu_count() or 1))
    print(summary_text(audit))          # shown with -s
    assert audit.passed and audit.score == 1.0, report_text(audit)
    assert not audit.killed_but_listed, "listed as equivalent, yet killed: " \
        f"{audit.killed_but_listed}"
