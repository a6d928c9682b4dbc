""""Is this rule compliant with NIS2?": the audit's checks on one rule (or the whole site),
the controls they bear on, and what the framework text says, each with its citation.

The verdicts are the audit's (askzero.report.audit); the framework passages come from the
retrieval index when one has been built (``ask-zero index``): lexical search only, so a
question never waits for the embedding model.
"""

from __future__ import annotations

import re

from askzero.assistant.context import SiteContext
from askzero.evidence import Citation, Evidence

FRAMEWORK_RE = re.compile(r"\b(NIS\s?2|DORA|ISO(?:/IEC)?\s?27001|PCI[\s-]?DSS|GDPR|RGPD)\b", re.I)
LINE_REF_RE = re.compile(r"(?:([\w./-]+\.conf):|\bline\s+|\bligne\s+)(\d+)\b", re.I)
PFLOG_REF_RE = re.compile(r"\brule\s+(\d+)(?:\.([A-Za-z0-9_-]+)\.(\d+))?\b", re.I)
KNOWLEDGE_HITS = 2


def framework_of(question: str) -> str | None:
    match = FRAMEWORK_RE.search(question)
    if not match:
        return None
    from askzero.report.mapping import framework_name

    word = match.group(1).upper().replace(" ", "")
    return "gdpr" if word in ("GDPR", "RGPD") else framework_name(word)


def rule_reference(ctx: SiteContext, question: str) -> str | None:
    """``file:line`` of the rule a question names: by file and line, by line, or by the
    number pflog prints."""
    match = LINE_REF_RE.search(question)
    if match:
        file = match.group(1) or ctx.site.cite(ctx.site.pf_conf or "pf.conf")
        return f"{file}:{match.group(2)}"
    match = PFLOG_REF_RE.search(question)
    if match and ctx.site.pf_conf:
        from askzero.pf.pflogmap import rule_by_number

        rule = rule_by_number(ctx.pf, int(match.group(1)), match.group(2) or "",
                              int(match.group(3)) if match.group(3) else -1)
        if rule is not None:
            return f"{rule.source.file}:{rule.source.line}"
    return None


def compliance_check(ctx: SiteContext, question: str) -> list[Evidence]:
    """Tool: the audit checks for the rule the question names (or the site), with controls."""
    from askzero.report.audit import check_rule, run_audit

    framework = framework_of(question)
    audit_framework = framework if framework in ("nis2", "dora", "iso27001", "pci-dss") else None
    reference = rule_reference(ctx, question)
    if reference:
        evidence = _evidence(check_rule(ctx, reference, audit_framework), Citation(*_split(reference)))
        if not evidence:
            evidence = [Evidence("compliance", f"No audit check applies to the rule at {reference}.",
                                 Citation(*_split(reference)), {"status": "not-evaluable"})]
    else:
        report = run_audit(ctx, audit_framework)
        notable = [r for r in report.results if r.status in ("fail", "partial")]
        evidence = _evidence(notable, Citation(ctx.site.cite(ctx.site.pf_conf or "pf.conf")))
        passed = sum(1 for r in report.results if r.status == "pass")
        evidence.append(Evidence("compliance_summary",
                                 f"The audit ran {len(report.results)} checks: {passed} pass, "
                                 f"{sum(1 for r in report.results if r.status == 'fail')} fail, "
                                 f"{sum(1 for r in report.results if r.status == 'partial')} partial.",
                                 Citation(ctx.site.cite(ctx.site.pf_conf or "pf.conf")), {"checks": len(report.results)}))
    return evidence + control_passages(ctx, evidence, framework)


def control_passages(ctx: SiteContext, evidence: list[Evidence], framework: str | None) -> list[Evidence]:
    """The framework's text for the controls the failing (or partial) checks bear on."""
    if framework is None:
        return []
    wanted: list[str] = []
    for ev in evidence:
        if ev.kind == "compliance" and ev.fields.get("status") in ("fail", "partial"):
            for control in re.findall(rf"{re.escape(framework)} (\S+) \(", ev.fields.get("controls", "")):
                if control not in wanted:
                    wanted.append(control)
    out: list[Evidence] = []
    for control in wanted[:KNOWLEDGE_HITS]:
        for ev in framework_passages(ctx, f"{framework} {control}", framework, hits=1):
            if all(ev.summary != seen.summary for seen in out):
                out.append(ev)
    return out


def knowledge_answer(ctx: SiteContext, question: str) -> list[Evidence]:
    """Tool: what the knowledge base says about a question ("what does DORA require after a
    major incident?"), the best passages with file, heading and lines."""
    found = framework_passages(ctx, question, framework_of(question), hits=3)
    if found:
        return found
    if not _index_ready(ctx):
        return [Evidence("coverage", "The knowledge index has not been built for this site: run `ask-zero index`, "
                         "then ask again.", Citation("knowledge"), {"count": 0})]
    return []


def _index_ready(ctx: SiteContext) -> bool:
    try:
        from askzero.rag.hybrid import resolve_corpus
        from askzero.rag.store import Store
    except ImportError:
        return False
    return Store.exists(resolve_corpus(ctx.site).directory())


def framework_passages(ctx: SiteContext, question: str, framework: str | None,
                       hits: int = KNOWLEDGE_HITS) -> list[Evidence]:
    """What the framework (or, without one, any knowledge text) says, from the retrieval
    index if it has been built."""
    if not _index_ready(ctx):
        return []
    from askzero.rag import search

    # the same search as `ask-zero search`; lexical, so no question waits for the embedder
    found = search(ctx.site, question, k=hits, framework=framework, mode="lexical",
                   kind="regulation,standard,operational" if framework is None else None)
    out = []
    for hit in found:
        first = _opening(hit.text)
        out.append(Evidence("knowledge", f"{hit.heading}: {first}", Citation(hit.file, lines=hit.lines),
                            {"framework": framework}))
    return out


def _evidence(results: list, default: Citation) -> list[Evidence]:
    """One fact per check (its status, summary and controls), then one per line it cites;
    a check that names no line cites ``default`` (the rule asked about, or pf.conf)."""
    out = []
    for r in results:
        controls = ", ".join(f"{c['framework']} {c['control']} ({c['degree']})" for c in r.controls)
        items = r.evidence or [{}]
        first = items[0]
        text = f"{r.check}: {r.status}: {r.summary.rstrip('.')}." + (f" Bears on {controls}." if controls else "")
        cite = Citation(first["file"], first.get("line"), record=first.get("record")) if first.get("file") else default
        out.append(Evidence("compliance", text, cite,
                            {"check": r.check, "status": r.status, "controls": controls}))
        for item in items[1:]:
            note = item.get("note") or "see this line"
            out.append(Evidence("compliance_line", f"{r.check}: {note}.",
                                Citation(item.get("file", ""), item.get("line"), record=item.get("record")),
                                {"check": r.check}))
    return out


SENTENCE_END = re.compile(r"(?<!\bArt\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bNo\.)(?<!\bvs\.)(?<=[.;])\s")


def _opening(text: str, sentences: int = 4, limit: int = 500) -> str:
    """The first sentences of a passage; a markdown table's rows read as "a — b — c"."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                if lines and lines[-1].endswith(";"):
                    lines.pop()  # the header row: the rows say enough
                continue
            lines.append(" — ".join(cells) + ";")
        else:
            lines.append(stripped)
    body = " ".join(" ".join(lines).split())
    return " ".join(SENTENCE_END.split(body)[:sentences])[:limit]


def _split(reference: str) -> tuple[str, int]:
    file, _, line = reference.rpartition(":")
    return file, int(line)
