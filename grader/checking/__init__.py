"""The checks' runtime: what a check may ask of a submission, and grading one.

`pytest_plugin` gives every check its `submission` fixture (a grader.isolation
Submission) and records results; `expect` and `gradcheck` are the assertions checks use;
`misconceptions` and `recognise` name a catalogued mistake; `run` grades one submission;
`bridge` lets an nbgrader notebook run the same checks; `notebook_modules` lets a
notebook import the learner's earlier notebooks.
"""
