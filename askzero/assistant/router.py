"""The deterministic router: which question is this, about what.

Small local models cannot be trusted to choose tools, so plain questions are routed by
rules, in English and in French. The model is never asked to decide what a question means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from askzero.assistant import entities

BLOCKED = re.compile(r"\b(block(ed|s|ing)?|drop(ped|s)?|denied|deny|reject(ed)?|bloqu\w*|rejet\w*|filtr\w*)\b", re.I)
ALLOWED = re.compile(r"\b(allow(ed|s)?|pass(ed|es)?|permit(ted)?|open|accept(ed)?|autoris\w*|ouvert\w*|accept\w*)\b", re.I)
WHY = re.compile(r"\b(why|how come|pourquoi|explain|explique)\b", re.I)


@dataclass
class Route:
    intent: str  # why_blocked | why_allowed | lookup_address | unknown
    addresses: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"intent": self.intent, "addresses": self.addresses, "ports": self.ports}


def route(question: str) -> Route:
    addrs = entities.addresses(question)
    found_ports = entities.ports(question)
    if addrs:
        if BLOCKED.search(question):
            return Route("why_blocked", addrs, found_ports)
        if ALLOWED.search(question):
            return Route("why_allowed", addrs, found_ports)
        return Route("lookup_address", addrs, found_ports)
    return Route("unknown", [], found_ports)
