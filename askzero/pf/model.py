"""The typed model of an expanded pf ruleset.

Every rule remembers where it came from (file, line, anchor path) so that any verdict,
pflog record or lint finding can cite the exact source line.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import NamedTuple, Union

from askzero.sources import Source

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True)
class Address:
    """One address term of a from/to clause, before or after negation.

    ``kind`` is one of: any, net, table, dynamic (``(if)``), iface (static interface
    addresses), self, no-route, urpf-failed. ``modifier`` holds ``network``,
    ``broadcast``, ``peer`` or ``0`` for interface forms.
    """

    kind: str
    net: IPNetwork | None = None
    name: str = ""
    modifier: str = ""
    negated: bool = False
    scope: str = ""  # fe80::1%lo0: the interface a link-local address belongs to
    bits: int | None = None  # (lo0)/24: the prefix applied to a dynamic address

    @property
    def af(self) -> str | None:
        if self.net is None:
            return None
        return "inet" if self.net.version == 4 else "inet6"


ANY = Address("any")


@dataclass(frozen=True)
class PortRange:
    """A port comparison: ``op`` is one of = != < <= > >= : >< <>."""

    op: str
    low: int
    high: int | None = None

    def matches(self, port: int) -> bool:
        lo, hi = self.low, self.high
        if self.op == "=":
            return port == lo
        if self.op == "!=":
            return port != lo
        if self.op == "<":
            return port < lo
        if self.op == "<=":
            return port <= lo
        if self.op == ">":
            return port > lo
        if self.op == ">=":
            return port >= lo
        assert hi is not None
        if self.op == ":":
            return lo <= port <= hi
        if self.op == "><":
            return lo < port < hi
        if self.op == "<>":
            return port < lo or port > hi
        raise ValueError(self.op)


@dataclass(frozen=True)
class Translation:
    """nat-to, rdr-to, binat-to or af-to: where the packet is rewritten to."""

    kind: str
    address: Address
    port: PortRange | None = None
    options: tuple[str, ...] = ()
    candidates: tuple[Address, ...] = ()  # every address written; expansion picks by family
    family: str = ""  # af-to: the family packets are translated to
    destination: Address | None = None  # af-to ... to ADDR: the prefix new destinations are built in


@dataclass
class Rule:
    """One rule of a loaded ruleset, after list and macro expansion."""

    action: str  # pass | block | match | anchor
    source: Source
    direction: str | None = None  # in | out | None for both
    quick: bool = False
    log: bool = False
    log_options: tuple[str, ...] = ()
    block_mode: str = ""  # drop | return | return-rst | return-icmp ... ("" = policy)
    return_codes: tuple[str, ...] = ()  # return-icmp(code[, code6]) as written
    interface: str | None = None
    interface_negated: bool = False
    af: str | None = None
    proto: str | None = None
    src: Address = ANY
    src_port: PortRange | None = None
    dst: Address = ANY
    dst_port: PortRange | None = None
    flags: tuple[str, str] | None = None  # (set, mask), e.g. ("S", "SA")
    icmp_type: str | None = None
    icmp_code: str | None = None
    icmp6: bool = False  # written as icmp6-type
    state: str | None = None  # keep | modulate | synproxy | no
    state_options: tuple[str, ...] = ()  # keep state (max 10, tcp.established 60, ...)
    tos: str | None = None  # "0x10"
    set_options: tuple[str, ...] = ()  # set (prio 2, tos 0x10)
    probability_text: str | None = None  # as pfctl prints it: "50%"
    tag: str | None = None
    tagged: str | None = None
    tagged_negated: bool = False
    received_on: str | None = None
    received_on_negated: bool = False
    probability: float | None = None
    user: str | None = None
    group: str | None = None
    users: tuple[str, ...] = ()  # as written, before expansion into one rule per user
    groups: tuple[str, ...] = ()
    label: str | None = None
    translations: tuple[Translation, ...] = ()
    scrub: tuple[str, ...] = ()
    other: tuple[str, ...] = ()  # options kept for printing that do not change matching
    # anchors
    anchor_name: str | None = None
    anchor: Ruleset | None = None
    inline: bool = False  # the anchor's rules were written inside braces
    number: int = -1
    path: str = ""  # anchor path of the ruleset holding this rule ("" = main)
    # where an expanded rule came from: the macros its statement used, and which of the
    # statement's rule combinations it is (1-based index, total)
    macros: tuple[str, ...] = ()
    expansion: tuple[int, int] = (1, 1)

    @property
    def is_anchor(self) -> bool:
        return self.action == "anchor"


class Prefix(NamedTuple):
    """An address block held as integers: tables hold them by the hundred thousand, and
    building an ipaddress network for each costs more than the rest of parsing."""

    value: int
    bits: int
    version: int

    @property
    def prefixlen(self) -> int:
        return self.bits

    @property
    def max_prefixlen(self) -> int:
        return 32 if self.version == 4 else 128

    @property
    def network(self) -> IPNetwork:
        cls = ipaddress.IPv4Network if self.version == 4 else ipaddress.IPv6Network
        return cls((self.value, self.bits))

    def __contains__(self, address: object) -> bool:
        if getattr(address, "version", None) != self.version:
            return False
        shift = self.max_prefixlen - self.bits
        return int(address) >> shift == self.value >> shift  # type: ignore[call-overload]

    def __str__(self) -> str:
        return str(self.network)


@dataclass
class TableEntry:
    net: IPNetwork | Prefix
    negated: bool
    source: Source
    comment: str = ""


@dataclass
class Table:
    name: str
    source: Source
    flags: tuple[str, ...] = ()
    entries: list[TableEntry] = field(default_factory=list)
    files: tuple[str, ...] = ()
    anchor: str = ""
    # the definition as written, for printing: ("file", path) or ("inline", entries)
    layout: list[tuple[str, object]] = field(default_factory=list)
    # lookup index built on first use: (entries indexed, index); see tables.lookup
    index: tuple[int, dict] | None = field(default=None, repr=False, compare=False)


@dataclass
class Ruleset:
    """The rules and tables of one anchor (the main ruleset has path "")."""

    path: str = ""
    rules: list[Rule] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    parent: Ruleset | None = None
    children: dict[str, Ruleset] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class PfConfig:
    """A parsed pf.conf: the main ruleset, options, macros and the files it read."""

    main: Ruleset
    options: dict[str, object] = field(default_factory=dict)
    skip: list[tuple[str, Source]] = field(default_factory=list)
    macros: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    block_policy: str = "drop"
    # what ``pfctl -nv`` echoes, in the order it was read: ("macro", (name, value)),
    # ("option", text), ("table", Table), ("rule", Rule) of the main ruleset
    echo: list[tuple[str, object]] = field(default_factory=list)
    queues: list = field(default_factory=list)
