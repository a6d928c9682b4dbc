"""Self-contained HTML for a report: inline CSS and an inline SVG timeline, no external assets
(the report is read on the console host, often offline, and mailed as one file)."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from askzero.report.document import Bullets, Chart, Document, Paragraph, Sentence, Table, cite_text, quote
from askzero.report.timeline import LANES

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1f23}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%}td,th{border:1px solid #d0d7de;padding:.25rem .45rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}code{background:#f6f8fa;padding:0 .2rem;border-radius:3px}
sup a{text-decoration:none;color:#0969da}ol.evidence{font-size:.85rem;color:#444}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}dl.meta dt{font-weight:600}
svg{max-width:100%;height:auto;border:1px solid #d0d7de;background:#fff}
"""
COLORS = {"attack": "#cf222e", "detection": "#bf8700", "containment": "#1a7f37", "response": "#0969da",
          "routing": "#8250df", "config": "#57606a", "context": "#afb8c1"}


def _inline(text: str) -> str:
    """Escape, then render `code` spans as Markdown would."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _sentence(doc: Document, s: Sentence) -> str:
    marks = "".join(f'<sup><a href="#c{doc.number(c)}">[{doc.number(c)}]</a></sup>' for c in s.cites)
    return _inline(s.text) + marks


def render_html(doc: Document) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{escape(doc.title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{escape(doc.title)}</h1>", '<dl class="meta">']
    out += [f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in doc.meta]
    out.append("</dl>")
    for section in doc.sections:
        level = min(max(section.level, 2), 4)
        out.append(f"<h{level}>{escape(section.title)}</h{level}>")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.append("<p>" + " ".join(_sentence(doc, s) for s in block.sentences) + "</p>")
            elif isinstance(block, Bullets):
                out.append("<ul>" + "".join(f"<li>{_sentence(doc, s)}</li>" for s in block.items) + "</ul>")
            elif isinstance(block, Table):
                out.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in block.headers) + "</tr>")
                for row in block.rows:
                    cells = [_sentence(doc, c) if isinstance(c, Sentence) else _inline(str(c)) for c in row]
                    out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
                out.append("</table>")
            elif isinstance(block, Chart):
                out.append(timeline_svg(block.incident))
    out.append('<h2>Evidence</h2><ol class="evidence">')
    for i, c in enumerate(doc.citations(), 1):
        q = quote(doc, c)
        out.append(f'<li id="c{i}">{escape(cite_text(c))}' + (f" — <code>{escape(q)}</code>" if q else "") + "</li>")
    out.append("</ol></body></html>")
    return "\n".join(out) + "\n"


def _ticks(start: datetime, end: datetime) -> list[datetime]:
    span = (end - start).total_seconds()
    step = next((s for s in (60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400) if span / s <= 12), 86400 * 7)
    first = datetime.fromtimestamp((start.timestamp() // step + 1) * step, tz=start.tzinfo)
    out = []
    t = first
    while t <= end:
        out.append(t)
        t += timedelta(seconds=step)
    return out


def timeline_svg(inc) -> str:  # type: ignore[no-untyped-def]
    """Lanes per source, a bar per burst coloured by role, markers for the key moments."""
    entries = inc.entries
    if not entries:
        return "<p>No events to draw.</p>"
    start = min(e.start for e in entries)
    end = max(e.end for e in entries)
    if end <= start:
        end = start + timedelta(minutes=1)
    lanes = [lane for lane in LANES if any(e.lane == lane for e in entries)]
    left, width, row, top = 80, 900, 28, 30
    height = top + row * len(lanes) + 40
    span = (end - start).total_seconds()

    def x(t: datetime) -> float:
        return left + (t - start).total_seconds() / span * width

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}" '
             f'width="{left + width + 20}" height="{height}" role="img" aria-label="Incident timeline">']
    for i, lane in enumerate(lanes):
        y = top + i * row
        parts.append(f'<text x="4" y="{y + 17}" font-size="12" fill="#57606a">{escape(lane)}</text>')
        parts.append(f'<line x1="{left}" x2="{left + width}" y1="{y + row - 2}" y2="{y + row - 2}" stroke="#eaeef2"/>')
    for t in _ticks(start, end):
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 4}" y2="{height - 30}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{x(t):.1f}" y="{height - 14}" font-size="11" text-anchor="middle" fill="#57606a">'
                     f'{t:%H:%M}</text>')
    for e in entries:
        y = top + lanes.index(e.lane) * row + 4
        w = max(x(e.end) - x(e.start), 3)
        color = COLORS.get(e.role, "#57606a")
        tip = f"{e.start:%H:%M:%S}–{e.end:%H:%M:%S} {e.text}"
        parts.append(f'<rect x="{x(e.start):.1f}" y="{y}" width="{w:.1f}" height="{row - 10}" rx="2" fill="{color}" '
                     f'fill-opacity="0.75"><title>{escape(tip)}</title></rect>')
    for label, m in (("first malicious", inc.first_malicious), ("detected", inc.first_detection),
                     ("blocked", inc.first_block)):
        if m is None:
            continue
        parts.append(f'<line x1="{x(m.time):.1f}" x2="{x(m.time):.1f}" y1="{top - 8}" y2="{height - 30}" '
                     f'stroke="#24292f" stroke-dasharray="3,3"><title>{escape(label)} {m.time:%H:%M:%S}</title></line>')
        parts.append(f'<text x="{x(m.time) + 3:.1f}" y="{top - 12}" font-size="11" fill="#24292f">'
                     f'{escape(label)} {m.time:%H:%M:%S}</text>')
    legend_x = left
    for role, color in COLORS.items():
        parts.append(f'<rect x="{legend_x}" y="{height - 10}" width="10" height="8" fill="{color}"/>'
                     f'<text x="{legend_x + 13}" y="{height - 2}" font-size="10" fill="#57606a">{role}</text>')
        legend_x += 95
    parts.append("</svg>")
    return "\n".join(parts)
