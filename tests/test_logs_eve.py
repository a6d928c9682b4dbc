"""Suricata EVE JSON: counts and exact field values from the shared samples, every event type
and DNS version, pretty-printed and concatenated objects, resuming, gzip, unfinished final
records, detection, and fuzzing."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.logs import eve
from askzero.logs.lines import Position, read_head
from askzero.logs.eve_events import KIND
from askzero.logs.record import Event, Malformed
from conftest import SHARED
from mutations import mutated

SURICATA = SHARED / "samples" / "suricata"
SUREVEGO = SURICATA / "surevego-testdata" / "eve.json"
BROKEN = SURICATA / "surevego-testdata" / "eve_broken.json"
CROWDSEC = SURICATA / "crowdsec-hub-tests"
TELEGRAF = SURICATA / "telegraf-testdata"
needs_shared = pytest.mark.skipif(not SURICATA.exists(), reason="../shared not present")


def read_all(path: Path, start: Position = Position()) -> tuple[list[Event], list[Malformed], Position]:
    reading = eve.read(path, start)
    items = list(reading)
    assert all(type(i) in (Event, Malformed) for i in items)
    return ([i for i in items if type(i) is Event], [i for i in items if type(i) is Malformed], reading.position)


def utc(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_event_fields_in_the_order_build_passes_them():
    # eve_events.build constructs Event positionally for speed
    assert [f.name for f in fields(Event)] == [
        "source", "kind", "time", "line", "offset", "raw", "src", "dst", "sport", "dport", "proto",
        "action", "severity", "signature", "signature_id", "category", "rule", "iface", "direction",
        "host", "user", "flow", "message", "extra"]


# -- counts per sample file ------------------------------------------------------------------

COUNTS = [  # file, events, malformed, kinds
    (SUREVEGO, 266, 0, {"alert": 68, "file": 68, "http": 68, "dns": 48, "flow": 13, "stats": 1}),
    (BROKEN, 263, 6, {"alert": 68, "file": 68, "http": 67, "dns": 46, "flow": 13, "stats": 1}),
    (CROWDSEC / "suricata-logs-evelog.log", 8, 0, {"alert": 4, "flow": 2, "stats": 2}),
    (CROWDSEC / "suricata-eve-detect.log", 4, 0, {"alert": 4}),
    (TELEGRAF / "test1.json", 1, 0, {"stats": 1}),
    (TELEGRAF / "test2.json", 1, 0, {"stats": 1}),
    (TELEGRAF / "test3.json", 1, 0, {"alert": 1}),
    (TELEGRAF / "v2_alert.json", 1, 0, {"alert": 1}),
    (TELEGRAF / "v2_dns.json", 1, 0, {"dns": 1}),
    (TELEGRAF / "v2_drop.json", 1, 0, {"drop": 1}),
    (TELEGRAF / "v2_flow.json", 1, 0, {"flow": 1}),
    (TELEGRAF / "v2_http.json", 1, 0, {"http": 1}),
    (TELEGRAF / "v2_status.json", 1, 0, {"stats": 1}),
]


@needs_shared
@pytest.mark.parametrize("path, n_events, n_malformed, kinds", COUNTS, ids=lambda v: getattr(v, "name", ""))
def test_sample_counts_and_final_position(path, n_events, n_malformed, kinds):
    events, malformed, position = read_all(path)
    assert (len(events), len(malformed)) == (n_events, n_malformed)
    assert Counter(e.kind for e in events) == kinds
    data = path.read_bytes()
    assert position == Position(len(data), data.count(b"\n") + (not data.endswith(b"\n")))
    assert eve.sniff(read_head(path), path.name)


@needs_shared
def test_broken_file_loses_no_valid_line():
    good, _, _ = read_all(SUREVEGO)
    events, malformed, _ = read_all(BROKEN)
    assert [(m.line, m.reason) for m in malformed] == [
        (1, "not JSON"), (4, "not JSON"), (5, "not JSON"), (104, "not JSON"), (160, "not JSON"), (270, "not JSON")]
    # every eve.json line left intact in eve_broken.json is read, in order
    broken_raw = [e.raw for e in events]
    intact = [e for e in good if e.raw in set(broken_raw)]
    assert [e.line for e in good if e not in intact] == [1, 3, 4, 154]  # the lines corrupted there
    assert [e.raw for e in events if e.raw in {g.raw for g in good}] == [e.raw for e in intact]
    # line 2 is line 1 with a bad timestamp: kept, without a time
    bad_time = events[0]
    assert (bad_time.line, bad_time.time, bad_time.extra["bad_timestamp"]) == (
        2, None, "2017-01-30T16:12:26.985026+0100asloefbnjhowebfg")
    assert (bad_time.src, bad_time.dport, bad_time.flow, bad_time.extra["rrname"]) == (
        good[0].src, good[0].dport, good[0].flow, good[0].extra["rrname"])


# -- exact values from real lines ------------------------------------------------------------


@needs_shared
def test_dns_v1_query_and_answer():
    events, _, _ = read_all(SUREVEGO)
    query, answer = events[0], events[4]
    assert (query.kind, query.line, query.offset, query.time) == ("dns", 1, 0, utc("2017-01-30T16:12:26.985026+01:00"))
    assert (query.src, query.sport, query.dst, query.dport, query.proto, query.flow) == (
        "172.17.0.2", 55645, "172.21.3.254", 53, "udp", "955054024165314")
    assert query.extra == {"dns_type": "query", "rrname": "_http._tcp.security.debian.org", "rrtype": "SRV"}
    assert query.raw == SUREVEGO.read_text().splitlines()[0]
    assert answer.line == 5
    assert answer.extra == {"dns_type": "answer", "rrname": "prod.debian.map.fastly.net", "rrtype": "A",
                            "rcode": "NOERROR", "answers": ["151.101.12.204"]}
    assert answer.message == "dns answer prod.debian.map.fastly.net A NOERROR -> 151.101.12.204"


@needs_shared
def test_alert_with_http():
    alert = read_all(SUREVEGO)[0][48]
    assert (alert.line, alert.kind, alert.action, alert.severity) == (49, "alert", "allowed", 3)
    assert alert.signature == "ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management"
    assert (alert.signature_id, alert.category) == ("1:2013504:5", "Not Suspicious Traffic")
    assert (alert.src, alert.sport, alert.dst, alert.dport, alert.flow) == (
        "172.17.0.2", 41402, "54.230.202.37", 80, "1501577875823823")
    assert alert.extra == {"hostname": "deb.debian.org", "url": "/debian/pool/main/p/perl/perl-base_5.24.1-1_amd64.deb",
                           "user_agent": "Debian APT-HTTP/1.3 (1.4~beta3)", "method": "GET", "status": 200}
    assert alert.message == (
        "alert allowed: [1:2013504:5] ET POLICY GNU/Linux APT User-Agent Outbound likely related to package "
        "management (Not Suspicious Traffic, severity 3), http deb.debian.org/debian/pool/main/p/perl/"
        "perl-base_5.24.1-1_amd64.deb")


@needs_shared
def test_flow_time_is_its_start_and_offsets_like_minus_0000_are_utc():
    events, _, _ = read_all(CROWDSEC / "suricata-logs-evelog.log")
    flow = events[5]  # line 6: every timestamp there is written with -0000
    assert (flow.line, flow.kind, flow.iface) == (6, "flow", "eth0")
    assert flow.time == utc("2022-07-12T05:48:21.714860+00:00")
    assert flow.extra["logged"] == utc("2022-07-12T05:52:18.378379+00:00")
    assert flow.extra["end"] == utc("2022-07-11T05:48:21.733121+00:00")
    assert (flow.extra["state"], flow.extra["reason"], flow.extra["pkts_toserver"]) == ("closed", "timeout", 2)
    assert flow.message == "flow tcp: 3 packets, 162 bytes, closed (timeout)"
    stats = events[3]
    assert (stats.kind, stats.src, stats.extra["packets"], stats.extra["kernel_drops"]) == ("stats", None, 373404, 0)


@needs_shared
def test_alert_fields_from_crowdsec_and_telegraf():
    first = read_all(CROWDSEC / "suricata-logs-evelog.log")[0][0]
    assert (first.signature_id, first.severity, first.iface, first.extra["app_proto"]) == (
        "1:2024468:3", 1, "bond0", "http")
    assert first.extra["community_id"] == "xx"
    (alert,), _, position = read_all(TELEGRAF / "v2_alert.json")
    assert (alert.line, alert.offset, alert.iface, alert.signature, alert.signature_id) == (
        1, 0, "s1-suricata", "Corrupted HTTP body", "1:6:0")
    assert position.line == 35
    assert alert.raw == (TELEGRAF / "v2_alert.json").read_text().rstrip("\n")


@needs_shared
def test_duplicated_key_takes_the_last_value():
    (alert,), _, _ = read_all(TELEGRAF / "test3.json")
    assert (alert.severity, alert.signature, alert.time) == (3, "Corrupted HTTP body", utc("2021-05-30T20:07:13.208777+02:00"))


@needs_shared
def test_pretty_printed_drop_dns_http():
    (drop,), _, _ = read_all(TELEGRAF / "v2_drop.json")
    assert (drop.kind, drop.action, drop.extra["reason"], drop.message) == ("drop", "blocked", "stream error", "drop: stream error")
    (dns,), _, _ = read_all(TELEGRAF / "v2_dns.json")
    assert (dns.time, dns.extra["rrname"]) == (utc("2023-04-07T00:20:57.995497+08:00"), "reddit.com")
    (http,), _, _ = read_all(TELEGRAF / "v2_http.json")
    assert http.message == "http POST hkminorshort.weixin.qq.com/mmtls/2d6d45f1 -> 200"


FORMAT_EXAMPLES = ("Alert (Slips):", "DNS v2 answer (Slips):", "Flow (Slips)")


def format_md_example(title: str) -> str:
    """A verbatim record quoted in the samples' FORMAT.md (the Slips file is not stored)."""
    lines = (SURICATA / "FORMAT.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    return lines[start + 2]


@needs_shared
def test_slips_examples_dns_v2_and_flow_before_its_timestamp(tmp_path):
    path = tmp_path / "slips.json"
    path.write_text("".join(format_md_example(t) + "\n" for t in FORMAT_EXAMPLES))
    (alert, dns, flow), malformed, _ = read_all(path)
    assert not malformed
    assert (alert.signature_id, alert.severity, alert.host) == ("1:2403388:66418", 2, "stratosphere.org")
    assert dns.extra == {"dns_type": "answer", "rrname": "www.google.com", "rrtype": "A", "rcode": "NOERROR",
                         "dns_version": 2, "answers": ["172.217.23.196"]}
    assert flow.time == utc("2021-06-06T16:38:55.855844+02:00") > flow.extra["logged"]
    assert flow.extra["app_proto"] == "failed"


# -- synthetic records: every event type, DNS v3, odd values ---------------------------------

BASE = {"timestamp": "2024-03-01T10:00:00.000001+0000", "flow_id": 42, "src_ip": "192.0.2.1", "src_port": 5000,
        "dest_ip": "198.51.100.2", "dest_port": 53, "proto": "UDP"}


def one(tmp_path: Path, **record: object) -> Event:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({**BASE, **record}) + "\n")
    (event,), _, _ = read_all(path)
    return event


def test_dns_v3_request_and_response(tmp_path):
    request = one(tmp_path, event_type="dns", dns={
        "version": 3, "type": "request", "id": 0, "rcode": "NOERROR",
        "queries": [{"rrname": "www.suricata.io", "rrtype": "A"}, {"rrname": "suricata.io", "rrtype": "AAAA"}]})
    assert request.extra == {"dns_type": "request", "rrname": "www.suricata.io", "rrtype": "A", "rcode": "NOERROR",
                             "queries": ["www.suricata.io", "suricata.io"], "dns_version": 3}
    response = one(tmp_path, event_type="dns", dns={
        "version": 3, "type": "response", "rcode": "NOERROR", "queries": [{"rrname": "www.suricata.io", "rrtype": "A"}],
        "answers": [{"rrname": "www.suricata.io", "rrtype": "CNAME", "ttl": 3597, "rdata": "suricata.io"},
                    {"rrname": "suricata.io", "rrtype": "A", "ttl": 597, "rdata": "35.212.0.44"}]})
    assert response.extra["answers"] == ["suricata.io", "35.212.0.44"]
    assert response.message == "dns response www.suricata.io A NOERROR -> suricata.io 35.212.0.44"
    grouped = one(tmp_path, event_type="dns", dns={"version": 2, "type": "answer", "rrname": "a.example",
                                                   "rrtype": "A", "grouped": {"A": ["192.0.2.7", "192.0.2.8"]}})
    assert grouped.extra["answers"] == ["192.0.2.7", "192.0.2.8"]


def test_alerts_embedding_dns_before_and_after_suricata_8(tmp_path):
    alert = {"action": "blocked", "gid": 1, "signature_id": 9, "rev": 2, "signature": "x", "severity": 255}
    old = one(tmp_path, event_type="alert", alert=alert,
              dns={"query": [{"type": "query", "rrname": "evil.example", "rrtype": "A"}]})
    assert (old.action, old.severity, old.extra["rrname"]) == ("blocked", 4, "evil.example")
    answer = one(tmp_path, event_type="alert", alert={**alert, "severity": 0},
                 dns={"answer": {"version": 2, "type": "answer", "rrname": "evil.example", "rcode": "NXDOMAIN"}})
    assert (answer.severity, answer.extra["rcode"]) == (1, "NXDOMAIN")
    new = one(tmp_path, event_type="alert", alert=alert,
              dns={"version": 3, "type": "request", "queries": [{"rrname": "evil.example", "rrtype": "A"}]})
    assert new.extra["rrname"] == "evil.example"
    assert new.message == "alert blocked: [1:9:2] x (severity 4), dns evil.example"


def test_tls_ssh_anomaly_fileinfo_smtp_and_unknown_types(tmp_path):
    tls = one(tmp_path, event_type="tls", tls={"sni": "example.org", "version": "TLS 1.3", "subject": "CN=example.org",
                                               "ja3": {"hash": "e7d705a3286e19ea42f587b344ee6865", "string": "771,..."}})
    assert (tls.kind, tls.extra["sni"], tls.extra["ja3"]) == ("tls", "example.org", "e7d705a3286e19ea42f587b344ee6865")
    ssh = one(tmp_path, event_type="ssh", ssh={"client": {"proto_version": "2.0", "software_version": "OpenSSH_9.6"},
                                               "server": {"software_version": "OpenSSH_9.7", "hassh": {"hash": "ab"}}})
    assert (ssh.kind, ssh.extra["client_software"], ssh.extra["server_hassh"]) == ("ssh", "OpenSSH_9.6", "ab")
    anomaly = one(tmp_path, event_type="anomaly", anomaly={"type": "decode", "event": "decoder.udp.pkt_too_small"})
    assert (anomaly.kind, anomaly.signature, anomaly.extra["anomaly_type"]) == ("anomaly", "decoder.udp.pkt_too_small", "decode")
    info = one(tmp_path, event_type="fileinfo", fileinfo={"filename": "/a.exe", "size": 7, "sha256": "00ff"})
    assert (info.kind, info.extra["filename"], info.extra["sha256"]) == ("file", "/a.exe", "00ff")
    smtp = one(tmp_path, event_type="smtp", smtp={"helo": "mx", "mail_from": "<a@b>", "rcpt_to": ["<c@d>"]})
    assert (smtp.kind, smtp.extra["event_type"], smtp.extra["rcpt_to"], smtp.message) == (
        "other", "smtp", ["<c@d>"], "smtp from <a@b>")
    ftp = one(tmp_path, event_type="ftp", ftp={"command": "USER"})
    assert (ftp.kind, ftp.extra, ftp.proto) == ("other", {"event_type": "ftp"}, "udp")


@pytest.mark.parametrize("stamp, expected, note", [
    ("2024-03-01T10:00:00.5+00:00", "2024-03-01T10:00:00.5+00:00", None),
    ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00+00:00", None),
    ("2024-03-01T12:00:00.250000+0200", "2024-03-01T10:00:00.25+00:00", None),
    ("2024-03-01T09:00:00.000000-0100", "2024-03-01T10:00:00+00:00", None),
    ("2009-11-24T21:27:09.534255", "2009-11-24T21:27:09.534255+00:00", "assumed-utc"),
])
def test_timestamp_spellings(tmp_path, stamp, expected, note):
    event = one(tmp_path, event_type="dns", timestamp=stamp)
    assert event.time == utc(expected)
    assert event.extra.get("tz") == note


def test_values_of_the_wrong_type_do_not_reach_typed_fields(tmp_path):
    odd = one(tmp_path, event_type=["alert"], src_ip=7, src_port="80", dest_port=True, flow_id="9", proto="IPV6-ICMP",
              timestamp=17, alert={"signature_id": "1", "severity": "high"})
    assert (odd.kind, odd.src, odd.sport, odd.dport, odd.flow, odd.proto, odd.time) == (
        "other", None, None, None, None, "icmp6", None)
    assert (odd.signature_id, odd.severity) == (None, None)
    assert one(tmp_path, event_type="flow", proto="006").proto == "tcp"
    assert one(tmp_path, event_type="flow", proto=47).proto == "47"


# -- multi-line objects, resuming, gzip, unfinished records ----------------------------------


@needs_shared
def test_concatenated_pretty_objects_cite_the_line_each_starts_on(tmp_path):
    parts = [(TELEGRAF / name).read_text() for name in ("v2_dns.json", "v2_http.json", "test3.json", "v2_drop.json")]
    path = tmp_path / "several.json"
    path.write_text("".join(p if p.endswith("\n") else p + "\n" for p in parts))
    events, malformed, _ = read_all(path)
    assert not malformed
    assert [e.kind for e in events] == ["dns", "http", "alert", "drop"]
    assert [e.line for e in events] == [1, 19, 41, 42]
    assert [e.offset for e in events] == [0, 402, 1007, 1577]  # the files are 402, 605, 570 bytes
    assert eve.sniff(read_head(path), path.name)
    # several objects on one line, and objects separated by "}{"
    path.write_text('{"event_type":"dns"}{"event_type":"http"}\n{"event_type":"tls",\n"x":1}{"event_type":"ssh"}\n')
    events, malformed, _ = read_all(path)
    assert ([e.kind for e in events], [e.line for e in events], malformed) == (["dns", "http", "tls", "ssh"], [1, 1, 2, 2], [])


def test_broken_multi_line_object_does_not_swallow_the_next_record(tmp_path):
    path = tmp_path / "eve.json"
    path.write_text('{\n  "event_type": "dns",\n  "dns": {"rrname": "a"\n'  # never closed
                    '{"event_type":"alert","alert":{"signature_id":1}}\n'
                    '  "stray": 1\n}\n')
    events, malformed, position = read_all(path)
    assert [(e.kind, e.line) for e in events] == [("alert", 4)]
    assert [(m.line, m.reason) for m in malformed] == [(1, "object never closed"), (5, "not JSON"), (6, "not JSON")]
    assert position.line == 6


@needs_shared
@pytest.mark.parametrize("cut", [0, 1, 5000, 16589, 16590, 16591, 77777, 144511])
def test_two_part_read_equals_one_read(tmp_path, cut):
    data = SUREVEGO.read_bytes()
    path = tmp_path / "eve.json"
    path.write_bytes(data[:cut])
    first, bad_first, position = read_all(path)
    # at a line start, or at the cut when the line before it was a whole object
    assert position.offset == cut or (position.offset < cut and data[position.offset - 1:position.offset] in (b"", b"\n"))
    path.write_bytes(data)
    rest, bad_rest, end = read_all(path, position)
    whole, bad_whole, whole_end = read_all(SUREVEGO)
    assert first + rest == whole and bad_first + bad_rest == bad_whole == []
    assert end == whole_end


@needs_shared
def test_pretty_object_being_written_is_read_once_complete(tmp_path):
    text = (TELEGRAF / "v2_alert.json").read_text()
    path = tmp_path / "eve.json"
    for cut in (1, 200, len(text) - 3, len(text) - 2):
        path.write_text(text[:cut])
        events, malformed, position = read_all(path)
        assert (events, malformed, position) == ([], [], Position())
    path.write_text(text[:-1])  # the final "}" without its newline: complete
    (alert,), _, position = read_all(path)
    assert (alert.line, position) == (1, Position(len(text) - 1, 35))


@needs_shared
def test_truncated_final_line_is_read_when_completed(tmp_path):
    lines = SUREVEGO.read_bytes().splitlines(keepends=True)[:3]
    path = tmp_path / "eve.json"
    path.write_bytes(lines[0] + lines[1] + lines[2][:100])
    events, malformed, position = read_all(path)
    assert (len(events), malformed, position) == (2, [], Position(len(lines[0]) + len(lines[1]), 2))
    path.write_bytes(b"".join(lines))
    (third,), _, end = read_all(path, position)
    assert (third.line, third.offset, end.line) == (3, len(lines[0]) + len(lines[1]), 3)


@needs_shared
def test_newline_written_after_a_whole_final_object_does_not_shift_line_numbers(tmp_path):
    first, second = SUREVEGO.read_bytes().splitlines(keepends=True)[:2]
    path = tmp_path / "eve.json"
    path.write_bytes(first[:-1])
    (one_event,), _, position = read_all(path)
    assert position == Position(len(first) - 1, 1)
    path.write_bytes(first)  # only the newline so far
    assert read_all(path, position) == ([], [], Position(len(first), 1))
    path.write_bytes(first + second)
    (two,), _, end = read_all(path, position)
    assert (two.line, two.offset, end) == (2, len(first), Position(len(first) + len(second), 2))


@needs_shared
def test_gzip_reads_like_plain(tmp_path):
    packed = tmp_path / "eve.json.gz"
    packed.write_bytes(gzip.compress(BROKEN.read_bytes()))
    assert read_all(packed) == read_all(BROKEN)
    assert eve.sniff(read_head(packed), packed.name)


@needs_shared
def test_damaged_gzip_keeps_what_came_before(tmp_path):
    packed = tmp_path / "eve.json.gz"
    packed.write_bytes(gzip.compress(SUREVEGO.read_bytes())[:-12])
    events, malformed, position = read_all(packed)
    # the records before the damage, as from the plain file; then one report where it starts
    assert events == read_all(SUREVEGO)[0][:len(events)] and position.line == len(events) > 133
    assert [(m.line, m.reason.split(":")[0]) for m in malformed] == [(position.line + 1, "compressed stream unreadable")]


@needs_shared
def test_read_eve_keeps_its_tuple_interface():
    pairs = list(eve.read_eve(BROKEN, "eve_broken.json"))
    assert len(pairs) == 263
    assert pairs[0][0] == 2 and pairs[0][1]["dns"]["rrname"] == "_http._tcp.security.debian.org"


# -- detection ---------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("path", [
    SURICATA / "crowdsec-hub-tests" / "suricata-logs-fastlog.log",
    SURICATA / "reference" / "eve-json-format.rst",
    SURICATA / "reference" / "8.0-dns-logging-changes.rst",
    SURICATA / "reference" / "schema.json",
    *sorted((SHARED / "samples" / "wazuh").rglob("*.json"))[:3],
    *sorted((SHARED / "samples" / "zeek").rglob("*.log"))[:3],
], ids=lambda p: p.name)
def test_sniff_rejects_other_formats(path):
    assert not eve.sniff(read_head(path), path.name)


@needs_shared
@pytest.mark.parametrize("path", [BROKEN, TELEGRAF / "test1.json", TELEGRAF / "v2_alert.json",
                                  CROWDSEC / "suricata-eve-detect.log"], ids=lambda p: p.name)
def test_detected_as_eve_among_all_formats(path):
    from askzero.logs import formats

    assert formats.detect(path).NAME == "eve"


# -- fuzzing -----------------------------------------------------------------------------------

SEEDS = [SUREVEGO.read_text()[:6000], (TELEGRAF / "v2_alert.json").read_text()] if SURICATA.exists() else ['{"event_type":"dns"}\n']
TOKENS = ['{', '}', '[', ']', '"', ',', ':', '\\', '"event_type":"alert"', '"timestamp":"x"', 'null', '\n', '\x00', '\ufeff']


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400), mutated(SEEDS, TOKENS).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_random_and_mutated_input_never_raises(tmp_path, data):
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    events, malformed, position = read_all(path)
    assert 0 <= position.offset <= len(data)
    for event in events:
        assert event.source == "eve" and event.kind in KIND.values() or event.kind == "other"
        assert event.sport is None or type(event.sport) is int
    eve.sniff(data[:4096], "fuzz.json")


RECORDS = [json.dumps({**BASE, "event_type": t}) for t in ("dns", "alert", "flow")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.sampled_from(["compact", "pretty", "blank"]), min_size=1, max_size=8),
       cut=st.floats(0, 1), pick=st.integers(0, 2))
def test_any_cut_of_a_growing_file_resumes_exactly(tmp_path, chunks, cut, pick):
    record = json.loads(RECORDS[pick])
    text = "".join("\n" if c == "blank" else json.dumps(record, indent=2 if c == "pretty" else None) + "\n"
                   for c in chunks)
    data = text.encode()
    path = tmp_path / "grow.json"
    path.write_bytes(data[:int(cut * len(data))])
    first, _, position = read_all(path)
    path.write_bytes(data)
    rest, _, _ = read_all(path, position)
    whole, malformed, _ = read_all(path)
    assert first + rest == whole and not malformed
    assert len(whole) == chunks.count("compact") + chunks.count("pretty")
