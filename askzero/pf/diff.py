"""What-if: which traffic changes decision between two rulesets.

Probe packets are aimed at every rule of either ruleset (addresses inside its source and
destination, its ports and protocols, each interface it applies to), so a rule that was
added, removed or changed is exercised on both sides. Probes whose action differs are
grouped by the rules responsible on both sides: one class per pair, with a concrete example
and the number of probes in it. This samples the traffic space; it is not a proof that no
other packet changes.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from askzero.pf.evaluate import FastEvaluator, Verdict
from askzero.pf.flow import Flow
from askzero.pf.host import HostProfile
from askzero.pf.model import Address, PfConfig, PortRange, Ruleset

MAX_PROBES = 100_000
OUTSIDE = {4: ipaddress.ip_address("198.18.255.254"), 6: ipaddress.ip_address("2001:db8:ffff::fe")}


@dataclass
class FlowClass:
    old: Verdict
    new: Verdict
    count: int = 0
    examples: list[Flow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def side(v: Verdict) -> dict[str, Any]:
            return {"action": v.action, "decision": v.decision, "rule": v.to_dict()["rule"]}
        return {"example": str(self.examples[0]), "probes": self.count, "old": side(self.old), "new": side(self.new)}


def _walk(ruleset: Ruleset) -> Iterator[Ruleset]:
    yield ruleset
    for rule in ruleset.rules:
        if rule.anchor is not None:
            yield from _walk(rule.anchor)


def _table(ruleset: Ruleset, name: str) -> list:
    rs: Ruleset | None = ruleset
    while rs is not None:
        if name in rs.tables:
            return rs.tables[name].entries
        rs = rs.parent
    return []


def _representatives(address: Address, ruleset: Ruleset, host: HostProfile, version: int) -> list:
    """A few addresses inside ``address`` (and, for a negation, one outside it)."""
    def inside() -> list:
        if address.kind == "any":
            local = [a.ip for a in host.self_addresses() if a.version == version]
            return [OUTSIDE[version], *local[:1]]
        if address.kind in ("net", "range") and address.net is not None:
            net = address.net
            return [net.network_address] + ([ipaddress.ip_address(int(net.network_address) + 1)]
                                            if net.num_addresses > 2 else [])
        if address.kind == "table":
            found = []
            for entry in _table(ruleset, address.name)[:4]:
                net = entry.net if hasattr(entry.net, "network_address") else entry.net.network
                found.append(net.network_address)
            return found
        if address.kind == "dynamic":
            return [a.ip for a in (host.self_addresses() if address.name == "self" else host.addresses(address.name))]
        return []
    found = [ip for ip in inside() if ip.version == version]
    if address.negated:
        found.append(OUTSIDE[version])
    return found


def probes(old: PfConfig, new: PfConfig, host: HostProfile) -> Iterator[Flow]:
    """Probe flows aimed at every rule of either ruleset: for each, packets it matches (and
    for negations, packets it does not), on each interface and protocol it applies to."""
    seen: set[Flow] = set()
    interfaces = sorted(host.interfaces) or ["em0"]
    for ruleset in (old.main, new.main):
        for rs in _walk(ruleset):
            for rule in rs.rules:
                ifaces = [i for i in interfaces if rule.interface is None
                          or host.on_interface(i, rule.interface) != rule.interface_negated] or interfaces[:1]
                protos = [rule.proto] if rule.proto in ("tcp", "udp", "icmp") else ["tcp", "udp", "icmp"]
                ports = [rule.dst_port.low] if isinstance(rule.dst_port, PortRange) and rule.dst_port.low >= 0 \
                    else [22, 443]
                for version in (4, 6):
                    srcs = _representatives(rule.src, rs, host, version)
                    dsts = _representatives(rule.dst, rs, host, version)
                    for direction, ifname, proto, src, dst in itertools.product(
                            [rule.direction] if rule.direction else ["in", "out"], ifaces, protos, srcs, dsts):
                        if proto == "icmp" and version == 6:
                            continue
                        for dport in (ports if proto != "icmp" else [None]):
                            flow = Flow(direction, ifname, proto, src, dst, sport=40000 if dport else None,
                                        dport=dport, flags="S" if proto == "tcp" else "",
                                        icmp_type=8 if proto == "icmp" else None)
                            if flow not in seen and len(seen) < MAX_PROBES:
                                seen.add(flow)
                                yield flow


def diff(old: PfConfig, new: PfConfig, host: HostProfile) -> list[FlowClass]:
    """The classes of traffic whose action changes, largest first."""
    before, after = FastEvaluator(old, host), FastEvaluator(new, host)
    classes: dict[tuple, FlowClass] = {}
    for flow in probes(old, new, host):
        a, b = before.evaluate(flow), after.evaluate(flow)
        if a.action == b.action:
            continue
        key = (a.action, a.pflog_ref, a.decision, b.action, b.pflog_ref, b.decision)
        cls = classes.setdefault(key, FlowClass(a, b))
        cls.count += 1
        if len(cls.examples) < 3:
            cls.examples.append(flow)
    return sorted(classes.values(), key=lambda c: -c.count)
