"""The Gradescope autograder: autograder.zip, built from the kit in one call.

Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): the zip holds setup.sh
and run_autograder at its root and is unpacked into /autograder/source; setup.sh runs
once, as root, when Gradescope builds the image; run_autograder runs as root for every
submission, with the learner's files in /autograder/submission, and must leave
/autograder/results/results.json. Here:

- setup.sh installs python3 and pip with apt when they are missing, then runs
  setup_python.sh: the Python part (the kit's requirements, then `python3 -m grader
  isolation`, which prints the isolation the image gives), runnable on its own;
- run_autograder grades with `python3 -m grader grade ... --tests all` from the kit in
  /autograder/source (grader/, tests/public, tests/hidden, tests/misconceptions and
  solutions/ for misconception matching). Being root, the grader runs learner code in
  namespaces where the container allows them, else as an unprivileged uid that can read
  neither tests/ nor solutions/ nor the results; never as root. It
  always leaves a valid results.json: when grading fails, one with score 0 and the
  reason. Within Gradescope's default limits (10 minutes, 768 MB): the grade is cut at
  GRADE_SECONDS, and CALCGRADER_MEMORY_MB caps each worker's memory.

Both scripts take their root from AUTOGRADER_ROOT (default /autograder), so the kit's
tests run them in a temporary folder.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from grader import environment
from grader.checking.run import KIT
from grader.instructor.release import BuildProblem, kit_settings

ROOT_VARIABLE = "AUTOGRADER_ROOT"
MEMORY_VARIABLE = environment.MEMORY
WORKER_MEMORY_MB = 384      # worker address space; the grading process needs ~150 MB more
GRADE_SECONDS = 480         # Gradescope stops everything at 600 s: leave time to report
KIT_FOLDERS = ("grader", "tests/public", "tests/hidden", "tests/misconceptions", "solutions")
KIT_FILES = ("pyproject.toml", "conftest.py")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same kit always makes the same zip

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
fi
bash "$ROOT/source/setup_python.sh"
"""

SETUP_PYTHON_SH = """\
#!/usr/bin/env bash
# The Python part of setup.sh: the grader's requirements, then which isolation this
# image gives learner code (namespaces where Gradescope's container allows them, else an
# unprivileged uid; see SECURITY.md).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10) and "the grader needs Python 3.10+")'
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --disable-pip-version-check --no-cache-dir \\
    -r requirements.txt
python3 -m grader isolation
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this as root for every submission. It always leaves a valid
# results.json: the grader's, or on failure one with score 0 and the reason.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
RESULTS="$ROOT/results"
OUT="$RESULTS/results.json"
LAST_RESORT='{"score": 0.0, "output": "The autograder failed: tell your instructor.", "tests": []}'
export @MEMORY_VARIABLE@="${@MEMORY_VARIABLE@:-@MEMORY_MB@}"  # each worker's memory, in MB
mkdir -p "$RESULTS"
rm -f "$OUT"
errors="$(mktemp)"
cd "$ROOT/source" && timeout --kill-after=10 @GRADE_SECONDS@ \\
    python3 -m grader grade "$ROOT/submission" --out "$RESULTS" --tests all 2>"$errors"
status=$?
cat "$errors" >&2
if [ "$status" -ne 0 ] || [ ! -s "$OUT" ]; then
    reason="$(grep -v -e '^note: ' -e '^[[:space:]]*$' "$errors" | tail -n 1)"
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        reason="grading did not finish within @GRADE_SECONDS@ seconds"
    fi
    reason="${reason:-the grader stopped (exit $status)}"
    python3 - "$OUT" "$reason" "$SECONDS" <<'PY' || echo "$LAST_RESORT" >"$OUT"
import json, sys
path, reason, seconds = sys.argv[1], sys.argv[2][:300], float(sys.argv[3])
output = ("The autograder could not grade this submission: " + reason + "\\n\\n"
          "Upload your exercise files (derivatives.py, gradients.py, ...) with exactly "
          "those names and submit again; if this persists, tell your instructor.")
with open(path, "w") as handle:
    json.dump({"score": 0.0, "execution_time": seconds, "output": output, "tests": []}, handle)
PY
fi
rm -f "$errors"
exit 0
"""


def run_autograder_script() -> str:
    return (RUN_AUTOGRADER.replace("@MEMORY_VARIABLE@", MEMORY_VARIABLE)
            .replace("@MEMORY_MB@", str(WORKER_MEMORY_MB))
            .replace("@GRADE_SECONDS@", str(GRADE_SECONDS)))


def requirements(kit: Path) -> str:
    """requirements.txt: the kit's own dependencies."""
    return "\n".join(kit_settings(kit)["project"]["dependencies"]) + "\n"


def build_autograder_zip(kit: Path, target_zip: Path) -> Path:
    """Write Gradescope's autograder.zip for kit to target_zip (atomically); returns it."""
    kit, target_zip = Path(kit).resolve(), Path(target_zip).resolve()
    missing = [part for part in (*KIT_FOLDERS, *KIT_FILES) if not (kit / part).exists()]
    if missing:
        raise BuildProblem(f"{kit} has no {', '.join(missing)}: build the autograder from "
                           "the full kit")
    scripts = {"setup.sh": SETUP_SH, "run_autograder": run_autograder_script(),
               "setup_python.sh": SETUP_PYTHON_SH}
    target_zip.parent.mkdir(parents=True, exist_ok=True)
    partial = target_zip.with_name(f".{target_zip.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in scripts.items():
            add_entry(archive, name, text.encode(), 0o755)
        add_entry(archive, "requirements.txt", requirements(kit).encode(), 0o644)
        for name in KIT_FILES:
            add_entry(archive, name, (kit / name).read_bytes(), 0o644)
        for folder in KIT_FOLDERS:
            for path in sorted((kit / folder).glob("*.py")):
                add_entry(archive, f"{folder}/{path.name}", path.read_bytes(), 0o644)
    os.replace(partial, target_zip)
    return target_zip


def add_entry(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    """One file of the zip, with its Unix mode (unzip restores run_autograder's x bit)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def main(*, target_zip: Path, kit: Path = KIT) -> int:
    """`python -m grader gradescope FILE.zip`: build Gradescope's autograder.zip."""
    built = build_autograder_zip(kit, target_zip)
    print(f"wrote {built} ({built.stat().st_size // 1024} KB): upload it as the assignment's "
          "autograder (Ubuntu 22.04 or newer base image)")
    return 0
