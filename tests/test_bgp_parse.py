"""bgpd.conf parsing and printing on small configurations written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from askzero.bgp import parse_bgp, parse_bgp_text, plain_resolver, print_config
from askzero.bgp.printer import bsd_qsort
from askzero.cli.bgp_cmd import bgp
from askzero.errors import ConfigError
from conftest import DEMO

HEAD = "AS 64500\nrouter-id 192.0.2.10\n"


def show(text: str, **kw: object) -> str:
    return print_config(parse_bgp_text(text, "t.conf", **kw))  # type: ignore[arg-type]


def errors(text: str, **kw: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_bgp_text(text, "t.conf", **kw)  # type: ignore[arg-type]
    return [str(i) for i in info.value.issues]


def body(out: str) -> list[str]:
    """The printed lines after the rib section (neighbors and rules)."""
    return out.split("rde rib Loc-RIB rtable 0 fib-update yes\n\n", 1)[1].splitlines()


# -- global settings and macros -------------------------------------------------------------

def test_minimal_config_prints_bgpd_defaults():
    out = show("AS 65001\n")
    assert out == ('AS 65001\nrouter-id 127.0.0.1\nsocket "/var/run/bgpd.sock.0"\n'
                   "listen on 0.0.0.0\nlisten on ::\n\n\n"
                   "rde rib Adj-RIB-In no evaluate\nrde rib Loc-RIB rtable 0 fib-update yes\n\n")


def test_globals_asdot_and_non_default_values():
    out = show("AS 1.10\nrouter-id 10.0.0.1\nholdtime 30\nholdtime min 5\nlog updates\n"
               "listen on 192.0.2.1\nfib-update no\nnexthop qualify via default\nrde med compare always\n")
    lines = out.splitlines()
    assert lines[:8] == ["AS 65546", "router-id 10.0.0.1", 'socket "/var/run/bgpd.sock.0"', "holdtime 30",
                         "holdtime min 5", "rde med compare always", "log updates", "listen on 192.0.2.1"]
    assert "nexthop qualify via default" in lines
    assert "rde rib Loc-RIB rtable 0 fib-update no" in lines


def test_macros_are_echoed_and_expanded_lazily():
    text = 'peer = "192.0.2.1"\nremote = "64501"\nAS 64500\nneighbor $peer {\n\tremote-as $remote\n}\n'
    out = show(text)
    assert out.startswith('peer = "192.0.2.1"\nremote = "64501"\nAS 64500\n')
    assert "neighbor 192.0.2.1 {\n\tremote-as 64501\n" in out


def test_macro_holding_a_list_expands_to_one_rule_per_item_in_bgpd_order():
    text = HEAD + 'nets = "{ 10.0.0.0/8 172.16.0.0/12 }"\nallow from any prefix $nets\n'
    assert body(show(text)) == ["allow from any prefix 172.16.0.0/12 ", "allow from any prefix 10.0.0.0/8 "]


def test_line_continuation_and_comments():
    out = show("AS \\\n 64500 # the AS\n# a comment\nholdtime 60\n")
    assert out.startswith("AS 64500\n") and "holdtime 60\n" in out


def test_command_line_macros_cannot_be_redefined():
    out = show('A = "65002"\nAS $A\n', macros={"A": "65001"})
    assert out.startswith('A = "65002"\nAS 65001\n')


# -- includes --------------------------------------------------------------------------------

def test_include_reads_the_file_and_errors_cite_it(tmp_path: Path):
    (tmp_path / "peers.conf").write_text('neighbor 192.0.2.1 {\n\tremote-as 64501\n\tdescr "up"\n}\n')
    (tmp_path / "bgpd.conf").write_text('AS 64500\ninclude "peers.conf"\nallow from 192.0.2.1\n')
    conf = parse_bgp("bgpd.conf", plain_resolver(tmp_path))
    assert conf.files == ["bgpd.conf", "peers.conf"]
    peer = conf.neighbor("192.0.2.1")
    assert peer is not None and peer.source is not None
    assert (peer.source.file, peer.source.line) == ("peers.conf", 1)
    assert conf.filters[0].source is not None and conf.filters[0].source.line == 3

    (tmp_path / "peers.conf").write_text("neighbor 192.0.2.1 {\n\tremote-as 0\n}\n")
    with pytest.raises(ConfigError) as info:
        parse_bgp("bgpd.conf", plain_resolver(tmp_path))
    # the peer is still checked after the bad option, and the rule then names no peer, as in bgpd
    assert [str(i) for i in info.value.issues] == ["peers.conf:2: AS 0 is reserved and may not be used",
                                                   "peers.conf:3: peer AS may not be zero",
                                                   "bgpd.conf:3: no such peer: 192.0.2.1"]


def test_missing_include_is_an_error():
    assert errors('AS 1\ninclude "/nonexistent/x.conf"\n') == ["t.conf:2: failed to include file /nonexistent/x.conf"]


# -- neighbors and groups --------------------------------------------------------------------

def test_neighbors_inherit_group_settings_at_declaration():
    text = HEAD + ('group "up" {\n\tremote-as 64501\n\tlocal-address 192.0.2.10\n\tholdtime 30\n'
                   '\tneighbor 198.51.100.1 {\n\t\tdescr "a"\n\t\tholdtime 60\n\t}\n'
                   '\tneighbor 198.51.100.2\n\tmultihop 3\n\tneighbor 198.51.100.3\n}\n')
    conf = parse_bgp_text(text, "t.conf")
    a, b, c = (conf.neighbor(f"198.51.100.{i}") for i in (1, 2, 3))
    assert a and b and c
    assert (a.remote_as, a.holdtime, str(a.local_addr_v4), a.group) == (64501, 60, "192.0.2.10", "up")
    assert (b.holdtime, b.distance) == (30, 1)
    assert c.distance == 3
    out = print_config(conf)
    assert out.count('group "up" {') == 1
    assert '\tneighbor 198.51.100.1 {\n\t\tdescr "a"\n\t\tremote-as 64501\n\t\tlocal-address 192.0.2.10\n' in out


def test_ibgp_neighbor_and_group_set_rules():
    text = HEAD + ('group "ibgp" {\n\tremote-as 64500\n\tset localpref 200\n'
                   '\tneighbor 192.0.2.2\n}\nneighbor 192.0.2.3 {\n\tremote-as 64503\n\tset nexthop self\n}\n')
    out = show(text)
    assert "\t\tenforce neighbor-as no\n" in out
    assert 'match from group "ibgp" set { localpref 200 }' in out
    assert "match to 192.0.2.3 set { nexthop self }" in out


def test_openbsd_qsort_order_of_ungrouped_neighbors():
    # bgpd sorts peers by group id with the libc qsort, which is not stable
    ids = [(i, 1 if i < 6 else 0) for i in range(12)]
    bsd_qsort(ids, lambda a, b: a[1] - b[1])
    assert [i for i, _ in ids] == [11, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5]


# -- filters ---------------------------------------------------------------------------------

def test_filter_rules_print_normalised():
    text = HEAD + ("prefix-set mine { 192.0.2.0/24 }\nas-set bad { 64496 64497 }\n"
                   "allow to ebgp prefix-set mine large-community local-as:1:1\n"
                   "deny quick from ebgp prefix-set mine or-longer\n"
                   "allow from any inet prefixlen 8 - 24\n"
                   "deny quick from any AS 64512 - 131071\n"
                   "deny from any source-as as-set bad\n"
                   "match from any community GRACEFUL_SHUTDOWN set { localpref 0 }\n"
                   "deny from any max-as-len 100\n")
    assert body(show(text)) == [
        'allow to ebgp prefix-set "mine" large-community local-as:1:1 ',
        'deny quick from ebgp prefix-set "mine" or-longer ',
        "allow from any prefix 0.0.0.0/0 prefixlen 8 - 24 ",
        "deny quick from any AS 64512 - 131071 ",
        'deny from any source-as as-set "bad" ',
        "match from any community 65535:0 set { localpref 0 }",
        "deny from any max-as-len 100 ",
    ]


def test_consecutive_set_only_rules_are_folded_and_sorted():
    text = HEAD + "match from any set community 1:2\nmatch from any set { localpref 5 community delete 1:* }\n"
    assert body(show(text)) == ["match from any set { localpref 5 community delete 1:* community 1:2 }"]


# -- errors ----------------------------------------------------------------------------------

def test_errors_are_collected_with_bgpd_wording_and_lines():
    text = ("AS 64500\n"
            "holdtime 1\n"
            "neighbor 192.0.2.1 {\n"
            "\tremote-as 64501\n"
            "\tmultihop 300\n"
            "}\n"
            "allow from 203.0.113.9\n"
            "log updates\n"
            "frobnicate\n"
            "match from any set community *:1\n")
    assert errors(text) == [
        "t.conf:2: holdtime must be between 3 and 65535",
        "t.conf:5: invalid multihop distance 300",
        "t.conf:7: no such peer: 203.0.113.9",
        "t.conf:9: syntax error",
        "t.conf:10: '*' is not allowed in set community",
    ]


def test_syntax_errors_right_after_an_error_are_not_reported_as_yacc_does():
    assert errors("AS 1\nholdtime 1\nfrobnicate\n") == ["t.conf:2: holdtime must be between 3 and 65535"]


def test_missing_as_and_undefined_macro():
    assert errors("router-id 10.0.0.1\nneighbor $p\n") == [
        "t.conf:2: macro 'p' not defined", "t.conf:2: syntax error", "t.conf:0: configuration error: AS not given"]


def test_duplicate_neighbor_and_prefix_set():
    text = HEAD + ("neighbor 192.0.2.1 { remote-as 1 }\nneighbor 192.0.2.1 {\n\tremote-as 2\n}\n"
                   "prefix-set a { }\nprefix-set a { }\n")
    assert errors(text) == ["t.conf:6: duplicate neighbor 192.0.2.1", 't.conf:8: prefix-set "a" already exists']


# -- the demo site ---------------------------------------------------------------------------

def test_demo_bgpd_conf():
    conf = parse_bgp(str(DEMO / "etc/bgpd.conf"))
    assert (conf.as_, str(conf.router_id)) == (64500, "192.0.2.10")
    a, b = conf.neighbor("198.51.100.1"), conf.neighbor("192.0.2.1")
    assert a is not None and b is not None
    assert (a.descr, a.remote_as, a.distance, a.group, a.max_prefix, a.max_prefix_restart) == (
        "upstream-a", 64501, 2, "upstreams", 1100000, 15)
    assert (b.descr, b.remote_as, b.distance) == ("upstream-b", 64502, 1)
    assert a.ebgp and b.ebgp
    assert len(conf.roas) == 3
    out = print_config(conf)
    assert "roa-set {\n\t192.0.2.0/24 source-as 64500\n\t198.51.100.0/24 source-as 64501\n" in out
    assert 'rtr 127.0.0.1 {\n\tdescr "stayrtr on gw1"\n\tport 3323\n}\n' in out
    assert "deny quick from ebgp ovs invalid \n" in out
    assert conf.to_dict()["neighbors"][0]["address"] == "198.51.100.1"


# -- the command line ------------------------------------------------------------------------

def test_cli_show_and_check(tmp_path: Path):
    runner = CliRunner()
    res = runner.invoke(bgp, ["show", str(DEMO / "etc/bgpd.conf")])
    assert res.exit_code == 0 and res.output.startswith('ASN = "64500"\nAS 64500\n')
    res = runner.invoke(bgp, ["show", "-"], input="AS 65000\n")
    assert res.exit_code == 0 and res.output.startswith("AS 65000\n")
    res = runner.invoke(bgp, ["check", str(DEMO / "etc/bgpd.conf")])
    assert res.exit_code == 0 and "configuration OK" in res.output


def test_cli_errors_raise_config_error_citing_stdin():
    runner = CliRunner()
    res = runner.invoke(bgp, ["show", "-"], input="")
    assert isinstance(res.exception, ConfigError)
    assert [str(i) for i in res.exception.issues] == ["stdin:0: configuration error: AS not given"]
    res = runner.invoke(bgp, ["check", "-"], input="AS 1\nholdtime 1\n")
    assert isinstance(res.exception, ConfigError)
    assert str(res.exception) == "stdin:2: holdtime must be between 3 and 65535"
