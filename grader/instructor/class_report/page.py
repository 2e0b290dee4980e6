"""The class report as one HTML page: self-contained (inline CSS, the charts as data:
URIs, no JavaScript), readable projected on a screen, every text escaped by `markup`."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from grader.reports import formats
from grader.reports.markup import BASE_CSS, data_uri, esc, html_text, page

# The learner report's stylesheet, then larger type and the class report's own blocks.
CSS = BASE_CSS + """
main{max-width:76rem;font-size:1.05rem}
h1{font-size:2rem}h2{font-size:1.5rem;margin:2.2rem 0 .6rem}h3{font-size:1.15rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.9rem;
margin:1.2rem 0}
.card{border:1px solid #d0d7de;border-radius:.6rem;padding:.7rem 1rem;background:#f6f8fa}
.card .value{display:block;font-size:2.6rem;font-weight:700;line-height:1.15;
font-variant-numeric:tabular-nums}
.card .label{display:block;color:#57606a}.card.alert .value{color:#cf222e}
.reteach{border:3px solid #cf222e;background:#fff5f5;border-radius:.7rem;padding:1rem 1.4rem;
margin:1.6rem 0}
.reteach .tag{display:inline-block;background:#cf222e;color:#fff;font-weight:700;
text-transform:uppercase;letter-spacing:.05em;padding:.1rem .6rem;border-radius:.3rem}
.reteach h2{font-size:1.9rem;margin:.5rem 0}.reteach .share{font-size:1.5rem;font-weight:700}
.reteach .hint{font-size:1.2rem}
.ok{border:3px solid #1a7f37;background:#f0fff4;border-radius:.7rem;padding:1rem 1.4rem}
tr.first{background:#fff5f5}td.wrap{max-width:26rem}
.students a{margin-right:.5rem;white-space:nowrap}
.rate{display:flex;align-items:center;gap:.5rem}.rate .bar{flex:1}
.rate span.num{min-width:3.2rem;text-align:right;font-variant-numeric:tabular-nums}
"""


def _pct(share: float | None) -> str:
    """A percent (0 to 100) to the whole: '67%'; '-' when there is none."""
    return "-" if share is None else f"{share:.0f}%"


def _rate(count: int, total: int) -> str:
    """'67%': whole percent that never rounds up to 100 unless everyone passed."""
    return "-" if total <= 0 else f"{formats.percent(count, total)}%"


def _points(value: float | None) -> str:
    """Points without needless decimals; '-' when there are none."""
    return "-" if value is None else formats.number_text(value)


def _student_links(ids: Iterable[str]) -> str:
    """Each student's name, linking to their own feedback page."""
    return "".join(f'<a href="{esc(quote(s))}/feedback.html">{esc(s)}</a>' for s in ids)


def _rate_bar(label: str, passed: int, total: int) -> str:
    """A pass-rate bar in the learner report's colours, announced as 'label: n of m passed'."""
    share = 0 if total <= 0 else round(100 * passed / total)
    level = "" if total and passed == total else " partial" if share >= 50 else " low"
    name = esc(f"{label}: {passed} of {total} passed")
    return (f'<div class="rate"><div class="bar{level}" role="progressbar" aria-valuemin="0" '
            f'aria-valuemax="{total}" aria-valuenow="{passed}" aria-label="{name}">'
            f'<span style="width:{share}%"></span></div>'
            f'<span class="num">{_rate(passed, total)}</span></div>')


def _card(value: str, label: str, alert: bool = False) -> str:
    """One headline number (value and label are HTML already)."""
    return (f'<div class="card{" alert" if alert else ""}"><span class="value">{value}</span>'
            f'<span class="label">{label}</span></div>')


def html_headline(report: dict) -> str:
    """The headline numbers as cards; a card turns red when it asks for attention."""
    s = report["summary"]
    p = s["percent"]
    cards = [
        _card(str(s["students"]), f"students ({s['graded']} graded)"),
        _card(_pct(p["mean"]), f"mean score ({_points(s['mean'])} / {_points(s['max_score'])})"),
        _card(_pct(p["median"]), f"median score ({_points(s['median'])} points)"),
        _card(str(s["full_marks"]), "full marks"),
        _card(str(s["zero"]), "scored zero", alert=s["zero"] > 0),
        _card(str(s["not_gradable"]), "not gradable", alert=s["not_gradable"] > 0),
        _card(str(len(report["flagged"])), "to look at", alert=bool(report["flagged"])),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def html_reteach(report: dict) -> str:
    """The most common misconception, what to say about it and who showed it."""
    table = report["misconceptions"]
    if not table:
        return ('<section class="ok"><h2>No catalogued misconception was recognised</h2>'
                '<p>Look at the hardest checks below for what to revisit.</p></section>')
    top = table[0]
    share = _pct(None if top["share"] is None else 100 * top["share"])
    return (f'<section class="reteach" aria-label="re-teach first"><span class="tag">'
            f"Re-teach first</span><h2>{html_text(top['summary'])}</h2>"
            f'<p class="share">{top["count"]} of {report["summary"]["graded"]} graded students '
            f"({share})</p><p class=\"hint\"><strong>What to say:</strong> "
            f"{html_text(top['hint'])}</p>"
            f'<p class="muted">{esc(top["id"])}, seen in: '
            f"{'; '.join(html_text(c) for c in top['checks'])}</p>"
            f'<p class="students">Students: {_student_links(top["students"])}</p></section>')


def html_distribution(report: dict, charts: dict[str, bytes]) -> str:
    """The score histogram and statistics, then who could not be graded and why."""
    s, p = report["summary"], report["summary"]["percent"]
    rows = "".join(f'<tr><th scope="row">{label}</th><td class="num">{_points(s[key])}</td>'
                   f'<td class="num">{_pct(p[key])}</td></tr>'
                   for label, key in (("mean", "mean"), ("lower quartile", "q1"),
                                      ("median", "median"), ("upper quartile", "q3"),
                                      ("lowest", "min"), ("highest", "max")))
    bins = zip(s["histogram"]["bins"], s["histogram"]["counts"])
    alt = "Histogram of scores: " + ", ".join(f"{b}%: {c} students" for b, c in bins)
    parts = ["<section><h2>Score distribution</h2>",
             f'<figure><img src="{data_uri(charts["histogram"])}" alt="{esc(alt)}"></figure>',
             '<table><caption class="muted">Over the graded students; full marks '
             f'{s["full_marks"]}, zero {s["zero"]}. Max score {_points(s["max_score"])}'
             f'{" (not the same for every student)" if s["max_scores_differ"] else ""}.'
             '</caption><thead><tr><th scope="col"></th><th scope="col" class="num">points'
             f'</th><th scope="col" class="num">percent</th></tr></thead><tbody>{rows}'
             "</tbody></table>"]
    lost = s["not_gradable_students"] + [{**u, "link": ""} for u in report["unreadable"]]
    if lost:
        items = "".join(
            f"<li>{_student_links([u['student']]) if u['link'] else esc(u['student'])}: "
            f"{esc(u['reason'])}</li>" for u in lost)
        parts.append(f"<h3>Not gradable ({len(lost)})</h3><p class=\"muted\">Counted as "
                     "students, left out of the numbers above.</p>"
                     f"<ul>{items}</ul>")
    return "".join(parts) + "</section>"


def html_misconceptions(report: dict) -> str:
    """Every misconception recognised, most common first; nothing when there is none."""
    table = report["misconceptions"]
    if not table:
        return ""
    rows = []
    for row in table:
        share = None if row["share"] is None else 100 * row["share"]
        rows.append(f'<tr class="{"first" if row["reteach_first"] else ""}">'
                    f'<td class="wrap"><strong>{html_text(row["summary"])}</strong>'
                    f'<br><span class="muted">{esc(row["id"])}</span></td>'
                    f'<td class="num">{row["count"]}</td><td class="num">{_pct(share)}</td>'
                    f'<td class="wrap">{html_text(row["hint"])}</td>'
                    f'<td class="students">{_student_links(row["students"])}</td>'
                    f'<td class="wrap">{"<br>".join(html_text(c) for c in row["checks"])}'
                    "</td></tr>")
    return ("<section><h2>Misconceptions recognised across the class</h2>"
            '<table><thead><tr><th scope="col">Misconception</th>'
            '<th scope="col" class="num">Students</th><th scope="col" class="num">Share</th>'
            '<th scope="col">What to explain</th><th scope="col">Who</th>'
            f'<th scope="col">Seen in</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            "</section>")


def html_modules(report: dict) -> str:
    """Per exercise module: mean points and the pass rate of its checks."""
    rows = "".join(
        f'<tr><th scope="row">{esc(m["module"])}</th>'
        f'<td class="num">{_points(m["mean_score"])} / {_points(m["max_score"])}</td>'
        f'<td>{_rate_bar(m["module"], m["checks_passed"], m["checks_total"])}</td></tr>'
        for m in report["modules"])
    return ("<section><h2>Exercise modules</h2><table><thead><tr>"
            '<th scope="col">Module</th><th scope="col" class="num">Mean points</th>'
            '<th scope="col">Checks passed</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></section>")


def _check_rows(checks: list[dict]) -> str:
    """One table row per check."""
    return "".join(
        f'<tr><td class="wrap">{html_text(c["name"])}</td><td>{esc(c["module"])}</td>'
        f'<td>{esc(c["suite"])}</td><td class="num">{_points(c["points"])}</td>'
        f'<td>{_rate_bar(c["name"], c["passed"], c["students"])}</td>'
        f'<td class="num">{c["failed"]}</td></tr>' for c in checks)


def html_checks(report: dict) -> str:
    """The checks someone failed, hardest first; those everyone passed folded away."""
    header = ('<thead><tr><th scope="col">Check</th><th scope="col">Module</th>'
              '<th scope="col">Suite</th><th scope="col" class="num">Points</th>'
              '<th scope="col">Pass rate</th><th scope="col" class="num">Failed</th></tr>'
              "</thead>")
    hard = [c for c in report["checks"] if c["failed"]]
    easy = [c for c in report["checks"] if not c["failed"]]
    parts = ["<section><h2>Checks, hardest first</h2>"]
    if hard:
        parts.append(f"<table>{header}<tbody>{_check_rows(hard)}</tbody></table>")
    else:
        parts.append("<p>Every graded student passed every check.</p>")
    if easy:
        parts.append(f"<details><summary>Checks every graded student passed ({len(easy)})"
                     f"</summary><table>{header}<tbody>{_check_rows(easy)}</tbody></table>"
                     "</details>")
    return "".join(parts) + "</section>"


def html_curves(report: dict, charts: dict[str, bytes]) -> str:
    """Per shared run: the class's loss curves against the reference, and who diverged."""
    parts = ["<section><h2>Loss curves of the class</h2><p class=\"muted\">Each panel is one "
             "learning rate of a run every learner made on the same problem. Thin grey lines: "
             "one learner each; red: a learner whose loss diverged (stopped being finite or "
             "ended above where it started) where the reference converges; blue: the class "
             "median and its middle half (25-75%) per iteration, values that are not finite "
             "left out; dashed black: the reference.</p>"]
    for table in report["loss_curves"]:
        parts.append(f"<h3>{html_text(table['title'])}</h3>")
        if table["name"] not in charts:
            parts.append('<p class="muted">No student has curves for this run.</p>')
            continue
        parts.append(f'<figure><img src="{data_uri(charts[table["name"]])}" '
                     f'alt="{esc(table["title"])}: class against reference"></figure>')
        rows = "".join(
            f'<tr><th scope="row">{esc(p["label"])}</th><td class="num">{p["curves"]}</td>'
            f'<td class="num">{p["diverged"]}</td><td>'
            f'{"diverges too" if p["reference_diverged"] else "converges"}</td>'
            f'<td class="students">{_student_links(p["diverged_students"])}</td></tr>'
            for p in table["panels"])
        parts.append('<table><thead><tr><th scope="col">Learning rate</th>'
                     '<th scope="col" class="num">Curves</th>'
                     '<th scope="col" class="num">Diverged</th><th scope="col">Reference</th>'
                     f'<th scope="col">Who diverged</th></tr></thead><tbody>{rows}</tbody>'
                     "</table>")
        if table["students_without_curves"]:
            parts.append('<p class="muted">No curves from: '
                         f'<span class="students">'
                         f'{_student_links(table["students_without_curves"])}</span>'
                         " (their reports say why).</p>")
    return "".join(parts) + "</section>"


def html_flagged(report: dict) -> str:
    """The submissions to look at: failed checks by kind and the layers' notes."""
    flagged = report["flagged"]
    parts = ["<section><h2>Submissions to look at</h2><p class=\"muted\">Checks that timed "
             "out, crashed the worker or got an unusable return value, and notes the intake "
             "and isolation layers left (possible tampering).</p>"]
    if not flagged:
        return "".join(parts) + "<p>None.</p></section>"
    rows = []
    for row in flagged:
        kinds = ", ".join(f"{esc(kind)} &times; {count}" for kind, count in row["kinds"].items())
        notes = "<br>".join(esc(n) for n in row["notes"])
        rows.append(f'<tr><td class="students">{_student_links([row["student"]])}</td>'
                    f"<td>{kinds or '-'}</td><td class=\"wrap\">{notes or '-'}</td></tr>")
    parts.append('<table><thead><tr><th scope="col">Student</th><th scope="col">Failed '
                 'checks by kind</th><th scope="col">Notes</th></tr></thead>'
                 f"<tbody>{''.join(rows)}</tbody></table>")
    return "".join(parts) + "</section>"


def render_html(report: dict, charts: dict[str, bytes]) -> str:
    """class_report.html from the report's JSON dict and its charts (name -> PNG bytes)."""
    suites = ", ".join(esc(s) for s in report["suites"])
    return page(f"Class report: {report['batch']}", CSS,
                f'<p class="muted">{report["summary"]["students"]} students '
                f"(checks: {suites}). Every name links to that student's own feedback.</p>"
                f"{html_headline(report)}{html_reteach(report)}"
                f"{html_distribution(report, charts)}{html_misconceptions(report)}"
                f"{html_modules(report)}{html_checks(report)}{html_curves(report, charts)}"
                f"{html_flagged(report)}")
