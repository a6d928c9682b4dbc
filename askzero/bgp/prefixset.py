"""Prefix-set and ROA lookups with the semantics of bgpd's rde_trie.c.

bgpd stores a prefix-set in a path-compressed trie; every real node is a prefix with a
bitmask of the prefix lengths it accepts (entries for the same prefix are OR-ed together) and
``/0`` is a separate flag. A lookup walks the nodes that cover the prefix, shortest first, and
matches at the first node whose mask holds the prefix length, or at any covering node when the
filter says ``or-longer``. The same walk validates origins against ROAs. Here the nodes are a
dictionary keyed by (masked network, length): same answers, no trie to get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from askzero.bgp.addr import AID_INET, AID_INET6, Addr
from askzero.bgp.model import ROA_INVALID, ROA_NOTFOUND, ROA_VALID, FilterPrefix, PrefixSet, Roa

AS_NONE = 0  # bgpd's AS_NONE: an origin that can never validate


def _bits(aid: int) -> int:
    return 32 if aid == AID_INET else 128


def network(raw: bytes, plen: int) -> int:
    """The first ``plen`` bits of an address as an integer (host bits cleared)."""
    width = len(raw) * 8
    value = int.from_bytes(raw, "big")
    return (value >> (width - plen)) << (width - plen) if plen else 0


@dataclass
class PrefixTrie:
    """One prefix-set: ``nodes[aid][(network, plen)]`` is the set of accepted lengths."""

    nodes: dict[int, dict[tuple[int, int], set[int]]] = field(
        default_factory=lambda: {AID_INET: {}, AID_INET6: {}})
    match_default: dict[int, bool] = field(default_factory=lambda: {AID_INET: False, AID_INET6: False})

    def add(self, addr: Addr, plen: int, lo: int, hi: int) -> None:
        """bgpd's trie_add(): accept ``addr/plen`` with a prefix length from ``lo`` to ``hi``."""
        if addr.aid not in self.nodes or not plen <= lo <= hi or hi > _bits(addr.aid):
            raise ValueError(f"trie_add({addr}, {plen}, {lo}, {hi}) failed")
        if lo == 0:
            # /0 cannot be kept in the length mask (rde_trie.c: "Check for default route")
            self.match_default[addr.aid] = True
            if hi == 0:
                return
            lo = 1
        key = (network(addr.raw, plen), plen)
        self.nodes[addr.aid].setdefault(key, set()).update(range(lo, hi + 1))

    def match(self, addr: Addr, plen: int, orlonger: bool = False) -> bool:
        """bgpd's trie_match(): does the set hold ``addr/plen``?"""
        if addr.aid not in self.nodes:
            return False  # "anything else is no match"
        if plen == 0:
            return self.match_default[addr.aid]
        nodes = self.nodes[addr.aid]
        for length in range(0, min(plen, _bits(addr.aid)) + 1):
            lengths = nodes.get((network(addr.raw, length), length))
            if lengths is not None and (orlonger or plen in lengths):
                return True
        return False

    def entry(self, addr: Addr, plen: int, orlonger: bool = False) -> tuple[int, int] | None:
        """The (network, length) node that makes ``match`` true, for citing the set item."""
        if addr.aid not in self.nodes or plen == 0:
            return None
        for length in range(0, min(plen, _bits(addr.aid)) + 1):
            key = (network(addr.raw, length), length)
            lengths = self.nodes[addr.aid].get(key)
            if lengths is not None and (orlonger or plen in lengths):
                return key
        return None


def prefixset_trie(ps: PrefixSet) -> PrefixTrie:
    """The trie bgpd builds for a prefix-set (each item added with its length range)."""
    trie = PrefixTrie()
    for item in ps.items.values():
        add_item(trie, item)
    return trie


def add_item(trie: PrefixTrie, item: FilterPrefix) -> None:
    assert item.addr is not None
    lo, hi = (item.len_min, item.len_max) if item.len_max else (item.len, item.len)
    trie.add(item.addr, item.len, lo, hi)


@dataclass
class RoaTable:
    """ROAs by covering node: ``nodes[aid][(network, plen)][asn]`` is the largest maxlen."""

    nodes: dict[int, dict[tuple[int, int], dict[int, int]]] = field(
        default_factory=lambda: {AID_INET: {}, AID_INET6: {}})

    def add(self, addr: Addr, plen: int, asn: int, maxlen: int) -> None:
        if addr.aid not in self.nodes or plen > _bits(addr.aid):
            raise ValueError(f"trie_roa_add({addr}, {plen}) failed")
        per_as = self.nodes[addr.aid].setdefault((network(addr.raw, plen), plen), {})
        per_as[asn] = max(per_as.get(asn, 0), maxlen, plen)

    def check(self, addr: Addr, plen: int, asn: int) -> int:
        """bgpd's trie_roa_check(): ROA_VALID, ROA_INVALID or ROA_NOTFOUND.

        Covered by any ROA: invalid, unless a covering ROA names ``asn`` (never AS 0, bgpd's
        AS_NONE) with a maxlen of at least ``plen``.
        """
        if addr.aid not in self.nodes:
            return ROA_NOTFOUND
        validity = ROA_NOTFOUND
        nodes = self.nodes[addr.aid]
        for length in range(0, min(plen, _bits(addr.aid)) + 1):
            per_as = nodes.get((network(addr.raw, length), length))
            if per_as is None:
                continue
            validity = ROA_INVALID
            if asn != AS_NONE and asn in per_as and plen <= per_as[asn]:
                return ROA_VALID
        return validity


def roa_table(roas: dict[Roa, int] | list[Roa]) -> RoaTable:
    """The ROA table of a roa-set or an origin-set."""
    table = RoaTable()
    for roa in roas:
        table.add(Addr(roa.aid, roa.raw), roa.prefixlen, roa.asnum, roa.maxlen)
    return table
