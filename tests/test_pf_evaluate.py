"""Evaluation points of pf.conf(5), each checked on a small ruleset."""

from __future__ import annotations

import ipaddress

from askzero.errors import ConfigError
from askzero.pf.afto import embed_rfc6052
from pfhelpers import load, verdict


def test_last_matching_rule_wins(tmp_path):
    v = verdict(tmp_path, "block in all\npass in proto tcp to port 22\n",
                "in on em0 proto tcp from 198.51.100.1 port 4000 to 192.0.2.10 port 22")
    assert (v.action, v.decision, v.pflog_ref) == ("pass", "rule", "1")
    assert [m.ref for m in v.trace] == ["0", "1"]


def test_quick_stops_evaluation(tmp_path):
    v = verdict(tmp_path, "block in quick proto tcp to port 22\npass in all\n",
                "in on em0 proto tcp from 198.51.100.1 port 4000 to 192.0.2.10 port 22")
    assert (v.action, v.pflog_ref) == ("block", "0")


def test_default_is_pass_without_rule(tmp_path):
    v = verdict(tmp_path, "block out all\n", "in on em0 proto udp from 198.51.100.1 port 53 to 192.0.2.10 port 53")
    assert (v.action, v.decision, v.rule) == ("pass", "default", None)
    assert v.to_dict()["rule"] is None


def test_set_skip_reports_its_line(tmp_path):
    v = verdict(tmp_path, "block all\nset skip on lo\n", "in on lo0 proto tcp from 127.0.0.1 port 1 to 127.0.0.1 port 2")
    assert v.decision == "skip" and v.to_dict()["rule"]["line"] == 2


def test_table_longest_prefix_with_negation(tmp_path):
    conf = "table <t> { 10.0.0.0/8 !10.1.2.3 }\nblock in quick from <t>\n"
    blocked = verdict(tmp_path, conf, "in on em0 proto tcp from 10.9.9.9 port 1 to 192.0.2.10 port 22")
    excluded = verdict(tmp_path, conf, "in on em0 proto tcp from 10.1.2.3 port 1 to 192.0.2.10 port 22")
    assert blocked.action == "block" and excluded.action == "pass"
    assert excluded.tables[0].entry is not None and excluded.tables[0].entry.negated


def test_anchor_rules_are_numbered_as_pflog_prints_them(tmp_path):
    conf = "block all\nanchor \"feeds\" on egress {\n table <f> { 203.0.113.7 }\n block in quick from <f>\n}\n"
    v = verdict(tmp_path, conf, "in on em0 proto tcp from 203.0.113.7 port 1 to 192.0.2.10 port 22")
    assert (v.action, v.pflog_ref) == ("block", "1.feeds.0")
    assert v.rule is not None and v.rule.rule.source.line == 4


def test_anchor_filter_criteria_limit_its_rules(tmp_path):
    conf = "anchor \"x\" on em1 {\n block in quick all\n}\n"
    v = verdict(tmp_path, conf, "in on em0 proto tcp from 203.0.113.7 port 1 to 192.0.2.10 port 22")
    assert v.decision == "default"


def test_egress_group_and_dynamic_interface_address(tmp_path):
    conf = "block in all\npass in on egress proto tcp to (egress) port 22\n"
    hit = verdict(tmp_path, conf, "in on em0 proto tcp from 198.51.100.1 port 1 to 192.0.2.10 port 22")
    miss = verdict(tmp_path, conf, "in on em0 proto tcp from 198.51.100.1 port 1 to 192.0.2.99 port 22")
    assert hit.action == "pass" and miss.action == "block"


def test_match_nat_changes_what_later_rules_see(tmp_path):
    conf = ("match out on egress inet from 10.10.0.0/24 nat-to (egress:0)\n"
            "block out all\npass out from 192.0.2.10\n")
    v = verdict(tmp_path, conf, "out on em0 proto tcp from 10.10.0.23 port 5000 to 198.51.100.7 port 443")
    assert v.action == "pass" and v.pflog_ref == "2"
    assert v.final_flow is not None and str(v.final_flow.src) == "192.0.2.10"


def test_stateful_pass_needs_syn(tmp_path):
    conf = "block in all\npass in proto tcp to port 22\n"
    v = verdict(tmp_path, conf, "in on em0 proto tcp from 198.51.100.1 port 1 to 192.0.2.10 port 22 flags A")
    assert v.action == "block"


def test_user_rules_are_uncertain_without_socket_owner(tmp_path):
    v = verdict(tmp_path, "block out all\npass out proto tcp user root\n",
                "out on em0 proto tcp from 192.0.2.10 port 5000 to 198.51.100.7 port 443")
    assert v.action == "block" and v.uncertain


def test_tags_and_tagged(tmp_path):
    conf = "match in on em1 tag LAN\nblock all\npass out tagged LAN\n"
    v = verdict(tmp_path, conf, "out on em0 proto tcp from 10.10.0.5 port 5000 to 198.51.100.7 port 443 tagged LAN")
    assert v.action == "pass"
    v = verdict(tmp_path, conf, "out on em0 proto tcp from 10.10.0.5 port 5000 to 198.51.100.7 port 443")
    assert v.action == "block"


def test_address_ranges_include_both_ends(tmp_path):
    conf = "block in all\npass in from 10.1.2.3 - 10.1.2.9\n"
    inside = verdict(tmp_path, conf, "in on em0 proto tcp from 10.1.2.9 port 1 to 192.0.2.10 port 22")
    outside = verdict(tmp_path, conf, "in on em0 proto tcp from 10.1.2.10 port 1 to 192.0.2.10 port 22")
    assert (inside.action, outside.action) == ("pass", "block")


def test_user_rules_match_the_socket_owner(tmp_path):
    conf = "block out all\npass out proto tcp user root\n"
    flow = "out on em0 proto tcp from 192.0.2.10 port 5000 to 198.51.100.7 port 443"
    assert verdict(tmp_path, conf, flow + " user root").action == "pass"
    assert verdict(tmp_path, conf, flow + " user 0").action == "pass"
    assert verdict(tmp_path, conf, flow + " user 1000").action == "block"


def test_af_to_reports_the_translated_packet_and_what_follows(tmp_path):
    conf = "block all\npass in on em0 inet af-to inet6 from 2001:db8::1\n"
    v = verdict(tmp_path, conf, "in on em0 inet proto tcp from 192.0.2.7 port 4000 to 198.51.100.100 port 80")
    assert (v.action, v.pflog_ref, v.uncertain) == ("pass", "1", [])
    assert v.af_to is not None and (v.af_to.af, str(v.af_to.src), str(v.af_to.dst)) == (
        "inet6", "2001:db8::1", "2001:db8::c633:6464")  # pf.conf.5:921-924
    assert v.final_flow == v.af_to and v.af_to.dport == 80
    data = v.to_dict()
    assert data["af_to"] == {"af": "inet6", "src": "2001:db8::1", "dst": "2001:db8::c633:6464", "proto": "tcp"}
    assert "outbound rules for the original family never see it" in data["notes"][0]


def test_af_to_translates_icmp_echo_to_icmp6(tmp_path):
    conf = "pass in on em0 inet6 to 64:ff9b::/96 af-to inet from 198.51.100.1\n"
    v = verdict(tmp_path, conf, "in on em0 inet6 proto icmp6 from 2001:db8:1::7 to 64:ff9b::c633:6464 icmp6-type echoreq")
    assert v.af_to is not None and (v.af_to.proto, v.af_to.icmp_type, str(v.af_to.dst)) == ("icmp", 8, "198.51.100.100")
    assert not v.uncertain


def test_af_to_needs_a_different_family_and_a_pass_rule_with_a_direction(tmp_path):
    for text, message in [("pass in inet af-to inet from 192.0.2.1\n", "must indicate different address family"),
                          ("match in inet af-to inet6 from 2001:db8::1\n", "af-to is not supported on match rules"),
                          ("pass inet af-to inet6 from 2001:db8::1\n", "require a direction"),
                          ("pass in inet af-to inet6 from 2001:db8::1 no state\n", "require keep state"),
                          ("pass in inet af-to inet6 from 192.0.2.1\n", "must be in the target address family")]:
        try:
            load(tmp_path, text)
        except ConfigError as exc:
            assert message in str(exc), (text, str(exc))
        else:
            raise AssertionError(f"accepted: {text}")


def testembed_rfc6052_embedding_matches_the_rfc_examples():
    """RFC 6052 section 2.4: 192.0.2.33 under each allowed prefix length."""
    v4 = int(ipaddress.IPv4Address("192.0.2.33"))
    examples = {"2001:db8::/32": "2001:db8:c000:221::", "2001:db8:100::/40": "2001:db8:1c0:2:21::",
                "2001:db8:122::/48": "2001:db8:122:c000:2:2100::", "2001:db8:122:300::/56": "2001:db8:122:3c0:0:221::",
                "2001:db8:122:344::/64": "2001:db8:122:344:c0:2:2100:0",
                "2001:db8:122:344::/96": "2001:db8:122:344::c000:221"}
    for prefix, expected in examples.items():
        net = ipaddress.ip_network(prefix)
        got = ipaddress.IPv6Address(embed_rfc6052(v4, int(net.network_address), net.prefixlen))
        assert got == ipaddress.IPv6Address(expected), prefix
