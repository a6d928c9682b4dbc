"""Suricata fast.log: counts and exact values from the shared samples, drop verdicts, IPv6,
ICMP without ports, decoder events, resuming, gzip, unfinished final lines, fuzzing."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.logs import fastlog
from askzero.logs.lines import Position, read_head
from askzero.logs.record import Event, Malformed
from conftest import SHARED
from mutations import mutated

SURICATA = SHARED / "samples" / "suricata"
VERIFY = SURICATA / "suricata-verify-fastlog"
CROWDSEC = SURICATA / "crowdsec-hub-tests" / "suricata-logs-fastlog.log"
LUA = VERIFY / "lua_lua-fastlog__fast.log"  # one line, no final newline
needs_shared = pytest.mark.skipif(not SURICATA.exists(), reason="../shared not present")


def read_all(path: Path, start: Position = Position()) -> tuple[list[Event], list[Malformed], Position]:
    reading = fastlog.read(path, start)
    items = list(reading)
    assert all(type(i) in (Event, Malformed) for i in items)
    return ([i for i in items if type(i) is Event], [i for i in items if type(i) is Malformed], reading.position)


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


def one(tmp_path: Path, line: str) -> Event | Malformed:
    path = tmp_path / "fast.log"
    path.write_text(line + "\n")
    (item,) = list(fastlog.read(path, Position()))
    return item


@needs_shared
@pytest.mark.parametrize("path, n_events", [
    (VERIFY / "http2-files__fast.log", 28), (VERIFY / "http2-files-6__fast.log", 13), (CROWDSEC, 4), (LUA, 0)],
    ids=lambda v: getattr(v, "name", ""))
def test_sample_counts(path, n_events):
    events, malformed, position = read_all(path)
    assert (len(events), malformed) == (n_events, [])
    assert {e.kind for e in events} <= {"alert"}
    assert position.line == n_events
    assert fastlog.sniff(read_head(path), path.name)


@needs_shared
def test_crowdsec_line_exact_fields():
    events, _, _ = read_all(CROWDSEC)
    first, last = events[0], events[3]
    assert (first.line, first.offset, first.time) == (1, 0, utc(2022, 7, 11, 10, 29, 1, 860293))
    assert (first.src, first.sport, first.dst, first.dport, first.proto) == ("2.57.122.209", 28487, "172.31.18.55", 80, "tcp")
    assert (first.signature, first.signature_id, first.category, first.severity, first.action) == (
        "SURICATA TCPv4 invalid checksum", "1:2200074:2", "Generic Protocol Command Decode", 3, "allowed")
    assert first.extra == {"tz": "assumed-utc"}
    assert first.raw == CROWDSEC.read_text().splitlines()[0]
    assert first.message == ("alert allowed: [1:2200074:2] SURICATA TCPv4 invalid checksum "
                             "(Generic Protocol Command Decode, priority 3)")
    assert (last.severity, last.signature) == (1, "ET EXPLOIT Apache HTTP Server 2.4.49 - Path Traversal Attempt (CVE-2021-41773) M2")


@needs_shared
def test_ipv6_in_full_and_null_message():
    first = read_all(VERIFY / "http2-files__fast.log")[0][0]
    assert (first.src, first.sport, first.dst, first.dport) == (
        "0000:0000:0000:0000:0000:0000:0000:0001", 3000, "0000:0000:0000:0000:0000:0000:0000:0001", 56508)
    assert (first.signature, first.category, first.signature_id, first.time) == (
        None, None, "1:6:1", utc(2014, 8, 2, 10, 50, 25, 823699))


@needs_shared
def test_final_line_without_newline_waits_unless_the_file_is_gzip(tmp_path):
    text = LUA.read_text()
    plain = tmp_path / "fast.log"
    plain.write_text(text)
    assert read_all(plain) == ([], [], Position())
    plain.write_text(text + "\n")
    (event,), _, position = read_all(plain)
    assert position == Position(len(text) + 1, 1)
    assert (event.proto, event.src, event.sport, event.dst, event.dport) == ("tcp", "82.165.177.154", 80, "10.16.1.11", 54186)
    assert (event.signature_id, event.severity, event.category) == ("1:2100498:7", 2, "Potentially Bad Traffic")
    packed = tmp_path / "fast.log.1.gz"
    packed.write_bytes(gzip.compress(text.encode()))  # rotated: finished, so its last line is whole
    (from_gzip,), _, _ = read_all(packed)
    assert from_gzip.raw == event.raw and from_gzip.time == event.time


@pytest.mark.parametrize("verdict, action, extra", [
    ("[Drop] ", "blocked", {"tz": "assumed-utc"}),
    ("[wDrop] ", "allowed", {"tz": "assumed-utc", "would_drop": True}),
    ("", "allowed", {"tz": "assumed-utc"}),
])
def test_drop_verdicts(tmp_path, verdict, action, extra):
    event = one(tmp_path, f"01/02/2024-03:04:05.000006  {verdict}[**] [1:2:3] m [**] "
                          f"[Classification: c] [Priority: 9] {{UDP}} 192.0.2.1:53 -> 198.51.100.2:5353")
    assert (event.action, event.extra, event.severity, event.time) == (action, extra, 4, utc(2024, 1, 2, 3, 4, 5, 6))


def test_icmp_without_ports_and_with_type_code(tmp_path):
    plain = one(tmp_path, "01/02/2024-03:04:05.5  [**] [1:2:3] ping [**] [Classification: c] [Priority: 0] "
                          "{ICMP} 192.0.2.1 -> 198.51.100.2")
    assert (plain.proto, plain.src, plain.sport, plain.dst, plain.dport, plain.severity) == (
        "icmp", "192.0.2.1", None, "198.51.100.2", None, 1)
    assert plain.time == utc(2024, 1, 2, 3, 4, 5, 500000)
    typed = one(tmp_path, "01/02/2024-03:04:05.000000  [**] [1:2:3] ping [**] [Classification: c] [Priority: 2] "
                          "{IPV6-ICMP} 2001:0db8:0000:0000:0000:0000:0000:0001:128 -> 2001:0db8:0000:0000:0000:0000:0000:0002:0")
    assert (typed.proto, typed.src, typed.dst, typed.sport, typed.extra["icmp_type"], typed.extra["icmp_code"]) == (
        "icmp6", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:0db8:0000:0000:0000:0000:0000:0002", None, 128, 0)
    short = one(tmp_path, "01/02/2024-03:04:05.000000  [**] [1:2:3] x [**] [Classification: c] [Priority: 2] "
                          "{IPV6-ICMP} 2001:db8::1 -> fe80::1:2")
    assert (short.src, short.dst, short.dport) == ("2001:db8::1", "fe80::1:2", None)
    tcp6 = one(tmp_path, "01/02/2024-03:04:05.000000  [**] [1:2:3] x [**] [Classification: c] [Priority: 2] "
                         "{TCP} 2001:db8::1:443 -> 2001:db8::2:50000")
    assert (tcp6.src, tcp6.sport, tcp6.dst, tcp6.dport) == ("2001:db8::1", 443, "2001:db8::2", 50000)


def test_decoder_event_and_numbered_protocol(tmp_path):
    raw = one(tmp_path, "01/02/2024-03:04:05.000000  [**] [1:2200003:2] SURICATA IPv4 truncated packet [**] "
                        "[Classification: (null)] [Priority: 3] [**] [Raw pkt: 00 01 02 03 ] [pcap file packet: 17]")
    assert (raw.src, raw.proto, raw.category, raw.extra) == (
        None, None, None, {"tz": "assumed-utc", "raw_pkt": "00 01 02 03", "pcap_cnt": 17})
    gre = one(tmp_path, "01/02/2024-03:04:05.000000  [**] [1:2:3] x [**] [Classification: c] [Priority: 2] "
                        "{047} 192.0.2.1 -> 192.0.2.2")
    assert (gre.proto, gre.sport) == ("47", None)


def test_message_containing_the_separator(tmp_path):
    event = one(tmp_path, "01/02/2024-03:04:05.000000  [**] [1:2:3] odd [**] name [**] [Classification: a] b] "
                          "[Priority: 2] {TCP} 192.0.2.1:1 -> 192.0.2.2:2")
    assert (event.signature, event.category) == ("odd [**] name", "a] b")


@pytest.mark.parametrize("line, reason", [
    ("13/45/2024-03:04:05.000000  [**] [1:2:3] x [**] [Classification: c] [Priority: 2] {TCP} 192.0.2.1:1 -> 192.0.2.2:2",
     "invalid date or time"),
    ("01/02/2024-25:04:05.000000  [**] [1:2:3] x [**] [Classification: c] [Priority: 2] {TCP} 192.0.2.1:1 -> 192.0.2.2:2",
     "invalid date or time"),
    ("01/02/2024-03:04:05.000000  [**] [1:2:3] x [**] [Classification: c] [Priority: 2] {TCP} 192.0.2.999:1 -> 192.0.2.2:2",
     "invalid address"),
    ("Jan  2 03:04:05 host suricata[1]: [1:2:3] x", "not a fast.log alert"),
])
def test_malformed_lines(tmp_path, line, reason):
    item = one(tmp_path, line)
    assert type(item) is Malformed and (item.line, item.reason) == (1, reason)


@needs_shared
@pytest.mark.parametrize("cut", [0, 10, 192, 193, 1000, 2495])
def test_two_part_read_equals_one_read(tmp_path, cut):
    data = (VERIFY / "http2-files-6__fast.log").read_bytes()
    path = tmp_path / "fast.log"
    path.write_bytes(data[:cut])
    first, _, position = read_all(path)
    path.write_bytes(data)
    rest, _, end = read_all(path, position)
    whole, _, whole_end = read_all(path)
    assert first + rest == whole and end == whole_end == Position(len(data), 13)


@needs_shared
def test_gzip_reads_like_plain(tmp_path):
    packed = tmp_path / "fast.log.gz"
    packed.write_bytes(gzip.compress(CROWDSEC.read_bytes()))
    assert read_all(packed) == read_all(CROWDSEC)


@needs_shared
def test_damaged_gzip_keeps_what_came_before(tmp_path):
    packed = tmp_path / "fast.log.gz"
    packed.write_bytes(gzip.compress((VERIFY / "http2-files__fast.log").read_bytes())[:-12])
    events, malformed, position = read_all(packed)
    # the records before the damage, as from the plain file; then one report where it starts
    assert events == read_all(VERIFY / "http2-files__fast.log")[0][:len(events)] and position.line == len(events) > 14
    assert [(m.line, m.reason.split(":")[0]) for m in malformed] == [(position.line + 1, "compressed stream unreadable")]


@needs_shared
@pytest.mark.parametrize("path", [
    SURICATA / "surevego-testdata" / "eve.json",
    *sorted((SHARED / "samples" / "syslog").rglob("*"))[:4],
    *sorted((SHARED / "samples" / "zeek").rglob("*.log"))[:2],
], ids=lambda p: p.name)
def test_sniff_rejects_other_formats(path):
    if path.is_file():
        assert not fastlog.sniff(read_head(path), path.name)


@needs_shared
@pytest.mark.parametrize("path", [CROWDSEC, LUA, VERIFY / "http2-files__fast.log"], ids=lambda p: p.name)
def test_detected_as_fastlog_among_all_formats(path):
    from askzero.logs import formats

    assert formats.detect(path).NAME == "fastlog"


SEEDS = [CROWDSEC.read_text(), (VERIFY / "http2-files-6__fast.log").read_text()] if SURICATA.exists() else [
    "07/11/2022-10:29:01.860293  [**] [1:2:3] m [**] [Classification: c] [Priority: 3] {TCP} 1.2.3.4:1 -> 5.6.7.8:2\n"]
TOKENS = ["[**]", "[Drop]", "{TCP}", "{ICMP}", "->", ":", "::", "[Priority: 999999999999]", "99/99/9999-99:99:99.9",
          "[Raw pkt:", "]", "\r", "\x00", "ü"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), mutated(SEEDS, TOKENS).map(str.encode)))
def test_random_and_mutated_input_never_raises(tmp_path, data):
    path = tmp_path / "fuzz.log"
    path.write_bytes(data)
    events, malformed, position = read_all(path)
    assert 0 <= position.offset <= len(data)
    for event in events:
        assert event.kind == "alert" and 1 <= event.severity <= 4 and event.extra["tz"] == "assumed-utc"
    fastlog.sniff(data[:4096], "fuzz.log")
