"""CSV feeds with a header row, and plain lists of addresses (one or more a line).

CSV: the header names the columns; the value column may be called indicator, value, ioc,
ip, address, domain or url, and the others are optional (type, label(s)/tags/category,
confidence/score, first_seen/valid_from, last_seen/valid_until/expires,
description/comment, id, source). Lines starting with ``#`` before or between rows are
comments. Every record must fit on one line, so that its line number is exact.

Plain lists are pf table files: addresses or CIDRs separated by white space, ``#``
comments, ``!addr`` to exclude an address (the narrowest entry decides, as in pf). A
comment that starts with a STIX indicator id, as feed2pf writes it, is kept as the
entry's indicator id and description, and a ``# generated <time>`` header line as the
feed's generation time.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

from askzero.errors import SourceError
from askzero.intel.model import MAX_LINE, Feed, Indicator, classify, parse_time, read_text


_VALUE_COLUMNS = ("indicator", "value", "ioc", "ip", "address", "domain", "url")
_COLUMNS = {
    "type": ("type", "indicator_type", "kind"),
    "labels": ("label", "labels", "tags", "tag", "category", "threat"),
    "confidence": ("confidence", "score"),
    "valid_from": ("first_seen", "valid_from", "firstseen", "first_seen_utc"),
    "valid_until": ("last_seen", "valid_until", "expires", "expiry", "lastseen"),
    "description": ("description", "comment", "note"),
    "id": ("id", "indicator_id"),
    "source": ("source", "provider", "reporter"),
}
_IP_TYPES = {"ip", "ipv4", "ipv6", "ip-dst", "ip-src", "cidr", "ipv4-addr", "ipv6-addr",
             "network", "netblock"}
_INDICATOR_ID = re.compile(r"^indicator--[0-9a-fA-F-]{36}$")
_GENERATED = re.compile(r"\bgenerated\s+(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)")


def _read_lines(path: str | Path, file: str) -> list[str]:
    lines = read_text(path, file).splitlines()
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise SourceError(file, f"line longer than {MAX_LINE} characters", number)
    return lines


def load_csv(path: str | Path, name: str, display: str | None = None) -> Feed:
    """Read a CSV feed with a header row into a Feed."""
    file = display if display is not None else str(path)
    lines = _read_lines(path, file)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    value_col = -1
    indicators: list[Indicator] = []
    skipped = 0
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = next(csv.reader([line]))
        except csv.Error as exc:
            raise SourceError(file, f"bad CSV: {exc}", number) from None
        row = [cell.strip() for cell in row]
        if header is None:
            header = [cell.lower() for cell in row]
            value_col = next((header.index(c) for c in _VALUE_COLUMNS if c in header), -1)
            if value_col < 0:
                raise SourceError(
                    file, "CSV header has no indicator column (indicator, value, ip, ...)",
                    number,
                )
            for key, names in _COLUMNS.items():
                for col in names:
                    if col in header:
                        columns[key] = header.index(col)
                        break
            continue
        if len(row) != len(header):
            raise SourceError(
                file, f"{len(row)} fields, the header has {len(header)}", number
            )
        indicator = _csv_indicator(row, value_col, columns, file, number)
        if indicator is None:
            skipped += 1
        else:
            indicators.append(indicator)
    if header is None:
        raise SourceError(file, "empty CSV feed: no header row")
    return Feed(name=name, file=file, format="csv", indicators=tuple(indicators),
                skipped=skipped)


def _csv_indicator(
    row: list[str], value_col: int, columns: dict[str, int], file: str, number: int
) -> Indicator | None:
    def cell(key: str) -> str:
        return row[columns[key]] if key in columns else ""

    value = row[value_col]
    if not value:
        raise SourceError(file, "empty indicator value", number)
    kind, network = classify(value)
    declared = cell("type").lower()
    if declared in _IP_TYPES and network is None:
        raise SourceError(file, f"{value!r} is not an IP address or network", number)
    if declared and declared not in _IP_TYPES and declared not in (
        "domain", "domain-name", "hostname", "fqdn", "url", "uri"
    ):
        return None  # hashes, e-mail addresses and the like are not looked up here
    if kind == "domain":
        value = value.lower().rstrip(".")
    labels = tuple(x.strip() for x in re.split(r"[;|]", cell("labels")) if x.strip())
    confidence = None
    if cell("confidence"):
        try:
            confidence = int(float(cell("confidence")))
        except ValueError:
            raise SourceError(file, f"bad confidence {cell('confidence')!r}", number) from None
        if not 0 <= confidence <= 100:
            raise SourceError(file, f"confidence {confidence} is not in 0-100", number)
    return Indicator(
        value=value, kind=kind, line=number, id=cell("id") or None, labels=labels,
        confidence=confidence, description=cell("description") or None,
        valid_from=_time(cell("valid_from"), file, number),
        valid_until=_time(cell("valid_until"), file, number),
        source=cell("source") or None, network=network,
    )


def _time(text: str, file: str, number: int) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise SourceError(file, f"bad time {text!r}", number) from None


def load_list(path: str | Path, name: str, display: str | None = None) -> Feed:
    """Read a plain address list (pf table file syntax) into a Feed."""
    file = display if display is not None else str(path)
    generated: datetime | None = None
    indicators: list[Indicator] = []
    for number, line in enumerate(_read_lines(path, file), 1):
        body, _, comment = line.partition("#")
        comment = comment.strip()
        if not body.strip():
            match = _GENERATED.search(comment)
            if match and generated is None:
                try:
                    generated = parse_time(match.group(1))
                except ValueError:
                    pass
            continue
        ident: str | None = None
        description: str | None = comment or None
        words = comment.split(None, 1)
        if words and _INDICATOR_ID.match(words[0]):
            ident = words[0]
            description = words[1] if len(words) > 1 else None
        for token in body.split():
            negated = token.startswith("!")
            value = token[1:] if negated else token
            kind, network = classify(value)
            if kind == "url" or (kind == "domain" and not _looks_like_domain(value)):
                raise SourceError(file, f"{token!r} is not an address or network", number)
            indicators.append(Indicator(
                value=value.lower() if kind == "domain" else value, kind=kind, line=number,
                id=ident, description=description, negated=negated, network=network,
            ))
    return Feed(name=name, file=file, format="list", indicators=tuple(indicators),
                generated=generated)


_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+"
                     r"[A-Za-z][A-Za-z0-9-]{0,62}\.?$")


def _looks_like_domain(value: str) -> bool:
    return bool(_DOMAIN.match(value))
