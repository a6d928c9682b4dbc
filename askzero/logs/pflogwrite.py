"""Making pflog records and files as pf and pflogd would: for the demo site and for tests."""

from __future__ import annotations

import gzip
import ipaddress
import struct
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from askzero.logs.ippacket import build_packet, decode_ip
from askzero.logs.pflogrecord import (
    ACTION_NUMBERS,
    AF_NUMBERS,
    DEFAULT_SNAPLEN,
    DIR_NUMBERS,
    DLT_PFLOG,
    PCAP_MAGIC_US,
    PFLOG_HDRLEN,
    REASON_NUMBERS,
    U32_MINUS_ONE,
    PflogRecord,
    packet_record,
)


def build_record(
    time: datetime,
    *,
    rulenr: int,
    ifname: str,
    src: str,
    dst: str,
    proto: str = "tcp",
    sport: int | None = None,
    dport: int | None = None,
    subrulenr: int = -1,
    ruleset: str = "",
    action: str = "block",
    reason: str = "match",
    direction: str = "in",
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
    translated_src: str | None = None,
    translated_dst: str | None = None,
    translated_sport: int | None = None,
    translated_dport: int | None = None,
    rule_uid: int = 0,
    rule_pid: int = 0,
    snaplen: int = DEFAULT_SNAPLEN,
) -> PflogRecord:
    """Make the record pf would log for a packet described by its fields.

    The IP packet is built with correct lengths and checksums and cut to ``snaplen`` as
    pflogd would. ``translated_*`` are the addresses after nat-to/rdr-to; when any differs
    from the packet's, the record is marked ``rewritten`` (as pflog_packet() does).
    The packet fields are those of ``ippacket.build_packet``.
    """
    packet = build_packet(
        src, dst, proto, sport=sport, dport=dport, tcp_flags=tcp_flags, seq=seq, ack=ack,
        win=win, tcp_options=tcp_options, payload_len=payload_len, icmp_type=icmp_type,
        icmp_code=icmp_code, ttl=ttl, ip_id=ip_id, df=df, tos=tos,
    )
    af = "inet" if packet[0] >> 4 == 4 else "inet6"
    dec = decode_ip(af, packet)
    t_src = translated_src or src
    t_dst = translated_dst or dst
    t_sport = translated_sport if translated_sport is not None else sport
    t_dport = translated_dport if translated_dport is not None else dport
    rewritten = (t_src, t_dst, t_sport, t_dport) != (src, dst, sport, dport)
    return packet_record(
        dec, packet[: max(snaplen - PFLOG_HDRLEN, 0)], len(packet),
        time=time.astimezone(timezone.utc), rulenr=rulenr, subrulenr=subrulenr, ruleset=ruleset,
        action=action, reason=reason, direction=direction, ifname=ifname, af=af,
        rewritten=rewritten, naf=af, translated_src=t_src, translated_dst=t_dst,
        translated_sport=t_sport, translated_dport=t_dport, rule_uid=rule_uid, rule_pid=rule_pid,
    )


def encode_pfloghdr(rec: PflogRecord, order: str = "<") -> bytes:
    """The 100-byte ``struct pfloghdr`` for a record (host fields in ``order``)."""
    try:
        af = AF_NUMBERS[rec.af]
        naf = AF_NUMBERS[rec.naf or rec.af]
    except KeyError as exc:
        raise ValueError(f"unknown address family {exc.args[0]!r}") from None
    action = ACTION_NUMBERS.get(rec.action)
    if action is None:
        action = int(rec.action)
    reason = REASON_NUMBERS.get(rec.reason)
    if reason is None:
        reason = int(rec.reason.removeprefix("unkn "))
    direction = DIR_NUMBERS.get(rec.direction)
    if direction is None:
        direction = int(rec.direction)
    t_src = ipaddress.ip_address(rec.translated_src or rec.src).packed.ljust(16, b"\0")
    t_dst = ipaddress.ip_address(rec.translated_dst or rec.dst).packed.ljust(16, b"\0")
    t_sport = rec.translated_sport if rec.translated_sport is not None else (rec.sport or 0)
    t_dport = rec.translated_dport if rec.translated_dport is not None else (rec.dport or 0)
    return (
        struct.pack("BBBB", PFLOG_HDRLEN, af, action, reason)
        + rec.ifname.encode("ascii")[:15].ljust(16, b"\0")
        + rec.ruleset.encode("ascii")[:15].ljust(16, b"\0")
        + struct.pack(">II", rec.rulenr & U32_MINUS_ONE, rec.subrulenr & U32_MINUS_ONE)
        + struct.pack(order + "IiIi", rec.uid & U32_MINUS_ONE, rec.pid,
                      rec.rule_uid & U32_MINUS_ONE, rec.rule_pid)
        + struct.pack("BBBB", direction, 1 if rec.rewritten else 0, naf, 0)
        + t_src + t_dst
        + struct.pack(">HH", t_sport, t_dport)
    )


def pflog_bytes(
    records: Iterable[PflogRecord], snaplen: int = DEFAULT_SNAPLEN, order: str = "<"
) -> bytes:
    """A whole pflog capture (pcap header and records), host fields in ``order``."""
    chunks = [struct.pack(order + "IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, snaplen, DLT_PFLOG)]
    rec_hdr = struct.Struct(order + "IIII")
    for rec in records:
        captured = (encode_pfloghdr(rec, order) + rec.packet)[:snaplen]
        wire = PFLOG_HDRLEN + max(rec.packet_len, len(rec.packet))
        ts = rec.time.astimezone(timezone.utc)
        chunks.append(rec_hdr.pack(int(ts.timestamp()), ts.microsecond, len(captured), wire))
        chunks.append(captured)
    return b"".join(chunks)


def write_pflog(
    path: str | Path, records: Iterable[PflogRecord], snaplen: int = DEFAULT_SNAPLEN
) -> int:
    """Write records as pflogd would (little-endian pcap, DLT_PFLOG); return the count.

    A path ending in ``.gz`` is gzip-compressed with a zero mtime, so that the same
    records always give the same bytes.
    """
    count = 0

    def counted() -> Iterator[PflogRecord]:
        nonlocal count
        for rec in records:
            count += 1
            yield rec

    data = pflog_bytes(counted(), snaplen)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    Path(path).write_bytes(data)
    return count
