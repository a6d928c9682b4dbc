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
)


def summary(route: Route, evidence: list[Evidence]) -> str:
    """The deterministic headline paragraph, with [n] markers into ``evidence``."""
    if route.intent == "unknown":
        return unknown_answer()
    if not evidence:
        return (f"I don't know from this site's data: nothing in the ruleset, tables, intel or logs "
                f"mentions {', '.join(route.addresses)}.")
    marks = {id(ev): i for i, ev in enumerate(evidence, 1)}
    by_kind: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_kind.setdefault(ev.kind, []).append(ev)
    address = route.addresses[0]
    parts: list[str] = []
    verdict = by_kind.get("pf_verdict", [None])[0]
    if verdict is not None:
        f = verdict.fields
        if f.get("decision") == "skip":
            parts.append(f"pf does not filter this traffic at all: `set skip` applies [{marks[id(verdict)]}].")
        elif f.get("decision") == "default":
            parts.append(f"No rule matches traffic from {address}; pf passes it by default [{marks[id(verdict)]}].")
        else:
            verb = "blocked" if f["action"] == "block" else "passed"
            anchor = f" in anchor \"{f['anchor']}\"" if f.get("anchor") else ""
            negation = " not" if route.intent == "why_blocked" and f["action"] == "pass" else ""
            lead = (f"{address} is{negation} blocked: it is passed" if negation else f"{address} is {verb}")
            parts.append(f"{lead} by rule {f['rule']}{anchor}, `{f['text']}` [{marks[id(verdict)]}].")
    members = [ev for ev in by_kind.get("table_entry", []) if ev.fields.get("member")]
    for ev in members[:2]:
        f = ev.fields
        scope = f" in anchor {f['anchor']}" if f.get("anchor") else ""
        parts.append(f"Table <{f['table']}>{scope} lists it ({ev.citation}) [{marks[id(ev)]}].")
    for ev in [ev for ev in by_kind.get("table_entry", []) if not ev.fields.get("member")][:1]:
        parts.append(f"Table <{ev.fields['table']}> explicitly excludes it ({ev.citation}) [{marks[id(ev)]}].")
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
    return " ".join(parts)


def evidence_block(evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    lines = ["Evidence:"]
    lines += [f"[{i}] {ev.summary}" for i, ev in enumerate(evidence, 1)]
    return "\n".join(lines)


def unknown_answer() -> str:
    return ("I can't answer that from this site's data. I can answer: " + "; ".join(CAPABILITIES) + ".")
