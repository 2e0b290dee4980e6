"""The text rules both HTML reports share: the learner's feedback.html (`formats`) and the
instructor's class_report.html (`grader.instructor.class_report`).

`clean` strips what no output format can carry; `esc` is the one way text becomes HTML;
`html_text` also shows the grader's `code` spans; `BASE_CSS` and `page` give both reports
the same self-contained page (inline CSS, images as data: URIs, no JavaScript).
"""

from __future__ import annotations

import base64
import html
import re

# Everything XML 1.0 forbids: most C0 controls, lone surrogates, U+FFFE and U+FFFF.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def clean(text: object) -> str:
    """Text any format can carry: str(text) without characters XML 1.0 forbids."""
    return _FORBIDDEN.sub("", str(text))


def esc(text: object) -> str:
    """Any text as HTML, in element content or a quoted attribute: cleaned, then escaped."""
    return html.escape(clean(text))


def html_text(text: object) -> str:
    """Escaped text, with the grader's `code` spans shown as <code>."""
    return _CODE_SPAN.sub(r"<code>\1</code>", esc(text))


def data_uri(png: bytes) -> str:
    """A PNG as an <img> source, so the page needs no file beside it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


BASE_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
background:#f6f8fa;margin:0}
main{max-width:52rem;margin:0 auto;padding:1.5rem;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:0}h3{font-size:1.05rem;margin:0}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{padding:.35rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{height:.6rem;min-width:6rem;background:#eaeef2;border-radius:.3rem;overflow:hidden}
.bar>span{display:block;height:100%;background:#1a7f37}
.bar.partial>span{background:#bf8700}.bar.low>span{background:#cf222e}
section.module{border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:1rem 0}
.module header{display:flex;justify-content:space-between;gap:1rem;align-items:baseline}
.diagnosis{border-left:.35rem solid #cf222e;background:#fff5f5;padding:.6rem .9rem;margin:.8rem 0}
.diagnosis dl{margin:.4rem 0 0}.diagnosis dt{font-weight:600;margin-top:.4rem}
.diagnosis dd{margin:0}h4{font-size:1rem;margin:.8rem 0 .2rem}
.check{border-left:.2rem solid #d0d7de;background:#fff;padding:.4rem .8rem;margin:.5rem 0}
.check h5{font-size:.95rem;margin:0}
.badge{display:inline-block;font-size:.75rem;font-weight:700;padding:0 .4rem;
border-radius:.25rem;margin-right:.4rem;color:#fff;vertical-align:middle}
.badge.fail{background:#cf222e}.badge.pass{background:#1a7f37}
ul.passed{list-style:none;padding-left:0}ul.passed li{margin:.2rem 0}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.5rem;overflow-x:auto;
white-space:pre-wrap;word-break:break-word}
code{background:#eaeef2;padding:0 .2rem;border-radius:.2rem}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #d0d7de}
figcaption,.muted{color:#57606a}
"""
"""The learner's report's stylesheet; the class report adds its own rules after it."""


def page(title: str, css: str, body: str) -> str:
    """One self-contained HTML page: title (plain text) names the tab and heads the page,
    css is inlined, body is HTML placed under the heading."""
    heading = esc(title)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{heading}</title><style>{css}</style></head><body><main>"
            f"<h1>{heading}</h1>{body}</main></body></html>\n")
