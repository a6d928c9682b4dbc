"""Communities (standard, large, extended) parsed and printed with bgpd's encoding.

A community is kept as bgpd keeps it, four 32-bit words (flags, data1, data2, data3), so that
sorting a ``set { ... }`` block and folding equal rules give bgpd's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

TYPE_BASIC, TYPE_EXT, TYPE_LARGE = 8, 16, 32
ANY, NEIGHBOR_AS, LOCAL_AS = 1, 2, 3
WELLKNOWN = {"GRACEFUL_SHUTDOWN": 0x0000, "NO_EXPORT": 0xFF01, "NO_ADVERTISE": 0xFF02,
             "NO_EXPORT_SUBCONFED": 0xFF03, "NO_PEER": 0xFF04, "BLACKHOLE": 0x029A}
TWO_AS, IPV4, FOUR_AS, OPAQUE, EVPN = 0x00, 0x01, 0x02, 0x03, 0x06
NON_TRANS_OPAQUE = 0x43
GEN_TWO_AS, GEN_IPV4, GEN_FOUR_AS = 0x80, 0x81, 0x82
SUBTYPE_OVS = 0
OVS_VALID, OVS_NOTFOUND, OVS_INVALID = 0, 1, 2
OPAQUE_MAX = 0xFFFFFFFFFFFF
EXT_PAIRS: list[tuple[int, int, str]] = [
    (TWO_AS, 0x02, "rt"), (TWO_AS, 0x03, "soo"), (TWO_AS, 0x05, "odi"), (TWO_AS, 0x08, "bdc"),
    (TWO_AS, 0x09, "srcas"), (TWO_AS, 0x0A, "l2vid"),
    (FOUR_AS, 0x02, "rt"), (FOUR_AS, 0x03, "soo"), (FOUR_AS, 0x05, "odi"), (FOUR_AS, 0x08, "bdc"),
    (FOUR_AS, 0x09, "srcas"),
    (IPV4, 0x02, "rt"), (IPV4, 0x03, "soo"), (IPV4, 0x05, "odi"), (IPV4, 0x07, "ori"),
    (IPV4, 0x0A, "l2vid"), (IPV4, 0x0B, "vrfri"),
    (OPAQUE, 0x06, "ort"), (OPAQUE, 0x0C, "encap"), (OPAQUE, 0x0D, "defgw"),
    (NON_TRANS_OPAQUE, SUBTYPE_OVS, "ovs"),
    (EVPN, 0x00, "mac-mob"), (EVPN, 0x01, "esi-lab"), (EVPN, 0x02, "esi-rt"),
    (GEN_TWO_AS, 0x06, "flow-rate"), (GEN_TWO_AS, 0x0C, "flow-pps"),
    (GEN_TWO_AS, 0x07, "flow-action"), (GEN_TWO_AS, 0x08, "flow-rt-redir"),
    (GEN_IPV4, 0x08, "flow-rt-redir"), (GEN_FOUR_AS, 0x08, "flow-rt-redir"),
    (GEN_TWO_AS, 0x09, "flow-dscp"),
]
U32 = 0xFFFFFFFF


class CommunityError(Exception):
    """A community that bgpd refuses; the message is bgpd's."""


@dataclass(frozen=True, order=True)
class Community:
    flags: int
    data1: int = 0
    data2: int = 0
    data3: int = 0

    @property
    def kind(self) -> int:
        return self.flags & 0xFF

    def flag(self, n: int) -> int:
        return (self.flags >> (8 * n)) & 0xFF


def strtonum(s: str, lo: int, hi: int) -> tuple[int, str | None]:
    """OpenBSD strtonum: the value, or an error word (invalid, too small, too large)."""
    text = s.lstrip(" \t\n\v\f\r")
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        return 0, "invalid"
    value = int(text)
    if value < lo:
        return 0, "too small"
    if value > hi:
        return 0, "too large"
    return value, None


def _getcommunity(s: str, large: bool) -> tuple[int, int]:
    if s == "*":
        return 0, ANY
    if s == "neighbor-as":
        return 0, NEIGHBOR_AS
    if s == "local-as":
        return 0, LOCAL_AS
    hi = U32 if large else 0xFFFF
    value, err = strtonum(s, 0, hi)
    if err:
        raise CommunityError(f"Community {s} is {err} (max: {hi})")
    return value, 0


def parse_community(kind: int, s: str) -> Community:
    """``community X`` (kind TYPE_BASIC) or ``large-community X`` (TYPE_LARGE)."""
    if kind == TYPE_LARGE:
        parts = s.split(":", 2)
        if len(parts) != 3:
            raise CommunityError("Bad community syntax")
        (d1, f1), (d2, f2), (d3, f3) = (_getcommunity(p, True) for p in parts)
        return Community(TYPE_LARGE | f1 << 8 | f2 << 16 | f3 << 24, d1, d2, d3)
    for name, value in WELLKNOWN.items():
        if s.upper() == name:
            return Community(TYPE_BASIC, 0xFFFF, value, 0)
    left, colon, right = s.partition(":")
    if not colon:
        raise CommunityError("Bad community syntax")
    (d1, f1), (d2, f2) = _getcommunity(left, False), _getcommunity(right, False)
    return Community(TYPE_BASIC | f1 << 8 | f2 << 16, d1, d2, 0)


def _subtype(name: str) -> tuple[int, int, int]:
    found, typ, sub = 0, 0, 0
    for t, st, n in EXT_PAIRS:
        if n == name:
            if found == 0:
                typ, sub = t, st
            found += 1
    return found, (-1 if found > 1 else typ), sub


def _extvalue(typ: int, s: str) -> tuple[int, int, int]:
    """(type, value, flag) of the left half of an extended community."""
    flag = 0
    if typ != -1:
        pass
    elif s == "neighbor-as":
        return TWO_AS, 0, NEIGHBOR_AS
    elif s == "local-as":
        return TWO_AS, 0, LOCAL_AS
    elif "." not in s:
        typ = TWO_AS if strtonum(s, 0, 0xFFFF)[1] is None else FOUR_AS
    elif "." not in s.split(".", 1)[1]:
        typ = FOUR_AS
    else:
        typ = IPV4
    base = typ & 0x3F
    if base == TWO_AS:
        v, err = strtonum(s, 0, 0xFFFF)
        if err:
            raise CommunityError(f"Bad ext-community {s} is {err}")
        return typ, v, flag
    if base == FOUR_AS:
        if "." not in s:
            v, err = strtonum(s, 0, U32)
            if err:
                raise CommunityError(f"Bad ext-community {s} is {err}")
            return typ, v, flag
        hi_text, _, lo_text = s.partition(".")
        hi, err = strtonum(hi_text, 0, 0xFFFF)
        if err:
            raise CommunityError(f"Bad ext-community {hi_text} is {err}")
        lo, err = strtonum(lo_text, 0, 0xFFFF)
        if err:
            raise CommunityError(f"Bad ext-community {lo_text} is {err}")
        return typ, lo | hi << 16, flag
    if base == IPV4:
        parts = s.split(".")
        if len(parts) != 4 or not all(p.isascii() and p.isdigit() and int(p) < 256 for p in parts):
            raise CommunityError(f"Bad ext-community {s} not parseable")
        return typ, int.from_bytes(bytes(int(p) for p in parts), "big"), flag
    raise CommunityError("Bad ext-community bad format for type")


def _strtoull(s: str) -> int | None:
    text = s.strip()
    try:
        if text.lower().startswith(("0x", "-0x", "+0x")):
            return int(text, 16)
        if len(text) > 1 and text.lstrip("+-").startswith("0"):
            return int(text, 8)
        return int(text, 10)
    except ValueError:
        return None


def parse_ext_community(t: str, s: str) -> Community:
    """``ext-community TYPE VALUE`` (bgpd's parseextcommunity)."""
    if t == "*" and s == "*":
        return Community(TYPE_EXT | ANY << 24)
    found, typ, sub = _subtype(t)
    if not found:
        raise CommunityError("Bad ext-community unknown type")
    d1 = d2 = f1 = f2 = 0
    if typ in (TWO_AS, FOUR_AS, IPV4, GEN_TWO_AS, GEN_FOUR_AS, GEN_IPV4, -1):
        if s == "*":
            f1 = ANY
        else:
            left, colon, right = s.partition(":")
            if not colon:
                raise CommunityError(f"Bad ext-community {s}")
            typ, d1, f1 = _extvalue(typ, left)
            d2, f2 = _getcommunity(right, typ in (TWO_AS, GEN_TWO_AS))
    elif typ in (OPAQUE, EVPN):
        if s == "*":
            f1 = ANY
        else:
            value = _strtoull(s)
            if value is None or not s:
                raise CommunityError("Bad ext-community bad value")
            if value > 0xFFFFFFFFFFFFFFFF:
                raise CommunityError("Bad ext-community value too big")
            d1, d2 = (value >> 32) & U32, value & U32
    elif typ == NON_TRANS_OPAQUE:
        words = {"valid": OVS_VALID, "invalid": OVS_INVALID, "not-found": OVS_NOTFOUND}
        if sub == SUBTYPE_OVS and s in words:
            d2 = words[s]
        elif sub == SUBTYPE_OVS and s == "*":
            f1 = ANY
        else:
            raise CommunityError(f"Bad ext-community {s}")
    d3 = ((typ << 8) | sub) & U32
    if f1 == ANY and typ == -1:
        return Community(TYPE_EXT | f1 << 8, d1, d2, d3)
    for pt, ps, _ in EXT_PAIRS:
        if pt == typ and ps == sub:
            return Community(TYPE_EXT | f1 << 8 | f2 << 16, d1, d2, d3)
    raise CommunityError("Bad ext-community bad format for type")


def ext_subtype_name(typ: int, sub: int) -> str:
    for pt, ps, name in EXT_PAIRS:
        if (typ == pt or typ == -1) and sub == ps:
            return name
    return "???" if typ == -1 else f"[{sub}]"


def community_type(c: Community) -> str:
    return {TYPE_BASIC: "community", TYPE_LARGE: "large-community", TYPE_EXT: "ext-community"}.get(c.kind, "???")


def _part(flag: int, value: int, sep: str) -> str:
    if flag == ANY:
        return "*" + sep
    if flag == NEIGHBOR_AS:
        return "neighbor-as" + sep
    if flag == LOCAL_AS:
        return "local-as" + sep
    return f"{value}{sep}"


def _ipv4(value: int) -> str:
    return ".".join(str(b) for b in (value & U32).to_bytes(4, "big"))


def format_community(c: Community) -> str:
    """bgpd's print_community: the value followed by one space."""
    if c.kind == TYPE_BASIC:
        return _part(c.flag(1), c.data1, ":") + _part(c.flag(2), c.data2, " ")
    if c.kind == TYPE_LARGE:
        return _part(c.flag(1), c.data1, ":") + _part(c.flag(2), c.data2, ":") + _part(c.flag(3), c.data3, " ")
    if c.kind != TYPE_EXT:
        return ""
    if c.flag(3) == ANY:
        return "* * "
    d3 = c.data3 - (1 << 32) if c.data3 & 0x80000000 else c.data3
    typ, sub = d3 >> 8, c.data3 & 0xFF
    out = ext_subtype_name(typ, sub) + " "
    if c.flag(1) == ANY:
        return out + "* "
    if typ in (TWO_AS, FOUR_AS, GEN_TWO_AS, GEN_FOUR_AS):
        f = c.flag(1)
        out += "neighbor-as:" if f == NEIGHBOR_AS else "local-as:" if f == LOCAL_AS else f"{c.data1}:"
    elif typ in (IPV4, GEN_IPV4):
        out += _ipv4(c.data1) + ":"
    if typ in (TWO_AS, FOUR_AS, IPV4, GEN_TWO_AS, GEN_FOUR_AS, GEN_IPV4):
        return out + _part(c.flag(2), c.data2, " ")
    if typ == NON_TRANS_OPAQUE and sub == SUBTYPE_OVS:
        return out + {OVS_VALID: "valid ", OVS_NOTFOUND: "not-found ", OVS_INVALID: "invalid "}.get(c.data2, "")
    return out + f"0x{c.data1 & 0xFFFF:x}{c.data2:08x} "


def community_to_rd(c: Community, fail: Callable[[], None]) -> tuple[int, int, int] | None:
    """A route distinguisher from an ``rt`` ext-community: (type, admin, assigned)."""
    typ = (c.data3 >> 8) & 0xFF
    if c.flags != TYPE_EXT or typ not in (TWO_AS, FOUR_AS, IPV4):
        fail()
        return None
    return typ, c.data1, c.data2


def format_rd(rd: tuple[int, int, int]) -> str:
    typ, admin, assigned = rd
    if typ == TWO_AS:
        return f"rd {admin & 0xFFFF}:{assigned & U32}"
    if typ == FOUR_AS:
        return f"rd {admin}:{assigned & 0xFFFF}"
    return f"rd {_ipv4(admin)}:{assigned & 0xFFFF}"
