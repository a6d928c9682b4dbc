"""The audit as Markdown or self-contained HTML: a summary per framework, then every check
with its status, its evidence lines and the controls it bears on."""

from __future__ import annotations

from html import escape
from typing import Any

from askzero.report.audit import AuditReport
from askzero.report.document import cite_text
from askzero.report.html import CSS

MARK = {"pass": "PASS", "fail": "FAIL", "partial": "PARTIAL", "not-evaluable": "N/E"}
FW_NAMES = {"nis2": "NIS2", "dora": "DORA", "iso27001": "ISO/IEC 27001:2022", "pci-dss": "PCI DSS v4.0"}


def _evidence(item: dict[str, Any]) -> str:
    text = cite_text(item)
    return text + (f" ({item['note']})" if item.get("note") else "")


def _controls(controls: list[dict[str, str]]) -> str:
    return ", ".join(f"{FW_NAMES.get(c['framework'], c['framework'])} {c['control']} ({c['degree']})"
                     for c in controls) or "—"


def _framework_rows(report: AuditReport) -> list[tuple[str, dict[str, Any]]]:
    return [(fw, v) for fw, v in report.summary.items() if fw != "checks"]


def render_audit_markdown(report: AuditReport) -> str:
    counts = report.summary["checks"]
    out = [f"# Compliance audit: {report.site}", "",
           f"- **Framework:** {FW_NAMES.get(report.framework or '', report.framework or 'all')}",
           "- **Checks:** " + ", ".join(f"{n} {s}" for s, n in counts.items()),
           f"- **Control mapping:** {'knowledge/mapping.toml' if report.mapping_loaded else 'not found: no control is named'}",
           ""]
    for fw, data in _framework_rows(report):
        out += [f"## {FW_NAMES.get(fw, fw)}", ""]
        if not data["controls"]:
            out += ["No check is mapped to a control of this framework.", ""]
            continue
        out += ["| Control | Status | Coverage | Checks |", "|---|---|---|---|"]
        for row in data["controls"]:
            checks = ", ".join(f"{c['check']} ({c['status']}, {c['degree']})" for c in row["checks"])
            out.append(f"| {row['control']} | {MARK[row['status']]} | {row['coverage']} | {checks} |")
        out.append("")
    out += ["## Checks", ""]
    for r in report.results:
        out += [f"### {MARK[r.status]} `{r.check}`: {r.title}", "", r.summary, ""]
        if r.evidence:
            out += [f"- {_evidence(e)}" for e in r.evidence] + [""]
        out += [f"Controls: {_controls(r.controls)}", ""]
    return "\n".join(out).rstrip() + "\n"


def render_audit_html(report: AuditReport) -> str:
    colors = {"pass": "#1a7f37", "fail": "#cf222e", "partial": "#bf8700", "not-evaluable": "#57606a"}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Compliance audit: {escape(report.site)}</title><style>{CSS}</style></head><body>",
           f"<h1>Compliance audit: {escape(report.site)}</h1>",
           "<p>" + escape(", ".join(f"{n} {s}" for s, n in report.summary["checks"].items())) + "</p>"]
    for fw, data in _framework_rows(report):
        out.append(f"<h2>{escape(FW_NAMES.get(fw, fw))}</h2>")
        if not data["controls"]:
            out.append("<p>No check is mapped to a control of this framework.</p>")
            continue
        out.append("<table><tr><th>Control</th><th>Status</th><th>Coverage</th><th>Checks</th></tr>")
        for row in data["controls"]:
            checks = ", ".join(f"{c['check']} ({c['status']}, {c['degree']})" for c in row["checks"])
            out.append(f"<tr><td>{escape(row['control'])}</td><td style=\"color:{colors[row['status']]}\">"
                       f"{MARK[row['status']]}</td><td>{escape(row['coverage'])}</td><td>{escape(checks)}</td></tr>")
        out.append("</table>")
    out.append("<h2>Checks</h2><table><tr><th>Status</th><th>Check</th><th>Finding</th><th>Evidence</th><th>Controls</th></tr>")
    for r in report.results:
        evidence = "<br>".join(escape(_evidence(e)) for e in r.evidence)
        out.append(f"<tr><td style=\"color:{colors[r.status]};font-weight:600\">{MARK[r.status]}</td>"
                   f"<td><code>{escape(r.check)}</code><br>{escape(r.title)}</td><td>{escape(r.summary)}</td>"
                   f"<td>{evidence}</td><td>{escape(_controls(r.controls))}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"
