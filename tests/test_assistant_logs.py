"""The assistant's log evidence comes from the site's store, and its figures agree with
the log files read independently (plain json / pcap / text scans)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("duckdb")

from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.assistant.logtools import auth_summary, ids_summary, latest_pflog, pflog_summary  # noqa: E402
from askzero.logs.pflog import read_pflog  # noqa: E402
from askzero.site import load_site  # noqa: E402

ADDRESS = "203.0.113.7"


@pytest.fixture(scope="module")
def ctx():
    return SiteContext(load_site("demo"))


def test_pflog_summary_matches_the_capture(ctx):
    path = ctx.site.real("/var/log/pflog")
    records = [r for r in read_pflog(path) if ADDRESS in (r.src, r.dst)]
    (ev,) = pflog_summary(ctx, ADDRESS)
    assert ev.fields["count"] == len(records)
    assert ev.citation.file == "var/log/pflog"
    assert ev.citation.record == f"records {records[0].index}-{records[-1].index}"
    by_rule = {}
    for r in records:
        by_rule[r.rule_ref] = by_rule.get(r.rule_ref, 0) + 1
    for rule, n in by_rule.items():
        assert f"{n} block by rule {rule}" in ev.summary


def test_latest_pflog_packet_per_direction(ctx):
    path = ctx.site.real("/var/log/pflog")
    records = [r for r in read_pflog(path) if ADDRESS in (r.src, r.dst) and r.action == "block"]
    latest = {r.direction: r for r in records}
    got = latest_pflog(ctx, ADDRESS, want_block=True, port=None)
    assert [(e["direction"], e["citation"]["record"]) for e in got] == [
        (d, f"record {latest[d].index}") for d in ("in", "out") if d in latest]


def test_ids_summary_matches_eve(ctx):
    path = ctx.site.real("/var/log/suricata/eve.json")
    alerts = [(n, json.loads(line)) for n, line in enumerate(path.read_text().splitlines(), 1)]
    alerts = [(n, r) for n, r in alerts if r.get("event_type") == "alert"
              and ADDRESS in (r.get("src_ip"), r.get("dest_ip"))]
    (ev,) = ids_summary(ctx, ADDRESS)
    assert ev.fields["count"] == len(alerts)
    assert ev.citation.lines == (alerts[0][0], alerts[-1][0])
    top = max(ev.fields["signatures"].items(), key=lambda kv: kv[1])
    assert top[1] == sum(1 for _, r in alerts if r["alert"]["signature"] == top[0])


def test_auth_summary_matches_authlog(ctx):
    lines = ctx.site.real("/var/log/authlog").read_text().splitlines()
    failures = [n for n, line in enumerate(lines, 1) if f" {ADDRESS} " in f" {line} " and (
        "Failed password" in line or "Invalid user" in line or "maximum authentication attempts" in line)]
    (ev,) = auth_summary(ctx, ADDRESS)
    assert ev.fields["count"] == len(failures)
    assert ev.citation.lines == (failures[0], failures[-1])


def test_an_address_the_logs_never_saw_gives_no_log_evidence(ctx):
    assert pflog_summary(ctx, "198.51.100.250") == []
    assert ids_summary(ctx, "198.51.100.250") == []
    assert auth_summary(ctx, "198.51.100.250") == []


def test_a_changed_ruleset_is_flagged_for_records_read_under_the_old_one(tmp_path):
    import shutil

    from askzero.assistant.tools import explain_address
    from askzero.site import demo_root

    root = tmp_path / "site"
    shutil.copytree(demo_root(), root)
    site = load_site(str(root))
    before = explain_address(SiteContext(site), ADDRESS)
    assert not [e for e in before if "has changed since" in e.summary]
    conf = root / "etc" / "pf.conf"
    conf.write_text(conf.read_text() + "\nblock in quick on em0 proto udp to port 9999\n")
    after = explain_address(SiteContext(load_site(str(root))), ADDRESS)
    drift = [e for e in after if "has changed since" in e.summary]
    assert drift and drift[0].citation.file == "var/log/pflog"
