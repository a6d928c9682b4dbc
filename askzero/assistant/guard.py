"""The grounding guard: a sentence of the model survives only if its facts are in evidence.

Addresses, ports, rule numbers, table names, counts and times are extracted from each
sentence with the same functions the router uses; one that does not appear in the evidence
drops the sentence. A sentence with no checkable fact at all is dropped too (it can only be
filler or invention), and so is one that states the opposite of the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from askzero.assistant import entities
from askzero.evidence import Evidence

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[(`'\"<0-9])|\n+")
PASS_WORDS = re.compile(r"\b(allow(ed|s)?|permit(ted|s)?|pass(es|ed)?|accept(ed|s)?|open)\b", re.I)
BLOCK_WORDS = re.compile(r"\b(block(ed|s)?|drop(ped|s)?|den(y|ied|ies)|reject(ed|s)?)\b", re.I)
NEGATION = re.compile(r"\b(not|no|never|n't)\b", re.I)


@dataclass(frozen=True)
class GuardResult:
    sentence: str
    kept: bool
    reason: str = ""


def allowed_facts(evidence: Iterable[Evidence], question: str) -> set[str]:
    facts: set[str] = set(entities.facts(question))
    for ev in evidence:
        facts |= entities.facts(ev.summary)
        facts |= entities.facts(" ".join(str(v) for v in ev.fields.values()))
        facts |= entities.facts(str(ev.citation))
    for fact in list(facts):
        head = fact.split(".", 1)[0]
        if "." in fact and head.isdigit() and not fact.replace(".", "").isdigit():
            facts.add(head)  # "rule 8" is supported by "rule 8.threat_feeds.0"
    return facts


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def check(sentence: str, allowed: set[str], action: str | None, n_evidence: int) -> GuardResult:
    found = entities.facts(sentence)
    unsupported = sorted(f for f in found if f not in allowed)
    if unsupported:
        return GuardResult(sentence, False, f"not in evidence: {', '.join(unsupported)}")
    cites = [int(n) for n in entities.CITE_RE.findall(sentence)]
    if any(n < 1 or n > n_evidence for n in cites):
        return GuardResult(sentence, False, "cites a fact that does not exist")
    if not found and not cites:
        return GuardResult(sentence, False, "states no checkable fact")
    if action and not NEGATION.search(sentence):
        contrary = PASS_WORDS if action == "block" else BLOCK_WORDS
        if contrary.search(sentence):
            return GuardResult(sentence, False, f"contradicts the verdict ({action})")
    return GuardResult(sentence, True)


def one_statement(sentence: str, statements: Iterable[set[str]], also: set[str] = frozenset()) -> bool:
    """Every fact of the sentence comes from one statement (plus ``also``, e.g. the
    question's). The guard checks facts one by one, so a sentence that joins one finding's
    rule to another's time would pass it; that mix is an invention too."""
    wanted = entities.facts(sentence) - set(also)
    return not wanted or any(wanted <= facts for facts in statements)
