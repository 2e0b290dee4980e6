"""The recognition rate: how often feedback names a catalogued mistake the learner made,
when the learner's output is not bit for bit the catalogue's.

Each catalogued mistake is swapped into a copy of solutions/ and graded by its module's
public and hidden checks (in this process, in one pytest session). The calls of every
check it fails are then handed to grader.checking.recognise as they came back ("exact"),
multiplied by 1 + 1e-7 ("scaled"), and rounded to 6 significant digits ("rounded").
A few mistakes are also written another way, the same mistake in another formula, and
graded afresh ("rewritten"). A mistake counts as recognised when at least one of its
failed checks names it.

Controls: on the same calls, the outputs of the reference and of every correct
alternative (tests/alternatives), as they are, scaled and rounded, must name nothing.

    python tests/grading/recognition_rate.py
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

KIT = Path(__file__).resolve().parents[2]
if str(KIT) not in sys.path:        # run as a script from anywhere
    sys.path.insert(0, str(KIT))

from grader.checking.misconceptions import Entry, load_catalogue  # noqa: E402
from grader.checking.pytest_plugin import (  # noqa: E402
    RECORDER,
    SUBMISSION_FACTORY,
    CheckRecord,
    CheckRecorder,
)
from grader.checking.recognise import Recogniser, replay  # noqa: E402
from grader.isolation.submission import CallRecord, LocalSubmission, import_folder  # noqa: E402

Perturbation = Callable[[np.ndarray], np.ndarray]


def scaled(values: np.ndarray) -> np.ndarray:
    """Off by one part in ten million, as another order of operations might be."""
    return values * (1 + 1e-7)


def rounded(values: np.ndarray) -> np.ndarray:
    """Rounded to 6 significant digits, as a learner's printout or float32 might be."""
    flat = [float(f"{value:.6g}") for value in np.ravel(values)]
    return np.asarray(flat, dtype=float).reshape(np.shape(values))


PERTURBATIONS: dict[str, Perturbation | None] = {"exact": None, "scaled": scaled,
                                                 "rounded": rounded}

# The same mistake written another way: catalogue id -> a learner's own version of it.
REWRITES: dict[str, str] = {
    "derivatives.central_difference/divides-by-h": '''
def central_difference(f, x, h=1e-5):
    ahead, behind = f(x + h) - f(x), f(x) - f(x - h)
    return (ahead + behind) * (1.0 / h)
''',
    "derivatives.second_derivative/divides-by-h": '''
def second_derivative(f, x, h=1e-4):
    return ((f(x + h) - f(x)) - (f(x) - f(x - h))) / h
''',
    "losses.mse/sum-not-mean": '''
def mse(y_pred, y):
    r = np.asarray(y_pred, dtype=float) - y
    return float(r @ r)
''',
    "losses.mse_gradient/missing-one-over-n": '''
def mse_gradient(X, w, y):
    return 2 * np.einsum("ij,i->j", X, X.dot(w) - y)
''',
    "regularization.ridge_gradient/lam-w": '''
def ridge_gradient(X, w, y, lam):
    n = len(y)
    return 2 * (X.T @ X @ w - X.T @ y) / n + lam * w
''',
    "regularization.ridge_gradient/mse-missing-two": '''
def ridge_gradient(X, w, y, lam):
    return np.mean(X * (X @ w - y)[:, None], axis=0) + 2 * lam * w
''',
    "regularization.l2_gradient/missing-two": '''
def l2_gradient(w, lam):
    return np.multiply(w, lam, dtype=float)
''',
    "chain_rule.sigmoid/naive-overflow": '''
def sigmoid(z):
    return 1.0 / (1.0 + np.power(np.e, -np.asarray(z, dtype=float)))
''',
    "chain_rule.sigmoid_derivative/plus-instead-of-minus": '''
def sigmoid_derivative(z):
    s = sigmoid(z)
    return s + s * s
''',
    "gradient_descent.gd_step/in-place": '''
def gd_step(w, grad, lr):
    np.subtract(w, np.multiply(lr, grad), out=w)
    return w
''',
    "gradient_descent.gradient_descent/mutates-w0": '''
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    losses = [float(loss_fn(w0))]
    steps = 0
    while steps < max_steps and np.isfinite(losses[-1]):
        g = grad_fn(w0)
        if np.sqrt(np.sum(g * g)) < tol:
            break
        w0 -= lr * g
        losses.append(float(loss_fn(w0)))
        steps += 1
    return w0, losses
''',
    "gradient_descent.gradient_descent/checks-after-update": '''
def gradient_descent(loss_fn, grad_fn, w0, lr, max_steps=1000, tol=1e-8):
    w, losses, step = w0.copy(), [float(loss_fn(w0))], 0
    while step < max_steps:
        step += 1
        w = w - lr * grad_fn(w)
        losses.append(float(loss_fn(w)))
        if not np.isfinite(losses[-1]) or np.sqrt(grad_fn(w) @ grad_fn(w)) < tol:
            break
    return w, losses
''',
    "losses.logistic_loss/naive-overflow": '''
def logistic_loss(X, w, y):
    z = X.dot(w)
    return float(np.mean(np.log1p(np.exp(z)) - y * z))
''',
}


@dataclass
class Case:
    """One wrong submission: the mistake it carries and the checks it failed."""

    entry: Entry            # the catalogued mistake it should be recognised as
    rewritten: bool
    failed: list[CheckRecord] = field(default_factory=list)

    @property
    def function(self) -> str:
        return f"{self.entry.module}.{self.entry.function}"


class _Grader:
    """A pytest plugin: collect the suites once, then run one module's checks per case."""

    def __init__(self, cases: list[Case], work: Path):
        self.cases, self.work, self.submission = cases, work, None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SUBMISSION_FACTORY] = lambda _config, _folder: self.submission

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        for number, case in enumerate(self.cases):
            folder = submission_with(case, self.work / str(number))
            self.submission = LocalSubmission(folder, scratch_dir=self.work / "scratch")
            session.config.stash[RECORDER] = CheckRecorder()
            items = [i for i in session.items if i.path.stem == f"test_{case.entry.module}"]
            for index, item in enumerate(items):
                following = items[index + 1] if index + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            records = session.config.stash[RECORDER].records.values()
            case.failed = [r for r in records if not r.passed and r.kind == "check"]
        return True


def submission_with(case: Case, target: Path) -> Path:
    """A copy of solutions/ whose module ends with the case's wrong function."""
    target.mkdir(parents=True)
    for path in (KIT / "solutions").glob("*.py"):
        (target / path.name).write_text(path.read_text())
    source = REWRITES[case.entry.id] if case.rewritten else case.entry.source
    with (target / f"{case.entry.module}.py").open("a") as handle:
        handle.write(f"\n\n{source.strip()}\n")
    return target


def grade_cases(cases: list[Case], work: Path) -> None:
    """Fill each case's failed checks (with their calls) by running the suites."""
    (work / "scratch").mkdir(parents=True, exist_ok=True)
    args = [str(KIT / "tests" / "public"), str(KIT / "tests" / "hidden"),
            "--submission", str(KIT / "solutions"), "-q", "-s", "-p", "no:cacheprovider",
            "-p", "no:logging", "--import-mode=importlib", f"--rootdir={KIT}",
            "-c", str(KIT / "pyproject.toml")]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        pytest.main(args, plugins=[_Grader(cases, work)])


def perturbed(value: Any, how: Perturbation) -> Any:
    """value with every float perturbed; bools, ints, strings and structure kept."""
    if isinstance(value, np.ndarray):
        return how(value)
    if type(value) is float:
        return float(how(np.asarray(value)))
    if isinstance(value, (list, tuple)):
        return type(value)(perturbed(item, how) for item in value)
    if isinstance(value, dict):
        return {key: perturbed(item, how) for key, item in value.items()}
    return value


def with_results(calls: list[CallRecord], how: Perturbation | None) -> list[CallRecord]:
    """Copies of calls whose results are perturbed by how (unchanged when None)."""
    copies = []
    for call in calls:
        twin = copy.copy(call)
        if how is not None and call.problem is None:
            twin.result = perturbed(call.result, how)
        copies.append(twin)
    return copies


@dataclass
class Measure:
    """Mistakes recognised per perturbation, and every control that named a mistake."""

    recognised: dict[str, list[str]]            # perturbation -> entry ids recognised
    totals: dict[str, int]                      # perturbation -> cases measured
    missed: dict[str, list[str]]                # perturbation -> entry ids not recognised
    controls: int = 0
    false_positives: list[str] = field(default_factory=list)

    def rate(self, name: str) -> float:
        return len(self.recognised[name]) / self.totals[name]


def recognised_in(case: Case, recogniser: Recogniser, how: Perturbation | None) -> bool:
    """Does any failed check of case name its mistake, its calls perturbed by how?"""
    for record in case.failed:
        found = recogniser.recognise(with_results(record.calls, how))
        if found is not None and found.id == case.entry.id:
            return True
    return False


def control_calls(case: Case, control: Callable, calls: list[CallRecord],
                  folder: Path) -> list[CallRecord]:
    """The calls of case's function, as if control (a correct version) had made them."""
    made = []
    for call in calls:
        if call.function != case.function or call.problem is not None:
            continue
        outcome = replay(control, call, folder)
        if outcome is None:
            continue
        made.append(CallRecord(call.function, call.args, call.kwargs, outcome.result,
                               warnings=["warned"] if outcome.warned else [],
                               mutated=sorted(outcome.mutated)))
    return made


def check_controls(case: Case, recogniser: Recogniser, controls: list[tuple[str, Callable]],
                   measure: Measure, folder: Path) -> None:
    """Correct outputs on the case's failed calls, as they are and perturbed, name nothing."""
    for record in case.failed:
        for label, control in controls:
            calls = control_calls(case, control, record.calls, folder)
            if not calls:
                continue
            for name, how in PERTURBATIONS.items():
                measure.controls += 1
                found = recogniser.recognise(with_results(calls, how))
                if found is not None:
                    measure.false_positives.append(
                        f"{label} ({name}) on {record.name!r} named {found.id}")


def measure(work: Path | None = None) -> Measure:
    """Grade every catalogued mistake and every rewrite, and measure recognition."""
    entries = load_catalogue(KIT / "tests" / "misconceptions", KIT / "tests" / "alternatives")
    wrong = [entry for entry in entries if not entry.correct]
    by_id = {entry.id: entry for entry in wrong}
    cases = [Case(entry, False) for entry in wrong]
    cases += [Case(by_id[entry_id], True) for entry_id in REWRITES]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(work or scratch)
        grade_cases(cases, folder)
        reference, problems = import_folder(KIT / "solutions")
        assert not problems, problems
        recogniser = Recogniser(entries, reference, folder)
        return tally(cases, recogniser, entries, reference, folder)


def tally(cases: list[Case], recogniser: Recogniser, entries: list[Entry],
          reference: dict, folder: Path) -> Measure:
    """Count recognitions per perturbation and run the controls."""
    names = [*PERTURBATIONS, "rewritten"]
    result = Measure({n: [] for n in names}, dict.fromkeys(names, 0), {n: [] for n in names})
    for case in cases:
        trials = {"rewritten": None} if case.rewritten else PERTURBATIONS
        for name, how in trials.items():
            result.totals[name] += 1
            hit = recognised_in(case, recogniser, how)
            (result.recognised if hit else result.missed)[name].append(case.entry.id)
        if not case.rewritten:
            controls = [("reference", getattr(reference[case.entry.module], case.entry.function))]
            controls += [(e.id, e.implementation) for e in entries if e.correct
                         and (e.module, e.function) == (case.entry.module, case.entry.function)]
            check_controls(case, recogniser, controls, result, folder)
    return result


def report(result: Measure) -> str:
    """The figures, one line each."""
    lines = [f"{name:>9}: {len(result.recognised[name])} / {result.totals[name]} "
             f"({result.rate(name):.0%}) recognised" for name in result.recognised]
    lines.append(f" controls: {len(result.false_positives)} of {result.controls} "
                 "correct outputs named a mistake")
    for name, missed in result.missed.items():
        if missed:
            lines.append(f"missed ({name}): {', '.join(missed)}")
    lines += [f"false positive: {text}" for text in result.false_positives]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure()))
