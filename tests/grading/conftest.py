"""Fixtures for the grader's own tests: submissions built from solutions/ with edits."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]
SOLUTIONS = KIT / "solutions"
# Skips for a tool the kit does not install itself (`pip install -e ".[nbgrader]"`,
# Debian's chromium). .ci/run installs both, so on CI (CI set, as CI services do) such a
# skip would hide a missing property: it fails there instead.
OPTIONAL_TOOL_SKIPS = ("could not import 'nbgrader'", "chromium is not installed")


def missing_tool_on_ci(report: pytest.TestReport | pytest.CollectReport) -> bool:
    """Whether report is a skip for want of an optional tool, on a CI run."""
    return (report.skipped and bool(os.environ.get("CI"))
            and any(reason in str(report.longrepr) for reason in OPTIONAL_TOOL_SKIPS))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if missing_tool_on_ci(report):
        report.outcome = "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    report = (yield).get_result()
    if missing_tool_on_ci(report):
        report.outcome = "failed"


def build(target: Path, append: dict[str, str] | None = None,
          replace: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> Path:
    """A copy of solutions/ in target, with code appended to, or replacing, modules."""
    target.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS.glob("*.py"):
        if path.stem not in remove:
            shutil.copy(path, target / path.name)
    for module, source in (append or {}).items():
        with (target / f"{module}.py").open("a") as handle:
            handle.write("\n\n" + textwrap.dedent(source))
    for module, source in (replace or {}).items():
        (target / f"{module}.py").write_text(textwrap.dedent(source))
    return target


@pytest.fixture
def make_submission(tmp_path):
    """make_submission(name, append=..., replace=..., remove=...) -> folder."""
    def make(name: str = "submission", **edits) -> Path:
        return build(tmp_path / name, **edits)
    return make


def find_chromium() -> str | None:
    """Debian's chromium (or another Chromium) if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture
def chromium(tmp_path):
    """chromium(page, *flags) runs headless Chromium on a local page; skips without one."""
    browser = find_chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")

    def run(page: Path, *extra: str) -> subprocess.CompletedProcess:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                   "--hide-scrollbars", *extra, page.as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    return run
