"""pflog records tied back to rules, and a changed ruleset detected."""

from __future__ import annotations

from pathlib import Path

from askzero.logs.pflog import read_pflog
from askzero.pf import Evaluator, load_host, parse_pf, rooted_resolver
from askzero.pf.pflogmap import explain_record, rule_by_number
from conftest import DEMO


def _demo(root: Path):
    host = load_host(root / "etc/host.toml")
    config = parse_pf("/etc/pf.conf", host, rooted_resolver(root))
    return config, Evaluator(config, host)


def test_every_demo_record_is_explained_by_the_rule_that_logged_it():
    config, evaluator = _demo(DEMO)
    records = list(read_pflog(DEMO / "var/log/pflog"))
    explained = [explain_record(config, evaluator, r) for r in records]
    assert explained and all(e.consistent for e in explained)
    refs = {e.ref: (e.rule.source.line if e.rule else None) for e in explained}
    assert refs["8.threat_feeds.0"] == 39 and refs["8.threat_feeds.1"] == 40 and refs["2"] == 33


def test_a_changed_ruleset_is_reported(tmp_path):
    root = tmp_path / "site"
    (root / "etc/pf").mkdir(parents=True)
    for name in ("etc/host.toml", "etc/pf/threat_feeds.txt", "etc/pf/admin_nets.txt"):
        (root / name).write_text((DEMO / name).read_text())
    text = (DEMO / "etc/pf.conf").read_text().replace("block log all\n", "block log all\npass in quick on egress proto tcp to port 22\n")
    (root / "etc/pf.conf").write_text(text)
    config, evaluator = _demo(root)
    record = next(r for r in read_pflog(DEMO / "var/log/pflog") if r.rule_ref == "8.threat_feeds.0" and r.dport == 22)
    explanation = explain_record(config, evaluator, record)
    assert not explanation.consistent and explanation.verdict.action == "pass"


def test_rule_numbers_out_of_range_or_default():
    config, _ = _demo(DEMO)
    assert rule_by_number(config, -1) is None and rule_by_number(config, 999) is None
    assert rule_by_number(config, 8, "threat_feeds", 5) is None
