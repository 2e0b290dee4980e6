"""Turn what a user points at (a folder, a .zip, an LMS download) into a staged folder.

Only regular `.py` files are taken, at most MAX_FILE_BYTES each: no symlinks, no paths
that leave the archive, no zip bombs. The modules may sit at the top or one folder down,
as LMS downloads do. Anything that cannot be graded raises NotASubmission with one
line saying what is wrong and what to do.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.contract import MODULES
from grader.notebook_intake import MAX_NOTEBOOK_BYTES, extract_notebooks

MAX_FILE_BYTES = 1 << 20          # a learner module larger than 1 MB is not graded
MAX_ARCHIVE_BYTES = 64 << 20      # total uncompressed size of the .py files taken
MAX_ARCHIVE_MEMBERS = 10_000


class NotASubmission(Exception):
    """The path cannot be graded; the message says why and what to do."""


@dataclass
class StagedSubmission:
    """A private folder holding the learner's modules, and notes on what was left out."""

    folder: Path
    notes: list[str] = field(default_factory=list)
    _tempdir: Path | None = None

    def close(self) -> None:
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)


def stage(path: Path) -> StagedSubmission:
    """Stage a folder or zip; raises NotASubmission with the reason."""
    if not path.exists():
        raise NotASubmission(f"{path}: no such file or folder")
    temp = Path(tempfile.mkdtemp(prefix="calcgrader-intake-"))
    staged = StagedSubmission(temp / "submission", _tempdir=temp)
    try:
        if path.suffix.lower() == ".ipynb" and path.is_file():
            stage_notebooks(path, staged, str(path))
        elif path.is_dir():
            found = [p.relative_to(path) for p in [*path.glob("*.py"), *path.glob("*/*.py")]
                     if not p.parent.is_symlink()]    # a linked folder may point anywhere
            if not found and [*path.glob("*.ipynb"), *path.glob("*/*.ipynb")]:
                stage_notebooks(path, staged, str(path))
            else:
                copy_modules(path / locate_modules(found, str(path)), staged)
        elif not stat.S_ISREG(path.stat().st_mode):
            raise NotASubmission(f"{path}: not a folder, .zip or .ipynb (not a regular file)")
        elif zipfile.is_zipfile(path):
            extract_modules(path, staged)
        elif path.suffix == ".zip":
            raise NotASubmission(f"{path}: not a readable zip file (is the download complete?)")
        else:
            raise NotASubmission(f"{path}: not a folder, .zip or .ipynb of exercise modules")
    except BaseException:
        staged.close()
        raise
    return staged


def stage_notebooks(source: Path, staged: StagedSubmission, label: str) -> None:
    """Stage the learner's code from a notebook, or a folder of them, as modules."""
    try:
        written, notes = extract_notebooks(source, staged.folder)
    except ValueError as problem:
        raise NotASubmission(str(problem)) from None
    staged.notes.extend(notes)
    if not written:
        raise NotASubmission(f"{label}: its notebooks define none of the exercise functions")


def empty_submission(reason: str) -> StagedSubmission:
    """A staged submission with no modules, noting why (every check then scores zero)."""
    temp = Path(tempfile.mkdtemp(prefix="calcgrader-intake-"))
    (temp / "submission").mkdir()
    return StagedSubmission(temp / "submission", [f"not graded: {reason}"], temp)


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


def copy_modules(source: Path, staged: StagedSubmission) -> None:
    """Copy the regular .py files of source (not following symlinks) into staged.folder."""
    if source.is_symlink():
        raise NotASubmission(f"{source}: is a symbolic link; point to the folder itself")
    staged.folder.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        info = path.lstat()
        if path.suffix != ".py" or not stat.S_ISREG(info.st_mode):
            if path.suffix == ".py" and path.is_symlink():
                staged.notes.append(f"{path.name} is a symbolic link and was not graded")
            continue
        if info.st_size > MAX_FILE_BYTES:
            staged.notes.append(too_large(path.name, info.st_size))
            continue
        shutil.copyfile(path, staged.folder / path.name, follow_symlinks=False)


def too_large(name: str, size: int) -> str:
    return (f"{name} was not graded: it is {size / 2**20:.1f} MB "
            f"(the limit is {MAX_FILE_BYTES // 2**20} MB)")


def extract_modules(archive: Path, staged: StagedSubmission) -> None:
    """Extract the safe .py members of the folder holding the modules."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = safe_members(zipped, staged)
            if not any(m.filename.endswith(".py") for m in members):
                return extract_notebook_members(zipped, members, staged, str(archive))
            members = [m for m in members if m.filename.endswith(".py")]
            folder = locate_modules([PurePosixPath(m.filename) for m in members], str(archive))
            staged.folder.mkdir(parents=True)
            total = 0
            for member in members:
                name = PurePosixPath(member.filename)
                if name.parent != folder:
                    continue
                if member.file_size > MAX_FILE_BYTES:
                    staged.notes.append(too_large(name.name, member.file_size))
                    continue
                total += member.file_size
                if total > MAX_ARCHIVE_BYTES:
                    raise NotASubmission(f"{archive}: the archive expands to more than "
                                         f"{MAX_ARCHIVE_BYTES >> 20} MB of code")
                data = zipped.open(member).read(MAX_FILE_BYTES + 1)
                (staged.folder / name.name).write_bytes(data[:MAX_FILE_BYTES])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
        raise NotASubmission(f"{archive}: the zip file is damaged ({type(exc).__name__}); "
                             "download it again") from None


def extract_notebook_members(zipped: zipfile.ZipFile, members: list[zipfile.ZipInfo],
                             staged: StagedSubmission, label: str) -> None:
    """A zip of notebooks: unpack the safe .ipynb members (capped), then stage them."""
    unpacked = staged.folder.parent / "notebooks"
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_NOTEBOOK_BYTES or total > MAX_ARCHIVE_BYTES:
            raise NotASubmission(f"{label}: the archive's notebooks are too large "
                                 f"(at most {MAX_NOTEBOOK_BYTES >> 20} MB each)")
        target = unpacked.joinpath(*PurePosixPath(member.filename).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(zipped.open(member).read(MAX_NOTEBOOK_BYTES + 1))
    found = [p for p in unpacked.rglob("*.ipynb")] if unpacked.exists() else []
    if not found:
        raise NotASubmission(f"{label}: holds none of the exercise modules "
                             f"({', '.join(m + '.py' for m in MODULES[:3])}, ...)")
    root = found[0].parent if len({p.parent for p in found}) == 1 else unpacked
    stage_notebooks(root, staged, label)


def safe_members(zipped: zipfile.ZipFile, staged: StagedSubmission) -> list[zipfile.ZipInfo]:
    """Regular .py members whose paths stay inside the archive."""
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
        if name.is_absolute() or ".." in name.parts or stat.S_ISLNK(mode):
            staged.notes.append(f"{info.filename[:80]} points outside the archive and was skipped")
            continue
        members.append(info)
    return members
