"""A packet described in pf's own words, as ``ask-zero pf test`` takes it.

``in on em0 inet proto tcp from 203.0.113.7 port 40000 to 192.0.2.10 port 22``.
A TCP flow without ``flags`` is a new connection's SYN.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

from askzero.errors import UsageError
from askzero.pf.services import ICMP6_TYPES, ICMP_TYPES, port_number, is_number

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Flow:
    direction: str
    ifname: str
    proto: str
    src: IPAddress
    dst: IPAddress
    sport: int | None = None
    dport: int | None = None
    flags: str = "S"
    icmp_type: int | None = None
    icmp_code: int | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    user: str | None = None
    group: str | None = None
    received_on: str | None = None

    @property
    def af(self) -> str:
        return "inet" if self.src.version == 4 else "inet6"

    def with_(self, **changes: object) -> "Flow":
        return replace(self, **changes)  # type: ignore[arg-type]

    def __str__(self) -> str:
        parts = [self.direction, "on", self.ifname, self.af, "proto", self.proto, "from", str(self.src)]
        if self.sport is not None:
            parts += ["port", str(self.sport)]
        parts += ["to", str(self.dst)]
        if self.dport is not None:
            parts += ["port", str(self.dport)]
        return " ".join(parts)


def parse_flow(text: str) -> Flow:
    """Parse a flow description; raises UsageError naming the offending word."""
    words = text.replace(",", " ").split()
    values: dict[str, object] = {"flags": "S"}
    i = 0

    def take() -> str:
        nonlocal i
        if i >= len(words):
            raise UsageError(f"flow: missing value after {words[-1]!r}")
        i += 1
        return words[i - 1]

    af = None
    while i < len(words):
        key = take()
        if key in ("in", "out"):
            values["direction"] = key
        elif key == "on":
            values["ifname"] = take()
        elif key in ("inet", "inet6"):
            af = key
        elif key == "proto":
            values["proto"] = take()
        elif key in ("from", "to"):
            try:
                values["src" if key == "from" else "dst"] = ipaddress.ip_address(take())
            except ValueError as exc:
                raise UsageError(f"flow: {exc}") from None
            if i < len(words) and words[i] == "port":
                i += 1
                port = port_number(take(), None)
                if port is None:
                    raise UsageError(f"flow: unknown port {words[i - 1]!r}")
                values["sport" if key == "from" else "dport"] = port
        elif key == "flags":
            values["flags"] = take()
        elif key in ("icmp-type", "icmp6-type"):
            name = take()
            table = ICMP6_TYPES if key == "icmp6-type" else ICMP_TYPES
            values["icmp_type"] = int(name) if is_number(name) else table.get(name)
            if values["icmp_type"] is None:
                raise UsageError(f"flow: unknown icmp type {name!r}")
            if i < len(words) and words[i] == "code":
                i += 1
                values["icmp_code"] = int(take())
        elif key == "tagged":
            values["tags"] = frozenset([take()])
        elif key in ("user", "group", "received-on"):
            values[key.replace("-", "_")] = take()
        else:
            raise UsageError(f"flow: unexpected word {key!r}")
    for needed in ("direction", "ifname", "src", "dst"):
        if needed not in values:
            raise UsageError(f"flow: missing {needed.replace('ifname', 'on INTERFACE')}")
    values.setdefault("proto", "tcp")
    flow = Flow(**values)  # type: ignore[arg-type]
    if flow.src.version != flow.dst.version or (af and af != flow.af):
        raise UsageError("flow: address families do not match")
    if flow.proto in ("tcp", "udp") and flow.dport is None:
        raise UsageError("flow: tcp and udp flows need a destination port")
    if flow.proto != "tcp":
        flow = flow.with_(flags="")
    return flow
