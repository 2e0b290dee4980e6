"""The kit's own soundness: stubs in sync, contract honoured, suites well-formed.

solutions/ must pass every public and hidden check; exercises/ must fail every one of
them cleanly (not implemented, no collection error).
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.contract import CONTRACT, MODULES
from grader.instructor import stubs
from grader.isolation.submission import import_folder

ROOT = Path(__file__).resolve().parents[2]
SUITES = [ROOT / "tests" / "public", ROOT / "tests" / "hidden"]


def test_committed_exercises_match_what_solutions_generate():
    drifted = stubs.drifted_files(ROOT / "solutions", ROOT / "exercises")
    assert not drifted, f"run `python -m grader exercises`: {drifted} drifted from solutions/"


def test_drift_is_detected(tmp_path):
    exercises = tmp_path / "exercises"
    stubs.write_exercises(ROOT / "solutions", exercises)
    assert stubs.drifted_files(ROOT / "solutions", exercises) == []
    edited = exercises / "losses.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    assert stubs.drifted_files(ROOT / "solutions", exercises) == ["losses.py"]


def test_stubs_keep_signature_docstring_and_hint_but_no_solution():
    for path in (ROOT / "solutions").glob("*.py"):
        stub = stubs.strip_solutions(path.read_text())
        assert stubs.BEGIN not in stub and "NotImplementedError" in stub
        tree = ast.parse(stub)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.col_offset == 0:
                assert ast.get_docstring(node), f"{path.name}:{node.name} lost its docstring"
        assert stub.count("# HINT:") == path.read_text().count("# HINT:")


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "inside another"),
])
def test_unbalanced_markers_are_refused(source, problem):
    with pytest.raises(stubs.MarkerError, match=problem):
        stubs.strip_solutions(source)


def test_contract_table_matches_solution_signatures():
    modules, problems = import_folder(ROOT / "solutions")
    assert not problems
    for module, functions in CONTRACT.items():
        for name, params in functions.items():
            signature = inspect.signature(getattr(modules[module], name))
            assert tuple(signature.parameters) == params, f"{module}.{name}"


def test_every_contract_function_has_a_solution_region_and_a_docstring():
    for module in MODULES:
        tree = ast.parse((ROOT / "solutions" / f"{module}.py").read_text())
        defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        for name in CONTRACT[module]:
            doc = ast.get_docstring(defined[name]) or ""
            assert "Inputs:" in doc and "Returns:" in doc, f"{module}.{name} docstring"


def collect_checks(suite: Path) -> list[ast.FunctionDef]:
    tests = []
    for path in sorted(suite.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        tests += [node for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    return tests


@pytest.mark.parametrize("suite", SUITES, ids=lambda p: p.name)
def test_every_check_has_points_and_a_unique_named_docstring(suite):
    names = []
    for test in collect_checks(suite):
        decorators = ast.unparse(test).split("def ")[0]
        assert "pytest.mark.points(" in decorators, f"{test.name} carries no points"
        doc = ast.get_docstring(test)
        assert doc and ": " in doc.splitlines()[0], f"{test.name} needs a 'function: what' name"
        assert doc.split(":")[0].strip() in {f for fs in CONTRACT.values() for f in fs}
        names.append(doc.splitlines()[0])
    assert names, f"{suite} holds no checks"
    assert len(names) == len(set(names)), "check names must be unique"


def test_hidden_checks_never_use_bare_asserts():
    for path in (ROOT / "tests" / "hidden").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, (f"{path.name} lines {asserts}: use grader.checking.expect so "
                            "values stay hidden")
        assert "np.testing" not in path.read_text(), path.name


def test_hidden_checks_name_their_parameters_in_words():
    """A check's name carries its parameter id, and pytest's own id is the value passed:
    a hidden check's name would show its input (`sigmoid: ... [0.7]`). Every parametrize
    in tests/hidden names its cases with ids=."""
    for path in (ROOT / "tests" / "hidden").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "parametrize":
                assert any(k.arg == "ids" for k in node.keywords), (
                    f"{path.name} line {node.lineno}: give the cases ids= in words")


def run_suites(folder: Path, results: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    command = [sys.executable, "-m", "pytest", *map(str, SUITES), "--submission", str(folder),
               "--results-json", str(results), "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return done, json.loads(results.read_text()) if results.exists() else []


def test_solutions_pass_every_public_and_hidden_check(tmp_path):
    done, records = run_suites(ROOT / "solutions", tmp_path / "r.json")
    failed = [f"{r['name']}: {r['message']}" for r in records if not r["passed"]]
    assert done.returncode == 0 and records and not failed, failed or done.stdout[-3000:]
    assert {r["module"] for r in records} == set(MODULES)


def test_exercises_fail_every_check_cleanly(tmp_path):
    done, records = run_suites(ROOT / "exercises", tmp_path / "r.json")
    assert "error" not in done.stdout.splitlines()[-1], done.stdout[-3000:]
    assert records and not any(r["passed"] for r in records)
    kinds = {r["kind"] for r in records}
    assert kinds == {"not-implemented"}, kinds
