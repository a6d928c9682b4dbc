"""pfSense and OPNsense ``filterlog`` lines: pf's log as positional CSV.

Those systems run the same pf and log each packet as one CSV message (after a BSD or
RFC 5424 syslog header) instead of tcpdump text. The layout, from pfSense's filterlog.c
(``rule, subrule, anchor, tracker, interface, reason, action, direction, ip version``,
then the IP fields, then the protocol's):

    IPv4: tos, ecn, ttl, id, offset, flags, proto id, proto, length, src, dst
    IPv6: class, flow label, hop limit, proto, proto id, length, src, dst
    tcp:  sport, dport, data length, flags, seq, ack, window, urg, options
    udp:  sport, dport, data length

Only what the samples show is relied on; other protocols keep their addresses and rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from askzero.digits import is_number

DIALECT = "filterlog"
_ACTIONS = {"block": "block", "reject": "block", "pass": "pass", "match": "match"}


@dataclass(slots=True)
class Filterlog:
    """The fields of one filterlog record."""

    rule: str
    iface: str
    action: str
    kind: str
    direction: str
    proto: str | None
    src: str
    dst: str
    sport: int | None = None
    dport: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def looks_like(message: str) -> bool:
    """A cheap test: the fixed head of a filterlog record (rule number, then 8 fields)."""
    head = message.split(",", 9)
    return len(head) == 10 and is_number(head[0]) and head[8] in ("4", "6")


def parse(message: str) -> Filterlog | str:
    """The record in a filterlog message, or why it is not one."""
    f = message.strip().split(",")
    if len(f) < 9 or not is_number(f[0]):
        return "not a filterlog record: it starts with the rule number and 8 more fields"
    rule, subrule, anchor, tracker, iface, reason, action, direction, version = f[:9]
    if direction not in ("in", "out"):
        return f"not a filterlog record: direction {direction!r}"
    if version == "4" and len(f) >= 20:
        proto_name, proto_id, src, dst, rest = f[16], f[15], f[18], f[19], f[20:]
        extra: dict[str, Any] = {"ttl": _int(f[11]), "length": _int(f[17])}
    elif version == "6" and len(f) >= 17:
        proto_name, proto_id, src, dst, rest = f[12], f[13], f[15], f[16], f[17:]
        extra = {"hop_limit": _int(f[11]), "length": _int(f[14])}
    else:
        return f"filterlog record too short for IP version {version!r} ({len(f)} fields)"
    proto = proto_name.lower() or proto_id or None
    extra.update(dialect=DIALECT, reason=reason, tracker=tracker, ip_version=int(version))
    if subrule:
        extra["subrule"] = subrule
    if anchor:
        extra["anchor"] = anchor
    sport = dport = None
    if proto in ("tcp", "udp") and len(rest) >= 2:
        sport, dport = _int(rest[0]), _int(rest[1])
        if len(rest) >= 3:
            extra["data_length"] = _int(rest[2])
        if proto == "tcp" and len(rest) >= 4 and rest[3]:
            extra["tcp_flags"] = rest[3]
    kind = _ACTIONS.get(action, "other")
    return Filterlog(rule, iface, action, kind, direction, proto, src, dst, sport, dport, extra)


def _int(text: str) -> int | None:
    return int(text) if is_number(text) else None
