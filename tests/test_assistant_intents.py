"""Questions beyond one address: a port, a time window, BGP sessions; routed by rules, in
English and French, answered from the demo site's data with citations."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

pytest.importorskip("duckdb")

from askzero.assistant.answer import gather  # noqa: E402
from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.assistant.router import route  # noqa: E402
from askzero.site import load_site  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("question, intent, since, until", [
    ("Which BGP sessions flapped today?", "bgp_flaps", "2026-11-20T00:00:00Z", "2026-11-20T12:00:00Z"),
    ("Did any neighbor go down in the last 24 hours?", "bgp_flaps", "2026-11-19T12:00:00Z", "2026-11-20T12:00:00Z"),
    ("Quelles sessions BGP sont tombées hier ?", "bgp_flaps", "2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"),
    ("What happened between 02:00 and 02:15?", "timeline", "2026-11-20T02:00:00Z", "2026-11-20T02:15:00Z"),
    ("Que s'est-il passé hier ?", "timeline", "2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"),
    ("Why is port 8443 open?", "why_port", None, None),
    ("Pourquoi le port 22 est-il ouvert ?", "why_port", None, None),
    ("Why is ssh open to the internet?", "why_port", None, None),
    ("Why is 203.0.113.7 blocked since 2026-11-20?", "why_blocked", "2026-11-20T00:00:00Z", None),
    ("What is the capital of France?", "unknown", None, None),
])
def test_routing(question, intent, since, until):
    r = route(question, NOW)
    assert r.intent == intent
    window = r.window.to_dict() if r.window else {"since": None, "until": None}
    assert (window["since"], window["until"]) == (since, until)


@pytest.fixture(scope="module")
def ctx():
    return SiteContext(load_site("demo"))


def test_service_names_are_ports():
    assert route("Why is ssh open?").ports == [22]
    assert route("Is modbus blocked from the outside?").ports == [502]
    assert route("Why is 203.0.113.7 blocked?").ports == []


def test_port_question_names_the_rule_that_opens_it(ctx):
    answer = gather(ctx, "Why is port 8443 open?")
    assert "Port 8443 on 192.0.2.10 is open to outside hosts" in answer.summary
    assert "rule 17" in answer.summary and "etc/pf.conf:53" in answer.summary
    assert {"file": "etc/pf.conf", "line": 53} in answer.citations()


def test_bgp_flap_on_the_incident_day(ctx):
    answer = gather(ctx, "Which BGP sessions flapped on 2026-11-20?")
    assert answer.summary.startswith("BGP session with 198.51.100.1 (upstream-a) flapped 1 time: "
                                     "went down at 2026-11-20 02:31:14 (HoldTimer expired)")
    daemon = ctx.site.real("/var/log/daemon").read_text().splitlines()
    (cite,) = answer.citations()
    first, last = cite["lines"]
    assert "Established -> Idle" in "\n".join(daemon[first - 1:last])


def test_an_empty_window_says_where_the_logs_end(ctx):
    answer = gather(ctx, "Which BGP sessions flapped on 2026-11-25?")
    assert "No BGP session state changes between 2026-11-25 00:00:00 and 2026-11-26 00:00:00" in answer.summary
    assert "the site's logs cover 2026-11-20" in answer.summary


def test_timeline_counts_every_source_in_the_window(ctx):
    answer = gather(ctx, "What happened between 2026-11-20 02:00 and 02:15?")
    files = {c["file"] for c in answer.citations()}
    assert {"var/log/pflog", "var/log/suricata/eve.json", "var/log/authlog"} <= files
    pflog = [ev for ev in answer.evidence if ev.citation.file == "var/log/pflog"][0]
    from askzero.logs.pflog import read_pflog

    in_window = [r for r in read_pflog(ctx.site.real("/var/log/pflog"))
                 if datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc) <= r.time
                 < datetime(2026, 11, 20, 2, 15, tzinfo=timezone.utc)]
    assert pflog.fields["count"] == len(in_window)


@pytest.mark.parametrize("question, decision, rule_line", [
    # the roa-set gives 198.51.100.0/24 to AS 64501, upstream-a's own AS: valid, accepted
    ("Is 198.51.100.0/24 from upstream-a accepted, and why?", "allow", 92),
    # 203.0.113.0/24 belongs to AS 64511 in the roa-set: from AS 64501 it is RPKI-invalid
    ("Is 203.0.113.0/24 from upstream-a accepted?", "deny", 101),
    ("Would we accept 10.0.0.0/8 from 198.51.100.1?", "deny", 98),  # bogon prefix-set
    ("Is 203.0.113.0/24 originated by AS 64511 accepted from upstream-a?", "allow", 92),
])
def test_bgp_route_questions(ctx, question, decision, rule_line):
    answer = gather(ctx, question)
    assert answer.route.intent == "bgp_route"
    (ev,) = [e for e in answer.evidence if e.kind == "bgp_route"]
    assert ev.fields["decision"] == decision and ev.fields["neighbor"] == "198.51.100.1"
    assert (ev.citation.file, ev.citation.line) == ("etc/bgpd.conf", rule_line)
    conf = ctx.site.real("/etc/bgpd.conf").read_text().splitlines()
    assert conf[rule_line - 1].split()[0] == ("allow" if decision == "allow" else "deny")


def test_bgp_route_without_a_neighbor_asks_every_neighbor(ctx):
    answer = gather(ctx, "Is 198.51.100.0/24 accepted by bgpd?")
    assert sorted(e.fields["neighbor"] for e in answer.evidence if e.kind == "bgp_route") == [
        "192.0.2.1", "198.51.100.1"]


def test_rule_compliance_names_the_failing_check_and_its_controls(ctx):
    answer = gather(ctx, "Is the rule at etc/pf.conf:53 compliant with NIS2?")
    assert answer.route.intent == "compliance"
    failing = [e for e in answer.evidence if e.kind == "compliance" and e.fields["status"] == "fail"]
    assert [e.fields["check"] for e in failing] == ["pf.admin_ports_not_open_to_any"]
    assert "nis2 21(2)(i)" in failing[0].summary
    assert (failing[0].citation.file, failing[0].citation.line) == ("etc/pf.conf", 53)


def test_rule_by_pflog_number_and_site_wide_audit(ctx):
    by_number = gather(ctx, "Is rule 17 compliant with PCI DSS?")
    assert {(e.citation.file, e.citation.line) for e in by_number.evidence if e.kind == "compliance"} == {
        ("etc/pf.conf", 53)}
    site = gather(ctx, "Is this site compliant with NIS2?")
    (summary,) = [e for e in site.evidence if e.kind == "compliance_summary"]
    assert summary.summary.startswith("The audit ran")
    assert all(e.fields["status"] in ("fail", "partial") for e in site.evidence if e.kind == "compliance")


def test_pflog_record_question_names_the_rule_and_line(ctx):
    answer = gather(ctx, "Explain pflog record 70")
    assert answer.route.intent == "pflog_record"
    assert "rule 8.threat_feeds.0" in answer.summary and "(etc/pf.conf:39)" in answer.summary
    assert {"file": "var/log/pflog", "record": "record 70"} in answer.citations()


def test_alert_query_counts_what_the_eve_file_holds(ctx):
    import json as _json

    answer = gather(ctx, "Which alerts with severity 1 fired on 2026-11-20?")
    assert answer.route.intent == "alerts" and answer.route.extra == {"severity": 1}
    lines = ctx.site.real("/var/log/suricata/eve.json").read_text().splitlines()
    expected = sum(1 for ln in lines if '"event_type":"alert"' in ln and _json.loads(ln)["alert"]["severity"] == 1)
    assert answer.summary.startswith(f"{expected} alerts between")


def test_a_ruleset_change_lists_the_traffic_it_affects(tmp_path):
    import shutil

    from askzero.site import demo_root

    root = tmp_path / "site"
    shutil.copytree(demo_root(), root)
    conf = (root / "etc" / "pf.conf").read_text()
    closed = conf.replace("pass in on egress inet proto tcp from any to (egress) port $admin_ports",
                          "pass in on egress inet proto tcp from <admin_nets> to (egress) port $admin_ports")
    assert closed != conf
    (root / "etc" / "pf.conf.new").write_text(closed)
    answer = gather(SiteContext(load_site(str(root))), "Which flows would etc/pf.conf.new affect?")
    assert answer.route.intent == "diff"
    changed = [e for e in answer.evidence if e.kind == "diff"]
    assert any("port 22` changes from pass by rule 16 (etc/pf.conf:53) to block" in e.summary for e in changed)


def test_a_named_protocol_is_probed(ctx):
    answer = gather(ctx, "Why is udp port 53 blocked?")
    assert answer.route.extra == {"proto": "udp"}
    verdict = next(e for e in answer.evidence if e.kind == "pf_verdict")
    assert verdict.fields["proto"] == "udp" and "proto udp" in verdict.summary
