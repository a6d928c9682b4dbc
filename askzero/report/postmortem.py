"""``ask-zero postmortem``: the incident analysis, the pf path, a template, a format."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from askzero.errors import UsageError
from askzero.report.document import Document, render_markdown
from askzero.report.incident import Incident, analyse
from askzero.report.rootcause import pass_paths
from askzero.report.templates import BUILDERS, TEMPLATES

FORMATS = ("md", "html")


def build(ctx: Any, since: datetime | None = None, until: datetime | None = None, ip: str | None = None,
          template: str = "internal", llm: Any = None) -> tuple[Incident, Document]:
    """The incident and its report document (render it with ``render``). With ``llm``, the
    model writes a lead paragraph above the summary, sentence by sentence under the guard."""
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r} (choose from {', '.join(TEMPLATES)})")
    incident = analyse(ctx, since, until, ip)
    try:
        paths = pass_paths(ctx, incident)
    except Exception as exc:  # noqa: BLE001 - a ruleset problem leaves the root cause open, not the report
        incident.notes.append(f"the pf ruleset could not be evaluated: {exc}")
        paths = []
    doc = BUILDERS[template](incident, paths, ctx)
    if llm is not None:
        _add_lead(doc, incident, paths, llm)
    return incident, doc


def _add_lead(doc: Document, incident: Incident, paths: list, llm: Any) -> None:
    from askzero.report import narrative
    from askzero.report.document import Bullets, Paragraph, Section, Sentence
    from askzero.report.phrase import model_lead

    kept, notes = model_lead(narrative.summary(incident, paths), llm)
    if kept:
        doc.sections.insert(0, Section("In brief (written by the model, checked against the evidence)",
                                       [Paragraph(kept)]))
    if notes:
        support = next((s for s in doc.sections if s.title == "Supporting information"), None)
        if support is not None:
            support.blocks.append(Bullets([Sentence(n) for n in notes]))


def render(doc: Document, fmt: str = "md") -> str:
    if fmt == "md":
        return render_markdown(doc)
    if fmt == "html":
        from askzero.report.html import render_html

        return render_html(doc)
    raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
