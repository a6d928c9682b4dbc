"""IP packets as pf logs them: decoding, tcpdump's one-line text, and building.

Only what pflog needs: IPv4 and IPv6 with TCP, UDP and ICMP headers. Decoding accepts
packets cut short by the capture's snaplen; building makes whole packets with correct
lengths and checksums.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable
from typing import Any, NamedTuple

IPPROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6"}
IPPROTO_NUMBERS = {v: k for k, v in IPPROTO_NAMES.items()}

# TCP flag bits, and the letters pf uses for them (flags S/SA)
TCP_FLAG_BITS = (("F", 0x01), ("S", 0x02), ("R", 0x04), ("P", 0x08), ("A", 0x10),
                 ("U", 0x20), ("E", 0x40), ("W", 0x80))

_U32 = 0xFFFFFFFF


class Decoded(NamedTuple):
    """What a (possibly truncated) IP packet says about itself."""

    proto: str
    src: str
    dst: str
    sport: int | None
    dport: int | None
    tcp_flags: str | None
    ip_hlen: int  # offset of the transport header in the packet
    proto_num: int
    frag_offset: int


def decode_ip(af: str, pkt: bytes) -> Decoded:
    """Addresses, protocol and ports of an IP packet; ValueError when it is not one."""
    if af == "inet":
        if len(pkt) < 20 or pkt[0] >> 4 != 4:
            raise ValueError("packet too short or not IPv4")
        hlen = (pkt[0] & 0x0F) * 4
        if hlen < 20:
            raise ValueError(f"bad IPv4 header length {hlen}")
        proto_num = pkt[9]
        frag = struct.unpack(">H", pkt[6:8])[0] & 0x1FFF
        src = str(ipaddress.IPv4Address(pkt[12:16]))
        dst = str(ipaddress.IPv4Address(pkt[16:20]))
    else:
        if len(pkt) < 40 or pkt[0] >> 4 != 6:
            raise ValueError("packet too short or not IPv6")
        src = str(ipaddress.IPv6Address(pkt[8:24]))
        dst = str(ipaddress.IPv6Address(pkt[24:40]))
        proto_num, hlen, frag = pkt[6], 40, 0
        # walk hop-by-hop, routing and destination option headers; stop at a fragment
        while proto_num in (0, 43, 60) and len(pkt) >= hlen + 2:
            proto_num, hlen = pkt[hlen], hlen + (pkt[hlen + 1] + 1) * 8
        if proto_num == 44 and len(pkt) >= hlen + 8:
            frag = struct.unpack(">H", pkt[hlen + 2 : hlen + 4])[0] >> 3
            proto_num, hlen = pkt[hlen], hlen + 8
    proto = IPPROTO_NAMES.get(proto_num, str(proto_num))
    sport = dport = None
    flags = None
    body = pkt[hlen:] if frag == 0 else b""
    if proto_num in (6, 17) and len(body) >= 4:
        sport, dport = struct.unpack(">HH", body[:4])
    if proto_num == 6 and len(body) >= 14:
        flags = tcp_flag_letters(body[13])
    return Decoded(proto, src, dst, sport, dport, flags, hlen, proto_num, frag)


def tcp_flag_letters(bits: int) -> str:
    """pf's notation for a TCP flags byte: 0x12 -> "SA"."""
    return "".join(letter for letter, bit in TCP_FLAG_BITS if bits & bit)


def tcp_flag_bits(letters: str) -> int:
    """The TCP flags byte for pf's letters: "SA" -> 0x12."""
    table = dict(TCP_FLAG_BITS)
    try:
        return sum(table[c] for c in set(letters))
    except KeyError as exc:
        raise ValueError(f"unknown TCP flag {exc.args[0]!r} in {letters!r}") from None


# --------------------------------------------------------------------------- text

# how tcpdump names ICMP and ICMPv6 types (others print as "type-#N")
ICMP_NAMES = {0: "echo reply", 8: "echo request", 11: "time exceeded in-transit"}
ICMP6_NAMES = {128: "echo request", 129: "echo reply", 133: "router solicitation",
                134: "router advertisement", 135: "neighbor sol", 136: "neighbor adv"}


def _hostport(addr: str, port: int) -> str:
    return f"{addr}.{port}"


def describe_packet(af: str, pkt: bytes) -> str:
    """tcpdump's decode of the IP packet, in its non-verbose form."""
    try:
        dec = decode_ip(af, pkt)
    except ValueError:
        return "[|ip]"
    body = pkt[dec.ip_hlen :] if dec.frag_offset == 0 else b""
    if af == "inet":
        total = struct.unpack(">H", pkt[2:4])[0]
    else:
        total = 40 + struct.unpack(">H", pkt[4:6])[0]
    payload_total = max(total - dec.ip_hlen, 0)
    if dec.proto_num == 6:
        text = _describe_tcp(dec, body, payload_total)
    elif dec.proto_num == 17:
        if len(body) < 8:
            text = f"{dec.src} > {dec.dst}: [|udp]"
        else:
            ulen = struct.unpack(">H", body[4:6])[0]
            text = f"{_hostport(dec.src, dec.sport or 0)} > {_hostport(dec.dst, dec.dport or 0)}"
            text += f": udp {max(ulen - 8, 0)}"
    elif dec.proto_num in (1, 58):
        text = f"{dec.src} > {dec.dst}: {dec.proto}: "
        if len(body) < 2:
            text += f"[|{dec.proto}]"
        else:
            names = ICMP_NAMES if dec.proto_num == 1 else ICMP6_NAMES
            text += names.get(body[0], f"type-#{body[0]}")
    else:
        text = f"{dec.src} > {dec.dst}: ip-proto-{dec.proto_num} {payload_total}"
    if af == "inet":
        if struct.unpack(">H", pkt[6:8])[0] & 0x4000:
            text += " (DF)"
        if pkt[1]:
            text += f" [tos 0x{pkt[1]:x}]"
        if pkt[8] <= 1:
            text += f" [ttl {pkt[8]}]"
    return text


def _describe_tcp(dec: Decoded, body: bytes, seg_len: int) -> str:
    if len(body) < 4:
        return f"{dec.src} > {dec.dst}: [|tcp]"
    head = f"{_hostport(dec.src, dec.sport or 0)} > {_hostport(dec.dst, dec.dport or 0)}: "
    if len(body) < 20:
        return head + "[|tcp]"
    seq, ack = struct.unpack(">II", body[4:12])
    off = (body[12] >> 4) * 4
    bits = body[13]
    win, _, urp = struct.unpack(">HHH", body[14:20])
    out = []
    if bits & 0x0F:
        out.append("".join(c for c, b in (("S", 2), ("F", 1), ("R", 4), ("P", 8)) if bits & b))
    else:
        out.append(".")
    if bits & 0xC0:
        out.append(" [" + ("E" if bits & 0x40 else "") + ("W" if bits & 0x80 else "") + "]")
    data_len = max(seg_len - off, 0)
    if data_len > 0 or bits & 0x07:
        out.append(f" {seq}:{(seq + data_len) & _U32}({data_len})")
    if bits & 0x10:
        out.append(f" ack {ack}")
    out.append(f" win {win}")
    if bits & 0x20:
        out.append(f" urg {urp}")
    if off > 20:
        out.append(" <" + describe_tcp_options(body[20:off], off - 20) + ">")
    return head + "".join(out)


def describe_tcp_options(raw: bytes, want: int) -> str:
    """tcpdump's text for TCP options ``raw``; ``[|tcp]`` when fewer than ``want`` bytes."""
    parts: list[str] = []
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            parts.append("eol")
            break
        if kind == 1:
            parts.append("nop")
            i += 1
            continue
        if i + 1 >= len(raw):
            parts.append("[|tcp]")
            return ",".join(parts)
        olen = raw[i + 1]
        if olen < 2 or i + olen > len(raw):
            parts.append("[|tcp]")
            return ",".join(parts)
        val = raw[i + 2 : i + olen]
        if kind == 2 and olen == 4:
            parts.append(f"mss {struct.unpack('>H', val)[0]}")
        elif kind == 3 and olen == 3:
            parts.append(f"wscale {val[0]}")
        elif kind == 4 and olen == 2:
            parts.append("sackOK")
        elif kind == 8 and olen == 10:
            parts.append("timestamp {} {}".format(*struct.unpack(">II", val)))
        else:
            parts.append(f"opt-{kind}:{val.hex()}")
        i += olen
    if len(raw) < want:
        parts.append("[|tcp]")
    return ",".join(parts)


# --------------------------------------------------------------------------- building


def build_packet(
    src: str,
    dst: str,
    proto: str = "tcp",
    *,
    sport: int | None = None,
    dport: int | None = None,
    tcp_flags: str = "S",
    seq: int = 0,
    ack: int = 0,
    win: int = 65535,
    tcp_options: Iterable[tuple[Any, ...]] = (),
    payload_len: int = 0,
    icmp_type: int | None = None,
    icmp_code: int = 0,
    ttl: int = 64,
    ip_id: int = 0,
    df: bool = False,
    tos: int = 0,
) -> bytes:
    """A whole IPv4 or IPv6 packet (the family follows the addresses), zero payload.

    ``proto`` is tcp, udp, icmp (icmp6 for IPv6 addresses) or a number. ``icmp_type``
    defaults to echo request. ``tcp_options`` are tuples: ("mss", 1460), ("sackOK",),
    ("timestamp", a, b), ("nop",), ("wscale", 7), ("eol",).
    """
    ip_src = ipaddress.ip_address(src)
    ip_dst = ipaddress.ip_address(dst)
    if ip_src.version != ip_dst.version:
        raise ValueError(f"address families differ: {src} and {dst}")
    af = "inet" if ip_src.version == 4 else "inet6"
    proto_num = IPPROTO_NUMBERS.get(proto)
    if proto_num is None:
        proto_num = int(proto)
    if proto == "icmp" and af == "inet6":
        proto, proto_num = "icmp6", 58
    payload = bytes(payload_len)
    if proto_num == 6:
        opts = _encode_tcp_options(tcp_options)
        off = 20 + len(opts)
        l4 = struct.pack(">HHIIBBHHH", sport or 0, dport or 0, seq & _U32,
                         ack & _U32, (off // 4) << 4, tcp_flag_bits(tcp_flags),
                         win, 0, 0) + opts + payload
    elif proto_num == 17:
        l4 = struct.pack(">HHHH", sport or 0, dport or 0, 8 + payload_len, 0) + payload
    elif proto_num in (1, 58):
        if icmp_type is None:  # echo request
            icmp_type = 8 if proto_num == 1 else 128
        l4 = struct.pack(">BBHHH", icmp_type, icmp_code, 0, 0, 0) + payload
    else:
        l4 = payload
    l4 = _with_l4_checksum(proto_num, ip_src.packed, ip_dst.packed, l4)
    if af == "inet":
        total = 20 + len(l4)
        iph = struct.pack(">BBHHHBBH4s4s", 0x45, tos, total, ip_id, 0x4000 if df else 0,
                          ttl, proto_num, 0, ip_src.packed, ip_dst.packed)
        iph = iph[:10] + struct.pack(">H", _checksum(iph)) + iph[12:]
    else:
        iph = struct.pack(">IHBB16s16s", (6 << 28) | (tos << 20), len(l4), proto_num, ttl,
                          ip_src.packed, ip_dst.packed)
    packet = iph + l4
    return packet


def _encode_tcp_options(options: Iterable[tuple[Any, ...]]) -> bytes:
    out = b""
    for opt in options:
        name = opt[0]
        if name == "mss":
            out += struct.pack(">BBH", 2, 4, opt[1])
        elif name == "wscale":
            out += struct.pack(">BBB", 3, 3, opt[1])
        elif name == "sackOK":
            out += b"\x04\x02"
        elif name == "timestamp":
            out += struct.pack(">BBII", 8, 10, opt[1], opt[2])
        elif name == "nop":
            out += b"\x01"
        elif name == "eol":
            out += b"\x00"
        else:
            raise ValueError(f"unknown TCP option {name!r}")
    if len(out) % 4:
        out += b"\x00" * (4 - len(out) % 4)
    if len(out) > 40:
        raise ValueError("TCP options exceed 40 bytes")
    return out


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _with_l4_checksum(proto: int, src: bytes, dst: bytes, l4: bytes) -> bytes:
    positions = {6: 16, 17: 6, 58: 2}
    if proto == 1:
        csum = _checksum(l4)
        return l4[:2] + struct.pack(">H", csum) + l4[4:]
    if proto not in positions:
        return l4
    if len(src) == 4:
        pseudo = struct.pack(">4s4sBBH", src, dst, 0, proto, len(l4))
    else:
        pseudo = struct.pack(">16s16sIxxxB", src, dst, len(l4), proto)
    csum = _checksum(pseudo + l4)
    if proto == 17 and csum == 0:
        csum = 0xFFFF
    pos = positions[proto]
    return l4[:pos] + struct.pack(">H", csum) + l4[pos + 2 :]
