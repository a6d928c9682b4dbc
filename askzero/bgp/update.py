"""One BGP UPDATE, described in bgpd.conf's own words, for filter evaluation.

Syntax (words in any order after the neighbor; quote a description with spaces)::

    from|to NEIGHBOR prefix ADDR/LEN
        [as-path ASN ... [{ ASN ... }] ...]    # leftmost = neighbor; { } is an AS_SET
        [community A:B|NAME ...] [large-community A:B:C ...]
        [ext-community TYPE VALUE ...]           # e.g. ext-community rt 64500:100
        [nexthop ADDR] [ovs valid|invalid|not-found] [avs valid|invalid|unknown]
        [localpref N] [med N] [rib NAME]

``from`` is an update received from NEIGHBOR (an address or a neighbor description),
``to`` one about to be sent to it. What is not given is unknown, and any rule that looks at it
is reported as uncertain; ``as-path`` or ``community`` with no values say "empty" explicitly.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from askzero.bgp.addr import Addr, host
from askzero.bgp.community import (ANY, TYPE_BASIC, TYPE_LARGE, Community, CommunityError,
                                   format_community, parse_community, parse_ext_community)
from askzero.bgp.model import (ASPA_INVALID, ASPA_UNKNOWN, ASPA_VALID, DIR_IN, DIR_OUT,
                               ROA_INVALID, ROA_NOTFOUND, ROA_VALID)
from askzero.errors import UsageError

AS_SET_SEGMENT, AS_SEQUENCE = 1, 2  # RFC 4271 segment types
OVS_WORDS = {"valid": ROA_VALID, "invalid": ROA_INVALID, "not-found": ROA_NOTFOUND}
AVS_WORDS = {"valid": ASPA_VALID, "invalid": ASPA_INVALID, "unknown": ASPA_UNKNOWN}
KEYWORDS = {"prefix", "as-path", "community", "large-community", "ext-community", "nexthop",
            "ovs", "avs", "localpref", "med", "rib"}

Segment = tuple[int, tuple[int, ...]]


@dataclass
class Update:
    direction: int
    neighbor: str
    prefix: Addr
    plen: int
    as_path: tuple[Segment, ...] | None = None  # None: not given
    communities: tuple[Community, ...] = ()
    given: frozenset[str] = frozenset()  # which attributes the description states
    nexthop: Addr | None = None
    ovs: int | None = None
    avs: int | None = None
    localpref: int | None = None
    med: int | None = None
    rib: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"direction": "from" if self.direction == DIR_IN else "to", "neighbor": self.neighbor,
                "prefix": f"{self.prefix}/{self.plen}",
                "as_path": None if self.as_path is None else format_as_path(self.as_path),
                "communities": [format_community(c).strip() for c in self.communities],
                "nexthop": str(self.nexthop) if self.nexthop else None, "rib": self.rib or None}


def format_as_path(path: tuple[Segment, ...]) -> str:
    parts = []
    for kind, asns in path:
        text = " ".join(str(a) for a in asns)
        parts.append(f"{{ {text} }}" if kind == AS_SET_SEGMENT else text)
    return " ".join(p for p in parts if p)


def _number(word: str, what: str, hi: int = 0xFFFFFFFF) -> int:
    if not word.isascii() or not word.isdigit() or int(word) > hi:
        raise UsageError(f"update: bad {what} {word!r}")
    return int(word)


def _asn(word: str) -> int:
    """An AS number, plain or asdot (``1.10`` is 65546), as bgpd reads it."""
    hi, dot, lo = word.partition(".")
    if dot:
        return (_number(hi, "AS number", 0xFFFF) << 16) | _number(lo, "AS number", 0xFFFF)
    return _number(word, "AS number")


def _concrete(c: Community, word: str) -> Community:
    """An UPDATE carries values: wildcards and neighbor-as/local-as belong in filters."""
    if c.flags >> 8:
        raise UsageError(f"update: {word!r} is a pattern, an update carries plain values")
    return c


def parse_update(text: str) -> Update:
    """Parse an update description; raises UsageError naming the offending word."""
    try:
        words = shlex.split(text.replace(",", " "))
    except ValueError as exc:
        raise UsageError(f"update: {exc}") from None
    if len(words) < 2 or words[0] not in ("from", "to"):
        raise UsageError("update: start with 'from NEIGHBOR' or 'to NEIGHBOR'")
    direction = DIR_IN if words[0] == "from" else DIR_OUT
    neighbor = words[1]
    values: dict[str, object] = {}
    given: set[str] = set()
    comms: list[Community] = []
    i = 2

    def take(key: str) -> str:
        nonlocal i
        if i >= len(words):
            raise UsageError(f"update: missing value after {key!r}")
        i += 1
        return words[i - 1]

    def more() -> bool:
        return i < len(words) and words[i] not in KEYWORDS

    while i < len(words):
        key = words[i]
        i += 1
        if key == "prefix":
            word = take(key)
            parsed = host(word) if "/" in word else None
            if parsed is None:
                raise UsageError(f"update: bad prefix {word!r} (ADDR/LEN)")
            values["prefix"] = parsed
        elif key == "as-path":
            given.add("as-path")
            values["as_path"] = _as_path(words, i)
            while more():
                i += 1
        elif key in ("community", "large-community"):
            given.add(key)
            while more():
                word = words[i]
                i += 1
                try:
                    kind = TYPE_LARGE if key == "large-community" else TYPE_BASIC
                    comms.append(_concrete(parse_community(kind, word), word))
                except CommunityError as exc:
                    raise UsageError(f"update: {exc}") from None
        elif key == "ext-community":
            given.add(key)
            first = True  # 'ext-community ovs valid' is the ovs ext-community, not the state
            while more() or (first and i < len(words) and words[i] == "ovs"):
                first = False
                typ = words[i]
                i += 1
                value = take(typ)
                try:
                    c = parse_ext_community(typ, value)
                except CommunityError as exc:
                    raise UsageError(f"update: {exc}") from None
                if c.flag(1) == ANY or c.flag(3) == ANY or c.data3 & 0x80000000:
                    raise UsageError(f"update: {typ} {value} is a pattern, an update carries plain values")
                comms.append(_concrete(c, f"{typ} {value}"))
        elif key == "nexthop":
            given.add(key)
            parsed = host(take(key))
            if parsed is None or parsed[1] != parsed[0].maxlen:
                raise UsageError(f"update: bad nexthop {words[i - 1]!r}")
            values["nexthop"] = parsed[0]
        elif key in ("ovs", "avs"):
            table = OVS_WORDS if key == "ovs" else AVS_WORDS
            word = take(key)
            if word not in table:
                raise UsageError(f"update: {key} is one of {', '.join(table)}, not {word!r}")
            given.add(key)
            values[key] = table[word]
        elif key in ("localpref", "med"):
            values[key] = _number(take(key), key)
        elif key == "rib":
            values["rib"] = take(key)
        else:
            raise UsageError(f"update: unknown word {key!r}")
    if "prefix" not in values:
        raise UsageError("update: 'prefix ADDR/LEN' is required")
    addr, plen = values.pop("prefix")  # type: ignore[misc]
    return Update(direction, neighbor, addr, plen, communities=tuple(sorted(set(comms))),
                  given=frozenset(given), text=text, **values)  # type: ignore[arg-type]


def _as_path(words: list[str], i: int) -> tuple[Segment, ...]:
    """``64500 64501 { 64502 64503 }``: AS_SEQUENCE runs and AS_SET groups."""
    segments: list[Segment] = []
    run: list[int] = []
    in_set: list[int] | None = None
    for word in words[i:]:
        if word in KEYWORDS:
            break
        for part in word.replace("{", " { ").replace("}", " } ").split():
            if part == "{":
                if in_set is not None:
                    raise UsageError("update: nested { in as-path")
                if run:
                    segments.append((AS_SEQUENCE, tuple(run)))
                    run = []
                in_set = []
            elif part == "}":
                if in_set is None:
                    raise UsageError("update: } without { in as-path")
                segments.append((AS_SET_SEGMENT, tuple(in_set)))
                in_set = None
            elif in_set is not None:
                in_set.append(_asn(part))
            else:
                run.append(_asn(part))
    if in_set is not None:
        raise UsageError("update: unclosed { in as-path")
    if run:
        segments.append((AS_SEQUENCE, tuple(run)))
    return tuple(segments)
