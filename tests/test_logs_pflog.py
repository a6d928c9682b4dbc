"""The pflog log format: events from binary captures, resuming, damage, and speed-path text.

The fast reader (``pflog.read``) is checked against the complete decoder behind
``read_pflog``/``PflogRecord.to_tcpdump()``: same fields, byte-identical text.
"""

from __future__ import annotations

import dataclasses
import gzip
import random
import struct
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.errors import SourceError
from askzero.logs import pflog, pflogevent
from askzero.logs.lines import Position, open_maybe_gzip
from askzero.logs.pflog import is_pflog_file, read, read_pflog, sniff
from askzero.logs.pflogrecord import PflogRecord, decode_record
from askzero.logs.pflogwrite import build_record, pflog_bytes
from askzero.logs.record import Event, Malformed

from conftest import DEMO

T0 = datetime(2026, 11, 20, 2, 15, 12, 345678, tzinfo=timezone.utc)
DEMO_PFLOG = DEMO / "var" / "log" / "pflog"
LINUX_OPTS = (("mss", 1460), ("sackOK",), ("timestamp", 664198628, 0), ("nop",), ("wscale", 7))


def records() -> list[PflogRecord]:
    """One of each shape the fast path and the slow path take."""
    syn = dict(ifname="em0", src="203.0.113.7", dst="192.0.2.10", sport=40122, dport=22)
    return [
        build_record(T0, rulenr=8, subrulenr=0, ruleset="threat_feeds", seq=1381529123,
                     win=64240, tcp_options=LINUX_OPTS, ttl=51, df=True, **syn),
        build_record(T0, rulenr=8, subrulenr=1, ruleset="threat_feeds", ifname="em0",
                     direction="out", src="10.10.0.23", dst="203.0.113.7", sport=49852,
                     dport=443, translated_src="192.0.2.10", translated_sport=58213, df=True),
        build_record(T0, rulenr=2, ifname="em0", src="198.51.100.231", dst="192.0.2.10",
                     proto="udp", sport=5060, dport=5060, payload_len=431, tos=0x10, ttl=1),
        build_record(T0, rulenr=-1, action="pass", ifname="em1", src="10.10.0.5",
                     dst="10.10.0.1", proto="icmp"),
        build_record(T0, rulenr=3, ruleset="spam", ifname="em2", src="2001:db8::1",
                     dst="2001:db8::2", sport=1234, dport=25, tcp_flags="SA", seq=7, ack=99),
        build_record(T0, rulenr=4, action="match", ifname="em0", src="2001:db8::1",
                     dst="2001:db8::53", proto="udp", sport=5353, dport=53, payload_len=40),
        build_record(T0, rulenr=5, action="nat", ifname="em0", src="10.0.0.1", dst="10.0.0.2",
                     proto="47", payload_len=20),
        build_record(T0, rulenr=6, action="pass", ifname="em0", src="10.0.0.1",
                     dst="10.0.0.2", sport=80, dport=5555, tcp_flags="PAU", seq=1, ack=2,
                     payload_len=300, tcp_options=(("nop",), ("nop",), ("timestamp", 5, 6))),
    ]


def write(tmp_path: Path, data: bytes, name: str = "pflog") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, start: Position = Position()) -> tuple[list[Event | Malformed], Position]:
    reading = read(path, start)
    items = list(reading)
    return items, reading.position


def check_event(event: Event, rec: PflogRecord) -> None:
    """The event says what the complete decoder says about the same record."""
    assert event.raw == event.message == rec.to_tcpdump()
    assert event.source == "pflog"
    assert event.kind == (rec.action if rec.action in ("block", "pass", "match") else "other")
    assert event.time == rec.time.timestamp()
    assert (event.line, event.offset) == (rec.index, rec.offset)
    assert (event.src, event.dst, event.sport, event.dport, event.proto) == (
        rec.src, rec.dst, rec.sport, rec.dport, rec.proto)
    assert (event.action, event.direction, event.iface, event.rule) == (
        rec.action, rec.direction, rec.ifname, rec.rule_ref)
    extra = event.extra
    assert (extra["reason"], extra["rulenr"], extra["subrulenr"], extra["ruleset"]) == (
        rec.reason, rec.rulenr, rec.subrulenr, rec.ruleset)
    assert extra["af"] == rec.af
    assert extra.get("tcp_flags") == rec.tcp_flags
    assert extra.get("rewritten", False) == rec.rewritten
    if rec.rewritten:
        assert (extra["translated_src"], extra["translated_dst"]) == (
            rec.translated_src, rec.translated_dst)
        assert extra.get("translated_sport") == rec.translated_sport
        assert extra.get("translated_dport") == rec.translated_dport
    if rec.pid != 100000:
        assert (extra["uid"], extra["pid"]) == (rec.uid, rec.pid)
    else:
        assert "uid" not in extra and "pid" not in extra


def compare_with_records(path: Path) -> list[Event | Malformed]:
    items, position = read_all(path)
    recs = list(read_pflog(path))
    assert len(items) == len(recs)
    for item, rec in zip(items, recs):
        assert isinstance(item, Event), item
        check_event(item, rec)
    with open_maybe_gzip(path) as fh:
        size = len(fh.read())
    assert position == Position(size, len(recs))
    return items


# --------------------------------------------------------------------------- the format


def test_sniff_and_name(tmp_path: Path) -> None:
    data = pflog_bytes(records())
    assert pflog.NAME == "pflog"
    assert sniff(data[:4096], "pflog") and sniff(data[:24], "anything")
    assert not sniff(data[:23], "pflog")
    assert not sniff(b"Mar 30 15:47:05.522341 rule 4/(match) block in on lo0: x", "pflog")
    ethernet = data[:20] + struct.pack("<I", 1) + data[24:]
    assert not sniff(ethernet, "pflog")
    assert sniff(pflog_bytes(records(), order=">")[:24], "pflog")
    gz = write(tmp_path, gzip.compress(data), "pflog.0.gz")
    assert is_pflog_file(gz) and not is_pflog_file(write(tmp_path, ethernet, "eth"))
    assert not is_pflog_file(tmp_path / "missing")


def test_demo_capture_matches_the_complete_decoder() -> None:
    items = compare_with_records(DEMO_PFLOG)
    assert len(items) > 100
    kinds = {item.kind for item in items if isinstance(item, Event)}
    assert "block" in kinds


def test_every_shape_matches_the_complete_decoder(tmp_path: Path) -> None:
    recs = records()
    socket_owned = dataclasses.replace(recs[1], uid=1000, pid=4242, rule_uid=0, rule_pid=77)
    path = write(tmp_path, pflog_bytes([*recs, socket_owned]))
    items = compare_with_records(path)
    by_rule = {item.rule: item for item in items if isinstance(item, Event)}
    assert by_rule["8.threat_feeds.0"].extra["tcp_flags"] == "S"
    assert by_rule["5"].kind == "other" and by_rule["5"].action == "nat"
    assert by_rule["4"].kind == "match" and by_rule["4"].extra["af"] == "inet6"
    assert by_rule["def"].proto == "icmp" and by_rule["def"].sport is None
    assert items[-1].extra["uid"] == 1000 and items[-1].extra["pid"] == 4242
    rewritten = items[1].extra
    assert rewritten["rewritten"] is True
    assert (rewritten["translated_src"], rewritten["translated_sport"]) == ("192.0.2.10", 58213)
    assert "rewritten" not in items[0].extra


def test_big_endian_and_nanosecond_captures(tmp_path: Path) -> None:
    big = write(tmp_path, pflog_bytes(records(), order=">"), "big")
    compare_with_records(big)
    raw = bytearray(pflog_bytes(records()[:2]))
    raw[0:4] = struct.pack("<I", 0xA1B23C4D)  # nanosecond timestamps
    first_frac = 24 + 4
    struct.pack_into("<I", raw, first_frac, 345678 * 1000 + 999)
    (event, _), _ = read_all(write(tmp_path, bytes(raw), "ns"))
    assert isinstance(event, Event)
    assert event.time == T0.timestamp()
    assert event.raw.startswith("Nov 20 02:15:12.345678 rule")


def test_gzip_rotated_file_and_resume(tmp_path: Path) -> None:
    data = pflog_bytes(records())
    plain = write(tmp_path, data)
    rotated = write(tmp_path, gzip.compress(data), "pflog.0.gz")
    full, end = read_all(rotated)
    assert [e.raw for e in full] == [e.raw for e in read_all(plain)[0]]
    assert end == Position(len(data), len(records()))
    rest, again = read_all(rotated, Position(full[3].offset, 3))
    assert rest == full[3:] and again == end


def test_resume_from_every_record_boundary(tmp_path: Path) -> None:
    path = write(tmp_path, pflog_bytes(records()))
    full, end = read_all(path)
    for k in range(len(full) + 1):
        start = Position(full[k].offset, k) if k < len(full) else end
        rest, stop = read_all(path, start)
        assert rest == full[k:]
        assert stop == end


def test_early_stop_position_covers_what_was_handed_out(tmp_path: Path) -> None:
    path = write(tmp_path, pflog_bytes(records()))
    full, _ = read_all(path)
    reading = read(path, Position())
    iterator = iter(reading)
    taken = [next(iterator), next(iterator)]
    assert reading.position == Position(full[2].offset, 2)
    assert taken + read_all(path, reading.position)[0] == full


def test_growing_file_never_consumes_a_half_written_record(tmp_path: Path) -> None:
    """Cut at every byte: complete records only, no Malformed; the rest arrives later."""
    data = pflog_bytes(records()[:4])
    full, end = read_all(write(tmp_path, data, "whole"))
    path = tmp_path / "pflog"
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        head, position = read_all(path)
        assert all(isinstance(item, Event) for item in head)
        assert head == full[: len(head)]
        expected_end = full[len(head)].offset if len(head) < len(full) else end.offset
        assert position.line == len(head)
        assert position.offset == (expected_end if cut >= 24 else 0)
        path.write_bytes(data)  # the writer finishes
        tail, final = read_all(path, position)
        assert head + tail == full and final == end


def test_records_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, pflog_bytes(records()))
    expected = read_all(path)
    for size in (1, 7, 100, 333):
        monkeypatch.setattr(pflogevent, "CHUNK", size)
        assert read_all(path) == expected


# --------------------------------------------------------------------------- damage


def test_implausible_capture_length_ends_the_file(tmp_path: Path) -> None:
    data = bytearray(pflog_bytes(records()[:3]))
    full, _ = read_all(write(tmp_path, bytes(data), "good"))
    second = full[1].offset
    struct.pack_into("<I", data, second + 8, 10_000_000)  # caplen of record 2
    items, position = read_all(write(tmp_path, bytes(data)))
    assert items[0] == full[0]
    (bad,) = items[1:]
    assert isinstance(bad, Malformed)
    assert (bad.line, bad.offset) == (2, second)
    assert "capture length 10000000 is implausible" in bad.reason
    assert position == Position(len(data), 2)  # consumed: reported once, not every ingest


def test_bad_record_is_reported_and_reading_continues(tmp_path: Path) -> None:
    data = bytearray(pflog_bytes(records()[:3]))
    full, end = read_all(write(tmp_path, bytes(data), "good"))
    data[full[0].offset + 16] = 12  # pfloghdr.length of record 1
    struct.pack_into("<I", data, full[1].offset + 4, 2_000_000)  # record 2: usec too large
    data[full[2].offset + 16 + 100] = 0x15  # record 3: not an IPv4 packet
    items, position = read_all(write(tmp_path, bytes(data)))
    assert [type(i) for i in items] == [Malformed, Malformed, Malformed]
    assert [i.line for i in items] == [1, 2, 3]
    assert [i.offset for i in items] == [e.offset for e in full]
    assert "bad pfloghdr length 12" in items[0].reason
    assert "bad timestamp fraction 2000000" in items[1].reason
    assert "not IPv4" in items[2].reason
    assert position == end


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00" * 24, "not a pcap file"),
        (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "link type 1"),
    ],
)
def test_not_a_pflog_file_is_one_malformed(tmp_path: Path, data: bytes, reason: str) -> None:
    items, position = read_all(write(tmp_path, data + bytes(200)))
    (bad,) = items
    assert isinstance(bad, Malformed) and reason in bad.reason and bad.line == 0
    assert position == Position()


def test_short_and_empty_files_wait(tmp_path: Path) -> None:
    assert read_all(write(tmp_path, b"")) == ([], Position())
    assert read_all(write(tmp_path, pflog_bytes([])[:10])) == ([], Position())
    assert read_all(write(tmp_path, pflog_bytes([]))) == ([], Position(24, 0))


def test_corrupt_and_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(pflog_bytes(records()), mtime=0)
    cut, position = read_all(write(tmp_path, data[:-30], "pflog.0.gz"))
    assert all(isinstance(i, Event) for i in cut) and position.line == len(cut)
    broken = bytearray(data)
    broken[40:60] = bytes(20)
    items, _ = read_all(write(tmp_path, bytes(broken), "pflog.1.gz"))
    assert all(isinstance(i, (Event, Malformed)) for i in items)


def test_missing_file_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        list(read(tmp_path / "nope", Position()))


# --------------------------------------------------------------------------- properties

_ADDR4 = st.ip_addresses(v=4).map(str)
_ADDR6 = st.ip_addresses(v=6).map(str)
_OPTION_SIZES = {"mss": 4, "sackOK": 2, "nop": 1, "wscale": 3, "timestamp": 10, "eol": 1}


def _option_bytes(options: list) -> int:
    size = sum(_OPTION_SIZES[o[0]] for o in options)
    return size + (-size % 4)


_OPTIONS = st.lists(st.sampled_from([("mss", 1460), ("sackOK",), ("nop",), ("wscale", 7),
                                     ("timestamp", 1, 2), ("eol",)]), max_size=6)


@st.composite
def pflog_record(draw: st.DrawFn) -> PflogRecord:
    v6 = draw(st.booleans())
    src, dst = (draw(_ADDR6), draw(_ADDR6)) if v6 else (draw(_ADDR4), draw(_ADDR4))
    ruleset = draw(st.sampled_from(["", "threat_feeds", "a-b"]))
    options = draw(_OPTIONS)
    while _option_bytes(options) > 40:  # TCP carries at most 40 bytes of options
        options = options[:-1]
    rec = build_record(
        T0.replace(microsecond=draw(st.integers(0, 999999))),
        rulenr=draw(st.integers(-1, 3000)), subrulenr=draw(st.integers(-1, 50)),
        ruleset=ruleset, ifname=draw(st.sampled_from(["em0", "vio1", "pppoe0", "x" * 15])),
        src=src, dst=dst, proto=draw(st.sampled_from(["tcp", "tcp", "udp", "icmp", "50"])),
        sport=draw(st.integers(0, 65535)), dport=draw(st.integers(0, 65535)),
        action=draw(st.sampled_from(["pass", "block", "match", "scrub", "nat", "rdr",
                                     "divert"])),
        reason=draw(st.sampled_from(["match", "short", "state-mismatch", "no-route"])),
        direction=draw(st.sampled_from(["in", "out"])),
        tcp_flags=draw(st.sampled_from(["S", "SA", "A", "FA", "PA", "R", "RA", "FPAU", "SEW",
                                        ""])),
        seq=draw(st.integers(0, 2**32 - 1)), ack=draw(st.integers(0, 2**32 - 1)),
        win=draw(st.integers(0, 65535)), tcp_options=options,
        payload_len=draw(st.integers(0, 1500)), ttl=draw(st.integers(0, 255)),
        df=draw(st.booleans()), tos=draw(st.sampled_from([0, 0, 0x10, 0xb8])),
        translated_src=draw(st.none() | st.just("192.0.2.10" if not v6 else "2001:db8::10")),
        translated_sport=draw(st.none() | st.integers(1, 65535)),
        snaplen=draw(st.sampled_from([160, 160, 150, 200, 1500])),
    )
    return rec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=st.lists(pflog_record(), min_size=1, max_size=6),
       order=st.sampled_from(["<", ">"]))
def test_random_records_match_the_complete_decoder(
    tmp_path_factory: pytest.TempPathFactory, recs: list[PflogRecord], order: str
) -> None:
    path = tmp_path_factory.mktemp("rand") / "pflog"
    path.write_bytes(pflog_bytes(recs, snaplen=1500, order=order))
    compare_with_records(path)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 12))
def test_mutated_packets_match_the_complete_decoder(
    tmp_path_factory: pytest.TempPathFactory, seed: int, flips: int
) -> None:
    """Damage inside the records (not their pcap framing): Malformed exactly where the
    complete decoder refuses, and otherwise the same text and fields."""
    rng = random.Random(seed)
    recs = records()
    data = bytearray(pflog_bytes(recs, snaplen=1500))
    good, _ = read_all(write(tmp_path_factory.mktemp("m"), bytes(data)))
    spans = [(e.offset + 16, (good[i + 1].offset if i + 1 < len(good) else len(data)))
             for i, e in enumerate(good)]
    for _ in range(flips):
        lo, hi = spans[rng.randrange(len(spans))]
        data[rng.randrange(lo, hi)] = rng.randrange(256)
    items, _ = read_all(write(tmp_path_factory.mktemp("m"), bytes(data)))
    assert len(items) == len(good)
    for index, (item, (lo, hi)) in enumerate(zip(items, spans), 1):
        wirelen = struct.unpack_from("<I", data, lo - 4)[0]
        sec, usec = struct.unpack_from("<II", data, lo - 16)
        time = datetime.fromtimestamp(sec, timezone.utc).replace(microsecond=usec)
        try:
            rec = decode_record(bytes(data[lo:hi]), wirelen, "<", time, "f", index, lo - 16)
        except ValueError:
            assert isinstance(item, Malformed), item
            continue
        assert isinstance(item, Event), item
        check_event(item, rec)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=600), keep=st.integers(0, 400), start=st.integers(0, 700))
def test_fuzz_never_raises(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, keep: int, start: int
) -> None:
    """Random bytes, alone or after a valid start: only Events and Malformed come out."""
    valid = pflog_bytes(records()[:3])
    for blob in (data, valid[:keep] + data, pflog_bytes([])[:24] + data):
        path = write(tmp_path_factory.mktemp("fz"), blob)
        for begin in (Position(), Position(min(start, len(blob)), 1)):
            reading = read(path, begin)
            items = list(reading)
            assert all(type(i) in (Event, Malformed) for i in items)
            assert reading.position.offset <= max(len(blob), begin.offset)
