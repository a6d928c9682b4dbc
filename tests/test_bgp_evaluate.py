"""Golden cases for bgpd filter evaluation, each checkable against bgpd.conf(5).

Line numbers ("man 1660") refer to ../shared/reference/man/bgpd.conf.5. Where the page is
silent the case cites the bgpd source that decides (rde_filter.c, rde_attr.c, rde_community.c).
Every configuration below is small enough to evaluate by hand: rules are numbered by their line.
"""

from __future__ import annotations

import pytest

from askzero.bgp import parse_bgp_text
from askzero.bgp.evaluate import Result, evaluate
from askzero.bgp.update import parse_update
from askzero.errors import UsageError

HEAD = """AS 64496
router-id 192.0.2.1
group "peers" {
	neighbor 192.0.2.2 {
		remote-as 64500
		descr "upstream"
	}
}
neighbor 192.0.2.3 {
	remote-as 64496
	descr "core"
}
neighbor 2001:db8::2 {
	remote-as 64501
	descr "v6peer"
}
"""
FIRST = HEAD.count("\n") + 1  # line number of the first rule appended after HEAD


def run(rules: str, update: str, head: str = HEAD) -> Result:
    return evaluate(parse_bgp_text(head + rules, "bgpd.conf"), parse_update(update))


def decided(res: Result) -> tuple[str, int | None]:
    """(decision, line of the deciding rule or None for the default)."""
    return res.decision, (res.rule.rule.source.line if res.rule else None)


def matched(res: Result) -> list[int]:
    return [h.rule.source.line for h in res.trace]


L1, L2, L3, L4 = FIRST, FIRST + 1, FIRST + 2, FIRST + 3


# -- the walk: man 1652-1660, 1673, 2084-2087, 2099 -------------------------------------

def test_default_is_deny_when_nothing_matches():
    # man 1660: "The default action is to deny."
    res = run("allow from any prefix 10.0.0.0/8\n", "from upstream prefix 198.51.100.0/24 as-path 64500")
    assert decided(res) == ("deny", None) and res.decided_by == "default" and res.trace == []
    assert run("", "from upstream prefix 198.51.100.0/24").decision == "deny"


def test_last_matching_rule_decides():
    # man 1655-1659: "The last matching allow or deny rule decides what action is taken."
    rules = "allow from any\ndeny from any prefix 10.0.0.0/8 or-longer\n"
    res = run(rules, "from upstream prefix 10.1.0.0/16 as-path 64500")
    assert decided(res) == ("deny", L2) and matched(res) == [L1, L2]
    assert decided(run(rules, "from upstream prefix 192.0.2.0/24 as-path 64500")) == ("allow", L1)


def test_quick_stops_the_walk():
    # man 2084-2087: a matching quick rule "is considered the last matching rule"
    rules = "deny quick from any prefix 10.0.0.0/8 or-longer\nallow from any\n"
    res = run(rules, "from upstream prefix 10.0.0.0/8 as-path 64500")
    assert decided(res) == ("deny", L1) and matched(res) == [L1]
    # a quick rule that does not match changes nothing
    assert decided(run(rules, "from upstream prefix 11.0.0.0/8 as-path 64500")) == ("allow", L2)


def test_match_rules_set_but_do_not_decide():
    # man 1673: match applies "the filter attribute set without influencing the filter decision"
    res = run("match from any set localpref 200\n", "from upstream prefix 192.0.2.0/24 as-path 64500")
    assert decided(res) == ("deny", None) and matched(res) == [L1]
    assert [(s.attribute, s.value) for s in res.final_sets()] == [("localpref", "200")]
    # a quick match rule ends the walk without deciding: the default stays
    res = run("match quick from any\nallow from any\n", "from upstream prefix 192.0.2.0/24")
    assert decided(res) == ("deny", None) and matched(res) == [L1]


def test_sets_of_every_matching_rule_accumulate_later_override():
    # man 2099: "The set of every matching rule is applied, not only the last matching one."
    rules = ("match from any set { localpref 200 community 64496:1 }\n"
             "match from any prefix 192.0.2.0/24 set { localpref 300 community 64496:2 }\n"
             "allow from any set metric 5\n")
    res = run(rules, "from upstream prefix 192.0.2.0/24 as-path 64500 community")
    final = {s.attribute: s.value for s in res.final_sets() if s.attribute != "community"}
    assert final == {"localpref": "300", "metric": "5"}
    assert [s.source.line for s in res.final_sets() if s.attribute == "localpref"] == [L2]
    assert [s.text for s in res.final_sets() if s.attribute == "community"] == ["community 64496:1",
                                                                                "community 64496:2"]
    assert res.state.to_dict()["communities"] == ["64496:1", "64496:2"]
    d = res.to_dict()
    assert d["decision"] == "allow" and d["rule"] == {"file": "bgpd.conf", "line": L3,
                                                      "text": "allow from any set { metric 5 }"}


def test_consecutive_rules_differing_only_in_sets_are_folded_as_bgpd_does():
    # bgpd merges them at load time (bgpd -nv prints one rule); the merged rule cites the first
    rules = "match from any set localpref 200\nmatch from any set localpref 300\n"
    res = run(rules, "from upstream prefix 192.0.2.0/24")
    assert matched(res) == [L1] and res.trace[0].text == "match from any set { localpref 300 }"


def test_later_rules_see_what_earlier_sets_did():
    # rde_filter.c applies each matching rule's set to the filter state before the next rule
    rules = "match from any set community 64496:7\ndeny from any community 64496:7\nallow from any\n"
    res = run(rules, "from upstream prefix 192.0.2.0/24 as-path 64500 community")
    assert decided(res) == ("allow", L3) and matched(res) == [L1, L2, L3]
    rules = "allow from any\nmatch from any set prepend-self 2\ndeny from any max-as-len 2\n"
    res = run(rules, "from upstream prefix 192.0.2.0/24 as-path 64500")
    assert decided(res) == ("deny", L3) and res.state.to_dict()["as_path"] == "64496 64496 64500"


# -- neighbors: man 1895-1925 -------------------------------------------------------

@pytest.mark.parametrize("peer,who,hit", [
    ("any", "upstream", True),                  # 1905 "Any neighbor will be matched."
    ("ebgp", "upstream", True), ("ebgp", "core", False),   # 1908-1913
    ("ibgp", "core", True), ("ibgp", "upstream", False),
    ("192.0.2.2", "upstream", True), ("192.0.2.2", "192.0.2.3", False),  # 1915 address
    ('group "peers"', "192.0.2.2", True), ('group "peers"', "core", False),  # 1917 group
    ("AS 64500", "upstream", True), ("AS 64500", "v6peer", False),  # 1919 AS
    ("{ 192.0.2.3, group peers }", "core", True), ("{ 192.0.2.3, group peers }", "v6peer", False),
])
def test_neighbor_selection(peer, who, hit):
    res = run(f"allow from {peer}\n", f"from {who} prefix 192.0.2.0/24 as-path 64500")
    assert res.decision == ("allow" if hit else "deny")


def test_direction_from_is_inbound_to_is_outbound():
    rules = "allow to any\n"
    assert run(rules, "to upstream prefix 192.0.2.0/24").decision == "allow"
    assert run(rules, "from upstream prefix 192.0.2.0/24").decision == "deny"


def test_neighbor_by_description_address_and_macro():
    rules = 'peer="192.0.2.2"\nallow from $peer\n'
    head = HEAD
    for who in ("upstream", "192.0.2.2"):
        assert run(rules, f"from {who} prefix 192.0.2.0/24", head).decision == "allow"
    with pytest.raises(UsageError):
        run(rules, "from nobody prefix 192.0.2.0/24")


# -- prefixes: man 2003-2066, 1929-1938 ---------------------------------------------

@pytest.mark.parametrize("spec,prefix,hit", [
    ("10.0.0.0/8", "10.0.0.0/8", True), ("10.0.0.0/8", "10.0.0.0/9", False),  # exact by default
    ("10.0.0.0/8 prefixlen = 24", "10.1.2.0/24", True), ("10.0.0.0/8 prefixlen = 24", "10.1.0.0/16", False),
    ("10.0.0.0/8 prefixlen 8 - 24", "10.1.0.0/16", True), ("10.0.0.0/8 prefixlen 8 - 24", "10.1.1.128/25", False),
    ("10.0.0.0/8 prefixlen 8 >< 12", "10.0.0.0/10", False), ("10.0.0.0/8 prefixlen 8 >< 12", "10.0.0.0/13", True),
    ("10.0.0.0/8 prefixlen > 16", "10.1.0.0/16", False), ("10.0.0.0/8 prefixlen > 16", "10.1.1.0/24", True),
    ("10.0.0.0/8 prefixlen >= 24", "10.1.1.0/24", True), ("10.0.0.0/8 prefixlen != 16", "10.1.0.0/16", False),
    ("10.0.0.0/8 prefixlen != 16", "10.1.0.0/17", True),
    ("10.0.0.0/8 or-longer", "10.255.0.0/16", True), ("10.0.0.0/8 or-longer", "11.0.0.0/16", False),
    ("10.0.0.0/8 maxlen 16", "10.1.0.0/16", True), ("10.0.0.0/8 maxlen 16", "10.1.0.0/17", False),
    ("10.0.0.0/8 or-longer", "2001:db8::/32", False),  # "don't use IPv4 rules for IPv6"
    ("{ 192.168.0.0/16, 10.0.0.0/8 or-longer }", "10.1.0.0/16", True),  # man 2009
])
def test_prefix_and_prefixlen_operators(spec, prefix, hit):
    res = run(f"allow from any prefix {spec}\n", f"from upstream prefix {prefix} as-path 64500")
    assert res.decision == ("allow" if hit else "deny")


@pytest.mark.parametrize("family,prefix,hit", [
    ("inet", "192.0.2.0/24", True), ("inet", "2001:db8::/32", False),   # 1934 inet = 0.0.0.0/0 prefixlen >= 0
    ("inet6", "2001:db8::/32", True), ("inet6", "0.0.0.0/0", False),
])
def test_inet_inet6(family, prefix, hit):
    assert run(f"allow from any {family}\n", f"from upstream prefix {prefix}").decision == ("allow" if hit else "deny")


PSET = ('prefix-set "mine" { 192.0.2.0/24, 198.51.100.0/22 prefixlen 23 - 24 }\n'
        'prefix-set "long" { 203.0.113.0/24 or-longer }\nprefix-set "plain" { 203.0.113.0/24 }\n')


@pytest.mark.parametrize("rule,prefix,hit", [
    ('prefix-set "mine"', "192.0.2.0/24", True), ('prefix-set "mine"', "192.0.2.0/25", False),
    ('prefix-set "mine"', "198.51.100.0/22", False), ('prefix-set "mine"', "198.51.102.0/23", True),
    ('prefix-set "plain" or-longer', "203.0.113.128/25", True),  # man 2070-2078
    ('prefix-set "plain"', "203.0.113.128/25", False), ('prefix-set "plain" or-longer', "203.0.0.0/16", False),
    ('prefix-set "long"', "203.0.113.64/26", True), ('prefix-set "long"', "203.0.0.0/16", False),
])
def test_prefix_sets(rule, prefix, hit):
    res = run(f"allow from any {rule}\n", f"from upstream prefix {prefix}", HEAD + PSET)
    assert res.decision == ("allow" if hit else "deny")


# -- AS path: man 1699-1752, 1940-1956 --------------------------------------------------

PATH = "as-path 64500 64510 65001"


@pytest.mark.parametrize("criterion,hit", [
    ("AS 64510", True), ("AS 64999", False),                       # 1709 any part
    ("peer-as 64500", True), ("peer-as 64510", False),             # 1711 leftmost
    ("source-as 65001", True), ("source-as 64510", False),         # 1713 rightmost
    ("transit-as 64510", True), ("transit-as 65001", False),       # 1715 all but the rightmost
    ("peer-as neighbor-as", True), ("source-as neighbor-as", False),  # 1721-1723
    ("AS 64512 - 65534", True), ("source-as 64512 - 65000", False),   # 1738 range
    ("source-as 64512 >< 65534", False), ("peer-as 64512 >< 65534", True),  # 1739 except range
    ("source-as != 65001", False), ("AS != 64500", True),
    ('source-as as-set "cust"', True), ('peer-as as-set "cust"', False),  # 1727 as-set
    ("AS { 1, 2, 65001 }", True), ("{ AS 1, source-as 65001 }", True), ("{ AS 1, transit-as 65001 }", False),
])
def test_as_path_criteria(criterion, hit):
    head = HEAD + 'as-set "cust" { 65001 65002 }\n'
    res = run(f"allow from any {criterion}\n", f"from upstream prefix 192.0.2.0/24 {PATH}", head)
    assert res.decision == ("allow" if hit else "deny")


def test_source_as_with_a_trailing_as_set():
    # rde_attr.c aspath_match: source-as is the rightmost AS of the last AS_SEQUENCE
    res = run("allow from any source-as 64510\n", "from upstream prefix 192.0.2.0/24 as-path 64500 64510 { 1 2 }")
    assert res.decision == "allow"


@pytest.mark.parametrize("criterion,path,hit", [
    ("max-as-len 2", "64500 64510", False), ("max-as-len 2", "64500 64510 64520", True),  # 1945 more than len
    ("max-as-len 2", "64500 { 1 2 3 }", False),   # an AS_SET counts as one hop
    ("max-as-seq 2", "64500 64500 64510", False), ("max-as-seq 2", "64500 64500 64500", True),  # 1954
])
def test_as_length_criteria(criterion, path, hit):
    res = run(f"allow from any\ndeny from any {criterion}\n", f"from upstream prefix 192.0.2.0/24 as-path {path}")
    assert res.decision == ("deny" if hit else "allow")


# -- communities: man 1769-1880, 1958-1969 ----------------------------------------------

@pytest.mark.parametrize("criterion,comms,hit", [
    ("community 64500:100", "community 64500:100", True), ("community 64500:100", "community 64500:101", False),
    ("community 64500:*", "community 64500:7", True), ("community *:100", "community 1:100", True),  # 1790 '*'
    ("community neighbor-as:100", "community 64500:100", True),   # 1808 neighbor's remote AS
    ("community local-as:1", "community 64496:1", True), ("community local-as:1", "community 64500:1", False),
    ("community NO_EXPORT", "community 65535:65281", True),       # 1794 well-known names
    ("community BLACKHOLE", "community BLACKHOLE", True), ("community BLACKHOLE", "community NO_EXPORT", False),
    ("large-community 64500:1:2", "large-community 64500:1:2", True),
    ("large-community 64500:*:*", "large-community 64500:9:9", True),
    ("large-community neighbor-as:1:*", "large-community 64501:1:0", False),
    ("ext-community rt 64500:100", "ext-community rt 64500:100", True),
    ("ext-community rt 64500:*", "ext-community rt 64500:5", True),
    ("ext-community rt *", "ext-community rt 10.0.0.1:5", True),   # wildcard on the subtype's value
    ("ext-community * *", "ext-community soo 1:1", True), ("ext-community * *", "community 1:1", False),
    ("ext-community soo 64500:100", "ext-community rt 64500:100", False),
    ("community 64500:100 community 64500:200", "community 64500:100 64500:200", True),  # all must match
    ("community 64500:100 community 64500:200", "community 64500:100", False),
    ("max-communities 1", "community 1:1 1:2", True), ("max-communities 1", "community 1:1", False),  # 1958
    ("max-large-communities 0", "large-community 1:1:1", True),
])
def test_community_criteria(criterion, comms, hit):
    res = run(f"allow from any {criterion}\n", f"from upstream prefix 192.0.2.0/24 as-path 64500 {comms}")
    assert res.decision == ("allow" if hit else "deny")
    assert res.uncertain == [] or not hit


def test_ext_community_ovs_and_non_transitive_drop():
    # 'ext-community ovs valid' is non-transitive: bgpd drops it from EBGP neighbors on receipt
    rules = "allow from any ext-community ovs valid\n"
    assert run(rules, "from core prefix 192.0.2.0/24 ext-community ovs valid").decision == "allow"
    res = run(rules, "from upstream prefix 192.0.2.0/24 ext-community ovs valid")
    assert res.decision == "deny" and any("non-transitive" in n for n in res.notes)


def test_communities_not_given_are_uncertain():
    res = run("deny from any community 64500:666\nallow from any\n", "from upstream prefix 192.0.2.0/24")
    assert res.decision == "allow" and not res.decision_certain
    assert res.uncertain == [f"bgpd.conf:{L1}: did not match, assuming no community values (community not given)"]


# -- validation states, origin-set, nexthop: man 1760-1767, 1972-1996 ---------------------

ROAS = ("roa-set { 192.0.2.0/24 source-as 64500, 198.51.100.0/22 maxlen 24 source-as 65001 }\n"
        'origin-set "ours" { 203.0.113.0/24 source-as 65001 }\n')


@pytest.mark.parametrize("update,state", [
    ("prefix 192.0.2.0/24 as-path 64500", "valid"),
    ("prefix 192.0.2.0/24 as-path 64500 64501", "invalid"),       # covered, wrong origin
    ("prefix 198.51.101.0/24 as-path 64500 65001", "valid"),      # within maxlen
    ("prefix 198.51.101.0/25 as-path 64500 65001", "invalid"),    # longer than maxlen
    ("prefix 203.0.113.0/24 as-path 64500 65001", "not-found"),   # origin-sets are not the roa-set
])
def test_ovs_computed_from_the_roa_set(update, state):
    rules = "allow from any ovs valid\nallow from any ovs invalid\nallow from any ovs not-found\n"
    res = run(rules, f"from upstream {update}", HEAD + ROAS)
    assert res.decision == "allow" and res.rule.text.strip().endswith(f"ovs {state}")
    assert res.uncertain == []


def test_ovs_given_and_avs_assumed_unknown():
    assert run("allow from any ovs invalid\n", "from upstream prefix 1.0.0.0/8 ovs invalid").decision == "allow"
    res = run("deny from any avs invalid\nallow from any\n", "from upstream prefix 1.0.0.0/8 as-path 64500")
    assert res.decision == "allow" and not res.decision_certain and "ASPA" in res.uncertain[0]
    assert run("allow from any avs valid\n", "from upstream prefix 1.0.0.0/8 avs valid").uncertain == []


def test_origin_set_matches_only_valid():
    rules = 'allow from any origin-set "ours"\n'
    head = HEAD + ROAS
    assert run(rules, "from upstream prefix 203.0.113.0/24 as-path 64500 65001", head).decision == "allow"
    assert run(rules, "from upstream prefix 203.0.113.0/24 as-path 64500 65002", head).decision == "deny"
    assert run(rules, "from upstream prefix 203.0.113.0/25 as-path 64500 65001", head).decision == "deny"


def test_nexthop_address_and_neighbor():
    assert run("allow from any nexthop 192.0.2.9\n",
               "from upstream prefix 1.0.0.0/8 nexthop 192.0.2.9").decision == "allow"
    # 1980: "the nexthop is compared against the address of the neighbor"
    rules = "allow from any nexthop neighbor\n"
    assert run(rules, "from upstream prefix 1.0.0.0/8 nexthop 192.0.2.2").decision == "allow"
    assert run(rules, "from upstream prefix 1.0.0.0/8 nexthop 192.0.2.9").decision == "deny"
    res = run(rules, "from upstream prefix 1.0.0.0/8")
    assert res.decision == "deny" and "nexthop not given" in res.uncertain[0]
    res = run("match from any set nexthop 192.0.2.77\nallow from any nexthop 192.0.2.77\n",
              "from upstream prefix 1.0.0.0/8")
    assert res.decision == "allow" and res.uncertain == []


# -- the rest -------------------------------------------------------------------------

def test_inbound_rib_selects_rules():
    head = HEAD + "rde rib second\n"
    rules = "allow rib second from any\nallow from any prefix 10.0.0.0/8\n"
    assert run(rules, "from upstream prefix 192.0.2.0/24", head).decision == "deny"
    assert run(rules, "from upstream prefix 192.0.2.0/24 rib second", head).decision == "allow"


def test_outbound_notes_export_none_and_no_export():
    head = HEAD.replace('descr "core"', 'descr "core"\n\texport none')
    res = run("allow to any\n", "to core prefix 192.0.2.0/24", head)
    assert res.decision == "allow" and any("export none" in n for n in res.notes)
    res = run("allow to any\n", "to upstream prefix 192.0.2.0/24 community NO_EXPORT")
    assert any("NO_EXPORT" in n for n in res.notes)


def test_outbound_prepend_neighbor_is_uncertain():
    res = run("allow to any set prepend-neighbor 2\n", "to upstream prefix 192.0.2.0/24 as-path 64501")
    assert res.decision == "allow" and res.uncertain and not res.sets_certain


def test_template_neighbor_clone():
    head = HEAD + 'group "dyn" {\n\tneighbor 10.9.0.0/16 {\n\t\tremote-as 65100\n\t}\n}\n'
    res = run('allow from group "dyn"\n', "from 10.9.1.1 prefix 192.0.2.0/24", head)
    assert res.decision == "allow" and "template" in res.notes[0]


def test_bad_update_descriptions():
    for bad in ("upstream prefix 1.0.0.0/8", "from upstream", "from upstream prefix 1.0.0.0",
                "from upstream prefix 1.0.0.0/8 community 64500:*", "from upstream prefix 1.0.0.0/8 ovs maybe",
                "from upstream prefix 1.0.0.0/8 as-path 1 { 2", "from upstream prefix 1.0.0.0/8 colour red"):
        with pytest.raises(UsageError):
            parse_update(bad)


def test_json_shape():
    res = run("allow from any prefix 10.0.0.0/8 or-longer set localpref 5\n",
              "from upstream prefix 10.0.0.0/8 as-path 64500")
    d = res.to_dict()
    assert {"decision", "rule", "trace", "set", "uncertain"} <= set(d)
    assert d["rule"] == {"file": "bgpd.conf", "line": L1,
                         "text": "allow from any prefix 10.0.0.0/8 or-longer set { localpref 5 }"}
    assert d["set"] == [{"attribute": "localpref", "action": "localpref 5", "value": "5",
                         "file": "bgpd.conf", "line": L1}]


# -- property: evaluation never crashes on the regress suite's configurations ------------

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from askzero.bgp.addr import AID_INET, AID_INET6, Addr  # noqa: E402
from askzero.bgp.community import TYPE_BASIC, TYPE_EXT, TYPE_LARGE, Community  # noqa: E402
from askzero.bgp.evaluate import Evaluator, describe  # noqa: E402
from askzero.bgp.model import DIR_IN, DIR_OUT  # noqa: E402
from askzero.bgp.update import AS_SEQUENCE, AS_SET_SEGMENT, Update  # noqa: E402
from askzero.errors import ConfigError  # noqa: E402
from conftest import ROOT, SHARED  # noqa: E402

SUITE = SHARED / "conformance" / "bgpd"


def _load_suite() -> list[tuple[str, Evaluator]]:
    """Every parse-only configuration of the regress suite (integrationtests-confs) and the
    printconf cases, parsed as tools/bgp_conformance.py parses them."""
    spec = importlib.util.spec_from_file_location("bgp_conformance", ROOT / "tools" / "bgp_conformance.py")
    if spec is None or spec.loader is None or not SUITE.is_dir():
        return []
    tool = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bgp_conformance", tool)
    spec.loader.exec_module(tool)
    from askzero.bgp import parse_bgp

    out = []
    paths = sorted((SUITE / "integrationtests-confs").glob("*.conf")) + sorted(SUITE.glob("bgpd.conf.*.in"))
    with tempfile.TemporaryDirectory(prefix="askzero-bgp-eval-") as tmp:
        for path in paths:
            try:
                conf = parse_bgp(str(path), tool._stub_resolver(path.parent, Path(tmp)), tool.DEFINES.get(path.name))
            except ConfigError:
                continue  # the .in cases include configurations bgpd refuses
            if conf.peers:
                out.append((path.name, Evaluator(conf)))
    return out


SUITE_CONFIGS = _load_suite()
ASNS = st.one_of(st.sampled_from([0, 1, 23456, 64496, 64500, 65001, 4200000001, 4200000002, 4294967295]),
                 st.integers(0, 2**32 - 1))
SEGMENTS = st.lists(st.tuples(st.sampled_from([AS_SEQUENCE, AS_SEQUENCE, AS_SET_SEGMENT]),
                              st.lists(ASNS, min_size=0, max_size=4).map(tuple)), max_size=4).map(tuple)
COMMUNITY = st.one_of(
    st.builds(lambda a, b: Community(TYPE_BASIC, a, b), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
    st.builds(lambda a, b, c: Community(TYPE_LARGE, a, b, c), ASNS, ASNS, ASNS),
    st.builds(lambda t, a, b: Community(TYPE_EXT, a, b, t), st.sampled_from([0x0002, 0x0203, 0x0102, 0x4300, 0x030c]),
              st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)))


@st.composite
def updates(draw):
    name, ev = draw(st.sampled_from(SUITE_CONFIGS))
    peer = draw(st.sampled_from(ev.conf.neighbors()))
    aid = draw(st.sampled_from([AID_INET, AID_INET6]))
    width = 4 if aid == AID_INET else 16
    raw = draw(st.binary(min_size=width, max_size=width))
    plen = draw(st.integers(0, width * 8))
    given = draw(st.sets(st.sampled_from(["as-path", "community", "large-community", "ext-community",
                                          "nexthop", "ovs", "avs"])))
    nexthop = Addr(aid, draw(st.binary(min_size=width, max_size=width))) if "nexthop" in given else None
    up = Update(draw(st.sampled_from([DIR_IN, DIR_OUT])), peer.address, Addr(aid, raw), plen,
                as_path=draw(SEGMENTS) if "as-path" in given else None,
                communities=tuple(sorted(set(draw(st.lists(COMMUNITY, max_size=6))))),
                given=frozenset(given), nexthop=nexthop,
                ovs=draw(st.integers(0, 2)) if "ovs" in given else None,
                avs=draw(st.integers(0, 2)) if "avs" in given else None,
                localpref=draw(st.none() | st.integers(0, 2**32 - 1)), med=draw(st.none() | st.integers(0, 2**32 - 1)))
    return name, ev, up


@pytest.mark.skipif(not SUITE_CONFIGS, reason="no ../shared/conformance/bgpd")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=updates())
def test_evaluation_never_crashes_on_suite_configs(case):
    name, ev, up = case
    res = ev.evaluate(up)
    assert res.decision in ("allow", "deny"), name
    assert (res.rule is None) == (res.decided_by == "default")
    json.dumps(res.to_dict())
    assert describe(res)


def test_suite_configs_are_loaded():
    if not SUITE.is_dir():
        pytest.skip("no ../shared/conformance/bgpd")
    assert len(SUITE_CONFIGS) >= 40


# -- around the filters: bgpd.conf(5) 1301-1332 ----------------------------------------

def test_enforce_neighbor_as_and_loop_notes():
    res = run("allow from any\n", "from upstream prefix 192.0.2.0/24 as-path 64501 64496")
    assert any("enforce neighbor-as" in n for n in res.notes)
    assert any("contains our AS 64496" in n for n in res.notes)
    assert run("allow from any\n", "from upstream prefix 192.0.2.0/24 as-path 64500").notes == []


# -- the command line -----------------------------------------------------------------

DEMO_CONF = str(ROOT / "askzero" / "demo" / "etc" / "bgpd.conf")


def test_cli_json(capsys):
    from askzero.cli.main import main

    code = main(["bgp", "test", "--json", DEMO_CONF,
                 "from upstream-a prefix 203.0.113.0/24 as-path 64501 64511 community 64501:100"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["decision"] == "allow" and data["rule"]["line"] == 92
    assert data["rule"]["text"] == "allow from any prefix 0.0.0.0/0 prefixlen 8 - 24 "
    assert [t["line"] for t in data["trace"]] == [77, 88, 92, 95]
    assert {"attribute": "localpref", "action": "localpref 120", "value": "120",
            "file": DEMO_CONF, "line": 95} in data["set"]
    # the demo takes ROAs from an RTR session as well: 'ovs invalid' cannot be ruled out
    assert any("RTR" in u for u in data["uncertain"]) and not data["decision_certain"]


def test_cli_text_and_errors(capsys):
    from askzero.cli.main import main

    assert main(["bgp", "test", DEMO_CONF, "from upstream-b prefix 10.0.0.0/8 as-path 64502"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"deny by rule {DEMO_CONF}:98: deny quick from any prefix-set \"bogons\"")
    assert main(["bgp", "test", DEMO_CONF, "from nobody prefix 10.0.0.0/8"]) == 2
    assert "no neighbor 'nobody'" in capsys.readouterr().err


def test_a_certain_miss_is_not_uncertain():
    # the prefix already rules the rule out: the missing communities do not matter
    res = run("deny from any prefix 10.0.0.0/8 community 64500:666\nallow from any\n",
              "from upstream prefix 192.0.2.0/24")
    assert res.decision == "allow" and res.uncertain == [] and res.decision_certain


def test_quoted_description_and_ipv6():
    head = HEAD.replace('descr "v6peer"', 'descr "v6 peer one"')
    rules = "allow from any inet6 prefixlen 19 - 48\n"
    res = run(rules, "from 'v6 peer one' prefix 2001:db8:100::/40 as-path 64501", head)
    assert res.decision == "allow" and res.neighbor.address == "2001:db8::2"
    assert run(rules, "from 2001:db8::2 prefix 2001:db8::/64 as-path 64501").decision == "deny"


UPDATE_WORDS = ["from", "to", "upstream", "core", "192.0.2.2", "prefix", "10.0.0.0/8", "2001:db8::/33", "10/8",
                "as-path", "64500", "{", "}", "{1", "2}", "1.10", "community", "64500:1", "NO_EXPORT", "*:*",
                "large-community", "1:2:3", "ext-community", "rt", "soo", "ovs", "valid", "64500:100",
                "nexthop", "192.0.2.9", "avs", "unknown", "localpref", "med", "rib", "Loc-RIB", "'", ",", "x"]


FUZZ_CONF = parse_bgp_text(HEAD + "allow from any community 64500:1\nallow to any\n", "bgpd.conf")


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(UPDATE_WORDS), max_size=14))
def test_update_text_raises_only_usage_errors(words):
    try:
        evaluate(FUZZ_CONF, parse_update(" ".join(words)))
    except UsageError:
        pass
