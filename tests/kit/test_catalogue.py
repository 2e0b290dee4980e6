"""The hidden suite against the misconception catalogue and the correct variants.

A grader is only as good as the wrong answers it catches and the right answers it
accepts: every catalogued wrong implementation must lose points on its module's hidden
checks, and every correct variant must keep full marks on both suites.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.checking.misconceptions import build_submission, load_catalogue
from grader.contract import MODULES

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = load_catalogue(ROOT / "tests" / "misconceptions", ROOT / "tests" / "alternatives")
WRONG = [entry for entry in ENTRIES if not entry.correct]
VARIANTS = [entry for entry in ENTRIES if entry.correct]
VERDICT_KINDS = {"check", "raised", "bad-return"}  # failures that are the suite's doing


def run_checks(folder: Path, suites: list[str], results: Path) -> list[dict]:
    """Run the given test paths against folder in a fresh interpreter; the check records."""
    command = [sys.executable, "-m", "pytest", *suites, "--submission", str(folder),
               "--results-json", str(results), "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert results.exists(), f"pytest wrote no results:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return json.loads(results.read_text())


def test_catalogue_is_large_and_covers_every_module():
    assert len(WRONG) >= 40, f"only {len(WRONG)} misconceptions catalogued"
    assert len(VARIANTS) >= 5, f"only {len(VARIANTS)} correct variants catalogued"
    assert {entry.module for entry in WRONG} == set(MODULES)
    ids = [entry.id for entry in ENTRIES]
    assert len(ids) == len(set(ids)), "catalogue ids must be unique"
    for entry in WRONG:
        assert entry.summary.strip() and entry.hint.strip(), f"{entry.id} needs summary and hint"


@pytest.mark.parametrize("entry", WRONG, ids=[entry.id for entry in WRONG])
def test_hidden_suite_takes_points_from_misconception(entry, tmp_path):
    folder = build_submission(ROOT / "solutions", entry, tmp_path / "submission")
    records = run_checks(folder, [f"tests/hidden/test_{entry.module}.py"], tmp_path / "r.json")
    failed = [r for r in records if not r["passed"]]
    assert failed, f"{entry.id} ({entry.summary}) kept full marks on the hidden suite"
    assert {r["kind"] for r in failed} & VERDICT_KINDS, [r["message"] for r in failed]
    assert not any("NameError" in r["message"] for r in failed), "entry is not self-contained"


@pytest.mark.parametrize("entry", VARIANTS, ids=[entry.id for entry in VARIANTS])
def test_correct_variant_keeps_full_marks(entry, tmp_path):
    folder = build_submission(ROOT / "solutions", entry, tmp_path / "submission")
    records = run_checks(folder, ["tests/public", "tests/hidden"], tmp_path / "r.json")
    failed = [f"{r['name']}: {r['message']}" for r in records if not r["passed"]]
    assert records and not failed, failed
