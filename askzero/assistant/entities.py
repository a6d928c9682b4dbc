"""Entities in free text: addresses, networks, ports, rule numbers, table names, times.

The router reads questions with these, and the grounding guard reads the model's sentences
with the same functions, so both agree on what counts as a fact.
"""

from __future__ import annotations

import ipaddress
import re

IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w.]*\d)"
IPV6 = r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:/\d{1,3})?(?![\w:])"
ADDRESS_RE = re.compile(f"{IPV4}|{IPV6}")
RULE_REF_RE = re.compile(r"\b\d+(?:\.[A-Za-z0-9_-]+\.(?:\d+|def))+\b|\brule\s+(\d+|def)\b(?!\.\w)", re.I)
TABLE_RE = re.compile(r"<([A-Za-z0-9_.-]+)>")
TIME_RE = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
PORT_RE = re.compile(r"\bports?\s+(\d{1,5})\b", re.I)
NUMBER_RE = re.compile(r"(?<![\w.:/-])\d+(?:[.,]\d+)?(?![\w:/])")
CITE_RE = re.compile(r"\[(\d+)\]")
FILE_LINE_RE = re.compile(r"[\w./-]+\.\w+:(\d+)(?:-(\d+))?")


_CLOCK = r"\d{1,2}(?::\d{2}(?::\d{2})?|h\d{0,2})"
_STAMP = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
WINDOW_RES = [re.compile(p, re.I) for p in (
    rf"\b(?:between|from|entre|du)\s+(?:{_STAMP}|{_CLOCK})\s+(?:and|to|et|au|à)\s+(?:{_STAMP}|{_CLOCK})",
    rf"\b(?:yesterday|hier|today|aujourd'hui)(?:\s+(?:from\s+|de\s+|between\s+|entre\s+)?{_CLOCK}\s*(?:-|to|à|and|et)\s*{_CLOCK})?",
    r"\b(?:last|past)\s+(?:\d+\s+)?(?:minutes?|hours?|days?|weeks?|hour|day|week)\b",
    r"\b(?:les?\s+)?(?:\d+\s+)?derni[eè]res?\s+(?:minutes?|heures?|jours?|semaines?)|\b(?:dernière|derniere)\s+heure",
    rf"\b(?:since|depuis|after|après|until|before|avant)\s+(?:{_STAMP}|{_CLOCK})",
    rf"\b{_STAMP}(?:\s*(?:-|to|à)\s*(?:{_STAMP}|{_CLOCK}))?",
    rf"\b{_CLOCK}\s*(?:-|to|à)\s*{_CLOCK}",
)]


def window(text: str, now=None):
    """The time window a question names ("last hour", "yesterday 14:00-15:00", "since
    2026-11-20"), as a timeexpr.Window, or None when it names none."""
    from askzero.logs.timeexpr import TimeExpressionError, parse_window

    day = DATE_RE.search(text)
    for pattern in WINDOW_RES:
        for match in pattern.finditer(text):
            expr = match.group(0).strip(" ?.,;")
            anchor = now
            if day and not DATE_RE.search(expr):
                # "on 2026-11-20 between 01:50 and 02:00": the clock times are that day's
                from datetime import datetime, timezone

                anchor = datetime.fromisoformat(day.group(0)).replace(hour=23, minute=59, second=59,
                                                                      tzinfo=timezone.utc)
            try:
                return parse_window(expr, anchor)
            except TimeExpressionError:
                continue
    return None


def addresses(text: str) -> list[str]:
    """Valid IPv4/IPv6 addresses and networks, in order, normalised."""
    found = []
    for match in ADDRESS_RE.finditer(text):
        raw = match.group(0)
        try:
            value = ipaddress.ip_network(raw, strict=False) if "/" in raw else ipaddress.ip_address(raw)
        except ValueError:
            continue
        found.append(str(value))
    return found


# service names operators use for ports (the industrial ones matter at utilities); kept
# short on purpose: common English words ("time", "domain") must not become ports
SERVICES = {
    "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "dns": 53, "http": 80, "kerberos": 88,
    "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "bgp": 179, "ldap": 389, "https": 443,
    "smb": 445, "syslog": 514, "imaps": 993, "mysql": 3306, "rdp": 3389, "postgresql": 5432,
    "sip": 5060, "vnc": 5900, "modbus": 502, "s7": 102, "iec104": 2404, "opcua": 4840, "dnp3": 20000,
}
SERVICE_RE = re.compile(r"\b(" + "|".join(sorted(SERVICES, key=len, reverse=True)) + r")\b", re.I)


PROTO_RE = re.compile(r"\b(tcp|udp|icmp6?|ipv6-icmp)\b", re.I)


def protocol(text: str) -> str | None:
    """The transport protocol a question names, in pf's words."""
    match = PROTO_RE.search(text)
    if not match:
        return None
    word = match.group(1).lower()
    return "icmp6" if word == "ipv6-icmp" else word


def ports(text: str) -> list[int]:
    """Ports named by number ("port 22") or by service ("is ssh open?")."""
    found = [int(p) for p in PORT_RE.findall(text) if 0 < int(p) < 65536]
    return found or [SERVICES[m.lower()] for m in SERVICE_RE.findall(text)]


def facts(text: str) -> set[str]:
    """Every checkable fact token in ``text``: addresses, rule refs, tables, times, numbers."""
    text = CITE_RE.sub(" ", text)
    out: set[str] = set()
    for match in FILE_LINE_RE.finditer(text):
        out.add(match.group(0))
        out.update(g for g in match.groups() if g)
    text = FILE_LINE_RE.sub(" ", text)
    out |= set(addresses(text))
    stripped = ADDRESS_RE.sub(lambda m: " " if addresses(m.group(0)) else m.group(0), text)
    for match in RULE_REF_RE.finditer(stripped):
        out.add(match.group(1) or match.group(0))
    stripped = RULE_REF_RE.sub(" ", stripped)
    out.update(f"<{t}>" for t in TABLE_RE.findall(stripped))
    out.update(TIME_RE.findall(stripped))
    out.update(DATE_RE.findall(stripped))
    stripped = DATE_RE.sub(" ", TIME_RE.sub(" ", TABLE_RE.sub(" ", stripped)))
    out.update(n.replace(",", "") for n in NUMBER_RE.findall(stripped))
    return out
