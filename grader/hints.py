"""What a learner can do next about a failed check, one hint per problem kind.

A recognised misconception brings its own, specific hint; otherwise the hint follows the
kind of problem (see grader/errors.py), naming the function and module concerned.
"""

from __future__ import annotations

from grader.contract import parameter_names
from grader.results import CheckResult

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
CHECK = "Re-read the docstring of `{function}` and compare your formula term by term."

KIND_HINTS: dict[str, str] = {
    "not-implemented": NOT_IMPLEMENTED,
    "missing-module": MISSING_MODULE,
    "import-error": IMPORT_ERROR,
    "missing-function": MISSING_FUNCTION,
    "raised": RAISED,
    "bad-return": BAD_RETURN,
    "timeout": TIMEOUT,
    "crashed": CRASHED,
    "check": CHECK,
}

STEP_PARAMETERS = ("max_steps", "n_steps")


def hint_for(check: CheckResult) -> str:
    """The learner's next step for a failed check ("" for a passed one).

    A recognised misconception's own hint wins; otherwise the generic hint of the
    check's kind (a failure without a known kind is treated as a failed assertion).
    """
    if check.passed:
        return ""
    if check.misconception is not None and check.misconception.hint.strip():
        return check.misconception.hint.strip()
    template = KIND_HINTS.get(check.kind or "check", CHECK)
    return template.format(function=check.function, module=check.module,
                           step_limit=_step_limit(check))


def _step_limit(check: CheckResult) -> str:
    """The timeout hint's question about the function's step budget, if it has one."""
    for parameter in parameter_names(check.module, check.function):
        if parameter in STEP_PARAMETERS:
            return STEP_LIMIT.format(parameter=parameter)
    return NO_STEP_LIMIT
