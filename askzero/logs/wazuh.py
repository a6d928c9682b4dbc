"""Wazuh (OSSEC) alerts.json: one JSON alert per line, as wazuh-analysisd writes it.

Mapping: ``timestamp`` (with its offset) -> time; ``rule.id`` -> signature_id;
``rule.description`` -> signature; ``rule.level`` -> severity on the 1-4 scale
(``record.severity_from_wazuh``, the level itself stays in ``extra``); ``rule.groups`` ->
category (comma-joined); MITRE ids, tactics and techniques and compliance tags -> extra;
``agent.name`` -> host; ``data.srcip``/``dstip``/``srcport``/``dstport``/``srcuser``/``dstuser``/
``protocol`` (or the Suricata fields nested under ``data`` for JSON-decoded sources) ->
addresses, ports, user, proto; ``full_log`` -> message. Every alert is of kind ``alert``.

The alert ``id`` holds the time analysisd wrote it, not when the event happened, so it is
kept only as an identifier. Quirk handled: the snort decoder stores ``dstip`` as
``ADDR:PORT``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from askzero.logs.formats import Reading
from askzero.logs.lines import LineSource, Position, is_gzip, sample
from askzero.logs.record import MAX_RAW, Event, Malformed, port_number, scalar_text, severity_from_wazuh
from askzero.logs.syslog import iso_time, readable_lines
from askzero.logs.syslog_messages import address

NAME = "wazuh"

_COMPLIANCE = ("pci_dss", "gdpr", "hipaa", "nist_800_53", "tsc", "gpg13")
_RULE_KEY = re.compile(r'"rule"\s*:\s*\{')
_AGENT_KEY = re.compile(r'"(?:agent|manager)"\s*:\s*\{')
_IDS_RULE = re.compile(r"\d+:\d+:\d+", re.ASCII)


def _texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _flow(value: Any) -> str | None:
    """Suricata's flow id as eve.json prints it (Wazuh re-prints it as ``N.000000``)."""
    text = scalar_text(value)
    if text and text.endswith(".000000"):
        text = text[:-7]
    return text


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _endpoint(value: Any) -> tuple[str | None, int | None]:
    """An address, or the snort decoder's ``ADDR:PORT``."""
    text = scalar_text(value)
    if text is None:
        return None, None
    if address(text) is None and ":" in text:
        head, _, port = text.rpartition(":")
        if address(head) is not None and port.isascii() and port.isdigit() and int(port) < 65536:
            return address(head), int(port)
    return address(text) or text, None


def alert_event(alert: dict[str, Any], line: int, offset: int, raw: str) -> Event | str:
    """The event for one alert, or the reason it is not one."""
    rule = alert.get("rule")
    if not isinstance(rule, dict):
        return "no rule object: not a Wazuh alert"
    extra: dict[str, Any] = {}
    level = rule.get("level")
    severity = None
    if isinstance(level, str) and level.isascii() and level.isdigit():
        level = int(level)
    if isinstance(level, int) and not isinstance(level, bool):
        extra["level"] = level
        severity = severity_from_wazuh(level)
    mitre = _dict(rule.get("mitre"))
    for key in ("id", "tactic", "technique"):
        values = _texts(mitre.get(key))
        if values:
            extra[f"mitre_{key}"] = values
    compliance = {key: _texts(rule[key]) for key in _COMPLIANCE if _texts(rule.get(key))}
    if compliance:
        extra["compliance"] = compliance
    for key in ("firedtimes", "frequency"):
        if isinstance(rule.get(key), int):
            extra[key] = rule[key]

    agent, manager, decoder = _dict(alert.get("agent")), _dict(alert.get("manager")), _dict(alert.get("decoder"))
    for key, value in (("agent_id", agent.get("id")), ("agent_ip", agent.get("ip")),
                       ("manager", manager.get("name")), ("location", alert.get("location")),
                       ("decoder", decoder.get("name")), ("decoder_parent", decoder.get("parent")),
                       ("alert_id", alert.get("id"))):
        if scalar_text(value):
            extra[key] = scalar_text(value)
    syscheck = _dict(alert.get("syscheck"))
    for key in ("path", "event"):
        if scalar_text(syscheck.get(key)):
            extra[f"syscheck_{key}"] = scalar_text(syscheck[key])

    data = _dict(alert.get("data"))
    src, sport = _endpoint(data.get("srcip") or data.get("src_ip"))
    dst, dport = _endpoint(data.get("dstip") or data.get("dest_ip"))
    sport = port_number(data.get("srcport") or data.get("src_port")) or sport
    dport = port_number(data.get("dstport") or data.get("dest_port")) or dport
    src_user, dst_user = scalar_text(data.get("srcuser")), scalar_text(data.get("dstuser"))
    if dst_user:
        extra["dstuser"] = dst_user
    if src_user and dst_user:
        extra["srcuser"] = src_user
    proto = scalar_text(data.get("protocol") or data.get("proto"))
    nested = _dict(data.get("alert"))  # a Suricata alert decoded as JSON
    action = scalar_text(data.get("action") or nested.get("action"))
    # the IDS rule behind an IDS alert, as gid:sid:rev (the snort decoder stores it so in data.id)
    parts = [scalar_text(nested.get(key)) for key in ("gid", "signature_id", "rev")]
    if all(parts):
        extra["ids_rule"] = ":".join(p for p in parts if p)
    elif _IDS_RULE.fullmatch(scalar_text(data.get("id")) or ""):
        extra["ids_rule"] = data["id"]
    if scalar_text(nested.get("signature")):
        extra["ids_signature"] = scalar_text(nested["signature"])

    stamp = scalar_text(alert.get("timestamp"))
    moment = iso_time(stamp)[0] if stamp else None
    groups = _texts(rule.get("groups"))
    return Event(source=NAME, kind="alert", time=moment, line=line, offset=offset, raw=raw[:MAX_RAW],
                 src=src, dst=dst, sport=sport, dport=dport, proto=proto.lower() if proto else None,
                 action=action.lower() if action else None, severity=severity,
                 signature=scalar_text(rule.get("description")), signature_id=scalar_text(rule.get("id")),
                 category=",".join(groups) or None, host=scalar_text(agent.get("name")),
                 user=src_user or dst_user, flow=_flow(data.get("flow_id")),
                 message=scalar_text(alert.get("full_log")), extra=extra)


def read(path: Path, start: Position = Position()) -> Reading:
    source = LineSource(path, start)
    return Reading(_items(Path(path), source), source)


def _items(path: Path, source: LineSource) -> Iterator[Event | Malformed]:
    gzipped = is_gzip(path)
    for line in readable_lines(source):
        if isinstance(line, Malformed):
            yield line
            continue
        if line.too_long:
            yield Malformed(line.number, line.offset, "line too long", sample(line.data))
            continue
        text = line.data.decode("utf-8", "replace")
        if not text.strip():
            if not line.terminated and gzipped:
                source.accept_partial()
            continue
        try:
            alert = json.loads(text)
        except (ValueError, RecursionError):
            alert = None
        if not line.terminated:
            # a final line without newline is complete only when it parses (or the file is gzip)
            if alert is None and not gzipped:
                return
            source.accept_partial()
        if not isinstance(alert, dict):
            yield Malformed(line.number, line.offset, "not a JSON object", sample(line.data))
            continue
        result = alert_event(alert, line.number, line.offset, text)
        if isinstance(result, str):
            yield Malformed(line.number, line.offset, result, sample(line.data))
        else:
            yield result


def sniff(head: bytes, name: str) -> bool:
    """The first non-empty line is a JSON object with ``rule`` and ``agent`` or ``manager``."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        return False
    first, newline, _ = text.partition("\n")
    if newline:
        try:
            alert = json.loads(first)
        except (ValueError, RecursionError):
            return False
        return isinstance(alert, dict) and isinstance(alert.get("rule"), dict) and (
            isinstance(alert.get("agent"), dict) or isinstance(alert.get("manager"), dict))
    # a first line longer than the head: look for the keys in what there is
    return bool(_RULE_KEY.search(first) and _AGENT_KEY.search(first))
