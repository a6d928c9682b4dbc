"""pflog records straight to Events, fast: the path the log store's ingest takes.

The store wants hundreds of thousands of records a second, so this path builds no
``PflogRecord``: it unpacks the headers with precompiled structs from a chunk buffer,
decodes each distinct pfloghdr once (a firewall logs the same rule, interface and action
over and over), remembers address texts, and renders the common IPv4/IPv6 TCP and UDP lines
itself. Everything else goes through ``ippacket.describe_packet``. The text is the line
``PflogRecord.to_tcpdump()`` gives, byte for byte (tests compare them).
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime, timezone
from struct import Struct
from typing import IO, Any, Protocol

from askzero.logs.ippacket import (
    ICMP6_NAMES,
    ICMP_NAMES,
    decode_ip,
    describe_packet,
    describe_tcp_options,
    tcp_flag_letters,
)
from askzero.logs.pflogrecord import (
    ACTION_NAMES,
    AF_NAMES,
    DIR_NAMES,
    NO_PID,
    PFLOG_HDRLEN,
    PFLOG_OLD_MINLEN,
    REASON_NAMES,
    TCPDUMP_ACTION,
    caplen_limit,
    cstr,
    header_addr,
    rule_ref,
    signed,
)
from askzero.logs.record import Event, Malformed

NAME = "pflog"  # the format's name, Event.source
CHUNK = 1 << 20  # bytes read at a time: memory stays bounded, syscalls stay few
KEY_LEN = 62  # pfloghdr bytes up to `rewritten`: everything but the translated addresses
CACHE_MAX = 65536  # entries per cache before it is emptied (bounded memory on odd files)
U32 = 0xFFFFFFFF

_PFLOG_FIXED = Struct(">BBBB16s16sII")  # length, af, action, reason, ifname, ruleset, nrs
_PFLOG_TRANS = Struct(">B1x16s16sHH")  # naf, pad, saddr, daddr, sport, dport
# IPv4 without options (vhl, tos, len, id, off, ttl, p, sum, src, dst), then TCP (sport,
# dport, seq, ack, off, flags, win, sum, urp) or UDP (sport, dport, len)
# (pad bytes "x" for the fields not needed: fewer values to unpack)
_IP4 = Struct(">xBH2xHB3xII")
_IP4_TCP = Struct(">xBH2xHB3xIIHHIIBBH2xH")
_IP4_UDP = Struct(">xBH2xHB3xIIHHH")
_IP6 = Struct(">4xHBx16s16s")  # plen, nxt, src, dst
_TCP = Struct(">HHIIBBH2xH")  # sport, dport, seq, ack, off, flags, win, urp
_UDP = Struct(">HHH")  # sport, dport, len
_PORTS = Struct(">HH")

# the Event is built positionally (twice as fast as by keyword): fail loudly if its
# fields ever move
_EVENT_ORDER = ("source", "kind", "time", "line", "offset", "raw", "src", "dst", "sport",
                "dport", "proto", "action", "severity", "signature", "signature_id",
                "category", "rule", "iface", "direction", "host", "user", "flow", "message",
                "extra")
if tuple(f.name for f in fields(Event)) != _EVENT_ORDER:
    raise ImportError("askzero.logs.record.Event changed its fields; update pflogevent")


def _tcpdump_flags(bits: int) -> str:
    """How tcpdump prints a TCP flags byte (print-tcp.c): ``S``, ``.``, ``FP [EW]``."""
    text = "".join(c for c, b in (("S", 2), ("F", 1), ("R", 4), ("P", 8)) if bits & b) or "."
    if bits & 0xC0:
        text += " [" + ("E" if bits & 0x40 else "") + ("W" if bits & 0x80 else "") + "]"
    return text


TCPDUMP_FLAGS = tuple(_tcpdump_flags(b) for b in range(256))
PF_FLAGS = tuple(tcp_flag_letters(b) for b in range(256))


class Progress(Protocol):
    offset: int
    line: int


# one decoded pfloghdr: hdrlen, af, kind, action, rule, iface, direction, text after the
# time, extra fields, rewritten
HeaderInfo = tuple[int, str, str, str, str, str, str, str, dict[str, Any], bool]


def header_info(key: bytes, order: str) -> HeaderInfo | str:
    """The fields of a pfloghdr (its first KEY_LEN bytes), or why it is not one."""
    length, af_num, action_num, reason_num, ifname, ruleset, rulenr, subrulenr = (
        _PFLOG_FIXED.unpack_from(key)
    )
    if length < PFLOG_OLD_MINLEN:
        return f"bad pfloghdr length {length}"
    if af_num not in AF_NAMES:
        return f"unknown address family {af_num}"
    uid, pid = Struct(order + "Ii").unpack_from(key, 44)
    action = ACTION_NAMES[action_num] if action_num < len(ACTION_NAMES) else str(action_num)
    reason = REASON_NAMES[reason_num] if reason_num < len(REASON_NAMES) else f"unkn {reason_num}"
    direction = DIR_NAMES.get(key[60], str(key[60]))
    iface, anchor = cstr(ifname), cstr(ruleset)
    rulenr, subrulenr = signed(rulenr), signed(subrulenr)
    ref = rule_ref(rulenr, subrulenr, anchor)
    hdrlen = (length + 3) & ~3  # BPF_WORDALIGN, as tcpdump skips it
    text = (f" rule {ref}/({reason}) {TCPDUMP_ACTION.get(action, '')}"
            f" {'out' if direction == 'out' else 'in'} on {iface}: ")
    af = AF_NAMES[af_num]
    extra: dict[str, Any] = {"reason": reason, "rulenr": rulenr, "subrulenr": subrulenr,
                             "ruleset": anchor, "af": af}
    if pid != NO_PID:  # a socket was looked up: its owner
        extra["uid"], extra["pid"] = signed(uid), pid
    kind = action if action in ("block", "pass", "match") else "other"
    rewritten = hdrlen >= PFLOG_HDRLEN and bool(key[61])
    return hdrlen, af, kind, action, ref, iface, direction, text, extra, rewritten


def translated(
    buf: bytes, hdr: int, af: str, has_ports: bool, names: dict[bytes, tuple[str, str, str]]
) -> dict[str, Any]:
    """The addresses after translation, from a rewritten record's pfloghdr at ``hdr``.

    ``names`` remembers the texts of (naf, saddr, daddr): nat-to rewrites to few addresses.
    """
    key = buf[hdr + 62 : hdr + 96]
    known = names.get(key)
    if known is None:
        if len(names) >= CACHE_MAX:
            names.clear()
        naf_num, saddr, daddr, _, _ = _PFLOG_TRANS.unpack_from(buf, hdr + 62)
        naf = AF_NAMES.get(naf_num, af)
        known = names[key] = (naf, header_addr(naf, saddr), header_addr(naf, daddr))
    naf, t_src, t_dst = known
    sport, dport = _PORTS.unpack_from(buf, hdr + 96)
    out: dict[str, Any] = {"rewritten": True, "translated_src": t_src, "translated_dst": t_dst}
    if has_ports or sport or dport:  # as PflogRecord: no ports when there is nothing to map
        out["translated_sport"], out["translated_dport"] = sport, dport
    if naf != af:
        out["naf"] = naf
    return out


def events(
    fh: IO[bytes], order: str, divisor: int, snaplen: int, progress: Progress
) -> Iterator[Event | Malformed]:
    """Events from the record at ``progress.offset`` (the stream is positioned there) on.

    ``progress`` advances past each record before it is handed out, so it is right even
    when the consumer stops early. A final record not yet complete is left for later.
    One long function on purpose: a call per record and field costs more than the rest.
    """
    rec_unpack = Struct(order + "IIII").unpack_from
    ip4, ip4tcp, ip4udp = _IP4.unpack_from, _IP4_TCP.unpack_from, _IP4_UDP.unpack_from
    ip6, tcp_unpack, udp_unpack = _IP6.unpack_from, _TCP.unpack_from, _UDP.unpack_from
    tcpdump_flags, pf_flags = TCPDUMP_FLAGS, PF_FLAGS
    max_caplen = caplen_limit(snaplen)
    headers: dict[bytes, HeaderInfo | str] = {}
    names4: dict[int, str] = {}
    names6: dict[bytes, str] = {}
    options: dict[bytes, str] = {}
    rewrites: dict[bytes, tuple[str, str, str]] = {}
    last_sec, stamp = -1, ""
    base, line = progress.offset, progress.line  # stream offset of buf[0]; records so far
    buf, pos = b"", 0
    while True:
        try:
            chunk = fh.read(CHUNK)
        except EOFError:  # a gzip stream cut short: maybe still being written
            return
        except (OSError, zlib.error) as exc:
            yield Malformed(line + 1, base + pos, f"corrupt compressed data: {exc}", "")
            return
        if not chunk:
            return
        buf, base, pos = buf[pos:] + chunk, base + pos, 0
        end = len(buf)
        while pos + 16 <= end:
            sec, frac, caplen, wirelen = rec_unpack(buf, pos)
            if caplen > max_caplen:
                # without a believable length the next record's start is unknown: nothing
                # after this can be read. pflogd(8) moves such a file aside rather than
                # appending to it, so the rest is consumed and the damage reported once.
                yield Malformed(line + 1, base + pos, f"capture length {caplen} is implausible",
                                buf[pos : pos + 48].hex())
                progress.offset, progress.line = base + end + _drain(fh), line + 1
                return
            hdr = pos + 16
            rec_end = hdr + caplen
            if rec_end > end:
                break  # the record continues in the next chunk (or is still being written)
            line += 1
            micro = frac // divisor
            info = headers.get(buf[hdr : hdr + KEY_LEN]) if caplen >= KEY_LEN else None
            if info is None:
                info = _header(buf, hdr, caplen, order, headers)
            if info.__class__ is str or caplen < info[0] or micro >= 1_000_000:
                item: Event | Malformed = _rejected(buf, pos, caplen, micro, info, line, base)
                progress.offset, progress.line = base + rec_end, line
                yield item
                pos = rec_end
                continue
            hdrlen, af, kind, action, ref, iface, direction, prefix, extra, rewritten = info
            if sec != last_sec:
                last_sec = sec
                stamp = datetime.fromtimestamp(sec, timezone.utc).strftime("%b %d %H:%M:%S")
            ip = hdr + hdrlen
            avail = rec_end - ip
            proto = None
            if avail >= 28 and buf[ip] == 0x45 and af == "inet":
                if buf[ip + 9] == 6 and avail >= 40:
                    (tos, total, frag, ttl, s_num, d_num, sport, dport, seq, ack, offx, bits,
                     win, urp) = ip4tcp(buf, ip)
                    proto, l4, seg_len = "tcp", ip + 20, total - 20
                elif buf[ip + 9] == 17:
                    tos, total, frag, ttl, s_num, d_num, sport, dport, ulen = ip4udp(buf, ip)
                    proto = "udp"
                elif buf[ip + 9] == 1:
                    tos, total, frag, ttl, s_num, d_num = ip4(buf, ip)
                    proto, sport, dport, icmp_type = "icmp", None, None, buf[ip + 20]
                if proto is not None:
                    if frag & 0x1FFF:
                        proto = None  # a fragment: no ports, the slow path says so
                    else:
                        src, dst = names4.get(s_num), names4.get(d_num)
                        if src is None:
                            src = names4[s_num] = _name4(s_num, names4)
                        if dst is None:
                            dst = names4[d_num] = _name4(d_num, names4)
                        note = " (DF)" if frag & 0x4000 else ""
                        if tos or ttl <= 1:
                            note = _ip4_notes(frag, tos, ttl)
            elif avail >= 48 and buf[ip] >> 4 == 6 and af == "inet6":
                seg_len, proto_num, s_raw, d_raw = ip6(buf, ip)
                if proto_num == 6 and avail >= 60:
                    proto, l4 = "tcp", ip + 40
                    sport, dport, seq, ack, offx, bits, win, urp = tcp_unpack(buf, l4)
                elif proto_num == 17:
                    proto = "udp"
                    sport, dport, ulen = udp_unpack(buf, ip + 40)
                elif proto_num == 58:
                    proto, sport, dport, icmp_type = "icmp6", None, None, buf[ip + 40]
                if proto is not None:
                    src, dst = names6.get(s_raw), names6.get(d_raw)
                    if src is None:
                        src = names6[s_raw] = _name6(s_raw, names6)
                    if dst is None:
                        dst = names6[d_raw] = _name6(d_raw, names6)
                    note = ""
            if proto == "tcp":
                # print-tcp.c as ippacket's describe_packet renders it
                off = (offx >> 4) * 4
                tail = (_tcp_tail(buf, l4, min(l4 + off, rec_end), off, bits, urp, options)
                        if off > 20 or bits & 0x20 else "")
                data_len = seg_len - off if seg_len > off else 0
                # one f-string per shape: building the line in pieces costs more
                if data_len or bits & 0x07:
                    if bits & 0x10:
                        text = (f"{stamp}.{micro:06d}{prefix}{src}.{sport} > {dst}.{dport}: "
                                f"{tcpdump_flags[bits]} {seq}:{(seq + data_len) & U32}"
                                f"({data_len}) ack {ack} win {win}{tail}{note}")
                    else:
                        text = (f"{stamp}.{micro:06d}{prefix}{src}.{sport} > {dst}.{dport}: "
                                f"{tcpdump_flags[bits]} {seq}:{(seq + data_len) & U32}"
                                f"({data_len}) win {win}{tail}{note}")
                elif bits & 0x10:
                    text = (f"{stamp}.{micro:06d}{prefix}{src}.{sport} > {dst}.{dport}: "
                            f"{tcpdump_flags[bits]} ack {ack} win {win}{tail}{note}")
                else:
                    text = (f"{stamp}.{micro:06d}{prefix}{src}.{sport} > {dst}.{dport}: "
                            f"{tcpdump_flags[bits]} win {win}{tail}{note}")
                extra = extra.copy()
                extra["tcp_flags"] = pf_flags[bits]
            elif proto == "udp":
                text = (f"{stamp}.{micro:06d}{prefix}{src}.{sport} > {dst}.{dport}: "
                        f"udp {ulen - 8 if ulen > 8 else 0}{note}")
                extra = extra.copy()
            elif proto is not None:  # icmp, icmp6
                name = (ICMP_NAMES if proto == "icmp" else ICMP6_NAMES).get(icmp_type)
                text = (f"{stamp}.{micro:06d}{prefix}{src} > {dst}: {proto}: "
                        f"{name or f'type-#{icmp_type}'}{note}")
                extra = extra.copy()
            else:
                generic = _generic(af, buf[ip:rec_end])
                if generic.__class__ is str:
                    progress.offset, progress.line = base + rec_end, line
                    yield Malformed(line, base + pos, generic, buf[pos : pos + 48].hex())
                    pos = rec_end
                    continue
                proto, src, dst, sport, dport, flags, pkt = generic
                text = f"{stamp}.{micro:06d}{prefix}{pkt}"
                extra = extra.copy()
                if flags is not None:
                    extra["tcp_flags"] = flags
            if rewritten:
                extra.update(translated(buf, hdr, af, sport is not None, rewrites))
            progress.offset, progress.line = base + rec_end, line
            yield Event(NAME, kind, (sec * 1_000_000 + micro) / 1e6, line, base + pos, text,
                        src, dst, sport, dport, proto, action, None, None, None, None, ref,
                        iface, direction, None, None, None, text, extra)
            pos = rec_end


def _tcp_tail(
    buf: bytes, l4: int, opt_end: int, off: int, bits: int, urp: int, options: dict[bytes, str]
) -> str:
    """The urgent pointer and options part of a TCP line (option texts remembered).

    The options are ``buf[l4 + 20 : opt_end]``: ``opt_end`` is where the record ends when
    the snaplen cut them."""
    tail = f" urg {urp}" if bits & 0x20 else ""
    if off > 20:
        raw = buf[l4 + 20 : opt_end]
        if len(raw) < off - 20:  # cut by the snaplen: rare, and "[|tcp]" depends on it
            return f"{tail} <{describe_tcp_options(raw, off - 20)}>"
        text = options.get(raw)
        if text is None:
            if len(options) >= CACHE_MAX:
                options.clear()
            text = options[raw] = describe_tcp_options(raw, off - 20)
        tail += f" <{text}>"
    return tail


def _ip4_notes(frag: int, tos: int, ttl: int) -> str:
    """What tcpdump adds after an IPv4 packet: don't-fragment, type of service, low TTL."""
    note = " (DF)" if frag & 0x4000 else ""
    if tos:
        note += f" [tos 0x{tos:x}]"
    if ttl <= 1:
        note += f" [ttl {ttl}]"
    return note


def _header(
    buf: bytes, hdr: int, caplen: int, order: str, headers: dict[bytes, HeaderInfo | str]
) -> HeaderInfo | str:
    """The decoded pfloghdr at ``hdr`` (remembered), or why it is not one."""
    if caplen < 4:
        return f"too short for a pfloghdr ({caplen} bytes)"
    if buf[hdr] < PFLOG_OLD_MINLEN:
        return f"bad pfloghdr length {buf[hdr]}"
    if caplen < KEY_LEN:
        return f"pfloghdr length {buf[hdr]} but only {caplen} bytes captured"
    if len(headers) >= CACHE_MAX:
        headers.clear()
    key = buf[hdr : hdr + KEY_LEN]
    info = headers[key] = header_info(key, order)
    return info


def _rejected(
    buf: bytes, pos: int, caplen: int, micro: int, info: HeaderInfo | str, line: int, base: int
) -> Malformed:
    """The Malformed for a record whose header or timestamp is wrong."""
    if isinstance(info, str):
        reason = info
    elif caplen < info[0]:
        reason = f"pfloghdr length {buf[pos + 16]} but only {caplen} bytes captured"
    else:
        reason = f"bad timestamp fraction {micro}"
    return Malformed(line, base + pos, reason, buf[pos : pos + 48].hex())


def _generic(
    af: str, pkt: bytes
) -> tuple[str, str, str, int | None, int | None, str | None, str] | str:
    """Any packet, the slow and complete way; the reason when it is not an IP packet."""
    try:
        dec = decode_ip(af, pkt)
    except ValueError as exc:
        return str(exc)
    return (dec.proto, dec.src, dec.dst, dec.sport, dec.dport, dec.tcp_flags,
            describe_packet(af, pkt))


def _name4(num: int, cache: dict[int, str]) -> str:
    if len(cache) >= CACHE_MAX:
        cache.clear()
    return f"{num >> 24}.{num >> 16 & 255}.{num >> 8 & 255}.{num & 255}"


def _name6(raw: bytes, cache: dict[bytes, str]) -> str:
    if len(cache) >= CACHE_MAX:
        cache.clear()
    return str(ipaddress.IPv6Address(raw))


def _drain(fh: IO[bytes]) -> int:
    """Bytes left in the stream (read and dropped)."""
    total = 0
    try:
        while chunk := fh.read(CHUNK):
            total += len(chunk)
    except (OSError, EOFError, zlib.error):
        pass
    return total
