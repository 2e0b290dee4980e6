"""The hidden suite against the misconception catalogue and the correct variants.

A grader is only as good as the wrong answers it catches and the right answers it
accepts: every catalogued wrong implementation must lose points on its module's hidden
checks, and every correct variant must keep full marks on both suites.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
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
# Each entry is one pytest process (learner code in it, no sandbox): on every core at once.
AT_ONCE = max(1, min(4, len(os.sched_getaffinity(0))))


def run_checks(folder: Path, suites: list[str], results: Path) -> list[dict]:
    """Run the given test paths against folder in a fresh interpreter; the check records."""
    command = [sys.executable, "-m", "pytest", *suites, "--submission", str(folder),
               "--results-json", str(results), "-q", "-p", "no:cacheprovider",
               "--disable-plugin-autoload"]
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


def suites_of(entry) -> list[str]:
    """A misconception against its module's hidden checks; a correct variant against all."""
    if entry.correct:
        return ["tests/public", "tests/hidden"]
    return [f"tests/hidden/test_{entry.module}.py"]


def check_entry(entry, folder: Path) -> list[dict]:
    built = build_submission(ROOT / "solutions", entry, folder / "submission")
    return run_checks(built, suites_of(entry), folder / "r.json")


@pytest.fixture(scope="module")
def records(request, tmp_path_factory) -> dict[str, Future]:
    """The selected entries' check records, run AT_ONCE at a time from the first test on,
    in the order the tests ask for them."""
    selected = [item.callspec.params["entry"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")]
    base = tmp_path_factory.mktemp("catalogue")
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        yield {entry.id: pool.submit(check_entry, entry, base / str(number))
               for number, entry in enumerate(selected)}
        pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("entry", WRONG, ids=[entry.id for entry in WRONG])
def test_hidden_suite_takes_points_from_misconception(entry, records):
    failed = [r for r in records[entry.id].result() if not r["passed"]]
    assert failed, f"{entry.id} ({entry.summary}) kept full marks on the hidden suite"
    assert {r["kind"] for r in failed} & VERDICT_KINDS, [r["message"] for r in failed]
    assert not any("NameError" in r["message"] for r in failed), "entry is not self-contained"


@pytest.mark.parametrize("entry", VARIANTS, ids=[entry.id for entry in VARIANTS])
def test_correct_variant_keeps_full_marks(entry, records):
    checked = records[entry.id].result()
    failed = [f"{r['name']}: {r['message']}" for r in checked if not r["passed"]]
    assert checked and not failed, failed
