"""The learner's code as the tests see it: `submission.<module>.<function>(...)`.

Tests never import learner modules. They call through a Submission, which passes plain
copies of the arguments, converts the result to plain data (grader.isolation.plain), and keeps a
CallRecord of each call: what was passed, what came back, the warnings raised and the
arguments the learner changed. LocalSubmission runs the code in this process (for
authors and trusted runs); the grader's isolated worker offers the same interface.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.contract import MODULES, parameter_names
from grader.isolation import errors, figures
from grader.isolation.plain import NotPlainData, describe, same_plain, to_plain

# Overflow, division by zero and invalid operations warn; underflow to 0 is harmless.
FLOAT_WARNINGS = {"over": "warn", "divide": "warn", "invalid": "warn", "under": "ignore"}


@dataclass
class CallRecord:
    """One call of a learner function, as plain data."""

    function: str                      # "losses.mse"
    args: tuple
    kwargs: dict
    result: Any = None
    problem: str | None = None         # why no result came back, if none did
    warnings: list[str] = field(default_factory=list)
    mutated: list[str] = field(default_factory=list)
    callbacks: int = 0
    files: dict[str, bytes] = field(default_factory=dict)         # OutputFile name -> bytes
    file_problems: dict[str, str] = field(default_factory=dict)   # name -> why no bytes
    paths: dict[str, str] = field(default_factory=dict)           # name -> path learner got
    figures: list[dict] = field(default_factory=list)   # grader.isolation.figures' records


class FunctionProxy:
    """A learner function: calling it goes through the owning Submission."""

    def __init__(self, owner: Submission, module: str, name: str):
        self._owner, self._module, self._name = owner, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner.call(self._module, self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<learner function {self._module}.{self._name}>"


class ModuleProxy:
    """A learner module: attribute access yields FunctionProxy objects."""

    def __init__(self, owner: Submission, module: str):
        self._owner, self._module = owner, module

    def __getattr__(self, name: str) -> FunctionProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return FunctionProxy(self._owner, self._module, name)


class Submission:
    """Base of every way to run learner code; subclasses implement `_invoke`."""

    def __init__(self, scratch_dir: Path | None = None):
        self.calls: list[CallRecord] = []
        self.scratch_dir = scratch_dir
        self.suite = ""                  # the suite whose checks run now: public, hidden
        self.before_hidden: Callable[[], None] | None = None   # run once, before hidden

    def enter_suite(self, suite: str) -> None:
        """Called before each check with its suite. Before the first hidden check the
        before_hidden hook runs (the grader draws the visible plots then); whenever the
        suite changes into or out of hidden, learner code starts afresh, so nothing a
        hidden check passed to it can reach a visible output."""
        if suite == self.suite:
            return
        if suite == "hidden" and self.before_hidden is not None:
            hook, self.before_hidden = self.before_hidden, None
            hook()
        if "hidden" in (suite, self.suite):
            self.start_afresh()
        self.suite = suite

    def start_afresh(self) -> None:
        """Forget every state learner code kept (isolated runs start a new worker)."""

    @staticmethod
    def output_file(name: str) -> figures.OutputFile:
        """A path learner code may write `name` to; after the call, its bytes are in
        last_call.files[name] (or why not in last_call.file_problems[name])."""
        return figures.OutputFile(name)

    def __getattr__(self, module: str) -> ModuleProxy:
        if module.startswith("_") or module not in MODULES:
            raise AttributeError(module)
        return ModuleProxy(self, module)

    @property
    def last_call(self) -> CallRecord:
        return self.calls[-1]

    def reset_calls(self) -> None:
        self.calls = []

    def call(self, module: str, name: str, args: tuple, kwargs: dict) -> Any:
        """Call module.name with plain copies of args; record and return the plain result."""
        record = CallRecord(f"{module}.{name}", _plain_args(args), _plain_args(kwargs))
        if self.calls:      # checks read files and figures of last_call only: up to 64 MB
            self.calls[-1].files, self.calls[-1].figures = {}, []
        self.calls.append(record)
        try:
            record.result = self._invoke(module, name, record)
        except errors.SubmissionProblem as problem:
            record.problem = str(problem)
            raise
        return record.result

    def _invoke(self, module: str, name: str, record: CallRecord) -> Any:
        raise NotImplementedError

    def output_excerpt(self) -> str:
        """What the learner's code printed (capped); in-process runs do not capture it."""
        return ""

    def close(self) -> None:
        """Release whatever runs the learner code."""


def _plain_args(values: Any) -> Any:
    """Plain copies of test arguments; callables and output files pass through unchanged."""
    if (callable(values) and not isinstance(values, np.ndarray)) \
            or isinstance(values, figures.OutputFile):
        return values
    if isinstance(values, (list, tuple)):
        return type(values)(_plain_args(v) for v in values)
    if isinstance(values, dict):
        return {k: _plain_args(v) for k, v in values.items()}
    return to_plain(values)


def changed_positions(before_args: Any, before_kwargs: dict, args: Any,
                      kwargs: dict) -> list[int | str]:
    """Indices of positional, and names of keyword, arguments whose plain value changed."""
    changed: list[int | str] = [
        index for index, (before, after) in enumerate(zip(before_args, args))
        if _watched(before) and not _same_after(before, after)]
    changed += [key for key, before in before_kwargs.items()
                if _watched(before) and not _same_after(before, kwargs.get(key))]
    return changed


def _watched(before: Any) -> bool:
    """An argument whose change counts: not a callable, nor an output file (which the
    learner's code was given as a path to write to)."""
    return not callable(before) and not isinstance(before, figures.OutputFile)


def argument_name(qualname: str, position: int | str) -> str:
    """The contract's name of a changed argument ("w"), from its index or keyword."""
    if isinstance(position, str):
        return position
    module, _, function = qualname.partition(".")
    params = parameter_names(module, function)
    return params[position] if position < len(params) else f"argument {position + 1}"


def _same_after(before: Any, after: Any) -> bool:
    try:
        return same_plain(before, to_plain(after))
    except NotPlainData:
        return False


def learner_location(tb: Any, folder: Path) -> str:
    """'file.py, line N' of the deepest traceback frame inside the learner's folder."""
    where = ""
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename)
        if path.parent == folder:
            where = f"{path.name}, line {frame.lineno}"
    return where


def not_implemented_text(qualname: str, exc: BaseException, folder: Path) -> str:
    """Which stub is still there: the function called, or one it calls (ridge_gradient is
    done, but the mse_gradient it calls is not)."""
    owner = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).parent == folder or Path(frame.filename).name.startswith("<"):
            owner = frame.name
    called = qualname.rpartition(".")[2]
    if owner and owner not in (called, "<module>"):
        return (f"{qualname} is not finished: it calls {owner}, which is not implemented yet "
                "(it raises NotImplementedError)")
    return f"{qualname} is not implemented yet (it raises NotImplementedError)"


def describe_exception(exc: BaseException, folder: Path) -> str:
    """'ZeroDivisionError: division by zero (losses.py, line 12)'."""
    if isinstance(exc, SyntaxError):
        where = f"{Path(exc.filename or '?').name}, line {exc.lineno}"
        return f"SyntaxError: {exc.msg} ({where})"
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = learner_location(exc.__traceback__, folder)
    return f"{text} ({where})" if where else text


class LocalSubmission(Submission):
    """Learner modules imported into this process from a folder (trusted use only)."""

    def __init__(self, folder: Path, scratch_dir: Path | None = None):
        super().__init__(scratch_dir)
        self.folder = Path(folder).resolve()
        self.modules, self.import_problems = import_folder(self.folder)
        self._scratch: tempfile.TemporaryDirectory | None = None

    def _invoke(self, module: str, name: str, record: CallRecord) -> Any:
        return invoke_in_process(self._function(module, name), record, self.folder,
                                 self._output_folder)

    def _output_folder(self) -> str:
        """Where OutputFile paths go: scratch_dir, else a temporary folder of our own."""
        if self.scratch_dir is not None:
            return str(self.scratch_dir)
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="calcgrader-outputs-")
        return self._scratch.name

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()

    def _function(self, module: str, name: str) -> Callable:
        if module in self.import_problems:
            raise self.import_problems[module]
        function = getattr(self.modules[module], name, None)
        if not callable(function):
            raise errors.MissingFunction(f"{module}.py defines no function {name}")
        return function


def invoke_in_process(function: Callable, record: CallRecord, folder: Path,
                      output_folder: Callable[[], str] | None = None) -> Any:
    """Call function on private copies of record's arguments, in this process.

    Fills record.warnings, record.mutated, record.files and record.figures like the
    isolated worker does; returns the plain result or raises the SubmissionProblem that
    describes the failure.
    """
    module, _, name = record.function.partition(".")
    args = tuple(_for_learner(a, record, output_folder) for a in record.args)
    kwargs = {k: _for_learner(v, record, output_folder) for k, v in record.kwargs.items()}
    with warnings.catch_warnings(record=True) as caught, np.errstate(**FLOAT_WARNINGS), \
            figures.FigureRecorder() as recorder:
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except NotImplementedError as exc:
            raise errors.NotImplementedYet(not_implemented_text(record.function, exc, folder)
                                           ) from None
        except (Exception, SystemExit) as exc:
            raise errors.LearnerRaised(f"{record.function} raised "
                                       f"{describe_exception(exc, folder)}") from None
    record.warnings = [errors.cap(f"{w.category.__name__}: {w.message}", 200) for w in caught]
    record.mutated = [argument_name(record.function, position)
                      for position in changed_positions(record.args, record.kwargs, args, kwargs)]
    record.figures = recorder.figures
    for output, path in record.paths.items():
        data, problem = figures.collect(path)
        if data is None:
            record.file_problems[output] = problem
        else:
            record.files[output] = data
    return plain_result(module, name, result)


def plain_result(module: str, name: str, result: Any) -> Any:
    """The learner's return value as plain data, or BadReturnValue naming what came back."""
    try:
        return to_plain(result)
    except NotPlainData as exc:
        raise errors.BadReturnValue(f"{module}.{name} returned {exc}; expected a float, "
                                    "a numpy array, or a tuple/list/dict of those") from None


def _for_learner(value: Any, record: CallRecord,
                 output_folder: Callable[[], str] | None = None) -> Any:
    """A private copy of a plain argument; callables wrapped to speak plain data, output
    files turned into paths under output_folder()."""
    if callable(value) and not isinstance(value, np.ndarray):
        return _plain_callback(value, record)
    if isinstance(value, figures.OutputFile):
        if output_folder is None:
            raise errors.LearnerRaised("this run has no folder learner code may write to")
        record.paths[value.name] = figures.prepare(output_folder(), value.name)
        return record.paths[value.name]
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_for_learner(v, record, output_folder) for v in value)
    if isinstance(value, dict):
        return {k: _for_learner(v, record, output_folder) for k, v in value.items()}
    return value


def _plain_callback(function: Callable, record: CallRecord) -> Callable:
    """Wrap a test's callable: plain data in, plain data out, calls counted."""
    def callback(*args: Any) -> Any:
        record.callbacks += 1
        return to_plain(function(*(to_plain(a) for a in args)))
    return callback


def import_folder(folder: Path) -> tuple[dict[str, ModuleType], dict[str, Exception]]:
    """Import every contract module found in folder without leaving them in sys.modules.

    Returns the modules by name and, for each that could not be imported, the problem
    to raise in its checks (missing file, or the learner's own error with file and line).
    """
    saved_modules = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, str(folder))
    modules: dict[str, ModuleType] = {}
    problems: dict[str, Exception] = {}
    try:
        for name in MODULES:
            if not (folder / f"{name}.py").is_file():
                problems[name] = errors.MissingModule(f"{name}.py is missing from the submission")
                continue
            try:
                modules[name] = importlib.import_module(name)
            except (Exception, SystemExit) as exc:
                problems[name] = errors.ModuleImportFailed(
                    f"{name}.py could not be imported: {describe_exception(exc, folder)}")
    finally:
        sys.path.remove(str(folder))
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved_modules)
    return modules, problems


__all__ = ["CallRecord", "LocalSubmission", "Submission", "describe", "import_folder"]
