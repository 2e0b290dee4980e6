"""What a grade becomes: the results model, the feedback files and the plots.

`results` is the model every report is written from (results.json); `formats` writes
feedback.md, feedback.html, JUnit XML and the platforms' JSON; `hints` words each kind of
failure; `plots` draws the learner's own runs beside the reference.
"""
