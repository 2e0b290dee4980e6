"""Name the learner's misconception: replay catalogued mistakes on a failed check's inputs.

For each call a failed check made, every catalogued wrong implementation of that
function is run here (trusted code) on the same arguments, and so is the reference.
A mistake is recognised when it explains what the learner's code did, on every call
replayed, clearly better than the reference does:

- its result is near the learner's (relative distance at most NEAR, so rounding, another
  order of the same operations or another but equivalent formula around the mistake
  still match), and at least MARGIN times nearer than the reference's; or, when its
  result is the reference's, it has a side effect the reference lacks (an argument
  changed in place, a warning) and the learner's code had it too;
- every side effect it has, the learner's code had as well.

Of the mistakes that qualify, the closest is named (same side effects first, then the
smallest distance, then catalogue order). Output that matches no mistake names none.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.checking.misconceptions import Entry
from grader.isolation import errors
from grader.isolation.submission import CallRecord, invoke_in_process
from grader.reports.results import Misconception

MAX_CALLS_REPLAYED = 3
# 6 significant digits round by up to 5e-6 relative; an equivalent formula differs by
# round-off, far less. A different mistake is off by far more (a factor, a term).
NEAR = 1e-5
# The learner must be this many times nearer the mistake than the reference: rounding
# must not turn a correct answer that a mistake almost reproduces into that mistake.
MARGIN = 100.0
# Below this the reference and a mistake cannot be told apart at all.
FAR = 1e-9
# Relative to the largest number of a result, differences this small are round-off.
ROUNDOFF = 1e-12
UNLIKE = math.inf


@dataclass(frozen=True)
class Outcome:
    """What one implementation did on one call: its result and its side effects."""

    result: Any
    mutated: frozenset[str]
    warned: bool

    def has_effects_of(self, other: Outcome) -> bool:
        """Did this call also change every argument and raise a warning where other did?"""
        return other.mutated <= self.mutated and (self.warned or not other.warned)

    def effects(self) -> tuple[frozenset[str], bool]:
        """The side effects alone, to compare two outcomes' effects exactly."""
        return self.mutated, self.warned


class Recogniser:
    """Matches failed checks against the catalogue, using the reference as a control."""

    def __init__(self, entries: list[Entry], reference: dict[str, Any], folder: Path):
        self.wrong = [entry for entry in entries if not entry.correct]
        self.reference, self.folder = reference, folder

    def recognise(self, calls: list[CallRecord]) -> Misconception | None:
        """The catalogued misconception that best explains these calls, if any does.

        The first calls that returned are replayed, grouped by the function they called
        (a check may call two); a function called earlier is preferred.
        """
        replayed = [c for c in calls if c.problem is None][:MAX_CALLS_REPLAYED]
        functions = list(dict.fromkeys(call.function for call in replayed))
        ranked = []
        for place, function in enumerate(functions):
            group = [call for call in replayed if call.function == function]
            ranked += [(place, *rank) for rank in self._ranked(function, group)]
        if not ranked:
            return None
        entry = min(ranked, key=lambda item: item[:4])[4]
        return Misconception(entry.id, entry.summary, entry.hint)

    def _ranked(self, function: str, calls: list[CallRecord]) -> list[tuple]:
        """(effects differ, distance, catalogue order, entry) of each mistake of function
        that explains calls."""
        module, _, name = function.partition(".")
        candidates = [e for e in self.wrong if e.module == module and e.function == name]
        if not candidates:
            return []
        controls = [replay(self._reference(module, name), call, self.folder)
                    for call in calls]
        ranked = []
        for order, entry in enumerate(candidates):
            rank = _explains(entry.implementation, calls, controls, self.folder)
            if rank is not None:
                ranked.append((*rank, order, entry))
        return ranked

    def _reference(self, module: str, name: str) -> Callable | None:
        return getattr(self.reference.get(module), name, None)


def replay(function: Callable | None, learner: CallRecord, folder: Path) -> Outcome | None:
    """What function does on learner's arguments; None if it is missing or fails."""
    if function is None:
        return None
    record = CallRecord(learner.function, learner.args, learner.kwargs)
    # a file the check asked for is written where nothing else is, and then removed
    with tempfile.TemporaryDirectory(prefix="calcgrader-replay-") as outputs:
        try:
            result = invoke_in_process(function, record, folder, lambda: outputs)
        except errors.SubmissionProblem:
            return None
    return Outcome(result, frozenset(record.mutated), bool(record.warnings))


def observed(call: CallRecord) -> Outcome:
    """What the learner's code did on a call, as an Outcome."""
    return Outcome(call.result, frozenset(call.mutated), bool(call.warnings))


def _explains(implementation: Callable, calls: list[CallRecord],
              controls: list[Outcome | None], folder: Path) -> tuple[int, float] | None:
    """(effects differ, largest distance) if implementation explains every call, else None.

    It must reproduce each call (near result, the learner had its side effects) and be
    told apart from the reference on at least one of them.
    """
    worst, same_effects, distinguished = 0.0, True, False
    for call, control in zip(calls, controls):
        learner, mistake = observed(call), replay(implementation, call, folder)
        if mistake is None or not learner.has_effects_of(mistake):
            return None
        gap = distance(mistake.result, learner.result)
        if gap > NEAR:
            return None
        worst, same_effects = max(worst, gap), same_effects and (
            mistake.effects() == learner.effects())
        distinguished = distinguished or _beats_reference(mistake, gap, control, learner)
    return (0 if same_effects else 1, worst) if distinguished else None


def _beats_reference(mistake: Outcome, gap: float, control: Outcome | None,
                     learner: Outcome) -> bool:
    """Does the mistake explain the learner's call clearly better than the reference?"""
    if control is None:
        return True     # the reference failed where the mistake reproduced the learner
    if distance(control.result, learner.result) > max(FAR, MARGIN * gap):
        return True
    # Same numbers: only a side effect the reference lacks can tell them apart.
    return not control.has_effects_of(mistake)


def distance(a: Any, b: Any) -> float:
    """How far result a is from result b: 0 for the same output, inf when their
    structure, their non-numeric answers (bool, str, None) or their non-finite values
    differ, else the largest difference of a number relative to its own array's size.

    Each array or number is judged on its own scale (a loss curve falling to 1e-20 is
    compared on its own terms), but a difference below ROUNDOFF times the largest number
    in either result is round-off: weights of 1e-17 next to a loss of 0.7 are noise.
    """
    return _distance(a, b, ROUNDOFF * max(_magnitude(a), _magnitude(b)))


def _distance(a: Any, b: Any, floor: float) -> float:
    if _numeric(a) and _numeric(b):
        return _numeric_distance(a, b, floor)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return UNLIKE
        return max((_distance(x, y, floor) for x, y in zip(a, b)), default=0.0)
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return UNLIKE
        return max((_distance(a[k], b[k], floor) for k in a), default=0.0)
    return 0.0 if type(a) is type(b) and a == b else UNLIKE


def _magnitude(value: Any) -> float:
    """The largest finite |number| anywhere in a result (0 if it has none)."""
    if _numeric(value):
        values = np.abs(np.asarray(value, dtype=float))
        finite = values[np.isfinite(values)]
        return float(finite.max()) if finite.size else 0.0
    if isinstance(value, (list, tuple)):
        return max((_magnitude(item) for item in value), default=0.0)
    if isinstance(value, dict):
        return max((_magnitude(item) for item in value.values()), default=0.0)
    return 0.0


def _numeric(value: Any) -> bool:
    """A number or an array of numbers (not a bool: True is no approximation of 1.0)."""
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_number(v) for v in value)
    return _number(value)


def _number(value: Any) -> bool:
    """An int or float, numpy's included (np.float64 is no worse an answer than float)."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _numeric_distance(a: Any, b: Any, floor: float) -> float:
    """Relative distance of two numeric leaves of the same shape; a non-finite value
    equals only itself, and a difference up to floor is none."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return UNLIKE
    finite = np.isfinite(a) & np.isfinite(b)
    same_special = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
    if not np.all(finite | same_special):
        return UNLIKE
    if not np.any(finite):
        return 0.0
    gap = float(np.max(np.abs(a[finite] - b[finite])))
    if gap <= floor:
        return 0.0
    return gap / max(float(np.max(np.abs(a[finite]))), float(np.max(np.abs(b[finite]))))
