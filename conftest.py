"""Registers the grader's pytest plugin for every suite in this repository."""

pytest_plugins = ["grader.checking.pytest_plugin"]
