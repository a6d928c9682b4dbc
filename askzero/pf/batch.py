"""Batch evaluation: decide many IPv4 packets at once with numpy.

Each rule becomes a boolean mask over arrays of flows; pf's semantics are kept by walking
the rules in order (last match wins, ``quick`` freezes the packets it matches, anchors
narrow the mask to the packets their own criteria match). Rulesets using what the masks do
not model (translations on match rules, tags, user, probability, icmp types, wildcard anchors) and non-IPv4
flows go through FastEvaluator one by one, so every answer is the exact one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from askzero.pf.evaluate import FastEvaluator
from askzero.pf.flow import Flow
from askzero.pf.host import HostProfile
from askzero.pf.model import Address, PfConfig, Prefix, Rule, Ruleset
from askzero.pf.printer import default_flags
from askzero.pf.services import PROTOCOLS

FLAG_BITS = {f: 1 << i for i, f in enumerate("FSRPAUEW")}


class Unsupported(Exception):
    """The ruleset uses something the masks do not model."""


def _flag_bits(text: str) -> int:
    return sum(FLAG_BITS.get(c, 0) for c in set(text))


class BatchEvaluator:
    def __init__(self, config: PfConfig, host: HostProfile) -> None:
        import numpy  # heavy: imported only for batch work

        self.np = numpy
        self.config = config
        self.host = host
        self.fast = FastEvaluator(config, host)
        try:
            self._check(config.main)
            self.supported = True
        except Unsupported:
            self.supported = False

    def _check(self, ruleset: Ruleset) -> None:
        for rule in ruleset.rules:
            if ((rule.translations and rule.action == "match") or rule.tag or rule.tagged or rule.user or rule.group or rule.received_on
                    or rule.probability is not None or rule.icmp_type or rule.users or rule.groups):
                raise Unsupported
            for address in (rule.src, rule.dst):
                if address.kind not in ("any", "net", "table", "dynamic") or (
                        address.net is not None and address.net.version != 4):
                    raise Unsupported
            if rule.is_anchor:
                if rule.anchor is None or (rule.anchor_name or "").endswith("*"):
                    raise Unsupported
                self._check(rule.anchor)

    # -- public -------------------------------------------------------------------------

    def decide(self, flows: Sequence[Flow]) -> list[tuple[str, str]]:
        """(action, rule number as pflog prints it or "def"/"skip") for each flow, in order."""
        out: list[tuple[str, str] | None] = [None] * len(flows)
        batch = [i for i, f in enumerate(flows) if f.af == "inet"] if self.supported else []
        for i in set(range(len(flows))) - set(batch):
            v = self.fast.evaluate(flows[i])
            out[i] = (v.action, "skip" if v.decision == "skip" else v.pflog_ref)
        if batch:
            for i, result in zip(batch, self._decide([flows[i] for i in batch])):
                out[i] = result
        return out  # type: ignore[return-value]

    # -- masks ----------------------------------------------------------------------------

    def _decide(self, flows: list[Flow]) -> list[tuple[str, str]]:
        np = self.np
        n = len(flows)
        names = sorted({f.ifname for f in flows})
        self._ifaces = np.array([names.index(f.ifname) for f in flows])
        self._if_names = names
        self._dir = np.array([f.direction == "in" for f in flows])
        self._proto = np.array([PROTOCOLS.get(f.proto, -1) for f in flows])
        self._src = np.array([int(f.src) for f in flows], dtype=np.int64)
        self._dst = np.array([int(f.dst) for f in flows], dtype=np.int64)
        self._sport = np.array([f.sport if f.sport is not None else -1 for f in flows])
        self._dport = np.array([f.dport if f.dport is not None else -1 for f in flows])
        self._flags = np.array([_flag_bits(f.flags) for f in flows])
        self._tcp = self._proto == PROTOCOLS["tcp"]
        self._memo: dict[tuple, Any] = {}
        skipped = np.zeros(n, dtype=bool)
        for spec, _ in self.config.skip:
            skipped |= self._on(spec)
        state = {"last": np.full(n, -1, dtype=np.int64), "stopped": skipped.copy()}
        self._refs: list[tuple[str, str]] = []
        self._walk(self.config.main, np.ones(n, dtype=bool), state, "")
        results = []
        for i in range(n):
            if skipped[i]:
                results.append(("pass", "skip"))
            elif state["last"][i] < 0:
                results.append(("pass", "def"))
            else:
                results.append(self._refs[state["last"][i]])
        return results

    def _walk(self, ruleset: Ruleset, scope: Any, state: dict, prefix: str) -> Any:
        np = self.np
        matched_any = np.zeros(len(scope), dtype=bool)
        for rule in ruleset.rules:
            live = scope & ~state["stopped"]
            if not live.any():
                break
            mask = live & self._match(rule, ruleset)
            if not mask.any():
                continue
            ref = f"{prefix}{rule.number}"
            if rule.is_anchor:
                inner = self._walk(rule.anchor, mask, state, f"{rule.number}.{rule.anchor.name}.")  # type: ignore[union-attr]
                matched_any |= inner
                if rule.quick:
                    state["stopped"] |= inner
                continue
            matched_any |= mask
            if rule.action != "match":
                self._refs.append(("block" if rule.action == "block" else "pass", ref))
                state["last"][mask] = len(self._refs) - 1
            if rule.quick:
                state["stopped"] |= mask
        return matched_any

    def _on(self, spec: str) -> Any:
        np = self.np
        hits = [i for i, name in enumerate(self._if_names) if self.host.on_interface(name, spec)]
        return np.isin(self._ifaces, hits)

    def _match(self, rule: Rule, ruleset: Ruleset) -> Any:
        np = self.np
        mask = np.ones(len(self._ifaces), dtype=bool)
        if rule.interface == "any":
            mask &= self._on("lo") == rule.interface_negated
        elif rule.interface:
            mask &= self._on(rule.interface) != rule.interface_negated
        if rule.direction:
            mask &= self._dir == (rule.direction == "in")
        if rule.af == "inet6":
            mask &= False
        if rule.proto:
            mask &= self._proto == PROTOCOLS.get(rule.proto, -2)
        mask &= self._address(rule.src, self._src, ruleset)
        mask &= self._address(rule.dst, self._dst, ruleset)
        for port, values in ((rule.src_port, self._sport), (rule.dst_port, self._dport)):
            if port is not None:
                mask &= (values >= 0) & self._port(port, values)
        flags = default_flags(rule)
        if flags:
            want, check = _flag_bits(flags[0]), _flag_bits(flags[1] or "FSRPAUEW")
            mask &= ~self._tcp | ((self._flags & check) == want)
        return mask

    def _port(self, port: Any, v: Any) -> Any:
        lo, hi = port.low, port.high
        return {"=": lambda: v == lo, "!=": lambda: v != lo, "<": lambda: v < lo, "<=": lambda: v <= lo,
                ">": lambda: v > lo, ">=": lambda: v >= lo, ":": lambda: (v >= lo) & (v <= hi),
                "><": lambda: (v > lo) & (v < hi), "<>": lambda: (v < lo) | (v > hi)}[port.op]()

    def _address(self, address: Address, values: Any, ruleset: Ruleset) -> Any:
        np = self.np
        if address.kind == "any":
            hit = np.ones(len(values), dtype=bool)
        elif address.kind == "net":
            net = address.net
            shift = 32 - net.prefixlen  # type: ignore[union-attr]
            hit = (values >> shift) == (int(net.network_address) >> shift)  # type: ignore[union-attr]
        elif address.kind == "dynamic":
            found = self.host.self_addresses() if address.name == "self" else self.host.addresses(address.name)
            nets = [a.network if address.modifier == "network" else ipaddress.ip_network(a.ip)
                    for a in found if a.version == 4]
            hit = np.zeros(len(values), dtype=bool)
            for net in nets:
                shift = 32 - net.prefixlen
                hit |= (values >> shift) == (int(net.network_address) >> shift)
        else:
            hit = self._table(address.name, values, ruleset)
        return hit != address.negated

    def _table(self, name: str, values: Any, ruleset: Ruleset) -> Any:
        """Longest-prefix membership: per prefix length, longest first, an entry decides.
        Computed once per table and address column within a batch."""
        rs: Ruleset | None = ruleset
        while rs is not None and name not in rs.tables:
            rs = rs.parent
        key = (id(rs.tables[name]) if rs is not None else name, id(values))
        if key not in self._memo:
            self._memo[key] = self._membership(rs, name, values)
        return self._memo[key]

    def _membership(self, rs: Ruleset | None, name: str, values: Any) -> Any:
        np = self.np
        decided = np.zeros(len(values), dtype=bool)
        member = np.zeros(len(values), dtype=bool)
        if rs is None:
            return member
        by_length: dict[int, dict[int, bool]] = {}
        for entry in rs.tables[name].entries:
            net = entry.net
            if net.version != 4:
                continue
            value = net.value if isinstance(net, Prefix) else int(net.network_address)
            by_length.setdefault(net.prefixlen, {}).setdefault(value, entry.negated)
        for bits in sorted(by_length, reverse=True):
            keys = np.array(sorted(by_length[bits]), dtype=np.int64)
            negs = np.array([by_length[bits][k] for k in keys.tolist()])
            shift = 32 - bits
            masked = (values >> shift) << shift
            pos = np.clip(np.searchsorted(keys, masked), 0, len(keys) - 1)
            found = (keys[pos] == masked) & ~decided
            member |= found & ~negs[pos]
            decided |= found
        return member
