"""Turn what a user points at (a folder, a .zip, a notebook, an LMS download) into a staged folder.

A submission is hostile, so the grading process reads it without trusting any path in
it: the submission itself, every folder and every file is opened with O_NOFOLLOW (and
files with O_NONBLOCK) relative to its folder's descriptor, and a file is read only if
fstat on the opened file says it is regular, up to a cap. No symbolic link is followed
(not the submission, nor a folder in it, nor a module or notebook), and no FIFO, device
or socket is read: each is noted, or, for the submission itself, refused in one line.
Only regular `.py` files of at most MAX_FILE_BYTES are taken, or notebooks, which are
parsed by a short-lived child process under memory, CPU and time limits
(grader.intake.notebooks). Archives: no paths that leave them, no zip bombs, no table of
contents of millions of entries. The modules may sit at the top or one folder down, as
LMS downloads do. Anything that cannot be graded raises NotASubmission with one line
saying what is wrong and what to do.

The package: `files` (reading one file or folder safely), `staging` (the private folder a
grade works in, and its clean-up), `folders`, `zips` and `notebooks` (each kind of
submission). `stage` is the way in; the names below are what the rest of the grader uses.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.intake.files import NotASubmission
from grader.intake.folders import stage_folder, stage_notebook_file
from grader.intake.staging import (
    STAGING_PREFIX,
    StagedSubmission,
    claim,
    empty_submission,
    new_staging,
    remove_tree,
    sweep_stale_staging,
)
from grader.intake.zips import stage_archive

__all__ = ["STAGING_PREFIX", "NotASubmission", "StagedSubmission", "claim", "empty_submission",
           "new_staging", "remove_tree", "stage", "sweep_stale_staging"]


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
