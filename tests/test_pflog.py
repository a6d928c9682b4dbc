"""pflog capture files: layout, round trip, errors, rule references and tcpdump text."""

from __future__ import annotations

import gzip
import ipaddress
import re
import struct
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from askzero.errors import SourceError
from askzero.logs.pflog import is_pflog_file, read_pflog
from askzero.logs.pflogrecord import DLT_PFLOG, PFLOG_HDRLEN, PflogRecord
from askzero.logs.pflogwrite import build_record, encode_pfloghdr, write_pflog

T0 = datetime(2026, 11, 20, 2, 15, 12, 345678, tzinfo=timezone.utc)
LINUX_OPTS = (("mss", 1460), ("sackOK",), ("timestamp", 664198628, 0), ("nop",), ("wscale", 7))


def sample_records() -> list[PflogRecord]:
    return [
        build_record(T0, rulenr=8, subrulenr=0, ruleset="threat_feeds", ifname="em0",
                     src="203.0.113.7", dst="192.0.2.10", sport=40122, dport=22,
                     seq=1381529123, win=64240, tcp_options=LINUX_OPTS, ttl=51, df=True,
                     rule_pid=48213),
        build_record(T0.replace(second=13), rulenr=8, subrulenr=1, ruleset="threat_feeds",
                     ifname="em0", direction="out", src="10.10.0.23", dst="203.0.113.7",
                     sport=49852, dport=443, translated_src="192.0.2.10",
                     translated_sport=58213, win=64240, ttl=127, df=True),
        build_record(T0.replace(second=14), rulenr=2, ifname="em0", src="198.51.100.231",
                     dst="192.0.2.10", proto="udp", sport=5060, dport=5060, payload_len=431),
        build_record(T0.replace(second=15), rulenr=-1, action="pass", ifname="em1",
                     src="10.10.0.5", dst="10.10.0.1", proto="icmp"),
        build_record(T0.replace(second=16), rulenr=3, subrulenr=-1, ruleset="spam",
                     ifname="em2", src="2001:db8::1", dst="2001:db8::2", sport=1234, dport=25,
                     tcp_flags="SA", seq=7, ack=99),
    ]


def test_header_layout_is_openbsd_pfloghdr(tmp_path: Path) -> None:
    """The 100-byte header, built by hand from if_pflog.h, decodes field by field."""
    hdr = (
        struct.pack("BBBB", 100, 2, 1, 0)
        + b"em0".ljust(16, b"\0")
        + b"threat_feeds".ljust(16, b"\0")
        + struct.pack(">II", 8, 1)  # rulenr, subrulenr: network order
        + struct.pack("<IiIi", 0xFFFFFFFF, 100000, 0, 48213)  # host order
        + struct.pack("BBBB", 2, 1, 2, 0)  # dir out, rewritten, naf inet, pad
        + ipaddress.ip_address("192.0.2.10").packed.ljust(16, b"\0")
        + ipaddress.ip_address("203.0.113.7").packed.ljust(16, b"\0")
        + struct.pack(">HH", 58213, 443)
    )
    assert len(hdr) == PFLOG_HDRLEN == 100
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, 1, 0x4000, 127, 6, 0,
                     ipaddress.ip_address("10.10.0.23").packed,
                     ipaddress.ip_address("203.0.113.7").packed)
    tcp = struct.pack(">HHIIBBHHH", 49852, 443, 5, 0, 0x50, 0x02, 64240, 0, 0)
    data = hdr + ip + tcp
    pcap = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 160, DLT_PFLOG)
    pcap += struct.pack("<IIII", 1795140913, 250000, len(data), len(data)) + data
    path = tmp_path / "pflog"
    path.write_bytes(pcap)
    (rec,) = list(read_pflog(path))
    assert rec.time == datetime(2026, 11, 20, 2, 15, 13, 250000, tzinfo=timezone.utc)
    assert (rec.rulenr, rec.subrulenr, rec.ruleset) == (8, 1, "threat_feeds")
    assert (rec.action, rec.reason, rec.direction, rec.ifname) == ("block", "match", "out", "em0")
    assert (rec.af, rec.proto, rec.src, rec.dst) == ("inet", "tcp", "10.10.0.23", "203.0.113.7")
    assert (rec.sport, rec.dport, rec.tcp_flags) == (49852, 443, "S")
    assert rec.rewritten and rec.naf == "inet"
    assert (rec.translated_src, rec.translated_sport) == ("192.0.2.10", 58213)
    assert (rec.translated_dst, rec.translated_dport) == ("203.0.113.7", 443)
    assert (rec.uid, rec.pid, rec.rule_uid, rec.rule_pid) == (-1, 100000, 0, 48213)
    assert (rec.index, rec.offset) == (1, 24)
    # and the writer produces exactly these header bytes
    assert encode_pfloghdr(rec) == hdr


def test_round_trip(tmp_path: Path) -> None:
    records = sample_records()
    path = tmp_path / "pflog"
    assert write_pflog(path, records) == len(records)
    back = list(read_pflog(path))
    assert len(back) == len(records)
    offset = 24
    for i, (orig, rec) in enumerate(zip(records, back), 1):
        assert rec.index == i
        assert rec.offset == offset
        offset += 16 + min(PFLOG_HDRLEN + len(orig.packet), 160)
        for name in ("time", "rulenr", "subrulenr", "ruleset", "action", "reason", "direction",
                     "ifname", "af", "proto", "src", "dst", "sport", "dport", "tcp_flags",
                     "rewritten", "translated_src", "translated_dst", "translated_sport",
                     "translated_dport", "rule_pid", "packet", "packet_len"):
            assert getattr(rec, name) == getattr(orig, name), name
        assert rec.file == str(path)
        assert rec.citation().record == f"record {i}"
        assert rec.citation().file == str(path)
    assert path.stat().st_size == offset


def test_snaplen_truncates_but_keeps_wire_length(tmp_path: Path) -> None:
    path = tmp_path / "pflog"
    write_pflog(path, sample_records())
    sip = list(read_pflog(path))[2]
    assert len(sip.packet) == 60  # 160 - 100
    assert sip.packet_len == 20 + 8 + 431
    assert sip.to_tcpdump().endswith("198.51.100.231.5060 > 192.0.2.10.5060: udp 431")


def test_gzip(tmp_path: Path) -> None:
    records = sample_records()
    plain = tmp_path / "pflog"
    write_pflog(plain, records)
    rotated = tmp_path / "pflog.0.gz"  # as newsyslog leaves it
    rotated.write_bytes(gzip.compress(plain.read_bytes()))
    assert [r.to_tcpdump() for r in read_pflog(rotated)] == [r.to_tcpdump() for r in records]
    written = tmp_path / "out.gz"
    write_pflog(written, records)
    assert written.read_bytes()[:2] == b"\x1f\x8b"
    assert len(list(read_pflog(written))) == len(records)
    assert is_pflog_file(plain) and is_pflog_file(rotated) and is_pflog_file(written)


def test_write_is_deterministic(tmp_path: Path) -> None:
    write_pflog(tmp_path / "a.gz", sample_records())
    write_pflog(tmp_path / "b.gz", sample_records())
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_truncated_packet_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "pflog"
    write_pflog(path, sample_records())
    path.write_bytes(path.read_bytes()[:-10])
    records = read_pflog(path)
    for _ in range(4):
        next(records)
    with pytest.raises(SourceError) as err:
        next(records)
    assert str(path) in str(err.value)
    assert "record 5" in str(err.value)
    assert "truncated packet data" in str(err.value)
    assert err.value.exit_code == 4


def test_truncated_record_header(tmp_path: Path) -> None:
    path = tmp_path / "pflog"
    write_pflog(path, sample_records()[:2])
    path.write_bytes(path.read_bytes() + b"\x01\x02\x03")
    with pytest.raises(SourceError, match=r"record 3 at byte \d+: truncated record header"):
        list(read_pflog(path))


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "pflog.gz"
    write_pflog(path, sample_records())
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(SourceError, match="pflog.gz"):
        list(read_pflog(path))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a pcap file"),
        (b"\x00" * 24, "bad magic"),
        (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "link type 1"),
    ],
)
def test_not_a_pflog_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "notpflog"
    path.write_bytes(data)
    with pytest.raises(SourceError, match=message):
        list(read_pflog(path))
    assert not is_pflog_file(path)


def test_bad_header_length_names_record(tmp_path: Path) -> None:
    path = tmp_path / "pflog"
    write_pflog(path, sample_records()[:1])
    raw = bytearray(path.read_bytes())
    raw[24 + 16] = 12  # pfloghdr.length
    path.write_bytes(bytes(raw))
    with pytest.raises(SourceError, match="record 1 at byte 24: bad pfloghdr length 12"):
        list(read_pflog(path))


def test_missing_file() -> None:
    with pytest.raises(SourceError, match="cannot read"):
        list(read_pflog("/nonexistent/pflog"))


@pytest.mark.parametrize(
    ("rulenr", "subrulenr", "ruleset", "ref"),
    [
        (2, -1, "", "2"),
        (8, 0, "threat_feeds", "8.threat_feeds.0"),
        (-1, -1, "", "def"),
        (8, -1, "threat_feeds", "8.threat_feeds.def"),
    ],
)
def test_rule_ref(tmp_path: Path, rulenr: int, subrulenr: int, ruleset: str, ref: str) -> None:
    rec = build_record(T0, rulenr=rulenr, subrulenr=subrulenr, ruleset=ruleset, ifname="em0",
                       src="198.51.100.77", dst="192.0.2.10", sport=1, dport=23)
    assert rec.rule_ref == ref
    path = tmp_path / "pflog"
    write_pflog(path, [rec])
    (back,) = list(read_pflog(path))
    assert back.rule_ref == ref
    assert f" rule {ref}/(match) block in on em0: " in back.to_tcpdump()


TCPDUMP_LINE = re.compile(
    r"^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{6} rule (def|\d+(\.[\w-]+\.(def|\d+))?)"
    r"/\([a-z-]+\) (match|scrub|pass|block|nat|binat|rdr) (in|out) on \w+: .+$"
)


def test_to_tcpdump_shape(tmp_path: Path) -> None:
    path = tmp_path / "pflog"
    write_pflog(path, sample_records())
    lines = [r.to_tcpdump() for r in read_pflog(path)]
    for line in lines:
        assert TCPDUMP_LINE.match(line), line
    assert lines[0] == (
        "Nov 20 02:15:12.345678 rule 8.threat_feeds.0/(match) block in on em0: "
        "203.0.113.7.40122 > 192.0.2.10.22: S 1381529123:1381529123(0) win 64240 "
        "<mss 1460,sackOK,timestamp 664198628 0,nop,wscale 7> (DF)"
    )
    assert lines[3].endswith("rule def/(match) pass in on em1: 10.10.0.5 > 10.10.0.1: icmp: "
                             "echo request")
    assert "2001:db8::1.1234 > 2001:db8::2.25: S 7:7(0) ack 99 win 65535" in lines[4]


def test_to_tcpdump_verbose_shows_rewrite(tmp_path: Path) -> None:
    rec = sample_records()[1]
    assert rec.to_tcpdump().split(": ", 1)[1].startswith("10.10.0.23.49852 > 203.0.113.7.443")
    assert ("[uid 0, pid 0] block out on em0: [rewritten: src 192.0.2.10:58213, "
            "dst 203.0.113.7:443] 10.10.0.23.49852 > ") in rec.to_tcpdump(verbose=True)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # OpenBSD tcpdump lines quoted in reference/pflog-examples.txt (B1, B2, B3, B5)
        (dict(time=datetime(2026, 3, 30, 15, 47, 5, 522341, tzinfo=timezone.utc), rulenr=4,
              ifname="lo0", src="127.0.0.1", dst="127.0.0.1", sport=48784, dport=23,
              seq=1381529123, win=16384, df=True, tos=0x10, snaplen=152,
              tcp_options=(("mss", 33184), ("nop",), ("nop",), ("sackOK",), ("nop",),
                           ("wscale", 0), ("nop",), ("nop",), ("timestamp", 1, 0))),
         "Mar 30 15:47:05.522341 rule 4/(match) block in on lo0: 127.0.0.1.48784 > "
         "127.0.0.1.23: S 1381529123:1381529123(0) win 16384 <mss 33184,nop,nop,sackOK,nop,"
         "wscale 0,[|tcp]> (DF) [tos 0x10]"),
        (dict(time=datetime(2026, 9, 26, 14, 26, 28, 605638, tzinfo=timezone.utc), rulenr=11,
              ifname="em1", src="10.0.0.11", dst="239.255.255.250", proto="udp", sport=59299,
              dport=1900, payload_len=132, df=True, ttl=1),
         "Sep 26 14:26:28.605638 rule 11/(match) block in on em1: 10.0.0.11.59299 > "
         "239.255.255.250.1900: udp 132 (DF) [ttl 1]"),
        (dict(time=datetime(2026, 5, 29, 21, 6, 27, 166934, tzinfo=timezone.utc), rulenr=16,
              action="pass", ifname="bge0", src="158.36.191.135", dst="213.187.179.198",
              sport=22, dport=59516, tcp_flags="A", ack=1734404306, win=64800, tos=0x8),
         "May 29 21:06:27.166934 rule 16/(match) pass in on bge0: 158.36.191.135.22 > "
         "213.187.179.198.59516: . ack 1734404306 win 64800 [tos 0x8]"),
        (dict(time=datetime(2026, 1, 1, 0, 3, 26, 793522, tzinfo=timezone.utc), rulenr=16,
              action="pass", ifname="enc0", src="10.0.2.24", dst="10.0.1.13", proto="icmp"),
         "Jan 01 00:03:26.793522 rule 16/(match) pass in on enc0: 10.0.2.24 > 10.0.1.13: icmp: "
         "echo request"),
    ],
)
def test_to_tcpdump_matches_openbsd_examples(
    tmp_path: Path, kwargs: dict, expected: str
) -> None:
    snaplen = kwargs.pop("snaplen", 160)
    time = kwargs.pop("time")
    rec = build_record(time, snaplen=snaplen, **kwargs)
    path = tmp_path / "pflog"
    write_pflog(path, [rec], snaplen=snaplen)
    (back,) = list(read_pflog(path))
    assert back.to_tcpdump() == expected


def test_to_dict_is_json_ready() -> None:
    import json

    d = sample_records()[1].to_dict()
    assert d["rule"] == "8.threat_feeds.1"
    assert d["time"] == "2026-11-20T02:15:13.345678Z"
    assert d["translated_src"] == "192.0.2.10"
    json.dumps(d)


_ADDR4 = st.ip_addresses(v=4).map(str)
_ADDR6 = st.ip_addresses(v=6).map(str)


@settings(max_examples=60, deadline=None)
@given(
    v6=st.booleans(),
    src4=_ADDR4, dst4=_ADDR4, src6=_ADDR6, dst6=_ADDR6,
    proto=st.sampled_from(["tcp", "udp", "icmp"]),
    sport=st.integers(0, 65535), dport=st.integers(0, 65535),
    rulenr=st.integers(-1, 5000), subrulenr=st.integers(-1, 300),
    ruleset=st.from_regex(r"[a-z_]{0,15}", fullmatch=True),
    ifname=st.from_regex(r"[a-z]{2,6}[0-9]{1,3}", fullmatch=True),
    flags=st.sampled_from(["S", "SA", "A", "FA", "PA", "R", "RA", "FPA", "SEW"]),
    payload=st.integers(0, 1400),
    usec=st.integers(0, 999999),
    action=st.sampled_from(["pass", "block", "match", "scrub", "rdr"]),
    direction=st.sampled_from(["in", "out"]),
)
def test_round_trip_property(
    tmp_path_factory: pytest.TempPathFactory, v6: bool, src4: str, dst4: str, src6: str,
    dst6: str, proto: str, sport: int, dport: int, rulenr: int, subrulenr: int, ruleset: str,
    ifname: str, flags: str, payload: int, usec: int, action: str, direction: str,
) -> None:
    src, dst = (src6, dst6) if v6 else (src4, dst4)
    rec = build_record(T0.replace(microsecond=usec), rulenr=rulenr,
                       subrulenr=subrulenr if ruleset else -1, ruleset=ruleset, ifname=ifname,
                       src=src, dst=dst, proto=proto, sport=sport, dport=dport,
                       tcp_flags=flags, payload_len=payload, action=action,
                       direction=direction)
    path = tmp_path_factory.mktemp("prop") / "pflog"
    write_pflog(path, [rec])
    (back,) = list(read_pflog(path))
    assert back.to_tcpdump() == rec.to_tcpdump()
    assert (back.src, back.dst, back.sport, back.dport) == (rec.src, rec.dst, rec.sport, rec.dport)
    assert back.rule_ref == rec.rule_ref
    assert back.tcp_flags == rec.tcp_flags
    assert TCPDUMP_LINE.match(back.to_tcpdump())


def test_display_name_is_cited(tmp_path: Path) -> None:
    path = tmp_path / "pflog"
    write_pflog(path, sample_records()[:1])
    (rec,) = list(read_pflog(path, display="var/log/pflog"))
    assert rec.citation().to_dict() == {"file": "var/log/pflog", "record": "record 1"}
    assert rec.flags == rec.tcp_flags == "S"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(SourceError, match=r"^var/log/pflog: record 1 at byte 24: truncated"):
        list(read_pflog(path, display="var/log/pflog"))
