"""pf diff: the traffic whose decision changes between two rulesets."""

from __future__ import annotations

from askzero.pf.diff import diff
from pfhelpers import HOST, load


def test_removing_a_pass_rule_shows_the_traffic_now_blocked(tmp_path):
    old = load(tmp_path, "block log all\npass in on egress proto tcp to (egress) port { 22 443 }\n")
    new = load(tmp_path, "block log all\npass in on egress proto tcp to (egress) port 443\n")
    (change,) = diff(old, new, HOST)
    assert (change.old.action, change.new.action) == ("pass", "block")
    assert change.old.rule is not None and change.old.rule.ref == "1"
    assert change.new.rule is not None and change.new.rule.ref == "0"
    example = change.examples[0]
    assert (example.direction, example.ifname, example.dport, str(example.dst)) == ("in", "em0", 22, "192.0.2.10")


def test_a_new_table_entry_blocks_its_address(tmp_path):
    old = load(tmp_path, 'table <bad> file "bad.txt"\npass all\nblock in quick from <bad>\n', **{"bad.txt": "10.9.9.9\n"})
    new = load(tmp_path, 'table <bad> file "bad.txt"\npass all\nblock in quick from <bad>\n',
               **{"bad.txt": "10.9.9.9\n203.0.113.7\n"})
    changes = diff(old, new, HOST)
    assert changes and all(str(c.examples[0].src) == "203.0.113.7" for c in changes)
    assert {(c.old.action, c.new.action) for c in changes} == {("pass", "block")}


def test_identical_rulesets_change_nothing(tmp_path):
    text = "block log all\npass in proto tcp to port 22\npass out\n"
    assert diff(load(tmp_path, text), load(tmp_path, text), HOST) == []
