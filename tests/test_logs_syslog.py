"""BSD syslog reader: headers, year inference, sshd/doas/su/bgpd/fail2ban messages, resume."""

from __future__ import annotations

import csv
import gzip
import json
import re
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.logs import syslog
from askzero.logs.lines import Position
from askzero.logs.record import Event, Malformed
from askzero.logs.syslog_messages import interpret
from tests.conftest import DEMO, SHARED

SAMPLES = SHARED / "samples" / "syslog"
REF = datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp()  # any fixed reference


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def clock(t: float | None) -> str:
    """Month, day and time of a POSIX time (files whose lines are not in order get odd years)."""
    assert t is not None
    return datetime.fromtimestamp(t, timezone.utc).strftime("%m-%d %H:%M:%S")


def read_all(path: Path, start: Position = Position(), reference: float = REF) -> tuple[list, Position]:
    reading = syslog.read(path, start, reference=reference)
    items = list(reading)
    return items, reading.position


def events(path: Path, reference: float = REF) -> dict[int, Event]:
    return {e.line: e for e in read_all(path, reference=reference)[0] if isinstance(e, Event)}


# file -> (events, malformed, events by kind); malformed lines are fail2ban's "# failJSON"
# annotations, bgpd's "--snip--" and one journal line without time
COUNTS = {
    "authlog/crowdsec_opnsense-sshd.log": (10, 0, {"auth": 10}),
    "authlog/crowdsec_ssh-bf.log": (6, 0, {"auth": 6}),
    "authlog/crowdsec_sshd-invalid-bf.log": (6, 0, {"auth": 6}),
    "authlog/crowdsec_sshd-logs.log": (24, 0, {"auth": 24}),
    "authlog/fail2ban_bsd_syslog-plain.txt": (3, 0, {"auth": 3}),
    "authlog/fail2ban_bsd_syslog-v.txt": (10, 0, {"auth": 10}),
    "authlog/fail2ban_bsd_syslog-vv.txt": (5, 0, {"auth": 5}),
    "authlog/fail2ban_dropbear": (10, 10, {"auth": 10}),
    "authlog/fail2ban_pam-generic": (9, 10, {"auth": 9}),
    "authlog/fail2ban_sshd": (155, 193, {"auth": 155}),
    "bgpd/openbgpd-lab_daemon-log.txt": (24, 1, {"bgp": 24}),
    "fail2ban-bans/fail2ban_portsentry": (1, 2, {"block": 1}),  # its last line has no newline yet
    "fail2ban-bans/fail2ban_recidive": (8, 12, {"block": 8}),
    "pflog-and-filterlog/crowdsec_pf-logs.log": (9, 0, {"other": 9}),
    "pflog-and-filterlog/crowdsec_pf-scan-multi-port.log": (16, 0, {"other": 16}),
    "pflog-and-filterlog/wazuh_pf_decoder_examples.txt": (6, 0, {"other": 6}),
    "wazuh-ruleset-examples/openbsd_decoders_comment_examples.txt": (8, 0, {"other": 8}),
}
SAMPLE_FILES = [SAMPLES / name for name in COUNTS]


@pytest.mark.parametrize("name", COUNTS)
def test_counts_per_sample_file(name: str) -> None:
    items, _ = read_all(SAMPLES / name)
    found = [i for i in items if isinstance(i, Event)]
    bad = [i for i in items if isinstance(i, Malformed)]
    assert (len(found), len(bad), dict(Counter(e.kind for e in found))) == COUNTS[name]
    assert all(isinstance(i, (Event, Malformed)) for i in items)
    assert all(m.reason == "no syslog header" for m in bad)


def test_every_sample_folder_is_covered() -> None:
    for folder in ("authlog", "bgpd", "fail2ban-bans"):
        for path in (SAMPLES / folder).iterdir():
            assert f"{folder}/{path.name}" in COUNTS


def test_plain_bsd_line_fields() -> None:
    line = ("Apr  2 17:53:01 pancake sshd[55657]: Failed keyboard-interactive/pam for invalid user oracle"
            " from 192.0.2.100 port 48856 ssh2")
    e = events(SAMPLES / "authlog/fail2ban_bsd_syslog-plain.txt")[3]
    assert e.raw == line
    assert (e.source, e.kind, e.action, e.signature) == ("syslog", "auth", "failed", "sshd failed keyboard-interactive/pam")
    assert (e.src, e.sport, e.proto, e.user, e.host) == ("192.0.2.100", 48856, "tcp", "oracle", "pancake")
    assert e.time == utc(2024, 4, 2, 17, 53, 1)
    assert e.message == "Failed keyboard-interactive/pam for invalid user oracle from 192.0.2.100 port 48856 ssh2"
    assert e.extra == {"program": "sshd", "pid": "55657", "tz": "assumed-utc", "year": "inferred",
                       "method": "keyboard-interactive/pam", "invalid_user": True}
    assert (e.line, e.offset) == (3, 185)


def test_syslogd_v_and_vv_priority_tokens() -> None:
    v = events(SAMPLES / "authlog/fail2ban_bsd_syslog-v.txt")
    assert (v[1].extra["facility"], v[1].extra["priority"]) == ("auth", "err")  # <4.3>
    assert (v[2].extra["facility"], v[2].extra["priority"]) == ("auth", "info")  # <4.6>
    assert (v[2].host, v[2].user, v[2].src, v[2].action) == ("pancake", "r00t", "192.0.2.100", "invalid-user")
    vv = events(SAMPLES / "authlog/fail2ban_bsd_syslog-vv.txt")
    assert (vv[1].extra["facility"], vv[1].extra["priority"]) == ("auth", "info")
    assert (vv[5].user, vv[5].src, vv[5].time) == ("nagios", "183.60.159.20", utc(2024, 3, 19, 23, 50, 8))


def test_rfc5424_lines() -> None:
    e = events(SAMPLES / "authlog/crowdsec_opnsense-sshd.log")[1]
    assert e.time == utc(2022, 1, 19, 14, 23, 55)
    assert (e.host, e.extra["program"], e.extra["pid"]) == ("OPNsense.localdomain", "sshd", "44255")
    assert e.extra["sd"] == '[meta sequenceId="1"]'
    assert (e.extra["facility"], e.extra["priority"]) == ("auth", "info")  # <38>
    assert (e.action, e.user, e.src, e.sport) == ("invalid-user", "tutu", "1.2.3.4", 33166)
    assert e.message == "Invalid user tutu from 1.2.3.4 port 33166"
    assert "tz" not in e.extra
    sshd = events(SAMPLES / "authlog/fail2ban_sshd")
    e = sshd[415]  # "]" inside a quoted structured-data value
    assert e.extra["sd"] == '[timeQuality tzKnown="1" isSynced="0"][xxx@123 test="[brackets]"]'
    assert e.message.startswith("Failed unknown for invalid user redmond from 192.0.2.2")
    assert e.time == pytest.approx(utc(2019, 7, 8, 21, 40, 17) + 0.954167)
    assert (e.user, e.src, e.sport) == ("redmond", "192.0.2.2", 55555)


def test_iso_and_yearful_timestamps() -> None:
    sshd = events(SAMPLES / "authlog/fail2ban_sshd")
    e = sshd[222]
    assert e.time == pytest.approx(utc(2015, 4, 16, 18, 2, 50) + 0.321974)
    assert (e.host, e.signature, e.src, e.user) == ("host", "pam authentication failure", "192.0.2.112", "root")
    header = syslog.parse_header("2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: error: PAM: x")
    assert header is not None and header.time == pytest.approx(utc(2020, 3, 23, 13, 47, 42) + 0.801612)
    assert header.host == "localhost" and header.program == "sshd"
    header = syslog.parse_header("2015 Nov 13 13:40:01 ether rsyslogd-2177: imuxsock begins")
    assert header is not None and header.time == utc(2015, 11, 13, 13, 40, 1)
    assert (header.host, header.program, header.extra["tz"]) == ("ether", "rsyslogd-2177", "assumed-utc")


def test_header_variants_without_host_or_with_bracket_tags() -> None:
    sshd = events(SAMPLES / "authlog/fail2ban_sshd")
    assert (sshd[43].host, sshd[43].extra["program"], sshd[43].src) == (None, "sshd", "211.188.220.49")  # "[sshd]:"
    assert (sshd[96].host, sshd[96].extra["program"], sshd[96].src) == (None, "sshd", "1.2.3.4")  # "[sshd] User"
    assert (sshd[180].host, sshd[180].extra["pid"], sshd[180].user) == (None, "8148", "root")  # "sshd[8148]:"
    assert sshd[24].extra["program"] == "sshd-session" and sshd[24].kind == "auth"
    assert clock(sshd[24].time) == "07-03 14:59:17"  # single-space day, "Jul  3"
    bf = events(SAMPLES / "authlog/crowdsec_sshd-logs.log")
    assert clock(bf[12].time) == "08-03 21:39:20"  # zero-padded "Aug 03"
    assert clock(bf[16].time) == "02-08 17:15:01"  # "Feb 8"
    header = syslog.parse_header("Nov 20 01:58:29 gw1 last message repeated 2 times")
    assert header is not None
    assert (header.host, header.program, header.message) == ("gw1", None, "last message repeated 2 times")


def _fail2ban_expectations(path: Path) -> dict[int, dict]:
    """fail2ban's "# failJSON: {...}" annotation applies to the next line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return {n + 1: json.loads(text[len("# failJSON:"):]) for n, text in enumerate(lines, 1)
            if text.startswith("# failJSON:")}


# file -> (annotated failures whose address we read, annotated failures with no address in the line)
FAIL2BAN = {"authlog/fail2ban_sshd": (97, 11), "authlog/fail2ban_dropbear": (10, 0),
            "authlog/fail2ban_pam-generic": (8, 0), "fail2ban-bans/fail2ban_recidive": (6, 0),
            "fail2ban-bans/fail2ban_portsentry": (1, 0)}


@pytest.mark.parametrize("name", FAIL2BAN)
def test_addresses_and_clock_agree_with_fail2ban_annotations(name: str) -> None:
    """fail2ban's own expected host per line; sshd lines that name no address (fail2ban finds
    it by pid in earlier lines) are the only ones without one."""
    path = SAMPLES / name
    found = events(path)
    matched = missing = 0
    for line, expected in _fail2ban_expectations(path).items():
        e = found.get(line)
        if e is None:
            continue  # the journal line without a time, the unterminated last line
        if "time" in expected and e.extra.get("tz") == "assumed-utc":
            assert clock(e.time) == expected["time"][5:].replace("T", " "), line
        if expected.get("match") and "host" in expected:
            if e.src is None and "rhost" not in e.extra:
                missing += 1
                assert re.search(r"\d+\.\d+\.\d+\.\d+", e.message) is None, line
            else:
                assert expected["host"] in (e.src, e.extra.get("rhost")), line
                matched += 1
    assert (matched, missing) == FAIL2BAN[name]


def test_injected_user_names_do_not_move_the_address() -> None:
    sshd = events(SAMPLES / "authlog/fail2ban_sshd")
    assert (sshd[143].src, sshd[143].user) == ("127.0.0.1", "from 10.10.1.1")
    assert (sshd[145].src, sshd[145].sport, sshd[145].user) == ("127.0.0.1", 58946, "test from 10.10.1.2 port 55555 ssh2")
    assert (sshd[147].src, sshd[147].user) == ("127.0.0.1", "test")
    assert (sshd[135].src, sshd[135].user) == ("127.0.0.1", "user")  # ": ruser from 1.2.3.4"
    assert (sshd[315].src, sshd[315].sport, sshd[315].user) == ("192.0.2.11", 46039, "test 127.0.0.1 port 12345")
    assert sshd[283].src == "69.61.56.115"
    pam = events(SAMPLES / "authlog/fail2ban_pam-generic")
    assert (pam[21].src, pam[21].user) == ("192.0.2.1", "test rhost=192.0.2.151")
    assert (pam[23].src, pam[23].user) == ("192.0.2.2", "test rhost=192.0.2.152")


def test_sshd_messages() -> None:
    sshd = events(SAMPLES / "authlog/fail2ban_sshd")
    cases = {  # line: (action, signature, user, src, sport)
        28: ("refused", "sshd root login refused", "root", "1.2.3.4", None),
        32: ("refused", "sshd root login refused", "root", "1.2.3.4", None),  # ::ffff:1.2.3.4
        15: ("failed", "sshd failed password", "ROOT", "aaaa:bbbb:cccc:1234::1:1", 50273),
        163: ("accepted", "sshd accepted publickey", "git", "192.0.2.1", 57904),
        211: ("failed", "sshd maximum authentication attempts exceeded", "root", "61.0.0.1", 49940),
        271: ("disconnected", "sshd disconnected", "admin", "192.0.2.6", 33553),
        311: ("disconnected", "sshd connection closed", "root", "192.0.2.10", 46038),
        49: ("refused", "sshd refused connect", None, "218.249.210.161", None),
        60: ("refused", "sshd user not allowed", "root", "46.45.128.3", None),
        374: ("disconnected", "sshd received disconnect", None, "192.168.2.92", 1684),
    }
    for line, expected in cases.items():
        e = sshd[line]
        assert (e.action, e.signature, e.user, e.src, e.sport) == expected, line
    assert sshd[9].src == "2606:2800:220:1:248:1893:25c8:1946"
    assert sshd[7].src is None and sshd[7].extra["rhost"] == "example.com"  # a host name is not an address
    assert (sshd[357].dst, sshd[357].dport) == ("192.0.2.16", 22)  # Connection from A port P on B port 22
    assert sshd[64].user is None and sshd[64].extra["invalid_user"] is True  # "<invalid username>"
    logs = events(SAMPLES / "authlog/crowdsec_sshd-logs.log")
    assert (logs[7].action, logs[7].user, logs[7].extra["invalid_user"]) == ("disconnected", "ftp", True)
    assert logs[9].signature is None  # "Disconnected from totobad user ...": not a form sshd writes
    assert (logs[24].action, logs[24].src, logs[24].extra["name"]) == ("refused", "192.168.1.1", "example.com")


WAZUH_RULESET = SAMPLES / "wazuh-ruleset-examples/wazuh_ruleset_test_lines.tsv"
# message (first 90 characters) -> (action, user, src) for every sshd/doas/su line of the Wazuh tests
WAZUH_AUTH = {
    'error: Could not stat AuthorizedKeysCommand "/usr/local/sbin/ssh-ldap-authorized_keys": No': (None, None, None),
    'Read error from remote host 192.168.1.1: Connection reset by peer': (None, None, '192.168.1.1'),
    'debug1: channel 5: connection failed: Connection refused': (None, None, None),
    'debug1: channel 3: connection failed: Connection timed out': (None, None, None),
    'debug1: channel 1: connection failed: No route to host': (None, None, None),
    'debug1: server_input_channel_open: failure direct-tcpip': (None, None, None),
    'debug1: getpeername failed: Transport endpoint is not connected': (None, None, None),
    'debug1: get_remote_port failed': (None, None, None),
    'Disconnecting: bad client public DH value [preauth]': (None, None, None),
    'Disconnecting: bad client public DH value': (None, None, None),
    'Corrupted MAC on input. [preauth]': (None, None, None),
    'Corrupted MAC on input.': (None, None, None),
    'Bad packet length 4081586742. [preauth]': (None, None, None),
    'Bad packet length 4081586742.': (None, None, None),
    'fatal: Unable to negotiate with 202.191.177.33 port 3579: no matching cipher found. Their ': (None, None, '202.191.177.33'),
    'fatal: Unable to negotiate with 108.229.36.174: no matching key exchange method found. The': (None, None, '108.229.36.174'),
    'fatal: Unable to negotiate a key exchange method [preauth]': (None, None, None),
    'Postponed keyboard-interactive for invalid user warez from 192.241.237.101 port 54197 ssh2': (None, 'warez', '192.241.237.101'),
    'error: PAM: User not known to the underlying authentication module for illegal user warez ': ('failed', 'warez', '192.241.237.101'),
    'Invalid user opcione from 192.241.237.101': ('invalid-user', 'opcione', '192.241.237.101'),
    'input_userauth_request: invalid user opcione [preauth]': ('invalid-user', 'opcione', None),
    'error: PAM: unknown user for illegal user badguy from 192.168.33.1': ('failed', 'badguy', '192.168.33.1'),
    'Failed keyboard-interactive/pam for invalid user user from 172.18.1.1 port 32982 ssh2': ('failed', 'user', '172.18.1.1'),
    'Failed keyboard-interactive/pam for invalid user warez from 192.241.237.101 port 54197 ssh': ('failed', 'warez', '192.241.237.101'),
    'error: PAM: authentication error for illegal user badguy from 192.168.33.1': ('failed', 'badguy', '192.168.33.1'),
    'Failed password for invalid user sammy from 82.202.219.155 port 51676 ssh2': ('failed', 'sammy', '82.202.219.155'),
    'pam_systemd(sshd:session): Failed to create session: Access denied': (None, None, None),
    'Authentication refused: bad ownership or modes for file /home/ansible/.ssh/authorized_keys': (None, None, None),
    'subsystem request for netconf by user checker failed, subsystem not found': (None, None, None),
    '[ID 800047 auth.notice] Failed none for root from 192.168.1.1 port 36942 ssh2': ('failed', 'root', '192.168.1.1'),
    'Address 192.168.18.54 maps to nmap.18.168.192.in-addr.arpa, but this does not map back to ': (None, None, '192.168.18.54'),
    'Address 192.168.33.1 maps to hostname, but this does not map back to the address - POSSIBL': (None, None, '192.168.33.1'),
    'error: maximum authentication attempts exceeded for root from 183.106.179.x port 34100 ssh': ('failed', 'root', None),
    'error: maximum authentication attempts exceeded for invalid user badguy from 192.168.33.1 ': ('failed', 'badguy', '192.168.33.1'),
    'error: maximum authentication attempts exceeded for user from 192.168.33.1 port 55764 ssh2': ('failed', 'user', '192.168.33.1'),
    'error: PAM: authentication error for user from 192.168.33.1': ('failed', 'user', '192.168.33.1'),
    'Failed password for user from 172.18.1.100 port 43042 ssh2': ('failed', 'user', '172.18.1.100'),
    'Connection closed by 10.0.2.2 port 55462 [preauth]': ('disconnected', None, '10.0.2.2'),
    'Disconnected from user user 172.18.1.100 port 43042': ('disconnected', 'user', '172.18.1.100'),
    'Disconnected from invalid user root 172.18.1.100 port 43042': ('disconnected', 'root', '172.18.1.100'),
    'Disconnecting invalid user root 172.18.1.100 port 43042': ('disconnected', 'root', '172.18.1.100'),
    'Did not receive identification string from 172.18.1.1 port 45824': (None, None, '172.18.1.1'),
    'Connection reset by authenticating user user 192.168.33.1 port 51772 [preauth]': ('disconnected', 'user', '192.168.33.1'),
    'User root from 192.168.33.1 not allowed because not listed in AllowUsers': ('refused', 'root', '192.168.33.1'),
    'User root from 172.18.1.100 not allowed because listed in DenyUsers': ('refused', 'root', '172.18.1.100'),
    'reverse mapping checking getaddrinfo for hostname [172.18.1.1] failed - POSSIBLE BREAK.': (None, None, '172.18.1.1'),
    "Bad protocol version identification 'ls' from 172.18.1.1 port 59920": (None, None, '172.18.1.1'),
    'Invalid user user from 212.64.151.233': ('invalid-user', 'user', '212.64.151.233'),
    'failed command for ddp2: ls': ('refused', 'ddp2', None),
    'ddp ran command /bin/ksh as root from /data/ddp/projects/git/sysconf/ossec/rules': ('accepted', 'ddp', None),
    'failed auth for ddp': ('failed', 'ddp', None),
    'ddp ran command as ddpnfs: ls': ('accepted', 'ddp', None),
    'failed: ttyq4 changing from ldap to root': ('failed', 'ldap', None),
    'BAD SU ger to fwmaster on /dev/ttyp0': ('failed', 'ger', None),
    'authentication failure; logname= uid=1342 euid=0 tty= ruser=dcid rhost=  user=osaudit': ('failed', 'osaudit', None),
    'authentication failure; logname= uid=1342 euid=0 tty= ruser=dcid rhost=  user=root': ('failed', 'root', None),
    'dcid to root on /dev/ttyp1': ('accepted', 'dcid', None),
}


def test_wazuh_ruleset_auth_lines() -> None:
    with open(WAZUH_RULESET, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["ini_file"] in ("sshd.ini", "doas.ini", "su.ini")]
    assert len(rows) == 80
    seen = set()
    for row in rows:
        header = syslog.parse_header(row["log_line"])
        assert header is not None, row["log_line"]
        parsed = interpret(header.program, header.message)
        key = header.message.strip()[:90]
        assert parsed.kind == "auth", key
        assert (parsed.action, parsed.user, parsed.src) == WAZUH_AUTH[key], key
        seen.add(key)
    assert seen == set(WAZUH_AUTH)


def test_wazuh_ruleset_lines_all_have_headers() -> None:
    with open(WAZUH_RULESET, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == 116
    kinds = Counter()
    for row in rows:
        header = syslog.parse_header(row["log_line"])
        assert header is not None, row["log_line"]
        kinds[interpret(header.program, header.message).kind] += 1
    assert kinds == {"auth": 95, "other": 21}  # sudo, PAM and dropbear lines are auth too


def test_bgpd_stderr_output() -> None:
    path = SAMPLES / "bgpd/openbgpd-lab_daemon-log.txt"
    items, _ = read_all(path)
    assert isinstance(items[0], Malformed) and items[0].sample == "--snip--"
    found = events(path)
    e = found[11]
    assert e.raw == "neighbor 192.168.0.2: state change OpenConfirm -> Established, reason: KEEPALIVE message received"
    assert (e.kind, e.signature, e.src, e.time, e.host, e.action) == ("bgp", "state change", "192.168.0.2", None, None, "up")
    assert (e.extra["from"], e.extra["to"]) == ("OpenConfirm", "Established")
    assert e.extra["reason"] == "KEEPALIVE message received"
    assert e.extra["program"] == "bgpd"
    assert (found[13].signature, found[13].extra["afi"]) == ("EOR received", "IPv4 unicast")
    assert (found[14].signature, found[14].extra["nexthop"]) == ("nexthop valid", "192.168.0.2")
    assert found[3].signature == "reconfigured" and found[3].message == "RDE reconfigured"
    changes = [e for e in found.values() if e.signature == "state change"]
    assert len(changes) == 10 and {e.src for e in changes} == {"192.168.0.1", "192.168.0.2"}


def test_bgpd_messages_in_syslog() -> None:
    def parse(message: str) -> object:
        return interpret("bgpd", message)

    p = parse("neighbor 198.51.100.1 (upstream-a): received notification: Cease, maximum number of prefixes reached")
    assert (p.kind, p.signature, p.src) == ("bgp", "notification received", "198.51.100.1")
    assert p.extra == {"neighbor_descr": "upstream-a", "notification": "Cease, maximum number of prefixes reached"}
    p = parse("neighbor 2001:db8::1 (peer (v6)): prefix limit reached (>1001/1000)")
    assert (p.signature, p.src, p.extra["count"], p.extra["limit"]) == ("max-prefix exceeded", "2001:db8::1", "1001", "1000")
    assert p.extra["neighbor_descr"] == "peer (v6)"
    p = parse("neighbor 192.0.2.9: outbound prefix limit reached (>11/10)")
    assert (p.signature, p.src) == ("max-prefix out exceeded", "192.0.2.9")
    p = parse("neighbor 10.0.0.0/8 (ibgp-range): state change Established -> Idle, reason: Stop")
    assert (p.signature, p.src, p.action, p.extra["to"]) == ("state change", "10.0.0.0", "down", "Idle")
    p = parse("connection from non-peer 203.0.113.9 refused")
    assert (p.signature, p.src) == ("non-peer refused", "203.0.113.9")
    assert parse("some new message").kind == "bgp"


def test_relayd_fail2ban_portsentry_and_other_programs() -> None:
    p = interpret("relayd", "host 10.0.0.5, check http code (5ms,http code ok), state unknown -> up, availability 100.00%")
    assert (p.kind, p.signature, p.dst, p.action) == ("daemon", "host state change", "10.0.0.5", "up")
    assert p.extra["from"] == "unknown" and p.extra["availability"] == "100.00%"
    assert interpret("relayd", "table webhosts: 1 added, 0 deleted").extra == {"table": "webhosts"}
    p = interpret("portsentry", "attackalert: Connect from host: scanner.example/198.51.100.4 to TCP port: 111")
    assert (p.kind, p.src, p.dport, p.proto, p.extra["name"]) == ("alert", "198.51.100.4", 111, "tcp", "scanner.example")
    p = interpret("pf", "Mar 30 15:32:33.483712 rule 2/(match) pass in on xl0: 1.2.3.4.6667 > 5.6.7.8.1: P")
    assert (p.kind, p.src, p.signature) == ("other", None, None)
    p = interpret("ftpd", "pam_unix(ftp:session): session opened for user bob")
    assert p.kind == "other"  # sessions of other services are not auth events
    recidive = events(SAMPLES / "fail2ban-bans/fail2ban_recidive")
    e = recidive[19]  # fail2ban-server[pid]: fail2ban.actions [pid]: NOTICE [jail] Ban
    assert (e.kind, e.action, e.signature, e.src, e.host) == ("block", "ban", "fail2ban ban", "192.0.2.2", "test.org")
    assert e.extra["jail"] == "postfix-auth" and clock(e.time) == "03-05 08:41:28"
    assert (recidive[6].action, recidive[6].time) == ("unban", pytest.approx(utc(2006, 2, 13, 16, 7, 31) + 0.183))
    sentry = events(SAMPLES / "fail2ban-bans/fail2ban_portsentry")[2]
    assert (sentry.kind, sentry.action, sentry.src) == ("block", "block", "192.168.56.1")
    assert (sentry.dport, sentry.proto) == (1, "tcp")
    assert sentry.time == 1403884279.0 and sentry.extra["program"] == "portsentry"


def test_doas_su_sudo_dropbear() -> None:
    p = interpret("doas", "ddp ran command /bin/ksh as root from /data/ddp/projects/git/sysconf/ossec/rules")
    assert (p.kind, p.action, p.user) == ("auth", "accepted", "ddp")
    assert (p.extra["target"], p.extra["command"]) == ("root", "/bin/ksh")
    assert p.extra["cwd"] == "/data/ddp/projects/git/sysconf/ossec/rules"
    p = interpret("su", "BAD SU ger to fwmaster on /dev/ttyp0")
    assert (p.action, p.user, p.extra) == ("failed", "ger", {"target": "fwmaster", "tty": "/dev/ttyp0"})
    p = interpret("sudo", "    mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls")
    assert (p.action, p.user, p.extra["command"], p.extra["target"]) == ("failed", "mike", "/bin/ls", "root")
    drop = events(SAMPLES / "authlog/fail2ban_dropbear")
    assert (drop[4].host, drop[4].src, drop[4].sport, drop[4].action) == (None, "198.51.100.215", 60495, "invalid-user")
    assert (drop[18].src, drop[18].user, drop[18].action) == ("1.2.3.4", "root", "failed")  # "[825] Jul 10 ..." prefix
    assert (drop[13].src, drop[13].user, drop[13].action) == ("1.2.3.4", "root", "failed")  # Max auth tries
    assert (drop[21].src, drop[21].sport, drop[21].user, drop[21].action) == ("192.0.2.3", 52289, "root", "failed")
    assert (drop[23].src, drop[23].user, drop[23].action) == ("192.0.2.3", None, "failed")  # Exit before auth from <A:P>


def test_demo_site_logs_read_cleanly() -> None:
    demo_ref = utc(2022, 12, 1)
    authlog = read_all(DEMO / "var/log/authlog", reference=demo_ref)[0]
    daemon = read_all(DEMO / "var/log/daemon", reference=demo_ref)[0]
    assert not [i for i in authlog + daemon if isinstance(i, Malformed)]
    assert (len(authlog), len(daemon)) == (179, 16)
    # grep: 89 "Failed password" + 4 "maximum authentication", 63 disconnect forms, 18 "Invalid user",
    # 4 doas commands and 1 accepted key
    actions = Counter(e.action for e in authlog)
    assert actions == {"failed": 93, "disconnected": 63, "invalid-user": 18, "accepted": 5}
    assert Counter(e.kind for e in authlog) == {"auth": 179}
    e = authlog[1]
    assert (e.time, e.host, e.src, e.sport, e.user, e.signature) == (
        utc(2022, 11, 20, 1, 58, 26), "gw1", "203.0.113.7", 36576, "root", "sshd failed password")
    assert sum(1 for e in authlog if e.src == "203.0.113.7" and e.action == "failed") == 93
    drop = daemon[6]
    assert (drop.kind, drop.signature, drop.src, drop.action) == ("bgp", "state change", "198.51.100.1", "down")
    assert drop.extra["neighbor_descr"] == "upstream-a" and drop.extra["reason"] == "HoldTimer expired"
    assert (daemon[5].signature, daemon[5].extra["notification"]) == ("notification sent", "HoldTimer expired")
    assert Counter(e.kind for e in daemon) == {"bgp": 9, "other": 7}


def test_read_syslog_keeps_the_assistant_view() -> None:
    lines = list(syslog.read_syslog(DEMO / "var/log/authlog", "authlog"))
    assert len(lines) == 179
    first = lines[1]
    assert (first.line, first.timestamp, first.host, first.program) == (2, "Nov 20 01:58:26", "gw1", "sshd")
    assert first.message == "Failed password for root from 203.0.113.7 port 36576 ssh2"


# --- year inference -----------------------------------------------------------------------

ROLLOVER = (
    "Dec 30 23:59:58 gw1 sshd[1]: Invalid user a from 192.0.2.1 port 1\n"
    "Dec 31 23:59:59 gw1 sshd[2]: Invalid user b from 192.0.2.2 port 2\n"
    "Jan  1 00:00:01 gw1 sshd[3]: Invalid user c from 192.0.2.3 port 3\n"
    "Dec 31 23:59:59 gw1 sshd[2]: late line from the old year\n"
    "Jan  2 10:00:00 gw1 sshd[4]: Invalid user d from 192.0.2.4 port 4\n"
)


def _times(path: Path, reference: float, start: Position = Position()) -> list[float | None]:
    return [e.time for e in read_all(path, start, reference)[0] if isinstance(e, Event)]


def test_year_rolls_over_inside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "authlog"
    path.write_text(ROLLOVER)
    expected = [utc(2024, 12, 30, 23, 59, 58), utc(2024, 12, 31, 23, 59, 59), utc(2025, 1, 1, 0, 0, 1),
                utc(2024, 12, 31, 23, 59, 59), utc(2025, 1, 2, 10, 0, 0)]
    assert _times(path, utc(2025, 1, 2, 10, 0, 5)) == expected
    assert _times(path, utc(2025, 3, 1)) == expected  # later reference, same years
    assert _times(path, utc(2025, 12, 31)) == expected  # a file last written a year before its mtime
    # Jan 2 10:00 in the reference's year would lie more than a day after it: the year before
    assert _times(path, utc(2026, 1, 1, 9)) == expected
    assert _times(path, utc(2026, 1, 1, 11)) == [utc(2025, 12, 30, 23, 59, 58), utc(2025, 12, 31, 23, 59, 59),
                                                 utc(2026, 1, 1, 0, 0, 1), utc(2025, 12, 31, 23, 59, 59),
                                                 utc(2026, 1, 2, 10, 0, 0)]


def test_month_after_the_reference_means_the_previous_year(tmp_path: Path) -> None:
    path = tmp_path / "daemon"
    path.write_text("Nov 20 02:31:14 gw1 ntpd[1]: adjusting local clock by 0.1s\n")
    assert _times(path, utc(2024, 3, 1)) == [utc(2023, 11, 20, 2, 31, 14)]
    assert _times(path, utc(2024, 11, 20)) == [utc(2024, 11, 20, 2, 31, 14)]  # a day of clock skew is tolerated
    assert _times(path, utc(2024, 11, 18)) == [utc(2023, 11, 20, 2, 31, 14)]


def test_reference_defaults_to_the_file_mtime(tmp_path: Path) -> None:
    path = tmp_path / "authlog"
    path.write_text(ROLLOVER)
    stamp = utc(2031, 1, 5)
    import os
    os.utime(path, (stamp, stamp))
    e = next(i for i in syslog.read(path) if isinstance(i, Event))
    assert e.time == utc(2030, 12, 30, 23, 59, 58) and e.extra["tz"] == "assumed-utc"


def test_feb_29_in_a_year_without_one(tmp_path: Path) -> None:
    path = tmp_path / "authlog"
    path.write_text("Feb 29 12:00:00 gw1 sshd[1]: Invalid user x from 192.0.2.1\n")
    assert _times(path, utc(2024, 3, 1)) == [utc(2024, 2, 29, 12)]
    assert _times(path, utc(2023, 3, 1)) == [None]  # kept, without a time


# --- resume, gzip, unfinished lines ---------------------------------------------------------

def _key(item: Event | Malformed) -> tuple:
    return (type(item).__name__, repr(item))


@pytest.mark.parametrize("path", SAMPLE_FILES + [DEMO / "var/log/authlog"], ids=lambda p: p.name)
def test_two_part_read_equals_one_read(path: Path) -> None:
    full, end = read_all(path)
    numbers = sorted({i.line for i in full})
    for cut_after in numbers[:: max(1, len(numbers) // 7)][1:]:
        first = [i for i in full if i.line <= cut_after]
        # the position after the cut line is where the first part's ingest would have stopped
        cut = next(i for i in full if i.line > cut_after) if any(i.line > cut_after for i in full) else None
        if cut is None:
            continue
        start = Position(cut.offset, cut.line - 1)
        rest, rest_end = read_all(path, start)
        assert [_key(i) for i in first + rest] == [_key(i) for i in full]
        assert rest_end == end


def test_two_part_read_across_a_rollover(tmp_path: Path) -> None:
    path = tmp_path / "authlog"
    path.write_text(ROLLOVER)
    ref = utc(2025, 1, 3)
    full = _times(path, ref)
    for n in range(1, 5):
        offset = len("".join(ROLLOVER.splitlines(keepends=True)[:n]).encode())
        assert _times(path, ref)[:n] + _times(path, ref, Position(offset, n)) == full


def test_stops_where_the_first_part_ended(tmp_path: Path) -> None:
    path = tmp_path / "authlog"
    path.write_text(ROLLOVER)
    reading = syslog.read(path, reference=utc(2025, 1, 3))
    items = list(reading)
    assert reading.position == Position(len(ROLLOVER.encode()), 5) and len(items) == 5
    assert list(syslog.read(path, reading.position, reference=utc(2025, 1, 3))) == []


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_gzip_reads_like_plain(path: Path, tmp_path: Path) -> None:
    packed = tmp_path / (path.name + ".gz")
    packed.write_bytes(gzip.compress(path.read_bytes()))
    plain, plain_end = read_all(path)
    zipped, zipped_end = read_all(packed)
    if path.read_bytes().endswith(b"\n"):
        assert [_key(i) for i in zipped] == [_key(i) for i in plain] and zipped_end == plain_end
    else:  # a rotated (gzip) file is complete: its last line counts even without a newline
        assert [_key(i) for i in zipped[: len(plain)]] == [_key(i) for i in plain]
        assert len(zipped) == len(plain) + 1 and zipped_end.offset == len(path.read_bytes())


def test_unfinished_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "authlog"
    first = "Nov 20 01:58:26 gw1 sshd[94757]: Failed password for root from 203.0.113.7 port 36576 ssh2\n"
    path.write_text(first + "Nov 20 01:58:29 gw1 sshd[94757]: Failed password for ro")
    reading = syslog.read(path, reference=utc(2022, 12, 1))
    assert [e.user for e in reading] == ["root"]
    assert reading.position == Position(len(first), 1)
    with open(path, "a") as fh:
        fh.write("ot from 203.0.113.7 port 36576 ssh2\nJan")
    reading = syslog.read(path, reading.position, reference=utc(2022, 12, 1))
    found = list(reading)
    assert [(e.line, e.offset, e.user, e.src) for e in found] == [(2, len(first), "root", "203.0.113.7")]
    assert reading.position.line == 2 and path.read_bytes()[reading.position.offset:] == b"Jan"


def test_blank_and_overlong_lines(tmp_path: Path) -> None:
    path = tmp_path / "daemon"
    long_line = "Nov 20 02:31:14 gw1 x[1]: " + "y" * (2 << 20)
    path.write_text("\n  \n" + long_line + "\nNov 20 02:31:15 gw1 ntpd[1]: ok\n")
    items, end = read_all(path)
    assert [type(i).__name__ for i in items] == ["Malformed", "Event"]
    assert items[0].reason == "line too long" and items[0].line == 3 and items[1].line == 4
    assert end.line == 4


# --- detection ------------------------------------------------------------------------------

def test_sniff() -> None:
    for path in SAMPLE_FILES + [DEMO / "var/log/authlog", DEMO / "var/log/daemon"]:
        assert syslog.sniff(path.read_bytes()[:4096], path.name), path
    wazuh = (SHARED / "samples/wazuh/ait-lds-v1.1/ossec_insect.json").read_bytes()[:4096]
    assert not syslog.sniff(wazuh, "alerts.json")
    assert not syslog.sniff((DEMO / "var/log/suricata/eve.json").read_bytes()[:4096], "eve.json")
    assert not syslog.sniff((DEMO / "var/log/pflog").read_bytes()[:4096], "pflog")
    assert not syslog.sniff(b"neighbor 192.0.2.1 {\n  remote-as 65001\n}\nnexthop qualify via default\n", "bgpd.conf")
    assert not syslog.sniff(b"", "empty")
    assert not syslog.sniff(b"hello world\nthis is text\n", "notes.txt")


# --- robustness -----------------------------------------------------------------------------

SAMPLE_LINES = [line for path in SAMPLE_FILES for line in path.read_bytes().split(b"\n") if line][:400]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=120), st.sampled_from(SAMPLE_LINES)), max_size=12),
       st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6), st.booleans())
def test_fuzz_never_raises(lines: list[bytes], flips: list[tuple[int, int]], terminated: bool) -> None:
    data = bytearray(b"\n".join(lines) + (b"\n" if terminated else b""))
    for position, value in flips:  # mutate bytes of real lines
        if data:
            data[position % len(data)] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log"
        path.write_bytes(bytes(data))
        reading = syslog.read(path, reference=REF)
        items = list(reading)
        assert all(isinstance(i, (Event, Malformed)) for i in items)
        assert reading.position.offset <= len(data)
        for item in items:
            if isinstance(item, Event):
                assert item.kind and item.source == "syslog" and item.line >= 1
        # resuming from the end finds nothing new (a damaged gzip stream is reported again); from
        # the middle, the same tail
        again = list(syslog.read(path, reading.position, reference=REF))
        assert all(isinstance(i, Malformed) and i.reason.startswith("unreadable gzip") for i in again)
        if len(items) > 1:
            cut = items[len(items) // 2]
            tail = list(syslog.read(path, Position(cut.offset, cut.line - 1), reference=REF))
            assert [_key(i) for i in tail] == [_key(i) for i in items[len(items) // 2:]]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_header_and_messages(text: str) -> None:
    header = syslog.parse_header(text)
    if header is not None:
        for program in (header.program, "sshd", "bgpd", "doas", "su", "sudo", "dropbear", "relayd",
                        "fail2ban.actions", "portsentry"):
            assert interpret(program, header.message).kind
    assert syslog.sniff(text.encode("utf-8", "replace"), "x") in (True, False)
