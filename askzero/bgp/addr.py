"""Addresses and prefixes as bgpd reads (``host()``) and prints (``log_addr()``) them.

bgpd first tries a strict numeric address (getaddrinfo with AI_NUMERICHOST), then the
classful ``inet_net_pton`` form, which is why ``10/8`` and ``192.0.2/24`` are accepted and
printed back as ``10.0.0.0/8`` and ``192.0.2.0/24``. Prefixes are not masked: what was
written is what is printed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

AID_UNSPEC = 0
AID_INET = 1
AID_INET6 = 2
AID_VPN_IPV4 = 3
AID_VPN_IPV6 = 4
AID_FLOWSPECV4 = 5
AID_FLOWSPECV6 = 6
AID_EVPN = 7
AID_MAX = 8
AID_NAMES = ["unspec", "IPv4 unicast", "IPv6 unicast", "IPv4 vpn", "IPv6 vpn",
             "IPv4 flowspec", "IPv6 flowspec", "EVPN"]
AFI_IPV4, AFI_IPV6, AFI_L2VPN = 1, 2, 25
SAFI_NONE, SAFI_UNICAST, SAFI_EVPN, SAFI_MPLSVPN, SAFI_FLOWSPEC = 0, 1, 70, 128, 133
AID_AFI_SAFI = [(0, SAFI_NONE), (AFI_IPV4, SAFI_UNICAST), (AFI_IPV6, SAFI_UNICAST),
                (AFI_IPV4, SAFI_MPLSVPN), (AFI_IPV6, SAFI_MPLSVPN), (AFI_IPV4, SAFI_FLOWSPEC),
                (AFI_IPV6, SAFI_FLOWSPEC), (AFI_L2VPN, SAFI_EVPN)]


def afi2aid(afi: int, safi: int) -> int | None:
    """The AID of an AFI/SAFI pair, or None (bgpd's afi2aid)."""
    for aid, pair in enumerate(AID_AFI_SAFI):
        if aid and pair == (afi, safi):
            return aid
    return None


@dataclass(frozen=True)
class Addr:
    """An IPv4 or IPv6 address (bgpd's ``struct bgpd_addr``); ``scope`` is an interface name."""

    aid: int
    raw: bytes
    scope: str = ""

    def __str__(self) -> str:
        return log_addr(self)

    @property
    def maxlen(self) -> int:
        return 32 if self.aid == AID_INET else 128

    def key(self) -> tuple[int, bytes, str]:
        return (self.aid, self.raw, self.scope)


def inet_ntop6(raw: bytes) -> str:
    """OpenBSD's inet_ntop for IPv6: longest zero run compressed, embedded IPv4 dotted."""
    words = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, 16, 2)]
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, w in enumerate(words):
        if w == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out: list[str] = []
    i = 0
    while i < 8:
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out.append(":")
            i += 1
            continue
        if i != 0:
            out.append(":")
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(".".join(str(b) for b in raw[12:]))
            i = 8
            break
        out.append(f"{words[i]:x}")
        i += 1
    if best_base != -1 and best_base + best_len == 8:
        out.append(":")
    return "".join(out)


def log_addr(addr: Addr) -> str:
    if addr.aid == AID_INET:
        return ".".join(str(b) for b in addr.raw)
    if addr.aid == AID_INET6:
        text = inet_ntop6(addr.raw)
        return f"{text}%{addr.scope}" if addr.scope else text
    return "???"


def _pton4(s: str) -> bytes | None:
    try:
        return ipaddress.IPv4Address(s).packed
    except ValueError:
        return None


def _pton6(s: str) -> tuple[bytes, str] | None:
    text, _, scope = s.partition("%")
    if "%" in s and not scope:
        return None
    try:
        return ipaddress.IPv6Address(text).packed, scope
    except ValueError:
        return None


def inet_net_pton4(s: str) -> tuple[bytes, int] | None:
    """The classful network form (``10``, ``192.0.2``): address and implied width."""
    octets: list[int] = []
    i, n = 0, len(s)
    if not (i < n and s[i].isascii() and s[i].isdigit()):
        return None
    while True:
        val = 0
        while i < n and s[i].isascii() and s[i].isdigit():
            val = val * 10 + int(s[i])
            if val > 255:
                return None
            i += 1
        if len(octets) >= 4:
            return None
        octets.append(val)
        if i == n:
            break
        if s[i] != ".":
            return None
        i += 1
        if not (i < n and s[i].isascii() and s[i].isdigit()):
            return None
    first = octets[0]
    bits = 32 if first >= 240 else 4 if first >= 224 else 24 if first >= 192 else 16 if first >= 128 else 8
    bits = max(bits, len(octets) * 8)
    if bits == 8 and first == 224:
        bits = 4
    raw = bytes(octets) + bytes(4 - len(octets))
    return raw, bits


def host(s: str) -> tuple[Addr, int] | None:
    """bgpd's host(): an address with an optional ``/len``; None if it cannot be parsed."""
    text, slash, mask_text = s.rpartition("/")
    if not slash:
        text, mask_text = s, ""
    mask = None
    if slash:
        if not mask_text.isascii() or not mask_text.isdigit() or int(mask_text) > 128:
            return None
        mask = int(mask_text)
    raw4 = _pton4(text)
    if raw4 is not None:
        addr, length = Addr(AID_INET, raw4), 32
    else:
        v6 = _pton6(text)
        if v6 is not None:
            addr, length = Addr(AID_INET6, v6[0], v6[1]), 128
        else:
            net = inet_net_pton4(text)
            if net is None:
                return None
            addr, length = Addr(AID_INET, net[0]), net[1]
    return addr, (mask if mask is not None else length)


def prefix_compare(a: Addr, b: Addr, plen: int) -> int:
    """Compare the first ``plen`` bits of two addresses of one family (bgpd's prefix_compare)."""
    if a.aid != b.aid:
        return a.aid - b.aid
    bits = len(a.raw) * 8
    plen = min(plen, bits)
    ia = int.from_bytes(a.raw, "big") >> (bits - plen) if plen else 0
    ib = int.from_bytes(b.raw, "big") >> (bits - plen) if plen else 0
    return (ia > ib) - (ia < ib)
