"""Name the learner's misconception: replay catalogued mistakes on a failed check's inputs.

For each call a failed check made, every catalogued wrong implementation of that
function is run here (trusted code) on the same arguments. A mistake is recognised when
it reproduces what the learner's code did (same result within round-off, same warnings
or none, same arguments changed) while the reference implementation does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from grader import errors
from grader.misconceptions import Entry
from grader.results import Misconception
from grader.submission import CallRecord, invoke_in_process

MAX_CALLS_REPLAYED = 3


class Recogniser:
    """Matches failed checks against the catalogue, using the reference as a control."""

    def __init__(self, entries: list[Entry], reference: dict[str, Any], folder: Path):
        self.wrong = [entry for entry in entries if not entry.correct]
        self.reference, self.folder = reference, folder

    def recognise(self, calls: list[CallRecord]) -> Misconception | None:
        """The first catalogued misconception that explains one of these calls, if any."""
        for call in [c for c in calls if c.problem is None][:MAX_CALLS_REPLAYED]:
            module, _, name = call.function.partition(".")
            candidates = [e for e in self.wrong if e.module == module and e.function == name]
            if not candidates or _behaves_like(self._reference(module, name), call, self.folder):
                continue
            for entry in candidates:
                if _behaves_like(entry.implementation, call, self.folder):
                    return Misconception(entry.id, entry.summary, entry.hint)
        return None

    def _reference(self, module: str, name: str) -> Callable | None:
        return getattr(self.reference.get(module), name, None)


def _behaves_like(function: Callable | None, learner: CallRecord, folder: Path) -> bool:
    """Does function, on learner's arguments, do what the learner's code did?"""
    if function is None:
        return False
    replay = CallRecord(learner.function, learner.args, learner.kwargs)
    try:
        result = invoke_in_process(function, replay, folder)
    except errors.SubmissionProblem:
        return False
    return (bool(replay.warnings) == bool(learner.warnings)
            and sorted(replay.mutated) == sorted(learner.mutated)
            and close_plain(result, learner.result))


def close_plain(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Same structure and numbers equal within round-off (NaN equals NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        except (TypeError, ValueError):
            return False
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close_plain(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_plain(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
    return a == b
