"""The worker: the only process that runs learner code.

Started by grader.isolation.sandbox with two pipe descriptors and the submission folder. It
imports learner modules on first use and answers `call` messages with plain data: the
result, the warnings raised, and which arguments the call changed. Callables in the
arguments are stubs that ask the grading process to evaluate them. A file the call was
asked to write (grader.isolation.figures.OutputFile) comes back as bytes with the result, and every
matplotlib figure the call saved as a plain description. It never decides anything:
every verdict is computed in the grading process from what is sent here.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from grader.isolation import errors, figures, protocol
from grader.isolation.plain import NotPlainData, to_plain
from grader.isolation.submission import (
    FLOAT_WARNINGS,
    changed_positions,
    describe_exception,
    not_implemented_text,
)


class CallbackFailed(Exception):
    """The grader's function raised when the learner called it."""


class Worker:
    def __init__(self, channel: protocol.Channel, folder: Path):
        self.channel, self.folder = channel, folder
        self.modules: dict[str, Any] = {}
        self.call: Any = None                   # the id of the call being answered
        self.outputs: dict[str, str] = {}       # OutputFile name -> path, for this call

    def serve(self) -> None:
        while True:
            header, buffers = self.channel.receive()
            self.outputs = {}
            message = protocol.decode(header, buffers, make_callable=self.callback_stub,
                                      make_output=self.output_path)
            if message.get("op") != "call":
                return
            self.call = message.get("call")
            answer = self.answer(message)
            flush_output()                      # what the learner printed reaches the log
            self.channel.send(protocol.encode({**answer, "call": self.call}))

    def output_path(self, name: str) -> str:
        """The path learner code gets for OutputFile(name), in the working folder."""
        try:
            self.outputs[name] = figures.prepare(os.getcwd(), name)
        except (OSError, ValueError) as exc:
            raise protocol.ProtocolError(f"no output path for {name!r}: {exc}") from None
        return self.outputs[name]

    def callback_stub(self, number: int) -> Any:
        """A stand-in for the grader's callable `number`: calling it asks the grader."""
        def call_grader(*args: Any) -> Any:
            try:
                plain_args = [to_plain(a) for a in args]
            except NotPlainData as exc:
                raise TypeError(f"a function given to you was called with {exc}") from None
            self.channel.send(protocol.encode({"op": "callback", "id": number,
                                               "call": self.call, "args": plain_args}))
            reply = protocol.decode(*self.channel.receive())
            if reply.get("op") != "callback_result":
                raise CallbackFailed(str(reply.get("message", "the callback failed")))
            return reply.get("value")
        return call_grader

    def answer(self, message: dict) -> dict:
        module, name = str(message.get("module")), str(message.get("function"))
        try:
            function = self.function(module, name)
        except errors.SubmissionProblem as problem:
            return {"op": "error", "kind": problem.kind, "message": str(problem)}
        args, kwargs = list(message.get("args", [])), dict(message.get("kwargs", {}))
        before = (copy.deepcopy(args), copy.deepcopy(kwargs))
        with figures.FigureRecorder() as recorder:
            outcome = self.invoke(function, f"{module}.{name}", args, kwargs)
        if outcome.get("op") == "result":
            outcome["mutated"] = changed_positions(*before, args, kwargs)
            outcome["figures"] = recorder.figures
            outcome["files"] = {name: self.written(path) for name, path in self.outputs.items()}
        return outcome

    @staticmethod
    def written(path: str) -> dict:
        """What learner code left at path: its bytes, or why there are none."""
        data, problem = figures.collect(path)
        return {"path": path, "data": data, "problem": problem}

    def function(self, module: str, name: str) -> Any:
        if module not in self.modules:
            self.modules[module] = self.import_module(module)
        loaded = self.modules[module]
        if isinstance(loaded, errors.SubmissionProblem):
            raise loaded
        function = getattr(loaded, name, None)
        if not callable(function):
            raise errors.MissingFunction(f"{module}.py defines no function {name}")
        return function

    def import_module(self, module: str) -> Any:
        if not (self.folder / f"{module}.py").is_file():
            return errors.MissingModule(f"{module}.py is missing from the submission")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return importlib.import_module(module)
        except BaseException as exc:  # the learner's module may raise anything, even SystemExit
            return errors.ModuleImportFailed(
                f"{module}.py could not be imported: {describe_exception(exc, self.folder)}")

    def invoke(self, function: Any, qualname: str, args: list, kwargs: dict) -> dict:
        with warnings.catch_warnings(record=True) as caught, np.errstate(**FLOAT_WARNINGS):
            warnings.simplefilter("always")
            try:
                result = function(*args, **kwargs)
            except NotImplementedError as exc:
                return {"op": "error", "kind": "not-implemented",
                        "message": not_implemented_text(qualname, exc, self.folder)}
            except BaseException as exc:  # SystemExit and KeyboardInterrupt fail this call only
                return {"op": "error", "kind": "raised",
                        "message": f"{qualname} raised {describe_exception(exc, self.folder)}"}
        try:
            value = to_plain(result)
        except NotPlainData as exc:
            return {"op": "error", "kind": "bad-return",
                    "message": f"{qualname} returned {exc}; expected a float, a numpy array, "
                               "or a tuple/list/dict of those"}
        notes = [errors.cap(f"{w.category.__name__}: {w.message}", 200) for w in caught[:5]]
        return {"op": "result", "value": value, "warnings": notes}


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a learner may have replaced or closed them
            pass


def main(argv: list[str]) -> None:
    """argv: read fd, write fd, submission folder."""
    read_fd, write_fd, folder = int(argv[0]), int(argv[1]), Path(argv[2])
    sys.path.insert(0, str(folder))
    channel = protocol.Channel(read_fd, write_fd)
    channel.send(protocol.encode({"op": "ready"}))
    try:
        Worker(channel, folder).serve()
    except (protocol.ChannelClosed, protocol.ProtocolError):
        pass
