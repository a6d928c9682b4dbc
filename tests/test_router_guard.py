from __future__ import annotations

import pytest

from askzero.assistant import entities, guard
from askzero.assistant.router import route
from askzero.evidence import Citation, Evidence


@pytest.mark.parametrize("question,intent,address", [
    ("Why is 203.0.113.7 blocked?", "why_blocked", "203.0.113.7"),
    ("why does pf drop traffic from 198.51.100.9", "why_blocked", "198.51.100.9"),
    ("Pourquoi 203.0.113.7 est-elle bloquée ?", "why_blocked", "203.0.113.7"),
    ("Why is 10.10.0.23 allowed out?", "why_allowed", "10.10.0.23"),
    ("What do we know about 2001:db8:bad::1?", "lookup_address", "2001:db8:bad::1"),
    ("What is the weather in Paris?", "unknown", None),
])
def test_router(question, intent, address):
    r = route(question)
    assert r.intent == intent
    assert (r.addresses[0] if r.addresses else None) == address


def test_entities_ignore_invalid_addresses_and_find_ports():
    assert entities.addresses("999.1.1.1 and 10.0.0.0/8 and 192.0.2.1.") == ["10.0.0.0/8", "192.0.2.1"]
    assert entities.ports("is port 8443 open") == [8443]


def test_facts_extract_rule_refs_tables_times_numbers():
    found = entities.facts("Rule 8.threat_feeds.0 blocked 203.0.113.7 at 02:15:07 via <threat_feeds>, 42 times [1].")
    assert {"8.threat_feeds.0", "203.0.113.7", "02:15:07", "<threat_feeds>", "42"} <= found
    assert "1" not in found  # citation markers are not facts


EVIDENCE = [
    Evidence("pf_verdict", "pf blocks the packet by rule 8.threat_feeds.0 (etc/pf.conf:39).",
             Citation("etc/pf.conf", 39), {"action": "block", "rule": "8.threat_feeds.0"}),
    Evidence("table_entry", "Table <threat_feeds> lists 203.0.113.7 at etc/pf/threat_feeds.txt:4.",
             Citation("etc/pf/threat_feeds.txt", 4), {"table": "threat_feeds"}),
]
ALLOWED = guard.allowed_facts(EVIDENCE, "Why is 203.0.113.7 blocked?")


@pytest.mark.parametrize("sentence,kept", [
    ("203.0.113.7 is blocked by rule 8.threat_feeds.0 [1].", True),
    ("The address is listed in <threat_feeds> at line 4 [2].", True),
    ("It is blocked by anchor rule 8 [1].", True),
    ("203.0.113.8 is blocked by rule 8.threat_feeds.0 [1].", False),  # wrong address
    ("The block happened 17 times since 03:00 [1].", False),  # invented count and time
    ("It was added in table <bad_hosts> [2].", False),  # invented table
    ("203.0.113.7 is allowed by rule 8.threat_feeds.0 [1].", False),  # contradicts the verdict
    ("This is a well-known Apache vulnerability from 2010.", False),  # invented year
    ("Consider reviewing your security posture.", False),  # no checkable fact
    ("See fact [7] for details about 203.0.113.7.", False),  # cites nothing real
])
def test_guard(sentence, kept):
    assert guard.check(sentence, ALLOWED, "block", len(EVIDENCE)).kept is kept


def test_split_sentences_keeps_addresses_whole():
    text = "203.0.113.7 is blocked by rule 8.threat_feeds.0. It is in <threat_feeds> (etc/pf.conf:39). Done"
    assert guard.split_sentences(text) == [
        "203.0.113.7 is blocked by rule 8.threat_feeds.0.", "It is in <threat_feeds> (etc/pf.conf:39).", "Done"]


def test_a_sentence_joining_facts_of_two_findings_is_not_one_statement():
    from askzero.assistant import entities, guard

    inbound = "pf blocks inbound traffic by rule 8.threat_feeds.0 (etc/pf.conf:39)."
    outbound = "pf blocks outbound traffic by rule 8.threat_feeds.1 (etc/pf.conf:40)."
    statements = [entities.facts(inbound), entities.facts(outbound)]
    assert guard.one_statement("It is blocked by rule 8.threat_feeds.0 (etc/pf.conf:39).", statements)
    assert not guard.one_statement("It is blocked by rule 8.threat_feeds.0 (etc/pf.conf:40).", statements)
