"""pflog as text (tcpdump lines, syslog-wrapped, -v, libpcap form) and filterlog CSV."""

from __future__ import annotations

import gzip
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from askzero.errors import SourceError
from askzero.logs import pflog, pflogtext
from askzero.logs.lines import Position
from askzero.logs.pflogtext import Clock, parse_line, read, sniff, split_port
from askzero.logs.pflogwrite import pflog_bytes
from askzero.logs.record import Event, Malformed

from conftest import DEMO, SHARED

UTC = timezone.utc
REFERENCE = SHARED / "reference" / "pflog-examples.txt"
SAMPLES = SHARED / "samples" / "syslog" / "pflog-and-filterlog"
WAZUH = SAMPLES / "wazuh_pf_decoder_examples.txt"
CROWDSEC = sorted(SAMPLES.glob("crowdsec_pf-*.log"))
END_OF_2026 = datetime(2026, 12, 31, tzinfo=UTC)
needs_shared = pytest.mark.skipif(not REFERENCE.exists(), reason="../shared not present")

# a record line in the reference notes: optional syslog head, optional time, "rule N/"
RECORD_START = re.compile(r"^(?:[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \S+ \S+: )?"
                          r"(?:[A-Z][a-z]{2} \d\d )?(?:\d\d:\d\d:\d\d(?:\.\d+)? )?rule \S+/")


def events(path: Path, start: Position = Position(), reference: datetime = END_OF_2026
           ) -> tuple[list[Event | Malformed], Position]:
    reading = read(path, start, reference)
    items = list(reading)
    return items, reading.position


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def reference_records() -> list[Event | Malformed]:
    """Every pflog record quoted in the reference notes (sections B to D).

    The notes keep the line breaks of their sources, which wrapped some long lines: a
    record line that does not parse alone is joined with the next one.
    """
    lines = REFERENCE.read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("EXCLUDED"))
    clock = Clock(END_OF_2026)
    out = []
    for i, line in enumerate(lines[:end]):
        if not RECORD_START.match(line.strip()):
            continue
        item = parse_line(line, i + 1, 0, clock)
        if isinstance(item, Malformed):
            item = parse_line(f"{line.strip()} {lines[i + 1].strip()}", i + 1, 0, clock)
        out.append(item)
    return out


@needs_shared
def test_every_record_of_the_reference_notes() -> None:
    items = reference_records()
    assert len(items) == 42
    bad = [i for i in items if not isinstance(i, Event)]
    assert not bad
    by = {(e.src, e.sport, e.dst, e.dport): e for e in items if isinstance(e, Event)}

    e = by[("140.211.166.3", 6667, "192.168.2.10", 16290)]  # B1, syslog-wrapped
    assert (e.host, e.rule, e.action, e.kind, e.direction, e.iface, e.proto) == (
        "enigma", "2", "pass", "pass", "in", "xl0", "tcp")
    assert e.time == ts("2026-03-30T15:32:33.483712+00:00")
    assert e.message.startswith("Mar 30 15:32:33.483712 rule 2/(match)")
    assert e.extra["tz"] == "assumed-utc" and e.extra["tcp_flags"] == "PA"

    e = by[("fe80::21f:e2ff:fe61:969a", None, "ff02::2", None)]  # B2, IPv6 without ports
    assert (e.proto, e.rule, e.kind) == ("icmp6", "11", "block")
    assert by[("::", None, "ff02::16", None)].proto == "icmp6"  # "HBH icmp6:"
    assert by[("10.0.0.11", None, "224.0.0.22", None)].proto == "igmp"
    bootp = by[("0.0.0.0", 68, "255.255.255.255", 67)]
    assert bootp.proto == "udp" and bootp.extra["proto_inferred"] is True
    assert by[("10.0.0.11", 59299, "239.255.255.250", 1900)].proto == "udp"

    e = by[("158.36.191.135", 22, "213.187.179.198", 59516)]  # B3: match action, wrapped
    assert e.kind in ("pass", "match")
    defaults = [e for e in items if isinstance(e, Event) and e.rule == "def"]
    assert defaults and all(e.extra["rulenr"] == -1 for e in defaults)

    e = by[("192.187.107.2", 0, "208.86.227.106", 0)]  # B6: old inline ECN letters
    assert (e.proto, e.extra["reason"], e.extra["tcp_flags"]) == ("tcp", "short", "SRPAE")

    e = by[("192.168.18.19", 1055, "192.168.18.255", 1100)]  # B7: -v, wrapped
    assert (e.extra["rule_uid"], e.extra["rule_pid"], e.kind) == (0, 24100, "block")
    e = by[("192.168.1.1", 1234, "1.2.3.4", 70)]  # D: -v with the socket's uid and pid
    assert (e.extra["uid"], e.extra["pid"], e.extra["rule_pid"]) == (1000, 6789, 12345)
    assert e.time is None and e.extra["clock"] == "12:34:56.789012"

    assert by[("52.x.x.x", 38527, "67.x.x.x", 5432)].dport == 5432  # masked by the author
    e = by[("10.10.0.5", 43645, "5.6.7.8", 9001)]  # no time printed at all
    assert e.time is None and e.proto == "udp"
    e = by[("194.54.59.189", 2559, "194.54.107.19", 139)]  # B9: syslog time only
    assert (e.host, e.time, e.proto) == ("firewall", ts("2026-02-16T16:43:20+00:00"), "tcp")
    e = by[("10.52.0.39", 58012, "10.55.0.131", 8080)]  # C: libpcap form
    assert (e.extra["dialect"], e.rule, e.proto, e.host) == ("libpcap", "22", "tcp", "gw")


@needs_shared
def test_wazuh_sample_file() -> None:
    items, position = events(WAZUH)
    assert all(isinstance(i, Event) for i in items) and len(items) == 6
    assert position == Position(WAZUH.stat().st_size, 6)
    first, block, udp, _, reply, request = items
    assert (first.host, first.line, first.offset) == ("enigma", 1, 0)
    assert first.time == ts("2026-03-30T15:32:33.483712+00:00")
    assert (block.kind, block.rule, block.src, block.sport, block.dport) == (
        "block", "4", "127.0.0.1", 48784, 23)
    assert block.offset == len(WAZUH.read_bytes().split(b"\n")[0]) + 1
    assert (udp.proto, udp.direction, udp.dport) == ("udp", "out", 1030)
    assert (reply.proto, reply.sport, request.direction) == ("icmp", None, "out")
    assert sniff(WAZUH.read_bytes()[:4096], WAZUH.name)


@needs_shared
@pytest.mark.parametrize("path", CROWDSEC, ids=lambda p: p.name)
def test_filterlog_sample_files(path: Path) -> None:
    items, position = events(path)
    assert items and all(isinstance(i, Event) for i in items)
    assert position.line == len(path.read_text().splitlines())
    assert sniff(path.read_bytes()[:4096], path.name)
    for e in items:
        assert e.extra["dialect"] == "filterlog" and e.kind in ("block", "pass")
        assert e.rule and e.rule.isdigit() and e.iface and e.direction in ("in", "out")
        assert e.src and e.dst and e.proto in ("tcp", "udp")
    if path.name == "crowdsec_pf-logs.log":
        bsd, _, out, rfc, passed, *_, v6, _ = items
        assert (bsd.host, bsd.rule, bsd.src, bsd.sport, bsd.dport) == (
            "pfSense", "53", "10.0.2.2", 53742, 22)
        assert bsd.time == ts("2026-09-28T10:38:09+00:00") and bsd.extra["tz"] == "assumed-utc"
        assert bsd.extra["tcp_flags"] == "PA" and out.direction == "out"
        assert rfc.time == ts("2022-09-06T18:37:34+02:00") and "tz" not in rfc.extra
        assert (rfc.host, rfc.proto, rfc.dport) == ("opnsense", "udp", 52938)
        assert (passed.kind, passed.rule) == ("pass", "103")
        assert (v6.src, v6.dst, v6.sport, v6.extra["ip_version"]) == (
            "2008:8a0:702e:ce00:acc6:c7ee:fa01:2f8a", "2c02:2454:ada:d900::1738", 6881, 6)


@needs_shared
def test_sniff_says_no_to_other_files() -> None:
    assert not sniff(REFERENCE.read_bytes()[:4096], REFERENCE.name)
    authlog = next((SHARED / "samples" / "syslog" / "authlog").glob("crowdsec_sshd*"))
    assert not sniff(authlog.read_bytes()[:4096], authlog.name)
    assert not sniff(pflog_bytes([])[:4096], "pflog")
    assert not sniff(b'{"timestamp":"2026-11-20T02:15:12","event_type":"alert"}\n', "eve.json")
    assert not sniff(b"", "x") and not pflog.sniff(WAZUH.read_bytes(), WAZUH.name)


def demo_lines(verbose: bool) -> list[str]:
    return [r.to_tcpdump(verbose=verbose) for r in pflog.read_pflog(DEMO / "var/log/pflog")]


@pytest.mark.parametrize("verbose", [False, True])
def test_round_trip_with_the_binary_reader(tmp_path: Path, verbose: bool) -> None:
    """The demo capture as tcpdump prints it reads back as the binary reader read it."""
    binary = [e for e in pflog.read(DEMO / "var/log/pflog", Position()) if isinstance(e, Event)]
    path = tmp_path / "pflog.txt"
    path.write_text("".join(line + "\n" for line in demo_lines(verbose)))
    os.utime(path, (binary[-1].time + 60, binary[-1].time + 60))  # the file's mtime decides
    reading = read(path, Position())
    texts = list(reading)
    assert len(texts) == len(binary) > 100
    for text, event in zip(texts, binary):
        assert isinstance(text, Event), text
        for name in ("src", "dst", "sport", "dport", "action", "rule", "iface", "direction",
                     "time", "proto", "kind"):
            assert getattr(text, name) == getattr(event, name), (name, text.raw)
        assert text.extra.get("tcp_flags") == event.extra.get("tcp_flags")
        for name in ("reason", "rulenr", "subrulenr", "ruleset"):
            assert text.extra[name] == event.extra[name]
        if verbose and event.extra.get("rewritten"):
            for name in ("translated_src", "translated_dst", "translated_sport",
                         "translated_dport"):
                assert text.extra[name] == event.extra[name]
        assert text.message == text.raw == event.raw or verbose
    assert any(e.extra.get("rewritten") for e in binary)


def test_year_from_the_reference_time() -> None:
    clock = Clock(datetime(2027, 1, 2, 8, 0, tzinfo=UTC))
    assert clock.time("Dec", "31", "23:59:59", None) == ts("2026-12-31T23:59:59+00:00")
    assert clock.time("Jan", "1", "00:00:01", "5") == ts("2027-01-01T00:00:01.5+00:00")
    assert clock.time("Jan", "3", "12:00:00", None) == ts("2027-01-03T12:00:00+00:00")
    assert clock.time("Jan", "04", "00:00:00", None) == ts("2026-01-04T00:00:00+00:00")
    assert Clock(datetime(2027, 3, 1)).time("Feb", "29", "10:00:00", None) == ts(
        "2024-02-29T10:00:00+00:00")
    assert clock.time("Foo", "1", "10:00:00", None) is None
    assert clock.time("Feb", "30", "10:00:00", None) is None
    assert clock.time("Jan", "1", "25:00:00", None) is None


def test_december_to_january_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "pflog.txt"
    body = ": 10.0.0.1.1 > 10.0.0.2.2: S 1:1(0) win 5\n"
    path.write_text(f"Dec 31 23:59:59.500000 rule 1/(match) block in on em0{body}"
                    f"Jan 01 00:00:00.250000 rule 1/(match) block in on em0{body}")
    (old, new), _ = events(path, reference=datetime(2027, 1, 1, 1, 0, tzinfo=UTC))
    assert old.time == ts("2026-12-31T23:59:59.5+00:00")
    assert new.time == ts("2027-01-01T00:00:00.25+00:00")


def test_time_of_day_inside_a_syslog_line_takes_its_date() -> None:
    clock = Clock(END_OF_2026)
    late = parse_line("Mar  1 00:00:01 fw pf: 23:59:59.750000 rule 3/(match) pass out on em0: "
                      "10.0.0.1 > 10.0.0.2: icmp: echo request", 1, 0, clock)
    assert isinstance(late, Event) and late.host == "fw" and late.proto == "icmp"
    assert late.time == ts("2026-02-28T23:59:59.75+00:00")  # the evening before
    assert late.message.startswith("23:59:59.750000 rule 3/")


def test_file_mtime_is_the_default_reference(tmp_path: Path) -> None:
    path = tmp_path / "pflog.txt"
    path.write_text("Dec 31 23:00:00.000001 rule 1/(match) block in on em0: "
                    "10.0.0.1.1 > 10.0.0.2.2: S 1:1(0) win 5\n")
    os.utime(path, (ts("2031-01-01T05:00:00+00:00"),) * 2)
    ((event,), _) = events(path, reference=None)  # type: ignore[arg-type]
    assert event.time == ts("2030-12-31T23:00:00.000001+00:00")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("192.0.2.1.443", ("192.0.2.1", 443)),
        ("192.0.2.1", ("192.0.2.1", None)),
        ("2001:db8::1.25", ("2001:db8::1", 25)),
        ("2001:db8::1", ("2001:db8::1", None)),
        ("::ffff:192.0.2.1.80", ("::ffff:192.0.2.1", 80)),
        ("::ffff:192.0.2.1", ("::ffff:192.0.2.1", None)),
        ("XXX.XXX.XXX.XXX.1234", ("XXX.XXX.XXX.XXX", 1234)),
        ("host.example", ("host.example", None)),
        ("10.0.0.1.80.1", ("10.0.0.1.80.1", None)),  # not an address and a port
        ("1.2.3.4.\u00b218", ("1.2.3.4.\u00b218", None)),  # a superscript two is a digit to str.isdigit
    ],
)
def test_split_port(token: str, expected: tuple[str, int | None]) -> None:
    assert split_port(token) == expected


LINE = ("Nov 20 02:15:12.345678 rule 8.threat_feeds.0/(match) block in on em0: "
        "203.0.113.7.40122 > 192.0.2.10.22: S 1:1(0) win 64240 <mss 1460> (DF)\n")


def test_resume_partial_lines_and_noise(tmp_path: Path) -> None:
    path = tmp_path / "pflog.txt"
    noise = ("tcpdump: listening on pflog0, link-type PFLOG\n\n"
             "Nov 20 02:15:13 gw1 sshd[1]: Accepted publickey for root\n")
    path.write_text(LINE + noise + LINE[:40])
    items, position = events(path)
    assert [type(i) for i in items] == [Event, Malformed]
    assert items[0].extra["ruleset"] == "threat_feeds" and items[0].extra["subrulenr"] == 0
    assert "'sshd'" in items[1].reason and items[1].line == 4
    assert position == Position(len(LINE + noise), 4)  # the half line is not consumed
    path.write_text(LINE + noise + LINE)
    rest, end = events(path, position)
    assert len(rest) == 1 and rest[0].line == 5 and rest[0].raw == LINE.rstrip("\n")
    assert end == Position(path.stat().st_size, 5)


def test_gzip_and_long_lines(tmp_path: Path) -> None:
    path = tmp_path / "pflog.txt.0.gz"
    path.write_bytes(gzip.compress((LINE * 3 + "x" * (2 << 20) + "\n" + LINE).encode()))
    items, position = events(path)
    assert [type(i) for i in items] == [Event, Event, Event, Malformed, Event]
    assert items[3].reason == "line too long" and position.line == 5


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        list(read(tmp_path / "nope", Position()))


SEEDS = [LINE.rstrip("\n"),
         "Mar 30 15:33:26 enigma pf: Mar 30 15:32:33.483712 rule 2/(match) pass in on xl0: "
         "140.211.166.3.6667 > 192.168.2.10.16290: P 7408:7677(269) ack 1773 win 2520",
         "<134>1 2022-09-06T18:37:34+02:00 opnsense filterlog 69805 - [meta sequenceId=\"1\"] "
         "10,,,02f4,re0,match,block,in,4,0x0,,118,28579,0,none,17,udp,132,212.102.36.22,"
         "37.120.48.198,49838,52938,112",
         "Sep 28 10:38:09 pfSense filterlog: 53,,,1000000301,em0,match,block,in,6,0x00,0x0,"
         "64,tcp,6,40,2001:db8::1,2001:db8::2,1,2,0,S,1,,65535,,"]


@settings(max_examples=300, deadline=None)
@given(seed=st.sampled_from(SEEDS), cuts=st.lists(st.tuples(st.integers(0, 300),
       st.text(max_size=8)), max_size=4), junk=st.binary(max_size=200))
def test_fuzz_never_raises(seed: str, cuts: list[tuple[int, str]], junk: bytes) -> None:
    clock = Clock(END_OF_2026)
    text = seed
    for at, insert in cuts:
        text = text[:at] + insert + text[at + len(insert):]
    for line in (text, junk.decode("utf-8", "replace")):
        item = parse_line(line, 1, 0, clock)
        assert type(item) in (Event, Malformed)
    pflogtext.sniff(junk + text.encode(), "x")


@settings(max_examples=100, deadline=None)
@given(blob=st.binary(max_size=400), lines=st.lists(st.sampled_from(SEEDS), max_size=4),
       start=st.integers(0, 500))
def test_fuzz_files_never_raise(
    tmp_path_factory: pytest.TempPathFactory, blob: bytes, lines: list[str], start: int
) -> None:
    data = "\n".join(lines).encode() + blob
    path = tmp_path_factory.mktemp("fz") / "pflog.txt"
    for content in (data, gzip.compress(data)[: max(len(data) // 2, 10)]):
        path.write_bytes(content)
        for begin in (Position(), Position(start, 3)):
            items, position = events(path, begin)
            assert all(type(i) in (Event, Malformed) for i in items)
            assert position.line >= begin.line
