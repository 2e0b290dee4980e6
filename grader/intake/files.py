"""Reading a hostile submission's files: never through a link, never a FIFO, capped.

Every file is opened with O_NOFOLLOW and O_NONBLOCK (relative to its folder's
descriptor, where there is one) and read only if fstat on the opened file says it is
regular, up to a cap; what cannot be read is Unreadable with a reason in words, and a
submission that cannot be graded at all is NotASubmission with one line saying what to
do. Names a learner chose are shown through `printable`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
MAX_FILE_BYTES = 1 << 20          # a learner module larger than 1 MB is not graded
CHUNK = 1 << 20
MAX_ARCHIVE_BYTES = 64 << 20      # total size of the .py files (or notebooks) taken
MAX_ARCHIVE_MEMBERS = 10_000      # entries of an archive, or of a submission's folders
SubmissionFile = PurePosixPath   # a path inside the submission, relative to it


class NotASubmission(Exception):
    """The path cannot be graded; the message says why and what to do."""


class Unreadable(Exception):
    """A learner file the grader will not read; the message says why ("is a symbolic link")."""


class TooLarge(Unreadable):
    """A file over its cap; size is what was seen (bytes)."""

    def __init__(self, size: int):
        super().__init__(f"is {size / 2**20:.1f} MB")
        self.size = size


@dataclass(frozen=True)
class Entry:
    """One entry of a submission folder, as lstat sees it (never what a link points to)."""

    path: SubmissionFile
    mode: int
    size: int


def open_regular(name: str | Path, dir_fd: int | None = None) -> int:
    """A read descriptor on a regular file, never through a symbolic link.

    O_NOFOLLOW refuses a link, O_NONBLOCK keeps a FIFO (or a file under a lease) from
    blocking the open, and fstat on the opened file refuses anything but a regular file,
    so a FIFO, a device or a socket is never read. Raises Unreadable.
    """
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        raise Unreadable(why_unreadable(error)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Unreadable("is not a regular file (a FIFO, device or socket)")
    return fd


def why_unreadable(error: OSError) -> str:
    """A phrase for an open or read that failed: 'is a symbolic link', ..."""
    if error.errno == errno.ELOOP:
        return "is a symbolic link, which the grader does not follow"
    if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
        return "is held by another program (a lease)"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    return f"cannot be read ({error.strerror or type(error).__name__})"


def read_regular(path: Path, cap: int) -> bytes:
    """The bytes of a regular file of at most cap bytes; Unreadable, or ValueError if larger."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size > cap:
            raise ValueError(size)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(cap + 1)
    except OSError as error:
        raise Unreadable(why_unreadable(error)) from None
    finally:
        os.close(fd)
    if len(data) > cap:            # it grew after fstat
        raise ValueError(len(data))
    return data


# pytest's own file: never part of an exercise submission, and a grader's pytest must
# never meet one the learner wrote
NOT_TAKEN = frozenset({"conftest.py"})


def not_taken_note(name: str) -> str:
    return f"{name} is pytest's configuration, not an exercise module, and was not taken"


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


def printable_name(path: Path | str) -> str:
    """The file name with control characters replaced: it goes into comments and messages."""
    return printable(Path(path).name)


def printable(text: str) -> str:
    """text without control characters or lone surrogates (a file name that is not UTF-8),
    at most 200 characters: it goes into comments, notes and messages."""
    return re.sub("[\x00-\x1f\x7f\ud800-\udfff]", "?", text)[:200]
