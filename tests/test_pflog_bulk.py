"""The pflog bulk path (``pflog_bulk``) against the per-record path it replaces in ingest.

Every file is ingested twice into real stores: with ``read_bulk`` and without it (the
per-record ``read``). Every column of every row must be the same, and so must the files'
positions and the malformed records; each row written in bulk must rebuild (``pflog.rebuild``,
from its ``record`` bytes) to the very event the per-record reader makes.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
import struct
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.logs import pflog, pflog_bulk, pflogevent
from askzero.logs.ingest import IngestSource, ingest
from askzero.logs.pflogrecord import PflogRecord
from askzero.logs.pflogwrite import build_record, pflog_bytes
from askzero.logs.record import Event
from askzero.logs.store import LogStore

from conftest import DEMO
from test_logs_pflog import T0, pflog_record, records

COLUMNS = ("time", "source", "kind", "src", "dst", "sport", "dport", "proto", "action",
           "severity", "signature", "signature_id", "category", "rule", "iface", "direction",
           "host", "user", "flow", "line", "offset", "src4", "dst4")
QUOTED = ", ".join(f'"{name}"' for name in COLUMNS)
ROWS = f"SELECT {QUOTED}, message, extra, raw, record FROM events ORDER BY line"
LINE, OFFSET = COLUMNS.index("line"), COLUMNS.index("offset")
N = len(COLUMNS)


@dataclasses.dataclass
class Stored:
    rows: list[tuple]
    files: list[tuple]
    malformed: list[tuple]

    def bulk_rows(self) -> list[tuple]:
        return [row for row in self.rows if row[-1] is not None]


def stored(store: LogStore) -> Stored:
    return Stored(store.sql(ROWS), store.sql('SELECT "offset", line, events, malformed FROM files'),
                  store.sql('SELECT line, "offset", reason, sample FROM malformed ORDER BY line'))


def ingested(db: Path, path: Path, bulk: bool, monkeypatch: pytest.MonkeyPatch) -> Stored:
    """What a new store holds after ingesting ``path``, in bulk or record by record."""
    with monkeypatch.context() as patch:
        if not bulk:
            patch.delattr(pflog, "read_bulk")
        with LogStore(db) as store:
            ingest(store, [IngestSource(path.name, path, "pflog")])
            return stored(store)


def check(tmp_path: Path, path: Path, monkeypatch: pytest.MonkeyPatch) -> Stored:
    """Bulk and per-record ingest of ``path`` store the same; the bulk store is returned."""
    bulk = ingested(tmp_path / "bulk.duckdb", path, True, monkeypatch)
    plain = ingested(tmp_path / "plain.duckdb", path, False, monkeypatch)
    assert [row[:N] for row in bulk.rows] == [row[:N] for row in plain.rows]
    assert (bulk.files, bulk.malformed) == (plain.files, plain.malformed)
    check_rebuild(path, bulk, plain)
    return bulk


def check_rebuild(path: Path, bulk: Stored, plain: Stored) -> None:
    """Rows written in bulk keep their record and rebuild to the per-record event; the
    others are the per-record rows, message, extra and raw included."""
    events = {item.line: item for item in pflog.read(path) if isinstance(item, Event)}
    for row, other in zip(bulk.rows, plain.rows):
        message, extra, raw, record = row[N:]
        if record is None:
            assert row == other
            continue
        assert (message, extra, raw) == (None, None, None)
        rebuilt = pflog.rebuild(None, record, row[LINE], row[OFFSET])
        assert rebuilt == events[row[LINE]]
        assert (rebuilt.message, rebuilt.extra, rebuilt.raw) == (
            other[N], json.loads(other[N + 1]), other[N + 2])


def write(tmp_path: Path, data: bytes, name: str = "pflog") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return path


def patched(rec: PflogRecord, packet: bytes) -> PflogRecord:
    return dataclasses.replace(rec, packet=packet, packet_len=len(packet))


def pcap_record(captured: bytes, usec: int = 0, order: str = "<") -> bytes:
    return struct.pack(order + "IIII", int(T0.timestamp()), usec, len(captured),
                       len(captured)) + captured


def shapes() -> list[PflogRecord]:
    """Records of every kind: those the bulk path takes and those it leaves to ``events``."""
    base = records()
    v4 = dict(ifname="em0", src="203.0.113.7", dst="192.0.2.10")
    v6 = dict(ifname="em1", src="2001:db8::7", dst="2001:db8:0:1::10")
    tcp4 = build_record(T0, rulenr=1, sport=1234, dport=80, **v4)
    tcp6 = build_record(T0, rulenr=1, sport=1234, dport=80, **v6)
    fragment = bytearray(tcp4.packet)
    fragment[6:8] = struct.pack(">H", 0x2000 | 185)  # more fragments, offset 1480
    first_fragment = bytearray(tcp4.packet)
    first_fragment[6:8] = struct.pack(">H", 0x2000)  # the first one carries the ports
    options = bytes([0x46]) + tcp4.packet[1:20] + b"\x01\x01\x01\x00" + tcp4.packet[20:]
    hop_by_hop = bytearray(tcp6.packet[:40] + bytes([6, 0, 1, 4, 0, 0, 0, 0]) + tcp6.packet[40:])
    hop_by_hop[6] = 0
    fragment6 = bytearray(tcp6.packet[:40] + bytes([6, 0, 0, 0, 0, 0, 0, 1]) + tcp6.packet[40:])
    fragment6[6] = 44
    # an IPv4 packet whose byte 6 reads as UDP in IPv6, and an IPv6 packet whose byte 9
    # reads as TCP in IPv4: each logged under the other family
    long4 = build_record(T0, rulenr=9, sport=1, dport=2, payload_len=40, **v4)
    as_udp6 = bytearray(long4.packet)
    as_udp6[6] = 17
    as_tcp4 = build_record(T0, rulenr=9, src="2006:db8::7", dst="2001:db8::1", ifname="em1",
                           sport=1, dport=2)
    return [
        *base,
        dataclasses.replace(base[1], uid=1000, pid=4242, rule_uid=0, rule_pid=77),
        tcp4, tcp6,
        build_record(T0, rulenr=2, proto="udp", sport=53, dport=5353, payload_len=99, **v6),
        build_record(T0, rulenr=3, proto="icmp", **v6),  # icmp6
        build_record(T0, rulenr=3, proto="icmp", icmp_type=0, **v4),
        build_record(T0, rulenr=4, src="::ffff:198.51.100.1", dst="::", ifname="lo0",
                     proto="udp", sport=1, dport=2),
        build_record(T0, rulenr=5, action="rdr", subrulenr=7, ruleset="ext_in", sport=80,
                     dport=8080, translated_dst="10.0.0.80", translated_dport=80, **v4),
        build_record(T0, rulenr=5, subrulenr=-1, ruleset="anchored", sport=1, dport=2,
                     translated_src="2001:db8::99", **v6),
        build_record(T0, rulenr=6, action="scrub", reason="normalize", direction="out",
                     tcp_flags="SEW", tos=0xb8, ttl=1, sport=9, dport=10, **v4),
        build_record(T0, rulenr=7, sport=5, dport=6, snaplen=130, **v4),  # TCP cut short
        build_record(T0, rulenr=7, sport=5, dport=6, snaplen=140, **v6),
        build_record(T0, rulenr=7, proto="udp", sport=5, dport=6, snaplen=128, **v4),
        build_record(T0, rulenr=7, proto="udp", sport=5, dport=6, snaplen=122, **v4),
        build_record(T0, rulenr=7, proto="udp", sport=5, dport=6, snaplen=143, **v6),
        build_record(T0, rulenr=8, proto="50", **v4),
        patched(tcp4, bytes(fragment)), patched(tcp4, bytes(first_fragment)),
        patched(tcp4, options), patched(tcp6, bytes(hop_by_hop)), patched(tcp6, bytes(fragment6)),
        dataclasses.replace(tcp4, af="inet6"), dataclasses.replace(tcp6, af="inet"),
        dataclasses.replace(patched(long4, bytes(as_udp6)), af="inet6"),
        dataclasses.replace(as_tcp4, af="inet"),
    ]


def odd_records(order: str = "<") -> bytes:
    """Records pflog_bytes cannot make: damaged ones and an old, shorter pfloghdr."""
    good = pflog_bytes(shapes()[:1], order=order)[24:]
    hdr = good[16:116]
    packet = good[116:]
    old = bytes([61]) + hdr[1:61] + bytes(3)  # the pre-5.4 layout: no rewritten/naf
    # no address family, and read from its start as a packet, a UDP datagram
    no_family = bytes([69, 7, 1, 0]) + b"em\0\0\0\x11".ljust(16, b"\0") + hdr[20:72]
    return b"".join([
        pcap_record(old + packet, 5, order),
        pcap_record(bytes([12]) + hdr[1:] + packet, 6, order),  # bad pfloghdr length
        pcap_record(hdr + packet, 2_000_000, order),  # bad microseconds
        pcap_record(hdr[:1] + bytes([7]) + hdr[2:] + packet, 7, order),  # unknown family
        pcap_record(no_family + packet, 7, order),
        pcap_record(hdr + bytes([0x15]) + packet[1:], 8, order),  # not IPv4
        pcap_record(hdr[:70], 9, order),  # pfloghdr cut short
        pcap_record(hdr[:3], 10, order),
        pcap_record(hdr, 11, order),  # no packet at all
        pcap_record(hdr + packet[:24], 12, order),  # IPv4 header and half a TCP header
    ])


def shapes_file(tmp_path: Path, name: str = "pflog", order: str = "<") -> Path:
    recs = shapes()
    return write(tmp_path, pflog_bytes(recs[:10], order=order) + odd_records(order)
                 + pflog_bytes(recs[10:], order=order)[24:], name)


# --------------------------------------------------------------------------- files


def test_demo_capture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = check(tmp_path, DEMO / "var" / "log" / "pflog", monkeypatch)
    assert len(bulk.rows) > 100 and len(bulk.bulk_rows()) == len(bulk.rows)


@pytest.mark.parametrize("order", ["<", ">"])
def test_every_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    bulk = check(tmp_path, shapes_file(tmp_path, order=order), monkeypatch)
    taken = {(row[COLUMNS.index("proto")], ":" in row[COLUMNS.index("src")])
             for row in bulk.bulk_rows()}
    assert taken == {("tcp", False), ("udp", False), ("icmp", False), ("tcp", True),
                     ("udp", True), ("icmp6", True)}
    assert len(bulk.rows) - len(bulk.bulk_rows()) >= 8  # left to the per-record path
    assert len(bulk.malformed) >= 7


def test_nanosecond_capture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(pflog_bytes(records()))
    data[0:4] = struct.pack("<I", 0xA1B23C4D)
    struct.pack_into("<I", data, 24 + 4, 345678 * 1000 + 999)
    assert check(tmp_path, write(tmp_path, bytes(data)), monkeypatch).bulk_rows()


def test_blocks_of_default_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = shapes_file(tmp_path, "one").read_bytes()
    records = data[24:] * (pflog_bulk.BLOCK // len(data) + 100)  # two blocks and a bit
    bulk = check(tmp_path, write(tmp_path, data[:24] + records), monkeypatch)
    assert len(bulk.rows) > 20_000


def test_gzip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check(tmp_path, shapes_file(tmp_path, "pflog.0.gz"), monkeypatch).bulk_rows()


@pytest.mark.parametrize("cut", [30, 200, 1000])
def test_cut_or_damaged_gzip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    """Both paths stop at the same record, though the bulk one decodes several reads at once."""
    monkeypatch.setattr(pflogevent, "CHUNK", 4096)
    monkeypatch.setattr(pflog_bulk, "BLOCK", 3 * 4096)
    data = gzip.compress(pflog_bytes(shapes() * 40), mtime=0)
    check(tmp_path / "cut", write_raw(tmp_path / "cut", data[:-cut]), monkeypatch)
    broken = bytearray(data)
    broken[-cut - 20 : -cut] = bytes(20)  # past the head ingest fingerprints
    check(tmp_path / "broken", write_raw(tmp_path / "broken", bytes(broken)), monkeypatch)


def test_gzip_checksum_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(pflog_bytes(shapes() * 40), mtime=0)
    path = write_raw(tmp_path / "crc", data[:-8] + bytes(4) + data[-4:])  # a wrong CRC-32
    bulk = check(tmp_path, path, monkeypatch)
    assert "CRC check failed" in bulk.malformed[-1][2]


def write_raw(directory: Path, data: bytes) -> Path:
    directory.mkdir()
    path = directory / "pflog.0.gz"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("keep", [1, 15, 16, 17, 60, 115])
def test_truncated_final_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: int) -> None:
    data = pflog_bytes(shapes()[:6])
    last = pflog_bytes(shapes()[6:7])[24:]
    bulk = check(tmp_path, write(tmp_path, data + last[:keep]), monkeypatch)
    assert bulk.files[0][:2] == (len(data), 6)


def test_implausible_capture_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(pflog_bytes(shapes()[:8]))
    second = len(pflog_bytes(shapes()[:1]))  # the second record's offset
    struct.pack_into("<I", data, second + 8, 10_000_000)
    bulk = check(tmp_path, write(tmp_path, bytes(data)), monkeypatch)
    assert bulk.files[0][:2] == (len(data), 2) and len(bulk.malformed) == 1


@pytest.mark.parametrize("data", [
    b"", pflog_bytes([])[:10], pflog_bytes([]), b"\x00" * 224,
    struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + bytes(200),  # Ethernet
])
def test_not_a_capture_or_nothing_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    check(tmp_path, write(tmp_path, data), monkeypatch)


@pytest.mark.parametrize("block", [1, 7, 100, 333, 4096])
def test_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(pflog_bulk, "BLOCK", block)
    monkeypatch.setattr(pflogevent, "CHUNK", min(block, 1000))
    check(tmp_path, shapes_file(tmp_path), monkeypatch)


# --------------------------------------------------------------------------- resume


def grown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, cuts: Iterable[int]
) -> None:
    """Bulk ingests of ``data`` as it grows through ``cuts``, then whole, store what one
    per-record ingest of the whole stores."""
    path = tmp_path / "pflog"
    with LogStore(tmp_path / "bulk.duckdb") as store:
        for cut in [*cuts, len(data)]:
            path.write_bytes(data[:cut])
            ingest(store, [IngestSource(path.name, path, "pflog")])
        bulk = stored(store)
    plain = ingested(tmp_path / "plain.duckdb", path, False, monkeypatch)
    assert [row[:N] for row in bulk.rows] == [row[:N] for row in plain.rows]
    assert (bulk.files, bulk.malformed) == (plain.files, plain.malformed)
    check_rebuild(path, bulk, plain)


def test_resume_after_appends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = shapes_file(tmp_path, "whole").read_bytes()
    ends = [24]
    while ends[-1] < len(data):
        ends.append(ends[-1] + 16 + struct.unpack_from("<I", data, ends[-1] + 8)[0])
    grown(tmp_path, monkeypatch, data, [ends[3], ends[3] + 40, ends[12], ends[20] + 5])


@pytest.mark.parametrize("cut", [0, 10, 24, 30])
def test_resume_from_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    grown(tmp_path, monkeypatch, pflog_bytes(shapes()), [cut])


def test_rebuild_without_a_record() -> None:
    assert pflog.rebuild(None, None, 1, 24) is None
    assert pflog.rebuild("text", b"", 1, 24) is None


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(recs=st.lists(pflog_record(), min_size=1, max_size=8), order=st.sampled_from(["<", ">"]),
       snaplen=st.sampled_from([96, 116, 130, 160, 1500]))
def test_random_records(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
    recs: list[PflogRecord], order: str, snaplen: int
) -> None:
    tmp = tmp_path_factory.mktemp("rand")
    check(tmp, write(tmp, pflog_bytes(recs, snaplen=snaplen, order=order)), monkeypatch)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 12))
def test_damaged_records(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, seed: int, flips: int
) -> None:
    """Bytes changed inside the records (not their framing): whatever the per-record path
    makes of them, the bulk path stores too."""
    rng = random.Random(seed)
    recs = shapes()
    data = bytearray(pflog_bytes(recs, snaplen=1500))
    spans, at = [], 24
    while at < len(data):
        end = at + 16 + struct.unpack_from("<I", data, at + 8)[0]
        spans.append((at, end))
        at = end
    for _ in range(flips):
        lo, hi = spans[rng.randrange(len(spans))]
        where = rng.randrange(lo, hi)
        if not lo + 8 <= where < lo + 12:  # the capture length frames the file
            data[where] = rng.randrange(256)
    tmp = tmp_path_factory.mktemp("dmg")
    check(tmp, write(tmp, bytes(data)), monkeypatch)
