"""The instructors' tools; none of this package ships in the student bundle.

Grading a class (`batch`, `serve`, `shards`, `class_report`), building what platforms
run (`release`, `gradescope`, `nbgrader_course`), taking nbgrader's collected
submissions through the isolated grader into its gradebook (`nbgrader_gradebook`),
keeping the kit whole (`stubs`, `markers`, `points`) and measuring the hidden suite
(`audit`, `mutants`). The command line imports these modules only when their verb runs,
so the bundle's `python -m grader` works without them.
"""
