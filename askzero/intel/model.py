"""The values every intel feed format parses into: indicators, feeds and matches."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from askzero.errors import SourceError
from askzero.evidence import Citation, Evidence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

KINDS = ("ipv4", "ipv6", "domain", "url")
MAX_LINE = 65536  # longest line a feed may have; longer input is rejected, not truncated


@dataclass(frozen=True)
class Indicator:
    """One value a feed lists, with what the feed says about it and where it says it."""

    value: str  # as the feed writes it: "203.0.113.7", "203.0.113.64/26", "evil.example"
    kind: str  # ipv4, ipv6, domain, url
    line: int
    id: str | None = None
    labels: tuple[str, ...] = ()
    confidence: int | None = None
    score: int | None = None
    description: str | None = None
    name: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    revoked: bool = False
    negated: bool = False  # "!addr" in a plain list: excluded, as in a pf table
    source: str | None = None  # who published it, when the feed says
    network: IPNetwork | None = field(default=None, compare=False, repr=False)

    def valid_at(self, when: datetime) -> bool:
        """True when ``when`` lies in [valid_from, valid_until) and it is not revoked."""
        if self.revoked:
            return False
        if self.valid_from is not None and when < self.valid_from:
            return False
        return self.valid_until is None or when < self.valid_until


@dataclass(frozen=True)
class Feed:
    """A loaded feed: its name, the file as the caller named it, and its indicators."""

    name: str
    file: str
    format: str
    indicators: tuple[Indicator, ...]
    generated: datetime | None = None
    skipped: int = 0  # entries that are valid but not address/domain/url indicators

    def __len__(self) -> int:
        return len(self.indicators)


@dataclass(frozen=True)
class IntelMatch:
    """An address found in a feed, with the indicator that lists it."""

    address: str
    feed: str
    file: str
    line: int
    indicator_id: str | None
    value: str
    labels: tuple[str, ...]
    confidence: int | None
    description: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    score: int | None = None
    source: str | None = None

    def citation(self) -> Citation:
        return Citation(self.file, line=self.line)

    def summary(self) -> str:
        text = f"{self.address} is listed by feed {self.feed}"
        if self.labels:
            text += " as " + ", ".join(self.labels)
        if self.value != self.address:
            text += f" via {self.value}"
        details = []
        if not self.labels and self.description and len(self.description) <= 80:
            details.append(f'"{self.description}"')  # a plain list's comment says what it is
        if self.confidence is not None:
            details.append(f"confidence {self.confidence}")
        if self.indicator_id:
            details.append(f"indicator {self.indicator_id}")
        if details:
            text += " (" + ", ".join(details) + ")"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "feed": self.feed,
            "value": self.value,
            "indicator_id": self.indicator_id,
            "labels": list(self.labels),
            "confidence": self.confidence,
            "score": self.score,
            "description": self.description,
            "source": self.source,
            "valid_from": format_time(self.valid_from),
            "valid_until": format_time(self.valid_until),
            "citation": self.citation().to_dict(),
        }

    def to_evidence(self) -> Evidence:
        fields = self.to_dict()
        del fields["citation"]
        return Evidence(kind="intel", summary=self.summary(), citation=self.citation(),
                        fields=fields)


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as feeds write it ("2026-11-20T02:15:00.000Z", "2026-11-20").

    Times without a zone are taken as UTC. Raises ValueError.
    """
    text = text.strip()
    if _DATE_ONLY.match(text):
        text += "T00:00:00"
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def classify(value: str) -> tuple[str, IPNetwork | None]:
    """The kind of an indicator value and, for addresses and CIDRs, its network."""
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        if "://" in value:
            return "url", None
        return "domain", None
    return ("ipv4" if net.version == 4 else "ipv6"), net


def address_network(value: str, kind: str) -> IPNetwork:
    """The network of an ipv4/ipv6 value; raises ValueError when it is not one."""
    net = ipaddress.ip_network(value, strict=False)
    if (kind == "ipv4") != (net.version == 4):
        raise ValueError(f"{value!r} is not an {kind} address")
    return net


MAX_BYTES = 256 * 1024 * 1024


def read_text(path: str | Path, file: str) -> str:
    """A feed file as text: bounded in size, UTF-8, errors naming ``file`` (and the line)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(file, f"cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_BYTES:
        raise SourceError(file, f"file is larger than {MAX_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(file, "not UTF-8 text", line) from None
