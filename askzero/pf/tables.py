"""pf tables: entries with provenance and pf's longest-prefix lookup.

A table matches an address when the most specific entry containing it is not negated
(pf.conf(5): ``!10.1.2.3`` inside ``10.0.0.0/8`` excludes that host).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from askzero.pf.model import IPNetwork, Source, Table, TableEntry

MAX_TABLE_FILE = 64 * 1024 * 1024


class TableSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_entry(text: str) -> tuple[IPNetwork, bool]:
    """``[!]address[/len]`` as a network; raises ValueError for anything else."""
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    return ipaddress.ip_network(text, strict=False), negated


def read_table_file(text: str, display: str) -> list[TableEntry]:
    """Entries of a table file: whitespace-separated addresses, ``#`` comments."""
    entries: list[TableEntry] = []
    for number, line in enumerate(text.splitlines(), 1):
        body, _, comment = line.partition("#")
        for word in body.split():
            try:
                net, negated = parse_entry(word)
            except ValueError:
                raise TableSyntaxError(number, f"invalid table entry {word!r}") from None
            entries.append(TableEntry(net, negated, Source(display, number), comment.strip()))
    return entries


def lookup(table: Table, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> TableEntry | None:
    """The entry that decides membership of ``address``: the longest prefix containing it.

    Returns None when no entry contains it. A returned negated entry means "not in table".
    """
    best: TableEntry | None = None
    for entry in table.entries:
        if entry.net.version == address.version and address in entry.net:
            if best is None or entry.net.prefixlen > best.net.prefixlen:
                best = entry
    return best


def contains(table: Table, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    entry = lookup(table, address)
    return entry is not None and not entry.negated


def entries_for(tables: Iterable[Table], address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[tuple[Table, TableEntry]]:
    """Every table (of any anchor) whose lookup for ``address`` finds an entry."""
    found = []
    for table in tables:
        entry = lookup(table, address)
        if entry is not None:
            found.append((table, entry))
    return found
