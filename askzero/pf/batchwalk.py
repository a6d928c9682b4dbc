"""One batch walked through a ruleset: the work behind BatchEvaluator.decide_arrays.

pf's semantics are kept by walking the rules in order over index arrays: each rule takes the
rows it matches (last match wins, ``quick`` stops the rows it matches, an anchor narrows its
rules to the rows its own criteria match, ``tag`` rewrites the rows' tag for later rules).
Rows are grouped once by interface, direction, family, protocol and destination port, so a
rule first picks the few groups its fixed fields allow; criteria are then tested in the
reference evaluator's order on the surviving rows only, so that the rows flagged uncertain
(a ``user`` rule, ``probability``) are exactly those the reference flags.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from askzero.pf.batchaddr import Column, TableIndex, prefix_hit, range_hit
from askzero.pf.flowarrays import FlowArrays, flag_bits
from askzero.pf.host import HostProfile
from askzero.pf.evaluate import ROUTING, find_table
from askzero.pf.model import Address, PortRange, Rule, Ruleset
from askzero.pf.printer import default_flags
from askzero.pf.services import ICMP6_TYPES, ICMP_TYPES, PROTOCOLS, icmp_code_number, is_number

PORT_SPAN = 65537  # destination ports -1 (none) .. 65535 as 0 .. 65536 in a group key


class BatchWalk:
    def __init__(self, np: Any, host: HostProfile, arrays: FlowArrays, tables: dict[int, TableIndex]) -> None:
        self.np, self.host, self.a, self.tables = np, host, arrays, tables
        n = len(arrays)
        self.src = Column(arrays.af, arrays.src_hi, arrays.src_lo)
        self.dst = Column(arrays.af, arrays.dst_hi, arrays.dst_lo)
        self.tag = arrays.tag.copy()
        self.tagnames = list(arrays.tagnames)
        self.stopped = np.zeros(n, dtype=bool)
        self.last = np.full(n, -1, dtype=np.int32)
        self.uncertain = np.zeros(n, dtype=bool)
        self.refs: list[tuple[str, str, Rule]] = []  # decisive rules in the order they matched
        self._membership: dict[tuple[int, str], Any] = {}
        self._fitting: dict[tuple, set[int]] = {}
        self._selected: dict[tuple, Any] = {}
        self._group()

    # -- grouping -------------------------------------------------------------------------

    def _group(self) -> None:
        """Sort the rows by (interface, direction, family, protocol, destination port) once;
        a group is then a slice of ``self.order``."""
        np, a = self.np, self.a
        # protocol numbers (-1..255, see FlowArrays) ranked without sorting the rows
        present = np.zeros(257, dtype=bool)
        present[a.proto.astype(np.int64) + 1] = True
        protos = np.flatnonzero(present) - 1
        rank = np.cumsum(present) - 1
        coarse = ((a.ifindex.astype(np.int64) * 2 + a.inbound) * 2 + (a.af == 6)) * len(protos) + rank[a.proto + 1]
        key = coarse * PORT_SPAN + (a.dport.astype(np.int64) + 1)
        self.order = np.argsort(key)  # rows within a group may come in any order
        ordered = key[self.order]
        bounds = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts, stops = np.r_[0, bounds].tolist(), np.r_[bounds, len(key)].tolist()
        self.coarse: dict[int, tuple[int, int]] = {}  # coarse key -> slice of self.order
        self.by_port: dict[int, list[tuple[int, int, int]]] = {}  # port -> (coarse, start, stop)
        for group_key, start, stop in zip(ordered[starts].tolist() if len(key) else [], starts, stops):
            c, port = divmod(group_key, PORT_SPAN)
            first = self.coarse.get(c, (start, stop))[0]
            self.coarse[c] = (first, stop)
            self.by_port.setdefault(port - 1, []).append((c, start, stop))
        proto_numbers = protos.tolist()
        self.coarse_fields = {}
        for c in self.coarse:
            rest, proto_rank = divmod(c, len(protos))
            rest, is6 = divmod(rest, 2)
            ifindex, inbound = divmod(rest, 2)
            self.coarse_fields[c] = (a.ifnames[ifindex], bool(inbound), "inet6" if is6 else "inet",
                                     proto_numbers[proto_rank])

    def on(self, spec: str) -> Any:
        """Rows on interface or group ``spec`` (``set skip``)."""
        hits = [i for i, name in enumerate(self.a.ifnames) if self.host.on_interface(name, spec)]
        return self.np.isin(self.a.ifindex, hits)

    def _select(self, rule: Rule) -> Any:
        """Rows whose interface, direction, family, protocol and (for ``port =``)
        destination port fit ``rule``; the same for every rule with the same fields."""
        np = self.np
        port = rule.dst_port.low if rule.dst_port is not None and rule.dst_port.op == "=" else None
        fields = (rule.interface, rule.interface_negated, rule.direction, rule.af, rule.proto)
        signature = (*fields, port)
        selected = self._selected.get(signature)
        if selected is None:
            fitting = self._fitting.get(fields)
            if fitting is None:
                fitting = self._fitting[fields] = {c for c, f in self.coarse_fields.items() if self._fits(rule, *f)}
            if port is None:
                slices = [self.coarse[c] for c in fitting]
            else:
                slices = [(start, stop) for c, start, stop in self.by_port.get(port, []) if c in fitting]
            parts = [self.order[start:stop] for start, stop in slices]
            selected = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            self._selected[signature] = selected
        return selected

    def _fits(self, rule: Rule, ifname: str, inbound: bool, af: str, proto: int) -> bool:
        if rule.interface == "any":  # any interface except loopback ones (pf.conf(5))
            if self.host.on_interface(ifname, "lo") != rule.interface_negated:
                return False
        elif rule.interface and self.host.on_interface(ifname, rule.interface) == rule.interface_negated:
            return False
        return ((not rule.direction or inbound == (rule.direction == "in")) and (not rule.af or rule.af == af)
                and (not rule.proto or proto == PROTOCOLS.get(rule.proto, -2)))

    # -- walking --------------------------------------------------------------------------

    def walk(self, ruleset: Ruleset, scope: Any, prefix: str, collect: Any) -> None:
        """Apply ``ruleset`` to the rows ``scope`` marks (None: all rows). With ``collect``
        (a boolean array), mark there every row some rule matched: what a quick anchor
        needs to know when its rules are done."""
        np = self.np
        stopped = self.stopped
        for rule in ruleset.rules:
            idx = self._select(rule)
            if scope is not None:
                idx = idx[scope[idx]]
            idx = idx[~stopped[idx]]
            if idx.size:
                idx = self._match(rule, ruleset, idx)
            if idx.size == 0:
                continue
            if rule.is_anchor:
                inner_scope = np.zeros(len(stopped), dtype=bool)
                inner_scope[idx] = True
                inner = np.zeros(len(stopped), dtype=bool) if (rule.quick or collect is not None) else None
                self.walk(rule.anchor, inner_scope, f"{prefix}{rule.number}.{rule.anchor.name}.", inner)  # type: ignore[union-attr]
                if inner is not None:
                    if collect is not None:
                        collect |= inner
                    if rule.quick:
                        stopped |= inner
                continue
            if collect is not None:
                collect[idx] = True
            if rule.action != "match":
                self.refs.append(("block" if rule.action == "block" else "pass", f"{prefix}{rule.number}", rule))
                self.last[idx] = len(self.refs) - 1
            if rule.tag:  # a packet carries one tag: a later tag replaces it (pf.conf(5))
                self.tag[idx] = self._tag_code(rule.tag)
            if rule.quick:
                stopped[idx] = True

    def _tag_code(self, name: str) -> int:
        if name not in self.tagnames:
            self.tagnames.append(name)
        return self.tagnames.index(name)

    # -- matching -------------------------------------------------------------------------

    def _match(self, rule: Rule, ruleset: Ruleset, idx: Any) -> Any:
        """The rows of ``idx`` that ``rule`` matches; criteria in the reference's order."""
        a = self.a
        for address, column, side in ((rule.src, self.src, "src"), (rule.dst, self.dst, "dst")):
            if address.kind not in ROUTING and (address.kind != "any" or address.negated):
                idx = idx[self._address(address, column, side, ruleset, idx, rule.af)]
            if idx.size == 0:
                return idx
        for port, values in ((rule.src_port, a.sport), (rule.dst_port, a.dport)):
            if port is not None:
                v = values[idx]
                idx = idx[(v >= 0) & _port_hit(port, v)]
        flags = default_flags(rule)
        if flags and idx.size:
            want, check = flag_bits(flags[0]), flag_bits(flags[1] or "FSRPAUEW")
            idx = idx[(a.proto[idx] != PROTOCOLS["tcp"]) | ((a.flags[idx] & check) == want)]
        if rule.icmp_type and idx.size:
            idx = idx[self._icmp(rule, idx)]
        if rule.tagged and idx.size:
            code = self.tagnames.index(rule.tagged) if rule.tagged in self.tagnames else -2
            idx = idx[(self.tag[idx] == code) != rule.tagged_negated]
        if rule.received_on and not rule.received_on_negated:
            return idx[:0]  # a row of FlowArrays was received on no recorded interface
        for address in (rule.src, rule.dst):
            if address.kind in ROUTING and idx.size:  # unknown: flagged, assumed routable
                self.uncertain[idx] = True
                if not address.negated:
                    return idx[:0]
        if (rule.user or rule.group) and idx.size:
            self.uncertain[idx] = True  # the socket's owner is unknown for these rows
            return idx[:0]
        if rule.probability is not None and rule.probability < 1 and idx.size:
            self.uncertain[idx] = True  # assumed to match
        return idx

    def _address(self, address: Address, column: Column, side: str, ruleset: Ruleset, idx: Any,
                 rule_af: str | None) -> Any:
        np = self.np
        kind = address.kind
        if kind == "any":
            hit = np.ones(len(idx), dtype=bool)
        elif kind == "net":
            net = address.net
            # the rows were selected by the rule's family: only a rule without one mixes them
            same_family = rule_af == ("inet" if net.version == 4 else "inet6")  # type: ignore[union-attr]
            hit = prefix_hit(column, idx, int(net.network_address), net.prefixlen, net.version,  # type: ignore[union-attr]
                             not same_family)
        elif kind == "range":
            low, high = address.net.network_address, ipaddress.ip_address(address.name)  # type: ignore[union-attr]
            hit = range_hit(column, idx, int(low), int(high), low.version)
        elif kind == "dynamic":
            found = self.host.self_addresses() if address.name == "self" else self.host.addresses(address.name)
            hit = np.zeros(len(idx), dtype=bool)
            for a in found:
                net = a.network if address.modifier == "network" else ipaddress.ip_network(a.ip)
                hit |= prefix_hit(column, idx, int(net.network_address), net.prefixlen, net.version)
        elif kind == "table":
            hit = self._table(address.name, column, side, ruleset)[idx]
        else:  # a kind the walk does not model never reaches here (see batch._first_unsupported)
            raise AssertionError(kind)
        return hit != address.negated

    def _table(self, name: str, column: Column, side: str, ruleset: Ruleset) -> Any:
        """Membership of every row in table ``name`` (looked up from the rule's anchor
        towards the main ruleset), computed once per table and side within a batch."""
        table = find_table(name, ruleset)
        key = (id(table), side)
        if key not in self._membership:
            index = self.tables.get(id(table)) if table is not None else None
            self._membership[key] = (index.membership(column) if index is not None
                                     else self.np.zeros(len(column.af), dtype=bool))
        return self._membership[key]

    def _icmp(self, rule: Rule, idx: Any) -> Any:
        """icmp-type/code per family: the same name can mean different numbers in each."""
        np, a = self.np, self.a
        af, types, codes = a.af[idx], a.icmp_type[idx], a.icmp_code[idx]
        hit = np.zeros(len(idx), dtype=bool)
        for version, family, names in ((4, "inet", ICMP_TYPES), (6, "inet6", ICMP6_TYPES)):
            name = rule.icmp_type or ""
            want = int(name) if is_number(name) else names.get(name)
            ok = (af == version) & (types == (-1 if want is None else want))
            if rule.icmp_code is not None:
                code = icmp_code_number(family, want or 0, rule.icmp_code)
                ok &= codes == code if code is not None else False
            hit |= ok
        return hit


def _port_hit(port: PortRange, v: Any) -> Any:
    lo, hi = port.low, port.high
    op = port.op
    if op == "=":
        return v == lo
    if op == "!=":
        return v != lo
    if op == "<":
        return v < lo
    if op == "<=":
        return v <= lo
    if op == ">":
        return v > lo
    if op == ">=":
        return v >= lo
    if op == ":":
        return (v >= lo) & (v <= hi)
    if op == "><":
        return (v > lo) & (v < hi)
    return (v < lo) | (v > hi)  # <>
