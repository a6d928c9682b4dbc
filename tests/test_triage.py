"""Alert triage on the demo site: the score's parts come from site data with citations,
and the verdicts agree with the alerts we labelled (tests/triage/demo_labels.toml)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from askzero.assistant.answer import gather  # noqa: E402
from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.assistant.router import route  # noqa: E402
from askzero.assistant.triage import triage  # noqa: E402
from askzero.logs import query  # noqa: E402
from askzero.site import load_site  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVE = "var/log/suricata/eve.json"


@pytest.fixture(scope="module")
def ctx():
    return SiteContext(load_site("demo"))


def alert_at(ctx, line):
    events = query.events(ctx.logs, query.Filter(kinds=("alert",), file=EVE), limit=1000).events
    return next(ev for ev in events if ev["citation"]["line"] == line)


def test_brute_force_reaching_the_gateway_wakes_someone(ctx):
    result = triage(ctx, alert_at(ctx, 5))
    assert result.verdict == "wake"
    texts = {text: cite for _, text, cite in result.reasons}
    seen = [cite for text, cite in texts.items() if text.startswith("the IDS saw its ssh exchange")]
    assert seen and seen[0].file == EVE
    related = ctx.site.real("/" + EVE).read_text().splitlines()[seen[0].line - 1]
    assert '"event_type":"ssh"' in related.replace(" ", "")
    assert "192.0.2.10 is gw1, criticality critical" in texts


def test_blocked_noise_is_ignored_and_cites_pflog(ctx):
    result = triage(ctx, alert_at(ctx, 3))
    assert result.verdict == "ignore"
    blocked = [cite for _, text, cite in result.reasons if text.startswith("pflog recorded pf blocking")]
    assert blocked and blocked[0].file == "var/log/pflog" and blocked[0].record.startswith("record ")
    assert any("but pf kept the packet from it" in text for _, text, _ in result.reasons)


def test_agreement_with_our_labels(ctx):
    sys.path.insert(0, str(ROOT / "tools"))
    from eval_triage import evaluate

    right, total, lines = evaluate("demo", ROOT / "tests" / "triage" / "demo_labels.toml")
    assert total == 10
    assert right >= 9, "\n".join(lines)


@pytest.mark.parametrize("question", [
    "Is this alert worth waking me up for?",
    "Is the latest alert from 203.0.113.7 worth waking me up for?",
    "Cette alerte vaut-elle de réveiller quelqu'un ?",
])
def test_triage_questions_route(question):
    assert route(question).intent == "triage"


def test_triage_answer_names_the_alert_and_the_verdict(ctx):
    answer = gather(ctx, 'Should I worry about the alert "ET SCAN Potential SSH Scan"?')
    assert answer.route.signature == "ET SCAN Potential SSH Scan"
    assert answer.summary.startswith('Triage of the alert "ET SCAN Potential SSH Scan" at 2026-11-20 02:20:37')
    assert {"file": EVE, "line": 164} in answer.citations()
