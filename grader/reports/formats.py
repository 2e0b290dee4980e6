"""Every output format of a grade, each rendered from the one results model (GradeResult).

results.json (Gradescope), feedback.md and feedback.html (the learner's report), the
`grade` summary, grades.csv rows and JUnit XML. Functions named write_* do the I/O, each
file written atomically (a temporary file in the same folder, then os.replace), so no
reader ever sees half a file. Text that learner code controls (messages, printed output)
is escaped for each format and stripped of characters no format can carry; the HTML rules
(escaping, code spans, stylesheet, page frame) are `markup`'s, shared with the class report.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from grader.contract import MODULES
from grader.reports.hints import Diagnosis, diagnoses, failing_functions, failure_kind, hint_for
from grader.reports.markup import BASE_CSS, clean, data_uri, esc, html_text, page
from grader.reports.results import CheckResult, GradeResult, ModuleResult, Plot, write_atomically

VISIBILITY = {"public": "visible", "hidden": "after_published"}
PASSED_TEXT = "Passed."
# What a learner confuses first: a check is one behaviour tested, and checks differ in worth.
POINTS_AND_CHECKS = ("Each check tests one behaviour of one function and is worth the points "
                     "shown beside it; a module's points are those of the checks it passed.")
FAILURE_MESSAGE_CAP = 200

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~#!]|(?<!\w)_|_(?!\w))")


# ---------------------------------------------------------------- shared wording

def number_text(value: float) -> str:
    """A score without needless decimals: 7, 7.5, 0.33."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(score: float, max_score: float) -> int:
    """Whole percent; 100 only for full marks, so rounding never claims them."""
    if max_score <= 0:
        return 0
    value = round(100 * score / max_score)
    return min(value, 99) if score < max_score else value


def total_text(result: GradeResult) -> str:
    """'55 / 80 (69%)'."""
    return (f"{number_text(result.score)} / {number_text(result.max_score)} "
            f"({percent(result.score, result.max_score)}%)")


def check_numbers(result: GradeResult) -> list[str]:
    """Stable 'module.check' numbers, e.g. '3.2': the module's place in learning order
    (from the contract, so it does not depend on which modules were graded) and the
    check's place within its module."""
    extra = [m.module for m in result.modules if m.module not in MODULES]
    seen: dict[str, int] = {}
    numbers = []
    for check in result.checks:
        seen[check.module] = seen.get(check.module, 0) + 1
        place = (MODULES.index(check.module) if check.module in MODULES
                 else len(MODULES) + extra.index(check.module))
        numbers.append(f"{place + 1}.{seen[check.module]}")
    return numbers


def plural(count: int, word: str) -> str:
    """'1 check', '7 checks'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def checks_and_points(passed: int, total: int, score: float, max_score: float) -> str:
    """'17 of 24 checks passed, worth 20 of 28 points'."""
    return (f"{passed} of {plural(total, 'check')} passed, worth {number_text(score)} of "
            f"{number_text(max_score)} points")


def result_diagnoses(result: GradeResult) -> list[Diagnosis]:
    """Every diagnosis of a grade, module by module in learning order."""
    failing = failing_functions(result.checks)
    return [diagnosis for module in result.modules for diagnosis in
            diagnoses([c for c in result.checks if c.module == module.module], failing)]


def of_module(found: list[Diagnosis], module: ModuleResult) -> list[Diagnosis]:
    return [diagnosis for diagnosis in found if diagnosis.module == module.module]


def public_part(result: GradeResult) -> GradeResult:
    """The grade without its hidden checks: what may be shown before publication."""
    return replace(result, checks=[c for c in result.checks if c.suite != "hidden"])


def diagnosis_heading(diagnosis: Diagnosis) -> str:
    """'central_difference: 7 checks failed (0 of 8 points)'."""
    count = len(diagnosis.checks)
    return (f"{diagnosis.subject}: {plural(count, 'check')} failed ({number_text(diagnosis.score)}"
            f" of {number_text(diagnosis.max_score)} points)")


def diagnosis_fields(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    """(label, text) pairs of a diagnosis: its cause in words, then the hint."""
    if diagnosis.misconception is not None:
        cause = ("Likely misconception", clean(diagnosis.misconception.summary))
    else:
        cause = ("What went wrong", clean(diagnosis.title))
    return [cause, ("Hint", clean(diagnosis.hint))]


def expected_text(check: CheckResult) -> str:
    """What the check expected, in words: its description, else its name after ':'."""
    text = " ".join(check.description.split())
    return text or check.name.partition(":")[2].strip() or check.name


def failure_fields(check: CheckResult) -> list[tuple[str, str]]:
    """(label, text) pairs explaining a failed check; learner text is cleaned, not escaped."""
    fields = [("Expected", clean(expected_text(check))),
              ("What came back", clean(check.message).strip() or "(no message)")]
    if check.misconception is not None:
        fields.append(("Likely misconception", clean(check.misconception.summary)))
    fields.append(("Hint", clean(hint_for(check))))
    return fields


# ---------------------------------------------------------------- Markdown

def md_inline(text: object) -> str:
    """Text safe inside one Markdown line or table cell: one line, specials escaped
    (an underscore inside a word is left alone: it cannot start emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(clean(text).split()))


def md_words(text: object) -> str:
    """The grader's own words on one Markdown line, `code` spans kept."""
    return " ".join(clean(text).split())


def md_code_block(text: str, info: str = "text") -> str:
    """A fenced block holding text literally: the fence outgrows any backtick run in it.

    The fence is sized on the text as written, after clean() (which drops NULs and other
    controls: "``\\x00``" becomes a run of four) and after a lone CR, which Markdown
    takes for a line end, became a newline; so no line of the text can close it.
    """
    body = clean(text).replace("\r\n", "\n").replace("\r", "\n").rstrip()
    runs = [len(run) for run in re.findall(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def md_check_feedback(check: CheckResult, others: Sequence[str] = (), subject: str = "") -> str:
    """One check's feedback in Markdown (Gradescope's test output); others are the numbers
    of the other failed checks its diagnosis (of subject: a function or a file) explains."""
    if check.passed:
        return PASSED_TEXT
    parts = []
    for label, text in failure_fields(check):
        if label == "What came back":  # the learner's text, shown literally
            parts.append(f"**{label}:**\n\n{md_code_block(text)}")
        else:
            parts.append(f"**{label}:** {md_words(text)}")
    if others:
        parts.append(f"**Same diagnosis:** {plural(len(others), 'other failed check')} of "
                     f"{md_words(subject or check.function)} ({', '.join(others)}); one fix "
                     f"may pass {'both' if len(others) == 1 else 'them all'}.")
    return "\n\n".join(parts)


def md_module_table(result: GradeResult) -> str:
    """The per-module table (checks passed, points earned of the maximum) and what they mean."""
    rows = ["| Module | Checks passed | Points |", "|---|---:|---:|"]
    for m in result.modules:
        rows.append(f"| {md_inline(m.module)} | {m.passed} of {m.total} | "
                    f"{number_text(m.score)} of {number_text(m.max_score)} |")
    return "\n".join(rows) + f"\n\n*{POINTS_AND_CHECKS}*"


def md_diagnosis(diagnosis: Diagnosis) -> str:
    """One cause in one function: what went wrong and the hint once, then its checks."""
    parts = [f"### {md_words(diagnosis_heading(diagnosis))}"]
    parts += [f"**{label}:** {md_words(text)}" for label, text in diagnosis_fields(diagnosis)]
    shared = diagnosis.shared_message
    if shared and len(diagnosis.checks) > 1:   # e.g. a stub: say what came back once
        parts.append(f"**What came back** (from each):\n\n{md_code_block(shared)}")
        parts.append("**Checks this explains:**\n\n" + "\n".join(
            f"- {md_words(c.name)} ({number_text(c.score)} / {number_text(c.max_score)} points)"
            for c in diagnosis.checks))
        return "\n\n".join(parts)
    parts.append("**Checks this explains:**" if len(diagnosis.checks) > 1 else "**The check:**")
    for check in diagnosis.checks:
        parts.append(f"#### FAILED: {md_words(check.name)} ({number_text(check.score)} / "
                     f"{number_text(check.max_score)} points)")
        parts.append(f"**Expected:** {md_words(expected_text(check))}")
        message = clean(check.message).strip() or "(no message)"
        parts.append(f"**What came back:**\n\n{md_code_block(message)}")
    return "\n\n".join(parts)


def md_module_section(module: ModuleResult, checks: list[CheckResult],
                      found: list[Diagnosis]) -> str:
    """A module's diagnoses (failed checks grouped by function and cause), then its
    passed checks as a short list (found: the module's diagnoses, from result_diagnoses)."""
    parts = [f"## {md_inline(module.module)}: "
             f"{checks_and_points(module.passed, module.total, module.score, module.max_score)}"]
    parts += [md_diagnosis(diagnosis) for diagnosis in found]
    passed = [c for c in checks if c.passed]
    if passed:
        parts.append(f"Passed ({len(passed)} of {len(checks)}):\n\n"
                     + "\n".join(f"- {md_words(c.name)}" for c in passed))
    return "\n\n".join(parts)


def md_plots(plots: Sequence[Plot]) -> str:
    """Each plot as an image (plots/<name>.png) with its caption."""
    parts = ["## Plots"]
    for plot in plots:
        parts.append(f"![{md_inline(plot.title)}](plots/{_plot_file(plot)})")
        if plot.caption.strip():
            parts.append(f"*{md_inline(plot.caption)}*")
    return "\n\n".join(parts)


def render_markdown(result: GradeResult) -> str:
    """feedback.md: total, module table, failed checks per module, plots, notes, output."""
    parts = [f"# Feedback for {md_inline(result.student)}",
             f"**Total: {total_text(result)}** (checks: {md_inline(result.suites)})",
             md_module_table(result)]
    found = result_diagnoses(result)
    for module in result.modules:
        checks = [c for c in result.checks if c.module == module.module]
        if module.passed < module.total:
            parts.append(md_module_section(module, checks, of_module(found, module)))
    if all(c.passed for c in result.checks):
        parts.append("Every check passed. Well done!")
    if result.plots:
        parts.append(md_plots(result.plots))
    if result.notes:
        parts.append("## Notes\n\n" + "\n".join(f"- {md_inline(n)}" for n in result.notes))
    if result.output.strip():
        parts.append("## What your code printed\n\n" + md_code_block(result.output))
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- Gradescope

def results_json(result: GradeResult) -> dict:
    """Gradescope's results.json as a dict: one test per check, in order."""
    numbers = check_numbers(result)
    number_of = {id(check): number for check, number in zip(result.checks, numbers)}
    # a visible (public) check's diagnosis is made of public checks alone: its companions
    # and cause must not tell which hidden checks failed, or why, before publication
    found = {id(check): diagnosis for grade in (result, public_part(result))
             for diagnosis in result_diagnoses(grade) for check in diagnosis.checks}
    return {
        "score": float(result.score),
        "execution_time": round(float(result.execution_time), 3),
        "output": gradescope_summary(result),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",      # the grade's own printout counts hidden checks
        "extra_data": {"student": clean(result.student), "suites": result.suites,
                       "max_score": float(result.max_score), "isolation": result.isolation},
        "tests": [gradescope_test(check, number, found.get(id(check)), number_of)
                  for check, number in zip(result.checks, numbers)],
    }


def gradescope_test(check: CheckResult, number: str, diagnosis: Diagnosis | None = None,
                    number_of: dict[int, str] | None = None) -> dict:
    """One entry of results.json's tests[]; a failed check names its diagnosis and cause."""
    extra = {"kind": check.kind}
    if check.misconception is not None:
        extra["misconception"] = check.misconception.id
    others: list[str] = []
    if diagnosis is not None:
        extra["cause"], extra["diagnosis"] = failure_kind(check), diagnosis.key
        others = [(number_of or {}).get(id(c), "?") for c in diagnosis.checks if c is not check]
    return {
        "name": clean(check.name),
        "number": number,
        "score": float(check.score),
        "max_score": float(check.max_score),
        "status": "passed" if check.passed else "failed",
        # a hidden check's own message: results.json hides it until grades are published
        "output": md_check_feedback(replace(check, message=check.detail or check.message),
                                    others, diagnosis.subject if diagnosis else ""),
        "visibility": VISIBILITY.get(check.suite, "after_published"),
        "tags": [check.module],
        "extra_data": extra,
    }


HIDDEN_UNTIL_PUBLISHED = ("The hidden checks ({checks}, {points} points) are graded too: "
                          "their results appear below once grades are published.")


def gradescope_summary(result: GradeResult) -> str:
    """The short Markdown summary at the top of Gradescope's results page.

    It is visible before grades are published, so it covers the public checks alone: a
    hidden check's verdict, its kind of failure or a misconception it matched is a signal
    learner code can choose from the hidden inputs it was given (hidden checks' own
    entries are after_published)."""
    hidden = [c for c in result.checks if c.suite == "hidden"]
    result = public_part(result)
    parts = [f"**{'Public checks' if hidden else 'Total'}: {total_text(result)}**",
             md_module_table(result)]
    found = result_diagnoses(result)
    if found:
        parts.append("**What went wrong**, one line per function and cause:\n\n" + "\n".join(
            f"- {md_words(d.subject)}: {md_words(d.title)} ({plural(len(d.checks), 'check')}, "
            f"{number_text(d.max_score - d.score)} of {number_text(d.max_score)} points lost)"
            for d in found))
    if hidden:
        parts.append(HIDDEN_UNTIL_PUBLISHED.format(
            checks=plural(len(hidden), "check"),
            points=number_text(sum(c.max_score for c in hidden))))
    if result.notes:
        parts.append("\n".join(f"- {md_inline(n)}" for n in result.notes))
    return "\n\n".join(parts)


def write_results_json(result: GradeResult, path: Path) -> None:
    """Write results.json atomically."""
    text = json.dumps(results_json(result), indent=2, ensure_ascii=False)
    write_atomically(Path(path), text + "\n")


# ---------------------------------------------------------------- HTML

def html_bar(label: str, score: float, max_score: float) -> str:
    """A progress bar that screen readers announce as 'label: score of max points'."""
    share = 100 if max_score <= 0 else max(0, min(100, round(100 * score / max_score)))
    level = "" if share == 100 else " partial" if share >= 50 else " low"
    name = esc(f"{label}: {number_text(score)} of {number_text(max_score)} points")
    return (f'<div class="bar{level}" role="progressbar" aria-valuemin="0" '
            f'aria-valuemax="{number_text(max_score)}" aria-valuenow="{number_text(score)}" '
            f'aria-label="{name}"><span style="width:{share}%"></span></div>')


def html_summary_table(result: GradeResult) -> str:
    """The module table, each row with its progress bar."""
    rows = [f'<table><caption class="muted">{esc(POINTS_AND_CHECKS)}</caption><thead>'
            '<tr><th scope="col">Module</th><th scope="col" class="num">Checks passed</th>'
            '<th scope="col" class="num">Points</th><th scope="col">Progress</th></tr></thead>'
            '<tbody>']
    for m in result.modules:
        rows.append(f'<tr><th scope="row"><a href="#module-{esc(m.module)}">'
                    f'{esc(m.module)}</a></th>'
                    f'<td class="num">{m.passed} of {m.total}</td>'
                    f'<td class="num">{number_text(m.score)} of {number_text(m.max_score)}</td>'
                    f'<td>{html_bar(m.module, m.score, m.max_score)}</td></tr>')
    rows.append("</tbody></table>")
    return "".join(rows)


def html_failed_check(check: CheckResult) -> str:
    """One failed check of a diagnosis: its name, what it expected, what came back."""
    message = clean(check.message).strip() or "(no message)"
    return (f'<article class="check"><h5><span class="badge fail">FAILED</span>'
            f"{html_text(check.name)} <span class=\"muted\">({number_text(check.score)} / "
            f"{number_text(check.max_score)} points)</span></h5><dl><dt>Expected</dt>"
            f"<dd>{html_text(expected_text(check))}</dd><dt>What came back</dt>"
            f"<dd><pre>{esc(message)}</pre></dd></dl></article>")


def html_diagnosis(diagnosis: Diagnosis) -> str:
    """One cause in one function: what went wrong and the hint once, then its checks."""
    items = "".join(f"<dt>{label}</dt><dd>{html_text(text)}</dd>"
                    for label, text in diagnosis_fields(diagnosis))
    shared = diagnosis.shared_message
    if shared and len(diagnosis.checks) > 1:   # e.g. a stub: say what came back once
        items += f"<dt>What came back (from each)</dt><dd><pre>{esc(shared)}</pre></dd>"
        checks = "<ul>" + "".join(
            f'<li>{html_text(c.name)} <span class="muted">({number_text(c.score)} / '
            f"{number_text(c.max_score)} points)</span></li>" for c in diagnosis.checks) + "</ul>"
    else:
        checks = "".join(html_failed_check(c) for c in diagnosis.checks)
    return (f'<article class="diagnosis"><h3><span class="badge fail">FAILED</span>'
            f"{html_text(diagnosis_heading(diagnosis))}</h3><dl>{items}</dl>"
            f"<h4>Checks this explains</h4>{checks}</article>")


def html_module_section(module: ModuleResult, checks: list[CheckResult],
                        found: list[Diagnosis]) -> str:
    """A module's section: header with bar, failed checks first, then passed ones
    (found: the module's diagnoses, from result_diagnoses)."""
    name = esc(module.module)
    bar = html_bar(module.module, module.score, module.max_score)
    parts = [f'<section class="module" id="module-{name}" aria-labelledby="h-{name}">'
             f'<header><h2 id="h-{name}">{name}</h2><span>'
             f"{checks_and_points(module.passed, module.total, module.score, module.max_score)}"
             f"</span></header>{bar}"]
    parts += [html_diagnosis(diagnosis) for diagnosis in found]
    passed = [c for c in checks if c.passed]
    if passed:
        items = "".join(f'<li><span class="badge pass">PASSED</span>{html_text(c.name)} '
                        f'<span class="muted">({number_text(c.score)} / '
                        f"{number_text(c.max_score)})</span></li>" for c in passed)
        parts.append(f"<details{' open' if len(passed) == len(checks) else ''}><summary>"
                     f"Passed checks ({len(passed)})</summary><ul class=\"passed\">{items}"
                     "</ul></details>")
    return "".join(parts) + "</section>"


def html_plots(plots: Sequence[Plot], plots_dir: Path) -> str:
    """Each plot's PNG embedded as a data: URI; a missing file becomes a note."""
    parts = ["<section><h2>Plots</h2>"]
    for plot in plots:
        path = Path(plots_dir) / _plot_file(plot)
        if not path.is_file():
            parts.append(f'<p class="muted">The plot "{esc(plot.title)}" '
                         "could not be shown: its image file is missing.</p>")
            continue
        parts.append(f'<figure><img src="{data_uri(path.read_bytes())}" '
                     f'alt="{esc(plot.title)}"><figcaption>'
                     f"<strong>{html_text(plot.title)}</strong>. {html_text(plot.caption)}"
                     "</figcaption></figure>")
    return "".join(parts) + "</section>"


def html_extras(result: GradeResult) -> str:
    """Notes and what the learner's code printed."""
    parts = []
    if result.notes:
        parts.append("<section><h2>Notes</h2><ul>"
                     + "".join(f"<li>{html_text(n)}</li>" for n in result.notes)
                     + "</ul></section>")
    if result.output.strip():
        parts.append("<section><h2>What your code printed</h2>"
                     f"<pre>{esc(result.output)}</pre></section>")
    return "".join(parts)


def render_html(result: GradeResult, plots_dir: Path) -> str:
    """feedback.html: the Markdown report's content as one self-contained page."""
    found = result_diagnoses(result)
    sections = [html_module_section(m, [c for c in result.checks if c.module == m.module],
                                    of_module(found, m)) for m in result.modules]
    plots = html_plots(result.plots, plots_dir) if result.plots else ""
    return page(f"Feedback for {result.student}", BASE_CSS,
                f"<p><strong>Total: {total_text(result)}</strong>"
                f' <span class="muted">(checks: {esc(result.suites)})</span></p>'
                f"{html_summary_table(result)}{''.join(sections)}{plots}{html_extras(result)}")


# ---------------------------------------------------------------- report, summary, CSV

def write_report(result: GradeResult, out_dir: Path) -> None:
    """Write results.json, feedback.md and feedback.html into out_dir (plots/ already there)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_results_json(result, out_dir / "results.json")
    write_atomically(out_dir / "feedback.md", render_markdown(result))
    write_atomically(out_dir / "feedback.html", render_html(result, out_dir / "plots"))


def summary_text(result: GradeResult) -> str:
    """What `grade` prints: one aligned 'module  points / max points  checks passed' line
    per module, then the total."""
    rows = [(m.module, number_text(m.score), number_text(m.max_score), m.passed, m.total)
            for m in result.modules]
    rows.append(("total", number_text(result.score), number_text(result.max_score),
                 sum(c.passed for c in result.checks), len(result.checks)))
    name_width = max(len(row[0]) for row in rows) + 2
    score_width = max(len(row[1]) for row in rows)
    max_width = max(len(row[2]) for row in rows)
    count_width = max(len(str(row[3])) for row in rows)
    lines = [f"{name:<{name_width}}{score:>{score_width}} / {top:>{max_width}} points   "
             f"{passed:>{count_width}} of {plural(total, 'check')} passed"
             for name, score, top, passed, total in rows]
    lines[-1] += f" ({percent(result.score, result.max_score)}% of the points)"
    return "\n".join(lines)


def csv_header(modules: Iterable[str]) -> list[str]:
    """grades.csv's header: student, score, max_score, then one column per module."""
    return ["student", "score", "max_score", *modules]


def csv_row(result: GradeResult, modules: Iterable[str]) -> list[str]:
    """One student's grades.csv row; a module without checks in this grade is left empty."""
    scores = {m.module: number_text(m.score) for m in result.modules}
    return [clean(result.student), number_text(result.score), number_text(result.max_score),
            *[scores.get(module, "") for module in modules]]


LMS_HEADER = ["Student ID", "Grade", "Max Grade", "Percent", "Feedback"]


def lms_row(result: GradeResult) -> list[str]:
    """One row of lms_grades.csv: what an LMS gradebook import takes (Canvas, Moodle,
    Blackboard map columns by name), with a one-line feedback comment."""
    weakest = [m.module for m in result.modules if m.score < m.max_score][:3]
    comment = (f"{total_text(result)}. Work on: {', '.join(weakest)}. See feedback.html."
               if weakest else f"{total_text(result)}. Full marks.")
    notes = [n for n in result.notes if n.startswith("not graded:")]
    return [clean(result.student), number_text(result.score), number_text(result.max_score),
            str(percent(result.score, result.max_score)), clean(notes[0] if notes else comment)]


# ---------------------------------------------------------------- JUnit XML

def junit_tree(result: GradeResult) -> ET.Element:
    """<testsuites> with one <testsuite> per module and one <testcase> per check."""
    failures = sum(not c.passed for c in result.checks)
    root = ET.Element("testsuites", name=f"grade of {clean(result.student)}",
                      tests=str(len(result.checks)), failures=str(failures),
                      errors="0", time=f"{float(result.execution_time):.3f}")
    for module in result.modules:
        checks = [c for c in result.checks if c.module == module.module]
        suite = ET.SubElement(root, "testsuite", name=module.module, tests=str(module.total),
                              failures=str(module.total - module.passed), errors="0",
                              skipped="0", time="0")
        properties = ET.SubElement(suite, "properties")
        for key, value in (("score", module.score), ("max_score", module.max_score)):
            ET.SubElement(properties, "property", name=key, value=number_text(value))
        for check in checks:
            junit_case(suite, check)
    return root


def junit_case(suite: ET.Element, check: CheckResult) -> ET.Element:
    """One <testcase>, with a <failure> explaining a failed check."""
    case = ET.SubElement(suite, "testcase", classname=check.module, name=clean(check.name),
                         time="0")
    if not check.passed:
        first_line = (clean(check.message).strip().splitlines() or ["failed"])[0]
        if len(first_line) > FAILURE_MESSAGE_CAP:
            first_line = first_line[: FAILURE_MESSAGE_CAP - 3] + "..."
        failure = ET.SubElement(case, "failure", message=first_line, type=check.kind or "check")
        failure.text = "\n".join(f"{label}: {text}" for label, text in failure_fields(check))
    return case


def write_junit(result: GradeResult, path: Path) -> None:
    """Write the JUnit XML atomically."""
    root = junit_tree(result)
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    write_atomically(Path(path), data + b"\n")


# ---------------------------------------------------------------- files

def _plot_file(plot: Plot) -> str:
    """plots/<name>.png's file name; a name that tries to leave plots/ is flattened."""
    return Path(clean(plot.name)).name + ".png"
