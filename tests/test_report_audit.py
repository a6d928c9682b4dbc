"""The compliance audit on the demo site and on variations of it."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from askzero.assistant.context import SiteContext
from askzero.report.audit import CHECK_IDS, check_rule, run_audit
from askzero.report.mapping import load_mapping
from askzero.site import load_site

DEMO = Path(__file__).resolve().parent.parent / "askzero" / "demo"
DURING = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
REQUIRED = {"pf.default_deny", "pf.antispoof_external", "pf.block_rules_logged", "pf.admin_ports_not_open_to_any",
            "pf.no_cleartext_admin", "pf.egress_filtering", "pf.skip_only_loopback", "pf.no_shadowed_rules",
            "pf.no_redundant_rules", "bgp.max_prefix_every_neighbor", "bgp.rpki_rov_enforced",
            "bgp.session_protection", "bgp.customer_prefix_filters", "bgp.enforce_neighbor_as",
            "logs.sources_present_and_recent"}


@pytest.fixture(scope="module")
def demo_audit(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASKZERO_HOME", str(tmp_path_factory.mktemp("audit-home")))
        ctx = SiteContext(load_site("demo"))
        report = run_audit(ctx, now=DURING)
        yield ctx, report, {r.check: r for r in report.results}


def lines(result) -> set[int]:
    return {e["line"] for e in result.evidence if "line" in e}


def test_every_check_runs_once(demo_audit) -> None:
    _, report, by = demo_audit
    assert REQUIRED <= set(by) and set(by) == set(CHECK_IDS)
    assert len(report.results) == len(by)


def test_demo_findings(demo_audit) -> None:
    _, _, by = demo_audit
    expected = {
        "pf.default_deny": ("pass", {33}),
        "pf.admin_ports_not_open_to_any": ("fail", {53}),
        "pf.antispoof_external": ("fail", {34, 35}),
        "pf.block_rules_logged": ("partial", {34}),  # antispoof without log
        "pf.no_cleartext_admin": ("pass", set()),
        "pf.egress_filtering": ("fail", {55, 60}),
        "pf.skip_only_loopback": ("pass", {26}),
        "pf.no_shadowed_rules": ("fail", {44}),
        "pf.no_redundant_rules": ("partial", {51}),
        "bgp.max_prefix_every_neighbor": ("pass", {56, 65}),
        "bgp.rpki_rov_enforced": ("pass", {44, 49, 101}),
        "bgp.session_protection": ("pass", {56, 65}),
        "bgp.customer_prefix_filters": ("not-evaluable", {56, 65}),
        "bgp.enforce_neighbor_as": ("pass", {56, 65}),
        "logs.sources_present_and_recent": ("pass", set()),
        "integrity.ruleset_unchanged": ("pass", {1}),
        "integrity.config_signatures": ("not-evaluable", set()),
    }
    for check, (status, must_cite) in expected.items():
        assert by[check].status == status, (check, by[check])
        assert must_cite <= lines(by[check]), (check, by[check].evidence)
    assert any(e["file"] == "etc/pf.conf" and e["line"] == 53 for e in by["pf.admin_ports_not_open_to_any"].evidence)


def test_evidence_resolves(demo_audit) -> None:
    _, report, _ = demo_audit
    for r in report.results:
        for e in r.evidence:
            path = DEMO / e["file"]
            assert path.is_file(), e
            if "line" in e:
                assert 1 <= e["line"] <= len(path.read_text().splitlines()), e


def test_controls_from_mapping(demo_audit) -> None:
    ctx, report, by = demo_audit
    if not load_mapping():
        pytest.skip("knowledge/mapping.toml not present")
    controls = by["pf.admin_ports_not_open_to_any"].controls
    assert controls and all(c["degree"] in ("full", "partial") for c in controls)
    assert {"nis2", "iso27001"} <= {c["framework"] for c in controls}
    nis2 = run_audit(ctx, "nis2", now=DURING)
    assert all(c["framework"] == "nis2" for r in nis2.results for c in r.controls)
    rows = nis2.summary["nis2"]["controls"]
    assert rows and all(r["status"] in ("pass", "fail", "partial", "not-evaluable") for r in rows)
    assert set(nis2.summary) == {"checks", "nis2"}


def test_without_mapping_controls_are_empty(demo_audit) -> None:
    ctx, _, _ = demo_audit
    report = run_audit(ctx, "dora", now=DURING, mapping={})
    assert all(r.controls == [] for r in report.results)
    assert report.summary["dora"]["controls"] == []


def test_mapping_shapes(tmp_path: Path) -> None:
    f = tmp_path / "mapping.toml"
    f.write_text('[[check]]\nid = "pf.default_deny"\ncontrols = [{ framework = "NIS2", id = "21(2)(a)", degree = "full" }]\n'
                 '[checks."pf.egress_filtering"]\niso27001 = ["8.20:partial", { control = "8.22", degree = "full" }]\n')
    m = load_mapping(f)
    assert m["pf.default_deny"] == [{"framework": "nis2", "control": "21(2)(a)", "degree": "full"}]
    assert {"framework": "iso27001", "control": "8.20", "degree": "partial"} in m["pf.egress_filtering"]
    assert {"framework": "iso27001", "control": "8.22", "degree": "full"} in m["pf.egress_filtering"]
    assert load_mapping(tmp_path / "absent.toml") == {}


def test_stale_logs_fail(demo_audit) -> None:
    ctx, _, _ = demo_audit
    later = run_audit(ctx, now=datetime(2026, 11, 29, tzinfo=timezone.utc), mapping={})
    logs = next(r for r in later.results if r.check == "logs.sources_present_and_recent")
    assert logs.status == "fail" and "no recent event" in logs.summary.lower()  # pflog silent for days


def test_check_rule(demo_audit) -> None:
    ctx, _, _ = demo_audit
    by = {r.check: r for r in check_rule(ctx, 53, "nis2")}
    assert by["pf.admin_ports_not_open_to_any"].status == "fail"
    assert all(c["framework"] == "nis2" for r in by.values() for c in r.controls)
    assert "pf.default_deny" not in by  # whole-ruleset checks say nothing about one rule
    assert {r.check: r.status for r in check_rule(ctx, "etc/pf.conf:51")}["pf.no_redundant_rules"] == "partial"
    assert {r.check: r.status for r in check_rule(ctx, 55)}["pf.egress_filtering"] == "fail"
    assert {r.check: r.status for r in check_rule(ctx, 51)}["pf.admin_ports_not_open_to_any"] == "pass"
    assert {r.check: r.status for r in check_rule(ctx, 39)}["pf.block_rules_logged"] == "pass"


def copy_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(DEMO, root)
    return root


def test_ruleset_drift(tmp_path: Path) -> None:
    root = copy_site(tmp_path)
    ctx = SiteContext(load_site(str(root)))
    assert ctx.logs is not None  # ingest records the ruleset digest
    ctx.logs.close()
    with (root / "etc" / "pf.conf").open("a") as fh:
        fh.write("pass in on egress inet proto tcp to (egress) port 3389\n")
    report = run_audit(SiteContext(load_site(str(root))), mapping={}, now=DURING)
    drift = next(r for r in report.results if r.check == "integrity.ruleset_unchanged")
    assert drift.status == "fail" and "differs" in drift.summary
    assert drift.evidence[0]["file"] == "var/log/pflog"


def test_bgp_variations(tmp_path: Path) -> None:
    root = copy_site(tmp_path)
    conf = root / "etc" / "bgpd.conf"
    text = conf.read_text()
    text = text.replace("\t\ttcp md5sig password rwa-valley-2025\n", "")
    text = text.replace("\t\tmax-prefix 1100000 restart 15\n\t\ttcp md5sig password rwa-northnet-2024\n",
                        "\t\ttcp md5sig password rwa-northnet-2024\n")
    text = text.replace("deny quick from ebgp ovs invalid", "match from ebgp ovs invalid set localpref 10")
    text = text.replace('group "upstreams" {', 'neighbor 203.0.113.50 {\n\tremote-as 64999\n\tdescr "cust-x"\n'
                        '\trole customer\n\tmax-prefix 10\n\ttcp md5sig password x\n}\n\ngroup "upstreams" {')
    conf.write_text(text)
    report = run_audit(SiteContext(load_site(str(root))), mapping={}, now=DURING)
    by = {r.check: r.status for r in report.results}
    assert by["bgp.session_protection"] == "partial"
    assert by["bgp.max_prefix_every_neighbor"] == "fail"  # an eBGP session without a limit
    assert by["bgp.rpki_rov_enforced"] == "partial"  # invalid routes only depreferenced
    assert by["bgp.customer_prefix_filters"] == "fail"


def test_cli_audit_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from askzero.cli.main import main

    assert main(["audit", "--site", "demo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"check", "status", "evidence", "controls"} <= set(data["results"][0])
    assert REQUIRED <= {r["check"] for r in data["results"]}
    out = tmp_path / "audit.html"
    assert main(["audit", "--site", "demo", "--framework", "pci-dss", "--format", "html", "-o", str(out)]) == 0
    assert "<table>" in out.read_text() and "http:" not in out.read_text() and "https:" not in out.read_text()


def test_check_rule_as_evidence(demo_audit) -> None:
    from askzero.report.audit import as_evidence

    ctx, _, _ = demo_audit
    evidence = as_evidence([r for r in check_rule(ctx, 53, "nis2") if r.status == "fail"])
    assert evidence and all(e.kind == "compliance" for e in evidence)
    assert any(str(e.citation) == "etc/pf.conf:53" and "pf.admin_ports_not_open_to_any: fail" in e.summary
               for e in evidence)


PF_VARIANTS = {
    "no default block": ("pass out on egress\n", {"pf.default_deny": "fail"}),
    "pass all undoes it": ("block log all\npass all\n", {"pf.default_deny": "fail"}),
    "inbound only": ("block in log all\npass out on egress\n", {"pf.default_deny": "partial"}),
    "antispoof on egress": ("block log all\nantispoof log quick for egress\n", {"pf.antispoof_external": "pass"}),
    "unlogged default": ("block all\n", {"pf.block_rules_logged": "fail"}),
    "telnet to the firewall": ("block log all\npass in on egress proto tcp to (egress) port telnet\n",
                               {"pf.no_cleartext_admin": "fail", "pf.admin_ports_not_open_to_any": "fail"}),
    "web console in clear": ("block log all\npass in on em1 proto tcp to (em1) port 80\n",
                             {"pf.no_cleartext_admin": "partial"}),
    "rate-limited ssh": ("block log all\ntable <bruteforce> persist\n"
                         "pass in on egress proto tcp to (egress) port ssh keep state "
                         "(max-src-conn-rate 5/30, overload <bruteforce> flush global)\n",
                         {"pf.admin_ports_not_open_to_any": "partial"}),
    "skip on em1": ("set skip on { lo em1 }\nblock log all\n", {"pf.skip_only_loopback": "fail"}),
    "egress by port": ("block log all\npass in on em1 proto tcp from em1:network to any port { 80 443 }\n"
                       "pass in on em2 proto tcp from em2:network to any port 443\npass out on egress\n",
                       {"pf.egress_filtering": "partial"}),
    "egress closed": ("block log all\npass in on em1 proto tcp from em1:network to any port 443\n"
                      "pass in on em2 proto tcp from em2:network to any port 443\n"
                      "pass out on egress proto tcp to any port 443\n", {"pf.egress_filtering": "pass"}),
    "same-action shadow": ("block log all\npass in quick on egress proto tcp to port 443\n"
                           "pass in on egress proto tcp to port 443\n", {"pf.no_shadowed_rules": "partial"}),
}


@pytest.mark.parametrize("name", sorted(PF_VARIANTS))
def test_pf_variants(tmp_path: Path, name: str) -> None:
    from askzero.report.checks_pf import PF_CHECKS, all_rules

    text, expected = PF_VARIANTS[name]
    root = copy_site(tmp_path)
    (root / "etc" / "pf.conf").write_text(text)
    ctx = SiteContext(load_site(str(root)))
    rules = all_rules(ctx.pf)
    for check, status in expected.items():
        result = PF_CHECKS[check][0](ctx, rules)
        assert result.status == status, (name, result)


WILD = Path(__file__).resolve().parent.parent.parent / "shared" / "samples" / "pf-wild"


@pytest.mark.skipif(not WILD.is_dir(), reason="../shared/samples not present")
def test_audit_survives_wild_rulesets(tmp_path: Path) -> None:
    """Real pf.conf files from public repositories: every check answers, none raises."""
    for sample in sorted(WILD.glob("*pf.conf")):
        root = tmp_path / sample.name
        (root / "etc").mkdir(parents=True)
        (root / "etc" / "pf.conf").write_bytes(sample.read_bytes())
        (root / "site.toml").write_text('name = "wild"\nroot = "."\n[pf]\nconf = "/etc/pf.conf"\n')
        report = run_audit(SiteContext(load_site(str(root))), mapping={})
        assert {r.check for r in report.results} == set(CHECK_IDS), sample.name
        assert all("\n" not in r.summary for r in report.results), sample.name
