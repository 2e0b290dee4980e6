"""The calculus-for-optimization grader: isolated, explained, plotted grading."""

__version__ = "0.1.0"
