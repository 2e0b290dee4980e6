"""Plain data: the only values that cross between learner code and the grader.

Learner results are converted to exact built-in types (float, int, bool, str, None),
float64 numpy arrays, and lists, tuples and str-keyed dicts of those. Anything else is
refused, so an object that lies about equality or overrides arithmetic never reaches a
comparison. The same rules serve the in-process runner and the isolated worker, so a
submission scores the same either way.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MAX_DEPTH = 8
MAX_ITEMS = 1_000_000


class NotPlainData(TypeError):
    """A value that is not numbers, arrays, strings, or containers of those."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """Convert value to plain data, or raise NotPlainData saying what was found."""
    if depth > MAX_DEPTH:
        raise NotPlainData("a value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value
    if kind is float:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return _plain_array(value)
    if kind in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise NotPlainData(f"a {kind.__name__} of {len(value)} items")
        return kind(to_plain(item, depth + 1) for item in value)
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise NotPlainData("a dict whose keys are not all strings")
        return {key: to_plain(item, depth + 1) for key, item in value.items()}
    raise NotPlainData(f"an object of type {kind.__name__}")


def _plain_array(array: np.ndarray) -> np.ndarray:
    """A float64 copy of a numeric array (ints and bools become floats)."""
    if array.dtype.kind not in "biuf":
        raise NotPlainData(f"an array of dtype {array.dtype}")
    return np.array(array, dtype=np.float64, copy=True, subok=False)


def same_plain(a: Any, b: Any) -> bool:
    """Exact equality of two plain values (NaN equals NaN, shapes must match)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_plain(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_plain(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def describe(value: Any, limit: int = 4) -> str:
    """A short learner-readable description: type, shape and a few values."""
    if isinstance(value, np.ndarray):
        flat = value.ravel()
        shown = ", ".join(f"{v:.6g}" for v in flat[:limit])
        more = ", ..." if flat.size > limit else ""
        return f"an array of shape {value.shape} [{shown}{more}]"
    if isinstance(value, bool):
        return f"the bool {value}"
    if isinstance(value, float):
        return f"the float {value:.6g}"
    if isinstance(value, int):
        return f"the int {value}"
    if isinstance(value, str):
        return f"the string {value[:60]!r}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        kind = type(value).__name__
        inner = ", ".join(describe(v, 2) for v in value[:2])
        more = ", ..." if len(value) > 2 else ""
        return f"a {kind} of {len(value)} items ({inner}{more})"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    return f"an object of type {type(value).__name__}"
