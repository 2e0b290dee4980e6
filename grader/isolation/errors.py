"""Why a call into learner code did not produce a value, in words a learner can act on.

Each is raised inside the test that made the call and fails that check only. Messages
are capped so a learner's exception text cannot flood a report.
"""

from __future__ import annotations

MESSAGE_CAP = 500


def cap(text: str, limit: int = MESSAGE_CAP) -> str:
    """Shorten text to at most limit characters, marking the cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 15] + " ... (cut)"


class SubmissionProblem(Exception):
    """Base: learner code could not deliver a result for this check."""

    kind = "problem"

    def __init__(self, message: str):
        super().__init__(cap(message))


class MissingModule(SubmissionProblem):
    kind = "missing-module"


class ModuleImportFailed(SubmissionProblem):
    kind = "import-error"


class MissingFunction(SubmissionProblem):
    kind = "missing-function"


class NotImplementedYet(SubmissionProblem):
    kind = "not-implemented"


class LearnerRaised(SubmissionProblem):
    kind = "raised"


class BadReturnValue(SubmissionProblem):
    kind = "bad-return"


class CallTimedOut(SubmissionProblem):
    kind = "timeout"


class WorkerDied(SubmissionProblem):
    kind = "crashed"
