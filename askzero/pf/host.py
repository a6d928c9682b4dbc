"""The host profile: what pfctl learns from the running kernel when it loads a ruleset.

Interfaces, their groups and addresses, the interfaces holding the default routes (group
``egress``) and the user and group ids. Read from a TOML file (see DESIGN.md) so that a
ruleset can be evaluated away from the firewall it belongs to.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from askzero.errors import SourceError

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass
class Interface:
    name: str
    groups: list[str] = field(default_factory=list)
    addresses: list[IPInterface] = field(default_factory=list)
    peer: list[IPInterface] = field(default_factory=list)

    @property
    def driver(self) -> str:
        """The implicit group named after the driver: em0 -> em, lo0 -> lo."""
        return re.sub(r"\d+$", "", self.name)

    @property
    def all_groups(self) -> set[str]:
        return {self.driver, "all", *self.groups}


@dataclass
class HostProfile:
    interfaces: dict[str, Interface] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, list[str]] = field(default_factory=lambda: {"localhost": ["127.0.0.1", "::1"]})
    source: str = ""

    def members(self, name: str) -> list[Interface]:
        """Interfaces called ``name`` or belonging to the group ``name``."""
        if name in self.interfaces:
            return [self.interfaces[name]]
        return [i for i in self.interfaces.values() if name in i.all_groups]

    def is_known(self, name: str) -> bool:
        return bool(self.members(name))

    def on_interface(self, ifname: str, spec: str) -> bool:
        """Whether a packet on ``ifname`` is ``on spec`` (an interface or a group)."""
        if ifname == spec:
            return True
        iface = self.interfaces.get(ifname)
        if iface is None:
            return re.sub(r"\d+$", "", ifname) == spec
        return spec in iface.all_groups

    def addresses(self, name: str, af: str | None = None) -> list[IPInterface]:
        out = []
        for iface in self.members(name):
            for addr in iface.addresses:
                if af is None or (addr.version == 4) == (af == "inet"):
                    out.append(addr)
        return out

    def self_addresses(self) -> list[IPInterface]:
        return [a for i in self.interfaces.values() for a in i.addresses]


def load_host(path: Path, display: str | None = None) -> HostProfile:
    """Read a host profile TOML file; errors name the file."""
    name = display or str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(name, f"cannot read host profile: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise SourceError(name, f"invalid host profile: {exc.args[0]}", line) from exc
    return host_from_dict(data, name)


def host_from_dict(data: dict, name: str = "host profile") -> HostProfile:
    host = HostProfile(source=name)
    for entry in data.get("interface", []):
        try:
            iface = Interface(
                name=str(entry["name"]),
                groups=[str(g) for g in entry.get("groups", [])],
                addresses=[ipaddress.ip_interface(a) for a in entry.get("addresses", [])],
                peer=[ipaddress.ip_interface(a) for a in entry.get("peer", [])],
            )
        except (KeyError, ValueError) as exc:
            raise SourceError(name, f"invalid interface entry {entry!r}: {exc}") from exc
        host.interfaces[iface.name] = iface
    for key in ("default", "default6"):
        ifname = data.get("routes", {}).get(key)
        if ifname:
            iface = host.interfaces.setdefault(ifname, Interface(ifname))
            if "egress" not in iface.groups:
                iface.groups.append("egress")
    host.users = {str(k): int(v) for k, v in data.get("users", {}).items()}
    host.groups = {str(k): int(v) for k, v in data.get("groups", {}).items()}
    host.hosts.update({str(k): [str(a) for a in v] for k, v in data.get("hosts", {}).items()})
    return host
