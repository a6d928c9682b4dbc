"""The composer: a good answer rendered from evidence alone.

``--no-llm`` prints exactly this; with a model, the model's guarded sentences replace the
summary paragraph, and the numbered evidence always follows.
"""

from __future__ import annotations

from askzero.assistant.router import Route
from askzero.evidence import Evidence

CAPABILITIES = (
    "why an address is blocked or passed (\"Why is 203.0.113.7 blocked?\")",
    "what the site's tables, threat-intel feeds, pflog, Suricata and authlog hold for an address "
    "(\"What do we know about 203.0.113.7?\")",
    "why a port is open or closed (\"Why is port 8443 open?\")",
    "what happened in a time window (\"What happened between 02:00 and 02:15?\")",
    "which BGP sessions flapped (\"Which BGP sessions flapped today?\")",
    "whether bgpd accepts a prefix from a neighbor (\"Is 198.51.100.0/24 from upstream-a accepted?\")",
    "whether a rule or the site meets a framework (\"Is the rule at etc/pf.conf:53 compliant with NIS2?\")",
    "what a pflog record means (\"Explain pflog record 70\")",
    "which alerts fired (\"Which alerts with severity 1 fired on 2026-11-20?\")",
    "what a ruleset change would do (\"Which flows would etc/pf.conf.new affect?\")",
    "what the frameworks ask (\"What does DORA require after a major incident?\")",
    "whether an alert is worth waking someone for (\"Is the latest alert from 203.0.113.7 worth waking me up for?\")",
)
# evidence kinds that answer a windowed question, in the order they are told
WINDOW_KINDS = ("bgp_session", "timeline", "coverage")


def summary(route: Route, evidence: list[Evidence]) -> str:
    """The deterministic answer paragraph, with [n] markers into ``evidence``."""
    return " ".join(key_points(route, evidence))


def key_points(route: Route, evidence: list[Evidence]) -> list[str]:
    """The answer's sentences, most important first: verdicts, tables, intel, then logs."""
    if route.intent == "unknown":
        return [unknown_answer()]
    if not evidence:
        if route.intent in ("timeline", "bgp_flaps"):
            return ["I don't know from this site's data: the site has no logs in its store to answer from."]
        if route.intent == "knowledge":
            return ["I don't know from this site's knowledge base: no passage matches the question."]
        if route.intent == "pflog_record":
            return [f"I don't know from this site's data: its pflog has no record {route.extra.get('record')}."]
        if route.intent == "alerts":
            return ["I don't know from this site's data: no IDS alert matches (the store holds what "
                    "`ask-zero logs ingest` read)."]
        if route.intent == "triage":
            return ["I don't know from this site's data: its logs hold no IDS alert"
                    + (f" involving {route.addresses[0]}" if route.addresses else "")
                    + (f" with signature \"{route.signature}\"" if route.signature else "") + "."]
        subject = ", ".join(route.addresses) or ", ".join(f"port {p}" for p in route.ports)
        return [f"I don't know from this site's data: nothing in the ruleset, tables, intel or logs "
                f"mentions {subject}."]
    marks = {id(ev): i for i, ev in enumerate(evidence, 1)}
    if route.intent in ("timeline", "bgp_flaps"):
        return [f"{ev.summary.rstrip('.')} [{marks[id(ev)]}]." for kind in WINDOW_KINDS
                for ev in evidence if ev.kind == kind]
    if route.intent == "why_port":
        return _port_points(route, evidence, marks)
    if route.intent == "triage":
        return [f"{ev.summary.rstrip('.')} [{marks[id(ev)]}]." for ev in evidence if ev.kind == "triage"]
    if route.intent == "bgp_route":
        return [f"{ev.summary.rstrip('.')} [{marks[id(ev)]}]." for ev in evidence]
    if route.intent == "compliance":
        return _compliance_points(evidence, marks)
    if route.intent in ("knowledge", "pflog_record", "diff"):
        return [f"{ev.summary.rstrip('.')} [{marks[id(ev)]}]." for ev in evidence]
    if route.intent == "alerts":
        return [f"{ev.summary.rstrip('.')} [{''.join(f'[{marks[id(x)]}]' for x in evidence)[1:-1]}]."
                for ev in evidence if ev.kind == "alerts_summary"]
    by_kind: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_kind.setdefault(ev.kind, []).append(ev)
    address = route.addresses[0]
    parts: list[str] = []
    for verdict in by_kind.get("pf_verdict", []):
        parts.append(_verdict_sentence(route, address, verdict, marks[id(verdict)]))
    entries = [ev for ev in by_kind.get("table_entry", []) if address in ev.summary.split(" via ")[0].split()]
    for ev in entries[:3]:
        f = ev.fields
        scope = f" in anchor {f['anchor']}" if f.get("anchor") else ""
        verb = "lists" if f.get("member") else "explicitly excludes"
        parts.append(f"Table <{f['table']}>{scope} {verb} it at {ev.citation} [{marks[id(ev)]}].")
    intel = by_kind.get("intel", [])
    if intel:
        labels = sorted({label for ev in intel for label in ev.fields.get("labels", [])})
        feeds = sorted({str(ev.fields.get("feed")) for ev in intel})
        cites = "".join(f"[{marks[id(ev)]}]" for ev in intel)
        parts.append(f"Threat intel ({', '.join(feeds)}) labels it {', '.join(labels) or 'malicious'} {cites}.")
    for kind in ("pflog", "ids", "auth"):
        for ev in by_kind.get(kind, [])[:1]:
            parts.append(f"{ev.summary.rstrip('.')} [{marks[id(ev)]}].")
    for ev in by_kind.get("uncertain", []):
        parts.append(f"{ev.summary.rstrip('.')} [{marks[id(ev)]}].")
    return parts


def _compliance_points(evidence: list[Evidence], marks: dict[int, int]) -> list[str]:
    parts = [f"{ev.summary.rstrip('.')} [{marks[id(ev)]}]." for ev in evidence if ev.kind == "compliance_summary"]
    for ev in evidence:
        if ev.kind != "compliance":
            continue
        lines = "".join(f"[{marks[id(x)]}]" for x in evidence
                        if x.kind == "compliance_line" and x.fields.get("check") == ev.fields["check"])
        parts.append(f"{ev.summary.rstrip('.')} [{marks[id(ev)]}]{lines}.")
    parts += [f"The framework text: {ev.summary.rstrip('.')} [{marks[id(ev)]}]." for ev in evidence
              if ev.kind == "knowledge"]
    return parts


def _port_points(route: Route, evidence: list[Evidence], marks: dict[int, int]) -> list[str]:
    port = route.ports[0]
    parts = []
    for ev in evidence:
        f = ev.fields
        if ev.kind == "pf_verdict":
            if f.get("decision") == "default":
                parts.append(f"No rule matches a new connection from outside to port {port}; "
                             f"pf passes it by default [{marks[id(ev)]}].")
            elif f.get("decision") == "skip":
                parts.append(f"pf does not filter that interface: `set skip` applies ({ev.citation}) [{marks[id(ev)]}].")
            else:
                verb = "open" if f["action"] == "pass" else "closed"
                anchor = f" in anchor \"{f['anchor']}\"" if f.get("anchor") else ""
                parts.append(f"Port {port} on {f['dst']} is {verb} to outside hosts: a new connection is "
                             f"{'passed' if f['action'] == 'pass' else 'blocked'} by rule {f['rule']}{anchor}, "
                             f"`{f['text']}` ({ev.citation}) [{marks[id(ev)]}].")
        elif ev.kind in ("port_logs", "table_entry", "uncertain"):
            parts.append(f"{ev.summary.rstrip('.')} [{marks[id(ev)]}].")
    return parts


def _verdict_sentence(route: Route, address: str, verdict: Evidence, mark: int) -> str:
    f = verdict.fields
    if f.get("decision") == "skip":
        return f"pf does not filter this traffic at all: `set skip` applies ({verdict.citation}) [{mark}]."
    if f.get("decision") == "default":
        return f"No rule matches traffic from {address}; pf passes it by default [{mark}]."
    anchor = f" in anchor \"{f['anchor']}\"" if f.get("anchor") else ""
    rule = f"rule {f['rule']}{anchor}, `{f['text']}` ({verdict.citation})"
    inbound = f.get("direction") == "in"
    # the address's side of the packet: 10.10.0.23 sends the outbound packet, it is not its target
    sends = f.get("src") == address
    way = ("Inbound from" if sends else "Inbound to") if inbound else ("Outbound from" if sends else "Outbound to")
    if f["action"] == "pass" and route.intent == "why_blocked":
        return f"{way} {address}, traffic is not blocked: it is passed by {rule} [{mark}]."
    if f["action"] == "block" and route.intent == "why_allowed":
        return f"{way} {address}, traffic is not allowed: it is blocked by {rule} [{mark}]."
    verb = "blocked" if f["action"] == "block" else "passed"
    return f"{way} {address}, traffic is {verb} by {rule} [{mark}]."


def evidence_block(evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    lines = ["Evidence:"]
    for i, ev in enumerate(evidence, 1):
        # every line names its source, unless its sentence already does
        cite = str(ev.citation) if ev.citation.file else ""
        source = f" ({cite})" if cite and cite not in ev.summary else ""
        lines.append(f"[{i}] {ev.summary.rstrip()}{source}")
    return "\n".join(lines)


def unknown_answer() -> str:
    return ("I can't answer that from this site's data. I can answer: " + "; ".join(CAPABILITIES) + ".")
