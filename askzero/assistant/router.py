"""The deterministic router: which question is this, about what.

Small local models cannot be trusted to choose tools, so plain questions are routed by
rules, in English and in French. The model is never asked to decide what a question means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from askzero.assistant import entities
from askzero.logs.timeexpr import Window

BLOCKED = re.compile(r"\b(block(ed|s|ing)?|drop(ped|s)?|denied|deny|reject(ed)?|bloqu\w*|rejet\w*|filtr\w*)\b", re.I)
ALLOWED = re.compile(r"\b(allow(ed|s)?|pass(ed|es)?|permit(ted)?|open|accept(ed)?|autoris\w*|ouvert\w*|accept\w*)\b", re.I)
WHY = re.compile(r"\b(why|how come|pourquoi|explain|explique)\b", re.I)
BGP_FLAP = re.compile(r"\b(flap\w*|went down|dropped|reset|tomb\w*|instable\w*|down)\b", re.I)
BGP_WORDS = re.compile(r"\b(bgp|bgpd|sessions?|neighbou?rs?|peers?|voisins?|upstream\w*)\b", re.I)
TRIAGE = re.compile(r"\b(worth waking|wake (me|someone|anyone|up)|page (me|someone)|réveill\w*|urgent\w*|"
                    r"triage|should I (worry|care)|how (bad|serious)|grave|important)\b", re.I)
QUOTED = re.compile(r"[\"“«]\s*([^\"”»]{4,})\s*[\"”»]")
BGP_ROUTE = re.compile(r"\b(prefix\w*|préfixe\w*|route\w*|announce\w*|advertis\w*|accepted|rejected|"
                       r"accept\w*|filtered|AS\s?\d+)\b", re.I)
COMPLIANCE = re.compile(r"\b(complian\w*|conform\w*|compl(y|ies)|requirements?|exigences?|audit\w*)\b", re.I)
FRAMEWORKS = re.compile(r"\b(NIS\s?2|DORA|ISO(?:/IEC)?\s?27001|PCI[\s-]?DSS|GDPR|RGPD)\b", re.I)
KNOWLEDGE = re.compile(r"\b(what does \S+ (say|require|ask|mean)|what (is|are) (required|the (deadlines?|requirements?))|"
                       r"deadlines?|délais?|que (dit|demande|exige)|how (long|soon)|must (we|I) report|"
                       r"best practice\w*|recommend\w*)\b", re.I)
RECORD = re.compile(r"\b(?:pflog\s+)?(?:record|enregistrement)\s+#?(\d+)\b", re.I)
ALERTS = re.compile(r"\b(alerts?|alertes?)\b", re.I)
SEVERITY = re.compile(r"\b(?:severity|sévérité|priority)\s*(?:of\s*|=\s*)?([1-4])\b", re.I)
DIFF = re.compile(r"\b(diff\w*|differ\w*|compare\w*|what would change|which (traffic|flows)|would .* affect|"
                  r"change\w* .*affect|impact\w*)\b", re.I)
PATH = re.compile(r"(?<![\w/.-])((?:/?[\w.-]+/)*[\w.-]*\.conf(?:\.[\w-]+)?|(?:/?[\w.-]+/)+[\w.-]+)(?![\w/.-])")
LOG_WORDS = re.compile(r"\b(alerts?|events?|logs?|alertes?|événements?|journaux)\b", re.I)
TIMELINE = re.compile(r"\b(what happened|what went on|timeline|chronolog\w*|que s'est-il passé|"
                      r"qu'est-ce qui s'est passé|activity|activité|summary of|résumé)\b", re.I)


@dataclass
class Route:
    # why_blocked | why_allowed | lookup_address | why_port | bgp_flaps | bgp_route | timeline |
    # triage | compliance | knowledge | pflog_record | alerts | diff | unknown
    intent: str
    addresses: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    window: Window | None = None
    signature: str | None = None  # a quoted alert signature
    extra: dict = field(default_factory=dict)  # record number, severity, path: what an intent needs

    def to_dict(self) -> dict:
        return {"intent": self.intent, "addresses": self.addresses, "ports": self.ports,
                "window": self.window.to_dict() if self.window else None, "signature": self.signature,
                **({"extra": self.extra} if self.extra else {})}


def route(question: str, now: datetime | None = None) -> Route:
    addrs = entities.addresses(question)
    found_ports = entities.ports(question)
    window = entities.window(question, now)
    record = RECORD.search(question)
    if record:
        return Route("pflog_record", [], [], window, extra={"record": int(record.group(1))})
    paths = [p for p in PATH.findall(question) if "." in p.rsplit("/", 1)[-1]]
    if paths and DIFF.search(question):
        return Route("diff", [], [], window, extra={"path": paths[-1]})
    if FRAMEWORKS.search(question) and COMPLIANCE.search(question) and not KNOWLEDGE.search(question):
        return Route("compliance", addrs, found_ports, window)
    if (FRAMEWORKS.search(question) or KNOWLEDGE.search(question)) and not addrs:
        return Route("knowledge", [], [], window)
    if ALERTS.search(question) and not TRIAGE.search(question) and not WHY.search(question):
        severity = SEVERITY.search(question)
        quoted = QUOTED.search(question)
        return Route("alerts", addrs, [], window, quoted.group(1).strip() if quoted else None,
                     extra={"severity": int(severity.group(1))} if severity else {})
    if TRIAGE.search(question) and re.search(r"\b(alert\w*|alerte\w*|signature|this|ça|cela)\b", question, re.I):
        quoted = QUOTED.search(question)
        return Route("triage", addrs, found_ports, window, quoted.group(1).strip() if quoted else None)
    prefixes = [a for a in addrs if "/" in a]
    if prefixes and (BGP_WORDS.search(question) or BGP_ROUTE.search(question)):
        return Route("bgp_route", prefixes, found_ports, window)
    if addrs:
        if BLOCKED.search(question):
            return Route("why_blocked", addrs, found_ports, window)
        if ALLOWED.search(question):
            return Route("why_allowed", addrs, found_ports, window)
        return Route("lookup_address", addrs, found_ports, window)
    if BGP_WORDS.search(question) and BGP_FLAP.search(question):
        return Route("bgp_flaps", [], [], window)
    if found_ports and (BLOCKED.search(question) or ALLOWED.search(question)):
        proto = entities.protocol(question)
        return Route("why_port", [], found_ports, window, extra={"proto": proto} if proto else {})
    if TIMELINE.search(question) or (window and LOG_WORDS.search(question)):
        return Route("timeline", [], found_ports, window)
    return Route("unknown", [], found_ports, window)
