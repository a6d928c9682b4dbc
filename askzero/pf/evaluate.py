"""Packet evaluation exactly as pf.conf(5) describes it.

Rules are walked first to last; the last matching pass or block rule decides unless a
matching rule is ``quick``; ``match`` rules apply their options and translations without
deciding; anchors are evaluated in place. What cannot be known from a flow description
(``probability``, ``user`` without a socket owner) is reported as uncertain, not guessed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from askzero.pf.afto import translate_af
from askzero.pf.flow import Flow
from askzero.pf.host import HostProfile
from askzero.pf.model import Address, PfConfig, PortRange, Rule, Ruleset, Source, Table, TableEntry
from askzero.pf.printer import default_flags, rule_text
from askzero.pf.services import ICMP6_TYPES, ICMP_TYPES, PROTOCOLS, icmp_code_number, is_number
from askzero.pf.skipsteps import END, skip_steps
from askzero.pf.tables import lookup


@dataclass(frozen=True)
class TableHit:
    table: Table
    address: str
    entry: TableEntry | None  # None: the address is in no entry

    @property
    def member(self) -> bool:
        return self.entry is not None and not self.entry.negated

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"table": self.table.name, "anchor": self.table.anchor, "address": self.address,
                               "member": self.member}
        if self.entry is not None:
            out["entry"] = ("!" if self.entry.negated else "") + str(self.entry.net)
            out["file"], out["line"] = self.entry.source.file, self.entry.source.line
            if self.entry.comment:
                out["comment"] = self.entry.comment
        return out


@dataclass(frozen=True)
class RuleMatch:
    rule: Rule
    ref: str  # the rule number as pflog prints it

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.ref, "action": self.rule.action, "file": self.rule.source.file,
                "line": self.rule.source.line, "text": rule_text(self.rule), "anchor": self.rule.path,
                "macros": list(self.rule.macros), "expansion": list(self.rule.expansion)}


@dataclass(frozen=True)
class Rewrite:
    """A translation applied to the packet, and the rule that applied it."""

    text: str
    source: Source

    def __str__(self) -> str:
        return f"{self.text} ({self.source})"


@dataclass
class Verdict:
    flow: Flow
    action: str = "pass"
    decision: str = "default"  # rule | default | skip
    rule: RuleMatch | None = None
    skip_source: Source | None = None
    trace: list[RuleMatch] = field(default_factory=list)
    tables: list[TableHit] = field(default_factory=list)
    translations: list[Rewrite] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    final_flow: Flow | None = None
    af_to: Flow | None = None  # the packet an af-to rule made, in its new family
    notes: list[str] = field(default_factory=list)  # what the decision means beyond this packet

    @property
    def pflog_ref(self) -> str:
        return self.rule.ref if self.rule else "def"

    def to_dict(self) -> dict[str, Any]:
        rule: dict[str, Any] | None = None
        if self.rule is not None:
            rule = self.rule.to_dict()
        elif self.skip_source is not None:
            rule = {"file": self.skip_source.file, "line": self.skip_source.line, "number": None, "text": "set skip"}
        return {
            "flow": str(self.flow), "action": self.action, "decision": self.decision, "rule": rule,
            "trace": [m.to_dict() for m in self.trace], "tables": [t.to_dict() for t in self.tables],
            "translations": [{"text": t.text, "file": t.source.file, "line": t.source.line} for t in self.translations],
            "uncertain": self.uncertain,
            "af_to": None if self.af_to is None else {
                "af": self.af_to.af, "src": str(self.af_to.src), "dst": str(self.af_to.dst), "proto": self.af_to.proto},
            "notes": self.notes,
        }


OTHER = 9  # a failed criterion without a skip step
ROUTING = ("no-route", "urpf-failed")  # addresses only the routing table can decide


class _Stop(Exception):
    """Raised to end evaluation after a quick rule."""


class Evaluator:
    def __init__(self, config: PfConfig, host: HostProfile) -> None:
        self.config = config
        self.host = host

    def evaluate(self, flow: Flow) -> Verdict:
        verdict = Verdict(flow)
        for spec, source in self.config.skip:
            if self.host.on_interface(flow.ifname, spec):
                verdict.decision, verdict.skip_source = "skip", source
                return verdict
        state = {"flow": flow, "last": None}
        try:
            self._ruleset(self.config.main, state, verdict, prefix="")
        except _Stop:
            pass
        last: RuleMatch | None = state["last"]  # type: ignore[assignment]
        if last is not None and last.rule.action == "pass" and last.rule.translations:
            self._translate(last.rule, state, verdict)
        verdict.final_flow = state["flow"]  # type: ignore[assignment]
        if last is not None:
            verdict.rule, verdict.decision = last, "rule"
            verdict.action = "block" if last.rule.action == "block" else "pass"
        return verdict

    def _ruleset(self, ruleset: Ruleset, state: dict, verdict: Verdict, prefix: str) -> bool:
        """Evaluate one ruleset in place; returns whether any rule in it matched."""
        matched_any = False
        for rule in ruleset.rules:
            if self._matches(rule, state["flow"], ruleset, verdict):
                matched_any = self._apply(rule, ruleset, state, verdict, prefix) or matched_any
        return matched_any

    def _apply(self, rule: Rule, ruleset: Ruleset, state: dict, verdict: Verdict, prefix: str) -> bool:
        """Act on a matching rule; returns whether a rule matched (for an anchor: inside it)."""
        ref = f"{prefix}{rule.number}"
        if rule.is_anchor:
            inner = self._anchor(rule, ruleset, state, verdict, ref)
            if inner and rule.quick:
                raise _Stop
            return inner
        match = RuleMatch(rule, ref)
        verdict.trace.append(match)
        if rule.action == "match":
            self._translate(rule, state, verdict)
        else:  # a pass rule's translation applies only if it decides, after evaluation
            state["last"] = match
        if rule.tag:  # a packet carries one tag: a later tag replaces it (pf.conf(5))
            state["flow"] = state["flow"].with_(tags=frozenset([rule.tag]))
        if rule.quick:
            raise _Stop
        return True

    def _anchor(self, rule: Rule, ruleset: Ruleset, state: dict, verdict: Verdict, ref: str) -> bool:
        verdict.trace.append(RuleMatch(rule, ref))
        name = rule.anchor_name or ""
        if name.endswith("*"):
            base = ruleset
            for part in name.rstrip("*").strip("/").split("/"):
                base = base.children.get(part, Ruleset())
            children = [base.children[k] for k in sorted(base.children)]
        else:
            children = [rule.anchor] if rule.anchor is not None else []
        matched = False
        for child in children:
            matched = self._ruleset(child, state, verdict, prefix=f"{rule.number}.{child.name}.") or matched
        return matched

    # -- matching -------------------------------------------------------------------------

    def _matches(self, rule: Rule, flow: Flow, ruleset: Ruleset, verdict: Verdict) -> bool:
        return self._mismatch(rule, flow, ruleset, verdict) < 0

    def _mismatch(self, rule: Rule, flow: Flow, ruleset: Ruleset, verdict: Verdict) -> int:
        """-1 when ``rule`` matches; else the skip-step field that failed (skipsteps.NAMES
        order), or OTHER for a criterion skip steps do not cover."""
        if rule.interface == "any":  # any existing interface except loopback ones (pf.conf(5))
            if self.host.on_interface(flow.ifname, "lo") != rule.interface_negated:
                return 0
        elif rule.interface:
            on = self.host.on_interface(flow.ifname, rule.interface)
            if on == rule.interface_negated:
                return 0
        if rule.direction and rule.direction != flow.direction:
            return 1
        if rule.af and rule.af != flow.af:
            return 3
        if rule.proto and PROTOCOLS.get(rule.proto, rule.proto) != PROTOCOLS.get(flow.proto, flow.proto):
            return 4
        if rule.src.kind not in ROUTING and not self._address(rule.src, flow.src, flow, ruleset, verdict):
            return 5
        if rule.dst.kind not in ROUTING and not self._address(rule.dst, flow.dst, flow, ruleset, verdict):
            return 6
        if rule.src_port and (flow.sport is None or not rule.src_port.matches(flow.sport)):
            return 7
        if rule.dst_port and (flow.dport is None or not rule.dst_port.matches(flow.dport)):
            return 8
        flags = default_flags(rule)
        if flags and flow.proto == "tcp" and not _flags_match(flow.flags, flags):
            return OTHER
        if rule.icmp_type and not self._icmp(rule, flow):
            return OTHER
        if rule.tagged and ((rule.tagged in flow.tags) == rule.tagged_negated):
            return OTHER
        if rule.received_on:
            received = bool(flow.received_on) and self.host.on_interface(flow.received_on, rule.received_on)  # type: ignore[arg-type]
            if received == rule.received_on_negated:
                return OTHER
        for addr in (rule.src, rule.dst):
            # unknown without the routing table: flagged only when everything else matches,
            # so a rule that fails for a known reason does not make the answer uncertain
            if addr.kind in ROUTING:
                verdict.uncertain.append(f"{rule.source}: {addr.kind} depends on the routing table, "
                                         "which a host profile does not hold; assumed "
                                         + ("routable" if addr.kind == "no-route" else "to pass the check"))
                if not addr.negated:
                    return OTHER
        for what in ("user", "group"):
            if getattr(rule, what) and getattr(flow, what) is None:
                verdict.uncertain.append(f"{rule.source}: rule needs the socket's {what}, unknown for this flow")
                return OTHER
            if getattr(rule, what) and not self._owner_matches(getattr(rule, what), getattr(flow, what), what):
                return OTHER
        if rule.probability is not None and rule.probability < 1:
            verdict.uncertain.append(f"{rule.source}: matches with probability {rule.probability:.0%}; assumed to match")
        return -1

    def _address(self, addr: Address, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, flow: Flow,
                 ruleset: Ruleset, verdict: Verdict) -> bool:
        if addr.kind == "any":
            hit = True
        elif addr.kind == "net":
            assert addr.net is not None
            hit = addr.net.version == ip.version and ip in addr.net
        elif addr.kind == "range":
            assert addr.net is not None
            low, high = addr.net.network_address, ipaddress.ip_address(addr.name)
            hit = low.version == ip.version and low <= ip <= high  # type: ignore[operator]
        elif addr.kind == "table":
            table = self._table(addr.name, ruleset)
            if table is None:
                hit = False
            else:
                entry = lookup(table, ip)
                verdict.tables.append(TableHit(table, str(ip), entry))
                hit = entry is not None and not entry.negated
        elif addr.kind == "dynamic":
            hit = any(ip in _dynamic_net(a, addr.modifier) for a in self._dynamic(addr.name)
                      if a.version == ip.version)
        else:
            hit = False
        return hit != addr.negated

    def _owner_matches(self, spec: str, value: str, what: str) -> bool:
        """``user = 0`` / ``group >= 1000`` against the flow's user or group (name or id)."""
        ids = self.host.users if what == "user" else self.host.groups
        number = int(value) if is_number(value) else ids.get(value)
        if number is None:
            return False
        op, _, wanted = spec.partition(" ")
        return PortRange(op, int(wanted)).matches(number)

    def _dynamic(self, name: str) -> list:
        if name == "self":
            return self.host.self_addresses()
        return self.host.addresses(name)

    def _table(self, name: str, ruleset: Ruleset) -> Table | None:
        return find_table(name, ruleset)

    def _icmp(self, rule: Rule, flow: Flow) -> bool:
        table = ICMP6_TYPES if flow.af == "inet6" else ICMP_TYPES
        want = int(rule.icmp_type) if is_number(rule.icmp_type) else table.get(rule.icmp_type)  # type: ignore[union-attr]
        if flow.icmp_type != want:
            return False
        if rule.icmp_code is None:
            return True
        code = icmp_code_number(flow.af, want or 0, rule.icmp_code)
        return code is not None and flow.icmp_code == code

    def _translate(self, rule: Rule, state: dict, verdict: Verdict) -> None:
        flow: Flow = state["flow"]
        for tr in rule.translations:
            if tr.kind == "af-to":
                result = translate_af(rule, tr, flow, self.host)
                verdict.uncertain += result.uncertain
                verdict.notes += result.notes
                if result.flow is not None:
                    flow = verdict.af_to = result.flow
                    verdict.translations.append(Rewrite(result.text, rule.source))
                continue
            targets = [tr.address.net.network_address] if tr.address.net is not None else \
                [a.ip for a in self._dynamic(tr.address.name) if a.version == flow.src.version][:1]
            if not targets:
                verdict.uncertain.append(f"{rule.source}: {tr.kind} target has no address on this host")
                continue
            target = targets[0]
            port = tr.port.low if tr.port is not None else None
            if tr.kind == "nat-to":
                flow = flow.with_(src=target)
                verdict.translations.append(Rewrite(f"nat-to: source {state['flow'].src} becomes {target}", rule.source))
            elif tr.kind in ("rdr-to", "binat-to"):
                flow = flow.with_(dst=target, dport=port if port is not None else flow.dport)
                shown = f"{target}" + (f" port {port}" if port is not None else "")
                verdict.translations.append(Rewrite(f"{tr.kind}: destination {state['flow'].dst} becomes {shown}", rule.source))
        state["flow"] = flow


def _flags_match(packet: str, spec: tuple[str, str]) -> bool:
    want, mask = set(spec[0]), set(spec[1] or "FSRPAUEW")
    have = set(packet)
    return (have & mask) == want


def _dynamic_net(addr: ipaddress.IPv4Interface | ipaddress.IPv6Interface, modifier: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if modifier == "network":
        return addr.network
    return ipaddress.ip_network(addr.ip)


class FastEvaluator(Evaluator):
    """The same semantics with pf's own shortcut: skip steps.

    When a rule fails on one of the fields skip steps cover, every following rule with the
    same value in that field fails too, so evaluation jumps past the whole run, as the
    kernel does. The plain Evaluator, which tries every rule, is the reference it is
    checked against (tests/test_pf_fast.py).
    """

    def __init__(self, config: PfConfig, host: HostProfile) -> None:
        super().__init__(config, host)
        self._steps: dict[int, list[list[int]]] = {}

    def _ruleset(self, ruleset: Ruleset, state: dict, verdict: Verdict, prefix: str) -> bool:
        steps = self._steps.get(id(ruleset))
        if steps is None:
            steps = self._steps[id(ruleset)] = skip_steps(ruleset.rules)
        matched_any = False
        rules = ruleset.rules
        i = 0
        while i < len(rules):
            rule = rules[i]
            failed = self._mismatch(rule, state["flow"], ruleset, verdict)
            if failed >= 0:
                target = steps[i][failed] if failed < OTHER else i + 1
                i = len(rules) if target == END else max(target, i + 1)
                continue
            i += 1
            matched_any = self._apply(rule, ruleset, state, verdict, prefix) or matched_any
        return matched_any


def find_table(name: str, ruleset: Ruleset) -> Table | None:
    """Tables are looked up in the rule's anchor, then towards the main ruleset."""
    rs: Ruleset | None = ruleset
    while rs is not None:
        if name in rs.tables:
            return rs.tables[name]
        rs = rs.parent
    return None
