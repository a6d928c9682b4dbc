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
        self._tables: dict[int, tuple[int, list]] = {}
        self._flag_memo: dict[str, int] = {}
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
        batch = [i for i, f in enumerate(flows) if f.src.version == 4] if self.supported else []
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
        memo = self._flag_memo
        self._flags = np.array([memo.get(f.flags) if f.flags in memo else memo.setdefault(f.flags, _flag_bits(f.flags))
                                for f in flows])
        self._tcp = self._proto == PROTOCOLS["tcp"]
        self._memo: dict[tuple, Any] = {}
        self._selected: dict[tuple, Any] = {}
        columns = np.stack([self._ifaces, self._dir.astype(np.int64), self._proto, self._dport])
        order = np.lexsort(columns[::-1])
        ordered = columns[:, order].T
        starts = np.flatnonzero(np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)])
        self._groups = {}
        self._by_dport: dict[int, list[tuple]] = {}
        for start, stop in zip(starts, np.r_[starts[1:], len(order)]):
            iface, inbound, proto, dport = ordered[start].tolist()
            key = (iface, bool(inbound), proto, dport)
            self._groups[key] = order[start:stop]
            self._by_dport.setdefault(dport, []).append(key)
        skipped = np.zeros(n, dtype=bool)
        for spec, _ in self.config.skip:
            skipped |= self._on(spec)
        state = {"last": np.full(n, -1, dtype=np.int64), "stopped": skipped.copy()}
        self._refs: list[tuple[str, str]] = []
        self._walk(self.config.main, None, state, "")
        outcomes = [*self._refs, ("pass", "def"), ("pass", "skip")]
        chosen = np.where(skipped, len(outcomes) - 1, np.where(state["last"] < 0, len(outcomes) - 2, state["last"]))
        return [outcomes[i] for i in chosen.tolist()]

    def _walk(self, ruleset: Ruleset, scope: Any, state: dict, prefix: str) -> Any:
        """Apply ``ruleset`` to the flows ``scope`` marks (None: all); works on the indices each
        rule matches, so a rule costs what it matches, not the size of the batch. Returns
        the indices that matched some rule (what an anchor reports upwards)."""
        np = self.np
        stopped = state["stopped"]
        matched = []
        for rule in ruleset.rules:
            idx = self._match(rule, ruleset)
            if scope is not None:
                idx = idx[scope[idx]]
            idx = idx[~stopped[idx]]
            if idx.size == 0:
                continue
            if rule.is_anchor:
                inner_scope = np.zeros(len(stopped), dtype=bool)
                inner_scope[idx] = True
                inner = self._walk(rule.anchor, inner_scope, state, f"{rule.number}.{rule.anchor.name}.")  # type: ignore[union-attr]
                matched.append(inner)
                if rule.quick:
                    stopped[inner] = True
                continue
            matched.append(idx)
            if rule.action != "match":
                self._refs.append(("block" if rule.action == "block" else "pass", f"{prefix}{rule.number}"))
                state["last"][idx] = len(self._refs) - 1
            if rule.quick:
                stopped[idx] = True
        return np.unique(np.concatenate(matched)) if matched else np.zeros(0, dtype=np.int64)

    def _on(self, spec: str) -> Any:
        np = self.np
        hits = [i for i, name in enumerate(self._if_names) if self.host.on_interface(name, spec)]
        return np.isin(self._ifaces, hits)

    def _select(self, rule: Rule) -> Any:
        """Indices of the flows whose interface, direction, protocol and (for ``port =``)
        destination port fit ``rule``: the batch is split once into groups on those fields,
        so each rule tests a handful of groups instead of every flow."""
        np = self.np
        port = rule.dst_port.low if rule.dst_port is not None and rule.dst_port.op == "=" else None
        signature = (rule.interface, rule.interface_negated, rule.direction, rule.proto, rule.af, port)
        if signature not in self._selected:
            keys = self._by_dport.get(port, []) if port is not None else list(self._groups)
            keep = [self._groups[k] for k in keys if self._fits(rule, k[:3])]
            self._selected[signature] = np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
        return self._selected[signature]

    def _fits(self, rule: Rule, group: tuple) -> bool:
        iface, inbound, proto = group
        name = self._if_names[iface]
        if rule.interface == "any":
            ok = self.host.on_interface(name, "lo") == rule.interface_negated
        elif rule.interface:
            ok = self.host.on_interface(name, rule.interface) != rule.interface_negated
        else:
            ok = True
        return (ok and (not rule.direction or inbound == (rule.direction == "in"))
                and (not rule.proto or proto == PROTOCOLS.get(rule.proto, -2)) and rule.af != "inet6")

    def _match(self, rule: Rule, ruleset: Ruleset) -> Any:
        """Indices of the flows ``rule`` matches."""
        sel = self._select(rule)
        if sel.size == 0:
            return sel
        sub = self._address(rule.src, self._src, ruleset, sel)
        sub &= self._address(rule.dst, self._dst, ruleset, sel)
        for port, values in ((rule.src_port, self._sport), (rule.dst_port, self._dport)):
            if port is not None:
                v = values[sel]
                sub &= (v >= 0) & self._port(port, v)
        flags = default_flags(rule)
        if flags:
            want, check = _flag_bits(flags[0]), _flag_bits(flags[1] or "FSRPAUEW")
            sub &= ~self._tcp[sel] | ((self._flags[sel] & check) == want)
        return sel[sub]

    def _port(self, port: Any, v: Any) -> Any:
        lo, hi = port.low, port.high
        return {"=": lambda: v == lo, "!=": lambda: v != lo, "<": lambda: v < lo, "<=": lambda: v <= lo,
                ">": lambda: v > lo, ">=": lambda: v >= lo, ":": lambda: (v >= lo) & (v <= hi),
                "><": lambda: (v > lo) & (v < hi), "<>": lambda: (v < lo) | (v > hi)}[port.op]()

    def _address(self, address: Address, column: Any, ruleset: Ruleset, sel: Any) -> Any:
        np = self.np
        values = column[sel]
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
            hit = self._table(address.name, column, ruleset)[sel]
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

    def _sorted_table(self, table: Any) -> list[tuple[int, Any, Any]]:
        """A table's IPv4 entries as sorted arrays per prefix length, longest first; built once."""
        np = self.np
        cached = self._tables.get(id(table))
        if cached is not None and cached[0] == len(table.entries):
            return cached[1]
        by_length: dict[int, dict[int, bool]] = {}
        for entry in table.entries:
            net = entry.net
            if net.version != 4:
                continue
            value = net.value if isinstance(net, Prefix) else int(net.network_address)
            by_length.setdefault(net.prefixlen, {}).setdefault(value, entry.negated)
        arrays = []
        for bits in sorted(by_length, reverse=True):
            keys = np.array(sorted(by_length[bits]), dtype=np.int64)
            arrays.append((bits, keys, np.array([by_length[bits][k] for k in keys.tolist()], dtype=bool)))
        self._tables[id(table)] = (len(table.entries), arrays)
        return arrays

    def _membership(self, rs: Ruleset | None, name: str, values: Any) -> Any:
        np = self.np
        decided = np.zeros(len(values), dtype=bool)
        member = np.zeros(len(values), dtype=bool)
        if rs is None:
            return member
        for bits, keys, negs in self._sorted_table(rs.tables[name]):
            shift = 32 - bits
            masked = (values >> shift) << shift
            pos = np.clip(np.searchsorted(keys, masked), 0, len(keys) - 1)
            found = (keys[pos] == masked) & ~decided
            member |= found & ~negs[pos]
            decided |= found
        return member
