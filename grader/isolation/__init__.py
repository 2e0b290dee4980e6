"""Where learner code runs: the sandbox, the worker inside it and the channel between.

Grader side: `sandbox` (chooses and proves the isolation, starts and ends workers),
`bwrap` (the bubblewrap sandbox of the worker factory) and `proxy` (a submission whose
calls cross the channel). Worker side, the only grader modules copied into the sandbox:
`factory`, `namespaces`, `worker`, and what both sides share: `protocol` (the channel),
`plain` (the only data that crosses), `errors`, `formulas` and `figures`.

Nothing here imports from grader.checking but `checking.submission` (worker side), nor
from grader.reports or grader.instructor.
"""
