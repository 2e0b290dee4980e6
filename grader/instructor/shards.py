"""Grade a class larger than one machine: `batch --shard i/n` on n machines, then `merge`.

Which shard a student is in depends on their id alone: shard 1 + (SHA-256 of the id, its
first 8 bytes as a big-endian integer) mod n. The same on every machine and Python version
(Python's own hash() is salted per process, so it is not used), and a student added late
or removed does not move anyone else. Shard sizes are balanced on average only: 200
students over 8 shards give about 25 each, give or take 5. The id is the one `batch`
gives a submission (its folder or zip name made safe), so renaming a submission may move
it. Changing n reshuffles the class: grade every shard of one n.

A finished `batch --shard` leaves shard.json in its --out folder (the shard, the class
size and the ids of its students), which lets `merge` say which shards or students are
missing.

`merge(out, folders)` copies every finished student folder (one holding grade.json) of
the shard folders into out, then rebuilds grades.csv, lms_grades.csv and the class
report from every student in out. It checks everything before copying anything: a path
that is not a batch's --out folder, or a student graded differently in two folders (or
in a folder and, from another source, already in out), stops it with one line and
changes nothing. A student whose copy in out is identical is left alone, one whose
grade.json changed in the folder it came from (a shard regraded) is replaced, and
students already in out that no folder holds are kept, so merge can be rerun, and run
again as more shards finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from grader import intake
from grader.contract import MODULES
from grader.instructor import batch, class_report
from grader.problems import ToolProblem
from grader.reports import formats
from grader.reports.results import GradeResult, load_grade, write_atomically

MARKER = "shard.json"            # written by `batch --shard` into its --out folder
SOURCES = ".merged-from.json"    # in a merged folder: student id -> the folder it came from

T = TypeVar("T")


class ShardProblem(ToolProblem, ValueError):
    """A bad --shard or an impossible merge; one line saying what to do."""


@dataclass(frozen=True)
class Shard:
    index: int          # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, student_id: str) -> bool:
        return shard_of(student_id, self.count) == self.index

    def select(self, students: Sequence[T]) -> list[T]:
        """The students (anything with an .id) of this shard, in their order."""
        return [s for s in students if self.holds(s.id)]


def shard_of(student_id: str, count: int) -> int:
    """The shard (1..count) a student id belongs to; see the module's docstring."""
    digest = hashlib.sha256(student_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse(text: str) -> Shard:
    """'i/n' -> Shard(i, n), with 1 <= i <= n; ShardProblem (one line) otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ShardProblem(f"--shard {text!r}: expected i/n, e.g. --shard 2/8 for the second "
                           "of 8 shards")
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise ShardProblem(f"--shard {text}: n must be at least 1")
    if not 1 <= index <= count:
        raise ShardProblem(f"--shard {text}: i must be between 1 and {count} "
                           "(shards are numbered from 1)")
    return Shard(index, count)


def write_marker(out: Path, shard: Shard, class_size: int, ids: Sequence[str]) -> None:
    """out/shard.json: which shard this folder holds, for `merge` to check completeness."""
    write_atomically(out / MARKER, json.dumps(
        {"shard": str(shard), "class_size": class_size, "students": list(ids)}, indent=1) + "\n")


def read_marker(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        parse(data["shard"])
        return {"shard": data["shard"], "class_size": int(data["class_size"]),
                "students": [str(s) for s in data["students"]]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------- merge

@dataclass
class Found:
    """A finished student in one of the folders being merged."""

    id: str
    folder: Path        # <shard out>/<id>
    source: Path        # <shard out>, resolved
    result: GradeResult


def grade_key(result: GradeResult) -> tuple:
    """What counts as 'the same grade': the grades.csv and lms_grades.csv rows, the suites."""
    return (result.suites, tuple(formats.csv_row(result, MODULES)),
            tuple(formats.lms_row(result)))


def finished(folder: Path) -> list[Path]:
    """The student folders (with a grade.json) of a batch's --out folder; never one named
    like a report (batch.REPORT_NAMES): merged into OUT, it would take the report's place."""
    return [p for p in sorted(folder.iterdir())
            if not p.name.startswith(".") and p.name.lower() not in batch.REPORT_NAMES
            and p.is_dir() and (p / "grade.json").is_file()]


def check_sources(out: Path, folders: Sequence[Path]) -> list[Path]:
    """The shard folders, resolved and without repeats; ShardProblem if one is unusable."""
    seen: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise ShardProblem(f"{folder}: not a folder; give the --out folders of "
                               "`batch --shard` runs")
        resolved = folder.resolve()
        if resolved == out.resolve():
            raise ShardProblem(f"{folder}: is the merge's own OUT folder; merge into a "
                               "new folder")
        if not ((folder / "grades.csv").is_file() or (folder / MARKER).is_file()
                or finished(folder)):
            raise ShardProblem(f"{folder}: not the --out folder of a batch (no grades.csv "
                               "and no <student>/grade.json)")
        if resolved not in seen:
            seen.append(resolved)
    return seen


def collect(sources: list[Path]) -> dict[str, Found]:
    """Every readable finished student of the folders; ShardProblem if one id has two
    different grades."""
    chosen: dict[str, Found] = {}
    for source in sources:
        for folder in finished(source):
            try:
                result = load_grade(folder / "grade.json")
            except (OSError, ValueError, KeyError, TypeError):
                print(f"warning: skipped {folder}: its grade.json cannot be read; regrade "
                      "that shard", file=sys.stderr)
                continue
            found = Found(folder.name, folder, source, result)
            earlier = chosen.get(found.id)
            if earlier is None:
                chosen[found.id] = found
            elif grade_key(earlier.result) != grade_key(result):
                raise ShardProblem(
                    f"{found.id} has different grades in {earlier.source} "
                    f"({formats.total_text(earlier.result)}) and {source} "
                    f"({formats.total_text(result)}); delete the wrong one's folder and merge "
                    "again")
    return chosen


def plan(out: Path, chosen: dict[str, Found], recorded: dict[str, str]) -> list[Found]:
    """The students to copy into out; ShardProblem if out already holds one of them with
    a different grade that came from another folder."""
    copies = []
    for found in chosen.values():
        target = out / found.id / "grade.json"
        if not target.is_file() or recorded.get(found.id) == str(found.source):
            if not same_file(out / found.id, found.folder):
                copies.append(found)
            continue
        try:
            same = grade_key(load_grade(target)) == grade_key(found.result)
        except (OSError, ValueError, KeyError, TypeError):
            same = False
        if not same:
            raise ShardProblem(
                f"{found.id} in {found.source} has a different grade from the one already "
                f"in {out} (from {recorded.get(found.id, 'another folder')}); delete "
                f"{out / found.id} to take the new one and merge again")
    return copies


def copy_student(out: Path, found: Found) -> None:
    """Copy found's folder to out/<id>: written beside it, then renamed into place."""
    partial = out / f"{batch.PARTIAL_PREFIX}merge-{found.id}"
    old = out / f"{batch.PARTIAL_PREFIX}old-{found.id}"
    for stale in (partial, old):
        intake.remove_tree(stale)
    shutil.copytree(found.folder, partial, symlinks=True)
    final = out / found.id
    if final.exists():
        os.replace(final, old)
    os.replace(partial, final)
    intake.remove_tree(old)


def same_file(a: Path, b: Path, name: str = "grade.json") -> bool:
    try:
        return (a / name).read_bytes() == (b / name).read_bytes()
    except OSError:
        return False


def read_sources(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / SOURCES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def merge(out: Path, folders: Sequence[Path]) -> int:
    """`python -m grader merge OUT SHARD_OUT...`; see the module's docstring."""
    out = Path(out)
    sources = check_sources(out, [Path(f) for f in folders])
    chosen = collect(sources)
    batch.prepare(out)
    recorded = read_sources(out)
    copies = plan(out, chosen, recorded)
    for found in copies:
        copy_student(out, found)
    recorded.update({found.id: str(found.source) for found in chosen.values()
                     if same_file(out / found.id, found.folder)})
    write_atomically(out / SOURCES, json.dumps(recorded, indent=1, sort_keys=True) + "\n")

    students = []
    for folder in finished(out):
        try:
            load_grade(folder / "grade.json")
        except (OSError, ValueError, KeyError, TypeError):
            print(f"warning: left {folder} out of grades.csv: its grade.json cannot be read",
                  file=sys.stderr)
            continue
        students.append(batch.Student(folder.name, folder))
    batch.write_grades_csv(out, students)
    print(f"merged {len(chosen)} students from {len(sources)} folders into {out} "
          f"({len(copies)} copied, {len(chosen) - len(copies)} already there); "
          f"{len(students)} students in {out / 'grades.csv'}", file=sys.stderr)
    for line in missing(sources, set(chosen)):
        print(f"warning: {line}", file=sys.stderr)
    if students:
        class_report.build_class_report(out)
        print(f"class report: {out / class_report.REPORT_HTML}", file=sys.stderr)
    return 0


def missing(sources: list[Path], merged: set[str]) -> list[str]:
    """What the shard.json markers say is missing from this merge: whole shards, and
    students of a shard that were not graded."""
    markers = [m for m in (read_marker(s) for s in sources) if m]
    lines = []
    counts = {parse(m["shard"]).count for m in markers}
    if len(counts) == 1:
        count = counts.pop()
        present = {parse(m["shard"]).index for m in markers}
        absent = [f"{i}/{count}" for i in range(1, count + 1) if i not in present]
        if absent:
            lines.append(f"shard {', '.join(absent)} not among the merged folders: the "
                         "merge is incomplete; merge again with the missing shard's folder")
    elif counts:
        lines.append(f"the folders were sharded with different n "
                     f"({', '.join(map(str, sorted(counts)))}): students may be missing; "
                     "grade every shard of one n")
    ungraded = sorted({s for m in markers for s in m["students"]} - merged)
    if ungraded:
        shown = ", ".join(ungraded[:5]) + (f" and {len(ungraded) - 5} more" if len(ungraded) > 5
                                           else "")
        lines.append(f"{len(ungraded)} students of the merged shards have no grade: {shown}; "
                     "rerun their shard's batch, then merge again")
    return lines
