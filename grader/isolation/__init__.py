"""Where learner code runs: the sandbox, the worker inside it and the channel between.

`submission` says what calling a learner function means (a Submission, its CallRecord,
the in-process way a learner's self-check and the worker both use). Grader side:
`sandbox` (chooses and proves the isolation, starts and ends workers), `bwrap` (the
bubblewrap sandbox of the worker factory) and `proxy` (a Submission whose calls cross the
channel). Worker side, the only grader modules copied into the sandbox with
`submission`: `factory`, `namespaces`, `worker`, and what both sides share: `protocol`
(the channel), `plain` (the only data that crosses), `errors`, `formulas` and `figures`.

Nothing here imports from grader.checking, grader.reports or grader.instructor; the
sandbox uses grader.intake's staging folders (locks and safe removal).
"""
