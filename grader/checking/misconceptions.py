"""The misconception catalogue: realistic wrong implementations, each with its hint.

Catalogue files (tests/misconceptions/<module>.py) define wrong versions of contract
functions, decorated with `@wrong(...)`; files in tests/alternatives/ define correct
variants with `@variant(...)`. Each entry keeps its source, so a whole submission can be
built from solutions/ with one function swapped (to prove the hidden suite catches it),
and its function, so the grader can replay it on a failed check's inputs and name the
misconception whose output matches the learner's.
"""

from __future__ import annotations

import importlib.util
import inspect
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One catalogued implementation of a contract function."""

    id: str              # "derivatives.central_difference/divides-by-h"
    module: str
    function: str
    summary: str         # plain words: "divides by h instead of 2h"
    hint: str            # what the learner should check or change
    correct: bool
    implementation: Callable
    source: str          # the def, without its decorator


_REGISTRY: list[Entry] = []


def _register(function: str, slug: str, summary: str, hint: str, correct: bool) -> Callable:
    def decorate(implementation: Callable) -> Callable:
        module = Path(inspect.getfile(implementation)).stem
        if implementation.__name__ != function:
            raise ValueError(f"{slug}: define it as `def {function}(...)`")
        _REGISTRY.append(Entry(f"{module}.{function}/{slug}", module, function, summary, hint,
                               correct, implementation, function_source(implementation)))
        return implementation
    return decorate


def wrong(function: str, slug: str, summary: str, hint: str) -> Callable:
    """Catalogue a wrong implementation of `function` (the decorated def)."""
    return _register(function, slug, summary, hint, correct=False)


def variant(function: str, slug: str, summary: str) -> Callable:
    """Catalogue a correct alternative implementation of `function`."""
    return _register(function, slug, summary, hint="", correct=True)


def function_source(implementation: Callable) -> str:
    """The dedented source of a def, without decorator lines."""
    lines = textwrap.dedent(inspect.getsource(implementation)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return "\n".join(lines[start:]) + "\n"


def load_catalogue(*folders: Path) -> list[Entry]:
    """Import every catalogue file in folders; returns their entries in file order."""
    _REGISTRY.clear()
    for folder in folders:
        for path in sorted(Path(folder).glob("*.py")):
            if path.name.startswith("_"):
                continue
            spec = importlib.util.spec_from_file_location(f"_catalogue_{folder.name}_{path.stem}",
                                                          path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
    return list(_REGISTRY)


def build_submission(solutions: Path, entry: Entry, target: Path) -> Path:
    """A copy of solutions/ in target with entry's function replacing the reference one.

    The replacement is appended to its module, so it overrides the reference definition
    for the module's own callers too, as a learner's edit would.
    """
    target.mkdir(parents=True, exist_ok=True)
    for path in solutions.glob("*.py"):
        shutil.copy(path, target / path.name)
    module_file = target / f"{entry.module}.py"
    with module_file.open("a") as handle:
        handle.write(f"\n\n# catalogued: {entry.id}\n{entry.source}")
    return target
