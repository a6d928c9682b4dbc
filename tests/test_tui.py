"""Pilot-driven tests of the rules, packet tester and events screens, keys, export, and degraded
sites, on the demo site with evidence-only answers (the chat: test_tui_chat.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("textual")

from textual.widgets import DataTable, Input, Sparkline, Tree  # noqa: E402

from askzero.tui.chat import Exchange  # noqa: E402
from askzero.tui.events_screen import EventsScreen  # noqa: E402
from askzero.tui.evidence_screen import EvidenceScreen  # noqa: E402
from askzero.tui.help import HelpScreen  # noqa: E402
from askzero.tui.packet import PacketScreen  # noqa: E402
from askzero.tui.rules import RulesScreen  # noqa: E402
from tuihelpers import BLOCKED_FLOW, QUESTION, ask, demo_app, run, settle  # noqa: E402


# -- rules -------------------------------------------------------------------------------


def test_rules_tree_has_threat_feeds_anchor_rules_tables_and_lint() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f3")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, RulesScreen)
            tree = screen.query_one(Tree)
            labels = [str(n.label) for n in _nodes(tree.root)]
            assert "threat_feeds (2)" in labels and "<martians> 8" in labels
            assert 'anchor "threat_feeds" (rule 8)' in screen.anchor_labels()
            table = screen.query_one("#rules", DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            numbers = [r[0] for r in rows]
            assert numbers[:3] == ["0", "1", "2"]
            by_line = {r[2]: r for r in rows}
            assert str(by_line["etc/pf.conf:53"][3]) == "high"  # lint inline
            # select rule 53's row: the detail explains it and lists the findings
            index = next(i for i, r in enumerate(rows) if r[2] == "etc/pf.conf:53")
            table.focus()
            table.move_cursor(row=index)
            await settle(pilot)
            assert "Passes packets coming in on egress" in screen.detail_text
            assert "sensitive-service-open" in screen.detail_text
            # the anchor's rules carry pflog's numbers
            node = next(n for n in _nodes(tree.root) if str(n.label) == "threat_feeds (2)")
            tree.move_cursor(node)
            await settle(pilot)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            assert [r[0] for r in rows] == ["8.threat_feeds.0", "8.threat_feeds.1"]
            assert rows[0][2] == "etc/pf.conf:39"

    run(go())


def test_rules_table_contents_show_provenance() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await settle(pilot)
            tree = app.screen.query_one(Tree)
            node = next(n for n in _nodes(tree.root) if str(n.label).startswith("<threat_feeds>"))
            tree.move_cursor(node)
            await settle(pilot)
            table = app.screen.query_one("#rules", DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            assert ["203.0.113.7/32", "etc/pf/threat_feeds.txt:4"] == rows[1][:2]
            assert "c2-server" in rows[1][2]
            assert any(r[0].startswith("!") for r in rows)  # negated entries keep their "!"
            assert "from etc/pf/threat_feeds.txt" in app.screen.detail_text

    run(go())


def test_rules_lint_node_lists_every_finding() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await settle(pilot)
            tree = app.screen.query_one(Tree)
            node = next(n for n in _nodes(tree.root) if str(n.label).startswith("lint ("))
            tree.move_cursor(node)
            await settle(pilot)
            table = app.screen.query_one("#rules", DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            assert str(node.label) == f"lint ({len(rows)})" and len(rows) >= 5
            assert ["etc/pf.conf:53", "sensitive-service-open"] in [r[1:3] for r in rows]
            assert "| high | etc/pf.conf:53 | sensitive-service-open |" in app.screen.to_markdown()
            table.focus()
            await pilot.press("enter")
            await settle(pilot)
            assert str(app.screen.citation) == str(rows[0][1])

    run(go())


def _nodes(node):  # noqa: ANN001, ANN202
    yield node
    for child in node.children:
        yield from _nodes(child)


# -- packet tester -----------------------------------------------------------------------


def test_packet_tester_blocks_threat_feed_address_to_ssh() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, PacketScreen)
            await pilot.press(*BLOCKED_FLOW, "enter")
            await settle(pilot)
            verdict = app.screen.verdict
            assert verdict.action == "block" and verdict.rule.ref == "8.threat_feeds.0"
            shown = str(app.screen.query_one("#verdict").render())
            assert shown.startswith("BLOCK")
            assert "decided by rule 8.threat_feeds.0 at etc/pf.conf:39" in shown
            trace = app.screen.query_one("#trace", DataTable)
            assert [str(trace.get_row_at(i)[0]) for i in range(trace.row_count)] == ["0", "2", "8", "8.threat_feeds.0"]
            assert "| 8.threat_feeds.0 | block | etc/pf.conf:39 |" in app.screen.to_markdown()

    run(go())


def test_packet_tester_reports_a_bad_flow() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            await settle(pilot)
            await pilot.press(*"in on em0 proto tcp from 203.0.113.7 to nowhere", "enter")
            await settle(pilot)
            assert app.screen.verdict is None
            assert app.screen.error_text.startswith("flow:")

    run(go())


# -- events ------------------------------------------------------------------------------


def test_events_filter_by_address_timeline_and_related() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f5")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, EventsScreen)
            everything = screen.result.count
            await pilot.press(*"203.0.113.7", "enter")
            await settle(pilot)
            result = screen.result
            assert 0 < result.count < everything
            assert all("203.0.113.7" in (e.get("src"), e.get("dst")) for e in result.events)
            table = screen.query_one("#events", DataTable)
            assert table.row_count == len(result.events)
            assert sum(n for _, n in result.buckets) == result.count
            assert screen.query_one(Sparkline).data == [n for _, n in result.buckets]
            # an alert with a Suricata flow id has related records of the same connection
            index = next(i for i, e in enumerate(result.events) if e["kind"] == "alert" and e.get("flow"))
            table.focus()
            table.move_cursor(row=index)
            await settle(pilot)
            assert len(screen.related) > 1
            assert all(r.get("flow") == result.events[index]["flow"] for r in screen.related)

    run(go())


def test_events_filters_severity_signature_window_and_errors() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f5")
            await settle(pilot)
            screen = app.screen
            screen.query_one("#f-signature", Input).value = "cobalt"
            screen.query_one("#f-severity", Input).value = "1"
            screen.query_one("#f-window", Input).value = "02:05-02:10"
            screen.apply_filters()
            await settle(pilot)
            result = screen.result
            assert result.count == 5 and not result.error  # one beacon a minute, 02:05:17 to 02:09:17
            assert all("Cobalt" in e["signature"] and e["severity"] <= 1 for e in result.events)
            # clock times are on the day of the newest event (2026-11-20), not today
            assert all("2026-11-20T02:05" <= e["time"] < "2026-11-20T02:10" for e in result.events)
            screen.query_one("#f-signature", Input).value = ""
            screen.query_one("#f-severity", Input).value = ""
            screen.query_one("#f-kind", Input).value = "block, auth"
            screen.apply_filters()
            await settle(pilot)
            assert {e["kind"] for e in screen.result.events} == {"block", "auth"}
            screen.query_one("#f-kind", Input).value = ""
            screen.query_one("#f-window", Input).value = "last 1 min"
            screen.apply_filters()
            await settle(pilot)
            # relative to the newest event (02:45:02), which is itself inside the window
            assert screen.result.events[-1]["time"].startswith("2026-11-20T02:45:02")
            screen.query_one("#f-window", Input).value = "next tuesday-ish"
            screen.apply_filters()
            await settle(pilot)
            assert screen.result.error.startswith("window:")
            screen.query_one("#f-window", Input).value = ""
            screen.query_one("#f-ip", Input).value = "not-an-ip"
            screen.apply_filters()
            await settle(pilot)
            assert screen.result.error.startswith("address:")

    run(go())


# -- keys, help, export ------------------------------------------------------------------


def test_help_screen_opens_with_f1_and_question_mark() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.press("f3")
            await settle(pilot)
            await pilot.press("question_mark")  # the tree has the focus: ? is a key, not text
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("question_mark")
            assert isinstance(app.screen, RulesScreen)

    run(go())


def test_export_writes_markdown_of_current_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKZERO_HOME", str(tmp_path))

    async def go() -> list[str]:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await ask(pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            messages = [str(n.message) for n in app._notifications]
            await pilot.press("f4")
            await settle(pilot)
            await pilot.press(*BLOCKED_FLOW, "enter")
            await settle(pilot)
            await pilot.press("ctrl+s")
            return messages

    messages = run(go())
    files = sorted((tmp_path / "exports").glob("*.md"))
    assert [f.name.split("-")[1] for f in files] == ["chat", "packet"]
    chat = files[0].read_text()
    assert chat.startswith("# ask-zero chat: site demo")
    assert f"## {QUESTION}" in chat and "1. `etc/pf.conf:39`" in chat
    assert "BLOCK" in files[1].read_text()
    assert any(str(files[0]) in m for m in messages)


def test_enter_on_rule_trace_row_and_event_opens_its_source() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await settle(pilot)
            table = app.screen.query_one("#rules", DataTable)
            table.focus()
            table.move_cursor(row=9)  # rule 9, etc/pf.conf:44
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, EvidenceScreen)
            assert str(app.screen.citation) == "etc/pf.conf:44" and app.screen.excerpt.cited == {44}
            assert app.screen.summary.startswith("rule 9: block drop in log on egress")
            await pilot.press("escape", "f4")
            await settle(pilot)
            await pilot.press(*BLOCKED_FLOW, "enter")
            await settle(pilot)
            trace = app.screen.query_one("#trace", DataTable)
            trace.focus()
            trace.move_cursor(row=3)
            await pilot.press("enter")
            await settle(pilot)
            assert str(app.screen.citation) == "etc/pf.conf:39"
            await pilot.press("escape", "f5")
            await settle(pilot)
            events = app.screen.query_one("#events", DataTable)
            events.focus()
            events.move_cursor(row=0)  # the first event is pflog record 1
            await pilot.press("enter")
            await settle(pilot)
            assert str(app.screen.citation) == "var/log/pflog (record 1)"
            assert app.screen.excerpt.cited == {1}
            assert "rule 2/(match) block in on em0" in app.screen.excerpt.lines[0]

    run(go())


def test_site_without_pf_conf_or_logs_degrades_screen_by_screen(tmp_path: Path) -> None:
    from askzero.site import load_site
    from askzero.tui.app import AskZeroApp
    from askzero.tui.session import Session

    async def go() -> None:
        app = AskZeroApp(Session(load_site(str(tmp_path)), no_llm=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await ask(pilot)
            # checked first: the warning leaves the screen (and the list) after 8 s
            assert any("pf:" in str(n.message) for n in app._notifications)
            exchange = app.screen.query_one(Exchange)
            assert exchange.status == "" and "etc/pf.conf" in str(exchange.query_one(".answer").render())
            await pilot.press("f3")
            await settle(pilot)
            assert "no such file" in str(app.screen.query_one("#detail").render())
            await pilot.press("f4")
            await settle(pilot)
            await pilot.press(*BLOCKED_FLOW, "enter")
            await settle(pilot)
            assert "no such file" in app.screen.error_text
            await pilot.press("f5")
            await settle(pilot)
            assert app.screen.result.count == 0
            assert "no events" in str(app.screen.query_one("#timeline-label").render())

    run(go())


def test_default_site_notice_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    from askzero.site import load_site
    from askzero.tui.app import AskZeroApp
    from askzero.tui.session import Session

    site = load_site("demo")
    site.notice = "ask-zero: no site configured and no /etc/pf.conf here; using the bundled demo site (--site demo)"

    async def go() -> list[str]:
        app = AskZeroApp(Session(site, no_llm=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            return [str(n.message) for n in app._notifications]

    assert run(go()) == ["no site configured and no /etc/pf.conf here; using the bundled demo site (--site demo)"]


# -- postmortem --------------------------------------------------------------------------


def test_postmortem_generates_previews_and_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Markdown

    from askzero.tui.postmortem_screen import PostmortemScreen

    monkeypatch.setenv("ASKZERO_HOME", str(tmp_path))

    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f6")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, PostmortemScreen)
            await pilot.press("enter")  # empty fields: the whole span of the data
            await settle(pilot)
            assert screen.report.startswith("# Postmortem: 203.0.113.7 on demo")
            assert "etc/pf.conf:53" in screen.report
            assert "Postmortem: 203.0.113.7 on demo" in str(screen.query_one("#pm-status").render())
            assert screen.query_one(Markdown).source == screen.report
            await pilot.press("ctrl+s")
            await pilot.pause()
            saved = sorted((tmp_path / "exports").glob("askzero-postmortem-*.md"))
            assert len(saved) == 1 and saved[0].read_text() == screen.report.rstrip() + "\n"
            # errors name the field
            screen.query_one("#pm-from", Input).value = "half past never"
            await pilot.press("ctrl+g")
            await settle(pilot)
            assert screen.error_text.startswith("from:")
            screen.query_one("#pm-from", Input).value = ""
            screen.query_one("#pm-template", Input).value = "iso"
            await pilot.press("ctrl+g")
            await settle(pilot)
            assert screen.error_text == "template: choose from internal, nis2, dora"
            screen.query_one("#pm-template", Input).value = "nis2"
            screen.query_one("#pm-ip", Input).value = "203.0.113.700"
            await pilot.press("ctrl+g")
            await settle(pilot)
            assert screen.error_text.startswith("address:")
            screen.query_one("#pm-ip", Input).value = "203.0.113.7"
            await pilot.press("ctrl+g")
            await settle(pilot)
            assert not screen.error_text and "NIS2" in screen.report

    run(go())
