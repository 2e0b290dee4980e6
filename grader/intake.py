"""Turn what a user points at (a folder, a .zip, a notebook, an LMS download) into a staged folder.

A submission is hostile, so the grading process reads it without trusting any path in
it: the submission itself, every folder and every file is opened with O_NOFOLLOW (and
files with O_NONBLOCK) relative to its folder's descriptor, and a file is read only if
fstat on the opened file says it is regular, up to a cap. No symbolic link is followed
(not the submission, nor a folder in it, nor a module or notebook), and no FIFO, device
or socket is read: each is noted, or, for the submission itself, refused in one line.
Only regular `.py` files of at most MAX_FILE_BYTES are taken, or notebooks, which are
parsed by a short-lived child process under memory, CPU and time limits
(grader.notebook_intake). Archives: no paths that leave them, no zip bombs, no table of
contents of millions of entries. The modules may sit at the top or one folder down, as
LMS downloads do. Anything that cannot be graded raises NotASubmission with one line
saying what is wrong and what to do.

Each staging folder (calcgrader-intake-* in the temp folder) holds a lock file, locked
for the life of the grade, so `sweep_stale_staging()` removes the folders of grades that
were killed and no others; `remove_tree()` removes a folder of any depth without
following links and without recursion.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import struct
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from grader.contract import MODULES
from grader.notebook_intake import (
    FOLDER_FLAGS,
    MAX_NOTEBOOK_BYTES,
    NotebookReaderFault,
    Unreadable,
    extract_notebooks,
    open_regular,
    printable,
    why_unreadable,
)

try:
    from lzma import LZMAError
except ImportError:  # pragma: no cover - Python built without lzma
    LZMAError = OSError

MAX_FILE_BYTES = 1 << 20          # a learner module larger than 1 MB is not graded
MAX_ARCHIVE_BYTES = 64 << 20      # total size of the .py files (or notebooks) taken
MAX_ARCHIVE_MEMBERS = 10_000      # entries of an archive, or of a submission's folders
MAX_CENTRAL_DIRECTORY = 4 << 20   # bytes of a zip's table of contents (~10,000 entries)
MAX_MEMBER_PARTS = 4              # folders a notebook may sit in, inside a zip
STAGING_PREFIX = "calcgrader-intake-"
LOCK_NAME = ".calcgrader.lock"
UNLOCKED_GRACE_SECONDS = 3600     # a staging folder without a lock: being made, or very old
MAX_OPEN_FOLDERS = 128            # remove_tree's open folders (two descriptors each);
                                  # deeper trees are left to `rm -rf`
CHUNK = 1 << 20
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
              NotImplementedError, ValueError, zlib.error, struct.error, LZMAError)

SubmissionFile = PurePosixPath   # a path inside the submission, relative to it


class NotASubmission(Exception):
    """The path cannot be graded; the message says why and what to do."""


class TooLarge(Unreadable):
    """A file over its cap; size is what was seen (bytes)."""

    def __init__(self, size: int):
        super().__init__(f"is {size / 2**20:.1f} MB")
        self.size = size


@dataclass
class StagedSubmission:
    """A private folder holding the learner's modules, and notes on what was left out."""

    folder: Path
    notes: list[str] = field(default_factory=list)
    _tempdir: Path | None = None
    _lock: int | None = None          # held for the life of the grade (see sweep)

    def close(self) -> None:
        if self._tempdir:
            remove_tree(self._tempdir)
            self._tempdir = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


@dataclass(frozen=True)
class Entry:
    """One entry of a submission folder, as lstat sees it (never what a link points to)."""

    path: SubmissionFile
    mode: int
    size: int


# ------------------------------------------------------------------- staging

def stage(path: Path) -> StagedSubmission:
    """Stage a folder, zip or notebook; raises NotASubmission with the reason.

    The path itself may not be a symbolic link: in a batch it is a student's entry, so a
    link could point at another student or at the kit (refused in one line, a zero there).
    """
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        raise NotASubmission(f"{path}: no such file or folder") from None
    if stat.S_ISLNK(mode):
        raise NotASubmission(f"{path}: is a symbolic link, which the grader does not follow; "
                             "give the folder or file it points to")
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise NotASubmission(f"{path}: not a folder, .zip or .ipynb (not a regular file)")
    staged = new_staging()
    try:
        if stat.S_ISDIR(mode):
            stage_folder(path, staged)
        elif path.suffix.lower() == ".ipynb":
            stage_notebook_file(path, staged)
        else:
            stage_archive(path, staged)
    except BaseException:
        staged.close()
        raise
    return staged


def new_staging() -> StagedSubmission:
    """A fresh calcgrader-intake-* folder in the temp folder, its lock held."""
    temp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))
    return StagedSubmission(temp / "submission", _tempdir=temp, _lock=claim(temp))


def empty_submission(reason: str) -> StagedSubmission:
    """A staged submission with no modules, noting why (every check then scores zero)."""
    staged = new_staging()
    staged.folder.mkdir()
    staged.notes.append(f"not graded: {reason}")
    return staged


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
            if stat.S_ISLNK(entry.mode):
                staged.notes.append(f"{name} is a symbolic link and was not graded")
                continue
            if not stat.S_ISREG(entry.mode):
                staged.notes.append(f"{name} is not a regular file and was not graded")
                continue
            if entry.size > MAX_FILE_BYTES:
                staged.notes.append(too_large(name, entry.size))
                continue
            total += entry.size
            if total > MAX_ARCHIVE_BYTES:
                raise NotASubmission(f"{label}: holds more than {MAX_ARCHIVE_BYTES >> 20} MB "
                                     "of code")
            take(source, entry, staged.folder / entry.path.name, MAX_FILE_BYTES, staged)


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


def copy_regular(name: str, dir_fd: int | None, target: Path, cap: int) -> int:
    """Copy a regular file (never through a link, never a FIFO or device) to a new target,
    at most cap bytes; the bytes copied. Raises Unreadable, or TooLarge."""
    fd = open_regular(name, dir_fd)
    try:
        size = os.fstat(fd).st_size
        if size > cap:
            raise TooLarge(size)
        copied = 0
        with open(target, "xb") as handle:
            while chunk := os.read(fd, min(CHUNK, cap + 1 - copied)):
                copied += len(chunk)
                if copied > cap:                    # it grew after fstat
                    raise TooLarge(copied)
                handle.write(chunk)
    except OSError as error:
        raise Unreadable(why_unreadable(error)) from None
    except TooLarge:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    finally:
        os.close(fd)
    return copied


def too_large(name: str, size: int) -> str:
    return (f"{name} was not graded: it is {size / 2**20:.1f} MB "
            f"(the limit is {MAX_FILE_BYTES // 2**20} MB)")


# ------------------------------------------------------------------- notebooks

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
        from grader.run import GraderFault  # the grader's fault: exit 2 / NOT GRADED
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
        if stat.S_ISLNK(entry.mode):
            staged.notes.append(f"{name} is a symbolic link and was not graded")
            continue
        if not stat.S_ISREG(entry.mode):
            staged.notes.append(f"{name} is not a regular file and was not graded")
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


# ------------------------------------------------------------------- archives

def stage_archive(path: Path, staged: StagedSubmission) -> None:
    """A .zip (or any file that is one): opened once, never through a link, then read."""
    try:
        fd = open_regular(str(path))
    except Unreadable as problem:
        raise NotASubmission(f"{path}: {problem}") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            is_zip = zipfile.is_zipfile(handle)
        except OSError:
            is_zip = False
        if is_zip:
            check_table_of_contents(handle, str(path))
            return extract_modules(handle, staged, str(path))
    if path.suffix.lower() == ".zip":
        raise NotASubmission(f"{path}: not a readable zip file (is the download complete?)")
    raise NotASubmission(f"{path}: not a folder, .zip or .ipynb of exercise modules")


def check_table_of_contents(handle: BinaryIO, label: str) -> None:
    """Refuse a zip whose table of contents is too large before zipfile reads it: zipfile
    builds an object per entry, so millions of tiny entries would exhaust memory."""
    entries, size = table_of_contents(handle)
    if entries > MAX_ARCHIVE_MEMBERS or size > MAX_CENTRAL_DIRECTORY:
        raise NotASubmission(f"{label}: the archive has {entries} entries; at most "
                             f"{MAX_ARCHIVE_MEMBERS} are accepted")


def table_of_contents(handle: BinaryIO) -> tuple[int, int]:
    """(entries, bytes) of a zip's central directory, from its end record (zip64 too),
    found as zipfile finds it; (0, 0) when there is none (zipfile then refuses it)."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    handle.seek(max(0, end - (22 + 0xFFFF + 20)))
    tail = handle.read()
    at = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return 0, 0
    entries, size = struct.unpack("<HI", tail[at + 10:at + 16])
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and tail[at - 20:at - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[at - 12:at - 4])
        handle.seek(offset)
        record = handle.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries, size = struct.unpack("<QQ", record[32:48])
    return entries, size


def extract_modules(handle: BinaryIO, staged: StagedSubmission, label: str) -> None:
    """Extract the safe .py members of the folder holding the modules."""
    try:
        with zipfile.ZipFile(handle) as zipped:
            members = safe_members(zipped, staged)
            if not any(m.filename.endswith(".py") for m in members):
                return extract_notebook_members(zipped, members, staged, label)
            members = [m for m in members if m.filename.endswith(".py")]
            folder = locate_modules([PurePosixPath(m.filename) for m in members], label)
            staged.folder.mkdir(parents=True)
            total = 0
            for member in members:
                name = PurePosixPath(member.filename)
                if name.parent != folder:
                    continue
                if member.file_size > MAX_FILE_BYTES:
                    staged.notes.append(too_large(printable(name.name), member.file_size))
                    continue
                total += member.file_size
                if total > MAX_ARCHIVE_BYTES:
                    raise NotASubmission(f"{label}: the archive expands to more than "
                                         f"{MAX_ARCHIVE_BYTES >> 20} MB of code")
                data = zipped.open(member).read(MAX_FILE_BYTES + 1)
                (staged.folder / name.name).write_bytes(data[:MAX_FILE_BYTES])
    except ZIP_ERRORS as exc:
        raise NotASubmission(f"{label}: the zip file is damaged ({type(exc).__name__}); "
                             "download it again") from None


def extract_notebook_members(zipped: zipfile.ZipFile, members: list[zipfile.ZipInfo],
                             staged: StagedSubmission, label: str) -> None:
    """A zip of notebooks: unpack the safe .ipynb members (capped), then stage them."""
    unpacked = staged.folder.parent / "notebooks"
    total = 0
    for member in members:
        parts = PurePosixPath(member.filename.replace("\\", "/")).parts
        total += member.file_size
        if member.file_size > MAX_NOTEBOOK_BYTES or total > MAX_ARCHIVE_BYTES:
            raise NotASubmission(f"{label}: the archive's notebooks are too large "
                                 f"(at most {MAX_NOTEBOOK_BYTES >> 20} MB each)")
        if len(parts) > MAX_MEMBER_PARTS or any(len(part) > 200 for part in parts):
            staged.notes.append(f"{printable(member.filename)[:80]} sits too deep in the "
                                "archive and was not graded")
            continue
        target = unpacked.joinpath(*parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(zipped.open(member).read(MAX_NOTEBOOK_BYTES + 1))
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            staged.notes.append(f"{printable(member.filename)[:80]} appears twice in the "
                                "archive; only the first was taken")
    found = sorted(unpacked.rglob("*.ipynb")) if unpacked.exists() else []
    if not found:
        raise NotASubmission(f"{label}: holds none of the exercise modules "
                             f"({', '.join(m + '.py' for m in MODULES[:3])}, ...)")
    root = found[0].parent if len({p.parent for p in found}) == 1 else unpacked
    stage_notebooks(root, staged, label)


def safe_members(zipped: zipfile.ZipFile, staged: StagedSubmission) -> list[zipfile.ZipInfo]:
    """Regular .py and .ipynb members whose paths stay inside the archive."""
    infos = zipped.infolist()
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise NotASubmission(f"the archive has {len(infos)} entries; at most "
                             f"{MAX_ARCHIVE_MEMBERS} are accepted")
    members = []
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        mode = info.external_attr >> 16
        if info.is_dir() or name.suffix not in (".py", ".ipynb") or "__MACOSX" in name.parts:
            continue
        if stat.S_ISLNK(mode):
            staged.notes.append(f"{printable(info.filename)[:80]} is a symbolic link and was "
                                "not graded")
            continue
        if name.is_absolute() or ".." in name.parts:
            staged.notes.append(f"{printable(info.filename)[:80]} points outside the archive "
                                "and was skipped")
            continue
        members.append(info)
    return members


# ------------------------------------------------------------------- clean-up

def claim(folder: Path) -> int | None:
    """Lock folder for the life of this process's use of it; the lock's descriptor.

    The lock file is made and locked under a temporary name, then renamed into place, so
    a sweep never finds an unlocked lock file of a live grade. None (no lock file) if
    the file system cannot lock: the folder is then swept only once it is old.
    """
    temporary = folder / f"{LOCK_NAME}.{os.getpid()}"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(temporary, folder / LOCK_NAME)
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            temporary.unlink()
        return None
    return fd


def sweep_stale_staging(prefix: str = STAGING_PREFIX, base: Path | None = None,
                        grace_seconds: float = UNLOCKED_GRACE_SECONDS) -> list[Path]:
    """Remove the staging folders of grades that died (killed, or crashed); the removed.

    Looks at the folders named prefix* in base (the temp folder), owned by this user and
    not links. One whose lock file (see claim) can be locked has no live owner and is
    removed; one whose lock is held is left alone. One without a lock file is being made
    right now, or predates locks: it is removed only once older than grace_seconds.
    """
    base = Path(base or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        listing = list(os.scandir(base))
    except OSError:
        return removed
    for item in listing:
        if not item.name.startswith(prefix):
            continue
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            continue
        if is_abandoned(Path(item.path), info.st_mtime, grace_seconds):
            remove_tree(item.path)
            removed.append(Path(item.path))
    return removed


def is_abandoned(folder: Path, modified: float, grace_seconds: float) -> bool:
    """Whether no live process holds folder's lock (or, without one, it is old)."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                     | os.O_CLOEXEC)
    except FileNotFoundError:
        return time.time() - modified > grace_seconds
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False             # held: its grade is alive
    finally:
        os.close(fd)


def remove_tree(path: Path | str) -> bool:
    """Remove path and everything under it, however deep; True when it is gone.

    Never follows a symbolic link (a link is removed, not what it points to) and never
    recurses (3,000 nested folders make shutil.rmtree raise RecursionError): folders are
    walked with an explicit stack of descriptors, each opened relative to its parent with
    O_NOFOLLOW, so a folder renamed or swapped for a link during the walk leads nowhere
    else. Errors are tolerated; a tree deeper than MAX_OPEN_FOLDERS, or anything that
    stayed, is left to `rm -rf`.
    """
    path = os.fspath(path)
    try:
        top = os.open(path, FOLDER_FLAGS)
    except FileNotFoundError:
        return True
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):   # a link or a file: remove it alone
            with contextlib.suppress(OSError):
                os.unlink(path)
        top = None
    if top is not None:
        try:
            empty_folder(top)
        finally:
            os.close(top)
        with contextlib.suppress(OSError):
            os.rmdir(path)
    if os.path.lexists(path):
        remove_with_rm(path)
    return not os.path.lexists(path)


def empty_folder(top: int) -> bool:
    """Remove everything inside the folder open as top, depth-first with a stack of
    (descriptor, listing, name); True when all of it went. Never raises OSError."""
    complete = True
    stack: list[tuple[int, Iterator[os.DirEntry], str]] = []
    try:
        stack.append((top, os.scandir(top), ""))
        while stack:
            fd, listing, name = stack[-1]
            try:
                entry = next(listing, None)
            except OSError:                 # an unreadable listing: leave it to rm
                entry, complete = None, False
            if entry is None:
                stack.pop()
                listing.close()
                if stack:           # fd was a sub-folder, now empty: remove it from its parent
                    os.close(fd)
                    try:
                        os.rmdir(name, dir_fd=stack[-1][0])
                    except OSError:
                        complete = False
                continue
            if not is_folder(entry):
                try:
                    os.unlink(entry.name, dir_fd=fd)
                except OSError:
                    complete = False
                continue
            child = open_child(entry.name, fd) if len(stack) < MAX_OPEN_FOLDERS else None
            if child is None:
                complete = False
                continue
            try:
                stack.append((child, os.scandir(child), entry.name))
            except OSError:
                os.close(child)
                complete = False
    except OSError:
        complete = False
    finally:
        for fd, listing, _ in stack:
            listing.close()
            if fd != top:
                os.close(fd)
    return complete


def is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def open_child(name: str, parent: int) -> int | None:
    """A descriptor on sub-folder name of parent (never through a link); made readable
    first if its owner (this user) closed it; None if it cannot be opened."""
    for attempt in range(2):
        try:
            return os.open(name, FOLDER_FLAGS, dir_fd=parent)
        except PermissionError:
            if attempt:
                return None
            with contextlib.suppress(OSError, NotImplementedError):
                os.chmod(name, stat.S_IRWXU, dir_fd=parent, follow_symlinks=False)
        except OSError:
            return None
    return None


def remove_with_rm(path: str) -> None:
    """`rm -rf` (which handles any depth and follows no link), for what the walk left."""
    rm = shutil.which("rm") or "/bin/rm"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([rm, "-rf", "--", path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
