"""The environment variables the grader reads, named once.

CALCGRADER_MEMORY_MB   a worker's address space in MB (Gradescope's run_autograder sets it)
CALCGRADER_ISOLATION   namespaces | uid: force one isolation (tests, instructors)
CALCGRADER_ALLOW_ROOT_WORKER
                       "1": learner code may run as root where nothing else is possible
                       (what --allow-root-worker sets, for the grading processes too)
CALCGRADER_CPU         the CPU a batch grading process pins itself to
CALCGRADER_WORKER      set in a worker's own environment: its space's name
"""

MEMORY = "CALCGRADER_MEMORY_MB"
ISOLATION = "CALCGRADER_ISOLATION"
ALLOW_ROOT = "CALCGRADER_ALLOW_ROOT_WORKER"
CPU = "CALCGRADER_CPU"
WORKER_MARKER = "CALCGRADER_WORKER"
