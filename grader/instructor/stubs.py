"""Generate exercises/ from solutions/: one source of truth, nbgrader's markers.

Every region between `### BEGIN SOLUTION` and `### END SOLUTION` is replaced by a stub
that raises NotImplementedError, at the region's indentation. Everything outside the
regions (signature, docstring, TODO and HINT comments) reaches the learner unchanged.
"""

from __future__ import annotations

from pathlib import Path

from grader.instructor.markers import BEGIN_SOLUTION, END_SOLUTION
from grader.problems import ToolProblem

BEGIN, END = BEGIN_SOLUTION, END_SOLUTION
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


class MarkerError(ToolProblem, ValueError):
    """Solution markers that do not pair up."""


def strip_solutions(source: str, filename: str = "<source>") -> str:
    """source with every solution region replaced by the stub."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise MarkerError(f"{filename}:{number}: {BEGIN} inside another region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(f"{indent}{stub_line}\n" for stub_line in STUB)
        elif marker == END:
            if not inside:
                raise MarkerError(f"{filename}:{number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{filename}: {BEGIN} is never closed")
    return "".join(out)


def generated_exercises(solutions: Path) -> dict[str, str]:
    """File name -> generated stub source, for every module in solutions/."""
    return {path.name: strip_solutions(path.read_text(), path.name)
            for path in sorted(solutions.glob("*.py"))}


def drifted_files(solutions: Path, exercises: Path) -> list[str]:
    """Names of exercise files that differ from what solutions/ generates (or are extra)."""
    expected = generated_exercises(solutions)
    present = {path.name for path in exercises.glob("*.py")}
    drifted = [name for name, text in expected.items()
               if not (exercises / name).is_file() or (exercises / name).read_text() != text]
    return sorted(drifted + sorted(present - expected.keys()))


def write_exercises(solutions: Path, exercises: Path) -> list[str]:
    """Regenerate exercises/ from solutions/; returns the names written."""
    exercises.mkdir(parents=True, exist_ok=True)
    written = generated_exercises(solutions)
    for name, text in written.items():
        (exercises / name).write_text(text)
    return sorted(written)
