"""The TUI's pure parts: highlighter, cited view, timeline buckets, export, rule wording."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from askzero.evidence import Citation
from askzero.site import load_site
from askzero.tui import timeline
from askzero.tui.excerpt import load_excerpt
from askzero.tui.export import export_dir, md_table, write_markdown
from askzero.tui.highlight import HIGHLIGHT_STYLE, cited_view, highlight_line, language_for
from askzero.tui.ruleinfo import anchor_tree, describe, walk
from askzero.tui.session import Session


def styles(text, word: str) -> set[str]:  # noqa: ANN001 - a rich Text
    start = text.plain.index(word)
    return {str(s.style) for s in text.spans if s.start <= start < s.end}


def test_language_by_file_name() -> None:
    assert language_for("etc/pf.conf") == "pf"
    assert language_for("/etc/bgpd.conf") == "bgp"
    assert language_for("etc/pf/threat_feeds.txt") is None
    assert language_for("var/log/authlog") is None


def test_pf_highlighter_marks_comments_keywords_macros_tables() -> None:
    line = 'pass in on $lan_if proto tcp from <admin_nets> to any port "ssh" # admins'
    text = highlight_line(line, "pf")
    assert "bold green" in styles(text, "pass")
    assert "bold #5f87d7" in styles(text, "proto")
    assert "#d75fd7" in styles(text, "$lan_if")
    assert "#5fd7d7" in styles(text, "<admin_nets>")
    assert "#d7af5f" in styles(text, '"ssh"')
    assert "italic #808080" in styles(text, "# admins")
    # a macro definition names the macro; a comment is not code
    assert "#d75fd7" in styles(highlight_line('web_ports = "{ http, https }"', "pf"), "web_ports")
    assert not styles(highlight_line("# block all", "pf"), "block") - {"italic #808080"}
    assert highlight_line("block all", None).spans == []


def test_bgp_highlighter() -> None:
    text = highlight_line('neighbor 192.0.2.1 { remote-as 64500 descr "transit" }', "bgp")
    assert "bold #5f87d7" in styles(text, "neighbor") and "bold #5f87d7" in styles(text, "remote-as")
    assert "bold red" in styles(highlight_line("deny from any prefix 10.0.0.0/8", "bgp"), "deny")


def test_cited_view_numbers_and_highlights_cited_lines() -> None:
    text = cited_view(["a\n", "block all\n", "pass\tall\n"], 9, {10}, "pf")
    lines = text.plain.splitlines()
    assert lines == ["  9 │ a", "▶10 │ block all", " 11 │ pass    all"]
    start = text.plain.index("▶10")
    assert any(str(s.style) == HIGHLIGHT_STYLE and s.start <= start < s.end for s in text.spans)
    assert "\t" not in text.plain


def test_excerpt_of_a_line_citation_and_missing_file() -> None:
    session = Session(load_site("demo"), no_llm=True)
    excerpt = load_excerpt(session, {"file": "etc/pf.conf", "line": 39})
    assert excerpt.first == 1 and excerpt.cited == {39} and excerpt.language == "pf"
    assert "threat_feeds" in excerpt.lines[38]
    ranged = load_excerpt(session, Citation("var/log/authlog", lines=(2, 4)))
    assert ranged.cited == {2, 3, 4}
    missing = load_excerpt(session, Citation("etc/nothing.conf", line=1))
    assert missing.lines == [] and missing.note.startswith("cannot read etc/nothing.conf")


def test_timeline_buckets_and_fill() -> None:
    t0 = datetime(2026, 11, 20, 1, 51, tzinfo=timezone.utc)
    t1 = datetime(2026, 11, 20, 2, 45, tzinfo=timezone.utc)
    assert timeline.bucket_seconds(t0, t1) == 60
    assert timeline.bucket_seconds(t0, t0.replace(day=27)) == 3 * 3600
    a, b = t0.replace(minute=50), t0.replace(minute=53)
    filled = timeline.fill([(a, 2), (b, 5)], 60)
    assert [n for _, n in filled] == [2, 0, 0, 5]
    assert timeline.describe(filled, 60) == "2026-11-20 01:50-01:54 UTC, 1 min bars, peak 01:53 (5)"
    assert timeline.describe([], 60) == "no events in this window"


def test_export_location_and_no_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKZERO_HOME", str(tmp_path / "home"))
    assert export_dir() == tmp_path / "home" / "exports"
    monkeypatch.delenv("ASKZERO_HOME")
    monkeypatch.chdir(tmp_path)
    assert export_dir() == tmp_path
    now = datetime(2026, 11, 20, 2, 45, tzinfo=timezone.utc)
    first = write_markdown("Packet tester", "# x", now=now)
    second = write_markdown("Packet tester", "# y", now=now)
    assert first.name == "askzero-packet-tester-20261120-024500.md"
    assert second.name == "askzero-packet-tester-20261120-024500-2.md"
    assert first.read_text() == "# x\n"
    assert md_table(["a"], [["x|y"]]) == "| a |\n|---|\n| x\\|y |"


def test_anchor_tree_numbers_and_rule_wording() -> None:
    session = Session(load_site("demo"), no_llm=True)
    root = anchor_tree(session.pf)
    nodes = list(walk(root))
    anchor = next(n for n in nodes if n.short == "threat_feeds")
    assert [anchor.ref(r) for r in anchor.ruleset.rules] == ["8.threat_feeds.0", "8.threat_feeds.1"]
    text = describe(anchor.ruleset.rules[0])
    assert text.startswith("Blocks packets coming in from <threat_feeds> to any.")
    assert "Quick" in text and "Logged to pflog." in text
    nat = next(r for r in root.ruleset.rules if r.translations)
    assert "Rewrites: nat-to" in describe(nat)


def test_tui_command_is_registered_and_a_bad_site_fails_before_the_screen(capsys) -> None:  # noqa: ANN001
    from askzero.cli.main import main

    assert main(["tui", "--help"]) == 0
    assert "--no-llm" in capsys.readouterr().out
    assert main(["tui", "--site", "/nonexistent/site"]) == 3
    assert "site not found" in capsys.readouterr().err


def test_markdown_is_styled_by_tree_sitter() -> None:
    pytest.importorskip("tree_sitter_markdown")
    lines = ["# NIS2 — Article 21", "", "- measure é one", "", "```", "block all", "```"]
    text = cited_view(lines, 1, {2}, language_for("knowledge/nis2.md"))
    assert language_for("knowledge/nis2.md") == "markdown"
    assert "bold #5f87d7" in styles(text, "NIS2")  # the heading, non-ASCII dash included
    assert "bold yellow" in styles(text, "- measure")
    assert "#87af87" in styles(text, "block all")
    assert not styles(text, "measure é one")  # list text itself stays plain


def test_read_window_streams_long_files(tmp_path: Path) -> None:
    from askzero.tui.excerpt import CONTEXT, MAX_LINE, WHOLE_FILE, read_window

    short = tmp_path / "short.log"
    short.write_text("".join(f"line {n}\n" for n in range(1, 11)))
    assert read_window(short, {3}) == (1, [f"line {n}\n" for n in range(1, 11)], "")
    long = tmp_path / "long.log"
    long.write_text("".join(f"line {n}\n" for n in range(1, 5001)) + "x" * (MAX_LINE + 10) + "\n")
    first, lines, note = read_window(long, {2000})
    assert first == 2000 - CONTEXT and lines[0] == f"line {first}\n" and lines[-1] == f"line {2000 + CONTEXT}\n"
    assert note == f"lines {first}-{2000 + CONTEXT}"
    assert read_window(long, set())[2] == f"first {WHOLE_FILE} lines"
    _, tail, _ = read_window(long, {5001})
    assert len(tail[-1]) == MAX_LINE


def test_knowledge_citations_open_in_the_knowledge_base() -> None:
    from askzero.rag.sources import default_knowledge_dir

    if default_knowledge_dir() is None:
        pytest.skip("no knowledge base in this installation")
    session = Session(load_site("demo"), no_llm=True)
    excerpt = load_excerpt(session, {"file": "knowledge/dora.md", "lines": [10, 12]})
    assert excerpt.language == "markdown" and excerpt.cited == {10, 11, 12} and excerpt.lines
    assert load_excerpt(session, {"file": "knowledge"}).note.startswith("knowledge is a directory")
