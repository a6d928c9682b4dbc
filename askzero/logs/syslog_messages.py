"""What a syslog message says, by program: sshd, doas, su, sudo, dropbear, PAM, bgpd, relayd,
fail2ban, portsentry.

``interpret(program, message)`` returns the normalised fields of one message. Every message of
an authentication program is an ``auth`` event (the ones not understood keep only their
text), every bgpd message a ``bgp`` event, every relayd message a ``daemon`` event; fail2ban
bans and portsentry blocks are ``block`` events. Anything else is ``other``.

Messages are attacker-influenced (user names are whatever a client sent), so patterns anchor
on the part the daemon wrote last: ``... from ADDR port N ssh2`` at the end of the line wins
over an address inside a crafted user name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(slots=True)
class Parsed:
    kind: str = "other"
    action: str | None = None
    signature: str | None = None
    src: str | None = None
    sport: int | None = None
    dst: str | None = None
    dport: int | None = None
    proto: str | None = None
    user: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def address(text: str | None) -> str | None:
    """The IP address in ``text`` in canonical form (IPv4-mapped IPv6 as IPv4), else None."""
    if not text:
        return None
    return _address(text.strip("[]"))


@lru_cache(maxsize=65536)  # the same attackers' addresses come back line after line
def _address(text: str) -> str | None:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _peer(out: Parsed, text: str | None, port: str | None = None) -> None:
    """The remote end: an address goes to ``src``, a host name (UseDNS) to ``extra``."""
    if text:
        addr = address(text)
        if addr is not None:
            out.src = addr
        else:
            out.extra["rhost"] = text
    if port and port.isdecimal() and int(port) < 65536:
        out.sport = int(port)


def _host_port(out: Parsed, text: str) -> None:
    """dropbear's ``ADDR:PORT`` (also ``::ffff:1.2.3.4:60495``): split at the last colon."""
    head, sep, port = text.strip("<>").rpartition(":")
    if sep and port.isdecimal() and address(head):
        _peer(out, head, port)
    else:
        _peer(out, text)


def _who(out: Parsed, who: str | None) -> None:
    """``invalid user X`` / ``illegal user X`` / ``X`` / ``<invalid username>`` -> user."""
    if who is None:
        return
    for prefix in ("invalid user ", "illegal user "):
        if who.startswith(prefix):
            who = who[len(prefix):]
            out.extra["invalid_user"] = True
            break
    if who == "<invalid username>":
        out.extra["invalid_user"] = True
        return
    out.user = who or None


# an address as sshd prints it (no host names), so a trailing "[preauth]" is never taken for one
_ADDR = r"(?P<addr>[0-9A-Fa-f]*[.:][0-9A-Fa-f:.]*(?:%\w+)?)"
_PORT = r"(?: port (?P<port>\d+))?"
_PREAUTH = r"(?: \[preauth\])?"
_ANY = r"(?P<addr>\S+?)"  # where sshd may print a host name

# (pattern, signature, action); the first that matches the whole message wins
_SSHD: list[tuple[re.Pattern[str], str | None, str | None]] = [
    (re.compile(r"(?P<outcome>Failed|Accepted|Postponed) (?P<method>\S+) for (?P<who>.*?) from "
                + _ANY + _PORT + r"(?: ssh[12]?)?(?:: .*)?" + _PREAUTH), None, None),
    (re.compile(r"(?:Invalid|Illegal) user (?P<user>.*?) from " + _ANY + _PORT + _PREAUTH),
     "sshd invalid user", "invalid-user"),
    (re.compile(r"input_userauth_request: (?:invalid|illegal) user (?P<user>.*?)" + _PREAUTH),
     "sshd invalid user", "invalid-user"),
    (re.compile(r"(?P<what>Disconnected from|Connection closed by|Connection reset by|Disconnecting)"
                r" (?:(?P<qual>invalid|authenticating) )?(?:user (?P<user>.*) )?" + _ADDR + _PORT
                + r"(?:: (?P<reason>.*?))?" + _PREAUTH), None, "disconnected"),
    (re.compile(r"Disconnecting: Too many authentication failures(?: for (?P<who>.*?))?" + _PREAUTH),
     "sshd too many authentication failures", "failed"),
    (re.compile(r"maximum authentication attempts exceeded for (?P<who>.*?) from " + _ANY + _PORT
                + r"(?: ssh[12]?)?" + _PREAUTH), "sshd maximum authentication attempts exceeded", "failed"),
    (re.compile(r"ROOT LOGIN REFUSED FROM " + _ANY + _PORT + _PREAUTH), "sshd root login refused", "refused"),
    (re.compile(r"User (?P<user>.*?) from " + _ANY + r" not allowed because (?P<reason>.*)"),
     "sshd user not allowed", "refused"),
    (re.compile(r"User (?P<user>\S+) not allowed because (?P<reason>.*)"), "sshd user not allowed", "refused"),
    (re.compile(r"Received disconnect from " + _ADDR + _PORT + r": ?(?P<code>\d+): (?P<reason>.*?)" + _PREAUTH),
     "sshd received disconnect", "disconnected"),
    (re.compile(r"Did not receive identification string from " + _ANY + _PORT),
     "sshd no identification string", None),
    (re.compile(r"Bad protocol version identification .* from " + _ANY + _PORT),
     "sshd bad protocol version", None),
    (re.compile(r"Unable to negotiate with " + _ADDR + _PORT + r": (?P<reason>.*?)" + _PREAUTH),
     "sshd unable to negotiate", None),
    (re.compile(r"Connection from " + _ADDR + _PORT + r" on (?P<laddr>\S+) port (?P<lport>\d+)(?: rdomain .*)?"),
     "sshd connection", None),
    (re.compile(r"Connection from " + _ADDR + _PORT), "sshd connection", None),
    (re.compile(r"Timeout before authentication for (?:connection from )?" + _ADDR + _PORT
                + r"(?: to \S+, pid = \d+)?"),
     "sshd timeout before authentication", None),
    (re.compile(r"(?:ssh_dispatch_run_fatal|banner exchange): Connection from " + _ADDR + _PORT
                + r": (?P<reason>.*?)" + _PREAUTH), "sshd protocol error", None),
    (re.compile(r"refused connect from (?P<name>\S+) \((?P<addr>[^)\s]+)\)"), "sshd refused connect", "refused"),
    (re.compile(r"PAM: (?P<reason>.+?) for (?P<who>.*?) from " + _ANY + r"(?: via \S+)?"),
     "sshd pam authentication failure", "failed"),
    (re.compile(r"Address " + _ADDR + r" maps to (?P<name>\S+), but this does not map back to the address.*"),
     "sshd reverse mapping mismatch", None),
    (re.compile(r"reverse mapping checking getaddrinfo for (?P<name>\S+) \[(?P<addr>[^\]]+)\] failed.*"),
     "sshd reverse mapping mismatch", None),
    (re.compile(r"Read error from remote host " + _ADDR + _PORT + r": (?P<reason>.*)"), "sshd read error", None),
]
_SSHD_ANY_FROM = re.compile(r".* from " + _ADDR + _PORT + r"\b")  # the last "from ADDR" of anything else
_LEVEL = re.compile(r"(?:(?:error|fatal|debug\d?): |\[ID \d+ (?P<facpri>[\w.]+)\] )+")
_DISCONNECT_NAMES = {"Disconnected from": "sshd disconnected", "Connection closed by": "sshd connection closed",
                     "Connection reset by": "sshd connection reset", "Disconnecting": "sshd disconnecting"}


def _sshd(message: str, out: Parsed) -> None:
    level = _LEVEL.match(message)
    if level:
        if level["facpri"]:
            out.extra["facility"] = level["facpri"]
        message = message[level.end():]
    for pattern, signature, action in _SSHD:
        m = pattern.fullmatch(message)
        if m is None:
            continue
        groups = m.groupdict()
        out.signature, out.action = signature, action
        if "outcome" in groups:
            outcome = m["outcome"].lower()
            out.signature = f"sshd {outcome} {m['method']}"
            out.action = outcome if outcome != "postponed" else None
            out.extra["method"] = m["method"]
        if "what" in groups:
            out.signature = _DISCONNECT_NAMES[m["what"]]
            if m["qual"] == "invalid":
                out.extra["invalid_user"] = True
        _who(out, groups.get("who"))
        if groups.get("user") is not None:
            out.user = groups["user"] or None
        if "user" in groups and signature == "sshd invalid user":
            out.extra["invalid_user"] = True
        if signature == "sshd root login refused":
            out.user = "root"
        _peer(out, groups.get("addr"), groups.get("port"))
        if groups.get("laddr"):
            out.dst = address(groups["laddr"])
            out.dport = int(m["lport"]) if m["lport"] and int(m["lport"]) < 65536 else None
        for key in ("reason", "name"):  # why; the host name sshd resolved
            if groups.get(key):
                out.extra[key] = groups[key]
        if out.src or out.sport:
            out.proto = "tcp"
        return
    m = _SSHD_ANY_FROM.match(message)
    if m:
        _peer(out, m["addr"], m["port"])


# any program's PAM failure line; ruser/rhost are matched so that a crafted ruser holding
# "rhost=" does not move the address (the real rhost is the last one before "user=")
_PAM_FAIL = re.compile(r"(?:(?P<more>\d+) more )?authentication failures?; logname=(?P<logname>\S*) uid=\S* euid=\S*"
                       r" tty=(?P<tty>\S*) ruser=(?P<ruser>.*?) rhost=(?P<rhost>\S*)(?:\s+user=(?P<user>.*?))?"
                       + _PREAUTH + r"\s*$")
_PAM_SESSION = re.compile(r"session (?P<what>opened|closed) for user (?P<user>\S+)")


def _pam(message: str, out: Parsed, program: str, sessions: bool = True) -> bool:
    m = _PAM_FAIL.search(message)
    if m:
        out.kind, out.action, out.signature = "auth", "failed", "pam authentication failure"
        out.user = m["user"] or m["ruser"] or None
        if m["ruser"]:
            out.extra["ruser"] = m["ruser"]
        if m["more"]:
            out.extra["count"] = int(m["more"])
        _peer(out, m["rhost"] or None)
        return True
    m = _PAM_SESSION.search(message) if sessions else None
    if m and ("pam_" in message[: m.start()] or "pam_" in program):
        out.kind, out.signature, out.user = "auth", f"pam session {m['what']}", m["user"]
        return True
    return False


_DROPBEAR_PREFIX = re.compile(r"\[\d+\] [A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d ")  # pid and time again (journal)
_DROPBEAR: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(r"[Bb]ad password attempt for '(?P<user>.*)' from (?P<hp>\S+)"), "dropbear bad password", "failed"),
    (re.compile(r"[Ll]ogin attempt for nonexistent user(?: '(?P<user>.*)')? from (?P<hp>\S+)"),
     "dropbear invalid user", "invalid-user"),
    (re.compile(r"Exit before auth from <(?P<hp>[^>]+)>: (?:\(user '(?P<user>.*?)', \d+ fails\): )?(?P<reason>.*)"),
     "dropbear exit before auth", "failed"),
    (re.compile(r"Exit before auth \(user '(?P<user>.*?)', (?P<fails>\d+) fails\): (?P<reason>.*?)"
                r"(?: from (?P<hp>\S+))?"),
     "dropbear exit before auth", "failed"),
    (re.compile(r"(?P<method>Pubkey|Password) auth succeeded for '(?P<user>.*?)'.* from (?P<hp>\S+)"),
     "dropbear accepted", "accepted"),
]


def _dropbear(message: str, out: Parsed) -> None:
    prefix = _DROPBEAR_PREFIX.match(message)
    if prefix:
        message = message[prefix.end():]
    for pattern, signature, action in _DROPBEAR:
        m = pattern.fullmatch(message)
        if m:
            out.signature, out.action = signature, action
            out.user = m["user"] or None
            if m["hp"]:
                _host_port(out, m["hp"])
            if out.action == "failed" and "Max auth tries" not in message and "Bad password" not in message \
                    and "bad password" not in message:
                out.action = None  # an exit before auth that is not a failed login
            return


_DOAS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"(?P<user>\S+) ran command (?P<command>.*) as (?P<target>\S+) from (?P<cwd>.*)"),
     "doas ran command", "accepted"),
    (re.compile(r"(?P<user>\S+) ran command as (?P<target>\S+): (?P<command>.*)"), "doas ran command", "accepted"),
    (re.compile(r"failed auth for (?P<user>\S+)"), "doas failed auth", "failed"),
    (re.compile(r"(?:failed command|command not permitted) for (?P<user>\S+): (?P<command>.*)"),
     "doas command not permitted", "refused"),
]
_SU: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"BAD SU (?P<user>\S+) to (?P<target>\S+)(?: on (?P<tty>\S+))?"), "su failed", "failed"),
    (re.compile(r"FAILED SU \(to (?P<target>\S+)\) (?P<user>\S+) on (?P<tty>\S+)"), "su failed", "failed"),
    (re.compile(r"failed: (?P<tty>\S+) changing from (?P<user>\S+) to (?P<target>\S+)"), "su failed", "failed"),
    (re.compile(r"\(to (?P<target>\S+)\) (?P<user>\S+) on (?P<tty>\S+)"), "su to user", "accepted"),
    (re.compile(r"(?P<user>\S+) to (?P<target>\S+)(?: on (?P<tty>\S+))?"), "su to user", "accepted"),
]


def _table(rules: list[tuple[re.Pattern[str], str, str]]) -> Callable[[str, Parsed], None]:
    def parse(message: str, out: Parsed) -> None:
        for pattern, signature, action in rules:
            m = pattern.fullmatch(message)
            if m:
                out.signature, out.action, out.user = signature, action, m["user"]
                out.extra.update({k: v for k, v in m.groupdict().items() if k != "user" and v is not None})
                return
    return parse


_SUDO = re.compile(r"\s*(?P<user>\S+) : (?:(?P<what>[^;=]+?) ; )?(?P<fields>\w+=.*)")


def _sudo(message: str, out: Parsed) -> None:
    m = _SUDO.fullmatch(message)
    if not m:
        return
    out.user = m["user"]
    for part in m["fields"].split(" ; "):
        key, _, value = part.partition("=")
        name = {"TTY": "tty", "PWD": "cwd", "USER": "target", "COMMAND": "command"}.get(key)
        if name:
            out.extra[name] = value
    what = (m["what"] or "").strip()
    if not what:
        out.signature, out.action = "sudo ran command", "accepted"
    elif "incorrect password" in what:
        out.signature, out.action = "sudo incorrect password", "failed"
    else:
        out.signature, out.action = "sudo command not permitted", "refused"
        out.extra["reason"] = what


_NEIGHBOR = re.compile(r"neighbor (?P<addr>[^\s/]+)(?:/(?P<mask>\d+))?(?: \((?P<descr>.*?)\))?: (?P<rest>.*)")
_BGP_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"state change (?P<from>\S+) -> (?P<to>\S+), reason: (?P<reason>.*)"), "state change"),
    (re.compile(r"received notification(?:: |, )(?P<notification>.*)"), "notification received"),
    (re.compile(r"sending notification(?:: |, )(?P<notification>.*)"), "notification sent"),
    (re.compile(r"prefix limit reached(?: \(>(?P<count>\d+)/(?P<limit>\d+)\))?"), "max-prefix exceeded"),
    (re.compile(r"outbound prefix limit reached(?: \(>(?P<count>\d+)/(?P<limit>\d+)\))?"), "max-prefix out exceeded"),
    (re.compile(r"received (?P<afi>.+?) EOR marker"), "EOR received"),
    (re.compile(r"sending (?P<afi>.+?) EOR marker"), "EOR sent"),
]
_BGP_OTHER: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Connection attempt from neighbor (?P<addr>[^\s/]+)(?: \((?P<descr>.*?)\))?"
                r" while session is in state (?P<state>\S+)"), "connection attempt"),
    (re.compile(r"connection from non-peer (?P<addr>\S+) refused"), "non-peer refused"),
    (re.compile(r"nexthop (?P<nexthop>\S+) now (?P<state>valid|invalid)(?:: (?P<how>.*))?"), "nexthop"),
]


def _bgpd(message: str, out: Parsed) -> None:
    out.kind = "bgp"
    neighbor = _NEIGHBOR.fullmatch(message)
    if neighbor:
        _peer(out, neighbor["addr"])
        if neighbor["descr"]:
            out.extra["neighbor_descr"] = neighbor["descr"]
        for pattern, signature in _BGP_RULES:
            m = pattern.fullmatch(neighbor["rest"])
            if m:
                out.signature = signature
                out.extra.update({k: v for k, v in m.groupdict().items() if v is not None})
                if signature == "state change":
                    # the session went down (left Established) or came up (reached it)
                    out.action = "down" if m["from"] == "Established" else "up" if m["to"] == "Established" else None
                return
        return
    for pattern, signature in _BGP_OTHER:
        m = pattern.fullmatch(message)
        if m:
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            _peer(out, groups.pop("addr", None))
            if "descr" in groups:
                groups["neighbor_descr"] = groups.pop("descr")
            out.extra.update(groups)
            out.signature = f"nexthop {groups['state']}" if signature == "nexthop" else signature
            return
    if message.endswith("reconfigured") or "reconfiguration done" in message:
        out.signature = "reconfigured"


_RELAYD_HOST = re.compile(r"host (?P<host>\S+), check (?P<check>.*?) \((?P<ms>\d+)ms,(?P<result>.*)\),"
                          r" state (?P<from>\S+) -> (?P<to>\S+), availability (?P<availability>\S+)")
_RELAYD_TABLE = re.compile(r"table (?P<table>[^\s:,]+).*")


def _relayd(message: str, out: Parsed) -> None:
    out.kind = "daemon"
    m = _RELAYD_HOST.fullmatch(message)
    if m:
        out.signature = "host state change"
        out.dst = address(m["host"])
        out.extra.update(host=m["host"], check=m["check"], result=m["result"], availability=m["availability"],
                         **{"from": m["from"], "to": m["to"]})
        out.action = m["to"]
        return
    m = _RELAYD_TABLE.fullmatch(message)
    if m:
        out.signature = "table state"
        out.extra["table"] = m["table"]


_FAIL2BAN = re.compile(r"\[(?P<jail>[^\]]+)\]\s+(?P<act>Ban|Unban|Restore Ban)\s+(?P<addr>\S+)")
_PORTSENTRY_ALERT = re.compile(r"attackalert: (?P<what>.*?)from host: (?:(?P<name>\S+?)/)?(?P<addr>\S+)"
                               r" to (?P<proto>TCP|UDP) port: (?P<port>\d+)")
_PORTSENTRY_BLOCKED = re.compile(r"(?:attackalert: )?Host:? (?:(?P<name>[^/\s]+)/)?(?P<addr>\S+)"
                                 r"(?: Port: (?P<port>\d+) (?P<proto>TCP|UDP))?(?: Blocked| has been blocked.*)")


def _fail2ban(message: str, out: Parsed) -> None:
    m = _FAIL2BAN.search(message)
    if m:
        act = "ban" if m["act"] != "Unban" else "unban"
        out.kind, out.action, out.signature = "block", act, f"fail2ban {act}"
        out.extra["jail"] = m["jail"]
        _peer(out, m["addr"])


def _portsentry(message: str, out: Parsed) -> None:
    blocked = _PORTSENTRY_BLOCKED.fullmatch(message)
    m = blocked or _PORTSENTRY_ALERT.fullmatch(message)
    if not m:
        return
    if blocked:
        out.kind, out.action, out.signature = "block", "block", "portsentry blocked"
    else:
        out.kind, out.signature = "alert", "portsentry attackalert"
    _peer(out, m["addr"])
    if m["name"] and m["name"] != m["addr"]:
        out.extra["name"] = m["name"]
    if m["port"]:
        out.dport, out.proto = int(m["port"]) if int(m["port"]) < 65536 else None, m["proto"].lower()


_AUTH = {"sshd": _sshd, "dropbear": _dropbear, "doas": _table(_DOAS), "su": _table(_SU), "sudo": _sudo}
_OTHERS = {"bgpd": _bgpd, "relayd": _relayd, "portsentry": _portsentry}


def base_program(program: str | None) -> str:
    """``sshd-session`` and ``sshd-auth`` are sshd (OpenSSH 9.8+); ``su(pam_unix)`` is su."""
    if not program:
        return ""
    base = program.split("(", 1)[0].lower()
    if base in ("sshd-session", "sshd-auth"):
        return "sshd"
    return base


MAX_MESSAGE = 8192  # syslogd's own line limit; longer text is not picked apart (bounded regex work)


def interpret(program: str | None, message: str) -> Parsed:
    out = Parsed()
    base = base_program(program)
    message = message.rstrip() if len(message) <= MAX_MESSAGE else ""
    if base in _AUTH:
        out.kind = "auth"
        if not _pam(message, out, program or ""):
            _AUTH[base](message, out)
    elif base in _OTHERS:
        _OTHERS[base](message, out)
    elif base.startswith("fail2ban"):
        _fail2ban(message, out)
    else:
        # a PAM failure of any service (ftpd, dovecot, ...) is still a failed login; its
        # sessions (cron every minute) are not authentication events worth a kind
        _pam(message, out, program or "", sessions=False)
    return out
