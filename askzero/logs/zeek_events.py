"""One Zeek record (field name to value, dotted names flat) as a normalised ``Event``.

The connection 4-tuple, ``uid`` (the join key between conn, dns, http, notice... records of
one connection) and time are common to most logs; each log type then fills the columns it
has a meaning for. Every other field set in the record is kept in ``extra``, with the log
type under ``_path``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from askzero.logs.record import Event, port_number, scalar_text

SOURCE = "zeek"

KIND_BY_PATH = {
    "conn": "flow",
    "dns": "dns",
    "http": "http",
    "ssl": "tls",
    "ssh": "ssh",
    "notice": "notice",
    "weird": "anomaly",
    "files": "file",
    "x509": "x509",
}

# Zeek's standard log names, to recognise a log type from a file name (conn.log,
# dns.12:00:00-13:00:00.log.gz, ...) when a JSON record has no _path.
STANDARD_PATHS = frozenset(KIND_BY_PATH) | {
    "analyzer", "arp", "broker", "capture_loss", "cluster", "conn_long", "dce_rpc", "dhcp",
    "dnp3", "dpd", "ftp", "intel", "irc", "kerberos", "known_certs", "known_hosts",
    "known_services", "loaded_scripts", "modbus", "mqtt", "mysql", "netcontrol",
    "notice_alarm", "ntlm", "ntp", "ocsp", "packet_filter", "pe", "print", "quic", "radius",
    "rdp", "reporter", "rfb", "signatures", "sip", "smb_files", "smb_mapping", "smtp", "snmp",
    "socks", "software", "stats", "syslog", "telemetry", "traceroute", "tunnel", "websocket",
    "weird_stats",
}

# fields that identify a log type, tried in order, for JSON records with no other clue
_SIGNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("notice", ("note",)),
    ("conn", ("conn_state",)),
    ("conn", ("history", "orig_bytes")),
    ("dns", ("query",)),
    ("dns", ("qtype_name",)),
    ("dns", ("rcode_name",)),
    ("http", ("method", "uri")),
    ("http", ("status_code", "host")),
    ("ssh", ("auth_success",)),
    ("ssh", ("auth_attempts",)),
    ("ssl", ("validation_status",)),
    ("ssl", ("server_name",)),
    ("ssl", ("cipher", "version")),
    ("x509", ("certificate.subject",)),
    ("x509", ("certificate.serial",)),
    ("files", ("fuid", "seen_bytes")),
    ("files", ("fuid", "mime_type")),
    ("files", ("tx_hosts",)),
    ("weird", ("name", "notice")),
    ("weird", ("name", "addl")),
)

# columns every log type may fill; never repeated in extra
_COMMON = frozenset(
    {"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "_path",
     "_write_ts", "_system_name"}
)
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def path_from_filename(name: str) -> str | None:
    """The log type a file name announces: ``conn.log``, ``dns.12:00:00-13:00:00.log.gz``,
    ``sensor__http.log`` (prefixed copies) give conn, dns, http; others None."""
    base = name.split(".", 1)[0].lower().rsplit("__", 1)[-1]
    return base if base in STANDARD_PATHS else None


def path_from_fields(record: dict[str, Any]) -> str | None:
    for path, names in _SIGNS:
        if all(n in record for n in names):
            return path
    return None


def fallback_path(name: str) -> str:
    """For records with no _path, no #path, no known file name and no telling fields."""
    base = name.split(".", 1)[0].lower()
    return base if _IDENTIFIER.fullmatch(base) else "unknown"


def event_time(value: Any) -> float | None:
    """Epoch seconds (Zeek's own writers) or ISO-8601 text (json-streaming-logs)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # Zeek logs in UTC
        try:
            return moment.timestamp()
        except (OverflowError, OSError, ValueError):
            return None
    return number if math.isfinite(number) else None


def _first(value: Any) -> str | None:
    """The first element of a set or vector field (or the value when it is a scalar)."""
    if isinstance(value, list):
        return next((t for t in map(scalar_text, value) if t), None)
    return scalar_text(value)


def _join(*parts: Any) -> str | None:
    words = [str(p) for p in parts if p not in (None, "", [])]
    return " ".join(words) or None


def _endpoint(host: str | None, port: int | None) -> str:
    if host is None:
        return "?"
    shown = f"[{host}]" if ":" in host and port is not None else host
    return f"{shown}:{port}" if port is not None else shown


def _consume(ev: Event, *names: str) -> None:
    """Fields shown in an event column are not repeated in extra."""
    for name in names:
        ev.extra.pop(name, None)


def _keep(ev: Event, rec: dict[str, Any], *names: str) -> None:
    for name in names:
        if rec.get(name) is not None:
            ev.extra[name] = rec[name]


def _conn(ev: Event, rec: dict[str, Any]) -> None:
    if ev.proto == "unknown_transport" and port_number(rec.get("ip_proto")) is not None:
        ev.proto = str(rec["ip_proto"])  # conn.log's ip_proto: the IP protocol number
    ev.message = _join(
        "conn", ev.proto, _endpoint(ev.src, ev.sport), "->", _endpoint(ev.dst, ev.dport),
        rec.get("service"), rec.get("conn_state"),
        f"{rec['duration']}s" if isinstance(rec.get("duration"), (int, float)) else None,
        f"{rec.get('orig_bytes', '-')}/{rec.get('resp_bytes', '-')} bytes"
        if "orig_bytes" in rec or "resp_bytes" in rec else None,
    )


def _dns(ev: Event, rec: dict[str, Any]) -> None:
    answers = rec.get("answers")
    shown = ",".join(map(str, answers)) if isinstance(answers, list) else answers
    ev.message = _join(
        "dns", rec.get("query"), rec.get("qtype_name"), "->", rec.get("rcode_name"), shown
    )


def _http(ev: Event, rec: dict[str, Any]) -> None:
    ev.message = _join(
        rec.get("method"), f"{scalar_text(rec.get('host')) or ''}{scalar_text(rec.get('uri')) or ''}",
        "->", rec.get("status_code"), rec.get("status_msg"),
    )


def _tls(ev: Event, rec: dict[str, Any]) -> None:
    ev.message = _join(
        "tls", rec.get("version"), rec.get("server_name"), "validation",
        rec.get("validation_status"),
    )


def _ssh(ev: Event, rec: dict[str, Any]) -> None:
    success = rec.get("auth_success")
    ev.action = {True: "accepted", False: "failed"}.get(success) if isinstance(success, bool) else None
    direction = scalar_text(rec.get("direction"))
    ev.direction = {"INBOUND": "in", "OUTBOUND": "out"}.get(direction or "")
    ev.message = _join(
        "ssh", rec.get("client"), "->", rec.get("server"),
        f"auth {ev.action}" if ev.action else None,
    )
    ev.extra.pop("auth_success", None)


def _notice(ev: Event, rec: dict[str, Any]) -> None:
    # notice's own src/dst/p name the hosts the notice is about; the connection is a fallback
    # (the connection's endpoints stay in extra when they differ)
    src, dst, port = scalar_text(rec.get("src")), scalar_text(rec.get("dst")), port_number(rec.get("p"))
    if src is not None and src != ev.src:
        _keep(ev, rec, "id.orig_h", "id.orig_p")
        ev.src, ev.sport = src, None
    if dst is not None and dst != ev.dst:
        _keep(ev, rec, "id.resp_h", "id.resp_p")
        ev.dst, ev.dport = dst, None
    if port is not None and port != ev.dport:
        _keep(ev, rec, "id.resp_p")
        ev.dport = port
    ev.signature = scalar_text(rec.get("note"))
    ev.category = ev.signature.split("::", 1)[0] if ev.signature and "::" in ev.signature else None
    ev.message = scalar_text(rec.get("msg"))
    ev.severity = 2
    _consume(ev, "note", "msg")


def _weird(ev: Event, rec: dict[str, Any]) -> None:
    ev.signature = scalar_text(rec.get("name"))
    addl = scalar_text(rec.get("addl"))
    ev.message = f"{ev.signature}: {addl}" if ev.signature and addl else ev.signature
    _consume(ev, "name")


def _file(ev: Event, rec: dict[str, Any]) -> None:
    # files.log before Zeek 5 has no connection id: sender and receiver sets instead
    if ev.src is None:
        ev.src = _first(rec.get("tx_hosts"))
    if ev.dst is None:
        ev.dst = _first(rec.get("rx_hosts"))
    if ev.flow is None:
        ev.flow = _first(rec.get("conn_uids"))
    digest = next((rec[h] for h in ("sha256", "sha1", "md5") if scalar_text(rec.get(h))), None)
    ev.message = _join("file", rec.get("mime_type"), rec.get("filename"), digest)


def _x509(ev: Event, rec: dict[str, Any]) -> None:
    ev.message = _join(
        "certificate", rec.get("certificate.subject"),
        "issued by" if rec.get("certificate.issuer") else None, rec.get("certificate.issuer"),
    )


def _other(ev: Event, rec: dict[str, Any]) -> None:
    for name in ("msg", "message"):
        ev.message = scalar_text(rec.get(name))
        if ev.message:
            _consume(ev, name)
            return


_FILL: dict[str, Callable[[Event, dict[str, Any]], None]] = {
    "flow": _conn, "dns": _dns, "http": _http, "tls": _tls, "ssh": _ssh, "notice": _notice,
    "anomaly": _weird, "file": _file, "x509": _x509, "other": _other,
}


def build_event(record: dict[str, Any], path: str, line: int, offset: int, raw: str) -> Event:
    """The event for one record of log ``path`` found at ``line`` / ``offset``."""
    kind = KIND_BY_PATH.get(path, "other")
    proto = scalar_text(record.get("proto"))
    user = record.get("username", record.get("user"))
    ev = Event(
        source=SOURCE, kind=kind, time=event_time(record.get("ts")), line=line, offset=offset,
        raw=raw, src=scalar_text(record.get("id.orig_h")), sport=port_number(record.get("id.orig_p")),
        dst=scalar_text(record.get("id.resp_h")), dport=port_number(record.get("id.resp_p")),
        proto=proto.lower() if proto else None, flow=scalar_text(record.get("uid")),
        host=scalar_text(record.get("_system_name")), user=scalar_text(user),
    )
    extra: dict[str, Any] = {"_path": path}
    for name, value in record.items():
        if value is not None and name not in _COMMON:
            extra[name] = value
    ev.extra = extra
    _FILL[kind](ev, record)
    return ev
