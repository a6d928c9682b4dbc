"""Many packets as numpy columns, the input of batch evaluation.

A day of pflog records is hundreds of thousands of packets; building a Flow object for each
costs more than deciding them. ``FlowArrays`` holds the fields pf matches on as one array per
field, so a bulk reader fills the columns straight from its records:

* ``inbound`` bool; ``ifindex`` int, an index into ``ifnames``;
* ``af`` 4 or 6; ``proto`` the IP protocol number (tcp 6, udp 17, icmp 1, icmp6 58);
* addresses as two unsigned 64-bit halves: ``src_hi``/``src_lo``. An IPv4 address is held in
  ``src_lo`` with ``src_hi`` 0 (``af`` tells the families apart, so ``::a.b.c.d`` is not
  taken for ``a.b.c.d``); ``FlowArrays.ipv4`` takes plain uint32 columns, and
  ``packed_halves`` turns packed header addresses into the two halves;
* ``sport``/``dport`` -1 where the protocol has no ports; ``icmp_type``/``icmp_code`` -1 where
  there is none;
* ``flags`` the TCP flags as in the TCP header (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32,
  ECE 64, CWR 128), so a pflog reader passes ``th_flags`` as it is;
* ``tag`` an index into ``tagnames``, -1 for an untagged packet.

numpy is imported by the functions that need it: the pf engine itself stays pure Python.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from askzero.pf.flow import Flow
from askzero.pf.services import PROTOCOL_NAMES, PROTOCOLS

FLAG_LETTERS = "FSRPAUEW"  # bit i of the TCP flags byte is FLAG_LETTERS[i]
FLAG_BITS = {letter: 1 << i for i, letter in enumerate(FLAG_LETTERS)}
LOW64 = (1 << 64) - 1


def flag_bits(text: str) -> int:
    """``"SA"`` -> 18: pf's flag letters as the TCP header's bits."""
    return sum(FLAG_BITS.get(c, 0) for c in set(text))


def flag_text(bits: int) -> str:
    return "".join(letter for i, letter in enumerate(FLAG_LETTERS) if bits >> i & 1)


@dataclass
class FlowArrays:
    inbound: Any
    ifindex: Any
    ifnames: list[str]
    af: Any
    proto: Any
    src_hi: Any
    src_lo: Any
    dst_hi: Any
    dst_lo: Any
    sport: Any
    dport: Any
    flags: Any
    icmp_type: Any
    icmp_code: Any
    tag: Any
    tagnames: list[str] = field(default_factory=list)
    # rows a column cannot describe (a Flow with several tags, a user or group, received-on):
    # batch evaluation decides these one by one from ``originals``
    irregular: Any = None
    originals: Sequence[Flow] | None = None

    def __len__(self) -> int:
        return len(self.af)

    @classmethod
    def ipv4(cls, inbound: Any, ifindex: Any, ifnames: list[str], proto: Any, src: Any, dst: Any,
             sport: Any = None, dport: Any = None, flags: Any = None, icmp_type: Any = None,
             icmp_code: Any = None) -> "FlowArrays":
        """IPv4 packets from plain columns: ``src``/``dst`` as uint32 addresses."""
        import numpy as np

        n = len(src)
        zeros = np.zeros(n, dtype=np.uint64)

        def column(values: Any, dtype: Any, missing: int) -> Any:
            return np.full(n, missing, dtype=dtype) if values is None else np.asarray(values, dtype=dtype)

        return cls(np.asarray(inbound, dtype=bool), np.asarray(ifindex, dtype=np.int32), list(ifnames),
                   np.full(n, 4, dtype=np.uint8), np.asarray(proto, dtype=np.int16),
                   zeros, np.asarray(src, dtype=np.uint64), zeros.copy(), np.asarray(dst, dtype=np.uint64),
                   column(sport, np.int32, -1), column(dport, np.int32, -1), column(flags, np.uint8, 0),
                   column(icmp_type, np.int16, -1), column(icmp_code, np.int16, -1),
                   np.full(n, -1, dtype=np.int32))

    @classmethod
    def from_flows(cls, flows: Sequence[Flow]) -> "FlowArrays":
        """Columns from Flow objects (the single-flow API's packets).

        Column by column with C-level attribute getters: a tuple per flow would cost more
        than deciding the flows, and would wake the garbage collector over the caller's
        objects."""
        import numpy as np

        n = len(flows)

        def values(name: str) -> list:
            return list(map(attrgetter(name), flows))

        def coded(name: str, code: Callable[[Any], int], dtype: Any) -> Any:
            column = values(name)
            table = {value: code(value) for value in set(column)}
            return np.fromiter(map(table.__getitem__, column), dtype, n)

        def numbers(name: str, dtype: Any) -> Any:
            column = values(name)
            if column.count(None) == 0:
                return np.array(column, dtype=dtype)
            return np.array([-1 if v is None else v for v in column], dtype=dtype)

        ifname_column = values("ifname")
        ifnames = sorted(set(ifname_column))
        positions = {name: i for i, name in enumerate(ifnames)}
        ifindex = np.fromiter(map(positions.__getitem__, ifname_column), np.int32, n)
        srcs, dsts = values("src"), values("dst")
        af = np.fromiter(map({ipaddress.IPv4Address: 4, ipaddress.IPv6Address: 6}.__getitem__, map(type, srcs)),
                         np.uint8, n)
        src_hi, src_lo = _halves(np, srcs, af)
        dst_hi, dst_lo = _halves(np, dsts, af)
        no_icmp = np.full(n, -1, dtype=np.int16)
        itype = numbers("icmp_type", np.int16) if set(map(attrgetter("icmp_type"), flows)) != {None} else no_icmp
        icode = numbers("icmp_code", np.int16) if set(map(attrgetter("icmp_code"), flows)) != {None} else no_icmp
        tagnames: list[str] = []
        tag = np.full(n, -1, dtype=np.int32)
        if any(map(attrgetter("tags"), flows)):
            tags = values("tags")
            tagnames = sorted({t for ts in set(tags) for t in ts})
            tag = np.array([tagnames.index(next(iter(ts))) if ts else -1 for ts in tags], dtype=np.int32)
        irregular = None
        if any(any(map(attrgetter(name), flows)) for name in ("user", "group", "received_on")) or tagnames:
            # several tags, a socket owner or received-on: decided one by one from the Flow
            irregular = np.array([len(f.tags) > 1 or f.user is not None or f.group is not None
                                  or f.received_on is not None for f in flows], dtype=bool)
        return cls(coded("direction", lambda d: d == "in", bool),
                   ifindex, ifnames, af,
                   coded("proto", lambda p: PROTOCOLS.get(p, -1), np.int16), src_hi, src_lo, dst_hi, dst_lo,
                   numbers("sport", np.int32), numbers("dport", np.int32), coded("flags", flag_bits, np.uint8),
                   itype, icode, tag, tagnames, irregular, flows)

    def flow(self, i: int) -> Flow:
        """Row ``i`` as a Flow, for the per-flow evaluators."""
        if self.originals is not None:
            return self.originals[i]
        af = int(self.af[i])
        src = _address(af, int(self.src_hi[i]), int(self.src_lo[i]))
        dst = _address(af, int(self.dst_hi[i]), int(self.dst_lo[i]))
        number = int(self.proto[i])
        proto = PROTOCOL_NAMES.get(number, str(number))
        if proto == "ipv6-icmp":
            proto = "icmp6"
        sport, dport, itype, icode, tag = (int(self.sport[i]), int(self.dport[i]), int(self.icmp_type[i]),
                                           int(self.icmp_code[i]), int(self.tag[i]))
        return Flow("in" if self.inbound[i] else "out", self.ifnames[int(self.ifindex[i])], proto, src, dst,
                    sport=None if sport < 0 else sport, dport=None if dport < 0 else dport,
                    flags=flag_text(int(self.flags[i])) if proto == "tcp" else "",
                    icmp_type=None if itype < 0 else itype, icmp_code=None if icode < 0 else icode,
                    tags=frozenset([self.tagnames[tag]]) if tag >= 0 else frozenset())


def packed_halves(data: bytes, width: int) -> tuple[Any, Any]:
    """Addresses packed back to back in network order (4 bytes each for IPv4, 16 for IPv6,
    as in packet headers and pfloghdr) as the (high, low) uint64 columns FlowArrays holds."""
    import numpy as np

    if width == 4:
        low = np.frombuffer(data, dtype=">u4").astype(np.uint64)
        return np.zeros(len(low), dtype=np.uint64), low
    both = np.frombuffer(data, dtype=">u8").reshape(-1, 2)
    return both[:, 0].astype(np.uint64), both[:, 1].astype(np.uint64)


def _halves(np: Any, addresses: list, af: Any) -> tuple[Any, Any]:
    """ipaddress objects as (high, low) uint64 columns; only IPv6 rows pay for the split."""
    n = len(addresses)
    if not (af == 6).any():
        return np.zeros(n, dtype=np.uint64), np.fromiter(map(int, addresses), np.uint64, n)
    numbers = np.array(list(map(int, addresses)), dtype=object)
    hi, lo = np.zeros(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    v4, v6 = af == 4, af == 6
    lo[v4] = numbers[v4].astype(np.uint64)
    wide = numbers[v6]
    hi[v6], lo[v6] = (wide >> 64).astype(np.uint64), (wide & LOW64).astype(np.uint64)
    return hi, lo


def _address(af: int, hi: int, lo: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(lo) if af == 4 else ipaddress.IPv6Address(hi << 64 | lo)
