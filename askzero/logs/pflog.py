"""pflog(4) capture files, as pflogd(8) writes them to /var/log/pflog.

A pflog file is a classic pcap file with link type DLT_PFLOG (117). Every packet is a
``struct pfloghdr`` (net/if_pflog.h, 100 bytes on current OpenBSD) followed by the IP
packet as pf saw it, cut to pflogd's snaplen (160 by default).

Byte order inside ``struct pfloghdr`` is mixed, as the kernel fills it: ``rulenr``,
``subrulenr``, the addresses and the ports are in network order; ``uid``, ``pid``,
``rule_uid`` and ``rule_pid`` are in the byte order of the host that wrote the file, which
is also the byte order of the pcap headers.

When pf translated the packet (nat-to, rdr-to), the logged packet is the one pf evaluated
and ``saddr``/``daddr``/``sport``/``dport`` of the header hold the translated addresses,
with ``rewritten`` set (if_pflog.c 1.99, pflog_packet()). The record keeps both: ``src``
and friends come from the packet, ``translated_src`` and friends from the header.
"""

from __future__ import annotations

import gzip
import ipaddress
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from askzero.errors import SourceError
from askzero.evidence import Citation
from askzero.logs.ippacket import (
    IPPROTO_NAMES,
    build_packet,
    decode_ip,
    describe_packet,
    tcp_flag_bits,
    tcp_flag_letters,
)

__all__ = [
    "DLT_PFLOG", "PFLOG_HDRLEN", "DEFAULT_SNAPLEN", "NO_PID", "PflogRecord", "read_pflog",
    "write_pflog", "build_record", "encode_pfloghdr", "sniff", "IPPROTO_NAMES",
    "tcp_flag_bits", "tcp_flag_letters",
]

DLT_PFLOG = 117
PFLOG_HDRLEN = 100  # sizeof(struct pfloghdr) on OpenBSD >= 5.4; also its `length` field
PFLOG_OLD_MINLEN = 61  # header length of the old (pre-rewritten/naf) layout, before padding
DEFAULT_SNAPLEN = 160  # pflogd(8): "rather than the default of 160"
MAX_CAPLEN = 262144  # bound on one record; pflogd's snaplen is far smaller

AF_INET = 2
AF_INET6 = 24  # OpenBSD's value, not Linux's 10
AF_NAMES = {AF_INET: "inet", AF_INET6: "inet6"}
AF_NUMBERS = {v: k for k, v in AF_NAMES.items()}

PF_INOUT, PF_IN, PF_OUT = 0, 1, 2
DIR_NAMES = {PF_INOUT: "inout", PF_IN: "in", PF_OUT: "out"}
DIR_NUMBERS = {v: k for k, v in DIR_NAMES.items()}

# enum { PF_PASS, PF_DROP, ... } in sys/net/pfvar.h
ACTION_NAMES = (
    "pass", "block", "scrub", "noscrub", "nat", "nonat", "binat", "nobinat", "rdr", "nordr",
    "synproxy-drop", "defer", "match", "divert", "route", "afroute",
)
ACTION_NUMBERS = {name: i for i, name in enumerate(ACTION_NAMES)}
# the word print-pflog.c prints for each action; others print nothing
TCPDUMP_ACTION = {
    "match": "match", "scrub": "scrub", "pass": "pass", "block": "block", "nat": "nat",
    "nonat": "nat", "binat": "binat", "nobinat": "binat", "rdr": "rdr", "nordr": "rdr",
}

# PFRES_NAMES in sys/net/pfvar.h, indexed by reason code
REASON_NAMES = (
    "match", "bad-offset", "fragment", "short", "normalize", "memory", "bad-timestamp",
    "congestion", "ip-option", "proto-cksum", "state-mismatch", "state-insert",
    "state-limit", "src-limit", "synproxy", "translate", "no-route",
)
REASON_NUMBERS = {name: i for i, name in enumerate(REASON_NAMES)}

NO_UID = -1
NO_PID = 100000  # PID_MAX + 1, what the kernel stores when no socket was looked up

_PCAP_MAGIC_US = 0xA1B2C3D4
_PCAP_MAGIC_NS = 0xA1B23C4D
_U32_MINUS_ONE = 0xFFFFFFFF


@dataclass(frozen=True)
class PflogRecord:
    """One packet logged by pf: the pfloghdr fields and the decoded IP packet."""

    time: datetime
    rulenr: int  # -1: the default rule (printed "def")
    subrulenr: int  # -1: the rule is not inside an anchor
    ruleset: str  # the anchor's name (last path component), "" in the main ruleset
    action: str  # pass, block, match, scrub, nat, rdr, ...
    reason: str  # match, short, normalize, ... (PFRES_NAMES)
    direction: str  # in, out
    ifname: str
    af: str  # inet, inet6
    proto: str  # tcp, udp, icmp, icmp6, or the protocol number
    src: str
    dst: str
    sport: int | None = None
    dport: int | None = None
    tcp_flags: str | None = None  # pf's letters: "S", "SA", "FPA", ...
    rewritten: bool = False
    naf: str | None = None
    translated_src: str | None = None
    translated_dst: str | None = None
    translated_sport: int | None = None
    translated_dport: int | None = None
    uid: int = NO_UID
    pid: int = NO_PID
    rule_uid: int = 0
    rule_pid: int = 0
    packet: bytes = field(default=b"", repr=False)  # the captured IP packet
    packet_len: int = 0  # the IP packet's length on the wire (>= len(packet))
    file: str = ""
    index: int = 0  # 1-based record number in the file
    offset: int = 0  # byte offset of the record header (uncompressed stream)

    @property
    def flags(self) -> str | None:
        """The TCP flags in pf's letters (``tcp_flags``), as a pf rule's ``flags`` reads."""
        return self.tcp_flags

    @property
    def rule_ref(self) -> str:
        """What tcpdump prints after ``rule ``: ``2``, ``8.threat_feeds.0``, ``def``."""
        if self.rulenr == -1:
            return "def"
        ref = str(self.rulenr)
        if self.ruleset:
            sub = "def" if self.subrulenr == -1 else str(self.subrulenr)
            ref += f".{self.ruleset}.{sub}"
        return ref

    def citation(self) -> Citation:
        return Citation(self.file, record=f"record {self.index}")

    def to_tcpdump(self, verbose: bool = False) -> str:
        """The line ``tcpdump -n -e -ttt -r FILE`` prints for this record (UTC).

        Sequence numbers are printed as they are in the packet (as with ``-S``), since a
        line is rendered without the state of earlier packets.
        """
        ts = self.time.astimezone(timezone.utc)
        out = [f"{ts:%b %d %H:%M:%S}.{ts.microsecond:06d} rule {self.rule_ref}/"]
        out.append(f"({self.reason}) ")
        if verbose:
            out.append(f"[uid {self.rule_uid & _U32_MINUS_ONE}, pid {self.rule_pid}] ")
        out.append(TCPDUMP_ACTION.get(self.action, ""))
        out.append(f" {'out' if self.direction == 'out' else 'in'} on {self.ifname}: ")
        if verbose and self.rewritten:
            out.append(
                f"[rewritten: src {self.translated_src}:{self.translated_sport or 0}, "
                f"dst {self.translated_dst}:{self.translated_dport or 0}] "
            )
        out.append(describe_packet(self.af, self.packet))
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "rule": self.rule_ref,
            "rulenr": self.rulenr,
            "subrulenr": self.subrulenr,
            "ruleset": self.ruleset,
            "action": self.action,
            "reason": self.reason,
            "direction": self.direction,
            "ifname": self.ifname,
            "af": self.af,
            "proto": self.proto,
            "src": self.src,
            "dst": self.dst,
            "sport": self.sport,
            "dport": self.dport,
            "tcp_flags": self.tcp_flags,
            "rewritten": self.rewritten,
            "translated_src": self.translated_src,
            "translated_dst": self.translated_dst,
            "translated_sport": self.translated_sport,
            "translated_dport": self.translated_dport,
            "citation": self.citation().to_dict(),
        }


# --------------------------------------------------------------------------- reading


def sniff(path: str | Path) -> bool:
    """True when the file (plain or gzip) is a pcap file with link type DLT_PFLOG."""
    try:
        with _open(path) as fh:
            head = fh.read(24)
    except (OSError, EOFError):
        return False
    if len(head) < 24:
        return False
    try:
        order, _ = _pcap_order(head)
    except ValueError:
        return False
    return struct.unpack(order + "I", head[20:24])[0] & 0x0FFFFFFF == DLT_PFLOG


def read_pflog(path: str | Path, display: str | None = None) -> Iterator[PflogRecord]:
    """Yield the records of a pflog file (plain or gzip-compressed), in file order.

    Records and errors name the file as ``display`` when given (how the site names it),
    else as ``path``. Raises SourceError naming the file (and the record, when one is
    broken) for a missing file, a file that is not a pflog capture, and a truncated or
    malformed record.
    """
    name = display if display is not None else str(path)
    try:
        fh = _open(path)
    except OSError as exc:
        raise SourceError(name, f"cannot read: {exc.strerror or exc}") from exc
    with fh:
        yield from _read_stream(fh, name)


def _open(path: str | Path) -> IO[bytes]:
    """The file's bytes, decompressed when it starts with the gzip magic."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def _pcap_order(head: bytes) -> tuple[str, int]:
    """Byte order and timestamp divisor (usec or nsec) from the pcap magic."""
    for order in ("<", ">"):
        magic = struct.unpack(order + "I", head[:4])[0]
        if magic == _PCAP_MAGIC_US:
            return order, 1
        if magic == _PCAP_MAGIC_NS:
            return order, 1000
    raise ValueError(f"bad magic 0x{head[:4].hex()}")


def _read_exact(fh: IO[bytes], n: int, name: str, what: str) -> bytes:
    try:
        return fh.read(n)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(name, f"{what}: corrupt compressed data ({exc})") from exc


def _read_stream(fh: IO[bytes], name: str) -> Iterator[PflogRecord]:
    head = _read_exact(fh, 24, name, "pcap header")
    if len(head) < 24:
        raise SourceError(name, f"not a pcap file: {len(head)} bytes, the header needs 24")
    try:
        order, divisor = _pcap_order(head)
    except ValueError as exc:
        raise SourceError(name, f"not a pcap file: {exc}") from None
    _, _, _, _, snaplen, linktype = struct.unpack(order + "HHiIII", head[4:24])
    linktype &= 0x0FFFFFFF
    if linktype != DLT_PFLOG:
        raise SourceError(name, f"not a pflog file: link type {linktype}, expected 117 (DLT_PFLOG)")
    offset = 24
    index = 0
    rec_hdr = struct.Struct(order + "IIII")
    while True:
        index += 1
        where = f"record {index} at byte {offset}"
        hdr = _read_exact(fh, 16, name, where)
        if not hdr:
            return
        if len(hdr) < 16:
            raise SourceError(name, f"{where}: truncated record header ({len(hdr)} of 16 bytes)")
        sec, frac, caplen, wirelen = rec_hdr.unpack(hdr)
        if caplen > MAX_CAPLEN or caplen > max(snaplen, DEFAULT_SNAPLEN) + 65536:
            raise SourceError(name, f"{where}: capture length {caplen} is implausible")
        data = _read_exact(fh, caplen, name, where)
        if len(data) < caplen:
            raise SourceError(
                name, f"{where}: truncated packet data ({len(data)} of {caplen} bytes)"
            )
        micro = frac // divisor
        if micro >= 1_000_000:
            raise SourceError(name, f"{where}: bad timestamp fraction {frac}")
        time = datetime.fromtimestamp(sec, tz=timezone.utc).replace(microsecond=micro)
        try:
            record = _decode_record(data, wirelen, order, time)
        except ValueError as exc:
            raise SourceError(name, f"{where}: {exc}") from None
        yield replace(record, file=name, index=index, offset=offset)
        offset += 16 + caplen


def _decode_record(data: bytes, wirelen: int, order: str, time: datetime) -> PflogRecord:
    if len(data) < 4:
        raise ValueError(f"too short for a pfloghdr ({len(data)} bytes)")
    length, af_num, action_num, reason_num = data[0], data[1], data[2], data[3]
    if length < PFLOG_OLD_MINLEN:
        raise ValueError(f"bad pfloghdr length {length}")
    hdrlen = (length + 3) & ~3  # BPF_WORDALIGN, as tcpdump skips it
    if len(data) < hdrlen:
        raise ValueError(f"pfloghdr length {length} but only {len(data)} bytes captured")
    if af_num not in AF_NAMES:
        raise ValueError(f"unknown address family {af_num}")
    af = AF_NAMES[af_num]
    ifname = _cstr(data[4:20])
    ruleset = _cstr(data[20:36])
    rulenr, subrulenr = struct.unpack(">II", data[36:44])
    uid, pid, rule_uid, rule_pid = struct.unpack(order + "IiIi", data[44:60])
    dir_num = data[60]
    rewritten = False
    naf = af
    t_src = t_dst = None
    t_sport = t_dport = None
    if hdrlen >= PFLOG_HDRLEN:
        rewritten = bool(data[61])
        naf = AF_NAMES.get(data[62], af)
        t_src = _addr(naf, data[64:80])
        t_dst = _addr(naf, data[80:96])
        t_sport, t_dport = struct.unpack(">HH", data[96:100])
    packet = data[hdrlen:]
    dec = decode_ip(af, packet)
    if dec.sport is None and t_sport == 0 and t_dport == 0:
        t_sport = t_dport = None  # no ports to translate (ICMP without an id, other protocols)
    action = ACTION_NAMES[action_num] if action_num < len(ACTION_NAMES) else str(action_num)
    reason = REASON_NAMES[reason_num] if reason_num < len(REASON_NAMES) else f"unkn {reason_num}"
    return PflogRecord(
        time=time,
        rulenr=-1 if rulenr == _U32_MINUS_ONE else rulenr,
        subrulenr=-1 if subrulenr == _U32_MINUS_ONE else subrulenr,
        ruleset=ruleset,
        action=action,
        reason=reason,
        direction=DIR_NAMES.get(dir_num, str(dir_num)),
        ifname=ifname,
        af=af,
        proto=dec.proto,
        src=dec.src,
        dst=dec.dst,
        sport=dec.sport,
        dport=dec.dport,
        tcp_flags=dec.tcp_flags,
        rewritten=rewritten,
        naf=naf,
        translated_src=t_src if t_src is not None else dec.src,
        translated_dst=t_dst if t_dst is not None else dec.dst,
        translated_sport=t_sport if t_sport is not None else dec.sport,
        translated_dport=t_dport if t_dport is not None else dec.dport,
        uid=-1 if uid == _U32_MINUS_ONE else uid,
        pid=pid,
        rule_uid=-1 if rule_uid == _U32_MINUS_ONE else rule_uid,
        rule_pid=rule_pid,
        packet=packet,
        packet_len=max(wirelen - hdrlen, len(packet)),
    )


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def _addr(af: str, raw: bytes) -> str:
    if af == "inet6":
        return str(ipaddress.IPv6Address(raw[:16]))
    return str(ipaddress.IPv4Address(raw[:4]))


# --------------------------------------------------------------------------- writing


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
    return PflogRecord(
        time=time.astimezone(timezone.utc),
        rulenr=rulenr,
        subrulenr=subrulenr,
        ruleset=ruleset,
        action=action,
        reason=reason,
        direction=direction,
        ifname=ifname,
        af=af,
        proto=dec.proto,
        src=dec.src,
        dst=dec.dst,
        sport=dec.sport,
        dport=dec.dport,
        tcp_flags=dec.tcp_flags,
        rewritten=rewritten,
        naf=af,
        translated_src=t_src,
        translated_dst=t_dst,
        translated_sport=t_sport,
        translated_dport=t_dport,
        rule_uid=rule_uid,
        rule_pid=rule_pid,
        packet=packet[: max(snaplen - PFLOG_HDRLEN, 0)],
        packet_len=len(packet),
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
        + struct.pack(">II", rec.rulenr & _U32_MINUS_ONE, rec.subrulenr & _U32_MINUS_ONE)
        + struct.pack(order + "IiIi", rec.uid & _U32_MINUS_ONE, rec.pid,
                      rec.rule_uid & _U32_MINUS_ONE, rec.rule_pid)
        + struct.pack("BBBB", direction, 1 if rec.rewritten else 0, naf, 0)
        + t_src + t_dst
        + struct.pack(">HH", t_sport, t_dport)
    )


def write_pflog(
    path: str | Path, records: Iterable[PflogRecord], snaplen: int = DEFAULT_SNAPLEN
) -> int:
    """Write records as pflogd would (little-endian pcap, DLT_PFLOG); return the count.

    A path ending in ``.gz`` is gzip-compressed with a zero mtime, so that the same
    records always give the same bytes.
    """
    chunks = [struct.pack("<IHHiIII", _PCAP_MAGIC_US, 2, 4, 0, 0, snaplen, DLT_PFLOG)]
    count = 0
    for rec in records:
        hdr = encode_pfloghdr(rec)
        captured = (hdr + rec.packet)[:snaplen]
        wire = PFLOG_HDRLEN + max(rec.packet_len, len(rec.packet))
        ts = rec.time.astimezone(timezone.utc)
        sec = int(ts.timestamp())
        chunks.append(struct.pack("<IIII", sec, ts.microsecond, len(captured), wire))
        chunks.append(captured)
        count += 1
    data = b"".join(chunks)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    Path(path).write_bytes(data)
    return count
