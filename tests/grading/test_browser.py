"""feedback.html in a real headless browser: its plots render and its text is there."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from grader.checking.run import GradeOptions, grade
from grader.reports import formats

pytestmark = pytest.mark.slow      # minutes: `python -m pytest -m "not slow"` skips it

KIT = Path(__file__).resolve().parents[2]


def test_feedback_html_renders_plots_and_text_in_chromium(tmp_path, chromium):
    out = tmp_path / "report"
    result = grade(KIT / "examples" / "submission", out, GradeOptions(student="example"))
    formats.write_report(result, out)
    page = out / "feedback.html"
    dom = chromium(page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', dom.stdout)
    assert len(images) == len(result.plots) == 4
    for data in images:
        picture = mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert picture.shape[0] > 200 and picture.shape[1] > 300 and picture.std() > 0.01
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom.stdout))
    for words in ("Feedback for example", formats.total_text(result),
                  "divides by h instead of 2h", "Likely misconception", "Hint",
                  "Gradient descent on a quadratic"):
        assert words in text, words
    shot = tmp_path / "page.png"
    done = chromium(page, "--window-size=1200,3000", f"--screenshot={shot}")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert mpimg.imread(shot)[..., :3].var() > 0.005      # a rendered page, not a blank one
