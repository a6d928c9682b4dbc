"""Evaluation points of pf.conf(5), each checked on a small ruleset."""

from __future__ import annotations

from pfhelpers import verdict


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
