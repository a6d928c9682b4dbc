#!/usr/bin/env python3
"""Write the demo site's logs and intel: the night of 2026-11-20 (UTC) on gw1.

    python3 tools/make_demo.py [OUTDIR]        # default: askzero/demo

The story, which every source tells in its own words:

01:58-02:14  203.0.113.7 brute-forces SSH on 192.0.2.10 (pf rule @16 lets anyone reach
             port 22): authlog failures, Suricata scan alerts, Zeek ssh connections.
02:03-       engineering workstation 10.10.0.23 beacons to 203.0.113.7:443 every 60 s
             (Cobalt Strike, SNI sync.telemetry-cdn.example): Suricata C2 alerts, TLS,
             Zeek ssl connections on the inside interface em1.
02:15        feed2pf adds 203.0.113.7 to <threat_feeds>; from then pflog shows
             `rule 8.threat_feeds.0` blocking its SSH attempts and `rule 8.threat_feeds.1`
             blocking the beacon out on em0 (NAT computed, not applied: rewritten).
02:24-02:41  the on-call engineer logs in from the NOC and inspects the table.
02:31-02:33  BGP session to upstream A (198.51.100.1, AS 64501) drops (hold timer) and
             comes back.
Background   scanners blocked by `block log all` (rule 2), the scanner range and the
             bulletproof netblock of the feed (rule 8.threat_feeds.0), one martian (rule 7).

Sensors: Suricata and Zeek run on gw1 and capture em0 (before pf, so they see what pf
then blocks inbound) and em1 (the LAN side, so they see 10.10.0.23 before NAT). The
outside copy of NATed traffic is excluded by their capture filters.

The output is a pure function of the seed: running twice gives identical bytes.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import random
import struct
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from askzero.logs.pflogrecord import PflogRecord  # noqa: E402
from askzero.logs.pflogwrite import build_record, write_pflog  # noqa: E402
from demo_intel import BLOCKLIST_CSV, C2_DOMAIN, stix_bundle  # noqa: E402

SEED = 20261120
UTC = timezone.utc
DAY = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW_START = DAY + timedelta(hours=1, minutes=50)
WINDOW_END = DAY + timedelta(hours=2, minutes=50)

HOST = "gw1"
GW = "192.0.2.10"
ATTACKER = "203.0.113.7"
WORKSTATION = "10.10.0.23"
RESOLVER = "10.10.0.1"
NOC_ADMIN = "198.51.100.36"
UPSTREAM_A = "198.51.100.1"
LOCAL_NETS = [ipaddress.ip_network(n) for n in ("10.10.0.0/24", "10.20.0.0/24", "192.0.2.0/24")]

BRUTE_START = DAY + timedelta(hours=1, minutes=58, seconds=3.412)
BRUTE_END = DAY + timedelta(hours=2, minutes=14, seconds=38)  # last session ends < 02:15
TABLE_LOADED = DAY + timedelta(hours=2, minutes=15, seconds=1, microseconds=284117)
BEACON_START = DAY + timedelta(hours=2, minutes=3, seconds=17, microseconds=214530)
BEACON_LAST = DAY + timedelta(hours=2, minutes=44, seconds=30)
RETRY_END = DAY + timedelta(hours=2, minutes=21, seconds=45)
PFCTL_PID = 48213  # the pfctl that loaded the ruleset at boot: creator of every rule

# (sid, rev, signature, category, severity)
SIG_SSH_SCAN = (2001219, 20, "ET SCAN Potential SSH Scan", "Attempted Information Leak", 2)
SIG_LIBSSH = (2006546, 8, "ET SCAN LibSSH Based Frequent SSH Connections Likely BruteForce "
              "Attack", "Misc activity", 3)
SIG_C2_IP = (2404308, 8127, "ET CNC Feodo Tracker Reported CnC Server group 9",
             "A Network Trojan was detected", 1)
SIG_C2_SNI = (2045112, 1, "ET MALWARE Observed Cobalt Strike CnC Domain "
              "(sync .telemetry-cdn .example in TLS SNI)", "A Network Trojan was detected", 1)
SIG_SIPVICIOUS = (2011716, 4, "ET SCAN Sipvicious User-Agent Detected (friendly-scanner)",
                  "Attempted Information Leak", 2)
SIG_CINS = (2403342, 83521, "ET CINS Active Threat Intelligence Poor Reputation IP group 43",
            "Misc Attack", 2)
C2_METADATA = {
    "affected_product": ["Windows_XP_Vista_7_8_10_Server_32_64_Bit"],
    "attack_target": ["Client_Endpoint"],
    "deployment": ["Perimeter"],
    "signature_severity": ["Major"],
    "tag": ["Cobalt_Strike"],
}

USERS = ("admin", "oracle", "ubnt", "test", "user", "postgres", "git", "pi", "support",
         "guest", "ftpuser", "operator", "scada", "hmi", "engineer", "backup", "deploy",
         "ansible", "ubuntu", "vagrant")
LINUX_SYN_OPTS = lambda ts: (("mss", 1460), ("sackOK",), ("timestamp", ts, 0), ("nop",),  # noqa: E731
                             ("wscale", 7))
WINDOWS_SYN_OPTS = (("mss", 1460), ("nop",), ("wscale", 8), ("nop",), ("nop",), ("sackOK",))

ZEEK_FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration "
               "orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history "
               "orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents ip_proto").split()
ZEEK_TYPES = ("time string addr port addr port enum string interval count count string bool "
              "bool count string count count count count set[string] count").split()


def eve_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


def community_id(src: str, dst: str, sport: int, dport: int, proto: int) -> str:
    """Community ID v1 (seed 0) of a flow, as Suricata writes it."""
    a, b = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport
    data = struct.pack("!H", 0) + a + b + struct.pack("!BBHH", proto, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def is_local(addr: str) -> str:
    ip = ipaddress.ip_address(addr)
    return "T" if any(ip in net for net in LOCAL_NETS) else "F"


@dataclass
class Conn:
    """One connection as both sensors saw it."""

    start: datetime
    end: datetime
    iface: str
    src: str
    sport: int
    dst: str
    dport: int
    proto: str  # tcp, udp
    flow_id: int
    uid: str
    orig_pkts: int
    resp_pkts: int
    orig_bytes: int  # payload bytes
    resp_bytes: int
    history: str
    service: str | None = None
    hdr: int = 52  # IP + transport header bytes of a typical packet of this flow
    alerted: bool = False


class Scenario:
    """Builds every source's records from one seeded random generator."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.auth: list[tuple[datetime, int, str]] = []
        self.daemon: list[tuple[datetime, int, str]] = []
        self.eve: list[tuple[datetime, int, dict[str, Any]]] = []
        self.conns: list[Conn] = []
        self.pflog: list[PflogRecord] = []
        self._n = 0
        self._pids: set[int] = set()
        self._limits: dict[tuple[int, str], datetime] = {}
        self._scan_window: dict[str, tuple[datetime, int]] = {}

    # ------------------------------------------------------------------ small helpers
    def seq(self) -> int:
        self._n += 1
        return self._n

    def pid(self) -> int:
        while True:
            pid = self.rng.randint(1000, 99999)
            if pid not in self._pids:
                self._pids.add(pid)
                return pid

    def syslog(self, bucket: list[tuple[datetime, int, str]], t: datetime, prog: str,
               pid: int | None, msg: str) -> None:
        tag = f"{prog}[{pid}]" if pid else prog
        bucket.append((t, self.seq(), f"{t:%b} {t.day:2d} {t:%H:%M:%S} {HOST} {tag}: {msg}"))

    def conn(self, start: datetime, end: datetime, iface: str, src: str, sport: int,
             dst: str, dport: int, proto: str, orig_pkts: int, resp_pkts: int,
             orig_bytes: int, resp_bytes: int, history: str, service: str | None,
             hdr: int = 52) -> Conn:
        uid = "C" + "".join(self.rng.choice(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))
        c = Conn(start, end, iface, src, sport, dst, dport, proto,
                 self.rng.randrange(10**14, 2**51), uid, orig_pkts, resp_pkts, orig_bytes,
                 resp_bytes, history, service, hdr)
        self.conns.append(c)
        return c

    def event(self, t: datetime, c: Conn, event_type: str, **extra: Any) -> None:
        ev: dict[str, Any] = {
            "timestamp": eve_time(t), "flow_id": c.flow_id, "in_iface": c.iface,
            "event_type": event_type, "src_ip": c.src, "src_port": c.sport,
            "dest_ip": c.dst, "dest_port": c.dport, "proto": c.proto.upper(),
            "community_id": community_id(c.src, c.dst, c.sport, c.dport,
                                         6 if c.proto == "tcp" else 17),
        }
        ev.update(extra)
        self.eve.append((t, self.seq(), ev))

    def alert(self, t: datetime, c: Conn, sig: tuple[int, int, str, str, int],
              app: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
              pkts: tuple[int, int, int, int] = (1, 0, 74, 0)) -> None:
        sid, rev, msg, category, severity = sig
        body: dict[str, Any] = {"action": "allowed", "gid": 1, "signature_id": sid, "rev": rev,
                                "signature": msg, "category": category, "severity": severity}
        if metadata:
            body["metadata"] = metadata
        extra: dict[str, Any] = {"pkt_src": "wire/pcap", "alert": body}
        if app:
            extra["app_proto"] = next(iter(app))
            extra.update(app)
        extra["direction"] = "to_server"
        extra["flow"] = {"pkts_toserver": pkts[0], "pkts_toclient": pkts[1],
                         "bytes_toserver": pkts[2], "bytes_toclient": pkts[3],
                         "src_ip": c.src, "dest_ip": c.dst, "src_port": c.sport,
                         "dest_port": c.dport, "start": eve_time(c.start)}
        c.alerted = True
        self.event(t, c, "alert", **extra)

    def limited(self, sid: int, key: str, t: datetime, seconds: int) -> bool:
        """Suricata `threshold: type limit, count 1, seconds N, track by_src`."""
        last = self._limits.get((sid, key))
        if last is not None and (t - last).total_seconds() < seconds:
            return False
        self._limits[(sid, key)] = t
        return True

    def ssh_scan_alert(self, t: datetime, c: Conn) -> None:
        """ET SCAN Potential SSH Scan: `threshold: type both, count 5, seconds 120`."""
        start, count = self._scan_window.get(c.src, (t, 0))
        if (t - start).total_seconds() >= 120:
            start, count = t, 0
        count += 1
        self._scan_window[c.src] = (start, count)
        if count == 5:
            self.alert(t, c, SIG_SSH_SCAN)

    def pf(self, t: datetime, **kw: Any) -> None:
        self.pflog.append(build_record(t, rule_pid=PFCTL_PID, **kw))

    # ------------------------------------------------------------------ the story
    def brute_force(self) -> None:
        rng = self.rng
        t = BRUTE_START
        first = True
        while t < BRUTE_END:
            self.ssh_session(t, probe=first)
            first = False
            t += timedelta(seconds=rng.uniform(14.0, 34.0))

    def ssh_session(self, t: datetime, probe: bool) -> None:
        rng = self.rng
        port = rng.randrange(32768, 61000)
        pid = self.pid()
        lines: list[tuple[float, str]] = []
        where = f"{ATTACKER} port {port}"
        style = "probe" if probe else rng.choices(["root", "invalid", "probe"], [35, 57, 8])[0]
        elapsed = rng.uniform(0.3, 0.8)
        if style == "probe":
            lines.append((elapsed + 0.2, f"Connection closed by {where} [preauth]"))
        elif style == "root":
            tries = 6 if rng.random() < 0.2 else rng.randint(1, 3)
            for _ in range(tries):
                elapsed += rng.uniform(2.0, 3.4)
                lines.append((elapsed, f"Failed password for root from {where} ssh2"))
            if tries == 6:
                lines.append((elapsed, "error: maximum authentication attempts exceeded for "
                                       f"root from {where} ssh2 [preauth]"))
                lines.append((elapsed, f"Disconnecting authenticating user root {where}: "
                                       "Too many authentication failures [preauth]"))
            elif rng.random() < 0.5:
                lines.append((elapsed + 0.1, f"Received disconnect from {ATTACKER} port {port}:11:"
                                             " Bye Bye [preauth]"))
                lines.append((elapsed + 0.1,
                              f"Disconnected from authenticating user root {where} [preauth]"))
            else:
                lines.append((elapsed + 0.2,
                              f"Connection closed by authenticating user root {where} [preauth]"))
        else:
            user = rng.choice(USERS)
            lines.append((elapsed, f"Invalid user {user} from {where}"))
            for _ in range(rng.randint(1, 3)):
                elapsed += rng.uniform(2.0, 3.4)
                lines.append((elapsed, f"Failed password for invalid user {user} from {where} ssh2"))
            if rng.random() < 0.5:
                lines.append((elapsed + 0.1, f"Received disconnect from {ATTACKER} port {port}:11:"
                                             " Bye Bye [preauth]"))
                lines.append((elapsed + 0.1,
                              f"Disconnected from invalid user {user} {where} [preauth]"))
            else:
                lines.append((elapsed + 0.2,
                              f"Connection closed by invalid user {user} {where} [preauth]"))
        for offset, msg in lines:
            self.syslog(self.auth, t + timedelta(seconds=offset), "sshd", pid, msg)
        end = t + timedelta(seconds=lines[-1][0] + 0.01)
        n_auth = sum("Failed password" in m for _, m in lines)
        opk, rpk = 12 + 4 * n_auth + rng.randint(0, 3), 10 + 3 * n_auth + rng.randint(0, 3)
        ob = 1480 + 180 * n_auth + rng.randint(0, 120)
        rb = 1750 + 90 * n_auth + rng.randint(0, 120)
        c = self.conn(t, end, "em0", ATTACKER, port, GW, 22, "tcp", opk, rpk, ob, rb,
                      "ShAdDaFf", "ssh")
        self.ssh_scan_alert(t, c)
        banner = t + timedelta(seconds=rng.uniform(0.08, 0.2))
        ssh = {"ssh": {"client": {"proto_version": "2.0", "software_version": "libssh_0.9.6"},
                       "server": {"proto_version": "2.0", "software_version": "OpenSSH_9.7"}}}
        if self.limited(SIG_LIBSSH[0], ATTACKER, banner, 300):
            self.alert(banner, c, SIG_LIBSSH, app=ssh, pkts=(4, 3, 420, 380))
        self.event(banner, c, "ssh", **ssh)

    def blocked_retries(self) -> None:
        """After 02:15 the attacker's SYNs to port 22 meet rule 8.threat_feeds.0."""
        rng = self.rng
        t = TABLE_LOADED + timedelta(seconds=rng.uniform(9.0, 14.0))
        while t < RETRY_END:
            port = rng.randrange(32768, 61000)
            seq = rng.getrandbits(32)
            tsval = rng.getrandbits(31)
            sends = [t, t + timedelta(seconds=1.02), t + timedelta(seconds=3.06)]
            for i, when in enumerate(sends):
                self.pf(when, rulenr=8, subrulenr=0, ruleset="threat_feeds", ifname="em0",
                        src=ATTACKER, dst=GW, sport=port, dport=22, seq=seq, win=64240,
                        tcp_options=LINUX_SYN_OPTS(tsval + 1000 * i), ttl=51,
                        ip_id=rng.getrandbits(16), df=True)
            c = self.conn(t, sends[-1], "em0", ATTACKER, port, GW, 22, "tcp", 3, 0, 0, 0, "S",
                          None, hdr=60)
            for when in sends:  # the rule counts SYNs, retransmissions included
                self.ssh_scan_alert(when, c)
            t += timedelta(seconds=rng.uniform(20.0, 36.0))

    def beacon(self) -> None:
        rng = self.rng
        t = BEACON_START
        port = 50412
        ip_id = 21877
        n = 0
        while t <= BEACON_LAST:
            if n % 5 == 0:  # the resolver's answer has a TTL of 300 s
                self.dns(t - timedelta(seconds=rng.uniform(0.03, 0.08)))
            port += rng.randint(1, 4)
            if t < TABLE_LOADED:
                self.beacon_ok(t, port)
            else:
                self.beacon_blocked(t, port, ip_id)
            ip_id = (ip_id + rng.randint(3, 40)) & 0xFFFF
            n += 1
            t = BEACON_START + timedelta(seconds=60 * n + rng.uniform(-0.15, 0.15))

    def dns(self, t: datetime) -> None:
        sport = self.rng.randrange(49152, 65535)
        end = t + timedelta(seconds=self.rng.uniform(0.0008, 0.0031))
        self.conn(t, end, "em1", WORKSTATION, sport, RESOLVER, 53, "udp", 1, 1, 44, 60, "Dd",
                  "dns", hdr=28)

    def beacon_ok(self, t: datetime, port: int) -> None:
        rng = self.rng
        end = t + timedelta(seconds=rng.uniform(0.35, 0.9))
        ob, rb = rng.randint(1180, 1460), rng.randint(3900, 4400)
        c = self.conn(t, end, "em1", WORKSTATION, port, ATTACKER, 443, "tcp",
                      rng.randint(9, 12), rng.randint(8, 10), ob, rb, "ShADadFf", "ssl",
                      hdr=40)
        if self.limited(SIG_C2_IP[0], WORKSTATION, t, 300):
            self.alert(t, c, SIG_C2_IP, metadata=C2_METADATA, pkts=(1, 0, 66, 0))
        hello = t + timedelta(seconds=rng.uniform(0.05, 0.12))
        tls = {"tls": {"subject": f"CN={C2_DOMAIN}", "issuerdn": f"CN={C2_DOMAIN}",
                       "serial": "3A:1F:9C:07:44:D2:B8:61", "fingerprint":
                       "6e:2c:91:0b:5d:af:33:c8:12:7e:49:f0:a2:88:1d:c3:50:9b:e4:77",
                       "sni": C2_DOMAIN, "version": "TLS 1.2",
                       "notbefore": "2026-11-02T00:00:00", "notafter": "2027-11-02T00:00:00",
                       "ja3": {"hash": "72a589da586844d7f0818ce684948eea"}}}
        self.alert(hello, c, SIG_C2_SNI, app=tls, metadata=C2_METADATA, pkts=(4, 3, 771, 210))
        self.event(hello + timedelta(milliseconds=40), c, "tls", **tls)

    def beacon_blocked(self, t: datetime, port: int, ip_id: int) -> None:
        """The SYN passes in on em1 (rule @18), then dies out on em0 (8.threat_feeds.1).

        pf evaluated nat-to (@1) before the anchor, so the header carries the translated
        source, a fresh random port each time, since a blocked packet creates no state.
        """
        rng = self.rng
        seq = rng.getrandbits(32)
        sends = [t, t + timedelta(seconds=3.01), t + timedelta(seconds=9.02)]
        for i, when in enumerate(sends):
            self.pf(when, rulenr=8, subrulenr=1, ruleset="threat_feeds", direction="out",
                    ifname="em0", src=WORKSTATION, dst=ATTACKER, sport=port, dport=443,
                    seq=seq, win=64240, tcp_options=WINDOWS_SYN_OPTS, ttl=127,
                    ip_id=(ip_id + i) & 0xFFFF, df=True, translated_src=GW,
                    translated_sport=rng.randrange(50001, 65536))
        c = self.conn(t, sends[-1], "em1", WORKSTATION, port, ATTACKER, 443, "tcp", 3, 0, 0, 0,
                      "S", None, hdr=52)
        if self.limited(SIG_C2_IP[0], WORKSTATION, t, 300):
            self.alert(t, c, SIG_C2_IP, metadata=C2_METADATA, pkts=(1, 0, 66, 0))

    def noise(self) -> None:
        """Internet background radiation, blocked and logged."""
        rng = self.rng
        plan = [
            # (h, m, s, src, proto, dport, rule, kind)
            (1, 51, 12.4, "198.51.100.77", "tcp", 23, 2, "mirai"),
            (1, 53, 20.9, "198.18.7.44", "tcp", 3389, 8, "masscan"),
            (1, 55, 30.2, "198.51.100.143", "tcp", 445, 2, "zmap"),
            (2, 5, 51.7, "10.99.14.2", "tcp", 443, 7, "linux"),
            (2, 7, 44.1, "198.51.100.77", "tcp", 2323, 2, "mirai"),
            (2, 11, 5.3, "198.51.100.231", "udp", 5060, 2, "sip"),
            (2, 19, 33.8, "203.0.113.99", "tcp", 445, 8, "windows"),
            (2, 26, 51.0, "198.51.100.143", "tcp", 3389, 2, "zmap"),
            (2, 26, 51.6, "198.51.100.143", "tcp", 1433, 2, "zmap"),
            (2, 29, 10.5, "198.18.7.44", "tcp", 3389, 8, "masscan"),
            (2, 33, 40.2, "198.51.100.231", "udp", 1900, 2, "udp"),
            (2, 38, 2.9, "198.51.100.77", "tcp", 23, 2, "mirai"),
            (2, 42, 17.3, "198.18.7.61", "tcp", 445, 8, "masscan"),
        ]
        for h, m, s, src, proto, dport, rule, kind in plan:
            t = DAY + timedelta(hours=h, minutes=m, seconds=s + rng.uniform(0, 0.9))
            sport = rng.randrange(1024, 65535)
            kw: dict[str, Any] = {"ifname": "em0", "src": src, "dst": GW, "proto": proto,
                                  "sport": sport, "dport": dport, "rulenr": rule}
            if rule == 8:
                kw.update(subrulenr=0, ruleset="threat_feeds")
            if kind == "mirai":  # Mirai puts the target address in the sequence number
                kw.update(seq=int(ipaddress.ip_address(GW)), win=rng.randint(5000, 60000),
                          ttl=47, ip_id=rng.getrandbits(16))
            elif kind == "zmap":
                kw.update(seq=rng.getrandbits(32), win=65535, ttl=243, ip_id=54321)
            elif kind == "masscan":
                kw.update(seq=rng.getrandbits(32), win=1024, ttl=246, ip_id=rng.getrandbits(16),
                          tcp_options=(("mss", 1460),))
            elif kind == "windows":
                kw.update(seq=rng.getrandbits(32), win=8192, ttl=113, df=True,
                          ip_id=rng.getrandbits(16), tcp_options=WINDOWS_SYN_OPTS)
            elif kind == "linux":
                kw.update(seq=rng.getrandbits(32), win=29200, ttl=58, df=True,
                          ip_id=rng.getrandbits(16), tcp_options=LINUX_SYN_OPTS(
                              rng.getrandbits(31)))
            elif kind == "sip":
                kw.update(sport=5060, payload_len=431, ttl=51, ip_id=rng.getrandbits(16))
            else:
                kw.update(payload_len=94, ttl=52, ip_id=rng.getrandbits(16))
            self.pf(t, **kw)
            wire = self.pflog[-1].packet_len  # a bare SYN, or a UDP datagram and payload
            hdr, size = (wire, 0) if proto == "tcp" else (28, wire - 28)
            c = self.conn(t, t, "em0", src, kw["sport"], GW, dport, proto, 1, 0, size, 0,
                          "S" if proto == "tcp" else "D", None, hdr=hdr)
            if kind == "sip":
                self.alert(t, c, SIG_SIPVICIOUS, pkts=(1, 0, 473, 0))
            elif src == "198.51.100.143" and self.limited(SIG_CINS[0], src, t, 3600):
                self.alert(t, c, SIG_CINS, pkts=(1, 0, 54, 0))

    def admin_session(self) -> None:
        """The on-call engineer looks at the block from the NOC (admin_nets, rule @14)."""
        start = DAY + timedelta(hours=2, minutes=24, seconds=8, microseconds=611402)
        end = DAY + timedelta(hours=2, minutes=41, seconds=37, microseconds=90211)
        pid = self.pid()
        port = 51872
        key = "SHA256:q3Vd8m1Q0ZrW7yTt2bN5cKx4hLs9fUe6oPa1iRj0GvE"
        self.syslog(self.auth, start + timedelta(seconds=0.41), "sshd", pid,
                    f"Accepted publickey for mkoenig from {NOC_ADMIN} port {port} ssh2: "
                    f"ED25519 {key}")
        commands = [
            (2, 25, 2, "pfctl -a threat_feeds -t threat_feeds -T show"),
            (2, 25, 40, f"pfctl -a threat_feeds -t threat_feeds -T test {ATTACKER}"),
            (2, 27, 13, f"tcpdump -n -e -ttt -r /var/log/pflog host {ATTACKER}"),
            (2, 34, 55, "bgpctl show neighbor upstream-a"),
        ]
        for h, m, s, cmd in commands:
            self.syslog(self.auth, DAY + timedelta(hours=h, minutes=m, seconds=s), "doas", None,
                        f"mkoenig ran command {cmd} as root from /home/mkoenig")
        self.syslog(self.auth, end, "sshd", pid,
                    f"Received disconnect from {NOC_ADMIN} port {port}:11: disconnected by user")
        self.syslog(self.auth, end, "sshd", pid,
                    f"Disconnected from user mkoenig {NOC_ADMIN} port {port}")
        c = self.conn(start, end, "em0", NOC_ADMIN, port, GW, 22, "tcp", 412, 398, 18344,
                      96120, "ShADadFf", "ssh", hdr=52)
        self.event(start + timedelta(seconds=0.12), c, "ssh", ssh={
            "client": {"proto_version": "2.0", "software_version": "OpenSSH_9.6"},
            "server": {"proto_version": "2.0", "software_version": "OpenSSH_9.7"}})

    def daemons(self) -> None:
        at = lambda h, m, s: DAY + timedelta(hours=h, minutes=m, seconds=s)  # noqa: E731
        bgpd, ntpd = self.pid(), self.pid()
        peer = f"neighbor {UPSTREAM_A} (upstream-a)"
        self.syslog(self.daemon, at(1, 52, 31), "ntpd", ntpd, "adjusting local clock by -0.013287s")
        refresh = [(2, 0, 2, "5 entries, no change"),
                   (2, 15, 0, f"6 entries, 1 added ({ATTACKER}), 0 removed"),
                   (2, 30, 2, "6 entries, no change"),
                   (2, 45, 2, "6 entries, no change")]
        for h, m, s, what in refresh:
            pid = self.pid()
            self.syslog(self.daemon, at(h, m, s), "feed2pf", pid,
                        f"opencti: wrote /etc/pf/threat_feeds.txt: {what} (minimum confidence 70)")
            if "added" in what:
                self.syslog(self.daemon, TABLE_LOADED, "feed2pf", pid,
                            "table <threat_feeds> in anchor threat_feeds replaced: "
                            "1 address added, 0 deleted")
        events = [
            (2, 31, 14.2, f"{peer}: sending notification: HoldTimer expired"),
            (2, 31, 14.2, f"{peer}: state change Established -> Idle, reason: HoldTimer expired"),
            (2, 31, 44.3, f"{peer}: state change Idle -> Connect, reason: Start"),
            (2, 32, 59.4, f"{peer}: state change Connect -> Active, reason: Connection open failed"),
            (2, 33, 21.1, f"{peer}: state change Active -> OpenSent, reason: Connection opened"),
            (2, 33, 21.2, f"{peer}: state change OpenSent -> OpenConfirm, reason: OPEN message "
                          "received"),
            (2, 33, 21.3, f"{peer}: state change OpenConfirm -> Established, reason: KEEPALIVE "
                          "message received"),
            (2, 33, 21.4, f"{peer}: sending IPv4 unicast EOR marker"),
            (2, 34, 2.8, f"{peer}: received IPv4 unicast EOR marker"),
        ]
        for h, m, s, msg in events:
            self.syslog(self.daemon, at(h, m, s), "bgpd", bgpd, msg)
        self.syslog(self.daemon, at(2, 38, 47), "ntpd", ntpd, "adjusting local clock by 0.004102s")
        # bgpd's own connection attempts to upstream A while it was down, as Zeek saw them
        start = at(2, 31, 44.31)
        self.conn(start, start + timedelta(seconds=74.9), "em0", GW, 40967, UPSTREAM_A, 179,
                  "tcp", 6, 0, 0, 0, "S", None, hdr=64)

    def run(self) -> Scenario:
        self.brute_force()
        self.blocked_retries()
        self.beacon()
        self.noise()
        self.admin_session()
        self.daemons()
        return self


# ------------------------------------------------------------------------- writers


def zeek_conn_log(conns: list[Conn]) -> str:
    rows = []
    for c in conns:
        single = c.orig_pkts + c.resp_pkts <= 1
        hdr = c.hdr
        state = ("S0" if c.resp_pkts == 0 else "SF")
        dur = (c.end - c.start).total_seconds()
        row = [
            f"{c.start.timestamp():.6f}", c.uid, c.src, str(c.sport), c.dst, str(c.dport),
            c.proto, c.service or "-", "-" if single else f"{dur:.6f}",
            "-" if single else str(c.orig_bytes), "-" if single else str(c.resp_bytes),
            state, is_local(c.src), is_local(c.dst), "0", c.history, str(c.orig_pkts),
            str(c.orig_pkts * hdr + c.orig_bytes), str(c.resp_pkts),
            str(c.resp_pkts * hdr + c.resp_bytes), "-", "6" if c.proto == "tcp" else "17",
        ]
        rows.append((c.end + timedelta(seconds=1), c.start, "\t".join(row)))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = [
        "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
        "#path\tconn", f"#open\t{WINDOW_START:%Y-%m-%d-%H-%M-%S}",
        "#fields\t" + "\t".join(ZEEK_FIELDS), "#types\t" + "\t".join(ZEEK_TYPES),
    ]
    out += [r[2] for r in rows]
    out.append(f"#close\t{WINDOW_END:%Y-%m-%d-%H-%M-%S}")
    return "\n".join(out) + "\n"


def flow_events(sc: Scenario) -> None:
    """Suricata's flow records, written when each flow times out."""
    for c in sc.conns:
        syn_only = c.resp_pkts == 0
        timeout = (60 if c.proto == "tcp" else 30) + sc.rng.uniform(0.5, 4.5)
        t = c.end + timedelta(seconds=timeout)
        pkt = c.hdr + 14  # Suricata counts the Ethernet header too
        flow = {
            "pkts_toserver": c.orig_pkts, "pkts_toclient": c.resp_pkts,
            "bytes_toserver": c.orig_bytes + c.orig_pkts * pkt,
            "bytes_toclient": c.resp_bytes + c.resp_pkts * pkt,
            "start": eve_time(c.start), "end": eve_time(c.end),
            "age": int((c.end - c.start).total_seconds()),
            "state": "new" if syn_only else "closed" if c.proto == "tcp" else "established",
            "reason": "timeout",
            "alerted": c.alerted,
        }
        extra: dict[str, Any] = {}
        if c.service:
            extra["app_proto"] = "tls" if c.service == "ssl" else c.service
        extra["flow"] = flow
        if c.proto == "tcp":
            extra["tcp"] = ({"tcp_flags": "02", "tcp_flags_ts": "02", "tcp_flags_tc": "00",
                             "syn": True, "state": "syn_sent"} if syn_only else
                            {"tcp_flags": "1b", "tcp_flags_ts": "1b", "tcp_flags_tc": "1b",
                             "syn": True, "fin": True, "psh": True, "ack": True,
                             "state": "closed"})
        sc.event(t, c, "flow", **extra)


def generate(out_dir: Path | str | None = None, seed: int = SEED) -> dict[str, Path]:
    """Write every demo source under out_dir (default askzero/demo); return the paths."""
    out = Path(out_dir) if out_dir is not None else ROOT / "askzero" / "demo"
    sc = Scenario(seed).run()
    flow_events(sc)
    paths = {
        "pflog": out / "var/log/pflog",
        "authlog": out / "var/log/authlog",
        "daemon": out / "var/log/daemon",
        "eve": out / "var/log/suricata/eve.json",
        "conn": out / "var/log/zeek/conn.log",
        "stix": out / "intel/opencti-bundle.json",
        "csv": out / "intel/blocklist.csv",
    }
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    write_pflog(paths["pflog"], sorted(sc.pflog, key=lambda r: r.time))
    for key, bucket in (("authlog", sc.auth), ("daemon", sc.daemon)):
        paths[key].write_text("".join(line + "\n" for _, _, line in sorted(bucket)))
    eve = sorted(sc.eve, key=lambda e: (e[0], e[1]))
    paths["eve"].write_text("".join(json.dumps(ev, separators=(",", ":")) + "\n"
                                    for _, _, ev in eve))
    paths["conn"].write_text(zeek_conn_log(sc.conns))
    paths["stix"].write_text(json.dumps(stix_bundle(), indent=2) + "\n")
    paths["csv"].write_text(BLOCKLIST_CSV)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    for name, path in generate(args[0] if args else None).items():
        print(f"{name:8} {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
