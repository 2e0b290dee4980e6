"""Hostile input to intake, batch and the reports (issue 11, attacks 2, 3, 12, 13, 16, 17).

Each test builds the hostile submission, runs the part of the grader it attacks and
asserts the outcome: nothing outside the submission is read (no link is followed, no
FIFO or device is read), no notebook can crash or exhaust the grading process, no
student's name can take a report's place, and no learner text can close a Markdown
fence. Staging that could hang or blow up without its defence runs in a child process
with a memory limit and a deadline, so a regression fails the test instead of the run.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from grader import intake
from grader.instructor import batch, shards
from grader.intake import files, notebooks, staging, zips
from grader.reports import formats
from grader.reports.results import CheckResult, GradeResult

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

KIT = Path(__file__).resolve().parents[2]
ROOT = os.geteuid() == 0
FORGED = "Total: 224 / 224 -- regraded by the instructor"
PAYLOAD = f"``\x00`\n# {FORGED}\n<img src=x onerror=alert(1)>\n"
DERIVATIVES = ("import numpy as np\n\n"
               "def forward_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n\n"
               "def central_difference(f, x, h=1e-5):\n"
               "    return (f(x + h) - f(x - h)) / (2 * h)\n")
LOSSES = "def mse(y_pred, y):\n    return float(((y_pred - y) ** 2).mean())\n"

STAGE_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from grader import intake
try:
    staged = intake.stage(Path(sys.argv[2]))
except intake.NotASubmission as problem:
    print(json.dumps({"refused": str(problem)}))
else:
    files = {p.name: p.read_text(errors="replace") for p in staged.folder.glob("*.py")}
    print(json.dumps({"files": files, "notes": staged.notes}))
    staged.close()
"""


# ------------------------------------------------------------------------- helpers

def notebook_json(*cells: str | dict) -> str:
    """An nbformat 4 notebook of code cells (a str is a cell's source)."""
    made = [cell if isinstance(cell, dict) else
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": cell} for cell in cells]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": made})


def write_notebook(path: Path, *cells: str | dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_json(*cells))
    return path


def stage_in_child(path: Path, seconds: float = 60) -> dict:
    """intake.stage(path) in a child limited to 1 GB and `seconds`: {"files", "notes"} or
    {"refused": the one line}. A hang or a blow-up fails the test, not the run."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STAGE_CHILD, str(KIT), str(path)],
                          capture_output=True, text=True, timeout=seconds,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    reply = json.loads(done.stdout.splitlines()[-1])
    reply["seconds"] = time.monotonic() - started
    return reply


def grader_cli(*args: object, timeout: float = 120, tmpdir: Path | None = None
               ) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TMPDIR": str(tmpdir)} if tmpdir else None
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=KIT,
                          capture_output=True, text=True, timeout=timeout, env=environment,
                          stdin=subprocess.DEVNULL)


def assert_one_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-1500:])
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("note:")]
    assert len(lines) == 1, done.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def secret_file(folder: Path) -> tuple[Path, str]:
    """A root-only (0600) file that is also a valid notebook defining mse, with a token."""
    token = f"TOKEN=s3cret-{uuid.uuid4().hex[:10]}"
    path = folder / "secret.txt"
    path.write_text(notebook_json(f"# {token}\n" + LOSSES))
    path.chmod(0o600)
    return path, token


@pytest.fixture
def shared_tmp():
    """A TMPDIR a worker's uid may enter (as the hostile suite's), removed afterwards."""
    folder = Path("/tmp") / f"hostile-intake-{uuid.uuid4().hex[:10]}"
    folder.mkdir()
    folder.chmod(0o711)
    yield folder
    intake.remove_tree(folder)


def lines_outside_fences(markdown: str) -> list[str]:
    """The lines of markdown that CommonMark renders outside fenced code blocks.

    A fence opens with 3+ backticks (no backtick in its info string) or tildes, indented
    at most 3 spaces; it closes with a run of the same character at least as long and
    nothing but spaces after it. Lines end at LF, CRLF or a lone CR.
    """
    fence_line = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
    outside, fence = [], ""
    for line in re.split(r"\r\n|\r|\n", markdown):
        match = fence_line.match(line)
        if not fence:
            if match and not (match[1][0] == "`" and "`" in match[2]):
                fence = match[1]
            else:
                outside.append(line)
        elif (match and match[1][0] == fence[0] and len(match[1]) >= len(fence)
              and not match[2].strip()):
            fence = ""
    return outside


# ============================================= attacks 2, 3, 12: links, FIFOs, devices

def test_a_submission_that_is_a_symlink_to_a_folder_of_notebooks_is_refused(tmp_path):
    bob = tmp_path / "bob"
    write_notebook(bob / "derivatives.ipynb", DERIVATIVES)
    write_notebook(bob / "losses.ipynb", LOSSES)
    (tmp_path / "hw").symlink_to(bob, target_is_directory=True)
    (tmp_path / "hw.ipynb").symlink_to(bob / "derivatives.ipynb")
    for link in ("hw", "hw.ipynb"):
        reply = stage_in_child(tmp_path / link)
        assert "files" not in reply, reply
        assert "is a symbolic link" in reply["refused"] and link in reply["refused"]
    assert stage_in_child(bob)["files"].keys() == {"derivatives.py", "losses.py"}


def test_grade_of_a_symlinked_submission_is_one_line_and_writes_nothing(tmp_path):
    write_notebook(tmp_path / "bob" / "derivatives.ipynb", DERIVATIVES)
    (tmp_path / "hw").symlink_to(tmp_path / "bob", target_is_directory=True)
    done = grader_cli("grade", tmp_path / "hw", "--out", tmp_path / "out")
    assert_one_line(done, "hw", "symbolic link")
    assert not (tmp_path / "out" / "grade.json").exists()


def test_a_symlinked_subfolder_of_notebooks_is_not_followed(tmp_path):
    """eve/hw -> ../bob: eve must not be graded with bob's notebooks."""
    write_notebook(tmp_path / "bob" / "derivatives.ipynb", DERIVATIVES)
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / "hw").symlink_to("../bob", target_is_directory=True)
    reply = stage_in_child(tmp_path / "eve")
    assert "files" not in reply
    assert "hw is a symbolic link" in reply["refused"]
    assert "holds none of the exercise modules" in reply["refused"]
    # the same with modules: a linked sub-folder of .py files is not followed either
    (tmp_path / "bob" / "losses.py").write_text(LOSSES)
    (tmp_path / "mallory").mkdir()
    (tmp_path / "mallory" / "hw").symlink_to(tmp_path / "bob", target_is_directory=True)
    assert "hw is a symbolic link" in stage_in_child(tmp_path / "mallory")["refused"]


def test_notebooks_that_are_links_to_dev_zero_or_a_root_only_file_are_never_read(tmp_path):
    secret, token = secret_file(tmp_path)
    folder = tmp_path / "student"
    write_notebook(folder / "derivatives.ipynb", DERIVATIVES)
    (folder / "losses.ipynb").symlink_to(secret)
    (folder / "minima.ipynb").symlink_to("/dev/zero")
    (folder / "sub").mkdir()
    (folder / "sub" / "chain_rule.ipynb").symlink_to("/dev/urandom")
    reply = stage_in_child(folder, seconds=60)
    assert set(reply["files"]) == {"derivatives.py"}
    for name in ("losses.ipynb", "minima.ipynb", "sub/chain_rule.ipynb"):
        assert f"{name} is a symbolic link and was not graded" in reply["notes"], reply
    assert token not in json.dumps(reply)
    assert reply["seconds"] < 30
    # and alone, as the whole submission: one line, nothing read
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    assert "is a symbolic link" in stage_in_child(tmp_path / "zero.ipynb")["refused"]


def test_fifos_and_devices_named_like_notebooks_or_modules_are_not_read(tmp_path):
    folder = tmp_path / "student"
    write_notebook(folder / "derivatives.ipynb", DERIVATIVES)
    os.mkfifo(folder / "losses.ipynb")
    os.mkfifo(folder / "x.ipynb")
    reply = stage_in_child(folder, seconds=30)
    assert set(reply["files"]) == {"derivatives.py"}
    assert "losses.ipynb is not a regular file and was not graded" in reply["notes"]
    assert "x.ipynb is not a regular file and was not graded" in reply["notes"]
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "derivatives.py").write_text(DERIVATIVES)
    os.mkfifo(modules / "losses.py")
    reply = stage_in_child(modules, seconds=30)
    assert set(reply["files"]) == {"derivatives.py"}
    assert "losses.py is not a regular file and was not graded" in reply["notes"]
    os.mkfifo(tmp_path / "alone.ipynb")
    assert "not a regular file" in stage_in_child(tmp_path / "alone.ipynb")["refused"]
    if ROOT:       # a device node inside a submission (a class tarball unpacked as root)
        os.mknod(folder / "gradients.ipynb", stat.S_IFCHR | 0o644, os.makedev(1, 5))
        reply = stage_in_child(folder, seconds=30)
        assert "gradients.ipynb is not a regular file and was not graded" in reply["notes"]


def test_py_modules_that_are_links_to_a_root_only_file_or_a_device_are_not_read(tmp_path):
    secret = tmp_path / "secret.py"
    token = f"TOKEN=s3cret-{uuid.uuid4().hex[:10]}"
    secret.write_text(f"{LOSSES}\nLEAK = '{token}'\n")
    secret.chmod(0o600)
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "derivatives.py").write_text(DERIVATIVES)
    (folder / "losses.py").symlink_to(secret)
    (folder / "minima.py").symlink_to("/dev/zero")
    reply = stage_in_child(folder, seconds=30)
    assert set(reply["files"]) == {"derivatives.py"}
    assert "losses.py is a symbolic link and was not graded" in reply["notes"]
    assert "minima.py is a symbolic link and was not graded" in reply["notes"]
    assert token not in json.dumps(reply)


def test_the_file_opener_refuses_links_fifos_and_devices_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to("/dev/zero")
    for name, words in (("fifo", "not a regular file"), ("link", "symbolic link"),
                        ("/dev/zero", "not a regular file")):
        with pytest.raises(files.Unreadable, match=words):
            files.open_regular(tmp_path / name)
    target = tmp_path / "copy"
    with pytest.raises(files.TooLarge):
        (tmp_path / "big").write_bytes(b"x" * 2000)
        files.copy_regular(str(tmp_path / "big"), None, target, 1000)
    assert not target.exists()


def test_a_folder_of_more_than_64_mb_of_modules_is_one_line(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "derivatives.py").write_text(DERIVATIVES)
    filler = b"#" * (1000 << 10) + b"\n"
    for number in range(70):
        (folder / f"padding_{number:02d}.py").write_bytes(filler)
    reply = stage_in_child(folder)
    assert reply["refused"] == f"{folder}: holds more than 64 MB of code"


def test_a_symlinked_zip_member_is_not_graded(tmp_path):
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hw/derivatives.ipynb", notebook_json(DERIVATIVES))
        link = zipfile.ZipInfo("hw/losses.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "../../bob/losses.ipynb")
    reply = stage_in_child(archive)
    assert set(reply["files"]) == {"derivatives.py"}
    assert "hw/losses.ipynb is a symbolic link and was not graded" in reply["notes"]


# ============================================= attack 13: notebooks that crash the parser

def test_a_30000_term_sum_cell_is_left_out_with_a_note(tmp_path):
    path = write_notebook(tmp_path / "derivatives.ipynb", DERIVATIVES,
                          "total = " + " + ".join(["1"] * 30_000), "y = 2")
    reply = stage_in_child(path)
    assert "central_difference" in reply["files"]["derivatives.py"]
    assert "y = 2" in reply["files"]["derivatives.py"]
    assert reply["notes"] == ["derivatives.ipynb, cell 2 was left out: its code is nested "
                              "too deeply (or is too large) to be parsed"]
    # in this process too, extraction never lets RecursionError out
    assert notebooks.extract_notebook(path, tmp_path / "out") == ["derivatives.py"]


def test_a_3_mb_list_literal_is_left_out_by_the_cell_cap_and_code_is_capped_in_all(tmp_path):
    huge = "data = [" + "1, " * 1_000_000 + "]"
    large = "table = [" + "1, " * 60_000 + "]"          # 180 KB: parsed, within the caps
    path = write_notebook(tmp_path / "derivatives.ipynb", DERIVATIVES, huge,
                          *[large] * 7, "tail = 1")
    reply = stage_in_child(path, seconds=120)
    notes = reply["notes"]
    assert notes[0] == ("derivatives.ipynb, cell 2 was left out: 3,000,009 characters of "
                        "code (at most 200,000 in a cell)")
    assert any("passes 1 MB" in note for note in notes), notes
    text = reply["files"]["derivatives.py"]
    assert "central_difference" in text and "tail = 1" in text
    assert len(text) < 1.2 * 2**20
    assert reply["seconds"] < 60


def test_the_reader_child_runs_under_memory_cpu_and_file_limits(tmp_path, monkeypatch):
    path = write_notebook(tmp_path / "derivatives.ipynb", DERIVATIVES)
    probe = ("import sys, json, resource; sys.path.insert(0, sys.argv[1]); "
             "from grader.intake.notebooks import limit_reader; limit_reader(); "
             "print('ready'); print(json.dumps({'error': json.dumps([resource.getrlimit(r)[0] "
             "for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_CORE)])}))")
    monkeypatch.setattr(notebooks, "READER_BOOT", probe)
    with pytest.raises(ValueError) as limits:
        notebooks.extract_isolated(path, tmp_path / "out")
    assert json.loads(str(limits.value)) == [notebooks.READER_MEMORY_BYTES,
                                             notebooks.READER_CPU_SECONDS, 0]


@pytest.mark.parametrize("boot, words", [
    ("print('ready', flush=True); import os; os.kill(os.getpid(), 9)", "too large or too"),
    ("print('ready', flush=True); import os, signal; os.kill(os.getpid(), signal.SIGXCPU)",
     "s of CPU"),
    ("print('ready', flush=True); import time; time.sleep(30)", "took longer than 1 s"),
], ids=["killed", "cpu-limit", "wall-clock"])
def test_a_reader_that_dies_or_overruns_is_the_notebooks_zero_not_a_crash(
        tmp_path, monkeypatch, boot, words):
    path = write_notebook(tmp_path / "derivatives.ipynb", DERIVATIVES)
    monkeypatch.setattr(notebooks, "READER_BOOT", boot)
    monkeypatch.setattr(notebooks, "READER_WALL_SECONDS", 1)
    with pytest.raises(intake.NotASubmission, match=words):
        intake.stage(path)
    folder = tmp_path / "folder"
    write_notebook(folder / "derivatives.ipynb", DERIVATIVES)
    written, notes = notebooks.extract_notebooks(folder, tmp_path / "out", isolated=True)
    assert written == [] and "derivatives.ipynb was not graded" in notes[0]


@pytest.mark.parametrize("boot", [
    "raise SystemExit(3)",
    "print('ready'); print('{\"fault\": \"AttributeError: a bug of ours\"}')",
], ids=["cannot-start", "own-bug"])
def test_a_reader_that_cannot_start_is_the_graders_fault(tmp_path, monkeypatch, boot):
    from grader.problems import GraderFault
    path = write_notebook(tmp_path / "derivatives.ipynb", DERIVATIVES)
    monkeypatch.setattr(notebooks, "READER_BOOT", boot)
    with pytest.raises(GraderFault, match="notebook reader"):
        intake.stage(path)


@pytest.mark.parametrize("content, words", [
    ('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}", "nested too deeply"),
    (json.dumps({"cells": [{}] * 20_000}), "has 20000 cells"),
    (b'{"cells": ["caf\xe9"]}', "not UTF-8"),
    ("{ not json", "not a Jupyter notebook"),
    ('{"cells": [], "n": ' + "9" * 5000 + "}", "Exceeds the limit"),
], ids=["deep-json", "huge-cells-field", "not-utf8", "not-json", "5000-digit-number"])
def test_malformed_notebooks_are_one_line(tmp_path, content, words):
    path = tmp_path / "losses.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    reply = stage_in_child(path)
    assert words in reply["refused"] and "\n" not in reply["refused"]
    with pytest.raises(ValueError, match=re.escape(words)):   # and in this process too
        notebooks.extract_notebook(path, tmp_path / "out")


def test_hostile_cell_shapes_do_not_crash_extraction(tmp_path):
    path = write_notebook(
        tmp_path / "losses.ipynb",
        {"cell_type": "code", "metadata": [1, 2], "source": LOSSES},
        {"cell_type": "code", "metadata": {"nbgrader": "locked"}, "source": "a = 1"},
        {"cell_type": "code", "metadata": {}, "source": [1, {"x": 2}, "b = 2\n"]},
        {"cell_type": "code", "metadata": {}, "source": "s = '\ud800'"},
        {"cell_type": "code", "metadata": {}, "source": "z = 1\x00"})
    written, notes = notebooks.extract_notebooks(path, tmp_path / "out")
    text = (tmp_path / "out" / "losses.py").read_text()
    assert written == ["losses.py"] and "def mse" in text and "b = 2" in text
    assert notes == ["losses.ipynb, cell 4 was left out: it holds characters that are not "
                     "valid Unicode", "losses.ipynb, cell 5 was left out: it holds a NUL byte"]
    compile(text, "losses.py", "exec")          # one bad cell never sinks the module
    worksheets = tmp_path / "old.ipynb"
    worksheets.write_text(json.dumps({"worksheets": [{"cells": 5}, {"cells": [
        {"cell_type": "code", "input": LOSSES}]}]}))
    assert notebooks.extract_notebook(worksheets, tmp_path / "v3") == ["losses.py"]


def test_a_notebook_with_31_mb_of_outputs_is_read_and_a_33_mb_one_refused(tmp_path):
    image = {"output_type": "display_data", "metadata": {},
             "data": {"image/png": "A" * (31 << 20)}}
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [image],
            "source": DERIVATIVES}
    path = write_notebook(tmp_path / "derivatives.ipynb", cell)
    reply = stage_in_child(path, seconds=60)
    assert "central_difference" in reply["files"]["derivatives.py"]
    assert reply["seconds"] < 30
    image["data"]["image/png"] = "A" * (33 << 20)
    write_notebook(path, cell)
    assert "at most 32 MB" in stage_in_child(path)["refused"]


def test_a_notebook_named_with_bytes_that_are_not_utf8_is_graded(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    name = os.fsdecode(b"derivatives-\xff\xfe.ipynb")
    (folder / name).write_text(notebook_json(DERIVATIVES))
    reply = stage_in_child(folder)
    assert "central_difference" in reply["files"]["derivatives.py"]


# ============================================= zips: tables of contents, names, methods

def zip_with_entries(path: Path, count: int) -> Path:
    """A zip whose table of contents lists count empty members (built directly: fast)."""
    local, central = bytearray(), bytearray()
    for number in range(count):
        name = f"f{number}.txt".encode()
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0,
                             len(name), 0) + name
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, 0,
                               0, len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF),
                      min(count, 0xFFFF), len(central), len(local), 0)
    path.write_bytes(bytes(local + central) + end)
    return path


def test_a_zip_with_a_huge_table_of_contents_is_refused_before_it_is_parsed(tmp_path,
                                                                             monkeypatch):
    archive = zip_with_entries(tmp_path / "many.zip", 60_000)
    parsed = []
    real = zipfile.ZipFile.__init__
    monkeypatch.setattr(zipfile.ZipFile, "__init__",
                        lambda self, *a, **k: parsed.append(1) or real(self, *a, **k))
    with pytest.raises(intake.NotASubmission, match="60000 entries"):
        intake.stage(archive)
    assert parsed == []
    with archive.open("rb") as handle:
        assert zips.table_of_contents(handle) == (
            60_000, sum(46 + len(f"f{n}.txt") for n in range(60_000)))


@pytest.mark.parametrize("damage", ["utf8-flagged-name", "unknown-method", "bad-deflate"])
def test_damaged_zips_are_one_line_not_a_traceback(tmp_path, damage):
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("derivatives.py", DERIVATIVES * 20)
        zipped.writestr("lossés.py" if damage == "utf8-flagged-name" else "losses.py", LOSSES)
    data = bytearray(archive.read_bytes())
    if damage == "utf8-flagged-name":
        data = data.replace("é".encode(), b"\xff\xfe")
    elif damage == "unknown-method":
        for at in [m.start() for m in re.finditer(rb"PK\x03\x04", data)]:
            data[at + 8:at + 10] = struct.pack("<H", 99)
        for at in [m.start() for m in re.finditer(rb"PK\x01\x02", data)]:
            data[at + 10:at + 12] = struct.pack("<H", 99)
    else:
        at = data.index(b"derivatives.py") + len("derivatives.py")
        data[at + 5:at + 40] = b"\xff" * 35
    archive.write_bytes(bytes(data))
    reply = stage_in_child(archive)
    assert "zip file is damaged" in reply["refused"], reply


def test_notebook_members_nested_deep_in_a_zip_are_skipped_with_a_note(tmp_path):
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hw/derivatives.ipynb", notebook_json(DERIVATIVES))
        zipped.writestr("/".join(["d"] * 30) + "/losses.ipynb", notebook_json(LOSSES))
    reply = stage_in_child(archive)
    assert set(reply["files"]) == {"derivatives.py"}
    assert any("sits too deep in the archive" in note for note in reply["notes"])


# ============================================= attack 16: report names as student ids

def test_report_names_are_never_student_ids(tmp_path):
    classroom = tmp_path / "class"
    for name in ("grades.csv", "LMS_Grades.CSV", "class_report.html", "shard.json",
                 "student-grades.csv", "ada", "x" * 250):
        (classroom / name).mkdir(parents=True)
    (classroom / "class_report.json.zip").write_bytes(b"PK")
    students = batch.find_students(classroom)
    ids = {s.path.name: s.id for s in students}
    assert ids["grades.csv"] == "student-grades.csv-2"   # a rename never takes a real name
    assert ids["student-grades.csv"] == "student-grades.csv"
    assert ids["LMS_Grades.CSV"] == "student-LMS_Grades.CSV"
    assert ids["class_report.json.zip"] == "student-class_report.json"
    assert ids["ada"] == "ada"
    assert len(ids["x" * 250]) <= batch.MAX_ID_CHARS
    assert not {i.lower() for i in ids.values()} & batch.REPORT_NAMES
    assert shards.MARKER in batch.REPORT_NAMES
    assert len(set(ids.values())) == len(ids)
    assert [s.path.name for s in students] == sorted(ids)
    assert all(("graded as" in s.note) == (s.id != s.path.name.removesuffix(".zip"))
               for s in students)


def test_a_report_name_already_a_folder_in_out_is_one_line_and_merge_skips_it(tmp_path):
    out = tmp_path / "out"
    (out / "grades.csv").mkdir(parents=True)
    with pytest.raises(batch.BatchProblem, match="grades.csv is a folder"):
        batch.prepare(out)
    (out / "grades.csv" / "grade.json").write_text("{}")
    (out / "ada").mkdir()
    (out / "ada" / "grade.json").write_text("{}")
    assert [p.name for p in shards.finished(out)] == ["ada"]


# ============================================= attack 17: Markdown fences

@pytest.mark.parametrize("payload", [
    PAYLOAD,
    f"`\x01`\x02`\r# {FORGED}\r<b>raw</b>",
    f"\x00```\x00`\x1b\n# {FORGED}\n",
    f"````\x00\n# {FORGED}\n~~~\n# {FORGED}\n",
    f"\x00`\x00`\x00`\x00`\x00`\r\n# {FORGED}",
], ids=["nul", "controls-and-cr", "escape", "long-runs", "spaced"])
def test_learner_text_never_closes_its_markdown_fence(tmp_path, payload):
    assert not [line for line in lines_outside_fences(formats.md_code_block(payload))
                if FORGED in line]
    check = CheckResult(number=1, name="losses: mse of equal arrays is 0", module="losses",
                        suite="public", score=0.0, max_score=2.0, passed=False,
                        message=payload, kind="check")
    result = GradeResult(student="eve", suites="public", checks=[check], output=payload * 3,
                         notes=[payload])
    (tmp_path / "plots").mkdir()
    formats.write_report(result, tmp_path)
    markdown = (tmp_path / "feedback.md").read_text()
    assert markdown.count(FORGED) >= 2            # the payload is shown, inside fences
    outside = lines_outside_fences(markdown)
    # outside fences the payload appears only as an escaped note: no heading, no raw HTML
    assert not [line for line in outside if FORGED in line and not line.startswith("- ")]
    assert not [line for line in outside if re.search(r"(?<!\\)<(img|b)\b", line)]
    page = (tmp_path / "feedback.html").read_text()
    assert "<img src=x" not in page and "<b>raw" not in page and "\x00" not in page
    output = json.loads((tmp_path / "results.json").read_text())["tests"][0]["output"]
    assert not [line for line in lines_outside_fences(output) if FORGED in line]


# ============================================= stale staging folders, remove_tree

DEAD_GRADE = """
import os, sys, tempfile
sys.path.insert(0, sys.argv[1])
tempfile.tempdir = sys.argv[2]
from grader import intake
staged = intake.new_staging()
staged.folder.mkdir()
(staged.folder / "derivatives.py").write_text("x = 1")
print(staged.folder.parent, flush=True)
os.kill(os.getpid(), 9)
"""


def killed_grade(base: Path) -> Path:
    """The staging folder of a grade killed with SIGKILL (its lock died with it)."""
    done = subprocess.run([sys.executable, "-c", DEAD_GRADE, str(KIT), str(base)],
                          capture_output=True, text=True, timeout=60)
    folder = Path(done.stdout.strip())
    assert done.returncode == -9 and folder.is_dir(), done.stderr
    return folder


def test_the_sweep_removes_staging_of_dead_grades_only(tmp_path, monkeypatch):
    base = tmp_path / "tmp"
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    live = intake.new_staging()
    dead = killed_grade(base)
    old = base / "calcgrader-intake-old"
    old.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    fresh = base / "calcgrader-intake-being-made"
    fresh.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (base / "calcgrader-intake-link").symlink_to(outside, target_is_directory=True)
    (base / "unrelated").mkdir()
    if ROOT:            # another user's folder, with a lock nobody holds: not ours
        other = base / "calcgrader-intake-other"
        other.mkdir()
        (other / staging.LOCK_NAME).touch()
        os.chown(other, 65534, 65534)
    removed = intake.sweep_stale_staging()
    assert sorted(removed) == sorted([dead, old])
    assert not dead.exists() and not old.exists()
    assert live.folder.parent.is_dir() and fresh.is_dir() and (base / "unrelated").is_dir()
    assert (outside / "keep.txt").read_text() == "keep"
    assert not ROOT or (base / "calcgrader-intake-other").is_dir()
    live_folder = live.folder.parent
    live.close()
    assert not live_folder.exists()


def nested(root: Path, depth: int) -> None:
    """root/d/d/.../d (depth folders) with a file at the bottom, made relative to
    descriptors: the path is longer than PATH_MAX."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
    os.close(fd)


def test_remove_tree_removes_3000_nested_folders(tmp_path):
    root = tmp_path / "deep"
    root.mkdir()
    nested(root, 3000)
    started = time.monotonic()
    try:
        assert intake.remove_tree(root) is True
        assert not root.exists() and time.monotonic() - started < 60
    finally:        # pytest's own clean-up of tmp_path recurses: never leave the tree
        subprocess.run(["rm", "-rf", str(root)], timeout=120)


def test_remove_tree_never_follows_links_and_removes_what_learners_close(tmp_path):
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "keep.txt").write_text("keep")
    (outside / "inner" / "keep.txt").write_text("keep")
    tree = tmp_path / "tree"
    (tree / "a" / "closed").mkdir(parents=True)
    (tree / "a" / "closed" / "f").write_text("x")
    (tree / "a" / "closed").chmod(0)
    (tree / "a" / "to-folder").symlink_to(outside, target_is_directory=True)
    (tree / "to-file").symlink_to(outside / "keep.txt")
    (tree / "to-inner").symlink_to(outside / "inner", target_is_directory=True)
    os.mkfifo(tree / "a" / "fifo")
    for number in range(2000):
        (tree / f"file{number}").touch()
    link = tmp_path / "link-to-outside"
    link.symlink_to(outside, target_is_directory=True)
    assert intake.remove_tree(tree) and not tree.exists()
    assert intake.remove_tree(link) and not os.path.lexists(link)
    assert (outside / "keep.txt").read_text() == "keep"
    assert (outside / "inner" / "keep.txt").read_text() == "keep"
    assert intake.remove_tree(tmp_path / "nowhere") is True


# ============================================= the whole batch, end to end

def test_a_hostile_class_is_graded_with_zeros_reasons_and_no_clobbered_report(tmp_path,
                                                                               shared_tmp):
    classroom = tmp_path / "class"
    bob_code = (DERIVATIVES + "\n_reference_central = central_difference\n\n"
                "def central_difference(f, x, h=1e-5):\n"
                f"    print({PAYLOAD!r})\n"
                "    return _reference_central(f, x, h)\n")
    for name in ("bob", "grades.csv"):
        write_notebook(classroom / name / "derivatives.ipynb", bob_code)
    (classroom / "eve").mkdir()
    (classroom / "eve" / "hw").symlink_to("../bob", target_is_directory=True)
    (classroom / "mallory").symlink_to(classroom / "bob", target_is_directory=True)
    trudy = classroom / "trudy"
    write_notebook(trudy / "derivatives.ipynb", DERIVATIVES,
                   "total = " + " + ".join(["1"] * 30_000))
    (trudy / "losses.ipynb").symlink_to("/dev/zero")
    os.mkfifo(trudy / "minima.ipynb")
    dead = killed_grade(shared_tmp)
    out = tmp_path / "out"
    done = grader_cli("batch", classroom, "--out", out, "-j", "2", "--tests", "public",
                      timeout=600, tmpdir=shared_tmp)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "grades.csv is graded as student-grades.csv" in done.stderr
    assert (out / "grades.csv").is_file() and (out / "class_report.html").is_file()
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"bob", "eve", "mallory", "student-grades.csv", "trudy"}
    assert float(rows["bob"]["derivatives"]) > 0
    assert rows["student-grades.csv"]["score"] == rows["bob"]["score"]
    assert float(rows["trudy"]["derivatives"]) > 0
    for student, words in (("eve", "hw is a symbolic link"), ("mallory", "symbolic link")):
        assert float(rows[student]["score"]) == 0
        notes = json.loads((out / student / "grade.json").read_text())["notes"]
        assert any(words in note for note in notes), notes
    trudy_notes = json.loads((out / "trudy" / "grade.json").read_text())["notes"]
    for words in ("losses.ipynb is a symbolic link", "minima.ipynb is not a regular file",
                  "cell 2 was left out"):
        assert any(words in note for note in trudy_notes), trudy_notes
    markdown = (out / "bob" / "feedback.md").read_text()
    assert FORGED in markdown
    assert not [line for line in lines_outside_fences(markdown) if FORGED in line]
    assert "<img src=x" not in (out / "bob" / "feedback.html").read_text()
    assert not dead.exists()
    assert not list(shared_tmp.glob(f"{intake.STAGING_PREFIX}*"))
    again = grader_cli("batch", classroom, "--out", out, "--tests", "public", timeout=300,
                       tmpdir=shared_tmp)
    assert again.returncode == 0 and "already graded" in again.stderr, again.stderr[-2000:]


# ============================================= many slow notebooks (white-box attacker)

def test_a_submission_of_many_notebooks_is_read_only_so_far(tmp_path, monkeypatch):
    """Notebooks that each take the reader's whole limit: a submission's notebooks are
    read at most MAX_NOTEBOOKS at a time and within READING_BUDGET_SECONDS in all (those
    named after a module first), the rest noted, so no submission holds a grade for the
    sum of every notebook's limits."""
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(notebooks.MAX_NOTEBOOKS + 5):
        write_notebook(folder / f"scratch{number:02}.ipynb", "x = 1")
    write_notebook(folder / "losses.ipynb", LOSSES)
    written, notes = notebooks.extract_notebooks(folder, tmp_path / "out")
    assert written == ["losses.py"]                    # the named one was read first
    assert notes[-1].startswith("6 more notebooks were not read: at most "
                                f"{notebooks.MAX_NOTEBOOKS} notebooks")
    read = notebooks.extract_with_notes

    def reader_at_its_limit(path, target):          # as a notebook that takes the limit
        time.sleep(0.3)
        return read(path, target)
    monkeypatch.setattr(notebooks, "extract_with_notes", reader_at_its_limit)
    monkeypatch.setattr(notebooks, "READING_BUDGET_SECONDS", 0.5)
    written, notes = notebooks.extract_notebooks(folder, tmp_path / "out2")
    left = int(re.match(r"(\d+) more notebooks were not read", notes[-1]).group(1))
    assert written == ["losses.py"] and 0 < left < notebooks.MAX_NOTEBOOKS + 5


CONFTEST_IN_SUBMISSION = """
import pathlib, pytest
pathlib.Path(@MARK@).write_text("imported")

@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    from grader.checking.pytest_plugin import RECORDER
    for record in session.config.stash[RECORDER].records.values():
        record.passed, record.message, record.kind = True, "", ""
"""


def test_a_conftest_in_the_submission_or_above_it_never_runs_in_the_grader(tmp_path):
    """Unfinished stubs with a conftest.py that marks every check passed, and another in
    the folder the grader stages submissions in: neither is imported (pytest would take
    a `--submission PATH` it does not know yet for a test path and load the conftest.py
    files of that path), the stubs score nothing, and the submission's conftest.py is
    noted as not taken."""
    staging_base = tmp_path / "temp"
    staging_base.mkdir()
    marks = {where: tmp_path / f"{where}.imported" for where in ("submission", "above")}
    (staging_base / "conftest.py").write_text(
        CONFTEST_IN_SUBMISSION.replace("@MARK@", repr(str(marks["above"]))))
    folder = tmp_path / "stubs"
    shutil.copytree(KIT / "exercises", folder)
    (folder / "conftest.py").write_text(
        CONFTEST_IN_SUBMISSION.replace("@MARK@", repr(str(marks["submission"]))))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--out",
                           str(out), "--tests", "public"], cwd=KIT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "TMPDIR": str(staging_base)})
    assert done.returncode == 0, done.stderr[-2000:]
    grade = json.loads((out / "grade.json").read_text())
    assert sum(check["score"] for check in grade["checks"]) == 0
    assert not any(mark.exists() for mark in marks.values())
    assert any("conftest.py is pytest's configuration" in note for note in grade["notes"])
