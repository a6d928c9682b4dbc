"""Suricata fast.log: one alert per line, in Suricata's own text layout (alert-fastlog.c).

    07/11/2022-10:29:01.860293  [**] [1:2200074:2] SURICATA TCPv4 invalid checksum [**]
    [Classification: Generic Protocol Command Decode] [Priority: 3] {TCP} 2.57.122.209:28487 -> 172.31.18.55:80

(one line). Variants: ``[Drop] `` (IPS dropped the packet) or ``[wDrop] `` (the rule would
drop it) before the first ``[**]``; IPv6 addresses written in full with the port after the
last colon; protocols without ports written without them; decoder events with ``[Raw pkt:
...]`` instead of addresses. The protocol may be a number (``{6}``, ``{006}``).

fast.log times are the sensor's local time without a zone. They are taken as UTC, and every
event says so in ``extra["tz"] = "assumed-utc"``.

A final line without a newline may still be being written, and any prefix of an address or
port parses, so it is read only when the file is gzip-compressed (a rotated, finished log).
"""

from __future__ import annotations

import gzip
import ipaddress
import re
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from askzero.digits import is_number
from askzero.logs.eve_events import proto_name
from askzero.logs.formats import Reading
from askzero.logs.lines import MAX_LINE, LineSource, Position, is_gzip, sample
from askzero.logs.record import MAX_RAW, Event, Malformed

NAME = "fastlog"

_LINE = re.compile(
    r"(?P<month>\d\d)/(?P<day>\d\d)/(?P<year>\d{4})-(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)"
    r"(?:\.(?P<frac>\d{1,6}))?\s+(?:\[(?P<verdict>w?Drop)\] )?"
    r"\[\*\*\] \[(?P<gid>\d+):(?P<sid>\d+):(?P<rev>\d+)\] (?P<msg>.*?) \[\*\*\] "
    r"\[Classification: (?P<cls>.*?)\] \[Priority: (?P<prio>\d+)\] ?"
    r"(?:\{(?P<proto>[^}]*)\} (?P<src>\S+) -> (?P<dst>\S+)"
    r"|\[\*\*\] \[Raw pkt: (?P<pkt>[^\]]*)\](?: \[pcap file packet: (?P<pcap>\d+)\])?)\s*",
    re.ASCII,
)
_SNIFF = re.compile(rb"\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d(?:\.\d+)?\s+(?:\[w?Drop\] )?\[\*\*\] \[\d+:\d+:\d+\] ")
SNIFF_LINES = 3  # non-blank lines of the head that may hold the first alert
_NO_PORTS = frozenset({"icmp", "icmp6"})  # fast.log writes ICMP type and code where ports go
_NULL = "(null)"  # what Suricata prints for a rule without msg or classtype
_DAYS: dict[tuple[int, int, int], float] = {}  # (year, month, day) -> POSIX seconds at 00:00 UTC


def sniff(head: bytes, name: str) -> bool:
    """One of the first non-blank lines is a fast.log alert."""
    seen = 0
    for line in head.split(b"\n"):
        if not line.strip():
            continue
        if _SNIFF.match(line):
            return True
        seen += 1
        if seen >= SNIFF_LINES:
            return False
    return False


def read(path: Path, start: Position = Position()) -> Reading:
    """Events and malformed lines from ``start``; ``Reading.position`` is where to resume."""
    source = LineSource(path, start)
    return Reading(_items(source, is_gzip(path)), source)


def _items(source: LineSource, finished: bool) -> Iterator[Event | Malformed]:
    try:
        yield from _lines(source, finished)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # a truncated or damaged .gz: everything before was read; report it, do not raise
        at = source.position
        yield Malformed(at.line + 1, at.offset, f"compressed stream unreadable: {exc}", "")


def _lines(source: LineSource, finished: bool) -> Iterator[Event | Malformed]:
    for line in source:
        if not line.terminated and not finished:
            return  # maybe half-written: read again, whole, next time
        if line.too_long:
            yield Malformed(line.number, line.offset, f"line longer than {MAX_LINE} bytes", sample(line.data))
            continue
        text = line.data.decode("utf-8", "replace")
        if not text.strip():
            if not line.terminated:
                source.accept_partial()
            continue
        item = parse_line(text, line.number, line.offset)
        if not line.terminated:
            source.accept_partial()
        yield item


def parse_line(text: str, number: int, offset: int) -> Event | Malformed:
    """One fast.log line as an alert event, or why it is not one."""
    match = _LINE.fullmatch(text)
    if match is None:
        return Malformed(number, offset, "not a fast.log alert", sample(text.encode()))
    time = _time(match)
    if time is None:
        return Malformed(number, offset, "invalid date or time", sample(text.encode()))
    extra: dict[str, object] = {"tz": "assumed-utc"}
    proto = src = dst = sport = dport = None
    if match["proto"] is not None:
        proto = proto_name(match["proto"])
        ends = _endpoint(match["src"], proto), _endpoint(match["dst"], proto)
        if ends[0] is None or ends[1] is None:
            return Malformed(number, offset, "invalid address", sample(text.encode()))
        (src, sport), (dst, dport) = ends
        if proto in _NO_PORTS and sport is not None:
            extra["icmp_type"], extra["icmp_code"] = sport, dport
            sport = dport = None
    else:
        extra["raw_pkt"] = match["pkt"].strip()
        if match["pcap"] is not None:
            extra["pcap_cnt"] = int(match["pcap"])
    verdict = match["verdict"]
    if verdict == "wDrop":
        extra["would_drop"] = True  # a drop rule matched but the packet was not dropped
    signature = None if match["msg"] == _NULL else match["msg"]
    category = None if match["cls"] == _NULL else match["cls"]
    priority = int(match["prio"])
    severity = 1 if priority < 1 else 4 if priority > 4 else priority
    action = "blocked" if verdict == "Drop" else "allowed"
    signature_id = f"{int(match['gid'])}:{int(match['sid'])}:{int(match['rev'])}"
    details = ", ".join(p for p in (category, f"priority {priority}") if p)
    message = f"alert {action}: [{signature_id}] {signature or '(no signature)'} ({details})"
    return Event(
        NAME, "alert", time, number, offset, text if len(text) <= MAX_RAW else text[:MAX_RAW],
        src=src, dst=dst, sport=sport, dport=dport, proto=proto, action=action, severity=severity,
        signature=signature, signature_id=signature_id, category=category, message=message, extra=extra,
    )


def _time(match: re.Match[str]) -> float | None:
    """POSIX seconds, taking the sensor's local time as UTC."""
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    if hour > 23 or minute > 59 or second > 59:
        return None
    midnight = _DAYS.get((year, month, day))
    if midnight is None:
        try:
            midnight = datetime(year, month, day, tzinfo=timezone.utc).timestamp()
        except ValueError:
            return None
        if len(_DAYS) < 100_000:
            _DAYS[(year, month, day)] = midnight
    frac = match["frac"] or "0"
    micros = int(frac.ljust(6, "0"))
    return (int(midnight + hour * 3600 + minute * 60 + second) * 1_000_000 + micros) / 1e6


def _endpoint(text: str, proto: str | None) -> tuple[str, int | None] | None:
    """(address, port) from ``address:port`` or ``address``; None when not an address.

    IPv6 is ambiguous (``2001:db8::1:80``): the port reading wins when the protocol has
    ports, the whole-address reading when it has none (ICMP writes no port, or type/code)."""
    head, sep, tail = text.rpartition(":")
    split = (head, int(tail)) if sep and is_number(tail) and len(tail) <= 5 and _is_ip(head) else None
    if text.count(":") < 2:  # IPv4, with or without port
        return split or ((text, None) if _is_ip(text) else None)
    whole = (text, None) if _is_ip(text) else None
    if split is not None and whole is not None:
        return whole if proto in _NO_PORTS else split
    return split or whole


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
