"""Grade a class: every sub-folder or .zip of a folder is one student.

`-j N` runs N long-lived grading processes (grader.instructor.serve), each on a CPU of its own and
each grading one student at a time, exactly as `python -m grader grade` would, into a
hidden partial folder that is renamed into place when complete; so after an interrupt or
a kill a rerun keeps every finished student, grades the rest, and never sees a
half-written report. grades.csv is rebuilt from the finished reports after each
student, written atomically.

A student's id is their folder's (or zip's) name, made safe: characters other than
letters, digits and `_.@-` become `_`, it is cut to MAX_ID_CHARS, and a repeat gets `-2`,
`-3`, ... A name that batch, merge or the class report writes into OUT (REPORT_NAMES:
grades.csv, lms_grades.csv, class_report.html, class_report.json, shard.json, in any
case) cannot be an id, or that student's folder would take the report's place: such a
student is graded as `student-<name>`, and the batch prints a note saying so. An entry
that is a symbolic link is still a student, graded zero with the reason (intake follows
no link). Staging folders left in the temp folder by a killed grade are swept at the
start.
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader import intake
from grader.contract import MODULES
from grader.instructor import class_report
from grader.intake.files import printable
from grader.isolation.sandbox import CPU_VARIABLE, protect
from grader.problems import ToolProblem
from grader.reports import formats
from grader.reports.results import load_grade, write_atomically

if TYPE_CHECKING:
    from grader.instructor.shards import Shard

PARTIAL_PREFIX = ".partial-"
STUDENT_TIMEOUT = 900          # seconds on one student: its grading process is killed, retried
ATTEMPTS = 2
# what batch, merge and the class report write into OUT (shards.MARKER is shard.json;
# shards imports this module, so the name is spelled out): never a student's id
REPORT_NAMES = frozenset({"grades.csv", "lms_grades.csv", class_report.REPORT_HTML,
                          class_report.REPORT_JSON, "shard.json"})
RENAMED_PREFIX = "student-"
MAX_ID_CHARS = 100             # OUT/.partial-<id>-<pid> must stay within a file name's 255


class BatchProblem(ToolProblem):
    """The batch cannot run at all; the message says what to do."""


@dataclass(frozen=True)
class Student:
    id: str
    path: Path
    note: str = ""        # why the id is not the folder's name, printed by the batch


def find_students(folder: Path) -> list[Student]:
    """One Student per sub-folder or .zip of folder, ids made safe and unique (see the
    module's docstring)."""
    if not folder.is_dir():
        raise BatchProblem(f"{folder}: not a folder of student submissions")
    entries = [(path, *safe_id(path)) for path in sorted(folder.iterdir())
               if not path.name.startswith(".")
               and (path.is_dir() or path.suffix.lower() == ".zip")]
    students, seen = [], set()
    # ids taken as they are first, renamed ones after: a rename never takes a real name
    for path, base, note in sorted(entries, key=lambda entry: entry[2] != ""):
        student_id, n = base, 2
        while student_id in seen:
            student_id, n = f"{base}-{n}", n + 1
        seen.add(student_id)
        students.append(Student(student_id, path, note))
    if not students:
        raise BatchProblem(f"{folder}: holds no student folders or .zip files")
    return sorted(students, key=lambda student: student.path)


def safe_id(path: Path) -> tuple[str, str]:
    """(the id for a submission, a note when it is not simply its name made safe)."""
    name = path.stem if path.suffix.lower() == ".zip" and not path.is_dir() else path.name
    base = re.sub(r"[^A-Za-z0-9_.@-]+", "_", name)[:MAX_ID_CHARS] or "student"
    if base.lower() in REPORT_NAMES:
        renamed = RENAMED_PREFIX + base
        return renamed, (f"{printable(path.name)} is graded as {renamed}: {base} is "
                         "the name of a report batch writes into the --out folder")
    if len(name) > MAX_ID_CHARS:
        return base, (f"{printable(path.name[:40])}... is graded as {base} (its name "
                      "was too long)")
    return base, ""


def run_batch(folder: Path, out: Path, jobs: int = 1, suites: str = "all",
              shard: Shard | None = None, modules: tuple[str, ...] = ()) -> int:
    """Grade every student of folder into out (see the module docstring); modules: only
    these exercise modules' checks (a partial grade, for the mutation audit)."""
    students = find_students(folder)
    protect([folder])               # uid isolation: no worker uid may read the class folder
    if shard is not None:       # grades.csv and the class report cover this shard only
        class_size, students = len(students), shard.select(students)
        print(f"shard {shard}: {len(students)} of the class's {class_size} students",
              file=sys.stderr)
    prepare(out)
    intake.sweep_stale_staging()                # what killed grades left in the temp folder
    for student in students:
        if student.note:
            print(f"note: {student.note}", file=sys.stderr)
    todo = [s for s in students if not is_done(out, s)]
    progress = Progress(len(students), len(students) - len(todo))
    rows: dict = {}                             # the CSV rows of finished students
    servers: queue.Queue[GradingServer] = queue.Queue()
    for cpu in range(jobs):
        servers.put(GradingServer(cpu))
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade_student, s, out, suites, servers, modules): s
                       for s in todo}
            for future in as_completed(futures):
                line = future.result()
                write_grades_csv(out, students, rows)
                progress.advance(line)
    finally:
        while not servers.empty():
            servers.get().stop()
    write_grades_csv(out, students, rows)
    progress.finish(out)
    if any(is_done(out, s) for s in students):
        class_report.build_class_report(out)
        print(f"class report: {out / class_report.REPORT_HTML}", file=sys.stderr)
    return 0


def prepare(out: Path) -> None:
    """Create out, check it is writable, and drop partial folders of an interrupted run."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f"{PARTIAL_PREFIX}probe-{os.getpid()}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise BatchProblem(f"cannot write to {out} ({exc.strerror or exc}); "
                           "choose another --out folder") from None
    for name in REPORT_NAMES:       # e.g. a student graded under a report's name before
        if (out / name).is_dir() and not (out / name).is_symlink():
            raise BatchProblem(f"{out / name} is a folder where batch writes its {name}; "
                               f"move it out of {out} and rerun")
    protect([out])                  # (and the class folder: run_batch) in uid isolation
    for stale in out.glob(f"{PARTIAL_PREFIX}*"):
        intake.remove_tree(stale)


def is_done(out: Path, student: Student) -> bool:
    return (out / student.id / "grade.json").is_file()


def grade_student(student: Student, out: Path, suites: str, servers: queue.Queue,
                  modules: tuple[str, ...] = ()) -> str:
    """Grade one student on a free grading process (a CPU of its own); its progress line."""
    server = servers.get()
    try:
        return grade_on(student, out, suites, server, modules)
    finally:
        servers.put(server)


def grade_on(student: Student, out: Path, suites: str, server: GradingServer,
             modules: tuple[str, ...] = ()) -> str:
    partial = out / f"{PARTIAL_PREFIX}{student.id}-{os.getpid()}"
    request = {"path": str(student.path), "out": str(partial), "student": student.id,
               "suites": suites, "modules": list(modules)}
    reason = ""
    for _ in range(ATTEMPTS):
        intake.remove_tree(partial)
        reason = server.grade(request)
        if not reason and (partial / "grade.json").is_file():
            final = out / student.id
            intake.remove_tree(final)
            os.replace(partial, final)
            result = load_grade(final / "grade.json")
            return f"{student.id}: {formats.total_text(result)}"
    intake.remove_tree(partial)
    return f"{student.id}: NOT GRADED ({reason}); rerun the batch to retry"


class GradingServer:
    """A long-lived `python -m grader.instructor.serve` child that grades one request at a time.

    It keeps imports, pytest and the worker factory warm across students. A child that
    dies, or takes longer than STUDENT_TIMEOUT on one student, is killed (with its
    factory and workers) and a fresh one is started for the next request.
    """

    def __init__(self, cpu: int):
        self.cpu = cpu
        self.process: subprocess.Popen | None = None
        self.replies: io.BufferedReader | None = None
        self.errors = tempfile.TemporaryFile()    # its stderr: a pipe could fill and block it

    def _start(self) -> subprocess.Popen:
        read_fd, write_fd = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader.instructor.serve", str(write_fd)],
                pass_fds=(write_fd,),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.errors,
                preexec_fn=die_with_parent, env={**os.environ, CPU_VARIABLE: str(self.cpu)})
        finally:
            os.close(write_fd)
        self.replies = os.fdopen(read_fd, "rb")
        return self.process

    def grade(self, request: dict) -> str:
        """'' when the request was graded, else a one-line reason."""
        process = self.process if self.process and self.process.poll() is None else self._start()
        try:
            process.stdin.write((json.dumps(request) + "\n").encode())
            process.stdin.flush()
        except OSError:
            return self._failed("the grading process stopped")
        ready = select.select([self.replies], [], [], STUDENT_TIMEOUT)[0]
        if not ready:
            return self._failed(f"grading took longer than {STUDENT_TIMEOUT} s")
        line = self.replies.readline()
        if not line:
            return self._failed(self._last_error() or "the grading process stopped")
        try:
            reply = json.loads(line)
        except ValueError:
            return self._failed("the grading process sent a malformed reply")
        if reply.get("ok"):
            return ""
        if reply.get("fault"):
            self.close()                     # it exits after a fault: start afresh next time
        return str(reply.get("reason", "not graded"))[:300]

    def _failed(self, reason: str) -> str:
        self.close()
        return reason

    def _last_error(self) -> str:
        """The last line the child wrote to stderr, once it has exited."""
        try:
            self.process.wait(timeout=5)
            self.errors.seek(max(os.fstat(self.errors.fileno()).st_size - 4096, 0))
            text = self.errors.read().decode(errors="replace").strip()
        except (subprocess.TimeoutExpired, OSError, ValueError):
            return ""
        return text.splitlines()[-1][:200] if text else ""

    def stop(self) -> None:
        self.close()
        self.errors.close()

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.process.stdin, self.replies):
            try:
                stream.close()
            except (OSError, AttributeError):
                pass
        self.process.wait()
        self.process = self.replies = None
        self.errors.seek(0)
        self.errors.truncate()


def die_with_parent() -> None:
    """In a child: receive SIGKILL if the batch process dies (Linux), so nothing outlives it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def write_grades_csv(out: Path, students: list[Student], rows: dict | None = None) -> None:
    """grades.csv and lms_grades.csv from every finished student's grade.json (atomic).

    rows caches each student's two rows by the grade.json's modification time, so a batch
    that rewrites the CSVs after every student reads each grade.json once, not n times.
    """
    rows = {} if rows is None else rows
    grades, lms = [], []
    for student in students:
        path = out / student.id / "grade.json"
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            continue                            # not graded (yet)
        if student.id not in rows or rows[student.id][0] != stamp:
            result = load_grade(path)
            rows[student.id] = (stamp, formats.csv_row(result, MODULES), formats.lms_row(result))
        grades.append(rows[student.id][1])
        lms.append(rows[student.id][2])
    write_csv(out / "grades.csv", formats.csv_header(MODULES), grades)
    write_csv(out / "lms_grades.csv", formats.LMS_HEADER, lms)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomically(path, buffer.getvalue())


class Progress:
    """A one-line progress display on a terminal, one line per student otherwise."""

    def __init__(self, total: int, done: int):
        self.total, self.done, self.started = total, done, time.monotonic()
        self.tty = sys.stderr.isatty()
        if done:
            self._say(f"{done} of {total} already graded; grading the rest")

    def advance(self, line: str) -> None:
        self.done += 1
        self._say(f"[{self.done}/{self.total}] {line}", transient=self.tty)

    def finish(self, out: Path) -> None:
        elapsed = time.monotonic() - self.started
        self._say(f"graded {self.total} submissions in {elapsed:.0f} s: {out / 'grades.csv'}")

    def _say(self, text: str, transient: bool = False) -> None:
        if transient:
            sys.stderr.write("\r\033[K" + text[:120])
        else:
            sys.stderr.write(("\r\033[K" if self.tty else "") + text + "\n")
        sys.stderr.flush()
