"""The postmortem's prose, rendered from evidence alone: every sentence states figures taken
from the incident analysis and carries the citations of the records behind them. Nothing here
guesses: where the data cannot tell (intent, business impact), the text says so."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from askzero.report.document import Sentence
from askzero.report.incident import Incident
from askzero.report.rootcause import PassPath
from askzero.report.timeline import _plural, citations, duration


def hms(inc: Incident, t: datetime) -> str:
    start = inc.span[0] or t
    return f"{t:%H:%M:%S}" if t.date() == start.date() else f"{t:%Y-%m-%d %H:%M:%S}"


def stamp(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M:%S} UTC"


def _host(h: Any) -> str:
    return f"{h.address} ({h.name})" if h.name else h.address


def _alerts(inc: Incident) -> list[dict[str, Any]]:
    return [e for e in inc.subject_events if e["kind"] in ("alert", "drop", "notice")]


def _blocks(inc: Incident) -> list[dict[str, Any]]:
    return [e for e in inc.subject_events if e["kind"] == "block"]


def summary(inc: Incident, paths: list[PassPath]) -> list[Sentence]:
    if not inc.subject:
        n = len(inc.entries)
        return [Sentence(f"No external address stands out in the data of site {inc.site}: the timeline lists "
                         f"{n} groups of events and no IDS alert, failed login or block points at one source.")]
    s = inc.subject
    out = []
    fm = inc.first_malicious
    if fm:
        out.append(Sentence(f"On {stamp(fm.time)}, {s} first appears in the logs ({fm.what.split(': ', 1)[-1]}).",
                            fm.citations))
    fails = inc.auth_failures
    if fails:
        target = next((h for h in inc.hosts if h.inbound), None)
        where = f" against {_host(target)}" if target else ""
        attempts = _plural(len(fails), "failed login attempt")
        out.append(Sentence(f"Between {hms(inc, _t(fails[0]))} and {hms(inc, _t(fails[-1]))}, {s} made {attempts}"
                            f"{where}.", citations(fails)))
    for b in inc.beacons:
        out.append(Sentence(
            f"From {hms(inc, b.first)}, {b.src}{_name(inc, b.src)} connected to {s} port {b.dport} about every "
            f"{duration(b.interval)} ({b.count} connections, {b.answered} answered).", b.citations))
    alerts = _alerts(inc)
    if alerts:
        out.append(Sentence(f"Suricata raised {_plural(len(alerts), 'alert')} involving {s}, the first at "
                            f"{hms(inc, inc.first_detection.time)}.", citations(alerts)))  # type: ignore[union-attr]
    if inc.intel_listed:
        out.append(Sentence(f"At {hms(inc, inc.intel_listed.time)} a configuration change named {s}: "
                            f"{_message(inc.intel_listed)}.", inc.intel_listed.citations))
    if inc.first_block:
        blocks = _blocks(inc)
        out.append(Sentence(f"pf blocked {s} from {hms(inc, inc.first_block.time)}: {_plural(len(blocks), 'packet')} by "
                            f"{_rules(blocks)} until {hms(inc, _t(blocks[-1]))}.", citations(blocks)))
    if fails and not inc.auth_accepted:
        out.append(Sentence(f"The authentication log records no successful login from {s}.", citations(fails)))
    elif inc.auth_accepted:
        out.append(Sentence(f"The authentication log records {len(inc.auth_accepted)} successful login(s) from {s}.",
                            citations(inc.auth_accepted)))
    for entry in inc.lane_entries("routing"):
        out.append(Sentence(f"In the same window, {entry.text}; no record links it to {s}.", entry.citations))
    return out


def _t(e: dict[str, Any]) -> datetime:
    from askzero.report.timeline import when

    return when(e)


def _name(inc: Incident, address: str) -> str:
    for h in inc.hosts:
        if h.address == address and h.name:
            return f" ({h.name})"
    return ""


def _message(m: Any) -> str:
    return str(m.what).rstrip(".")


def _where(p: PassPath) -> str:
    return f"{p.citation['file']}:{p.citation['line']}"


def _rules(blocks: list[dict[str, Any]]) -> str:
    rules = sorted({str(e.get("rule")) for e in blocks})
    return ("rule " if len(rules) == 1 else "rules ") + ", ".join(rules)


def impact(inc: Incident) -> list[Sentence]:
    if not inc.subject:
        return [Sentence("No host can be named as affected from the logs.")]
    out = []
    for h in inc.hosts:
        parts = []
        if h.inbound:
            parts.append(f"targeted by {inc.subject} on " + ", ".join(sorted(h.inbound)))
        if h.outbound:
            parts.append(f"connected out to {inc.subject} on " + ", ".join(sorted(h.outbound)))
        crit = f", criticality {h.criticality}" if h.criticality else ""
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(h.kinds.items()))
        out.append(Sentence(f"{_host(h)}{crit}: {' and '.join(parts)} ({kinds} records).", h.citations))
    for b in inc.beacons:
        if b.answered:
            out.append(Sentence(
                f"{b.answered} of the connections from {b.src} to {b.dst} were answered, the last at "
                f"{hms(inc, b.last_answered)}; Zeek counts {b.bytes_out} bytes sent by {b.src} in them.",  # type: ignore[arg-type]
                b.answered_citations))
    if inc.first_malicious and inc.last_through:
        secs = (inc.last_through.time - inc.first_malicious.time).total_seconds()
        out.append(Sentence(f"Traffic of {inc.subject} reached its targets for {duration(secs)} (from "
                            f"{hms(inc, inc.first_malicious.time)} to {hms(inc, inc.last_through.time)}).",
                            inc.first_malicious.citations + inc.last_through.citations))
    out.append(Sentence("The logs cannot show business impact (service outage, data affected); "
                        "the owners of the hosts above must assess it."))
    return out


def detection(inc: Incident) -> list[Sentence]:
    out = []
    if inc.first_detection and inc.first_malicious:
        out.append(Sentence(f"Suricata's first alert on {inc.subject} came at {hms(inc, inc.first_detection.time)}, "
                            f"{duration(inc.time_to_detect or 0)} after its first recorded traffic.",
                            inc.first_detection.citations + inc.first_malicious.citations))
    elif inc.subject:
        out.append(Sentence(f"No IDS alert involves {inc.subject}: the logs show no detection."))
    for m in inc.intel:
        when = f", valid from {stamp(m.valid_from)}" if m.valid_from else ""
        out.append(Sentence(f"Threat intel feed {m.feed} lists {inc.subject} as {', '.join(m.labels) or 'an indicator'}"
                            f" (confidence {m.confidence}{when}).", [{"file": m.file, "line": m.line}]))
    return out


def root_cause(inc: Incident, paths: list[PassPath]) -> list[Sentence]:
    out = []
    for p in paths:
        cites = [p.citation]
        text = f"`{p.flow}` was passed by rule {p.rule_ref} ({_where(p)}), `{p.rule_text}`"
        if p.removed_from:
            text += f" (evaluated with {inc.subject} taken out of {', '.join(p.removed_from)}, which lists it now)"
        text += "."
        out.append(Sentence(text, cites))
        if p.comment:
            out.append(Sentence(f"The comment above that rule reads \"{p.comment[1]}\".",
                                [{"file": p.citation["file"], "line": p.comment[0]}]))
        for finding in p.lint:
            out.append(Sentence(f"pf lint on that rule: {finding}.", cites))
        if p.blocked_now_by:
            out.append(Sentence(f"On disk now, the same packet is blocked by rule {p.blocked_now_by}.", cites))
    if not paths and inc.subject:
        out.append(Sentence(f"No pf rule could be found that passed traffic of {inc.subject}; the evidence does "
                            "not support a root cause in the ruleset."))
    if inc.first_detection and inc.first_block and inc.first_block.time > inc.first_detection.time:
        gap = (inc.first_block.time - inc.first_detection.time).total_seconds()
        cause = (f" The first block followed the configuration change at {hms(inc, inc.intel_listed.time)}, not the alerts."
                 if inc.intel_listed and inc.intel_listed.time <= inc.first_block.time else "")
        out.append(Sentence(f"IDS alerts did not stop the traffic: {duration(gap)} passed between the first alert and "
                            f"the first block.{cause}",
                            inc.first_detection.citations + inc.first_block.citations
                            + (inc.intel_listed.citations if cause and inc.intel_listed else [])))
    return out


def resolution(inc: Incident) -> list[Sentence]:
    out = []
    if inc.first_block:
        out.append(Sentence(f"Containment: pf blocked {inc.subject} from {hms(inc, inc.first_block.time)}, "
                            f"{duration(inc.time_to_contain or 0)} after its first recorded traffic.",
                            inc.first_block.citations))
    for e in inc.lane_entries("response"):
        out.append(Sentence(f"At {hms(inc, e.start)}, {e.text}.", e.citations))
    if inc.last_seen and inc.first_block and inc.last_seen.time > inc.first_block.time:
        out.append(Sentence(f"The last record involving {inc.subject} is at {hms(inc, inc.last_seen.time)}: "
                            "activity had not stopped when the data ends.", inc.last_seen.citations))
    return out


def went_well(inc: Incident) -> list[Sentence]:
    out = []
    ttd = inc.time_to_detect
    if ttd is not None and ttd < 300 and inc.first_detection:
        out.append(Sentence(f"Suricata alerted {duration(ttd)} after the first traffic of {inc.subject}.",
                            inc.first_detection.citations))
    if inc.intel_listed and inc.first_block and inc.first_block.time >= inc.intel_listed.time:
        lag = (inc.first_block.time - inc.intel_listed.time).total_seconds()
        out.append(Sentence(f"The feed update took effect: the first block came {duration(lag)} after it.",
                            inc.intel_listed.citations + inc.first_block.citations))
    for m in inc.intel:
        listed = inc.intel_listed
        if m.valid_from and listed and m.valid_from <= listed.time and (listed.time - m.valid_from).total_seconds() < 3600:
            out.append(Sentence(f"Feed {m.feed}'s indicator (valid from {hms(inc, m.valid_from)}) reached pf "
                                f"{duration((listed.time - m.valid_from).total_seconds())} later.",
                                [{"file": m.file, "line": m.line}] + listed.citations))
    if inc.auth_failures and not inc.auth_accepted:
        out.append(Sentence(f"None of the {len(inc.auth_failures)} login attempts succeeded.",
                            citations(inc.auth_failures)))
    for b in inc.beacons:
        if b.unanswered and b.last_answered:
            out.append(Sentence(f"After {hms(inc, b.last_answered)}, none of {b.src}'s {b.unanswered} later "
                                f"connections to {b.dst} was answered.", b.citations))
    return out


def went_badly(inc: Incident, paths: list[PassPath]) -> list[Sentence]:
    out = []
    for p in paths:
        if p.lint:
            out.append(Sentence(f"Rule {p.rule_ref} ({_where(p)}) exposes the service to any source: {p.lint[0]}.",
                                [p.citation]))
        elif p.rule_text.startswith("pass") and " to any" in p.rule_text and "port" not in p.rule_text:
            out.append(Sentence(f"Rule {p.rule_ref} ({_where(p)}) lets traffic reach any destination on any port (no egress "
                                f"filtering): `{p.rule_text}`.", [p.citation]))
    if inc.first_detection and inc.first_block and inc.time_to_contain and inc.time_to_detect is not None:
        gap = (inc.first_block.time - inc.first_detection.time).total_seconds()
        if gap > 300:
            out.append(Sentence(f"Containment took {duration(inc.time_to_contain)}; alerts alone did not trigger a "
                                f"block for {duration(gap)}.", inc.first_detection.citations + inc.first_block.citations))
    for b in inc.beacons:
        if b.answered:
            out.append(Sentence(f"{b.src} completed {b.answered} connections to {b.dst} before the block.",
                                b.answered_citations))
    return out


def action_items(inc: Incident, paths: list[PassPath]) -> list[tuple[str, str, Sentence]]:
    """(action, type, evidence sentence): each proposed from a finding, never invented."""
    out: list[tuple[str, str, Sentence]] = []
    for p in paths:
        if p.lint:
            out.append((f"Restrict or remove the rule at {p.citation['file']}:{p.citation['line']} "
                        "(limit the source to the networks that need it)", "prevent",
                        Sentence(p.lint[0], [p.citation])))
        elif " to any" in p.rule_text and "port" not in p.rule_text and p.rule_text.startswith("pass in"):
            out.append((f"Add egress filtering for the rule at {p.citation['file']}:{p.citation['line']}",
                        "prevent", Sentence(f"`{p.rule_text}`", [p.citation])))
    for b in inc.beacons:
        out.append((f"Examine {b.src}{_name(inc, b.src)} for the software that connects to {b.dst}", "mitigate",
                    Sentence(f"{b.count} connections about every {duration(b.interval)}, last at "
                             f"{hms(inc, b.last)}", b.citations)))
    if inc.first_detection and inc.first_block and (inc.first_block.time - inc.first_detection.time).total_seconds() > 300:
        out.append(("Let high-severity IDS alerts add their source to a pf table (or page someone)", "prevent",
                    Sentence(f"first alert {hms(inc, inc.first_detection.time)}, first block "
                             f"{hms(inc, inc.first_block.time)}", inc.first_detection.citations + inc.first_block.citations)))
    for e in inc.lane_entries("routing"):
        out.append(("Review the BGP session event with the neighbor's operator", "mitigate", Sentence(e.text, e.citations)))
    return out


def figures(inc: Incident) -> list[tuple[str, Sentence | str]]:
    rows: list[tuple[str, Sentence | str]] = []

    def moment(label: str, m: Any) -> None:
        rows.append((label, Sentence(stamp(m.time), m.citations) if m else "not in the data"))

    moment("First malicious event", inc.first_malicious)
    moment("First detection (IDS alert)", inc.first_detection)
    moment("Configuration change naming the source", inc.intel_listed)
    moment("First block", inc.first_block)
    moment("Last answered traffic", inc.last_through)
    moment("Last event", inc.last_seen)
    rows.append(("Time to detect", duration(inc.time_to_detect) if inc.time_to_detect is not None else "not determinable"))
    rows.append(("Time to contain", duration(inc.time_to_contain) if inc.time_to_contain is not None else "not determinable"))
    hosts = [Sentence(_host(h), h.citations) for h in inc.hosts]
    rows.append(("Affected hosts", hosts[0] if len(hosts) == 1 else
                 Sentence(", ".join(s.text for s in hosts), [c for s in hosts for c in s.cites]) if hosts else "none"))
    services = sorted({s for h in inc.hosts for s in (*h.inbound, *h.outbound)})
    rows.append(("Services", ", ".join(services) or "none"))
    return rows
