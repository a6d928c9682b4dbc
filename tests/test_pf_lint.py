"""pf lint: each check on a small ruleset, and the demo site's deliberate weaknesses."""

from __future__ import annotations

from askzero.pf.lint import lint
from pfhelpers import load


def checks(tmp_path, text: str, **files: str) -> set[tuple[str, int]]:
    return {(f.check, f.source.line) for f in lint(load(tmp_path, text, **files))}


def test_later_wider_rule_shadows_an_earlier_one(tmp_path):
    found = checks(tmp_path, "block log all\npass in proto tcp to port 80\nblock in log proto tcp\n")
    assert ("shadowed", 2) in found


def test_quick_rule_makes_later_rules_unreachable(tmp_path):
    found = checks(tmp_path, "block log all\npass in quick on em1\npass in on em1 proto udp to port 53\n")
    assert ("shadowed", 3) in found


def test_redundant_rule_with_the_same_action(tmp_path):
    found = checks(tmp_path, "block log all\npass in proto tcp to port 80\npass in proto tcp\n")
    assert ("redundant", 2) in found


def test_block_that_only_stray_packets_reach(tmp_path):
    found = checks(tmp_path, "block log all\nblock in log proto tcp to port 25\npass in proto tcp to port 25\n")
    assert ("shadowed", 2) in found


def test_narrower_later_rule_does_not_shadow(tmp_path):
    found = checks(tmp_path, "block log all\npass in proto tcp to port 80\nblock in log proto tcp from 10.0.0.0/8\n")
    assert not any(check in ("shadowed", "redundant") for check, _ in found)


def test_sensitive_service_open_to_any(tmp_path):
    found = checks(tmp_path, "block log all\npass in proto tcp to port { ssh 3389 }\npass in proto tcp from 10.0.0.0/8 to port 5432\n")
    assert {("sensitive-service-open", 2)} == {f for f in found if f[0] == "sensitive-service-open"}


def test_missing_default_block_and_unlogged_block(tmp_path):
    found = checks(tmp_path, "pass out\nblock in proto tcp to port 23\n")
    assert ("no-default-block", 1) in found and ("block-without-log", 2) in found


def test_stateless_tcp_pass_and_skip_on_a_real_interface(tmp_path):
    found = checks(tmp_path, "set skip on { lo em0 }\nblock log all\npass in proto tcp to port 80 no state\n")
    assert ("stateless-tcp-pass", 3) in found and ("skip-non-loopback", 1) in found
    assert ("skip-non-loopback", 1) in found and len([f for f in found if f[0] == "skip-non-loopback"]) == 1


def test_empty_table_rule_cannot_match(tmp_path):
    found = checks(tmp_path, "table <empty> file \"none.txt\"\nblock log all\npass in from <empty>\n", **{"none.txt": "# nothing\n"})
    assert ("cannot-match", 3) in found


def test_demo_site_weaknesses_are_found(capsys):
    from askzero.cli.main import main
    from conftest import DEMO

    code = main(["pf", "lint", "--json", "--root", str(DEMO), "--host", str(DEMO / "etc/host.toml"), "/etc/pf.conf"])
    import json

    findings = {(f["check"], f["line"]) for f in json.loads(capsys.readouterr().out)["findings"]}
    assert code == 0
    assert ("shadowed", 44) in findings  # the smtp block every connection bypasses
    assert ("sensitive-service-open", 53) in findings  # ssh and 8443 open to the world
