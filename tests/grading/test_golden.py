"""Golden submissions: their expected results, the same in-process and through the worker.

Each golden case is a submission (the bundled example, or solutions/ with one catalogued
mistake swapped in) and a file in golden/ listing the checks it must fail and the
misconception each failure must name. Rewrite the files after a deliberate change to the
suites with `UPDATE_GOLDEN=1 python -m pytest tests/grading/test_golden.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.checking.misconceptions import build_submission, load_catalogue
from grader.checking.run import GradeOptions, grade

KIT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
CATALOGUE = {entry.id: entry for entry in load_catalogue(KIT / "tests" / "misconceptions",
                                                          KIT / "tests" / "alternatives")}
CASES = {
    "example": None,
    "forward-instead-of-central": "derivatives.central_difference/forward-instead",
    "gd-step-in-place": "gradient_descent.gd_step/in-place",
    "naive-sigmoid": "chain_rule.sigmoid/naive-overflow",
}


def submission_for(case: str, tmp_path: Path) -> Path:
    entry_id = CASES[case]
    if entry_id is None:
        return KIT / "examples" / "submission"
    return build_submission(KIT / "solutions", CATALOGUE[entry_id], tmp_path / case)


def outcome(result) -> dict:
    failed = [c for c in result.checks if not c.passed]
    return {"score": result.score, "max_score": result.max_score,
            "failed": {c.name: c.misconception.id if c.misconception else None for c in failed}}


@pytest.mark.parametrize("case", CASES)
def test_golden_submission_scores_as_recorded_in_process_and_through_the_worker(case, tmp_path):
    folder = submission_for(case, tmp_path)
    isolated = grade(folder, tmp_path / "isolated", GradeOptions(student=case))
    in_process = grade(folder, tmp_path / "local", GradeOptions(student=case, isolate=False))
    assert outcome(isolated) == outcome(in_process), "the worker changed a verdict"
    golden = GOLDEN / f"{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(outcome(isolated), indent=1, sort_keys=True) + "\n")
    assert outcome(isolated) == json.loads(golden.read_text())


def test_each_catalogued_golden_case_names_its_own_misconception():
    for case, entry_id in CASES.items():
        if entry_id:
            recorded = json.loads((GOLDEN / f"{case}.json").read_text())
            assert entry_id in recorded["failed"].values(), case
