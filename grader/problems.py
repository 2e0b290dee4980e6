"""Problems the user of a command can fix: shown as one line on stderr, exit code 2; and
the grader's own faults, which are never the learner's (exit 2, no grade).

Every module's own kind (a batch folder that cannot be used, a release target that is
not empty, a shard that does not parse, ...) derives from ToolProblem, so the command line
reports them all without importing the instructors' modules, which the student bundle
leaves out.
"""

from __future__ import annotations


class ToolProblem(Exception):
    """A problem the user can fix; the message says what and how, in one line."""


class UsageProblem(ToolProblem):
    """A command used in a way that cannot work (a bad option, a folder not writable)."""


class GraderFault(Exception):
    """The grader itself could not run its suites (not the learner's fault)."""
