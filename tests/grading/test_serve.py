"""The long-lived grading process behind `batch`: one pytest session, many submissions.

Whatever order students come in, each must get exactly the verdicts `python -m grader
grade` gives it alone; a grading process that dies or faults costs a retry, not a grade.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.checking.misconceptions import build_submission, load_catalogue
from grader.instructor.batch import GradingServer

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

KIT = Path(__file__).resolve().parents[2]

CRASHER = """
def mse(y_pred, y):
    import os
    os._exit(0)
"""
LOOPER = """
def gd_step(w, grad, lr):
    while True:
        pass
"""
STATEFUL = """
_calls = []

def sigmoid(z):          # right the first time only: a module-level state that must not
    _calls.append(1)     # carry over to the next submission graded by the same process
    z = np.asarray(z, dtype=float)
    value = 0.5 * (1 + np.tanh(z / 2))
    return value if len(_calls) == 1 else value + 1.0
"""


def verdicts(out: Path) -> list[tuple]:
    """Every check's name, score, verdict, message and recognised misconception."""
    grade = json.loads((out / "grade.json").read_text())
    return [(c["name"], c["score"], c["passed"], c["message"],
             (c.get("misconception") or {}).get("id")) for c in grade["checks"]]


@pytest.fixture(scope="module")
def mixed_class(tmp_path_factory):
    """Eight students, in an order that puts troublemakers before honest work."""
    root = tmp_path_factory.mktemp("class")
    entries = load_catalogue(KIT / "tests" / "misconceptions", KIT / "tests" / "alternatives")
    wrong = [e for e in entries if not e.correct]
    picked = random.Random(4).sample(wrong, 2)
    shutil.copytree(KIT / "solutions", root / "a_correct")
    (root / "b_crasher").mkdir()
    shutil.copytree(KIT / "solutions", root / "b_crasher", dirs_exist_ok=True)
    with (root / "b_crasher" / "losses.py").open("a") as handle:
        handle.write(CRASHER)
    shutil.copytree(KIT / "solutions", root / "c_stateful")
    with (root / "c_stateful" / "chain_rule.py").open("a") as handle:
        handle.write(STATEFUL)
    build_submission(KIT / "solutions", picked[0], root / "d_wrong")
    shutil.copytree(KIT / "examples" / "submission", root / "e_example")
    shutil.copytree(KIT / "exercises", root / "f_stubs")
    shutil.copytree(KIT / "solutions", root / "g_looper")
    with (root / "g_looper" / "gradient_descent.py").open("a") as handle:
        handle.write(LOOPER)
    build_submission(KIT / "solutions", picked[1], root / "h_wrong")
    return root


def grader(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=KIT,
                          capture_output=True, text=True, timeout=900)


def test_batch_gives_each_student_the_verdicts_grade_gives_it_alone(mixed_class, tmp_path):
    students = sorted(p.name for p in mixed_class.iterdir())
    # one batch process and one `grade` process per student: independent, two at a time
    with ThreadPoolExecutor(max_workers=2) as pool:
        batch = pool.submit(grader, "batch", mixed_class, "--out", tmp_path / "batch", "-j", "1")
        alone = [pool.submit(grader, "grade", mixed_class / student, "--out",
                             tmp_path / "alone" / student, "--student", student)
                 for student in students]
        assert batch.result().returncode == 0, batch.result().stderr[-2000:]
        for done in alone:
            assert done.result().returncode == 0, done.result().stderr[-2000:]
    for student in students:
        assert verdicts(tmp_path / "batch" / student) == verdicts(tmp_path / "alone" / student), \
            student
    grades = {s: json.loads((tmp_path / "batch" / s / "grade.json").read_text())
              for s in students}
    scores = {s: grade["score"] for s, grade in grades.items()}
    full = grades["a_correct"]["max_score"]
    assert scores["a_correct"] == full > 0 and scores["f_stubs"] == 0
    assert 0 < scores["b_crasher"] < full and 0 < scores["g_looper"] < full
    assert scores["d_wrong"] < full and scores["h_wrong"] < full
    # the stateful sigmoid is right once per worker, so it loses the same points either way
    assert scores["c_stateful"] < full


def test_a_grading_process_that_dies_is_replaced_and_the_student_graded(tmp_path):
    server = GradingServer(cpu=0)
    try:
        request = {"path": str(KIT / "solutions"), "out": str(tmp_path / "one"),
                   "student": "one", "suites": "public"}
        assert server.grade(request) == ""
        first = server.process.pid
        server.process.kill()
        server.process.wait()
        request = {**request, "out": str(tmp_path / "two"), "student": "two"}
        assert server.grade(request) == ""
        assert server.process.pid != first
        graded = json.loads((tmp_path / "two" / "grade.json").read_text())
        assert graded["score"] == graded["max_score"] > 0
    finally:
        server.stop()


def test_unreadable_input_is_a_zero_with_its_reason_and_the_process_serves_on(tmp_path):
    server = GradingServer(cpu=0)
    try:
        broken = tmp_path / "broken.zip"
        broken.write_bytes(b"PK\x03\x04 not a zip")
        assert server.grade({"path": str(broken), "out": str(tmp_path / "broken"),
                             "student": "broken", "suites": "public"}) == ""
        grade = json.loads((tmp_path / "broken" / "grade.json").read_text())
        assert grade["score"] == 0 and "zip" in " ".join(grade["notes"]).lower()
        pid = server.process.pid
        assert server.grade({"path": str(KIT / "solutions"), "out": str(tmp_path / "ok"),
                             "student": "ok", "suites": "public"}) == ""
        assert server.process.pid == pid
    finally:
        server.stop()


def test_checks_that_cannot_be_collected_fault_every_request_in_one_line(tmp_path):
    kit = tmp_path / "kit"
    (kit / "tests" / "public").mkdir(parents=True)
    shutil.copy(KIT / "pyproject.toml", kit / "pyproject.toml")
    shutil.copy(KIT / "conftest.py", kit / "conftest.py")
    (kit / "tests" / "public" / "test_broken.py").write_text("def test_x(:\n")
    read, write = os.pipe()
    code = ("import sys; from pathlib import Path; from grader.instructor import serve; "
            f"sys.exit(serve.serve(iter(['{{}}\\n', '{{}}\\n']), {write}, Path({str(kit)!r})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=KIT, pass_fds=(write,),
                          capture_output=True, text=True, timeout=300)
    os.close(write)
    with os.fdopen(read) as replies:
        lines = replies.read().splitlines()
    assert done.returncode == 1
    reply = json.loads(lines[0]) if len(lines) == 1 else {}
    assert reply.get("fault") is True and "could not be collected" in reply["reason"]
