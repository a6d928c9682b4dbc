"""pflog(4) records: the constants of ``struct pfloghdr`` and one record fully decoded.

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

import ipaddress
import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from askzero.evidence import Citation
from askzero.logs.ippacket import decode_ip, describe_packet

DLT_PFLOG = 117
PFLOG_HDRLEN = 100  # sizeof(struct pfloghdr) on OpenBSD >= 5.4; also its `length` field
PFLOG_OLD_MINLEN = 61  # header length of the old (pre-rewritten/naf) layout, before padding
DEFAULT_SNAPLEN = 160  # pflogd(8): "rather than the default of 160"
MAX_CAPLEN = 262144  # bound on one record; pflogd's snaplen is far smaller
PCAP_HDRLEN = 24
PCAP_RECLEN = 16

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

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
U32_MINUS_ONE = 0xFFFFFFFF


def pcap_order(head: bytes) -> tuple[str, int]:
    """Byte order and timestamp divisor (usec or nsec) from the pcap magic."""
    for order in ("<", ">"):
        magic = struct.unpack(order + "I", head[:4])[0]
        if magic == PCAP_MAGIC_US:
            return order, 1
        if magic == PCAP_MAGIC_NS:
            return order, 1000
    raise ValueError(f"bad magic 0x{head[:4].hex()}")


def pcap_linktype(head: bytes, order: str) -> int:
    """The link type of a pcap file header (the upper bits hold FCS flags)."""
    return int(struct.unpack(order + "I", head[20:24])[0]) & 0x0FFFFFFF


def caplen_limit(snaplen: int) -> int:
    """The largest believable capture length of a record; past a bad one nothing is sure."""
    return min(MAX_CAPLEN, max(snaplen, DEFAULT_SNAPLEN) + 65536)


def rule_ref(rulenr: int, subrulenr: int, ruleset: str) -> str:
    """What tcpdump prints after ``rule ``: ``2``, ``8.threat_feeds.0``, ``def``."""
    if rulenr == -1:
        return "def"
    if not ruleset:
        return str(rulenr)
    sub = "def" if subrulenr == -1 else str(subrulenr)
    return f"{rulenr}.{ruleset}.{sub}"


def signed(value: int) -> int:
    """A u_int32_t field where all ones means "none" (-1)."""
    return -1 if value == U32_MINUS_ONE else value


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
        return rule_ref(self.rulenr, self.subrulenr, self.ruleset)

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
            out.append(f"[uid {self.rule_uid & U32_MINUS_ONE}, pid {self.rule_pid}] ")
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


def decode_record(
    data: bytes, wirelen: int, order: str, time: datetime, file: str = "", index: int = 0,
    offset: int = 0,
) -> PflogRecord:
    """One captured record (pfloghdr + IP packet); ValueError when it is not one.

    ``file``, ``index`` and ``offset`` say where it was read, for its citation.
    """
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
    ifname = cstr(data[4:20])
    ruleset = cstr(data[20:36])
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
        t_src = header_addr(naf, data[64:80])
        t_dst = header_addr(naf, data[80:96])
        t_sport, t_dport = struct.unpack(">HH", data[96:100])
    packet = data[hdrlen:]
    dec = decode_ip(af, packet)
    if dec.sport is None and t_sport == 0 and t_dport == 0:
        t_sport = t_dport = None  # no ports to translate (ICMP without an id, other protocols)
    action = ACTION_NAMES[action_num] if action_num < len(ACTION_NAMES) else str(action_num)
    reason = REASON_NAMES[reason_num] if reason_num < len(REASON_NAMES) else f"unkn {reason_num}"
    return packet_record(
        dec, packet, max(wirelen - hdrlen, len(packet)),
        time=time, rulenr=signed(rulenr), subrulenr=signed(subrulenr), ruleset=ruleset,
        action=action, reason=reason, direction=DIR_NAMES.get(dir_num, str(dir_num)), ifname=ifname,
        af=af, rewritten=rewritten, naf=naf, translated_src=t_src, translated_dst=t_dst,
        translated_sport=t_sport, translated_dport=t_dport, uid=signed(uid), pid=pid,
        rule_uid=signed(rule_uid), rule_pid=rule_pid, file=file, index=index, offset=offset,
    )


def packet_record(dec: Any, packet: bytes, packet_len: int, **header: Any) -> PflogRecord:
    """A record whose packet fields come from the decoded packet ``dec``; translated
    addresses and ports not given are the packet's own (nothing was rewritten)."""
    for field_name, own in (("translated_src", dec.src), ("translated_dst", dec.dst),
                            ("translated_sport", dec.sport), ("translated_dport", dec.dport)):
        if header.get(field_name) is None:
            header[field_name] = own
    return PflogRecord(proto=dec.proto, src=dec.src, dst=dec.dst, sport=dec.sport, dport=dec.dport,
                       tcp_flags=dec.tcp_flags, packet=packet, packet_len=packet_len, **header)


def cstr(raw: bytes) -> str:
    """A NUL-terminated name field (ifname, ruleset)."""
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def header_addr(af: str, raw: bytes) -> str:
    """A pf_addr from the header as text, in the family ``af``."""
    if af == "inet6":
        return str(ipaddress.IPv6Address(raw[:16]))
    return str(ipaddress.IPv4Address(raw[:4]))
