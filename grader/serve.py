"""A long-lived grading process: grades many submissions, one after another, for `batch`.

`batch -j N` runs N of these (`python -m grader.serve FD`), each on a CPU of its own.
One process keeps what every grade would otherwise rebuild: Python, numpy, matplotlib
and pytest imported, the worker factory warm, the reference curves drawn once. Learner
code still runs only in workers: each submission gets fresh workers, and closing it kills
everything its uid started and removes every file its uid left, before the next begins.

Requests are JSON lines on stdin: {"path", "out", "student", "suites"}. Each gets one
JSON line on descriptor FD: {"ok": true, "summary": "..."} or {"ok": false, "reason":
"one line"}. End of stdin ends the process; so does a fault in the grader itself, after
its reply, so the batch starts a clean one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

from grader import formats, intake
from grader.cli import UsageProblem, grade_path
from grader.run import GradeOptions, GraderFault


def grade_request(request: dict) -> dict:
    """Grade one request like `grade --zero-if-unreadable`; the reply to send."""
    options = GradeOptions(suites=request["suites"], student=request["student"])
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            result = grade_path(Path(request["path"]), Path(request["out"]), options,
                                zero_if_unreadable=True)
    except (UsageProblem, GraderFault, intake.NotASubmission) as problem:
        return {"ok": False, "reason": str(problem)[:300]}
    return {"ok": True, "summary": formats.total_text(result)}


def serve(requests: io.TextIOBase, reply_fd: int) -> int:
    for line in requests:
        try:
            reply = grade_request(json.loads(line))
            fault = None
        except Exception as exc:  # a fault of ours: say it, then let the batch start afresh
            reply = {"ok": False, "reason": f"grader fault: {type(exc).__name__}: {exc}"[:300]}
            fault = exc
        os.write(reply_fd, (json.dumps(reply) + "\n").encode())
        if fault is not None:
            return 1
    return 0


def main(argv: list[str]) -> int:
    return serve(sys.stdin, int(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
