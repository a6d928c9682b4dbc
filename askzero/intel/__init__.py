"""Threat-intel feeds: STIX 2.1 bundles (OpenCTI exports), CSV feeds and plain lists.

``load_feed`` reads one feed file; ``lookup`` finds what the loaded feeds say about an
address (exact values, and CIDRs containing it) or a domain or URL (exact, case-blind for
domains). Every match cites the file, as the caller named it, and the line of the
indicator.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from askzero.errors import SourceError
from askzero.intel.csvfeed import load_csv, load_list
from askzero.intel.model import Feed, Indicator, IntelMatch, parse_time
from askzero.intel.stix import load_stix

FORMATS = ("stix", "csv", "list")

__all__ = ["Feed", "Indicator", "IntelMatch", "FORMATS", "load_feed", "lookup", "parse_time"]


def load_feed(
    path: str | Path, name: str, format: str = "auto", display: str | None = None
) -> Feed:
    """Load a feed file. ``format`` is stix, csv, list, or auto (by the file's suffix).

    Matches and errors cite the file as ``display`` when given (how the site names it),
    else as ``path`` was passed. Raises SourceError with the file and line for a missing,
    unreadable or bad feed.
    """
    fmt = format.lower()
    if fmt == "auto":
        suffix = Path(path).suffix.lower()
        fmt = {".json": "stix", ".stix": "stix", ".csv": "csv"}.get(suffix, "list")
    if fmt == "stix":
        return load_stix(path, name, display)
    if fmt == "csv":
        return load_csv(path, name, display)
    if fmt in ("list", "txt", "plain"):
        return load_list(path, name, display)
    raise SourceError(display or str(path), f"unknown feed format {format!r} (stix, csv or list)")


def lookup(
    feeds: Iterable[Feed], address: str, at: datetime | None = None
) -> list[IntelMatch]:
    """What the feeds say about an address, domain or URL, most specific first per feed.

    An IP address matches indicators equal to it and networks containing it. In a feed
    with excluded entries (``!addr``), the narrowest matching entry decides, as in a pf
    table: when it is an exclusion, that feed does not list the address. Revoked
    indicators never match; with ``at``, only indicators valid at that time do.
    """
    query = address.strip()
    try:
        ip = ipaddress.ip_address(query)
    except ValueError:
        ip = None
    matches: list[IntelMatch] = []
    for feed in feeds:
        if ip is not None:
            found = [i for i in feed.indicators
                     if i.network is not None and i.network.version == ip.version
                     and ip in i.network]
            found.sort(key=lambda i: -i.network.prefixlen if i.network else 0)
            if found and found[0].negated:
                continue
        else:
            needle = query.lower().rstrip(".")
            found = [i for i in feed.indicators
                     if (i.kind == "domain" and i.value == needle)
                     or (i.kind == "url" and i.value == query)]
        for ind in found:
            if ind.negated or ind.revoked:
                continue
            if at is not None and not ind.valid_at(at):
                continue
            matches.append(_match(feed, ind, str(ip) if ip is not None else query))
    return matches


def _match(feed: Feed, ind: Indicator, address: str) -> IntelMatch:
    return IntelMatch(
        address=address, feed=feed.name, file=feed.file, line=ind.line,
        indicator_id=ind.id, value=ind.value, labels=ind.labels, confidence=ind.confidence,
        description=ind.description, valid_from=ind.valid_from, valid_until=ind.valid_until,
        score=ind.score, source=ind.source,
    )
