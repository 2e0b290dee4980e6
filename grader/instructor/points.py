"""What every check is worth, read once from the suites.

A check's points are its `@pytest.mark.points(n)` (grader.checking.pytest_plugin.check_points), and
a parametrized check counts once per parameter set, as pytest runs it. The student
bundle's README, the Classroom steps and the nbgrader course all take their totals from
`collect`, which asks pytest itself (in a fresh interpreter, so collecting never touches
the caller's modules) for every check of the suites.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader.problems import ToolProblem

_COLLECT = """
import contextlib, io, json, sys
import pytest
from grader.checking.pytest_plugin import check_module, check_name, check_points

class Points:
    found = []
    def pytest_collection_finish(self, session):
        for item in session.items:
            function = check_name(item).split(":")[0].strip()
            self.found.append([item.path.parent.name, check_module(item), function,
                               check_points(item)])

with contextlib.redirect_stdout(io.StringIO()) as log:
    code = pytest.main(sys.argv[1:], plugins=[Points()])
if code != 0:
    sys.exit(log.getvalue()[-2000:])
print(json.dumps(Points.found))
"""


class PointsProblem(ToolProblem):
    """The kit's checks could not be collected."""


def collect(kit: Path, suites: tuple[str, ...] = ("public", "hidden")
            ) -> list[tuple[str, str, str, float]]:
    """(suite, exercise module, function, points) of every check of those suites the kit
    has, in collection order."""
    folders = [str(kit / "tests" / s) for s in suites if (kit / "tests" / s).is_dir()]
    command = [sys.executable, "-c", _COLLECT, *folders, "--collect-only", "-q",
               "-p", "no:cacheprovider", "--import-mode=importlib", f"--rootdir={kit}",
               "-c", str(kit / "pyproject.toml")]
    done = subprocess.run(command, cwd=kit, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PointsProblem(f"could not collect the checks of {kit / 'tests'}: {last}")
    return [tuple(entry) for entry in json.loads(done.stdout.strip().splitlines()[-1])]


def by_suite_and_module(checks: list[tuple[str, str, str, float]]) -> dict:
    """suite -> exercise module -> points."""
    totals: dict[str, dict[str, float]] = {}
    for suite, module, _, value in checks:
        totals.setdefault(suite, {})
        totals[suite][module] = totals[suite].get(module, 0.0) + value
    return totals


def by_function(checks: list[tuple[str, str, str, float]]) -> dict[tuple[str, str], float]:
    """(exercise module, function) -> points over every suite."""
    totals: dict[tuple[str, str], float] = {}
    for _, module, function, value in checks:
        totals[(module, function)] = totals.get((module, function), 0.0) + value
    return totals
