"""Read a learner's Jupyter notebooks as modules the grader can import.

`extract_notebook` turns a notebook (one of the kit's, filled in, or any notebook) into
module files: its code cells except nbgrader test cells, with IPython magics and shell
escapes commented out, demo statements at the top level (calls, prints, loops)
commented out, and cells that raise on import kept from sinking the rest, as in Jupyter.
Notebooks are read with the json module: the grader does not need nbformat.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import tempfile
import textwrap
from collections.abc import Iterable
from pathlib import Path

from grader.contract import CONTRACT

FUTURE_FEATURES = frozenset(importlib.import_module("__future__").all_feature_names)
MAX_NOTEBOOK_BYTES = 32 << 20     # notebooks carry outputs (images): larger than a module


def extract_notebook(notebook: Path, target_dir: Path) -> list[str]:
    """Write the learner's code of one notebook as module file(s) in target_dir.

    The module is the notebook's code cells in order, without nbgrader test cells (grade
    but not solution), with IPython magics and shell escapes commented out. Top-level demo
    statements (calls, prints, loops) are commented out too, since importing the module
    would run them; a cell that still raises on import leaves the others working, as in
    Jupyter. derivatives.ipynb becomes derivatives.py; a notebook with another name becomes
    every contract module whose functions it defines (helper cells do not count). Returns
    the file names written (none for a notebook that defines no exercise function).
    Raises ValueError, with one line, for a file that is not a notebook.
    """
    notebook, target_dir = Path(notebook), Path(target_dir)
    cells = read_notebook_cells(notebook)
    code_text, defined = notebook_module(cells, printable_name(notebook))
    if notebook.stem in CONTRACT:
        names = [notebook.stem]
    else:
        names = [module for module, functions in CONTRACT.items()
                 if any(function in defined for function in functions)]
    target_dir.mkdir(parents=True, exist_ok=True)
    for module in names:
        (target_dir / f"{module}.py").write_text(code_text)
    return [f"{module}.py" for module in names]


def extract_notebooks(source: Path, target_dir: Path) -> tuple[list[str], list[str]]:
    """A .ipynb file, or a folder of them (top level or one down), as modules in target_dir.

    Returns (file names written, notes on notebooks left out). A notebook named after a
    module wins over one that only defines that module's functions, and a shallower one
    over a deeper one; checkpoint and other hidden folders are skipped. A single file that
    is not a notebook raises ValueError; in a folder it is noted and skipped.
    """
    source, target_dir = Path(source), Path(target_dir)
    if source.is_file():
        return extract_notebook(source, target_dir), []
    found = [path for path in [*sorted(source.glob("*.ipynb")), *sorted(source.glob("*/*.ipynb"))]
             if not any(part.startswith(".") for part in path.relative_to(source).parts)]
    found.sort(key=lambda path: path.stem not in CONTRACT)     # stable: named ones first
    written: list[str] = []
    notes: list[str] = []
    target_dir.mkdir(parents=True, exist_ok=True)
    for path in found:
        label = str(path.relative_to(source))
        with tempfile.TemporaryDirectory(prefix="calcgrader-notebook-") as scratch:
            try:
                names = extract_notebook(path, Path(scratch))
            except ValueError as problem:
                notes.append(f"{label} was not graded: {problem}")
                continue
            if not names:
                notes.append(f"{label} was not graded: it defines none of the exercise functions")
            for name in names:
                if name in written:
                    notes.append(f"{label} was not graded as {name}: another notebook was")
                    continue
                shutil.copyfile(Path(scratch) / name, target_dir / name)
                written.append(name)
    return sorted(written), notes


def printable_name(path: Path) -> str:
    """The file name with control characters replaced: it goes into comments and messages."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", path.name)


def read_notebook_cells(notebook: Path) -> list[dict]:
    """The cells of an nbformat 4 (or 3) notebook file; ValueError with one line if not one."""
    name = printable_name(notebook)
    try:
        size = notebook.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"{name}: the notebook is {size / 2**20:.0f} MB "
                             f"(at most {MAX_NOTEBOOK_BYTES >> 20} MB); clear its outputs")
        data = json.loads(notebook.read_bytes().decode("utf-8-sig"))
    except json.JSONDecodeError as problem:
        raise ValueError(f"{name}: not a Jupyter notebook (invalid JSON at line "
                         f"{problem.lineno}: {problem.msg})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name}: not a Jupyter notebook (not UTF-8 text)") from None
    except OSError as problem:
        raise ValueError(f"{name}: cannot be read ({problem.strerror})") from None
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        cells = data["cells"]
    elif isinstance(data, dict) and isinstance(data.get("worksheets"), list):   # nbformat 3
        cells = [cell for sheet in data["worksheets"] if isinstance(sheet, dict)
                 for cell in sheet.get("cells", [])]
    else:
        raise ValueError(f"{name}: not a Jupyter notebook (JSON without cells)")
    if not all(isinstance(cell, dict) for cell in cells):
        raise ValueError(f"{name}: not a Jupyter notebook (a cell is not an object)")
    return cells


def cell_source(cell: dict) -> str:
    source = cell.get("source", cell.get("input", ""))
    if isinstance(source, list):
        return "".join(str(line) for line in source)
    return source if isinstance(source, str) else ""


def is_test_cell(cell: dict) -> bool:
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return bool(meta.get("grade")) and not meta.get("solution")


def is_helper_cell(cell: dict) -> bool:
    """A locked cell that is not a test: imports and helpers from earlier notebooks."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return bool(meta.get("locked")) and not meta.get("solution") and not meta.get("grade")


def notebook_module(cells: list[dict], label: str) -> tuple[str, set[str]]:
    """(module source, functions defined outside helper cells) of a notebook's code cells."""
    futures: set[str] = set()
    parts: list[str] = []
    defined: set[str] = set()
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        source = cell_source(cell)
        if not source.strip():
            continue
        text, cell_futures, names = module_code(source, f"cell {number}")
        futures |= cell_futures
        if not is_helper_cell(cell):
            defined |= names
        parts.append(f"# --- {label}, cell {number} ---\n{text.rstrip()}\n")
    header = [f"# Extracted from {label} by the grader: its code cells, without test cells;",
              "# magics, shell escapes and top-level demo statements are commented out."]
    if futures:
        header.append(f"from __future__ import {', '.join(sorted(futures))}")
    return "\n".join(header) + "\n\n\n" + "\n\n".join(parts), defined


MAGIC = re.compile(r"^\s*(%|!|\w+\s*=\s*[%!])|^\s*[\w.]+\?{1,2}\s*$|^\s*\?")
KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
        ast.Assign, ast.AnnAssign, ast.AugAssign, ast.If, ast.Try, ast.Pass, ast.Global)
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
               ast.ClassDef, ast.Pass)


def module_code(source: str, where: str) -> tuple[str, set[str], set[str]]:
    """(code, __future__ features, top-level function names) of one code cell."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return _commented(lines, f"{where}: a cell magic, not run by the grader"), set(), set()
    try:
        tree = ast.parse(source)
    except SyntaxError:   # IPython syntax? comment out magics, escapes and help requests
        lines = [f"# {line}" if MAGIC.match(line) else line for line in lines]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as problem:
        return (_commented(lines, f"{where}: not valid Python (SyntaxError: {problem.msg}, "
                                  f"line {problem.lineno}), left out"), set(), set())
    futures: set[str] = set()
    work = False
    for node in tree.body:
        first, last = _span(node)
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            futures.update(alias.name for alias in node.names
                           if alias.name in FUTURE_FEATURES)
            drop = True
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            drop = False                           # a docstring or a bare constant
        else:
            drop = not isinstance(node, KEEP)
            work = work or (not drop and not isinstance(node, DEFINITIONS))
        if drop:
            for index in range(first, last + 1):
                lines[index] = f"# {lines[index]}"
    names = {node.name for node in _top_level(tree.body)
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    code_text = "\n".join(lines)
    try:
        compile(code_text, where, "exec", dont_inherit=True)
    except SyntaxError as problem:
        return (_commented(lines, f"{where}: not valid Python (SyntaxError: {problem.msg}), "
                                  "left out"), futures, set())
    if work:   # assignments and blocks may raise: keep that from sinking the other cells
        body = textwrap.indent(code_text, "    ", lambda line: True)
        code_text = (f"try:\n{body}\n    pass\nexcept Exception:  # if {where} fails, the other "
                     "cells still run, as in Jupyter\n    pass")
    return code_text, futures, names


def _span(node: ast.stmt) -> tuple[int, int]:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first - 1, (node.end_lineno or node.lineno) - 1


def _top_level(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Statements at module level, including those inside top-level if and try blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _top_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body + node.orelse + node.finalbody
                                  + [n for handler in node.handlers for n in handler.body])


def _commented(lines: list[str], why: str) -> str:
    return "\n".join([f"# [{why}]"] + [line if line.startswith("# ") else f"# {line}"
                                       for line in lines])
