"""Postmortem templates: a blameless internal postmortem, a NIS2 Art. 23 report and a DORA
major ICT-related incident report, all assembled from the same cited sentences.

Reporting deadlines are computed from the detection time (the first IDS alert: the moment the
entity could be aware). The legal references are summarised in knowledge/nis2.md and
knowledge/dora.md; the texts here are our own wording, not the law.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from askzero.report import narrative as nv
from askzero.report.document import Bullets, Chart, Document, Paragraph, Section, Sentence, Table
from askzero.report.incident import Incident
from askzero.report.rootcause import PassPath
from askzero.report.timeline import Entry, citations

TEMPLATES = ("internal", "nis2", "dora")
TODO = "to be completed by the entity"


def add_month(t: datetime) -> datetime:
    """The same day one calendar month later (the last day when that month is shorter)."""
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))


def nis2_deadlines(aware: datetime) -> list[tuple[str, str, datetime | None, str]]:
    notification = aware + timedelta(hours=72)
    return [
        ("Early warning", "Art. 23(4)(a)", aware + timedelta(hours=24), "24 hours after becoming aware"),
        ("Incident notification", "Art. 23(4)(b)", notification, "72 hours after becoming aware"),
        ("Intermediate report", "Art. 23(4)(c)", None, "when the CSIRT or authority requests it"),
        ("Final report", "Art. 23(4)(d)", add_month(notification),
         "one month after the incident notification (counted from its latest date)"),
    ]


def dora_deadlines(aware: datetime, classified: datetime | None = None) -> list[tuple[str, str, datetime | None, str]]:
    classified = classified or aware
    initial = min(classified + timedelta(hours=4), aware + timedelta(hours=24))
    intermediate = initial + timedelta(hours=72)
    return [
        ("Initial notification", "Art. 19(4)(a)", initial,
         "4 hours after classification as major, at most 24 hours after awareness"),
        ("Intermediate report", "Art. 19(4)(b)", intermediate, "72 hours after the initial notification (its latest date)"),
        ("Final report", "Art. 19(4)(c)", add_month(intermediate),
         "one month after the latest intermediate report (counted from its latest date)"),
    ]


def _timeline_rows(inc: Incident, entries: list[Entry]) -> list[list[Sentence | str]]:
    rows: list[list[Sentence | str]] = []
    for e in entries:
        span = nv.hms(inc, e.start) + ("" if e.end == e.start else "–" + nv.hms(inc, e.end))
        rows.append([span, e.lane, e.role, Sentence(e.text, e.citations)])
    return rows


def _timeline(inc: Incident) -> list[Section]:
    main = [e for e in inc.entries if e.role != "context"]
    other = [e for e in inc.entries if e.role == "context"]
    out = [Section("Timeline", [Chart(inc), Table(["Time (UTC)", "Source", "Role", "Event"], _timeline_rows(inc, main))])]
    if other:
        out.append(Section("Other activity in the window", [
            Paragraph([Sentence(f"{sum(e.count for e in other)} other alerts and blocks, not involving "
                                f"{inc.subject or 'a single source'}:",
                                citations([ev for e in other for ev in e.events]))]),
            Table(["Time (UTC)", "Source", "Role", "Event"], _timeline_rows(inc, other))], level=3))
    return out


def _figures(inc: Incident) -> Section:
    return Section("Key figures", [Table(["Figure", "Value"], [[k, v] for k, v in nv.figures(inc)])])


def _actions(inc: Incident, paths: list[PassPath]) -> Section:
    rows: list[list[Sentence | str]] = [[a, t, "", ev] for a, t, ev in nv.action_items(inc, paths)]
    return Section("Action items", [Table(["Action", "Type", "Owner", "Evidence"], rows)] if rows else
                   [Paragraph([Sentence("The evidence suggests no action item.")])])


def _supporting(inc: Incident, ctx: Any) -> Section:
    first, last = inc.span
    items = [Sentence(f"Site {inc.site}; data from {nv.stamp(first)} to {nv.stamp(last)}." if first and last else
                      f"Site {inc.site}; no dated event in the window.")]
    if inc.subject:
        items.append(Sentence(f"Subject chosen: {inc.subject}" + (" (given with --ip)." if inc.subject_score == 0 else
                              f", the external address with the most weight of evidence (score {inc.subject_score:g}: "
                              "IDS alerts by severity, failed logins, blocks).")))
    others = [f"{a} (score {s:g})" for a, s in inc.candidates if a != inc.subject][:4]
    if others:
        items.append(Sentence("Other external sources with evidence against them, not covered here (use --ip): "
                              + ", ".join(others) + "."))
    items += [Sentence(f"Note: {n}.") for n in inc.notes]
    items.append(Sentence("Written by ask-zero from the logs and configuration; every sentence below any model-written "
                          "lead is rendered from the evidence and cites its records."))
    return Section("Supporting information", [Bullets(items)])


def _iocs(inc: Incident) -> list[Sentence]:
    if not inc.subject:
        return []
    out = [Sentence(f"IP address {inc.subject}", citations(inc.subject_events[:1] + inc.subject_events[-1:]))]
    by_sni: dict[str, list] = {}
    for e in inc.subject_events:
        sni = (e.get("extra") or {}).get("sni")
        if e["kind"] == "tls" and sni:
            by_sni.setdefault(sni, []).append(e)
    out += [Sentence(f"TLS server name {sni}", citations(es)) for sni, es in sorted(by_sni.items())]
    sigs: dict[str, list] = {}
    for e in inc.subject_events:
        if e["kind"] in ("alert", "drop", "notice") and e.get("signature"):
            sigs.setdefault(e["signature"], []).append(e)
    out += [Sentence(f"IDS signature \"{s}\" ({len(es)} alerts)", citations(es)) for s, es in sorted(sigs.items())]
    return out


def internal(inc: Incident, paths: list[PassPath], ctx: Any) -> Document:
    title = f"Postmortem: {inc.subject} on {inc.site}" if inc.subject else f"Postmortem: {inc.site}"
    first = inc.first_malicious.time if inc.first_malicious else inc.span[0]
    meta = [("Date", f"{first:%Y-%m-%d}" if first else "unknown"), ("Authors", "ask-zero (draft from evidence)"),
            ("Status", "Draft for review, action items open"), ("Blameless", "this report describes systems, not people")]
    trigger = [Sentence(f"The first recorded event involving {inc.subject}: "
                        f"{inc.first_malicious.what.split(': ', 1)[-1]} at {nv.stamp(inc.first_malicious.time)}.",
                        inc.first_malicious.citations)] if inc.first_malicious else []
    sections = [
        Section("Summary", [Paragraph(nv.summary(inc, paths))]),
        Section("Impact", [Bullets(nv.impact(inc))]),
        Section("Root causes (hypothesis from the evidence)",
                [Bullets(nv.root_cause(inc, paths) or [Sentence("Not determinable from the data.")])]),
        Section("Trigger", [Paragraph(trigger or [Sentence("Not determinable from the data.")])]),
        Section("Resolution", [Bullets(nv.resolution(inc) or [Sentence("No containment is recorded.")])]),
        Section("Detection", [Bullets(nv.detection(inc) or [Sentence("No detection is recorded.")])]),
        _actions(inc, paths),
        Section("Lessons learned", []),
        Section("What went well", [Bullets(nv.went_well(inc) or [Sentence("Nothing the data shows.")])], level=3),
        Section("What went badly", [Bullets(nv.went_badly(inc, paths) or [Sentence("Nothing the data shows.")])], level=3),
        _figures(inc),
        *_timeline(inc),
        _supporting(inc, ctx),
    ]
    return Document(title, meta, sections, ctx.site)


def _deadline_table(rows: list[tuple[str, str, datetime | None, str]]) -> Table:
    return Table(["Report", "Reference", "Due by (UTC)", "Rule"],
                 [[a, b, nv.stamp(c) if c else "on request", d] for a, b, c, d in rows])


def _aware(inc: Incident) -> tuple[datetime | None, Sentence]:
    m = inc.first_detection or inc.first_malicious
    if m is None:
        return None, Sentence("No detection in the data: the deadlines cannot be computed.")
    return m.time, Sentence(f"Awareness taken as the first detection, {m.what}, at {nv.stamp(m.time)}; "
                            "adjust if the entity became aware later.", m.citations)


def nis2(inc: Incident, paths: list[PassPath], ctx: Any) -> Document:
    aware, basis = _aware(inc)
    malicious = inc.auth_failures or [e for e in inc.subject_events if e["kind"] in ("alert", "drop")]
    early = [Sentence(f"Suspected unlawful or malicious act: yes — {len(inc.auth_failures)} failed logins and "
                      f"{len([e for e in inc.subject_events if e['kind'] == 'alert'])} IDS alerts involve "
                      f"{inc.subject}.", citations(malicious))] if malicious else \
        [Sentence("Suspected unlawful or malicious act: the logs show no sign of one.")]
    early.append(Sentence(f"Possible cross-border impact: not determinable from the logs ({TODO})."))
    sections = [
        Section("Reporting deadlines (NIS2 Art. 23)", [Paragraph([basis])] + ([_deadline_table(nis2_deadlines(aware))] if aware else [])),
        Section("Early warning (Art. 23(4)(a))", [Bullets(early)]),
        Section("Incident notification (Art. 23(4)(b)): initial assessment", [
            Paragraph(nv.summary(inc, paths)), Bullets(nv.impact(inc))]),
        Section("Indicators of compromise", [Bullets(_iocs(inc) or [Sentence("None in the data.")])], level=3),
        Section("Final report (Art. 23(4)(d))", [
            Paragraph([Sentence("Type of threat or root cause:")]), Bullets(nv.root_cause(inc, paths) or [Sentence("Not determinable from the data.")]),
            Paragraph([Sentence("Mitigation applied:")]), Bullets(nv.resolution(inc) or [Sentence("None recorded.")]),
            Paragraph([Sentence(f"Cross-border impact: {TODO}.")])]),
        _actions(inc, paths), _figures(inc), *_timeline(inc), _supporting(inc, ctx)]
    meta = [("Entity / site", inc.site), ("Report type", "NIS2 Art. 23 significant incident (draft)"),
            ("Status", "Draft: check the national transposition and the CSIRT's portal before sending")]
    return Document(f"NIS2 incident report: {inc.subject or inc.site}", meta, sections, ctx.site)


def dora(inc: Incident, paths: list[PassPath], ctx: Any) -> Document:
    aware, basis = _aware(inc)
    hosts = [Sentence(f"{h.address}" + (f" ({h.name}, {h.criticality})" if h.name else ""), h.citations) for h in inc.hosts]
    fields: list[list[Sentence | str]] = [
        ["Incident reference code", TODO],
        ["Date and time of detection", Sentence(nv.stamp(inc.first_detection.time), inc.first_detection.citations)
         if inc.first_detection else "not in the data"],
        ["Date and time of classification as major", f"assumed equal to detection ({TODO})"],
        ["Date and time the incident occurred", Sentence(nv.stamp(inc.first_malicious.time), inc.first_malicious.citations)
         if inc.first_malicious else "not in the data"],
        ["How the incident was detected", "IDS alert (Suricata)" if inc.first_detection else "not in the data"],
        ["Incident type", "cyber-related (unauthorised access attempts, command-and-control traffic)"
         if inc.auth_failures or inc.beacons else TODO],
        ["Affected infrastructure components", Sentence(", ".join(s.text for s in hosts), [c for s in hosts for c in s.cites])
         if hosts else "none identified"],
        ["Classification criteria: clients, counterparts and transactions affected", TODO],
        ["Classification criteria: data losses (availability, authenticity, integrity, confidentiality)", TODO],
        ["Classification criteria: duration and service downtime", TODO],
        ["Classification criteria: geographical spread", TODO],
        ["Classification criteria: economic impact", TODO],
        ["Classification criteria: critical services affected", TODO],
        ["Containment time", Sentence(nv.stamp(inc.first_block.time), inc.first_block.citations) if inc.first_block
         else "not in the data"],
    ]
    sections = [
        Section("Reporting deadlines (DORA Art. 19, Delegated Regulation (EU) 2025/301)",
                [Paragraph([basis])] + ([_deadline_table(dora_deadlines(aware))] if aware else [])),
        Section("Initial notification", [Table(["Field", "Value"], fields), Paragraph(nv.summary(inc, paths))]),
        Section("Intermediate report", [Paragraph([Sentence("Indicators of compromise:")]),
                                        Bullets(_iocs(inc) or [Sentence("None in the data.")]),
                                        Paragraph([Sentence("Impact:")]), Bullets(nv.impact(inc)),
                                        Paragraph([Sentence("Containment and recovery actions:")]),
                                        Bullets(nv.resolution(inc) or [Sentence("None recorded.")])]),
        Section("Final report", [Paragraph([Sentence("Root cause:")]), Bullets(nv.root_cause(inc, paths) or [Sentence("Not determinable from the data.")]),
                                 Paragraph([Sentence("Lessons learned:")]),
                                 Bullets(nv.went_well(inc) + nv.went_badly(inc, paths))]),
        _actions(inc, paths), _figures(inc), *_timeline(inc), _supporting(inc, ctx)]
    meta = [("Financial entity / site", inc.site), ("Report type", "DORA major ICT-related incident (draft)"),
            ("Status", "Draft: the classification as major is the entity's decision")]
    return Document(f"DORA major incident report: {inc.subject or inc.site}", meta, sections, ctx.site)


BUILDERS = {"internal": internal, "nis2": nis2, "dora": dora}
