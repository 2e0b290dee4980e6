"""A submission folder (or a folder of notebooks) copied into a staging folder.

The folder and each folder in it are opened relative to their parent's descriptor with
O_NOFOLLOW; only regular `.py` files of at most MAX_FILE_BYTES are taken, from the top
or one folder down, as LMS downloads have them, or notebooks, which are copied the same
way and parsed by a limited child process (grader.intake.notebooks).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from grader.contract import MODULES
from grader.intake.files import (
    FOLDER_FLAGS,
    MAX_ARCHIVE_BYTES,
    MAX_ARCHIVE_MEMBERS,
    MAX_FILE_BYTES,
    NOT_TAKEN,
    Entry,
    NotASubmission,
    SubmissionFile,
    TooLarge,
    Unreadable,
    copy_regular,
    not_taken_note,
    printable,
    too_large,
    why_unreadable,
)
from grader.intake.notebooks import MAX_NOTEBOOK_BYTES, NotebookReaderFault, extract_notebooks
from grader.intake.staging import StagedSubmission
from grader.problems import GraderFault


def stage_folder(path: Path, staged: StagedSubmission) -> None:
    """A folder of modules (or of notebooks), at the top or one folder down."""
    with open_folder(str(path), None, str(path)) as top:
        entries = survey(top, staged)
        files = [e for e in entries if not stat.S_ISDIR(e.mode)]
        modules = [e.path for e in files if e.path.suffix == ".py"]
        if not modules and any(e.path.suffix.lower() == ".ipynb" for e in files):
            stage_notebook_folder(top, files, staged, str(path))
            return
        try:
            folder = locate_modules(modules, str(path))
        except NotASubmission as problem:
            raise NotASubmission(f"{problem}{links_hint(entries)}") from None
        copy_modules(top, folder, files, staged, str(path))


def survey(top: int, staged: StagedSubmission) -> list[Entry]:
    """The entries of the folder open as top and of its real sub-folders one down (not
    hidden ones, not links), at most MAX_ARCHIVE_MEMBERS in all."""
    entries = list_folder(top, SubmissionFile())
    for entry in list(entries):
        name = entry.path.name
        if not stat.S_ISDIR(entry.mode) or name.startswith(".") or name == "__MACOSX":
            continue
        if len(entries) >= MAX_ARCHIVE_MEMBERS:
            break
        with contextlib.suppress(NotASubmission), open_folder(name, top, name) as below:
            entries.extend(list_folder(below, entry.path, MAX_ARCHIVE_MEMBERS - len(entries)))
    if len(entries) >= MAX_ARCHIVE_MEMBERS:
        staged.notes.append(f"the submission has more than {MAX_ARCHIVE_MEMBERS} files; "
                            "only the first were looked at")
    return entries


def list_folder(fd: int, prefix: SubmissionFile, limit: int = MAX_ARCHIVE_MEMBERS
                ) -> list[Entry]:
    """The entries of the folder open as fd (lstat: a link is a link), at most limit."""
    entries: list[Entry] = []
    try:
        with os.scandir(fd) as listing:
            for item in listing:
                if len(entries) >= limit:
                    break
                with contextlib.suppress(OSError):
                    info = item.stat(follow_symlinks=False)
                    entries.append(Entry(prefix / item.name, info.st_mode, info.st_size))
    except OSError:
        pass
    return sorted(entries, key=lambda entry: entry.path)


@contextlib.contextmanager
def open_folder(name: str, dir_fd: int | None, label: str) -> Iterator[int]:
    """A descriptor on a real folder (never a link), closed on exit; NotASubmission if not."""
    try:
        fd = os.open(name, FOLDER_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        raise NotASubmission(f"{label}: {why_unreadable(error)}") from None
    try:
        yield fd
    finally:
        os.close(fd)


def links_hint(entries: list[Entry]) -> str:
    """'; hw is a symbolic link ...' when links may be why no module was found."""
    links = [printable(str(e.path)) for e in entries if stat.S_ISLNK(e.mode)]
    if len(links) == 1:
        return f" ({links[0]} is a symbolic link, which the grader does not follow)"
    if links:
        return (f" ({', '.join(links[:3])}{' ...' if len(links) > 3 else ''}: symbolic "
                "links, which the grader does not follow)")
    return ""


def locate_modules(files: list[PurePosixPath | Path], label: str) -> PurePosixPath:
    """The folder (top level or one down, relative) that holds the most contract modules."""
    counts: dict[PurePosixPath, int] = {}
    for file in files:
        relative = PurePosixPath(*Path(file).parts)
        if len(relative.parts) <= 2 and relative.stem in MODULES and relative.suffix == ".py":
            counts[relative.parent] = counts.get(relative.parent, 0) + 1
    if not counts:
        raise NotASubmission(f"{label}: holds none of the exercise modules "
                             f"({', '.join(m + '.py' for m in MODULES[:3])}, ...); "
                             "point to the folder that contains them")
    return max(sorted(counts), key=lambda folder: counts[folder])


def copy_modules(top: int, folder: PurePosixPath, files: list[Entry],
                 staged: StagedSubmission, label: str) -> None:
    """Copy the regular .py files of folder (relative to top) into staged.folder; links,
    FIFOs, devices and files over MAX_FILE_BYTES are noted, not read."""
    staged.folder.mkdir(parents=True)
    chosen = [e for e in files if e.path.parent == folder and e.path.suffix == ".py"]
    with within(top, folder) as source:
        total = 0
        for entry in chosen:
            name = printable(entry.path.name)
            if entry.path.name in NOT_TAKEN:
                staged.notes.append(not_taken_note(name))
                continue
            if why_not_regular(entry, name, staged):
                continue
            if entry.size > MAX_FILE_BYTES:
                staged.notes.append(too_large(name, entry.size))
                continue
            total += entry.size
            if total > MAX_ARCHIVE_BYTES:
                raise NotASubmission(f"{label}: holds more than {MAX_ARCHIVE_BYTES >> 20} MB "
                                     "of code")
            take(source, entry, staged.folder / entry.path.name, MAX_FILE_BYTES, staged)


def why_not_regular(entry: Entry, name: str, staged: StagedSubmission) -> bool:
    """True, with a note for the learner, when entry is a link, FIFO, device or socket:
    such an entry is never opened."""
    if stat.S_ISLNK(entry.mode):
        staged.notes.append(f"{name} is a symbolic link and was not graded")
    elif not stat.S_ISREG(entry.mode):
        staged.notes.append(f"{name} is not a regular file and was not graded")
    else:
        return False
    return True


@contextlib.contextmanager
def within(top: int, folder: PurePosixPath) -> Iterator[int]:
    """A descriptor on folder (top itself, or a real sub-folder one down of it)."""
    if folder == PurePosixPath("."):
        yield top
        return
    with open_folder(folder.name, top, str(folder)) as fd:
        yield fd


def take(source: int, entry: Entry, target: Path, cap: int, staged: StagedSubmission) -> bool:
    """Copy one file of the submission into the staging folder; a note if it is refused."""
    name = printable(str(entry.path))
    try:
        copy_regular(entry.path.name, source, target, cap)
    except TooLarge as big:
        staged.notes.append(too_large(name, big.size))
        return False
    except Unreadable as problem:
        staged.notes.append(f"{name} was not graded: it {problem}")
        return False
    return True


def stage_notebooks(source: Path, staged: StagedSubmission, label: str) -> None:
    """Stage the learner's code from a notebook, or a folder of them, as modules.

    source is the grader's own copy (in the staging folder); each notebook is parsed by
    a limited child process, so none can crash or exhaust the grading process.
    """
    try:
        written, notes = extract_notebooks(source, staged.folder, isolated=True)
    except ValueError as problem:
        raise NotASubmission(str(problem)) from None
    except NotebookReaderFault as fault:
        raise GraderFault(str(fault)) from None
    staged.notes.extend(notes)
    if not written:
        raise NotASubmission(f"{label}: its notebooks define none of the exercise functions"
                             + "".join(f"; {note}" for note in notes[:3]))


def stage_notebook_file(path: Path, staged: StagedSubmission) -> None:
    """A single .ipynb: copied (capped, never through a link) into staging, then read."""
    unpacked = staged.folder.parent / "notebooks"
    unpacked.mkdir()
    target = unpacked / path.name
    try:
        copy_regular(str(path), None, target, MAX_NOTEBOOK_BYTES)
    except TooLarge as big:
        raise NotASubmission(f"{path}: the notebook is {big.size / 2**20:.0f} MB (at most "
                             f"{MAX_NOTEBOOK_BYTES >> 20} MB); clear its outputs") from None
    except Unreadable as problem:
        raise NotASubmission(f"{path}: {problem}") from None
    stage_notebooks(target, staged, str(path))


def stage_notebook_folder(top: int, files: list[Entry], staged: StagedSubmission,
                          label: str) -> None:
    """The regular .ipynb files (top level or one down, not hidden) copied into staging,
    at most MAX_NOTEBOOK_BYTES each and MAX_ARCHIVE_BYTES in all, then read."""
    unpacked = staged.folder.parent / "notebooks"
    unpacked.mkdir()
    total = 0
    for entry in files:
        name = printable(str(entry.path))
        if entry.path.suffix.lower() != ".ipynb" or any(
                part.startswith(".") for part in entry.path.parts):
            continue
        if why_not_regular(entry, name, staged):
            continue
        total += entry.size
        if entry.size > MAX_NOTEBOOK_BYTES or total > MAX_ARCHIVE_BYTES:
            staged.notes.append(f"{name} was not graded: it is {entry.size / 2**20:.0f} MB "
                                f"(at most {MAX_NOTEBOOK_BYTES >> 20} MB each and "
                                f"{MAX_ARCHIVE_BYTES >> 20} MB in all); clear its outputs")
            continue
        (unpacked / entry.path).parent.mkdir(exist_ok=True)
        with within(top, entry.path.parent) as source:
            take(source, entry, unpacked / entry.path, MAX_NOTEBOOK_BYTES, staged)
    stage_notebooks(unpacked, staged, label)
