"""The match criteria of bgpd filter rules: AS paths, communities, prefixes.

Each function follows the bgpd code that implements the criterion (rde_attr.c's aspath_match
and aspath_lenmatch, rde_community.c's community_match/set/delete, rde_filter.c's
rde_prefix_match), so corner cases (an AS_SET at the end of the path, wildcards, neighbor-as)
come out as bgpd decides them, not as one would guess.
"""

from __future__ import annotations

from askzero.bgp.addr import Addr, prefix_compare
from askzero.bgp.community import (ANY, FOUR_AS, IPV4, LOCAL_AS, NEIGHBOR_AS, OPAQUE, TWO_AS, EVPN,
                                   TYPE_BASIC, TYPE_EXT, TYPE_LARGE, Community)
from askzero.bgp.model import (AS_ALL, AS_FLAG_AS_SET_NAME, AS_FLAG_NEIGHBORAS, AS_PEER, AS_SOURCE,
                               AS_TRANSIT, ASLEN_MAX, OP_EQ, OP_NE, OP_NONE, OP_RANGE, OP_XRANGE,
                               FilterAs, FilterPrefix)
from askzero.bgp.update import AS_SEQUENCE, AS_SET_SEGMENT, Segment

U32 = 0xFFFFFFFF
EXT_VALUE = 0x3F  # EXT_COMMUNITY_VALUE: the type without its IANA/transitive bits


# -- AS path ---------------------------------------------------------------------------

def aspath_neighbor(path: tuple[Segment, ...], local_as: int) -> int:
    """The leftmost AS; bgpd's own AS when the path is empty or starts with an AS_SET."""
    if not path or path[0][0] != AS_SEQUENCE or not path[0][1]:
        return local_as
    return path[0][1][0]


def aspath_origin(path: tuple[Segment, ...], local_as: int) -> int:
    """The origin AS used for ROA checks (aspath_extract_origin): 0 when it ends in a set."""
    if not path:
        return local_as
    kind, asns = path[-1]
    return asns[-1] if kind == AS_SEQUENCE and asns else 0


def as_compare(f: FilterAs, asn: int, neighbor_as: int, as_sets: dict[str, list[int]]) -> bool:
    if f.flags & AS_FLAG_AS_SET_NAME:
        return asn in as_sets.get(f.name, ())
    want = neighbor_as if f.flags & AS_FLAG_NEIGHBORAS else f.as_min
    if f.op in (OP_NONE, OP_EQ):
        return asn == want
    if f.op == OP_NE:
        return asn != want
    if f.op == OP_RANGE:
        return f.as_min <= asn <= f.as_max
    if f.op == OP_XRANGE:
        return asn < f.as_min or asn > f.as_max
    return False


def aspath_match(path: tuple[Segment, ...], f: FilterAs, neighbor_as: int, local_as: int,
                 as_sets: dict[str, list[int]]) -> bool:
    """bgpd's aspath_match: peer-as looks at the leftmost AS, source-as at the rightmost AS of
    the last AS_SEQUENCE, transit-as at all but the very last AS, AS at every AS."""
    if f.type == AS_PEER:
        return as_compare(f, aspath_neighbor(path, local_as), neighbor_as, as_sets)
    segments = [(k, a) for k, a in path if a]  # an empty segment ends bgpd's walk (len < 6)
    source = 0  # AS_NONE until an AS_SEQUENCE is seen
    for n, (kind, asns) in enumerate(segments):
        final = n == len(segments) - 1
        if f.type == AS_SOURCE:
            if kind == AS_SEQUENCE:
                source = asns[-1]
            if final:
                return as_compare(f, source, neighbor_as, as_sets)
            continue
        for i, asn in enumerate(asns):
            if final and i == len(asns) - 1 and f.type == AS_TRANSIT:
                return False
            if f.type in (AS_ALL, AS_TRANSIT) and as_compare(f, asn, neighbor_as, as_sets):
                return True
    return False


def aspath_count(path: tuple[Segment, ...]) -> int:
    """Path length as BGP counts it: an AS_SET counts as one."""
    return sum(1 if kind == AS_SET_SEGMENT else len(asns) for kind, asns in path)


def aspath_lenmatch(path: tuple[Segment, ...], aslen_type: int, aslen: int) -> bool:
    """max-as-len: more than ``aslen`` hops; max-as-seq: one AS repeated more than ``aslen``
    times in a row (bgpd's aspath_lenmatch, AS_SET members do not break a run)."""
    if aslen_type == ASLEN_MAX:
        return aslen < aspath_count(path)
    last, count = 0, 0
    for kind, asns in path:
        for asn in asns:
            if asn == last:
                count += 1
                if aslen < count:
                    return True
            elif kind == AS_SET_SEGMENT:
                continue
            else:
                count = 1
            last = asn
    return False


def prepend(path: tuple[Segment, ...], asn: int, times: int) -> tuple[Segment, ...]:
    """aspath_prepend: grow the leading AS_SEQUENCE (a new one if it is a set or would pass 255)."""
    if times <= 0:
        return path
    if path and path[0][0] == AS_SEQUENCE and len(path[0][1]) + times <= 255:
        return ((AS_SEQUENCE, (asn,) * times + path[0][1]),) + path[1:]
    return ((AS_SEQUENCE, (asn,) * times),) + path


def override(path: tuple[Segment, ...], neighbor_as: int, local_as: int) -> tuple[Segment, ...]:
    """aspath_override: every occurrence of the neighbor's AS becomes the local AS."""
    return tuple((k, tuple(local_as if a == neighbor_as else a for a in asns)) for k, asns in path)


# -- communities -----------------------------------------------------------------------

def _flag_value(value: int, flag: int, remote_as: int, local_as: int, masked: bool) -> tuple[int, int] | None:
    """apply_flag(): (value, mask) with ``*``, neighbor-as and local-as expanded."""
    if flag == ANY:
        return (0, 0) if masked else None
    if flag == NEIGHBOR_AS:
        return remote_as, U32
    if flag == LOCAL_AS:
        return local_as, U32
    return value, U32


def expand(fc: Community, remote_as: int, local_as: int, masked: bool) -> tuple[Community, Community] | None:
    """fc2c(): the community a filter names and the mask of the bits it cares about.

    None when it cannot match (a value does not fit, or ``*`` where a value is needed)."""
    kind = fc.kind
    m = [U32, U32, U32]
    d = [0, 0, 0]
    if kind in (TYPE_BASIC, TYPE_LARGE):
        n = 2 if kind == TYPE_BASIC else 3
        for i in range(n):
            r = _flag_value((fc.data1, fc.data2, fc.data3)[i], fc.flag(i + 1), remote_as, local_as, masked)
            if r is None:
                return None
            d[i], m[i] = r
        if kind == TYPE_BASIC and (d[0] > 0xFFFF or d[1] > 0xFFFF):
            return None
        return Community(kind, *d), Community(kind, *m)
    if kind != TYPE_EXT:
        return None
    typ = fc.data3 >> 8
    if typ & 0x800000:
        typ -= 1 << 24  # (int32_t)data3 >> 8
    sub = fc.data3 & 0xFF
    if fc.flag(3) == ANY:  # 'ext-community * *'
        return (Community(kind), Community(kind, 0, 0, 0)) if masked else None
    if typ == -1:  # 'ext-community rt *': the subtype of any type
        if fc.flag(1) != ANY or not masked:
            return None
        return Community(kind, 0, 0, sub), Community(kind, 0, 0, 0xFF)
    d[2] = ((typ << 8) | sub) & U32
    base = typ & EXT_VALUE
    if fc.flag(1) != ANY:
        if base in (TWO_AS, FOUR_AS, IPV4):
            for i in range(2):
                r = _flag_value((fc.data1, fc.data2)[i], fc.flag(i + 1), remote_as, local_as, masked)
                if r is None:
                    return None
                d[i], m[i] = r
            if base == IPV4 and d[1] > 0xFFFF:
                return None
            if base in (TWO_AS, FOUR_AS):
                m[2] &= ~(FOUR_AS << 8) & U32  # rt 64500:1 matches the 2- and 4-byte encodings
            return Community(kind, *d), Community(kind, *m)
        if base in (OPAQUE, EVPN):
            return Community(kind, fc.data1, fc.data2, d[2]), Community(kind, *m)
    if not masked:  # 'ext-community TYPE *'
        return None
    return Community(kind, 0, 0, d[2]), Community(kind, 0, 0, U32)


def _masked_equal(a: Community, b: Community, m: Community) -> bool:
    return (a.kind == b.kind and a.data1 & m.data1 == b.data1 & m.data1
            and a.data2 & m.data2 == b.data2 & m.data2 and a.data3 & m.data3 == b.data3 & m.data3)


def community_match(comms: tuple[Community, ...], fc: Community, remote_as: int, local_as: int) -> bool:
    if fc.flags >> 8 == 0:
        return fc in comms
    e = expand(fc, remote_as, local_as, True)
    return e is not None and any(_masked_equal(c, e[0], e[1]) for c in comms)


def community_set(comms: tuple[Community, ...], fc: Community, remote_as: int,
                  local_as: int) -> tuple[Community, ...]:
    if fc.flags >> 8 == 0:
        new = fc
    else:
        e = expand(fc, remote_as, local_as, False)
        if e is None:
            return comms
        new = e[0]
        if new.kind == TYPE_EXT and ((new.data3 >> 8) & EXT_VALUE) in (TWO_AS, FOUR_AS):
            if new.data1 > 0xFFFF and new.data2 > 0xFFFF:
                return comms
            typ = FOUR_AS if new.data1 > 0xFFFF else TWO_AS
            new = Community(new.flags, new.data1, new.data2, (new.data3 & 0xFF) | typ << 8)
    return tuple(sorted(set(comms) | {new}))


def community_delete(comms: tuple[Community, ...], fc: Community, remote_as: int,
                     local_as: int) -> tuple[Community, ...]:
    if fc.flags >> 8 == 0:
        return tuple(c for c in comms if c != fc)
    e = expand(fc, remote_as, local_as, True)
    if e is None:
        return comms
    return tuple(c for c in comms if not _masked_equal(c, e[0], e[1]))


def community_count(comms: tuple[Community, ...], kind: int) -> int:
    return sum(1 for c in comms if c.kind == kind)


# -- prefixes --------------------------------------------------------------------------

def prefix_match(fp: FilterPrefix, addr: Addr, plen: int) -> bool:
    """rde_prefix_match: same family, same leading ``len`` bits, prefix length in range."""
    if fp.addr is None or fp.addr.aid != addr.aid:
        return False  # "don't use IPv4 rules for IPv6 and vice versa"
    if prefix_compare(addr, fp.addr, fp.len):
        return False
    if fp.op == OP_NONE:
        return plen == fp.len
    if fp.op == OP_EQ:
        return plen == fp.len_min
    if fp.op == OP_NE:
        return plen != fp.len_min
    if fp.op == OP_RANGE:
        return fp.len_min <= plen <= fp.len_max
    if fp.op == OP_XRANGE:
        return plen < fp.len_min or plen > fp.len_max
    return False
