"""What a learner can do next about failed checks: one diagnosis per function and cause.

Every failed check has a kind of failure (failure_kind): the problem that stopped learner
code (grader/isolation/errors.py: not implemented, raised, timed out, ...) or, for a check that
reached its verdict, what the verdict says (the wording of grader/checking/expect.py's helpers
and of the public checks): an input changed in place, a numpy warning, inf or nan, a
wrong shape or type, a wrong number of loop updates, a derivative that disagrees with
the slope, or a wrong value. Each kind has its own hint, because "compare your formula"
misleads a learner whose formula is right but overflows or overwrites its input. A
recognised misconception (grader/checking/recognise.py) brings its own, more specific hint.

diagnoses() groups failed checks by function and cause, so that one cause is explained
once, with the list of checks it made fail. A function the spec defines with others
(contract.BUILDS_ON: ridge_gradient with mse_gradient) whose own checks fail too is told
to fix those first: a learner's ridge_gradient that calls a wrong mse_gradient is wrong
for that reason alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.contract import BUILDS_ON, parameter_names
from grader.reports.results import CheckResult, Misconception, PointsOfChecks

NOT_IMPLEMENTED = "Replace `raise NotImplementedError()` in `{function}` with your code."
MISSING_MODULE = ("Add `{module}.py` to your submission, next to your other exercise files, "
                  "with exactly that name (start from the exercise stub).")
IMPORT_ERROR = ("Run `python {module}.py` in your exercise folder and fix the first error "
                "it reports: often a syntax or indentation slip, a misspelt import, or code "
                "at the top level of the file that fails. Keep experiments inside functions "
                "or under `if __name__ == \"__main__\":`.")
MISSING_FUNCTION = ("Define `{function}` in `{module}.py` with exactly this name and the "
                    "stub's parameters, at the top level of the file (not inside another "
                    "function or behind an `if`).")
RAISED = ("`{function}` raised an error on the grader's inputs. Call it yourself on a small "
          "example, read the last line of the error, and check shapes (`x.shape`) and types: "
          "inputs may be floats or numpy arrays of any length.")
BAD_RETURN = ("Return numbers or numpy arrays from `{function}` (not a list of arrays, not a "
              "custom object), in the form its docstring describes, and `return` the result "
              "instead of printing it.")
TIMEOUT = ("Look for a loop that never ends in `{function}`: does your stopping rule ever "
           "become true?{step_limit}")
STEP_LIMIT = " Is `{parameter}` respected?"
NO_STEP_LIMIT = " Does every pass of each loop move closer to its end?"
CRASHED = ("`{function}` stopped the Python process that ran it. Look for arrays far larger "
           "than needed (memory), recursion without an end, or calls such as `exit()` or "
           "`os._exit()`, and remove them.")
MUTATED = ("`{function}` changed an array it was given{names}, so the caller's data is no "
           "longer what it passed. Your formula may well be right: work on a copy "
           "(`x = x.copy()`, `np.array(x, dtype=float)`) or build new arrays (`w = w - lr * g` "
           "rather than `w -= lr * g`; no `out=` argument and no `x[i] = ...` on an array you "
           "were given).")
SERRED = (" To find the line, run it on the check's inputs after `np.seterr(all=\"raise\")`: "
          "the warning becomes an error that points at it.")
OVERFLOW = ("`{function}` raised a numpy overflow warning: an intermediate value grew past "
            "the largest float (about 1.8e308), typically `np.exp` of a large number. The "
            "formula may be right on paper: rearrange it so large inputs never reach `exp` "
            "(`np.exp(-np.abs(z))` never overflows; `np.logaddexp(0, z)` is log(1 + exp(z)))."
            + SERRED)
DIVIDE = ("`{function}` raised a numpy divide-by-zero warning: a denominator or the argument "
          "of a log became 0 for some inputs. Guard that step as the docstring says (clip "
          "probabilities to [eps, 1 - eps], or floor a denominator at eps)." + SERRED)
INVALID = ("`{function}` raised a numpy invalid-value warning: an operation made nan "
           "(0 / 0, inf - inf, inf / inf, 0 * inf, the log or square root of a negative). "
           "Find where the inf or the zero first appears and rearrange or guard that step."
           + SERRED)
WARNING = ("`{function}` raised a warning on the grader's inputs; the check asks for none."
           + SERRED)
NOT_FINITE = ("`{function}` returned inf or nan. Print the intermediate values for the "
              "inputs the check describes and find the first that is not finite: `exp` of a "
              "large number overflows to inf, log(0) is -inf, 0 / 0 and inf - inf are nan. "
              "Clip, guard or rearrange that step as the docstring describes.")
SHAPE = ("`{function}` returned a result of the wrong shape or length. Print the `.shape` of "
         "your result and of each intermediate for the check's inputs: a sum or mean "
         "without `axis=`, a missing transpose, a flattened array or an extra "
         "dimension are the usual causes. The docstring states the shape to return.")
TYPE = ("`{function}` returned the wrong type of value. Return what the docstring says: a "
        "float where it asks for a number (`float(...)` turns a 0-d or one-element result "
        "into one), an array where it asks for an array, a bool where it asks for a bool, "
        "and a tuple or list of the stated values, in the stated order.")
STEPS = ("`{function}` makes the wrong number of updates: losses holds the starting loss, "
         "then one loss per update, so it has updates + 1 entries. Trace your loop by hand "
         "for {budget} = 0, 1 and 2: is each stopping rule tested where the docstring says "
         "(before each update), and does the loop stop right after a non-finite loss?")
SLOPE = ("Your derivative disagrees with the numerical slope (the table shows where). "
         "{slope_how} Exactly the same ratio in every row points at a constant factor; "
         "opposite signs point at a subtraction the wrong way round.")
# How to differentiate again, per function; a loss of X @ w by default.
SLOPE_HOW = {     # (learners derive the derivatives: no closed form here)
    "polynomial_derivative": "Differentiate one term coeffs[k] * x**k by hand: at which "
                             "index of the result does it land, and what multiplies it?",
    "chain_derivative": "Work d/dx f(g(x)) out by hand for a small case (f(u) = u**2, "
                        "g(x) = 3 * x) and compare with your code: at which value is each "
                        "derivative taken?",
    "sigmoid_derivative": "Differentiate the sigmoid by hand, see whether the result can be "
                          "written with sigmoid(z) itself, and compute it so that it never "
                          "overflows.",
    "l2_gradient": "Differentiate the penalty by hand with respect to one coordinate w[i], "
                   "the others held fixed.",
    "l1_subgradient": "Differentiate the penalty by hand with respect to one coordinate w[i], "
                      "on each side of 0.",
}
SLOPE_CHAIN = ("Differentiate again one link at a time: write the function as a chain (for "
               "example z = X @ w, then each sample's loss, then their mean), differentiate "
               "each link and multiply.")
VALUE = ("`{function}` returns a result of the right shape and type, without warnings, but "
         "the wrong value. Work its docstring's definition out by hand on the smallest input "
         "the check describes, and compare with your code one step at a time.")
SLOPE_TIP = (" A derivative can be checked against central differences of the function it "
             "differentiates (`gradient_check.check_gradient`).")
CHECK = "Re-read the docstring of `{function}` and compare your formula term by term."
SAME_FUNCTION = ("This may have the same cause as the misconception named above for "
                 "`{function}`: fix that first, then run the checks again. ")
BUILDS_ON_FAILING = ("`{function}` is defined with {failing}, which {verb} {its} own checks "
                     "too: if your `{function}` calls {them}, fix {them} first, then run the "
                     "checks again. ")

KIND_HINTS: dict[str, str] = {
    "not-implemented": NOT_IMPLEMENTED,
    "missing-module": MISSING_MODULE,
    "import-error": IMPORT_ERROR,
    "missing-function": MISSING_FUNCTION,
    "raised": RAISED,
    "bad-return": BAD_RETURN,
    "timeout": TIMEOUT,
    "crashed": CRASHED,
    "mutated": MUTATED,
    "overflow": OVERFLOW,
    "divide-by-zero": DIVIDE,
    "invalid-value": INVALID,
    "warning": WARNING,
    "not-finite": NOT_FINITE,
    "shape": SHAPE,
    "type": TYPE,
    "steps": STEPS,
    "slope": SLOPE,
    "value": VALUE,
    "check": CHECK,
}

# How a diagnosis without a recognised misconception is titled, per kind of failure.
KIND_LABELS: dict[str, str] = {
    "not-implemented": "not implemented yet",
    "missing-module": "the file is missing",
    "import-error": "the file could not be imported",
    "missing-function": "the function is missing",
    "raised": "raised an error",
    "bad-return": "returned something other than numbers or arrays",
    "timeout": "did not finish in time",
    "crashed": "stopped the process that ran it",
    "mutated": "changed an input in place",
    "overflow": "overflowed (numpy warning)",
    "divide-by-zero": "divided by zero (numpy warning)",
    "invalid-value": "made nan (numpy warning)",
    "warning": "raised a warning",
    "not-finite": "returned inf or nan",
    "shape": "wrong shape or length",
    "type": "wrong type of result",
    "steps": "wrong number of updates",
    "slope": "the derivative disagrees with the slope",
    "value": "wrong value",
    "check": "failed",
}

# A problem with the file fails every check of its module for one reason.
MODULE_WIDE = ("missing-module", "import-error")
# A wrong derivative is a wrong value to an exact check and a disagreement with the slope
# to a gradient check: one cause, explained by the more telling of the two.
SAME_CAUSE = {"slope": "value"}

# What a verdict's wording says went wrong, tested in this order (first match wins): the
# grader's own phrases (grader/checking/expect.py, grader/checking/gradcheck.py) and the
# public checks'.
VERDICTS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        ("mutated", r"changed its (input|argument)|\bin place\b"),
        ("overflow", r"overflow encountered"),
        ("divide-by-zero", r"divide by zero encountered"),
        ("invalid-value", r"invalid value encountered"),
        ("warning", r"raised a warning|Warning\b"),
        ("slope", r"disagrees with the slope"),
        ("not-finite", r"is not finite|contains inf or nan|inf or nan entries|\bgot (nan|inf)\b"),
        ("steps", r"\d+ updates give|\blosses\b[^.;:]*\b\d+ entries|\bcurve \d+\b[^;:]*\b\d+ "
                  r"entries|\(\d+ entries\)"),
        ("shape", r"should have shape|but has shape|expected shape|\(shapes \(|should have \d+ "
                  r"entries"),
        ("type", r"should be (a|an) .{1,60}, but came back as"),
        ("check", r"^\w+Error:(?<!AssertionError:)|its details are not shown"),
    ))

# What an error a learner's function raised usually means, by its wording.
RAISED_DETAILS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), text) for pattern, text in (
        (r"truth value of an array", " An `if`, `and` or `or` on an array is ambiguous: use "
         "elementwise numpy (`np.where`, `np.maximum`, `np.abs`), which works on floats and "
         "arrays alike."),
        (r"broadcast|not aligned|matmul|mismatch in its core dimension", " Two arrays' shapes "
         "do not fit together: print the shapes on the failing line; a transpose "
         "or an `axis=` is usually missing."),
        (r"IndexError", " An index ran past the end of an array, or indexed a float: inputs "
         "may have any length or be 0-d; loop over `np.ndindex(x.shape)` or use whole-array "
         "operations."),
        (r"ZeroDivisionError", " A plain Python division by zero: guard the denominator as the "
         "docstring says."),
        (r"KeyError", " A dict key is missing or misspelt: use exactly the keys the docstring "
         "names."),
        (r"AttributeError|TypeError", " A value is not of the type your code assumes: inputs "
         "may be floats, numpy arrays, or the lists the docstring names; `np.asarray(x, "
         "dtype=float)` accepts them all."),
        (r"RecursionError", " A function calls itself without end: write it as a loop."),
    ))

STEP_PARAMETERS = ("max_steps", "n_steps")
DERIVATIVES = {"polynomial_derivative", "sigmoid_derivative", "chain_derivative",
               "two_layer_net", "mse_gradient", "logistic_gradient", "l2_gradient",
               "l1_subgradient", "ridge_gradient"}
# Only names as the grader writes them (`w`, `x` or ['w']): a hint never repeats other text
# of a message, which may quote learner output.
MUTATED_NAMES = re.compile(r"changed its (?:input|argument\(s\)) ((?:`\w+`(?:, )?)+|\[[\w', ]+\]) "
                           r"in place")


def failure_kind(check: CheckResult) -> str:
    """Why check failed, as a KIND_HINTS key ("" for a passed check).

    A problem that stopped learner code keeps its own kind; a verdict ("check") is read
    from its wording, and one that says nothing more specific is a wrong value.
    """
    if check.passed:
        return ""
    if check.kind and check.kind != "check":
        return check.kind if check.kind in KIND_HINTS else "check"
    for kind, pattern in VERDICTS:
        if pattern.search(check.message):
            return kind
    return "value"


def hint_for(check: CheckResult) -> str:
    """The learner's next step for a failed check ("" for a passed one).

    A recognised misconception's own hint wins; otherwise the hint of the failure's kind.
    """
    if check.passed:
        return ""
    if check.misconception is not None and check.misconception.hint.strip():
        return check.misconception.hint.strip()
    kind = failure_kind(check)
    text = KIND_HINTS[kind].format(function=check.function, module=check.module,
                                   step_limit=_step_limit(check), names=_mutated(check),
                                   budget=_budget(check),
                                   slope_how=SLOPE_HOW.get(check.function, SLOPE_CHAIN))
    return text + _detail(kind, check)


def _detail(kind: str, check: CheckResult) -> str:
    """A sentence that sharpens a kind's hint for this check, or ""."""
    if kind == "raised":
        return next((text for pattern, text in RAISED_DETAILS
                     if pattern.search(check.message)), "")
    if kind == "value" and check.function in DERIVATIVES:
        return SLOPE_TIP
    return ""


def _step_limit(check: CheckResult) -> str:
    """The timeout hint's question about the function's step budget, if it has one."""
    for parameter in parameter_names(check.module, check.function):
        if parameter in STEP_PARAMETERS:
            return STEP_LIMIT.format(parameter=parameter)
    return NO_STEP_LIMIT


def _budget(check: CheckResult) -> str:
    """The function's step-budget parameter, as the steps hint names it."""
    names = [p for p in parameter_names(check.module, check.function) if p in STEP_PARAMETERS]
    return f"`{names[0]}`" if names else "the number of steps"


def _mutated(check: CheckResult) -> str:
    """' (`w`)': the arguments the verdict says were changed, or ''."""
    found = MUTATED_NAMES.search(check.message)
    return f" ({found.group(1)})" if found else ""


@dataclass
class Diagnosis(PointsOfChecks):
    """One cause in one function (or one file), and the failed checks it explains."""

    module: str
    subject: str                        # the function, or "losses.py" for a file's problem
    kind: str                           # failure_kind of its first check
    misconception: Misconception | None
    hint: str
    checks: list[CheckResult]

    @property
    def key(self) -> str:
        """Stable across runs: 'derivatives.central_difference/divides-by-h'."""
        cause = self.misconception.id.rpartition("/")[2] if self.misconception else self.kind
        return f"{self.module}.{self.subject}/{cause}"

    @property
    def title(self) -> str:
        """What went wrong, in words: the misconception, else the kind of failure."""
        return self.misconception.summary if self.misconception else KIND_LABELS[self.kind]

    @property
    def shared_message(self) -> str:
        """The one message all its checks came back with, or "" when they differ."""
        messages = {check.message.strip() for check in self.checks}
        return messages.pop() if len(messages) == 1 else ""


# Failures a function's own code or file explains, whatever the functions it calls do.
NOT_A_CALLEES_DOING = (*MODULE_WIDE, "not-implemented", "missing-function")


def builds_on_failing(function: str, failing: set[str]) -> str:
    """The sentence that names the functions function is defined with that fail too, or ""."""
    names = [name for name in BUILDS_ON.get(function, ()) if name in failing]
    if not names:
        return ""
    listed = " and ".join(f"`{name}`" for name in names)
    one = len(names) == 1
    return BUILDS_ON_FAILING.format(function=function, failing=listed,
                                    verb="fails" if one else "fail", its="its" if one else "their",
                                    them="it" if one else "them")


def cause_of(check: CheckResult) -> tuple[str, str]:
    """(subject, cause): the checks a diagnosis groups share both."""
    kind = failure_kind(check)
    if kind in MODULE_WIDE:
        return f"{check.module}.py", kind
    return check.function, (check.misconception.id if check.misconception
                            else SAME_CAUSE.get(kind, kind))


def failing_functions(checks: list[CheckResult]) -> set[str]:
    """The functions with at least one failed check."""
    return {check.function for check in checks if not check.passed}


def diagnoses(checks: list[CheckResult], failing: set[str] | None = None) -> list[Diagnosis]:
    """The failed checks grouped by function and cause, in the order they first failed.

    A group with a recognised misconception takes its hint; any other group of the same
    function whose failure could be that misconception's doing says so first, and so does
    one of a function defined with others that fail too (failing: the functions of the
    whole grade that failed a check, when checks are one module's).
    """
    groups: dict[tuple[str, str], list[CheckResult]] = {}
    for check in checks:
        if not check.passed:
            groups.setdefault(cause_of(check), []).append(check)
    explained = {subject for (subject, _), group in groups.items()
                 if group[0].misconception is not None}
    failing = failing_functions(checks) if failing is None else failing
    place = {subject: index for index, subject in enumerate(dict.fromkeys(
        subject for subject, _ in groups))}
    # a function's recognised misconception first: the other groups may refer to it
    ordered = sorted(groups.items(), key=lambda item: (place[item[0][0]],
                                                      item[1][0].misconception is None))
    found = []
    for (subject, _), group in ordered:
        # the check whose kind says most: a gradient check's table over a wrong value
        lead = next((c for c in group if failure_kind(c) in SAME_CAUSE), group[0])
        kind, hint = failure_kind(lead), hint_for(lead)
        if lead.misconception is None and subject in explained \
                and kind in ("value", "shape", "steps", "not-finite", "slope"):
            hint = SAME_FUNCTION.format(function=subject) + hint
        elif lead.misconception is None and kind not in NOT_A_CALLEES_DOING:
            hint = builds_on_failing(subject, failing) + hint
        found.append(Diagnosis(lead.module, subject, kind, lead.misconception, hint, group))
    return found
