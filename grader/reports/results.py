"""The one results model every output format renders.

Data flows one way: check records from the suites -> CheckResult (with a recognised
misconception, if any) -> GradeResult (per-module subtotals, plots, notes) -> formats.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.contract import MODULES


@dataclass(frozen=True)
class Misconception:
    """A catalogued mistake recognised in the learner's output."""

    id: str
    summary: str      # "divides by h instead of 2h"
    hint: str         # what to check or change


@dataclass
class CheckResult:
    """One check's verdict, worded for the learner."""

    number: int
    name: str                 # stable: "gradient_descent: converges on ..."
    module: str               # exercise module, e.g. "gradient_descent"
    suite: str                # "public" or "hidden"
    score: float
    max_score: float
    passed: bool
    message: str = ""         # what came back / what went wrong (never expected values)
    kind: str = ""            # "" | "check" | "not-implemented" | "timeout" | ...
    description: str = ""     # what was expected, in words (the docstring's body)
    misconception: Misconception | None = None
    detail: str = ""          # a hidden check's own message, kept for after publication

    @property
    def function(self) -> str:
        return self.name.split(":")[0].strip()


@dataclass
class Plot:
    """A picture of the learner's runs, with the data behind it."""

    name: str                 # file stem: plots/<name>.png and plots/<name>.json
    title: str
    caption: str              # what to look for, in words


@dataclass
class ModuleResult:
    module: str
    score: float
    max_score: float
    passed: int
    total: int


class PointsOfChecks:
    """score and max_score of whatever holds `checks` (a grade, a group of failures)."""

    checks: list[CheckResult]

    @property
    def score(self) -> float:
        return sum(check.score for check in self.checks)

    @property
    def max_score(self) -> float:
        return sum(check.max_score for check in self.checks)


@dataclass
class GradeResult(PointsOfChecks):
    """Everything known about one graded submission."""

    student: str
    suites: str                                # "public", "hidden" or "all"
    checks: list[CheckResult]
    plots: list[Plot] = field(default_factory=list)
    execution_time: float = 0.0
    output: str = ""                           # what learner code printed (capped)
    notes: list[str] = field(default_factory=list)
    isolation: str = ""                        # namespaces, uid, same-user or root

    @property
    def modules(self) -> list[ModuleResult]:
        """Subtotals per exercise module, in learning order; modules outside the contract last."""
        graded = dict.fromkeys(check.module for check in self.checks)
        order = [m for m in MODULES if m in graded] + [m for m in graded if m not in MODULES]
        found = []
        for module in order:
            checks = [c for c in self.checks if c.module == module]
            found.append(ModuleResult(module, sum(c.score for c in checks),
                                      sum(c.max_score for c in checks),
                                      sum(c.passed for c in checks), len(checks)))
        return found

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"], data["max_score"] = self.score, self.max_score
        data["modules"] = [asdict(m) for m in self.modules]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GradeResult:
        checks = []
        for raw in data["checks"]:
            raw = dict(raw)
            found = raw.pop("misconception", None)
            recognised = Misconception(**found) if found else None
            checks.append(CheckResult(**raw, misconception=recognised))
        return cls(student=data["student"], suites=data["suites"], checks=checks,
                   plots=[Plot(**p) for p in data.get("plots", [])],
                   execution_time=data.get("execution_time", 0.0),
                   output=data.get("output", ""), notes=list(data.get("notes", [])),
                   isolation=data.get("isolation", ""))


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write content beside path, then rename it over path: readers see the old file or
    the new one, never a torn one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def save_grade(result: GradeResult, path: Path) -> None:
    """The model as JSON (grade.json), for batch summaries and class reports: all of it
    but the hidden checks' own messages (`detail`), which may carry what learner code made
    of hidden inputs and wait in results.json for publication."""
    data = result.to_dict()
    for check in data["checks"]:
        check.pop("detail", None)
    write_atomically(path, json.dumps(data, indent=1, allow_nan=False))


def load_grade(path: Path) -> GradeResult:
    return GradeResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
