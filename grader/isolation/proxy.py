"""IsolatedSubmission: the `submission` the tests see when learner code runs in a worker.

Each call is encoded as plain data (grader.isolation.protocol) and sent to a worker process
(grader.isolation.sandbox); callables in the arguments stay here and are called back when the
learner's code calls them. Every call has a deadline, the submission a total time
budget. A call that runs over, crashes the worker, exits or breaks the protocol fails
that check only: the worker is killed and a fresh one serves the next call. A function
that timed out once fails fast afterwards, so an endless loop costs one deadline.

A worker that cannot start is the grader's fault, never the learner's: `fault` then says
why, the check at hand fails with SandboxBroken, and grader.checking.run writes no score.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.isolation import errors, figures, protocol
from grader.isolation.plain import NotPlainData, to_plain
from grader.isolation.sandbox import (
    Limits,
    WorkerProcess,
    WorkerSpace,
    prove,
    start_worker,
    worker_factory,
)
from grader.isolation.submission import CallRecord, Submission, argument_name

MAX_FAILED_STARTS = 2

PROBLEMS = {
    "missing-module": errors.MissingModule,
    "import-error": errors.ModuleImportFailed,
    "missing-function": errors.MissingFunction,
    "not-implemented": errors.NotImplementedYet,
    "raised": errors.LearnerRaised,
    "bad-return": errors.BadReturnValue,
}


class SandboxBroken(Exception):
    """The sandbox failed for reasons of the grader's environment; no score may be written."""


class IsolatedSubmission(Submission):
    """Learner modules running in a sandboxed worker process."""

    def __init__(self, folder: Path, limits: Limits | None = None, base: Path | None = None):
        self.space = WorkerSpace(Path(folder), base)
        super().__init__(scratch_dir=self.space.work)
        self.limits = limits or Limits()
        self.worker: WorkerProcess | None = None
        self.timed_out: dict[str, str] = {}     # "module.function" -> message
        self.time_used = 0.0
        self.workers_started = 0
        self.failed_starts = 0
        self.calls_sent = 0
        self.fault = ""                 # why the sandbox failed (the grader's fault), if it did
        self.isolation = self.space.mode
        worker_factory()                # starts warming up now, if it is not running yet

    # -- the call -------------------------------------------------------------------

    def _invoke(self, module: str, name: str, record: CallRecord) -> Any:
        qualname = f"{module}.{name}"
        self._refuse_if_spent(qualname)
        callables: list[Callable] = []
        self.calls_sent += 1
        frame = protocol.encode({"op": "call", "call": self.calls_sent, "module": module,
                                 "function": name, "args": list(record.args),
                                 "kwargs": record.kwargs}, callables)
        worker = self._worker()
        started = time.monotonic()
        try:
            return self._exchange(worker, qualname, frame, callables, record, started)
        finally:
            self.time_used += time.monotonic() - started

    def _refuse_if_spent(self, qualname: str) -> None:
        if self.fault:
            raise SandboxBroken(self.fault)
        if qualname in self.timed_out:
            raise errors.CallTimedOut(self.timed_out[qualname] + " (not run again)")
        if self.time_used >= self.limits.total_seconds:
            raise errors.CallTimedOut(f"not run: this submission used its whole time budget "
                                      f"of {self.limits.total_seconds:.0f} s")

    def _exchange(self, worker: WorkerProcess, qualname: str, frame: bytes, callables: list,
                  record: CallRecord, started: float) -> Any:
        remaining = max(self.limits.total_seconds - self.time_used, 0.1)
        deadline = started + min(self.limits.call_seconds, remaining)
        try:
            worker.channel.send(frame, deadline)
            while True:
                message = protocol.decode(*worker.channel.receive(deadline))
                if message.get("call") != self.calls_sent:    # out of turn: forged or stale
                    raise protocol.ProtocolError("a reply to another call")
                if message.get("op") != "callback":
                    return self._outcome(qualname, message, record)
                worker.channel.send(self._callback(message, callables, record), deadline)
        except protocol.ChannelTimeout:
            self._discard_worker()
            if remaining < self.limits.call_seconds:
                raise errors.CallTimedOut(f"{qualname} was stopped: this submission used its "
                                          f"whole time budget of {self.limits.total_seconds:g} s"
                                          ) from None
            text = (f"{qualname} did not finish within {self.limits.call_seconds:g} s "
                    "(an endless loop, or far too slow?)")
            self.timed_out[qualname] = text
            raise errors.CallTimedOut(text) from None
        except protocol.ChannelClosed:
            reason = worker.exit_description()
            self._discard_worker()
            raise errors.WorkerDied(f"{qualname}: {reason}") from None
        except protocol.ProtocolError as exc:
            self._discard_worker()
            raise errors.WorkerDied(f"{qualname}: the worker sent a malformed message "
                                    f"({exc}); the call was abandoned") from None

    def _callback(self, message: dict, callables: list, record: CallRecord) -> bytes:
        """Run the grader's callable the learner called; the reply frame."""
        number, args = message.get("id"), message.get("args")
        if type(number) is not int or not 0 <= number < len(callables) or type(args) is not list:
            raise protocol.ProtocolError("malformed callback request")
        record.callbacks += 1
        try:
            value = to_plain(callables[number](*args))
            return protocol.encode({"op": "callback_result", "value": value})
        except NotPlainData as exc:
            return protocol.encode({"op": "callback_error", "message": str(exc)})
        except Exception as exc:  # the test's function rejected what the learner passed
            text = errors.cap(f"a function given to you raised {type(exc).__name__}: {exc}", 300)
            return protocol.encode({"op": "callback_error", "message": text})

    def _outcome(self, qualname: str, message: dict, record: CallRecord) -> Any:
        op = message.get("op")
        if op == "error":
            problem = PROBLEMS.get(message.get("kind"), errors.LearnerRaised)
            raise problem(str(message.get("message", f"{qualname} failed")))
        if op != "result" or "value" not in message:
            raise protocol.ProtocolError(f"unexpected reply {str(op)[:40]!r}")
        record.warnings = _strings(message.get("warnings", []))
        record.mutated = _argument_names(qualname, message.get("mutated", []))
        _files(record, message.get("files", {}))
        try:
            record.figures = figures.validate_figures(message.get("figures", []))
            return to_plain(message["value"])      # no bytes or other stray types
        except (ValueError, NotPlainData) as exc:
            raise protocol.ProtocolError(str(exc)[:80]) from None

    # -- worker lifecycle -------------------------------------------------------------

    def _worker(self) -> WorkerProcess:
        """The live worker, or a fresh one; its start counts against the time budget."""
        if self.worker is None:
            if self.failed_starts >= MAX_FAILED_STARTS:
                raise errors.WorkerDied("not run: the worker failed to start "
                                        f"{MAX_FAILED_STARTS} times")
            self._prove_sandbox()           # the grader's own start: not the learner's time
            started = time.monotonic()
            try:
                self.worker = self._start()
            finally:
                self.time_used += time.monotonic() - started
        return self.worker

    def _prove_sandbox(self) -> None:
        """Wait for the factory and its canary call; SandboxBroken if the sandbox fails."""
        try:
            prove(worker_factory())
        except OSError as exc:
            self._broken(f"the sandbox could not start a worker ({exc})")

    def _start(self) -> WorkerProcess:
        """A fresh worker, ready. It runs no learner code before it is ready, so a worker
        that cannot start is the grader's fault, unless the learner's budget ran out."""
        try:
            worker = start_worker(self.space, self.limits)
        except OSError as exc:
            self._broken(f"the sandbox could not start a worker ({exc})")
        self.workers_started += 1
        budget = max(self.limits.total_seconds - self.time_used, 0.1)
        try:
            ready = protocol.decode(*worker.channel.receive(
                time.monotonic() + min(self.limits.startup_seconds, budget)))
        except (protocol.ChannelTimeout, protocol.ChannelClosed, protocol.ProtocolError):
            ready = {}
        if ready.get("op") != "ready":
            reason = worker.exit_description()
            worker.kill()
            self.failed_starts += 1
            if budget < self.limits.startup_seconds:
                raise errors.WorkerDied(f"the worker could not start ({reason}) within what "
                                        "was left of this submission's time budget")
            self._broken(f"the sandbox's worker could not start ({reason})")
        return worker

    def _broken(self, reason: str) -> None:
        """Remember that the sandbox failed (the grader's fault, not the learner's), and
        fail the call at hand: grader.checking.run then writes no score."""
        self.fault = reason
        raise SandboxBroken(reason)

    def _discard_worker(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    def start_afresh(self) -> None:
        """A new worker for the next call, with nothing of the old one's state: in
        namespaces a fresh tmpfs; with a uid, its files, processes and IPC objects go
        (the factory's kill) and its working folder is emptied."""
        self._discard_worker()
        if self.space.mode != "namespaces":
            self.space.wipe_work()

    def output_excerpt(self) -> str:
        return self.space.output_excerpt(self.limits.output_cap)

    def close(self) -> None:
        self._discard_worker()
        self.space.close()


def _files(record: CallRecord, files: Any) -> None:
    """Fill record.files, .paths and .file_problems from a worker's reply, checking types."""
    if type(files) is not dict or len(files) > 8:
        raise protocol.ProtocolError("malformed files")
    for name, entry in files.items():
        if type(entry) is not dict or type(entry.get("path")) is not str:
            raise protocol.ProtocolError("malformed file entry")
        record.paths[name] = entry["path"][:300]
        data = entry.get("data")
        if type(data) is bytes and len(data) <= figures.MAX_FILE_BYTES:
            record.files[name] = data
        else:
            record.file_problems[name] = errors.cap(str(entry.get("problem") or
                                                        "wrote no readable file"), 200)


def _strings(values: Any) -> list[str]:
    if type(values) is not list or not all(type(v) is str for v in values):
        raise protocol.ProtocolError("malformed warnings")
    return [errors.cap(v, 200) for v in values[:5]]


def _argument_names(qualname: str, positions: Any) -> list[str]:
    if type(positions) is not list or len(positions) > 64:
        raise protocol.ProtocolError("malformed list of changed arguments")
    if not all((type(p) is int and 0 <= p < 64) or type(p) is str for p in positions):
        raise protocol.ProtocolError("malformed list of changed arguments")
    return [argument_name(qualname, p if type(p) is int else p[:40]) for p in positions]
