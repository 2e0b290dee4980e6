"""A .zip submission read without trusting it: no paths that leave it, no zip bombs, no
table of contents of millions of entries.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from grader.contract import MODULES
from grader.intake.files import (
    MAX_ARCHIVE_BYTES,
    MAX_ARCHIVE_MEMBERS,
    MAX_FILE_BYTES,
    NOT_TAKEN,
    NotASubmission,
    Unreadable,
    not_taken_note,
    open_regular,
    printable,
    too_large,
)
from grader.intake.folders import locate_modules, stage_notebooks
from grader.intake.notebooks import MAX_NOTEBOOK_BYTES
from grader.intake.staging import StagedSubmission

try:
    from lzma import LZMAError
except ImportError:  # pragma: no cover - Python built without lzma
    LZMAError = OSError
MAX_CENTRAL_DIRECTORY = 4 << 20   # bytes of a zip's table of contents (~10,000 entries)
MAX_MEMBER_PARTS = 4              # folders a notebook may sit in, inside a zip
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
              NotImplementedError, ValueError, zlib.error, struct.error, LZMAError)


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
                if name.name in NOT_TAKEN:
                    staged.notes.append(not_taken_note(printable(name.name)))
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
