"""BSD syslog files (authlog, daemon, messages) and bgpd's own output, as events.

One line is one record. The header forms read:
- RFC 3164 as OpenBSD syslogd writes it: ``Mmm dd HH:MM:SS host prog[pid]: message`` (day
  space- or zero-padded or single-spaced, optional fraction of a second, the host or the tag
  may be missing, ``[prog]`` tags), with ``syslogd -v``/``-vv`` tokens (``<4.6>``,
  ``<auth.info>``) after the time, a wire ``<PRI>`` before it, or a year before the month;
- RFC 5424: ``<PRI>1 ISO-TIME host app procid msgid [structured data] message``;
- an ISO-8601 time instead of the BSD one (rsyslog, fail2ban's own log);
- portsentry's history file: ``EPOCH - mm/dd/yyyy HH:MM:SS Host: ... Blocked``;
- bgpd without any header (``bgpd -d`` writes to stderr, containers keep that), optionally
  after an ISO time: ``neighbor 192.0.2.1 (descr): state change Idle -> Connect, reason: Start``.
What the message says is read by ``syslog_messages``. A line with a header is always an event
(kind ``other`` when the message is not understood); a line with none is ``Malformed``.

Time: a BSD timestamp has no year and no zone. Zones are taken as UTC (``extra["tz"] =
"assumed-utc"``). The year comes from a reference time, the file's mtime by default: the last
year-less line of the file belongs to the reference's year, or the year before when it would
lie more than a day after the reference. Walking back from it, every Dec -> Jan step between
two neighbouring lines (a month that falls by more than six) crosses one year, and every
Jan -> Dec step (a late line written after the new year began) crosses back. The reader looks
ahead once over the lines it is about to read to count those steps, so reading a file in two
parts gives the same years as reading it whole (for the same reference). Gaps of more than six
months inside one file cannot be seen and are not corrected.

A final line without its newline may still be being written; it is left for the next read,
except in a gzip file (rotated logs are complete).
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from askzero.errors import SourceError
from askzero.logs.formats import Reading
from askzero.logs.lines import Line, LineSource, Position, is_gzip, sample
from askzero.logs.record import MAX_RAW, Event, Malformed
from askzero.logs.syslog_messages import interpret

NAME = "syslog"

_UTC = timezone.utc
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_FACILITIES = ("kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp security console "
               "cron2 local0 local1 local2 local3 local4 local5 local6 local7").split()
_SEVERITIES = "emerg alert crit err warning notice info debug".split()

_BSD = re.compile(
    r"(?:<(?P<wire>\d{1,3})>)?(?:(?P<year>\d{4}) )?"
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>0?[1-9]|[12]\d|3[01])"
    r" (?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d):(?P<s>[0-5]\d|60)(?P<frac>\.\d{1,9})?(?: +|$)"
    r"(?:<(?P<pri>[\w.]{1,32})> )?", re.ASCII)
_ISO_TEXT = (r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:[Zz]|[+-]\d\d(?::?\d\d)?)?")
_ISO = re.compile(r"(?:<(?P<wire>\d{1,3})>)?(?P<ts>" + _ISO_TEXT + r")(?: +|$)(?:<(?P<pri>[\w.]{1,32})> )?", re.ASCII)
_ISO_PARTS = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?([Zz]|[+-]\d\d(?::?\d\d)?)?",
                        re.ASCII)
_RFC5424 = re.compile(r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+)"
                      r" (?P<msgid>\S+)(?: |$)", re.ASCII)
_PORTSENTRY = re.compile(r"(?P<epoch>\d{9,11}) - \d\d/\d\d/\d{4} \d\d:\d\d:\d\d (?P<msg>.*)", re.ASCII)
_TAG = re.compile(r"(?P<prog>[^\s\[\]:]{1,64})(?:\s*\[(?P<pid>\d{0,10})\])?:(?: |$)")
_BRACKET_TAG = re.compile(r"\[(?P<prog>[^\]\s]{1,64})\]:?(?: |$)")
# bgpd lines without any header: the neighbor form is unmistakable, the others count only
# next to it (see sniff)
_BGPD_NEIGHBOR = re.compile(r"neighbor \S+(?: \(.*?\))?: \S")
_BGPD_OTHER = re.compile(
    r"(?:nexthop \S+ (?:now|update) |RDE |RTR |SE |route decision engine |session engine |rtr engine "
    r"|(?:running )?softreconfig |Connection attempt from neighbor |connection from non-peer |fatal in "
    r"|kernel routing table |rereading config|listening on |(?:startup|[Tt]erminating)$)")


@dataclass(slots=True)
class Header:
    stamp: str  # the timestamp as written
    time: float | None
    host: str | None
    program: str | None
    pid: str | None
    message: str
    bsd_month: int | None = None  # set when the year must be inferred
    bsd_parts: tuple[int, int, int, int, float] | None = None  # day, hour, minute, second, fraction
    extra: dict[str, Any] = field(default_factory=dict)


def iso_time(text: str) -> tuple[float | None, bool]:
    """POSIX seconds of an ISO-8601 time and whether it named its zone (else taken as UTC)."""
    m = _ISO_PARTS.fullmatch(text)
    if not m:
        return None, False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    zone = m[8]
    tz = _UTC
    if zone and zone not in "Zz":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            return None, False
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if zone[0] == "-" else delta)
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz)
    except ValueError:
        return None, False
    return moment.timestamp() + (second == 60) + float("0." + (m[7] or "0")), bool(zone)


def _priority(extra: dict[str, Any], token: str | None) -> None:
    """``38`` (wire PRI), ``4.6`` (syslogd -v) or ``auth.info`` (-vv) -> facility and priority."""
    if not token:
        return
    if token.isdecimal():
        value = int(token)
        if value < 192:
            extra["facility"], extra["priority"] = _FACILITIES[value >> 3], _SEVERITIES[value & 7]
        return
    facility, _, level = token.partition(".")
    if facility.isdecimal() and level.isdecimal():
        fac, sev = int(facility), int(level)
        extra["facility"] = _FACILITIES[fac] if fac < len(_FACILITIES) else facility
        extra["priority"] = _SEVERITIES[sev] if sev < 8 else level
    else:
        extra["facility"], extra["priority"] = facility, level


def _tag(rest: str) -> tuple[str | None, str | None, str | None, str]:
    """Split ``[host] prog[pid]: message``: host, program, pid, message."""
    for pattern in (_TAG, _BRACKET_TAG):
        m = pattern.match(rest)
        if m:  # no host: the line starts with the tag
            return None, m["prog"], m.groupdict().get("pid"), rest[m.end():]
    host, _, after = rest.partition(" ")
    for pattern in (_TAG, _BRACKET_TAG):
        m = pattern.match(after)
        if m:
            return host, m["prog"], m.groupdict().get("pid"), after[m.end():]
    return host or None, None, None, after  # e.g. "last message repeated 3 times"


def _structured_data(rest: str) -> tuple[str | None, str]:
    """RFC 5424 structured data (``-`` or ``[id k="v"]...``; ``]`` may sit in quoted values)."""
    if rest.startswith("-"):
        return None, rest[2:] if rest.startswith("- ") else rest[1:]
    i, quoted, n = 0, False, len(rest)
    while i < n and rest[i] == "[":
        i += 1
        while i < n:
            ch = rest[i]
            if quoted and ch == "\\":
                i += 1
            elif ch == '"':
                quoted = not quoted
            elif ch == "]" and not quoted:
                break
            i += 1
        if i >= n:
            return None, rest  # unterminated: read it all as the message
        i += 1
    message = rest[i + 1:] if rest[i:i + 1] == " " else rest[i:]
    return rest[:i] or None, message


def _rfc5424(m: re.Match[str], text: str) -> Header:
    extra: dict[str, Any] = {}
    _priority(extra, m["pri"])
    moment, zoned = iso_time(m["ts"]) if m["ts"] != "-" else (None, True)
    if not zoned:
        extra["tz"] = "assumed-utc"
    sd, message = _structured_data(text[m.end():])
    if sd:
        extra["sd"] = sd
    if m["msgid"] != "-":
        extra["msgid"] = m["msgid"]

    def nil(value: str) -> str | None:
        return None if value == "-" else value

    return Header(m["ts"], moment, nil(m["host"]), nil(m["app"]), nil(m["procid"]),
                  message.removeprefix("\ufeff"), extra=extra)


def parse_header(text: str) -> Header | None:
    """The header of one line, or None when it has no header this reader knows."""
    if text.startswith("<"):
        m5 = _RFC5424.match(text)
        if m5:
            return _rfc5424(m5, text)
    m = _BSD.match(text)
    if m:
        extra: dict[str, Any] = {"tz": "assumed-utc"}
        _priority(extra, m["wire"])
        _priority(extra, m["pri"])
        host, program, pid, message = _tag(text[m.end():])
        stamp = text[m.start("year") if m["year"] else m.start("mon"):m.end("frac") if m["frac"] else m.end("s")]
        parts = (int(m["day"]), int(m["h"]), int(m["m"]), int(m["s"]), float(m["frac"] or 0))
        header = Header(stamp, None, host, program, pid, message, extra=extra)
        if m["year"] is None:
            header.bsd_month, header.bsd_parts = _MONTHS[m["mon"]], parts
            extra["year"] = "inferred"
        else:
            header.time = _utc(int(m["year"]), _MONTHS[m["mon"]], parts)
        return header
    m = _ISO.match(text)
    if m:
        extra = {}
        moment, zoned = iso_time(m["ts"])
        if not zoned:
            extra["tz"] = "assumed-utc"
        _priority(extra, m["wire"])
        _priority(extra, m["pri"])
        rest = text[m.end():]
        if _BGPD_NEIGHBOR.match(rest) or _BGPD_OTHER.match(rest):
            return Header(m["ts"], moment, None, "bgpd", None, rest, extra=extra)
        host, program, pid, message = _tag(rest)
        return Header(m["ts"], moment, host, program, pid, message, extra=extra)
    m = _PORTSENTRY.fullmatch(text)
    if m:
        return Header(m["epoch"], float(m["epoch"]), None, "portsentry", None, m["msg"])
    if _BGPD_NEIGHBOR.match(text) or _BGPD_OTHER.match(text):
        return Header("", None, None, "bgpd", None, text)
    return None


def _utc(year: int, month: int, parts: tuple[int, int, int, int, float]) -> float | None:
    day, hour, minute, second, frac = parts
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=_UTC)
    except ValueError:  # Feb 29 of a year that has none, Apr 31
        return None
    return moment.timestamp() + (second == 60) + frac


class _Years:
    """Years of year-less timestamps in file order (see the module notes). Each step depends
    only on two neighbouring lines, so a read from any line on counts the same steps."""

    def __init__(self, year: int):
        self.year = year
        self.month: int | None = None

    def assign(self, month: int) -> int:
        if self.month is not None:
            if month - self.month < -6:  # Dec -> Jan: a new year
                self.year += 1
            elif month - self.month > 6:  # Jan -> Dec: a late line from the year before
                self.year -= 1
        self.month = month
        return self.year


def _bsd_month(line: Line) -> int | None:
    """The month of a line with a year-less BSD header (no RFC 5424 line matches ``_BSD``,
    so this is exactly when ``parse_header`` leaves the year to infer)."""
    m = _BSD.match(line.data.decode("utf-8", "replace"))
    if m is None or m["year"] is not None:
        return None
    return _MONTHS[m["mon"]]


def readable_lines(source: LineSource) -> Iterator[Line | Malformed]:
    """The source's lines; a damaged gzip stream ends them with one ``Malformed``."""
    lines = iter(source)
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            yield Malformed(source.position.line + 1, source.position.offset, f"unreadable gzip data: {exc}", "")
            return
        yield line


def _first_year(path: Path, start: Position, reference: float, whole: bool) -> int:
    """The year of the first year-less line from ``start``, so that the last one falls on or
    before the reference. ``whole``: an unterminated final line counts (gzip)."""
    years, last = _Years(0), None
    for line in readable_lines(LineSource(path, start)):
        if isinstance(line, Line) and (line.terminated or whole) and not line.too_long:
            month = _bsd_month(line)
            if month is not None:
                last = (years.assign(month), line)
    ref = datetime.fromtimestamp(reference, _UTC)
    if last is None:
        return ref.year
    relative, line = last
    header = parse_header(line.data.decode("utf-8", "replace"))
    assert header is not None and header.bsd_month is not None and header.bsd_parts is not None
    day, hour, minute, second, _ = header.bsd_parts
    year = ref.year
    try:
        when = datetime(year, header.bsd_month, day, hour, minute, min(second, 59), tzinfo=_UTC)
    except ValueError:  # Feb 29
        when = datetime(year, header.bsd_month, 28, hour, minute, min(second, 59), tzinfo=_UTC)
    if when > ref + timedelta(days=1):
        year -= 1
    return year - relative


def read(path: Path, start: Position = Position(), *, reference: float | None = None) -> Reading:
    """Events and malformed lines from ``start``. ``reference``: POSIX time that year-less
    timestamps are placed before (default: the file's mtime)."""
    source = LineSource(path, start)
    return Reading(_items(Path(path), source, reference), source)


def _items(path: Path, source: LineSource, reference: float | None) -> Iterator[Event | Malformed]:
    gzipped = is_gzip(path)
    if reference is None:
        try:
            reference = os.stat(path).st_mtime
        except OSError:
            reference = _time.time()
    years = _Years(_first_year(path, source.start, reference, gzipped))
    for line in readable_lines(source):
        if isinstance(line, Malformed):
            yield line
            continue
        if not line.terminated:
            if not gzipped:
                return  # still being written: the next read takes it whole
            source.accept_partial()
        if line.too_long:
            yield Malformed(line.number, line.offset, "line too long", sample(line.data))
            continue
        text = line.data.decode("utf-8", "replace")
        if not text.strip():
            continue
        header = parse_header(text)
        if header is None:
            yield Malformed(line.number, line.offset, "no syslog header", sample(line.data))
            continue
        if header.bsd_month is not None and header.bsd_parts is not None:
            header.time = _utc(years.assign(header.bsd_month), header.bsd_month, header.bsd_parts)
        yield _event(line, text, header)


def _event(line: Line, text: str, header: Header) -> Event:
    parsed = interpret(header.program, header.message)
    extra: dict[str, Any] = {}
    if header.program:
        extra["program"] = header.program
    if header.pid:
        extra["pid"] = header.pid
    extra.update(header.extra)
    extra.update(parsed.extra)
    return Event(source=NAME, kind=parsed.kind, time=header.time, line=line.number, offset=line.offset,
                 raw=text[:MAX_RAW], src=parsed.src, dst=parsed.dst, sport=parsed.sport, dport=parsed.dport,
                 proto=parsed.proto, action=parsed.action, signature=parsed.signature, host=header.host,
                 user=parsed.user, message=header.message, extra=extra)


def sniff(head: bytes, name: str) -> bool:
    """The first lines (comments and blank lines aside) carry syslog headers or bgpd's output."""
    lines = head.split(b"\n")
    if len(lines) > 1 and not head.endswith(b"\n"):
        lines.pop()  # cut off by the head's size
    candidates = [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines
                  if ln.strip() and not ln.startswith(b"#")][:8]
    strong = weak = 0
    for text in candidates:
        if _BGPD_OTHER.match(text):
            weak += 1
        elif parse_header(text) is not None:
            strong += 1
    return strong >= 1 and 2 * (strong + weak) >= len(candidates)


@dataclass(frozen=True)
class SyslogLine:
    line: int
    timestamp: str
    host: str
    program: str
    message: str


def read_syslog(path: Path, display: str) -> Iterator[SyslogLine]:
    """Lines with a header as text fields (the assistant's quick authlog view)."""
    try:
        for line in LineSource(path):
            if not line.terminated or line.too_long:
                continue
            header = parse_header(line.data.decode("utf-8", "replace"))
            if header is not None:
                yield SyslogLine(line.number, header.stamp, header.host or "", header.program or "", header.message)
    except OSError as exc:
        raise SourceError(display, f"cannot read: {exc.strerror}") from exc
