"""Address tests over numpy columns for batch evaluation: prefixes, ranges and tables.

An address column is three arrays (af, high and low 64-bit halves; see flowarrays). Every
test answers for one family and leaves rows of the other family unmatched, as the
reference evaluator does (an IPv4 network never contains an IPv6 address).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from askzero.pf.flowarrays import LOW64
from askzero.pf.model import Prefix, Table


@dataclass
class Column:
    """One address column: family, high and low halves of every row."""

    af: Any
    hi: Any
    lo: Any


def prefix_hit(col: Column, idx: Any, value: int, bits: int, version: int, check_af: bool = True) -> Any:
    """For the rows ``idx``: whether the address lies in ``value/bits`` (an integer network
    of ``version``). Only the halves the test needs are gathered."""
    if version == 4:
        shift = 32 - bits
        hit = (col.lo[idx] >> shift) == (value >> shift)
    elif bits == 0:
        return col.af[idx] == 6  # numpy leaves a 64-bit shift undefined: /0 holds every address
    elif bits <= 64:
        shift = 64 - bits
        hit = (col.hi[idx] >> shift) == ((value >> 64) >> shift)
    else:
        shift = 128 - bits
        hit = (col.hi[idx] == value >> 64) & ((col.lo[idx] >> shift) == ((value & LOW64) >> shift))
    return hit & (col.af[idx] == version) if check_af else hit


def range_hit(col: Column, idx: Any, low: int, high: int, version: int) -> Any:
    """For the rows ``idx``: whether the address is within ``low - high`` inclusive."""
    af, lo = col.af[idx], col.lo[idx]
    if version == 4:
        return (af == 4) & (lo >= low) & (lo <= high)
    hi = col.hi[idx]
    lo_hi, lo_lo, hi_hi, hi_lo = low >> 64, low & LOW64, high >> 64, high & LOW64
    above = (hi > lo_hi) | ((hi == lo_hi) & (lo >= lo_lo))
    below = (hi < hi_hi) | ((hi == hi_hi) & (lo <= hi_lo))
    return (af == 6) & above & below


class TableIndex:
    """A table's entries as sorted arrays, one per family and prefix length, longest first;
    built once per table. Membership is pf's: the longest prefix containing the address
    decides, and a negated entry means "not in the table" (tables.lookup does the same for
    one address)."""

    def __init__(self, np: Any, table: Table) -> None:
        self.np = np
        self.table = table
        self._build()

    def refresh(self) -> None:
        """Rebuild if entries were added since (a table file read again)."""
        if len(self.table.entries) != self.size:
            self._build()

    def _build(self) -> None:
        np, table = self.np, self.table
        self.size = len(table.entries)
        by_length: dict[tuple[int, int], tuple[list[int], list[bool]]] = {}
        for entry in table.entries:
            net = entry.net
            value = net.value if isinstance(net, Prefix) else int(net.network_address)
            values, negs = by_length.setdefault((net.version, net.prefixlen), ([], []))
            values.append(value)
            negs.append(entry.negated)
        self.lengths: dict[int, list[tuple[int, Any, Any]]] = {4: [], 6: []}
        for (version, bits) in sorted(by_length, key=lambda k: -k[1]):
            values, negs = by_length[(version, bits)]
            keys = self._keys(version, bits, values)
            # the first entry for a network wins, as in tables._index
            keys, first = np.unique(keys, return_index=True)
            self.lengths[version].append((bits, keys, np.asarray(negs, dtype=bool)[first]))

    def _keys(self, version: int, bits: int, values: list[int]) -> Any:
        np = self.np
        if version == 4:
            return np.array(values, dtype=np.uint64)
        if bits <= 64:
            return np.array([v >> 64 for v in values], dtype=np.uint64)
        return _wide_keys(np, np.array([v >> 64 for v in values], dtype=np.uint64),
                          np.array([v & LOW64 for v in values], dtype=np.uint64))

    def membership(self, col: Column) -> Any:
        """Whether each row's address is in the table."""
        np = self.np
        member = np.zeros(len(col.af), dtype=bool)
        for version, lengths in self.lengths.items():
            if not lengths:
                continue
            rows = np.flatnonzero(col.af == version)
            for bits, keys, negs in lengths:
                if rows.size == 0:
                    break
                probe = self._probe(version, bits, col.hi[rows], col.lo[rows])
                pos = np.searchsorted(keys, probe)
                pos[pos == len(keys)] = 0
                found = keys[pos] == probe
                member[rows[found]] = ~negs[pos[found]]
                rows = rows[~found]  # the longest prefix decided these
        return member

    def _probe(self, version: int, bits: int, hi: Any, lo: Any) -> Any:
        if version == 4:
            shift = 32 - bits
            return (lo >> shift) << shift
        if bits <= 64:
            return (hi >> (64 - bits)) << (64 - bits) if bits else hi & 0
        shift = 128 - bits
        return _wide_keys(self.np, hi, (lo >> shift) << shift)


def _wide_keys(np: Any, hi: Any, lo: Any) -> Any:
    """128-bit keys as 16 big-endian bytes: numpy has no 128-bit integers, and byte strings
    sort and compare in the same order as the numbers."""
    both = np.empty((len(hi), 2), dtype=">u8")
    both[:, 0], both[:, 1] = hi, lo
    return both.view("S16").ravel()
