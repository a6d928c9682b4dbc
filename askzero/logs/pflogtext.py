"""pflog as text: what ``tcpdump -n -e -ttt -r /var/log/pflog`` prints, one packet a line.

Also read: the same line inside a syslog line (``Mar 30 15:33:26 enigma pf: Mar 30
15:32:33.483712 rule 2/(match) pass in on xl0: ...``, or without the inner time), the -v
extras (``[uid 0, pid 24100]``, ``[rewritten: src A:P, dst B:Q]``), FreeBSD's libpcap form
(``rule 22/0(match): block in on vlan2: ...``), and pfSense/OPNsense ``filterlog`` CSV
(see ``filterlog``) in BSD or RFC 5424 framing. The layout follows OpenBSD's print-pflog.c
as quoted in reference/pflog-examples.txt.

tcpdump joins the port to the address with a dot, for IPv6 too: the port is what follows
the last dot when the address has one dot too many (IPv4: four dots; IPv6: any dot, or
four in a mapped IPv4 address). ICMP lines carry no ports.

The text has no year and no zone. Times are taken as UTC (``extra["tz"] = "assumed-utc"``)
and each date gets the latest year that does not put it after the reference time (the
file's modification time unless given) by more than a day: a file read forward then
crosses December to January as one read backwards from its end would.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from askzero.digits import is_number
from askzero.errors import SourceError
from askzero.logs import filterlog
from askzero.logs.formats import Reading
from askzero.logs.lines import LineSource, Position, sample
from askzero.logs.record import Event, Malformed

NAME = "pflogtext"
UTC = timezone.utc
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
CACHE_MAX = 65536

_TIME = (r"(?:(?:(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) )?"
         r"(?P<clock>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,9}))? )?")
_PACKET = r"(?P<src>\S+) > (?P<dst>\S+?): +(?P<rest>\S.*)$"
# print-pflog.c (OpenBSD): rule N/(reason) [uid, pid] action dir on if: [uid, pid] [rewritten]
OPENBSD = re.compile(
    rf"^{_TIME}rule (?P<rule>[^/\s]+)/\((?P<reason>[^)]*)\) "
    r"(?:\[uid (?P<ruid>\d+), pid (?P<rpid>-?\d+)\] +)?"
    r"(?P<action>[a-z-]*) (?P<dir>in|out) on (?P<iface>[^\s:]+): "
    r"(?:\[uid (?P<uid>\d+), pid (?P<pid>-?\d+)\] )?"
    r"(?:\[rewritten: src (?P<tsrc>\S+):(?P<tsport>\d+), dst (?P<tdst>\S+):(?P<tdport>\d+)\] )?"
    + _PACKET
)
# libpcap's print-pflog.c (FreeBSD, macOS): rule N/M(reason): action dir on if:
LIBPCAP = re.compile(
    rf"^{_TIME}rule (?P<rule>[^/\s]+)/(?P<sub>\d+)\((?P<reason>[^)]*)\): "
    r"(?P<action>[a-z-]*) (?P<dir>in|out) on (?P<iface>[^\s:]+): " + _PACKET
)
BSD_SYSLOG = re.compile(
    r"^(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d) (?:<[\w.]+> )?"
    r"(?P<host>\S+) (?P<prog>[^\s:\[\]]+)(?:\[\d+\])?: (?P<msg>.*)$"
)
RFC5424 = re.compile(
    r"^<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<prog>\S+) \S+ \S+ "
    r"(?P<sd>-|(?:\[(?:[^\]\"\\]|\\.|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (?P<msg>.*))?$"
)
# flags first (older releases printed ECN letters inline: "SRPE"), or a cut header
TCP_TEXT = re.compile(r"(?:([SFRPEWU]+|\.)(?: \[([EW]+)\])?(?: |$)|\[\|tcp\])")
TCP_ACK = re.compile(r" ack \d")
TCP_URG = re.compile(r" urg \d")
OTHER_PROTOS = ("igmp", "esp", "ah", "gre", "ospf", "pim", "carp", "vrrp", "pfsync")
KIND_OF_ACTION = {"block": "block", "pass": "pass", "match": "match"}


def sniff(head: bytes, name: str) -> bool:
    """Most of the first complete lines are pflog text or filterlog records."""
    lines = head.decode("utf-8", "replace").split("\n")
    if len(head) >= 4096:
        lines = lines[:-1]  # the last one may be cut
    lines = [line.rstrip("\r") for line in lines if line.strip()][:20]
    if not lines:
        return False
    hits = sum(1 for line in lines if _is_record(_message(line)[0]))
    return hits * 2 > len(lines)


def read(path: Path, start: Position = Position(), reference: datetime | None = None) -> Reading:
    """The records of a pflog text file from ``start`` on, as events.

    ``reference`` is the time the file's dates are not later than (default: its mtime).
    A final line without its newline is left for the next read: tcpdump writing to a file
    buffers by blocks, so such a line may still grow.
    """
    source = LineSource(path, start)
    return Reading(_items(source, reference), source)


def _items(source: LineSource, reference: datetime | None) -> Iterator[Event | Malformed]:
    try:
        mtime = source.path.stat().st_mtime
        lines = iter(source)
        first = next(lines, None)  # opens the file: a missing or unreadable one raises here
    except EOFError:  # a gzip stream cut short before its first line
        return
    except (gzip.BadGzipFile, zlib.error) as exc:
        yield Malformed(source.start.line + 1, source.start.offset,
                        f"corrupt compressed data: {exc}", "")
        return
    except OSError as exc:
        raise SourceError(str(source.path), f"cannot read: {exc.strerror or exc}") from exc
    clock = Clock(reference if reference is not None else datetime.fromtimestamp(mtime, UTC))
    line = first
    while line is not None:
        if not line.terminated:
            return  # not accepted: read again, whole, next time
        if line.too_long:
            yield Malformed(line.number, line.offset, "line too long", sample(line.data))
        else:
            text = line.data.decode("utf-8", "replace")
            if text.strip() and not text.startswith("tcpdump: "):  # tcpdump's own notices
                yield parse_line(text, line.number, line.offset, clock)
        try:
            line = next(lines, None)
        except EOFError:  # a gzip stream cut short: maybe still being written
            return
        except (OSError, zlib.error) as exc:  # corrupt compressed data
            yield Malformed(source.position.line + 1, source.position.offset,
                            f"corrupt compressed data: {exc}", "")
            return


class Clock:
    """Times from year-less text, dated against a reference time (see the module notes)."""

    def __init__(self, reference: datetime) -> None:
        if reference.tzinfo is None:
            reference = reference.replace(tzinfo=UTC)
        self.latest = (reference + timedelta(days=1)).date()
        self._midnights: dict[tuple[int, int], float | None] = {}

    def midnight(self, month: int, day: int) -> float | None:
        """POSIX seconds at 00:00 UTC of that day in the year chosen for it."""
        key = (month, day)
        if key not in self._midnights:
            self._midnights[key] = self._choose(month, day)
        return self._midnights[key]

    def _choose(self, month: int, day: int) -> float | None:
        for year in range(self.latest.year, self.latest.year - 8, -1):  # Feb 29: a leap year
            try:
                when = date(year, month, day)
            except ValueError:
                continue
            if when <= self.latest:
                return datetime(year, month, day, tzinfo=UTC).timestamp()
        return None

    def time(self, mon: str | None, day: str | None, clock: str, frac: str | None) -> float | None:
        """The POSIX time of ``Mon DD HH:MM:SS[.frac]``; None without a valid date."""
        month = MONTHS.get(mon or "")
        if month is None or day is None:
            return None
        base = self.midnight(month, int(day))
        h, m, s = int(clock[0:2]), int(clock[3:5]), int(clock[6:8])
        if base is None or h > 23 or m > 59 or s > 60:
            return None
        seconds = int(base) + h * 3600 + m * 60 + s
        if not frac:
            return float(seconds)
        scale = 10 ** len(frac)  # exact, as the binary reader's (sec * 1e6 + usec) / 1e6
        return (seconds * scale + int(frac)) / scale


def _is_record(found: object) -> bool:
    return found is not None and not isinstance(found, str)


def _message(
    text: str,
) -> tuple[re.Match[str] | filterlog.Filterlog | str | None, re.Match[str] | None]:
    """The pf record in a line (a match, a filterlog record, why the CSV is not one, or
    None) and its syslog framing (None when the line has none)."""
    found = OPENBSD.match(text)
    if found:
        return found, None
    frame = BSD_SYSLOG.match(text) or RFC5424.match(text)
    msg = (frame["msg"] or "") if frame else text
    found = OPENBSD.match(msg) or LIBPCAP.match(msg)
    if found:
        return found, frame
    if filterlog.looks_like(msg):
        return filterlog.parse(msg), frame
    return None, frame


def parse_line(text: str, number: int, offset: int, clock: Clock) -> Event | Malformed:
    """One line as an Event, or Malformed when it holds no pf log record."""
    found, frame = _message(text.strip())
    if found is None or isinstance(found, str):
        if isinstance(found, str):
            reason = found
        elif frame is not None:
            reason = f"a syslog line from {frame['prog']!r}, not a pf log record"
        else:
            reason = "not a pflog text line"
        return Malformed(number, offset, reason, sample(text.encode()))
    extra: dict[str, Any] = {}
    host = frame["host"] if frame is not None else None
    frame_time = _frame_time(frame, clock, extra) if frame is not None else None
    if isinstance(found, filterlog.Filterlog):
        extra.update(found.extra)
        return Event(NAME, found.kind, frame_time, number, offset, text, src=found.src,
                     dst=found.dst, sport=found.sport, dport=found.dport, proto=found.proto,
                     action=found.action, rule=found.rule, iface=found.iface,
                     direction=found.direction, host=host, message=frame["msg"] if frame else text,
                     extra=extra)
    return _pflog_event(found, text, number, offset, clock, host, frame, frame_time, extra)


def _pflog_event(
    m: re.Match[str], text: str, number: int, offset: int, clock: Clock, host: str | None,
    frame: re.Match[str] | None, frame_time: float | None, extra: dict[str, Any],
) -> Event:
    time = frame_time
    if m["clock"]:
        if m["mon"]:
            time = clock.time(m["mon"], m["day"], m["clock"], m["frac"])
            extra["tz"] = "assumed-utc"
        elif frame_time is not None:  # time of day only: the syslog line gives the date
            time = _same_day(frame_time, m["clock"], m["frac"])
        else:
            extra["clock"] = m["clock"] + (f".{m['frac']}" if m["frac"] else "")
    ref = m["rule"]
    extra.update(_rule_fields(ref), reason=m["reason"])
    if m.re is LIBPCAP:
        extra["dialect"] = "libpcap"
        extra["subrulenr"] = int(m["sub"])
    src, sport = split_port(m["src"])
    dst, dport = split_port(m["dst"])
    rest = m["rest"]
    proto = _proto(rest, sport is not None, extra)
    if m.re is OPENBSD:
        if m["ruid"] is not None:
            extra["rule_uid"], extra["rule_pid"] = int(m["ruid"]), int(m["rpid"])
        if m["uid"] is not None:
            extra["uid"], extra["pid"] = int(m["uid"]), int(m["pid"])
        if m["tsrc"] is not None:
            extra.update(rewritten=True, translated_src=m["tsrc"], translated_dst=m["tdst"],
                         translated_sport=int(m["tsport"]), translated_dport=int(m["tdport"]))
    action = m["action"] or None
    body = m.string if frame is None else frame["msg"]
    kind = KIND_OF_ACTION.get(action or "", "other")
    return Event(NAME, kind, time, number, offset, text, src=src, dst=dst, sport=sport,
                 dport=dport, proto=proto, action=action, rule=ref, iface=m["iface"],
                 direction=m["dir"], host=host, message=body, extra=extra)


def _frame_time(frame: re.Match[str], clock: Clock, extra: dict[str, Any]) -> float | None:
    if frame.re is RFC5424:
        try:
            when = datetime.fromisoformat(frame["ts"])
        except ValueError:
            return None
        if when.tzinfo is None:
            extra["tz"] = "assumed-utc"
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    extra["tz"] = "assumed-utc"
    return clock.time(frame["mon"], frame["day"], frame["clock"], None)


def _same_day(near: float, clock: str, frac: str | None) -> float:
    """``HH:MM:SS`` on the day (before, of or after ``near``) that puts it nearest."""
    midnight = near - near % 86400
    seconds = int(clock[0:2]) * 3600 + int(clock[3:5]) * 60 + int(clock[6:8])
    best = min((midnight + d * 86400 + seconds for d in (-1, 0, 1)), key=lambda t: abs(t - near))
    return best + (int(frac) / 10 ** len(frac) if frac else 0.0)


_RULES: dict[str, dict[str, Any]] = {}


def _rule_fields(ref: str) -> dict[str, Any]:
    """rulenr, subrulenr and ruleset from ``2``, ``8.threat_feeds.0``, ``def``."""
    known = _RULES.get(ref)
    if known is None:
        if len(_RULES) >= CACHE_MAX:
            _RULES.clear()
        parts = ref.split(".")
        known = {"rulenr": _number(parts[0]), "subrulenr": -1, "ruleset": ""}
        if len(parts) >= 3:
            known["subrulenr"] = _number(parts[-1])
            known["ruleset"] = ".".join(parts[1:-1])
        _RULES[ref] = known
    return known


def _number(text: str) -> int | None:
    if text == "def":
        return -1
    return int(text) if is_number(text) else None


def split_port(token: str) -> tuple[str, int | None]:
    """``192.0.2.1.443`` -> (``192.0.2.1``, 443); ``2001:db8::1.25`` -> (``2001:db8::1``, 25)."""
    head, dot, tail = token.rpartition(".")
    if not dot or not is_number(tail):
        return token, None
    dots = head.count(".")
    if ":" in head:
        has_port = dots in (0, 3)  # plain IPv6, or with a mapped IPv4 address
    else:
        has_port = dots == 3
    return (head, int(tail)) if has_port else (token, None)


def _proto(rest: str, has_ports: bool, extra: dict[str, Any]) -> str | None:
    """The protocol from how tcpdump decoded the packet."""
    tcp = TCP_TEXT.match(rest)
    if tcp and (has_ports or rest.startswith("[|tcp]")):
        letters = set(tcp.group(1) or "") | set(tcp.group(2) or "")
        if TCP_ACK.search(rest):
            letters.add("A")
        if TCP_URG.search(rest):
            letters.add("U")
        if letters:
            extra["tcp_flags"] = "".join(c for c in "FSRPAUEW" if c in letters)
        return "tcp"
    if rest.startswith("Flags ["):  # libpcap
        return "tcp"
    word = rest.split(" ", 1)[0].rstrip(":,")
    if word in ("udp", "[|udp]", "UDP"):
        return "udp"
    if "icmp6:" in rest[:12] or word in ("[|icmp6]", "ICMP6"):
        return "icmp6"
    if word in ("icmp", "[|icmp]", "ICMP"):
        return "icmp"
    if word.startswith("ip-proto-"):
        return word.removeprefix("ip-proto-")
    for name in OTHER_PROTOS:
        if word.lower().startswith(name):
            return name
    if has_ports and rest:  # an application decode (DNS, NTP, bootp): TCP prints flags first
        extra["proto_inferred"] = True
        return "udp"
    return None
