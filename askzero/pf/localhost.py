"""The host profile of the machine ask-zero runs on, for when no ``--host`` file is given.

On OpenBSD, ``ifconfig -A`` gives interfaces, groups and addresses and ``route -n get
default`` the egress interface; elsewhere (a Linux analyst workstation) ``ip -j`` does.
Users and groups come from the system databases. Nothing here runs unless asked for.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess

from askzero.pf.host import HostProfile, Interface

TIMEOUT = 5


def _run(*argv: str) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def parse_openbsd_ifconfig(text: str) -> dict[str, Interface]:
    """Interfaces from OpenBSD's ``ifconfig -A`` output."""
    interfaces: dict[str, Interface] = {}
    current: Interface | None = None
    for line in text.splitlines():
        head = re.match(r"^(\S+): flags=", line)
        if head:
            current = interfaces.setdefault(head.group(1), Interface(head.group(1)))
            continue
        if current is None:
            continue
        words = line.split()
        if words[:1] == ["groups:"]:
            current.groups = [g for g in words[1:] if g != current.driver]
        elif words[:1] == ["inet"] and len(words) >= 4 and words[2] == "netmask":
            bits = bin(int(words[3], 16)).count("1")
            current.addresses.append(ipaddress.ip_interface(f"{words[1]}/{bits}"))
        elif words[:1] == ["inet6"] and "prefixlen" in words:
            address = words[1].split("%")[0]
            bits = words[words.index("prefixlen") + 1]
            current.addresses.append(ipaddress.ip_interface(f"{address}/{bits}"))
    return interfaces


def parse_ip_json(addresses: str, routes: str) -> dict[str, Interface]:
    """Interfaces from Linux ``ip -j address show`` and ``ip -j route show default``."""
    interfaces: dict[str, Interface] = {}
    for entry in json.loads(addresses or "[]"):
        iface = Interface(entry["ifname"])
        for info in entry.get("addr_info", []):
            iface.addresses.append(ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}"))
        interfaces[iface.name] = iface
    for route in json.loads(routes or "[]"):
        dev = route.get("dev")
        if dev in interfaces and "egress" not in interfaces[dev].groups:
            interfaces[dev].groups.append("egress")
    return interfaces


def local_host() -> HostProfile:
    """This machine's interfaces, groups, addresses, users and groups."""
    host = HostProfile(source="this host")
    if shutil.which("ifconfig") and "groups:" in (text := _run("ifconfig", "-A")):
        host.interfaces = parse_openbsd_ifconfig(text)
    elif shutil.which("ip"):
        host.interfaces = parse_ip_json(_run("ip", "-j", "address", "show"), _run("ip", "-j", "route", "show", "default"))
    try:
        import grp
        import pwd

        host.users = {p.pw_name: p.pw_uid for p in pwd.getpwall()}
        host.groups = {g.gr_name: g.gr_gid for g in grp.getgrall()}
    except ImportError:  # not a POSIX system
        pass
    return host
