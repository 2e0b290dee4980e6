"""What a grade becomes: the results model, the feedback files and the plots.

`results` is the model every report is written from (results.json); `formats` writes
feedback.md, feedback.html, JUnit XML and the platforms' JSON; `markup` is the text
cleaning, HTML escaping, stylesheet and page frame every HTML report shares (the class
report's too); `hints` words each kind of failure; `plots` draws the learner's own runs
beside the reference.
"""
