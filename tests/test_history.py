"""Conversation history: every question is recorded; -c continues with what the new
question leaves out taken from the last turn."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from askzero.assistant.history import continue_route
from askzero.assistant.router import route

pytest.importorskip("duckdb")


def ask(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "askzero.cli.main", "--site", "demo", "--no-llm", *args],
                          capture_output=True, text=True, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("first, follow, intent, addresses, ports", [
    ("Why is 203.0.113.7 blocked?", "and on port 22?", "why_blocked", ["203.0.113.7"], [22]),
    ("Why is 203.0.113.7 blocked?", "and 198.51.100.143?", "why_blocked", ["198.51.100.143"], []),
    ("Why is port 8443 open?", "and port 22?", "why_port", [], [22]),
    ("Which BGP sessions flapped on 2026-11-20?", "and yesterday?", "bgp_flaps", [], []),
])
def test_continuation_fills_what_the_question_leaves_out(first, follow, intent, addresses, ports):
    merged = continue_route(route(follow), route(first))
    assert (merged.intent, merged.addresses, merged.ports) == (intent, addresses, ports)


def test_a_complete_new_question_is_not_bent_by_the_last_one():
    merged = continue_route(route("Which BGP sessions flapped today?"), route("Why is 203.0.113.7 blocked?"))
    assert merged.intent == "bgp_flaps" and merged.addresses == []


def test_history_and_continue_through_the_cli():
    ask("Why is 203.0.113.7 blocked?")
    follow = json.loads(ask("--json", "-c", "and on port 22?").stdout)
    assert follow["intent"] == "why_blocked"
    assert "203.0.113.7" in follow["summary"] and "port 22" in follow["answer"]
    ask("--no-history", "What happened on 2026-11-20?")
    turns = json.loads(subprocess.run([sys.executable, "-m", "askzero.cli.main", "history", "--json"],
                                      capture_output=True, text=True, env=os.environ.copy()).stdout)["turns"]
    assert [t["question"] for t in turns] == ["Why is 203.0.113.7 blocked?", "and on port 22?"]
    assert turns[0]["conversation"] == turns[1]["conversation"]
    assert turns[1]["intent"] == "why_blocked"
