"""`batch --shard i/n` and `merge`: a class graded in pieces, then put back together."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.instructor import batch, shards

KIT = Path(__file__).resolve().parents[2]


def grader(*args: object, timeout: float = 600, env: dict | None = None
           ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=KIT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def rows(path: Path) -> list[dict]:
    with path.open() as handle:
        return sorted(csv.DictReader(handle), key=lambda row: next(iter(row.values())))


def one_line(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert words in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("text, index, count", [
    ("1/1", 1, 1), ("2/8", 2, 8), ("8/8", 8, 8), (" 3 / 4 ", 3, 4), ("10/12", 10, 12)])
def test_good_shards_parse(text, index, count):
    shard = shards.parse(text)
    assert (shard.index, shard.count) == (index, count)
    assert str(shard) == f"{index}/{count}"


@pytest.mark.parametrize("text, words", [
    ("3/2", "between 1 and 2"), ("0/4", "between 1 and 4"), ("1/0", "at least 1"),
    ("x", "expected i/n"), ("", "expected i/n"), ("-1/2", "expected i/n"),
    ("1/2/3", "expected i/n"), ("1.5/2", "expected i/n"), ("2", "expected i/n")])
def test_bad_shards_are_one_clear_line(text, words):
    with pytest.raises(shards.ShardProblem) as problem:
        shards.parse(text)
    assert words in str(problem.value) and "\n" not in str(problem.value)


def test_a_bad_shard_on_the_command_line_is_one_line_and_grades_nothing(tmp_path):
    (tmp_path / "class" / "ada").mkdir(parents=True)
    done = grader("batch", tmp_path / "class", "--out", tmp_path / "out", "--shard", "3/2")
    one_line(done, "--shard 3/2: i must be between 1 and 2")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------- assignment

IDS = [f"student{k:03d}" for k in range(300)] + ["ada", "Alice_Smith_123", "x@uni.edu", "a-2"]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_shards_partition_the_class(count):
    students = [batch.Student(i, Path(i)) for i in IDS]
    pieces = [shards.Shard(index, count).select(students) for index in range(1, count + 1)]
    ids = [s.id for piece in pieces for s in piece]
    assert sorted(ids) == sorted(IDS)              # every student in exactly one shard
    assert all(piece for piece in pieces)          # and, for 304 students, none empty


def test_a_late_student_moves_no_one(tmp_path):
    for name in ("ada", "bob", "cy.zip", "dee", "Eve Smith_4.zip"):
        (tmp_path / name).mkdir() if "." not in name else (tmp_path / name).write_bytes(b"")
    before = {s.id: shards.shard_of(s.id, 3) for s in batch.find_students(tmp_path)}
    (tmp_path / "late").mkdir()
    (tmp_path / "bob").rmdir()
    after = {s.id: shards.shard_of(s.id, 3) for s in batch.find_students(tmp_path)}
    assert set(after) == set(before) - {"bob"} | {"late"}
    assert all(after[i] == before[i] for i in after if i in before)


def test_the_assignment_is_the_same_in_every_process():
    script = ("from grader.instructor.shards import shard_of; "
              f"print([shard_of(i, 7) for i in {IDS!r}])")
    runs = {subprocess.run([sys.executable, "-c", script], cwd=KIT, capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "random")}
    assert runs == {f"{[shards.shard_of(i, 7) for i in IDS]}\n"}


# ---------------------------------------------------------------------- end to end

def submission(folder: Path, append: dict[str, str] | None = None,
               remove: tuple[str, ...] = ()) -> None:
    folder.mkdir(parents=True)
    for path in (KIT / "solutions").glob("*.py"):
        if path.stem not in remove:
            shutil.copy(path, folder / path.name)
    for module, source in (append or {}).items():
        with (folder / f"{module}.py").open("a") as handle:
            handle.write("\n\n" + textwrap.dedent(source))


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """Four students (ada, bob in shard 1/2; dee, eve in 2/2), graded whole and in shards."""
    root = tmp_path_factory.mktemp("sharded")
    klass = root / "class"
    submission(klass / "ada")
    submission(klass / "bob", append={"losses": """
        def mse(y_pred, y):
            return float(np.sum((y_pred - y) ** 2))
    """})
    submission(klass / "dee", remove=("minima",))
    (klass / "eve.zip").write_bytes(b"garbage")
    assert [shards.shard_of(i, 2) for i in ("ada", "bob", "dee", "eve")] == [1, 1, 2, 2]
    runs = {}
    for name, extra in (("whole", ()), ("s1", ("--shard", "1/2")), ("s2", ("--shard", "2/2"))):
        runs[name] = grader("batch", klass, "--out", root / name, "-j", "2", "--tests",
                            "public", *extra)
        assert runs[name].returncode == 0, runs[name].stderr
    merged = grader("merge", root / "merged", root / "s1", root / "s2")
    return root, runs, merged


def test_a_shard_grades_only_its_students(sharded):
    root, runs, _ = sharded
    assert [r["student"] for r in rows(root / "s1" / "grades.csv")] == ["ada", "bob"]
    assert [r["student"] for r in rows(root / "s2" / "grades.csv")] == ["dee", "eve"]
    assert "shard 1/2: 2 of the class's 4 students" in runs["s1"].stderr
    assert not (root / "s1" / "dee").exists()
    report = json.loads((root / "s2" / "class_report.json").read_text())
    assert report["summary"]["students"] == 2
    marker = json.loads((root / "s1" / shards.MARKER).read_text())
    assert marker == {"shard": "1/2", "class_size": 4, "students": ["ada", "bob"]}


def test_merged_shards_equal_one_batch_of_the_whole_class(sharded):
    root, _, merged = sharded
    assert merged.returncode == 0, merged.stderr
    assert "warning" not in merged.stderr
    for name in ("grades.csv", "lms_grades.csv"):
        assert rows(root / "merged" / name) == rows(root / "whole" / name), name
    assert len(rows(root / "merged" / "grades.csv")) == 4
    report = json.loads((root / "merged" / "class_report.json").read_text())
    assert report["summary"]["students"] == 4
    assert (root / "merged" / "class_report.html").is_file()
    for student in ("ada", "bob", "dee", "eve"):
        assert (root / "merged" / student / "feedback.html").is_file()
    assert not list((root / "merged").glob(".partial-*"))


def test_merge_again_changes_nothing(sharded):
    root, _, _ = sharded
    merged = root / "merged"
    stamps = {p.name: p.stat().st_mtime_ns for p in merged.glob("*/grade.json")}
    before = (merged / "grades.csv").read_text()
    again = grader("merge", merged, root / "s1", root / "s2", root / "s1")
    assert again.returncode == 0, again.stderr
    assert "0 copied, 4 already there" in again.stderr
    assert (merged / "grades.csv").read_text() == before
    assert {p.name: p.stat().st_mtime_ns for p in merged.glob("*/grade.json")} == stamps


def test_merge_one_shard_at_a_time_and_says_what_is_missing(sharded, tmp_path):
    root, _, _ = sharded
    first = grader("merge", tmp_path / "out", root / "s1")
    assert first.returncode == 0, first.stderr
    assert "shard 2/2 not among the merged folders" in first.stderr
    assert [r["student"] for r in rows(tmp_path / "out" / "grades.csv")] == ["ada", "bob"]
    second = grader("merge", tmp_path / "out", root / "s2")
    assert second.returncode == 0, second.stderr
    assert rows(tmp_path / "out" / "grades.csv") == rows(root / "whole" / "grades.csv")


def test_a_missing_or_wrong_path_is_one_line_and_loses_nothing(sharded, tmp_path):
    root, _, _ = sharded
    out = tmp_path / "out"
    assert grader("merge", out, root / "s1").returncode == 0
    before = (out / "grades.csv").read_text()
    not_a_batch = tmp_path / "empty"
    not_a_batch.mkdir()
    for wrong, words in ((tmp_path / "nowhere", "not a folder"),
                         (not_a_batch, "not the --out folder of a batch"),
                         (out, "merge's own OUT folder")):
        done = grader("merge", out, root / "s2", wrong)
        one_line(done, words)
        assert (out / "grades.csv").read_text() == before
        assert not (out / "dee").exists()


def test_one_student_with_two_different_grades_stops_the_merge(sharded, tmp_path):
    root, _, _ = sharded
    rogue = tmp_path / "rogue"
    shutil.copytree(root / "s1" / "ada", rogue / "ada")
    grade = json.loads((rogue / "ada" / "grade.json").read_text())
    grade["checks"][0]["score"] = 0
    grade["checks"][0]["passed"] = False
    (rogue / "ada" / "grade.json").write_text(json.dumps(grade))
    done = grader("merge", tmp_path / "out", root / "s1", rogue)
    one_line(done, "ada has different grades in")
    assert not (tmp_path / "out" / "ada").exists()
    assert grader("merge", tmp_path / "out", root / "s1").returncode == 0
    later = grader("merge", tmp_path / "out", rogue)
    one_line(later, "different grade from the one already in")
    assert rows(tmp_path / "out" / "grades.csv")[0]["score"] == rows(
        root / "s1" / "grades.csv")[0]["score"]


def test_an_empty_shard_succeeds_with_an_empty_grades_csv(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ada.zip").write_bytes(b"garbage")
    other = 3 - shards.shard_of("ada", 2)
    done = grader("batch", tmp_path / "class", "--out", tmp_path / "out", "--shard", f"{other}/2")
    assert done.returncode == 0, done.stderr
    assert f"shard {other}/2: 0 of the class's 1 students" in done.stderr
    assert (tmp_path / "out" / "grades.csv").read_text().startswith("student,score,max_score")
    assert rows(tmp_path / "out" / "grades.csv") == []
    assert not (tmp_path / "out" / "class_report.json").exists()
    merged = grader("merge", tmp_path / "merged", tmp_path / "out")
    assert merged.returncode == 0, merged.stderr
    assert "0 students in" in merged.stderr and "no grade" not in merged.stderr
    assert rows(tmp_path / "merged" / "grades.csv") == []
