"""Read a learner's Jupyter notebooks as modules the grader can import.

`extract_notebook` turns a notebook (one of the kit's, filled in, or any notebook) into
module files: its code cells except nbgrader test cells, with IPython magics and shell
escapes commented out, demo statements at the top level (calls, prints, loops)
commented out, and cells that raise on import kept from sinking the rest, as in Jupyter.
Notebooks are read with the json module: the grader does not need nbformat.

A notebook is hostile input, so reading one is capped: the file is opened without
following a link and read only if it is a regular file of at most MAX_NOTEBOOK_BYTES;
a notebook holds at most MAX_CELLS cells, a cell at most MAX_CELL_CHARS characters of
code and the notebook MAX_CODE_CHARS in all (a 3 MB list literal needs about 1.4 GB to
parse); a cell too deeply nested to parse (a 30,000-term sum) is left out with a note.
The grader itself reads notebooks with `extract_notebooks(..., isolated=True)`: each
notebook is parsed by a short-lived `python -I -S` child under an address-space, CPU and
wall-clock limit, which answers in JSON, so no notebook can crash or exhaust the grading
process. The in-process functions stay for the kit's own tools and tests.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from grader.contract import CONTRACT
from grader.intake.files import (
    FOLDER_FLAGS,
    Unreadable,
    printable,
    printable_name,
    read_regular,
    why_unreadable,
)

FUTURE_FEATURES = frozenset(importlib.import_module("__future__").all_feature_names)
MAX_NOTEBOOK_BYTES = 32 << 20     # notebooks carry outputs (images): larger than a module
MAX_CELLS = 10_000                # a course notebook has a few dozen
MAX_CELL_CHARS = 200_000          # parsing code costs ~470x its size in memory
MAX_CODE_CHARS = 1 << 20          # as a .py module, at most 1 MB of code per notebook
MAX_FOLDER_ENTRIES = 10_000       # entries of a folder looked at for notebooks
READER_MEMORY_BYTES = 512 << 20   # the child that parses one notebook
READER_CPU_SECONDS = 20
READER_WALL_SECONDS = 60
# a submission's notebooks in all: the course has nine, each read in well under a second;
# many slow ones would otherwise hold a grade for the sum of their limits
MAX_NOTEBOOKS = 20
READING_BUDGET_SECONDS = 90
READER_FILE_BYTES = 16 << 20      # the module files it writes
READER_ROOT = Path(__file__).resolve().parents[2]       # the folder holding grader/
READER_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
               "from grader.intake.notebooks import reader_main; reader_main(sys.argv[2:])")
MODULE_FILES = frozenset(f"{module}.py" for module in CONTRACT)

Extractor = Callable[[Path, Path], tuple[list[str], list[str]]]



class NotebookReaderFault(Exception):
    """The notebook reader itself failed (the grader's fault, not the learner's)."""


class CellLeftOut(Exception):
    """A code cell the grader does not take; the message says why."""





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
    return extract_with_notes(notebook, target_dir)[0]


def extract_with_notes(notebook: Path, target_dir: Path) -> tuple[list[str], list[str]]:
    """extract_notebook, in this process: (file names written, notes on cells left out)."""
    notebook, target_dir = Path(notebook), Path(target_dir)
    cells = read_notebook_cells(notebook)
    code_text, defined, notes = notebook_module(cells, printable_name(notebook))
    if notebook.stem in CONTRACT:
        names = [notebook.stem]
    else:
        names = [module for module, functions in CONTRACT.items()
                 if any(function in defined for function in functions)]
    target_dir.mkdir(parents=True, exist_ok=True)
    for module in names:
        (target_dir / f"{module}.py").write_text(code_text, encoding="utf-8", errors="replace")
    return [f"{module}.py" for module in names], notes


def extract_notebooks(source: Path, target_dir: Path, isolated: bool = False
                      ) -> tuple[list[str], list[str]]:
    """A .ipynb file, or a folder of them (top level or one down), as modules in target_dir.

    Returns (file names written, notes on notebooks and cells left out). A notebook named
    after a module wins over one that only defines that module's functions, and a
    shallower one over a deeper one; checkpoint and other hidden folders are skipped, and
    no symbolic link is followed. A single file that is not a notebook raises ValueError;
    in a folder it is noted and skipped. With isolated, each notebook is parsed by a
    limited child process (see the module's docstring); a failure of that child that is
    not the notebook's doing raises NotebookReaderFault. At most MAX_NOTEBOOKS are read,
    within READING_BUDGET_SECONDS in all; the rest are noted.
    """
    source, target_dir = Path(source), Path(target_dir)
    extract: Extractor = extract_isolated if isolated else extract_with_notes
    try:
        mode = os.lstat(source).st_mode
    except OSError as error:
        raise ValueError(f"{printable_name(source)}: {why_unreadable(error)}") from None
    if stat.S_ISREG(mode):
        return extract(source, target_dir)
    if stat.S_ISLNK(mode):
        raise ValueError(f"{printable_name(source)}: is a symbolic link, which the grader "
                         "does not follow")
    if not stat.S_ISDIR(mode):
        raise ValueError(f"{printable_name(source)}: is not a regular file (a FIFO, device "
                         "or socket)")
    found, notes = list_notebooks(source)
    found.sort(key=lambda path: path.stem not in CONTRACT)     # stable: named ones first
    written: list[str] = []
    target_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for number, path in enumerate(found):
        if number == MAX_NOTEBOOKS or time.monotonic() - started > READING_BUDGET_SECONDS:
            notes.append(f"{len(found) - number} more notebooks were not read: at most "
                         f"{MAX_NOTEBOOKS} notebooks and {READING_BUDGET_SECONDS} s of "
                         "reading per submission (those named after a module come first)")
            break
        label = printable(str(path.relative_to(source)))
        notes += take_notebook(extract, path, label, target_dir, written)
    return sorted(written), notes


def take_notebook(extract: Extractor, path: Path, label: str, target_dir: Path,
                  written: list[str]) -> list[str]:
    """Extract one notebook's modules into target_dir, unless an earlier notebook gave
    the same module (written, updated); the notes on what was left out."""
    scratch = Path(tempfile.mkdtemp(prefix=".notebook-", dir=target_dir))
    try:
        try:
            names, notes = extract(path, scratch)
        except ValueError as problem:
            return [f"{label} was not graded: {problem}"]
        if not names:
            notes.append(f"{label} was not graded: it defines none of the exercise functions")
        for name in names:
            if name in written:
                notes.append(f"{label} was not graded as {name}: another notebook was")
                continue
            shutil.copyfile(scratch / name, target_dir / name)
            written.append(name)
        return notes
    finally:
        shutil.rmtree(scratch, ignore_errors=True)     # flat: only module files


def list_notebooks(source: Path) -> tuple[list[Path], list[str]]:
    """The .ipynb files of source and of its sub-folders one down, sorted level by level;
    links are not followed but noted, hidden files and folders are skipped."""
    found: list[Path] = []
    notes: list[str] = []
    folders = [source]
    for depth in range(2):
        subfolders: list[Path] = []
        for folder in folders:
            for path, mode in sorted(folder_entries(folder)):
                label = printable(str(path.relative_to(source)))
                if path.name.startswith(".") or path.name == "__MACOSX":
                    continue
                if stat.S_ISDIR(mode) and depth == 0:
                    subfolders.append(path)
                elif path.suffix.lower() != ".ipynb":
                    continue
                elif stat.S_ISLNK(mode):
                    notes.append(f"{label} is a symbolic link and was not graded")
                elif not stat.S_ISREG(mode):
                    notes.append(f"{label} is not a regular file and was not graded")
                else:
                    found.append(path)
        folders = subfolders
    return found, notes


def folder_entries(folder: Path) -> list[tuple[Path, int]]:
    """(path, mode of the entry itself) for at most MAX_FOLDER_ENTRIES entries; a folder
    that is a link or cannot be listed has none."""
    entries: list[tuple[Path, int]] = []
    try:
        fd = os.open(folder, FOLDER_FLAGS)
    except OSError:
        return entries
    try:
        with os.scandir(fd) as listing:
            for entry in listing:
                if len(entries) >= MAX_FOLDER_ENTRIES:
                    break
                try:
                    entries.append((folder / entry.name, entry.stat(follow_symlinks=False).st_mode))
                except OSError:
                    continue
    except OSError:
        pass
    finally:
        os.close(fd)
    return entries


# ------------------------------------------------------------ the isolated reader

def extract_isolated(notebook: Path, target_dir: Path) -> tuple[list[str], list[str]]:
    """extract_with_notes run by a limited child process; the same result and errors.

    A child that runs out of memory, CPU or wall time, or crashes while parsing, means the
    notebook is too large or too complex: ValueError, with one line. A child that cannot
    start, or fails in a way parsing does not explain, is the grader's fault:
    NotebookReaderFault.
    """
    name = printable_name(notebook)
    target_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-I", "-S", "-c", READER_BOOT, str(READER_ROOT),
               str(notebook), str(target_dir)]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=READER_WALL_SECONDS, cwd=target_dir,
                              env={"PATH": os.defpath, "LC_ALL": "C.UTF-8"})
    except subprocess.TimeoutExpired:
        raise ValueError(f"{name}: reading it took longer than {READER_WALL_SECONDS} s; "
                         "split its largest cells") from None
    except OSError as error:
        raise NotebookReaderFault(f"the notebook reader could not start ({error})") from None
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if not lines or lines[0] != "ready":
        raise NotebookReaderFault("the notebook reader could not start: "
                                  + last_line(done.stderr))
    reply = parse_reply(lines[-1]) if len(lines) > 1 else None
    if reply is None:
        raise ValueError(f"{name}: too large or too complex to read "
                         f"({how_it_ended(done.returncode)}); clear its outputs or split "
                         "its largest cells")
    if "fault" in reply:
        raise NotebookReaderFault(f"the notebook reader failed: {reply['fault']}"[:300])
    if "error" in reply:
        raise ValueError(" ".join(str(reply["error"]).split())[:300])
    written = [n for n in reply.get("written", []) if n in MODULE_FILES
               and (target_dir / n).is_file()]
    notes = [" ".join(str(n).split())[:300] for n in reply.get("notes", [])[:50]]
    return written, notes


def parse_reply(line: str) -> dict | None:
    try:
        reply = json.loads(line)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def last_line(stderr: bytes) -> str:
    text = stderr[-2000:].decode("utf-8", "replace").strip()
    return text.splitlines()[-1][:200] if text else "no message"


def how_it_ended(returncode: int) -> str:
    """Why the reader stopped, in words: the limit it hit, as far as the exit says."""
    if returncode == -signal.SIGXCPU:
        return f"more than {READER_CPU_SECONDS} s of CPU"
    if returncode < 0:
        return f"the reader was stopped by {signal.Signals(-returncode).name}"
    return f"more than {READER_MEMORY_BYTES >> 20} MB of memory"


def limit_reader() -> None:
    """In the child: cap its address space, CPU time, file size and core dumps."""
    import resource
    for limit, value in ((resource.RLIMIT_AS, READER_MEMORY_BYTES),
                         (resource.RLIMIT_CPU, READER_CPU_SECONDS),
                         (resource.RLIMIT_FSIZE, READER_FILE_BYTES),
                         (resource.RLIMIT_CORE, 0)):
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, hard))


def reader_main(argv: list[str]) -> None:
    """The child's entry point: `READER_BOOT ROOT NOTEBOOK TARGET_DIR`.

    Prints 'ready' once its limits are set, then one JSON line: {"written", "notes"},
    {"error": one line} for a notebook that cannot be read, or {"fault": ...} for a
    failure of the reader's own code.
    """
    limit_reader()
    print("ready", flush=True)
    notebook, target_dir = Path(argv[0]), Path(argv[1])
    try:
        written, notes = extract_with_notes(notebook, target_dir)
        reply: dict = {"written": written, "notes": notes}
    except ValueError as problem:
        reply = {"error": str(problem)}
    except (RecursionError, MemoryError):
        reply = {"error": f"{printable_name(notebook)}: too large or too complex to read "
                          "(its JSON is nested too deeply or too big); clear its outputs"}
    except Exception as exc:  # our own bug: the grader's fault, said as such
        reply = {"fault": f"{type(exc).__name__}: {exc}"[:300]}
    print(json.dumps(reply), flush=True)


# ------------------------------------------------------------ reading one notebook



def read_notebook_cells(notebook: Path) -> list[dict]:
    """The cells of an nbformat 4 (or 3) notebook file; ValueError with one line if not one."""
    name = printable_name(Path(notebook).name)
    try:
        raw = read_regular(notebook, MAX_NOTEBOOK_BYTES)
    except Unreadable as problem:
        raise ValueError(f"{name}: {problem}") from None
    except ValueError as size:
        raise ValueError(f"{name}: the notebook is {size.args[0] / 2**20:.0f} MB "
                         f"(at most {MAX_NOTEBOOK_BYTES >> 20} MB); clear its outputs") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except json.JSONDecodeError as problem:
        raise ValueError(f"{name}: not a Jupyter notebook (invalid JSON at line "
                         f"{problem.lineno}: {problem.msg})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name}: not a Jupyter notebook (not UTF-8 text)") from None
    except RecursionError:
        raise ValueError(f"{name}: not a Jupyter notebook (its JSON is nested too "
                         "deeply)") from None
    except ValueError as problem:          # e.g. an integer of more than 4,300 digits
        raise ValueError(f"{name}: not a Jupyter notebook ({str(problem)[:100]})") from None
    del raw
    return notebook_cells(data, name)


def notebook_cells(data: object, name: str) -> list[dict]:
    """The cell objects of parsed notebook JSON; ValueError with one line if it is not one."""
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        cells = data["cells"]
    elif isinstance(data, dict) and isinstance(data.get("worksheets"), list):   # nbformat 3
        cells = [cell for sheet in data["worksheets"] if isinstance(sheet, dict)
                 and isinstance(sheet.get("cells"), list) for cell in sheet["cells"]]
    else:
        raise ValueError(f"{name}: not a Jupyter notebook (JSON without cells)")
    if len(cells) > MAX_CELLS:
        raise ValueError(f"{name}: has {len(cells)} cells (at most {MAX_CELLS})")
    if not all(isinstance(cell, dict) for cell in cells):
        raise ValueError(f"{name}: not a Jupyter notebook (a cell is not an object)")
    return cells


def cell_source(cell: dict) -> str:
    source = cell.get("source", cell.get("input", ""))
    if isinstance(source, list):
        return "".join(line for line in source if isinstance(line, str))
    return source if isinstance(source, str) else ""


def nbgrader_metadata(cell: dict) -> dict:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return nbgrader if isinstance(nbgrader, dict) else {}


def is_test_cell(cell: dict) -> bool:
    meta = nbgrader_metadata(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_helper_cell(cell: dict) -> bool:
    """A locked cell that is not a test: imports and helpers from earlier notebooks."""
    meta = nbgrader_metadata(cell)
    return bool(meta.get("locked")) and not meta.get("solution") and not meta.get("grade")


def notebook_module(cells: list[dict], label: str) -> tuple[str, set[str], list[str]]:
    """(module source, functions defined outside helper cells, notes on cells left out)
    of a notebook's code cells."""
    futures: set[str] = set()
    parts: list[str] = []
    defined: set[str] = set()
    notes: list[str] = []
    total = 0
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        source = cell_source(cell)
        if not source.strip():
            continue
        try:
            text, cell_futures, names = capped_cell(source, number, total)
        except CellLeftOut as why:
            notes.append(f"{label}, cell {number} was left out: {why}")
            parts.append(f"# --- {label}, cell {number} ---\n# [left out: {why}]\n")
            continue
        total += len(source)
        futures |= cell_futures
        if not is_helper_cell(cell):
            defined |= names
        parts.append(f"# --- {label}, cell {number} ---\n{text.rstrip()}\n")
    header = [f"# Extracted from {label} by the grader: its code cells, without test cells;",
              "# magics, shell escapes and top-level demo statements are commented out."]
    if futures:
        header.append(f"from __future__ import {', '.join(sorted(futures))}")
    return "\n".join(header) + "\n\n\n" + "\n\n".join(parts), defined, notes


def capped_cell(source: str, number: int, total: int) -> tuple[str, set[str], set[str]]:
    """module_code of a cell within the caps; CellLeftOut if it is too large or complex."""
    if len(source) > MAX_CELL_CHARS:
        raise CellLeftOut(f"{len(source):,} characters of code (at most {MAX_CELL_CHARS:,} "
                          "in a cell)")
    if total + len(source) > MAX_CODE_CHARS:
        raise CellLeftOut(f"the notebook's code passes {MAX_CODE_CHARS >> 20} MB")
    if "\x00" in source:      # kept even as a comment, it would stop the whole module's import
        raise CellLeftOut("it holds a NUL byte")
    try:
        return module_code(source, f"cell {number}")
    except (RecursionError, MemoryError):   # e.g. a 30,000-term sum: too deep for the parser
        raise CellLeftOut("its code is nested too deeply (or is too large) to be parsed") from None
    except UnicodeError:                    # lone surrogates from JSON escapes
        raise CellLeftOut("it holds characters that are not valid Unicode") from None


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
