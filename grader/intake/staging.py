"""The staging folders: one private folder per grade, locked while it lives, removed after.

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
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.intake.files import FOLDER_FLAGS

STAGING_PREFIX = "calcgrader-intake-"
LOCK_NAME = ".calcgrader.lock"
UNLOCKED_GRACE_SECONDS = 3600     # a staging folder without a lock: being made, or very old
MAX_OPEN_FOLDERS = 128            # remove_tree's open folders (two descriptors each);


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
