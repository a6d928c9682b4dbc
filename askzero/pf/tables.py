"""pf tables: entries with provenance and pf's longest-prefix lookup.

A table matches an address when the most specific entry containing it is not negated
(pf.conf(5): ``!10.1.2.3`` inside ``10.0.0.0/8`` excludes that host).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from askzero.pf.model import IPNetwork, Prefix, Source, Table, TableEntry

MAX_TABLE_FILE = 64 * 1024 * 1024


class TableSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_entry(text: str) -> tuple[Prefix, bool]:
    """``[!]address[/len]`` as a network; raises ValueError for anything else.

    Table files hold hundreds of thousands of entries, so addresses are read with
    inet_pton and the network built from integers, several times faster than parsing text.
    """
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    address, slash, bits_text = text.partition("/")
    family, width, version = (socket.AF_INET6, 128, 6) if ":" in address else (socket.AF_INET, 32, 4)
    try:
        value = int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        raise ValueError(text) from None
    if not slash:
        bits = width
    elif bits_text.isascii() and bits_text.isdigit() and int(bits_text) <= width:
        bits = int(bits_text)
    else:
        raise ValueError(text)
    mask = ((1 << bits) - 1) << (width - bits)
    return Prefix(value & mask, bits, version), negated


# Resolves what is not an address (a host or interface name, 10/8) as pfctl's host() does;
# returns the networks, or None when it names nothing.
NameResolver = Callable[[str], list[IPNetwork] | None]


def read_table_file(text: str, display: str, resolve_name: NameResolver | None = None) -> list[TableEntry]:
    """Entries of a table file: whitespace-separated addresses, ``#`` comments.

    An entry that names nothing raises TableSyntaxError with the entry as its message.
    """
    entries: list[TableEntry] = []
    for number, line in enumerate(text.splitlines(), 1):
        body, _, comment = line.partition("#")
        for word in body.split():
            source = Source(display, number)
            try:
                net, negated = parse_entry(word)
            except ValueError:
                negated = word.startswith("!")
                nets = resolve_name(word.lstrip("!")) if resolve_name else None
                if not nets:
                    raise TableSyntaxError(number, word) from None
                entries.extend(TableEntry(n, negated, source, comment.strip()) for n in nets)
                continue
            entries.append(TableEntry(net, negated, source, comment.strip()))
    return entries


def _index(table: Table) -> dict[int, list[tuple[int, dict[int, TableEntry]]]]:
    """Per family, the prefix lengths present (longest first), each with its entries by
    network value; rebuilt when the table has grown since."""
    if table.index is not None and table.index[0] == len(table.entries):
        return table.index[1]
    by_family: dict[int, dict[int, dict[int, TableEntry]]] = {}
    for entry in table.entries:
        net = entry.net
        value = net.value if isinstance(net, Prefix) else int(net.network_address)
        by_family.setdefault(net.version, {}).setdefault(net.prefixlen, {}).setdefault(value, entry)
    index = {version: sorted(lengths.items(), reverse=True) for version, lengths in by_family.items()}
    table.index = (len(table.entries), index)
    return index


def lookup(table: Table, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> TableEntry | None:
    """The entry that decides membership of ``address``: the longest prefix containing it.

    Returns None when no entry contains it. A returned negated entry means "not in table".
    One dictionary probe per prefix length present, whatever the table's size.
    """
    width = 32 if address.version == 4 else 128
    value = int(address)
    for bits, entries in _index(table).get(address.version, []):
        shift = width - bits
        entry = entries.get(value >> shift << shift)
        if entry is not None:
            return entry
    return None
