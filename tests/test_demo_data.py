"""The bundled demo site: generated deterministically, and every source tells one story."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest

from askzero.intel import load_feed, lookup
from askzero.logs.pflog import read_pflog

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "askzero" / "demo"
UTC = timezone.utc
START = datetime(2026, 11, 20, 1, 50, tzinfo=UTC)
END = datetime(2026, 11, 20, 2, 50, tzinfo=UTC)
FEED_LOADED = datetime(2026, 11, 20, 2, 15, tzinfo=UTC)
ATTACKER = "203.0.113.7"
WORKSTATION = "10.10.0.23"
GW = "192.0.2.10"
GENERATED = ["var/log/pflog", "var/log/authlog", "var/log/daemon",
             "var/log/suricata/eve.json", "var/log/zeek/conn.log",
             "intel/opencti-bundle.json", "intel/blocklist.csv"]
SYSLOG = re.compile(r"^(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) gw1 "
                    r"(?P<prog>[\w-]+)(\[(?P<pid>\d+)\])?: (?P<msg>.+)$")


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "tools" / "make_demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    load_generator().generate(out)
    return out


def syslog(path: Path) -> list[tuple[datetime, str, str]]:
    out = []
    for line in path.read_text().splitlines():
        m = SYSLOG.match(line)
        assert m, line
        when = datetime.strptime("2026 " + m["time"], "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
        out.append((when, m["prog"], m["msg"]))
    return out


def eve(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def eve_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def zeek(path: Path) -> list[dict[str, str]]:
    fields: list[str] = []
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif not line.startswith("#"):
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows


# ------------------------------------------------------------------------ generator


def test_generator_is_deterministic(generated: Path, tmp_path: Path) -> None:
    load_generator().generate(tmp_path)
    for rel in GENERATED:
        assert (tmp_path / rel).read_bytes() == (generated / rel).read_bytes(), rel


def test_shipped_demo_matches_generator(generated: Path) -> None:
    for rel in GENERATED:
        assert (DEMO / rel).exists(), f"run tools/make_demo.py: {rel} is missing"
        assert (DEMO / rel).read_bytes() == (generated / rel).read_bytes(), (
            f"{rel} differs from tools/make_demo.py's output; rerun it")


def test_outputs_are_small(generated: Path) -> None:
    assert (generated / "var/log/pflog").stat().st_size < 100_000
    lines = sum(len((generated / rel).read_text().splitlines()) for rel in GENERATED[1:5])
    assert lines < 700


# ------------------------------------------------------------------------ time window


def test_every_log_timestamp_is_inside_the_story_window(generated: Path) -> None:
    times: list[datetime] = [r.time for r in read_pflog(generated / "var/log/pflog")]
    for name in ("authlog", "daemon"):
        times += [t for t, _, _ in syslog(generated / "var/log" / name)]
    for ev in eve(generated / "var/log/suricata/eve.json"):
        times.append(eve_time(ev["timestamp"]))
        for key in ("start", "end"):
            if key in ev.get("flow", {}):
                times.append(eve_time(ev["flow"][key]))
    for row in zeek(generated / "var/log/zeek/conn.log"):
        ts = datetime.fromtimestamp(float(row["ts"]), tz=UTC)
        times.append(ts)
        if row["duration"] != "-":
            times.append(ts + timedelta(seconds=float(row["duration"])))
    assert len(times) > 500
    assert all(START <= t <= END for t in times), (min(times), max(times))


def test_files_are_in_time_order(generated: Path) -> None:
    pf = [r.time for r in read_pflog(generated / "var/log/pflog")]
    assert pf == sorted(pf)
    for name in ("authlog", "daemon"):
        times = [t for t, _, _ in syslog(generated / "var/log" / name)]
        assert times == sorted(times)
    ev = [eve_time(e["timestamp"]) for e in eve(generated / "var/log/suricata/eve.json")]
    assert ev == sorted(ev)


# ------------------------------------------------------------------------ the story


def test_brute_force_in_authlog_before_the_feed_refresh(generated: Path) -> None:
    lines = [(t, msg) for t, prog, msg in syslog(generated / "var/log/authlog")
             if prog == "sshd" and ATTACKER in msg]
    failures = [t for t, msg in lines if msg.startswith("Failed password")]
    invalid = {msg.split()[2] for t, msg in lines if msg.startswith("Invalid user")}
    assert len(failures) >= 40
    assert any("for root from" in msg for _, msg in lines)
    assert {"admin", "oracle"} & invalid or len(invalid) >= 5
    assert min(t for t, _ in lines) >= datetime(2026, 11, 20, 1, 58, tzinfo=UTC)
    assert max(t for t, _ in lines) < FEED_LOADED
    assert not any(msg.startswith("Accepted") for _, msg in lines)


def test_pflog_anchor_blocks_after_the_feed_refresh(generated: Path) -> None:
    recs = [r for r in read_pflog(generated / "var/log/pflog")
            if ATTACKER in (r.src, r.dst)]
    assert recs and all(r.time > FEED_LOADED for r in recs)
    assert {r.rule_ref for r in recs} == {"8.threat_feeds.0", "8.threat_feeds.1"}
    inbound = [r for r in recs if r.rule_ref == "8.threat_feeds.0"]
    assert all((r.direction, r.ifname, r.src, r.dst, r.dport, r.tcp_flags, r.action)
               == ("in", "em0", ATTACKER, GW, 22, "S", "block") for r in inbound)
    assert all(not r.rewritten for r in inbound)
    outbound = [r for r in recs if r.rule_ref == "8.threat_feeds.1"]
    assert outbound
    for r in outbound:
        assert (r.direction, r.ifname, r.dst, r.dport, r.action) == ("out", "em0", ATTACKER,
                                                                     443, "block")
        # pf computed nat-to (@1) before the anchor blocked the packet
        assert r.src == WORKSTATION and r.rewritten
        assert r.translated_src == GW and 50001 <= (r.translated_sport or 0) <= 65535
        assert r.to_tcpdump().startswith(r.time.strftime("%b %d %H:%M:%S."))
        assert " rule 8.threat_feeds.1/(match) block out on em0: 10.10.0.23." in r.to_tcpdump()


def test_pflog_background_noise(generated: Path) -> None:
    recs = list(read_pflog(generated / "var/log/pflog"))
    rule2 = [r for r in recs if r.rule_ref == "2"]
    assert len(rule2) >= 5
    assert all(r.direction == "in" and r.ifname == "em0" and r.src != ATTACKER for r in rule2)
    assert {r.dport for r in rule2} >= {23, 445, 3389}
    martians = [r for r in recs if r.rule_ref == "7"]
    assert len(martians) == 1
    assert ipaddress.ip_address(martians[0].src) in ipaddress.ip_network("10.0.0.0/8")
    feed_noise = [r for r in recs if r.rule_ref == "8.threat_feeds.0" and r.src != ATTACKER]
    table = load_feed(DEMO / "etc/pf/threat_feeds.txt", "threat_feeds", "list")
    assert feed_noise and all(lookup([table], r.src) for r in feed_noise)
    assert all(not lookup([table], r.src) for r in rule2)


def test_suricata_tells_the_story(generated: Path) -> None:
    events = eve(generated / "var/log/suricata/eve.json")
    alerts = [e for e in events if e["event_type"] == "alert"]
    c2 = [e for e in alerts if e["src_ip"] == WORKSTATION and e["dest_ip"] == ATTACKER]
    assert c2
    assert all(e["alert"]["category"] == "A Network Trojan was detected"
               and e["alert"]["severity"] == 1 and e["in_iface"] == "em1" for e in c2)
    assert min(eve_time(e["timestamp"]) for e in c2) < datetime(2026, 11, 20, 2, 4, tzinfo=UTC)
    scans = [e for e in alerts if e["src_ip"] == ATTACKER and e["dest_port"] == 22]
    assert any(e["alert"]["signature_id"] == 2001219 for e in scans)
    assert any(e["alert"]["signature"] == "ET SCAN Potential SSH Scan" for e in scans)
    flows = {e["flow_id"]: e for e in events if e["event_type"] == "flow"}
    for e in alerts:  # every alert has its flow record, marked alerted
        assert flows[e["flow_id"]]["flow"]["alerted"] is True
        assert (flows[e["flow_id"]]["src_ip"], flows[e["flow_id"]]["dest_ip"]) == (
            e["src_ip"], e["dest_ip"])
    tls = [e for e in events if e["event_type"] == "tls" and e["dest_ip"] == ATTACKER]
    assert tls and all(e["tls"]["sni"] == "sync.telemetry-cdn.example" for e in tls)
    assert all(eve_time(e["timestamp"]) < FEED_LOADED for e in tls)
    for e in events:
        assert {"timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip",
                "dest_port", "proto"} <= e.keys()
        assert e["timestamp"].endswith("+0000")


def test_zeek_tells_the_story(generated: Path) -> None:
    text = (generated / "var/log/zeek/conn.log").read_text().splitlines()
    assert text[0] == "#separator \\x09" and text[4] == "#path\tconn"
    rows = zeek(generated / "var/log/zeek/conn.log")
    ssh = [r for r in rows if r["id.orig_h"] == ATTACKER and r["id.resp_p"] == "22"]
    assert any(r["service"] == "ssh" and r["conn_state"] == "SF" for r in ssh)
    beacons = [r for r in rows if r["id.orig_h"] == WORKSTATION and r["id.resp_h"] == ATTACKER]
    ok = [float(r["ts"]) for r in beacons if r["service"] == "ssl"]
    assert len(ok) >= 10
    gaps = [b - a for a, b in zip(sorted(ok), sorted(ok)[1:])]
    assert all(59 < g < 61 for g in gaps)  # every 60 s
    assert all(r["conn_state"] == "S0" for r in beacons if float(r["ts"]) >
               FEED_LOADED.timestamp() + 5)


def test_daemon_log_bgp_flap(generated: Path) -> None:
    lines = syslog(generated / "var/log/daemon")
    bgp = [(t, msg) for t, prog, msg in lines if prog == "bgpd"]
    down = [t for t, m in bgp if "Established -> Idle, reason: HoldTimer expired" in m]
    up = [t for t, m in bgp if "OpenConfirm -> Established" in m]
    assert [t.strftime("%H:%M") for t in down] == ["02:31"]
    assert [t.strftime("%H:%M") for t in up] == ["02:33"]
    assert all(m.startswith("neighbor 198.51.100.1 (upstream-a): ") for _, m in bgp)
    assert any(prog == "ntpd" for _, prog, _ in lines)
    refresh = [t for t, prog, m in lines if prog == "feed2pf" and ATTACKER in m]
    assert refresh and refresh[0].strftime("%H:%M:%S") == "02:15:00"


def test_threat_feed_addresses_are_in_the_stix_bundle(generated: Path) -> None:
    table = load_feed(DEMO / "etc/pf/threat_feeds.txt", "threat_feeds", "list")
    stix = load_feed(generated / "intel/opencti-bundle.json", "opencti", "stix")
    by_id = {i.id: i for i in stix.indicators}
    entries = [i for i in table.indicators if not i.negated]
    assert len(entries) == 5
    for entry in entries:
        assert entry.id in by_id, entry.value
        ind = by_id[entry.id]
        assert ind.network == entry.network
        assert ind.confidence is not None and ind.confidence >= 70  # the export's minimum
        assert ind.valid_at(FEED_LOADED)
        assert entry.id in {m.indicator_id for m in lookup([stix], entry.value.split("/")[0])}
    (c2,) = lookup([stix], ATTACKER)
    assert c2.labels == ("c2-server",)
    assert "command-and-control" in (c2.description or "").lower()
    assert c2.valid_from is not None and c2.valid_from <= FEED_LOADED
    bundle = json.loads((generated / "intel/opencti-bundle.json").read_text())
    types = {o["type"] for o in bundle["objects"]}
    assert {"identity", "marking-definition", "indicator", "malware", "infrastructure",
            "relationship"} <= types
    assert all(o.get("created_by_ref") in (None, *(x["id"] for x in bundle["objects"]
                                                   if x["type"] == "identity"))
               for o in bundle["objects"])
    csv = load_feed(generated / "intel/blocklist.csv", "abuse-csv", "csv")
    assert [m.labels for m in lookup([csv], ATTACKER)] == [("c2",)]


def test_bgpd_conf_is_plausible() -> None:
    text = (DEMO / "etc/bgpd.conf").read_text()
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert body.count("{") == body.count("}")
    assert re.search(r"^AS \$ASN$", body, re.M) and 'ASN="64500"' in body
    assert re.search(r"^router-id 192\.0\.2\.10$", body, re.M)
    assert re.search(r"^network 192\.0\.2\.0/24", body, re.M)
    for addr, asn in (("198.51.100.1", 64501), ("192.0.2.1", 64502)):
        block = body.split(f"neighbor {addr} {{", 1)[1].split("}", 1)[0]
        assert f"remote-as {asn}" in block
        assert "descr " in block and "tcp md5sig " in block
        assert re.search(r"max-prefix \d+ restart \d+", block)
        assert "announce IPv4 unicast" in block
    assert "roa-set {" in body and "deny quick from ebgp ovs invalid" in body
    assert "allow to ebgp prefix-set mynetworks" in body
