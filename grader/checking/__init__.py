"""The checks' runtime: how a suite calls learner code and what a check may ask of it.

`pytest_plugin` gives every check its `submission` fixture and records results;
`submission` calls learner functions in process (a learner's self-check) and defines
what a call returns; `expect` and `gradcheck` are the assertions checks use;
`misconceptions` and `recognise` name a catalogued mistake; `run` grades one submission;
`bridge` lets an nbgrader notebook run the same checks; `notebook_modules` lets a
notebook import the learner's earlier notebooks.
"""
