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
          template: str = "internal") -> tuple[Incident, Document]:
    """The incident and its report document (render it with ``render``)."""
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r} (choose from {', '.join(TEMPLATES)})")
    incident = analyse(ctx, since, until, ip)
    try:
        paths = pass_paths(ctx, incident)
    except Exception as exc:  # noqa: BLE001 - a ruleset problem leaves the root cause open, not the report
        incident.notes.append(f"the pf ruleset could not be evaluated: {exc}")
        paths = []
    return incident, BUILDERS[template](incident, paths, ctx)


def render(doc: Document, fmt: str = "md") -> str:
    if fmt == "md":
        return render_markdown(doc)
    if fmt == "html":
        from askzero.report.html import render_html

        return render_html(doc)
    raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
