"""Every output format renders the results model faithfully and safely.

GradeResults are built by hand: full marks, a mixed grade with a recognised
misconception, import errors, timeouts, hostile and non-ASCII learner text, and plots
backed by tiny real PNGs.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from grader.contract import MODULES
from grader.isolation import errors
from grader.reports import formats, hints, markup
from grader.reports.results import CheckResult, GradeResult, Misconception, Plot

HOSTILE_MESSAGE = ("returned <script>alert('x')</script> | col | ``` fenced ``` `tick`\n"
                   "# injected heading\n| a | b |\n|---|---|")
HOSTILE_OUTPUT = "step 1\n</pre><script>alert(1)</script>\n````\n# printed heading\n<b>bold</b>"
NON_ASCII = "∇f(x) = [1.0, 2.0] für café — 日本 \x1b[31mred\x1b[0m\x00 lone \ud800 end"
DIVIDES_BY_H = Misconception("derivatives.central_difference/divides-by-h",
                             "divides by h instead of 2h",
                             "x - h and x + h are 2h apart: divide the difference by `2 * h`.")
NUMBER_PATTERN = re.compile(r"^\d+\.\d+$")


def check(number: int, name: str, module: str, *, points: float = 1.0, passed: bool = True,
          score: float | None = None, suite: str = "public", message: str = "",
          kind: str = "", description: str = "",
          misconception: Misconception | None = None) -> CheckResult:
    """A CheckResult with sensible defaults: a pass earns its points, a failure none."""
    earned = (points if passed else 0.0) if score is None else score
    return CheckResult(number, name, module, suite, earned, points, passed, message,
                       "" if passed else (kind or "check"), description, misconception)


def full_marks() -> GradeResult:
    return GradeResult("alice", "public", [
        check(1, "forward_difference: matches f'(x) to O(h)", "derivatives", points=2),
        check(2, "central_difference: matches f'(x) to O(h^2)", "derivatives", points=2),
        check(3, "numerical_gradient: matches the analytic gradient", "gradients", points=3),
    ], execution_time=1.25)


def mixed() -> GradeResult:
    """55 / 80: a misconception, a plain failed check, a timeout, partial credit."""
    return GradeResult("bob", "all", [
        check(1, "forward_difference: matches f'(x) to O(h)", "derivatives", points=7),
        check(2, "central_difference: matches f'(x) to O(h^2)", "derivatives", points=2,
              passed=False, message="returned 2.5 for f(x) = x**2 at x = 1.25",
              description="The central difference approximates f'(x) with error O(h^2).",
              misconception=DIVIDES_BY_H),
        check(3, "numerical_hessian: is symmetric", "gradients", points=10, passed=False,
              suite="hidden", message="returned a matrix that is not symmetric"),
        check(4, "gradient_descent: converges on an ill-conditioned quadratic",
              "gradient_descent", points=40, suite="hidden"),
        check(5, "gradient_descent: respects max_steps", "gradient_descent", points=5,
              passed=False, suite="hidden", kind="timeout",
              message="gradient_descent did not return within 5 s"),
        check(6, "l2_penalty: matches lam * ||w||^2", "regularization", points=16,
              passed=False, score=8, message="half the cases were off by a factor 2"),
    ], execution_time=12.5, notes=["plot_loss_curves wrote no file"])


def import_errors() -> GradeResult:
    message = "losses.py could not be imported: SyntaxError: invalid syntax (losses.py, line 3)"
    return GradeResult("carol", "public", [
        check(1, "mse: matches the mean of squared errors", "losses", passed=False,
              kind="import-error", message=message),
        check(2, "logistic_loss: is finite for large scores", "losses", passed=False,
              kind="import-error", message=message),
        check(3, "sigmoid: is 1/2 at 0", "chain_rule", passed=False, kind="missing-module",
              message="chain_rule.py is missing from the submission"),
    ])


def hostile() -> GradeResult:
    return GradeResult("eve|`<i>`", "public", [
        check(1, "mse: matches the mean of squared errors", "losses", passed=False,
              kind="raised", message=HOSTILE_MESSAGE),
        check(2, "sigmoid: is 1/2 at 0", "chain_rule", passed=False, message=NON_ASCII),
        check(3, "sigmoid_derivative: matches sigmoid * (1 - sigmoid)", "chain_rule"),
    ], output=HOSTILE_OUTPUT, notes=["a note with | pipe and <b>tag</b>"])


ALL_RESULTS = [full_marks, mixed, import_errors, hostile]


def tiny_png(path: Path) -> bytes:
    """Draw a real (tiny) loss-curve PNG at path; return its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(1, 1), dpi=20)  # no pyplot: no GUI backend, no global state
    figure.add_subplot().semilogy([1.0, 0.5, 0.25])
    figure.savefig(path, format="png")
    return path.read_bytes()


def with_plots(result: GradeResult) -> GradeResult:
    result.plots = [Plot("loss_lr_0.1", "Loss at lr = 0.1", "Yours should track the reference."),
                    Plot("contour_path", "Path over the contours", "Iterates head to the minimum.")]
    return result


# ---------------------------------------------------------------- results.json

@pytest.mark.parametrize("make", ALL_RESULTS)
def test_results_json_follows_gradescope_fields(make):
    result = make()
    data = json.loads(json.dumps(formats.results_json(result), allow_nan=False))
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], float)
    assert data["output_format"] == "md" and data["test_output_format"] == "md"
    assert data["visibility"] == "visible" and isinstance(data["output"], str)
    assert len(data["tests"]) == len(result.checks)
    for test, source in zip(data["tests"], result.checks):
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output",
                             "visibility", "tags"}
        assert test["name"] == source.name
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["status"] == ("passed" if source.passed else "failed")
        assert test["visibility"] == {"public": "visible", "hidden": "after_published"}[
            source.suite]
        assert test["tags"] == [source.module]
        assert NUMBER_PATTERN.match(test["number"])
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert "max_score" not in data, "not a documented top-level field of Gradescope's format"
    assert data["extra_data"]["max_score"] == pytest.approx(
        sum(t["max_score"] for t in data["tests"]))


def test_test_numbers_are_stable_module_dot_check_strings():
    numbers = [t["number"] for t in formats.results_json(mixed())["tests"]]
    assert numbers == ["1.1", "1.2", "2.1", "7.1", "7.2", "6.1"]
    assert numbers == [t["number"] for t in formats.results_json(mixed())["tests"]]
    alone = GradeResult("x", "hidden", mixed().checks[3:5])  # same module, fewer others
    assert [t["number"] for t in formats.results_json(alone)["tests"]] == ["7.1", "7.2"]
    assert str(MODULES.index("gradient_descent") + 1) == "7"


def test_results_json_totals_and_summary():
    data = formats.results_json(mixed())
    assert (data["score"], data["extra_data"]["max_score"]) == (55.0, 80.0)
    assert "**Public checks: 15 / 25 (60%)**" in data["output"]
    assert "| derivatives | 1 of 2 | 7 of 9 |" in data["output"]
    assert "| regularization | 0 of 1 | 8 of 16 |" in data["output"]
    assert formats.POINTS_AND_CHECKS in data["output"]
    assert "- central_difference: divides by h instead of 2h (1 check, 2 of 2 points lost)" \
        in data["output"]
    assert "The hidden checks (3 checks, 55 points) are graded too" in data["output"]
    public = GradeResult("bob", "public", [c for c in mixed().checks if c.suite == "public"])
    assert "**Total: 15 / 25 (60%)**" in formats.results_json(public)["output"]


def visible_parts(result: GradeResult) -> list:
    data = formats.results_json(result)
    return [data["output"], [t for t in data["tests"] if t["visibility"] == "visible"]]


def with_hidden_twin() -> GradeResult:
    """mixed(), and a hidden check of central_difference (whose public check fails)."""
    twin = check(7, "central_difference: hidden case", "derivatives", points=3, suite="hidden")
    base = mixed()
    return replace(base, checks=[*base.checks[:2], twin, *base.checks[2:]])


@pytest.mark.parametrize("number", [3, 7])
@pytest.mark.parametrize("hidden_failure", [
    {"passed": False, "score": 0, "message": "off"},
    {"passed": True, "score": 10},
    {"passed": False, "score": 0, "kind": "timeout", "message": "did not return within 3 s"},
    {"passed": False, "score": 0, "kind": "crashed", "message": "the worker stopped"},
    {"passed": False, "score": 0, "misconception": DIVIDES_BY_H}])
def test_nothing_of_a_hidden_check_is_visible_before_grades_are_published(hidden_failure,
                                                                          number):
    """Learner code can pass, fail, time out, crash or match a misconception at will on a
    hidden input it recognises: none of that may reach what Gradescope shows before
    grades are published (the summary, the public checks' entries, their companions)."""
    base = with_hidden_twin()
    changed = replace(base, checks=[replace(c, **hidden_failure) if c.number == number
                                    else c for c in base.checks])
    assert visible_parts(changed) == visible_parts(base)
    assert formats.results_json(changed)["stdout_visibility"] == "hidden"


def test_test_output_explains_failures_and_keeps_passes_short():
    tests = formats.results_json(mixed())["tests"]
    assert tests[0]["output"] == formats.PASSED_TEXT
    failed = tests[1]["output"]
    assert "**Expected:** The central difference approximates f'(x) with error O(h^2)." in failed
    assert "returned 2.5 for f(x) = x**2 at x = 1.25" in failed
    assert "**Likely misconception:** divides by h instead of 2h" in failed
    assert f"**Hint:** {DIVIDES_BY_H.hint}" in failed
    timeout = tests[4]["output"]
    assert "Likely misconception" not in timeout
    assert "Is `max_steps` respected?" in timeout
    assert "**Expected:** respects max_steps" in timeout  # no description: the name's tail


def test_write_results_json_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    formats.write_results_json(mixed(), path)
    assert json.loads(path.read_text(encoding="utf-8")) == formats.results_json(mixed())
    assert os.listdir(tmp_path) == ["results.json"]

    def fail_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError):
        formats.write_results_json(full_marks(), path)
    assert json.loads(path.read_text(encoding="utf-8"))["score"] == 55.0  # old file intact
    assert os.listdir(tmp_path) == ["results.json"]  # no temporary file left behind


# ---------------------------------------------------------------- Markdown

def outside_fences(markdown: str) -> list[str]:
    """The lines of markdown that are not inside a fenced code block (CommonMark rules)."""
    lines, fence = [], ""
    for line in markdown.splitlines():
        run = re.match(r"^(`{3,}|~{3,})(.*)$", line)
        if fence:
            if run and run.group(1)[0] == fence[0] and len(run.group(1)) >= len(fence) \
                    and not run.group(2).strip():
                fence = ""
            continue
        if run:
            fence = run.group(1)
            continue
        lines.append(line)
    assert not fence, "a fenced block is left open"
    return lines


def test_markdown_has_total_table_and_failure_lines():
    text = formats.render_markdown(mixed())
    assert text.startswith("# Feedback for bob\n")
    assert "**Total: 55 / 80 (69%)**" in text
    assert "| Module | Checks passed | Points |" in text
    table = [line for line in text.splitlines() if line.startswith("| ") and "Module" not in line]
    assert [row.split(" | ")[0][2:] for row in table] == [
        "derivatives", "gradients", "regularization", "gradient_descent"]  # learning order
    assert "### central_difference: 1 check failed (0 of 2 points)" in text
    assert "#### FAILED: central_difference: matches f'(x) to O(h^2) (0 / 2 points)" in text
    assert "**Expected:** The central difference approximates f'(x) with error O(h^2)." in text
    assert "**What came back:**\n\n```text\nreturned 2.5 for f(x) = x**2 at x = 1.25\n```" in text
    assert f"**Hint:** {DIVIDES_BY_H.hint}" in text
    assert f"**Hint:** {hints.VALUE.format(function='numerical_hessian')}" in text
    assert "- forward_difference: matches f'(x) to O(h)" in text  # passed, listed compactly
    assert "- plot\\_loss\\_curves wrote no file" not in text  # intraword _ left alone
    assert "## Notes\n\n- plot_loss_curves wrote no file" in text


def test_markdown_names_a_misconception_only_when_recognised():
    text = formats.render_markdown(mixed())
    assert text.count("Likely misconception:") == 1
    assert "divides by h instead of 2h" in text
    assert "Likely misconception" not in formats.render_markdown(import_errors())


def test_markdown_full_marks_has_no_failure_sections():
    text = formats.render_markdown(full_marks())
    assert "FAILED" not in text and "Hint:" not in text
    assert "**Total: 7 / 7 (100%)**" in text
    assert "Every check passed" in text


def test_markdown_import_errors_give_actionable_hints():
    text = formats.render_markdown(import_errors())
    assert "losses.py could not be imported: SyntaxError" in text
    assert "Run `python losses.py` in your exercise folder" in text
    assert "Add `chain_rule.py` to your submission" in text


def test_learner_text_cannot_break_markdown_structure():
    text = formats.render_markdown(hostile())
    plain = outside_fences(text)
    assert not any(line.startswith(("# injected", "# printed", "<b>", "| a |")) for line in plain)
    assert not any("<script>" in line for line in plain)
    assert any(line.startswith("# Feedback for eve\\|\\`\\<i\\>\\`") for line in plain)
    assert "## What your code printed" in plain
    assert "`````text\n" + HOSTILE_OUTPUT + "\n`````" in text  # fence outgrows ````
    assert "- a note with \\| pipe and \\<b\\>tag\\</b\\>" in plain
    assert HOSTILE_MESSAGE in text


def test_non_ascii_survives_and_forbidden_characters_go(tmp_path):
    result = hostile()
    formats.write_report(result, tmp_path)
    for name in ("feedback.md", "feedback.html", "results.json"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "für café — 日本" in text
        assert "\x00" not in text and "\x1b" not in text and "\ud800" not in text
    message = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert "∇f(x) = [1.0, 2.0]" in message["tests"][1]["output"]



def test_html_cleans_and_escapes_every_text_through_one_function(tmp_path):
    """markup.esc, shared with the class report: a module outside the contract and the
    suites lose forbidden characters and are escaped, like learner text."""
    assert markup.esc("a\x00<b>&\"'\ud800") == "a&lt;b&gt;&amp;&quot;&#x27;"
    result = GradeResult("eve", "public\x00<b>", [check(1, "f: x", "extra\x1b<i>",
                                                         passed=False)])
    page = formats.render_html(result, tmp_path)
    assert "\x00" not in page and "\x1b" not in page and "<b>" not in page
    assert "(checks: public&lt;b&gt;)" in page and 'id="module-extra&lt;i&gt;"' in page


# ---------------------------------------------------------------- HTML

class PageParser(HTMLParser):
    """Collects the elements, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.pre_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)
        if "pre" in self.stack:
            self.pre_text.append(data)


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def test_html_escapes_everything_learner_controlled(tmp_path):
    page = parse(formats.render_html(hostile(), tmp_path / "plots"))
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags and "i" not in tags
    assert tags.count("b") == 0  # neither the printed <b> nor the note's <b>
    pre = "".join(page.pre_text)
    assert "<script>alert('x')</script>" in pre  # shown as text, inside a <pre>
    assert HOSTILE_OUTPUT in pre
    assert "Feedback for eve|`<i>`" in "".join(page.text)


def test_html_is_self_contained_and_labels_verdicts_in_words(tmp_path):
    page = formats.render_html(mixed(), tmp_path / "plots")
    parsed = parse(page)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags and "link" not in tags
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    text = "".join(parsed.text)
    assert "FAILED" in text and "PASSED" in text
    assert "divides by h instead of 2h" in text
    bars = [attrs for tag, attrs in parsed.tags if attrs.get("role") == "progressbar"]
    assert len(bars) == 2 * len(mixed().modules)  # one in the table, one per section
    assert {"aria-label": "derivatives: 7 of 9 points"}.items() <= bars[0].items()


def test_html_lists_failed_checks_first_within_a_module(tmp_path):
    result = mixed()
    result.checks.insert(2, check(9, "second_derivative: matches f''(x)", "derivatives",
                                  passed=False))
    page = formats.render_html(result, tmp_path)
    start = page.index('id="module-derivatives"')
    section = page[start:page.index("</section>", start)]
    assert section.index("second_derivative") < section.index("forward_difference")
    assert section.index("central_difference") < section.index("forward_difference")


def test_html_embeds_each_plot_and_notes_a_missing_one(tmp_path):
    plots_dir = tmp_path / "plots"
    png = tiny_png(plots_dir / "loss_lr_0.1.png")
    parsed = parse(formats.render_html(with_plots(mixed()), plots_dir))
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 1  # contour_path.png is missing
    assert images[0]["alt"] == "Loss at lr = 0.1"
    prefix = "data:image/png;base64,"
    assert images[0]["src"].startswith(prefix)
    assert base64.b64decode(images[0]["src"][len(prefix):]) == png
    assert "Path over the contours" in "".join(parsed.text)
    assert "missing" in "".join(parsed.text)


def test_markdown_links_each_plot_with_its_caption():
    text = formats.render_markdown(with_plots(mixed()))
    assert "![Loss at lr = 0.1](plots/loss_lr_0.1.png)\n\n*Yours should track the reference.*" \
        in text
    assert "![Path over the contours](plots/contour_path.png)" in text


# ---------------------------------------------------------------- report, summary, CSV

def test_write_report_writes_the_three_files(tmp_path):
    result = with_plots(mixed())
    for plot in result.plots:
        tiny_png(tmp_path / "plots" / f"{plot.name}.png")
    formats.write_report(result, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["feedback.html", "feedback.md", "plots",
                                            "results.json"]
    page = (tmp_path / "feedback.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2
    assert (tmp_path / "feedback.md").read_text(encoding="utf-8") == \
        formats.render_markdown(result)


def test_summary_text_is_aligned_with_a_total():
    lines = formats.summary_text(mixed()).splitlines()
    assert [line.split()[0] for line in lines] == [
        "derivatives", "gradients", "regularization", "gradient_descent", "total"]
    assert len({line.index(" / ") for line in lines}) == 1  # the slashes line up
    assert len({line.index(" of ") for line in lines}) == 1  # so do the check counts
    assert re.fullmatch(r"derivatives +7 / +9 points +1 of 2 checks passed", lines[0])
    assert re.fullmatch(r"gradients +0 / 10 points +0 of 1 check passed", lines[1])
    assert re.fullmatch(r"total +55 / 80 points +2 of 6 checks passed "
                        r"\(69% of the points\)", lines[-1])


def test_csv_columns_follow_the_header():
    header = formats.csv_header(MODULES)
    assert header[:3] == ["student", "score", "max_score"] and header[3:] == list(MODULES)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerow(formats.csv_row(mixed(), MODULES))
    writer.writerow(formats.csv_row(hostile(), MODULES))
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert rows[0]["student"] == "bob"
    assert (rows[0]["score"], rows[0]["max_score"]) == ("55", "80")
    assert rows[0]["derivatives"] == "7" and rows[0]["regularization"] == "8"
    assert rows[0]["gradient_descent"] == "40" and rows[0]["losses"] == ""
    assert rows[1]["student"] == "eve|`<i>`" and rows[1]["chain_rule"] == "1"


@pytest.mark.parametrize("value, text", [(7, "7"), (7.0, "7"), (7.5, "7.5"), (0.1 + 0.2, "0.3"),
                                         (1 / 3, "0.33"), (-0.0, "0"), (80, "80")])
def test_numbers_have_no_needless_decimals(value, text):
    assert formats.number_text(value) == text


def test_percent_never_rounds_up_to_full_marks():
    assert formats.percent(55, 80) == 69
    assert formats.percent(79.9, 80) == 99
    assert formats.percent(80, 80) == 100
    assert formats.percent(0, 0) == 0


# ---------------------------------------------------------------- JUnit

@pytest.mark.parametrize("make", ALL_RESULTS)
def test_junit_parses_and_counts_failures(tmp_path, make):
    result = make()
    path = tmp_path / "junit.xml"
    formats.write_junit(result, path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    failed = sum(not c.passed for c in result.checks)
    assert int(root.get("tests")) == len(result.checks) and int(root.get("failures")) == failed
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [m.module for m in result.modules]
    for suite in suites:
        cases = suite.findall("testcase")
        assert all(case.get("classname") == suite.get("name") for case in cases)
        assert int(suite.get("failures")) == sum(case.find("failure") is not None
                                                 for case in cases)
    assert len(root.findall(".//failure")) == failed
    assert os.listdir(tmp_path) == ["junit.xml"]


def test_junit_failure_carries_the_feedback(tmp_path):
    path = tmp_path / "junit.xml"
    formats.write_junit(hostile(), path)
    failure = ET.parse(path).getroot().find(".//testcase[@name='mse: matches the mean of "
                                            "squared errors']/failure")
    assert failure.get("type") == "raised"
    assert failure.get("message").startswith("returned <script>alert('x')</script>")
    assert "\n" not in failure.get("message")
    assert "What came back: " + HOSTILE_MESSAGE in failure.text
    assert "Hint: `mse` raised an error" in failure.text


# ---------------------------------------------------------------- hints

def test_every_problem_kind_has_a_hint_and_a_label():
    kinds = {cls.kind for cls in errors.SubmissionProblem.__subclasses__()}
    assert kinds | {"check", "value"} <= set(hints.KIND_HINTS)
    assert set(hints.KIND_HINTS) == set(hints.KIND_LABELS)


@pytest.mark.parametrize("kind, expected", [
    ("not-implemented", "Replace `raise NotImplementedError()` in `gradient_descent`"),
    ("timeout", "Is `max_steps` respected?"),
    ("bad-return", "Return numbers or numpy arrays from `gradient_descent`"),
    ("check", "`gradient_descent` returns a result of the right shape and type"),
    ("", "`gradient_descent` returns a result of the right shape and type"),
    ("missing-function", "Define `gradient_descent` in `gradient_descent.py`"),
    ("crashed", "`gradient_descent` stopped the Python process"),
])
def test_hint_for_each_kind_names_the_function(kind, expected):
    failed = check(1, "gradient_descent: converges", "gradient_descent", passed=False, kind=kind)
    failed.kind = kind
    assert expected in hints.hint_for(failed)
    assert "{" not in hints.hint_for(failed)


def test_timeout_hint_names_the_step_budget_the_function_has():
    def timed_out(name: str, module: str) -> str:
        return hints.hint_for(check(1, f"{name}: stops", module, passed=False, kind="timeout"))

    assert "`n_steps`" in timed_out("train_logistic_regression", "mini_project")
    assert "steps" not in timed_out("central_difference", "derivatives")


def test_recognised_misconception_hint_wins_and_passes_need_none():
    recognised = mixed().checks[1]
    assert hints.hint_for(recognised) == DIVIDES_BY_H.hint
    assert hints.hint_for(mixed().checks[0]) == ""
