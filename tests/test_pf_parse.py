from __future__ import annotations

import pytest

from askzero.errors import ConfigError
from askzero.pf.printer import rule_text
from pfhelpers import load


def texts(config):
    return [rule_text(r) for r in config.main.rules]


def test_macros_and_lists_expand_in_pfctl_order(tmp_path):
    cfg = load(tmp_path, 'ports = "{ ssh, 8443 }"\nsrcs = "{ 10.0.0.1 10.0.0.2 }"\n'
                         "pass in proto tcp from $srcs to any port $ports\n")
    assert texts(cfg) == [
        "pass in inet proto tcp from 10.0.0.1 to any port = 22 flags S/SA",
        "pass in inet proto tcp from 10.0.0.1 to any port = 8443 flags S/SA",
        "pass in inet proto tcp from 10.0.0.2 to any port = 22 flags S/SA",
        "pass in inet proto tcp from 10.0.0.2 to any port = 8443 flags S/SA",
    ]
    assert [r.number for r in cfg.main.rules] == [0, 1, 2, 3]


def test_address_family_conflicts_are_dropped_and_af_inferred(tmp_path):
    cfg = load(tmp_path, "pass from { 10.0.0.1 2001:db8::1 } to 192.0.2.1\n")
    assert texts(cfg) == ["pass inet from 10.0.0.1 to 192.0.2.1 flags S/SA"]


def test_interface_network_and_antispoof_use_host_profile(tmp_path):
    cfg = load(tmp_path, "antispoof quick for em1\npass in on em1 from em1:network\n")
    assert texts(cfg) == [
        "block drop in quick on ! em1 inet from 10.10.0.0/24 to any",
        "block drop in quick inet from 10.10.0.1 to any",
        "pass in on em1 inet from 10.10.0.0/24 to any flags S/SA",
    ]


def test_inline_anchor_numbers_restart_and_keep_sources(tmp_path):
    cfg = load(tmp_path, "block all\nanchor \"feeds\" on egress {\n  table <t> { 192.0.2.1 }\n"
                         "  block in quick from <t>\n  pass out\n}\npass out\n")
    anchor = cfg.main.rules[1]
    assert anchor.number == 1 and anchor.anchor is not None
    assert [(r.number, r.source.line, r.path) for r in anchor.anchor.rules] == [(0, 4, "feeds"), (1, 5, "feeds")]
    assert "t" in anchor.anchor.tables and "t" not in cfg.main.tables
    assert cfg.main.rules[2].number == 2


def test_table_file_entries_keep_file_and_line(tmp_path):
    cfg = load(tmp_path, 'table <bad> persist file "bad.txt"\n', **{"bad.txt": "# header\n10.0.0.0/8\n!10.1.2.3  # ok\n"})
    entries = cfg.main.tables["bad"].entries
    assert [(str(e.net), e.negated, e.source.file, e.source.line, e.comment) for e in entries] == [
        ("10.0.0.0/8", False, "bad.txt", 2, ""), ("10.1.2.3/32", True, "bad.txt", 3, "ok")]


def test_errors_are_collected_with_lines(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, "pass in\nfrobnicate all\npass out\npass to $nope\nblock in quick bogus\n")
    assert [(i.line, i.message) for i in info.value.issues] == [
        (2, "syntax error"), (4, "macro 'nope' not defined"), (5, "syntax error")]
    assert str(info.value.issues[0]) == "pf.conf:2: syntax error"


def test_include_reads_other_files(tmp_path):
    cfg = load(tmp_path, 'include "more.conf"\npass out\n', **{"more.conf": "block in\n"})
    assert [(rule_text(r), str(r.source)) for r in cfg.main.rules] == [
        ("block drop in all", "more.conf:1"), ("pass out all flags S/SA", "pf.conf:2")]


def test_missing_table_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, 'table <x> file "nope.txt"\n')
    assert info.value.issues[0].line == 1 and "nope.txt" in info.value.issues[0].message


def test_optimizer_combines_long_address_runs_into_a_table(tmp_path):
    from askzero.pf.optimize import combine_tables

    six = load(tmp_path, "pass from { 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 }\n")
    combine_tables(six.main, [0])
    (rule,) = six.main.rules
    assert rule.src.kind == "table" and len(six.main.tables[rule.src.name].entries) == 6
    five = load(tmp_path, "pass from { 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 }\n")
    combine_tables(five.main, [0])
    assert len(five.main.rules) == 5


def _issues(tmp_path, text: str, **files: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, **files)
    return [str(i) for i in info.value.issues]


def test_error_at_a_statement_end_does_not_swallow_the_next_line(tmp_path):
    assert _issues(tmp_path, 'e = ""\npass in rdr-to $e\npass in rdr-to $e\npass\n') == [
        "pf.conf:2: syntax error", "pf.conf:3: syntax error"]


def test_expansion_errors_are_reported_where_the_statement_ends(tmp_path):
    assert _issues(tmp_path, "pass out proto icmp from any port 80 \\\n to any\n")[0] == \
        "pf.conf:2: port only applies to tcp/udp"


def test_table_file_names_resolve_or_are_bad_data(tmp_path):
    cfg = load(tmp_path, 'table <t> file "t.txt"\n', **{"t.txt": "10/8 em1 localhost\n"})
    assert [str(e.net) for e in cfg.main.tables["t"].entries] == ["10.0.0.0/8", "10.10.0.1/32", "127.0.0.1/32", "::1/128"]
    assert _issues(tmp_path, 'table <t> file "t.txt"\n', **{"t.txt": "nosuchhost\n"}) == [
        "no IP address found for nosuchhost", 'pf.conf:1: file "t.txt" contains bad data']


def test_interface_broadcast_and_unknown_ports(tmp_path):
    cfg = load(tmp_path, "pass in to em1:broadcast\n")
    assert [rule_text(r) for r in cfg.main.rules] == ["pass in inet from any to 10.10.0.255 flags S/SA"]
    assert _issues(tmp_path, "pass proto tcp to port nosuch\n") == ["pf.conf:1: unknown port nosuch"]


def test_untrusted_input_is_bounded(tmp_path):
    text = 'm0 = "1.2.3.4 5.6.7.8"\n' + "".join(
        f'm{i} = "' + " ".join([f"$m{i - 1}"] * 6) + '"\n' for i in range(1, 4)) + "pass from { $m3 } to { $m3 }\n"
    assert "more than 100000" in _issues(tmp_path, text)[0]
    assert "anchors too deep" in " ".join(_issues(tmp_path, "anchor in {\n" * 70))
