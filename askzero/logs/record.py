"""The normalised event every log format becomes, and the rest of a reader's output.

Every format module (pflog, pflogtext, eve, fastlog, zeek, syslog, wazuh) turns its records
into ``Event`` values with these fields; the store keeps one row per event plus the
original record and where it came from, so every answer can cite file and line.

Conventions all formats follow:
- ``time``: POSIX seconds in UTC (float), ``None`` when the record has no usable time.
- ``kind``: what happened, in one word from ``KINDS``.
- ``proto``: lower-case name (``tcp``, ``udp``, ``icmp``, ``icmp6``) or the number as text.
- ``severity``: 1 (high) to 4 (informational), Suricata's scale; formats with another scale
  map onto it (see ``severity_from_wazuh``). ``None`` when the format has no severity.
- ``rule``: for pflog records, the rule number as tcpdump prints it (``8.threat_feeds.0``).
- ``flow``: the key joining records of one connection (Suricata ``flow_id``, Zeek ``uid``).
- ``line`` is 1-based; ``offset`` is the byte offset of the record in the (decompressed)
  file. Binary formats number their records in ``line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What an event is. Formats pick the closest; the store does not reject others.
KINDS = (
    "block",  # pf blocked the packet (pflog action block)
    "pass",  # pf passed and logged the packet
    "match",  # pf logged a match rule
    "alert",  # IDS alert (Suricata alert, fast.log, Wazuh alert)
    "drop",  # IDS dropped the packet (Suricata drop, IPS mode)
    "anomaly",  # protocol anomaly (Suricata anomaly, Zeek weird)
    "notice",  # Zeek notice
    "flow",  # connection summary (Suricata flow, Zeek conn)
    "dns", "http", "tls", "ssh", "file", "x509",  # protocol records
    "auth",  # authentication event (sshd, doas, su)
    "bgp",  # bgpd session and protocol events
    "daemon",  # other daemon messages (relayd, ...)
    "stats",  # counters (Suricata stats)
    "other",
)


@dataclass(slots=True)
class Event:
    """One normalised log event."""

    source: str  # the format: pflog, pflogtext, eve, fastlog, zeek, syslog, wazuh
    kind: str
    time: float | None
    line: int
    offset: int
    raw: str  # the original record (for binary formats, a faithful text rendering)
    src: str | None = None
    dst: str | None = None
    sport: int | None = None
    dport: int | None = None
    proto: str | None = None
    action: str | None = None  # block/pass (pf), allowed/blocked (IDS), failed/accepted (auth)
    severity: int | None = None
    signature: str | None = None  # alert signature, notice name, auth event, bgp event
    signature_id: str | None = None  # gid:sid:rev, Wazuh rule id, ...
    category: str | None = None
    rule: str | None = None  # pf rule number as pflog prints it
    iface: str | None = None
    direction: str | None = None  # in, out
    host: str | None = None  # the host or sensor that wrote the record
    user: str | None = None
    flow: str | None = None
    message: str | None = None  # one line a person reads
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific fields worth keeping


@dataclass(frozen=True, slots=True)
class Malformed:
    """A record a reader could not understand: counted, reported, never fatal."""

    line: int
    offset: int
    reason: str
    sample: str  # the start of the record, for the report


# Columns of the store's event table, in order, with their DuckDB types.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "TIMESTAMP"),
    ("source", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("src", "VARCHAR"),
    ("dst", "VARCHAR"),
    ("sport", "INTEGER"),
    ("dport", "INTEGER"),
    ("proto", "VARCHAR"),
    ("action", "VARCHAR"),
    ("severity", "TINYINT"),
    ("signature", "VARCHAR"),
    ("signature_id", "VARCHAR"),
    ("category", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("iface", "VARCHAR"),
    ("direction", "VARCHAR"),
    ("host", "VARCHAR"),
    ("user", "VARCHAR"),
    ("flow", "VARCHAR"),
    ("message", "VARCHAR"),
    ("extra", "VARCHAR"),  # JSON text
    ("line", "BIGINT"),
    ("offset", "BIGINT"),
    ("raw", "VARCHAR"),
)

MAX_RAW = 65536  # the original record is kept up to this many characters


def severity_from_wazuh(level: int) -> int:
    """Wazuh rule levels (0-15) on the 1-4 scale, following Wazuh's own bands:
    12 and above are high-importance events, 7-11 notable, 4-6 low, 0-3 informational."""
    if level >= 12:
        return 1
    if level >= 7:
        return 2
    if level >= 4:
        return 3
    return 4


def scalar_text(value: Any) -> str | None:
    """A JSON scalar as text (decoders store numbers as strings, but not always)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def port_number(value: Any) -> int | None:
    """A port from an integer or a string of ASCII digits, when it is one (0-65535)."""
    if isinstance(value, str) and value.isdigit() and value.isascii():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
        return value
    return None
