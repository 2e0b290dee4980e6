"""`from chain_rule import sigmoid` in a notebook imports the learner's chain_rule.ipynb.

Importing this module appends a finder to sys.meta_path: an exercise module that no other
finder knows (there is no chain_rule.py) is loaded from `<module>.ipynb` in the current
folder, its code cells turned into a module by grader.intake.notebooks. So a notebook of
the nbgrader course imports the learner's own earlier notebooks exactly as the kit's
modules import each other, with no helper copies of earlier answers. Where the module
exists as a .py file (a submission graded by `grader grade`), the normal import wins and
this finder is never asked.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import tempfile
from pathlib import Path

from grader.contract import CONTRACT


class NotebookFinder(importlib.abc.MetaPathFinder):
    """Finds an exercise module as a notebook beside the one running."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="calcgrader-notebook-modules-"))

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 (the finder API)
        notebook = Path.cwd() / f"{fullname}.ipynb"
        if fullname not in CONTRACT or path is not None or not notebook.is_file():
            return None
        from grader.intake.notebooks import extract_notebook  # only a notebook needs it
        try:
            written = extract_notebook(notebook, self.folder)
        except ValueError:
            return None
        if f"{fullname}.py" not in written:
            return None
        return importlib.util.spec_from_file_location(fullname, self.folder / f"{fullname}.py")


def install() -> None:
    """Add the finder once, after every other (it is the last resort)."""
    if not any(isinstance(finder, NotebookFinder) for finder in sys.meta_path):
        sys.meta_path.append(NotebookFinder())


install()
