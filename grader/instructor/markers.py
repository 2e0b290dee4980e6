"""The markers that split a solution module: what stubs strip, nbgrader hides, mutants touch.

`### BEGIN SOLUTION` / `### END SOLUTION` enclose the part of a function a learner writes
(grader.instructor.stubs turns it into a stub, grader.instructor.mutants mutates only
inside it, and the nbgrader course keeps it for `nbgrader generate_assignment` to
strip); `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS` enclose a test cell's hidden
region. Defined here once.
"""

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
