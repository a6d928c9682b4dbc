"""Filter evaluation as bgpd.conf(5) FILTER and PARAMETERS describe it.

bgpd.conf(5) (lines cited from the copy in ../shared/reference/man/bgpd.conf.5):

- 1652-1660: "the filter rules are evaluated in sequential order, from first to last. The last
  matching allow or deny rule decides what action is taken. The default action is to deny."
- 1673: ``match`` applies "the filter attribute set without influencing the filter
  decision".
- 2084-2087: a matching ``quick`` rule "is considered the last matching rule, and evaluation
  of subsequent rules is skipped".
- 2099: "The set of every matching rule is applied, not only the last matching one."

The walk is rde_filter.c's rde_filter(): sets are applied to the update as rules match, so a
later rule sees the communities, AS path and nexthop as earlier rules left them. Criteria are
tested as rde_filter_match() tests them (see match.py). What the update description does not
say (no AS path, no nexthop, no validation state and RTR sessions configured, the source peer
of an outbound route) is assumed as stated in ``uncertain``, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from askzero.bgp.addr import Addr, host, prefix_compare
from askzero.bgp.community import (TYPE_BASIC, TYPE_EXT, TYPE_LARGE, WELLKNOWN, Community,
                                   format_community)
from askzero.bgp.match import (aspath_lenmatch, aspath_match, aspath_neighbor, aspath_origin, community_count,
                               community_match, prefix_match)
from askzero.bgp.model import (ACTION_ALLOW, ACTION_DENY, ACTION_NONE, AS_UNDEF, ASLEN_NONE,
                               ASPA_UNKNOWN, DIR_IN, ENFORCE_AS_ON, EXPORT_DEFAULT_ROUTE, EXPORT_NONE,
                               PREFIXSET_FLAG_LONGER, ROA_NOTFOUND, BgpConfig, FilterRule, Peer)
from askzero.bgp.prefixset import PrefixTrie, RoaTable, prefixset_trie, roa_table
from askzero.bgp.printer import _Printer
from askzero.bgp.setactions import DEFAULT_LPREF, AppliedSet, State, apply_sets
from askzero.bgp.update import Update, format_as_path
from askzero.errors import UsageError

MAN = "bgpd.conf(5)"
DEFAULT_CITE = f"{MAN} FILTER: \"The default action is to deny.\""
OVS_NAMES = ["not-found", "invalid", "valid"]
AVS_NAMES = ["unknown", "invalid", "valid"]
NO_ADVERTISE = Community(TYPE_BASIC, 0xFFFF, WELLKNOWN["NO_ADVERTISE"])
NO_EXPORT = Community(TYPE_BASIC, 0xFFFF, WELLKNOWN["NO_EXPORT"])
NO_EXPORT_SUBCONFED = Community(TYPE_BASIC, 0xFFFF, WELLKNOWN["NO_EXPORT_SUBCONFED"])


def rule_text(conf: BgpConfig, rule: FilterRule) -> str:
    """The rule as ``bgpd -nv`` prints it (the printer's own code, one rule)."""
    p = _Printer(conf, "127.0.0.1")
    p.rule(rule)
    return "".join(p.out).rstrip("\n")


@dataclass
class RuleHit:
    """One rule that matched, in evaluation order."""

    rule: FilterRule
    text: str
    uncertain: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        src = self.rule.source
        action = {ACTION_ALLOW: "allow", ACTION_DENY: "deny"}.get(self.rule.action, "match")
        return {"file": src.file if src else None, "line": src.line if src else None, "text": self.text,
                "action": action, "quick": self.rule.quick, "uncertain": list(self.uncertain)}


@dataclass
class Result:
    update: Update
    neighbor: Peer
    decision: str = "deny"
    decided_by: str = "default"  # rule | default
    rule: RuleHit | None = None
    trace: list[RuleHit] = field(default_factory=list)
    sets: list[AppliedSet] = field(default_factory=list)
    state: State | None = None
    uncertain: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decision_certain: bool = True  # no allow/deny rule's outcome rests on an assumption
    sets_certain: bool = True

    def final_sets(self) -> list[AppliedSet]:
        """Every attribute's last value (later rules override earlier ones); community and
        prepend actions accumulate, so each of them is kept."""
        last: dict[str, int] = {}
        for i, s in enumerate(self.sets):
            if s.accumulates:
                last[f"{s.attribute}#{i}"] = i
            else:
                last.pop(s.attribute, None)
                last[s.attribute] = i
        return [self.sets[i] for i in sorted(last.values())]

    def to_dict(self) -> dict[str, Any]:
        rule = None
        if self.rule is not None:
            d = self.rule.to_dict()
            rule = {"file": d["file"], "line": d["line"], "text": d["text"]}
        n = self.neighbor
        return {"decision": self.decision, "decided_by": self.decided_by, "rule": rule,
                "default": DEFAULT_CITE if self.decided_by == "default" else None,
                "update": self.update.to_dict(),
                "neighbor": {"address": n.address, "descr": n.descr or None, "remote_as": n.remote_as,
                             "group": n.group or None, "ebgp": n.ebgp,
                             "file": n.source.file if n.source else None,
                             "line": n.source.line if n.source else None},
                "decision_certain": self.decision_certain, "sets_certain": self.sets_certain,
                "trace": [h.to_dict() for h in self.trace],
                "set": [s.to_dict() for s in self.final_sets()],
                "set_applied": [s.to_dict() for s in self.sets],
                "attributes": self.state.to_dict() if self.state else {},
                "uncertain": list(self.uncertain), "notes": list(self.notes)}


def find_neighbor(conf: BgpConfig, name: str) -> tuple[Peer, list[str]]:
    """A neighbor by address, neighbor description or a template's prefix it falls in."""
    for p in conf.neighbors():
        if p.address == name or (p.remote_addr is not None and str(p.remote_addr) == name):
            return p, []
    by_descr = [p for p in conf.neighbors() if p.descr and p.descr == name]
    if len(by_descr) == 1:
        return by_descr[0], []
    if len(by_descr) > 1:
        raise UsageError(f"neighbor description {name!r} names {len(by_descr)} neighbors; use an address")
    parsed = host(name)
    if parsed is not None:
        addr = parsed[0]
        for p in conf.neighbors():
            if (p.template and p.remote_addr is not None and p.remote_addr.aid == addr.aid
                    and not prefix_compare(addr, p.remote_addr, p.remote_masklen)):
                clone = replace(p, remote_addr=addr, remote_masklen=addr.maxlen, id=-1)
                return clone, [f"{name} is not a configured neighbor; it falls in the template neighbor "
                               f"{p.address} ({p.source}). bgpd clones templates with a new peer id, so "
                               f"rules naming {p.address} itself were not applied; group rules were"
                               + ("" if p.remote_as else "; its AS comes from the session (remote-as 0)")]
    known = ", ".join(p.address + (f" ({p.descr})" if p.descr else "") for p in conf.neighbors()) or "none"
    raise UsageError(f"no neighbor {name!r} in the configuration (neighbors: {known})")


class Evaluator:
    """Evaluates updates against one parsed configuration (sets and ROAs built once)."""

    def __init__(self, conf: BgpConfig) -> None:
        self.conf = conf
        self.as_sets = {a.name: a.members for a in conf.as_sets}
        self._tries: dict[str, PrefixTrie] = {}
        self._origins: dict[str, RoaTable] = {}
        self._roas: RoaTable | None = None

    def trie(self, name: str) -> PrefixTrie | None:
        if name not in self._tries:
            ps = next((s for s in self.conf.prefixsets if s.name == name), None)
            if ps is None:
                return None
            self._tries[name] = prefixset_trie(ps)
        return self._tries[name]

    def origin_table(self, name: str) -> RoaTable | None:
        if name not in self._origins:
            os_ = next((s for s in self.conf.originsets if s.name == name), None)
            if os_ is None:
                return None
            self._origins[name] = roa_table(os_.roas)
        return self._origins[name]

    # -- the walk -----------------------------------------------------------------------

    def evaluate(self, update: Update) -> Result:
        peer, notes = find_neighbor(self.conf, update.neighbor)
        res = Result(update, peer, notes=notes)
        inbound = update.direction == DIR_IN
        comms = update.communities
        if inbound and peer.ebgp and any(c.kind == TYPE_EXT and (c.data3 >> 8) & 0x40 for c in comms):
            comms = tuple(c for c in comms if not (c.kind == TYPE_EXT and (c.data3 >> 8) & 0x40))
            res.notes.append("non-transitive ext-communities from an EBGP neighbor are dropped on receipt "
                             "(rde_community.c community_ext_add), before any filter")
        # EBGP updates start with localpref 100 whatever they carry; weight is local (0)
        lpref = DEFAULT_LPREF if inbound and peer.ebgp else update.localpref
        state = State(as_path=update.as_path or (), communities=comms, nexthop=update.nexthop,
                      nexthop_known="nexthop" in update.given, localpref=lpref,
                      med=update.med,
                      weight=0 if inbound else None)
        ovs = self._ovs(update, res)
        avs = update.avs if update.avs is not None else ASPA_UNKNOWN
        rib = update.rib or "Loc-RIB"
        if rib not in {r.name for r in self.conf.ribs} | {"Loc-RIB"}:
            raise UsageError(f"no rib {rib!r} in the configuration "
                             f"(ribs: {', '.join(r.name for r in self.conf.ribs) or 'Loc-RIB'})")
        self._context_notes(update, peer, res, rib)
        action = ACTION_DENY  # 1660: "The default action is to deny."
        for rule in self.conf.filters:
            if not self._applies(rule, update, peer, rib):
                continue
            doubts: list[str] = []
            matched = self._match(rule, update, peer, state, ovs, avs, doubts)
            if doubts:
                if rule.sets:  # later rules match against what these sets change
                    res.sets_certain = res.decision_certain = False
                if rule.action == ACTION_NONE:
                    doubts = [f"{d} (a match rule: only its set actions depend on it)" for d in doubts]
                else:
                    res.decision_certain = False
            if not matched:
                res.uncertain += [f"{_cite(rule)}: did not match, assuming {d}" for d in doubts]
                continue
            hit = RuleHit(rule, rule_text(self.conf, rule),
                          [f"matched assuming {d}" for d in doubts])
            res.uncertain += [f"{_cite(rule)}: {u}" for u in hit.uncertain]
            res.trace.append(hit)
            applied, set_doubts = apply_sets(rule, state, update, peer, self.conf)
            res.sets += applied
            res.uncertain += [f"{_cite(rule)}: {d}" for d in set_doubts]
            if set_doubts:  # later rules see an AS path or attribute we could not compute
                res.sets_certain = res.decision_certain = False
            if rule.action != ACTION_NONE:  # 1673: match rules do not influence the decision
                action = rule.action
                res.rule, res.decided_by = hit, "rule"
            if rule.quick:  # 2086: "considered the last matching rule"
                break
        res.decision = "allow" if action == ACTION_ALLOW else "deny"
        res.state = state
        return res

    def _applies(self, rule: FilterRule, update: Update, peer: Peer, rib: str) -> bool:
        """Direction, RIB and neighbor: what bgpd sorts rules by before matching."""
        if rule.dir != update.direction:
            return False
        if update.direction == DIR_IN and (rule.rib or "Loc-RIB") != rib:
            return False  # inbound rules are kept per RIB; no rib means Loc-RIB
        f = rule.peer
        # rde_filter_skip_rule() and rde_filter_match(): peer id, group, AS, ebgp/ibgp
        if f.peerid and f.peerid != peer.id:
            return False
        if f.groupid and f.groupid != peer.groupid:
            return False
        if f.remote_as and f.remote_as != peer.remote_as:
            return False
        if f.ebgp and not peer.ebgp:
            return False
        return not (f.ibgp and peer.ebgp)

    def _match(self, rule: FilterRule, update: Update, peer: Peer, state: State, ovs: int, avs: int,
               doubts: list[str]) -> bool:
        """rde_filter_match(), criterion by criterion in bgpd's order."""
        m = rule.match
        ok, certain_miss = True, False
        found: list[str] = []

        def test(result: bool, doubt: str | None = None) -> None:
            nonlocal ok, certain_miss
            if doubt:
                found.append(doubt)
            elif not result:
                certain_miss = True  # the rule misses whatever the assumptions
            ok = ok and result

        if m.ovs is not None:
            test(ovs == m.ovs, None if update.ovs is not None or not self._ovs_doubt
                 else f"origin validation state {OVS_NAMES[ovs]} ({self._ovs_doubt})")
        if m.avs is not None:
            test(avs == m.avs, None if update.avs is not None
                 else f"ASPA validation state {AVS_NAMES[avs]} (not given; bgpd computes it from "
                      "aspa-set/RTR data and the neighbor's role)")
        path_doubt = None if update.as_path is not None else "an empty AS path (as-path not given)"
        if m.as_.type != AS_UNDEF:
            test(aspath_match(state.as_path, m.as_, peer.remote_as, self.conf.as_, self.as_sets), path_doubt)
        if m.aslen_type != ASLEN_NONE:
            test(aspath_lenmatch(state.as_path, m.aslen_type, m.aslen), path_doubt)
        for fc in m.communities:
            test(community_match(state.communities, fc, peer.remote_as, peer.local_as),
                 self._community_doubt(update, fc.kind))
        for limit, kind in ((m.maxcomm, TYPE_BASIC), (m.maxextcomm, TYPE_EXT), (m.maxlargecomm, TYPE_LARGE)):
            if limit:  # stored as N + 1: "more than N" elements
                test(limit <= community_count(state.communities, kind), self._community_doubt(update, kind))
        if m.nexthop_flags:
            test(*self._nexthop(m.nexthop if m.nexthop_flags == 1 else None, update, peer, state))
        if m.originset:
            table = self.origin_table(m.originset)
            origin = aspath_origin(state.as_path, self.conf.as_)
            # "origin-set lookups match only on ROA_VALID" (rde_filter.c)
            test(table is not None and table.check(update.prefix, update.plen, origin) == 2, path_doubt)
        if m.prefixset:
            trie = self.trie(m.prefixset)
            test(trie is not None and trie.match(update.prefix, update.plen,
                                                 bool(m.prefixset_flags & PREFIXSET_FLAG_LONGER)))
        elif m.prefix.addr is not None:
            test(prefix_match(m.prefix, update.prefix, update.plen))
        if not certain_miss:
            doubts += found
        return ok

    @staticmethod
    def _community_doubt(update: Update, kind: int) -> str | None:
        word = {TYPE_BASIC: "community", TYPE_LARGE: "large-community", TYPE_EXT: "ext-community"}[kind]
        return None if word in update.given else f"no {word} values ({word} not given)"

    def _nexthop(self, want: Addr | None, update: Update, peer: Peer, state: State) -> tuple[bool, str | None]:
        """``nexthop ADDR`` or ``nexthop neighbor`` (compared with the peer the route came from)."""
        if want is None:
            if update.direction != DIR_IN:
                return False, ("'nexthop neighbor' compares with the neighbor the route was learned from, "
                               "which an outbound update description does not name: assumed no match")
            want = peer.remote_addr
        if state.nexthop is None:
            # rde_filter.c: "no nexthop, skip"
            doubt = None if state.nexthop_known else "no nexthop (nexthop not given)"
            return False, doubt
        ok = want is not None and want.aid == state.nexthop.aid and want.raw == state.nexthop.raw
        return ok, None

    _ovs_doubt: str = ""

    def _ovs(self, update: Update, res: Result) -> int:
        """The origin validation state bgpd computes on receipt: the roa-set checked with the
        AS path's origin (RTR sessions add ROAs we cannot see)."""
        self._ovs_doubt = ""
        if update.ovs is not None:
            return update.ovs
        if self.conf.rtrs:
            self._ovs_doubt = ("not given, and ROAs also come from RTR sessions "
                               f"({', '.join(str(r.remote_addr) for r in self.conf.rtrs)})")
        if update.as_path is None and self.conf.roas:
            self._ovs_doubt = self._ovs_doubt or "not given, and as-path not given"
        if not self.conf.roas or not any(r.match.ovs is not None for r in self.conf.filters):
            return ROA_NOTFOUND
        if self._roas is None:
            self._roas = roa_table(self.conf.roas)
        state = self._roas.check(update.prefix, update.plen, aspath_origin(update.as_path or (), self.conf.as_))
        res.notes.append(f"origin validation state {OVS_NAMES[state]}: computed from the roa-set "
                         f"({len(self.conf.roas)} ROAs) and origin AS "
                         f"{aspath_origin(update.as_path or (), self.conf.as_)}")
        return state

    def _context_notes(self, update: Update, peer: Peer, res: Result, rib: str) -> None:
        """What bgpd does around the filters that decides as much as they do."""
        others = [r.name for r in self.conf.ribs if r.name not in (rib, "Adj-RIB-In", "Loc-RIB")]
        if update.direction == DIR_IN:
            if peer.ebgp and update.localpref is not None:
                res.notes.append(f"localpref {update.localpref} ignored: bgpd ignores LOCAL_PREF from EBGP "
                                 f"neighbors and starts at {DEFAULT_LPREF}")
            path = update.as_path
            if path is not None and peer.ebgp and peer.enforce_as == ENFORCE_AS_ON \
                    and aspath_neighbor(path, self.conf.as_) != peer.remote_as:
                # bgpd.conf(5) 1315-1332: rejected "and a NOTIFICATION is sent back"
                res.notes.append(f"enforce neighbor-as is on for {peer.address}: an AS path not starting with "
                                 f"{peer.remote_as} is rejected with a NOTIFICATION before any filter runs")
            if path is not None and peer.enforce_local_as == ENFORCE_AS_ON \
                    and any(peer.local_as in asns for _, asns in path):
                # bgpd.conf(5) 1301-1312: AS loop detection (enforce local-as, default yes)
                res.notes.append(f"the AS path contains our AS {peer.local_as}: bgpd's loop detection marks the "
                                 "route ineligible whatever the filters decide")
            if others:
                res.notes.append(f"evaluated for RIB {rib}; RIBs {', '.join(others)} filter the same update "
                                 "with their own 'rib' rules (add 'rib NAME')")
            return
        src = f" ({peer.source})" if peer.source else ""
        if peer.rib:
            res.notes.append(f"neighbor {peer.address} is announced the routes of RIB {peer.rib}{src}")
        if peer.export_type == EXPORT_NONE:
            res.notes.append(f"neighbor {peer.address} has 'export none'{src}: bgpd announces nothing to it, "
                             "whatever the filters decide")
        elif peer.export_type == EXPORT_DEFAULT_ROUTE:
            res.notes.append(f"neighbor {peer.address} has 'export default-route'{src}: bgpd announces only a "
                             "default route to it, through these filters")
        wellknown = [("NO_ADVERTISE", NO_ADVERTISE, True), ("NO_EXPORT", NO_EXPORT, peer.ebgp),
                     ("NO_EXPORT_SUBCONFED", NO_EXPORT_SUBCONFED, peer.ebgp)]
        for name, c, applies in wellknown:
            if applies and c in update.communities:
                res.notes.append(f"the update carries {name}: bgpd does not announce it to "
                                 f"{'any' if name == 'NO_ADVERTISE' else 'an EBGP'} neighbor, before filters run")


def _cite(rule: FilterRule) -> str:
    return str(rule.source) if rule.source else "rule"


def evaluate(conf: BgpConfig, update: Update) -> Result:
    return Evaluator(conf).evaluate(update)


def describe(res: Result) -> list[str]:
    """The result as text lines for the terminal."""
    lines = []
    if res.decided_by == "rule" and res.rule is not None:
        lines.append(f"{res.decision} by rule {_cite(res.rule.rule)}: {res.rule.text.rstrip()}")
    else:
        lines.append(f"{res.decision}: no allow or deny rule matches ({DEFAULT_CITE})")
    for h in res.trace:
        mark = " (uncertain)" if h.uncertain else ""
        lines.append(f"  matched {_cite(h.rule)}{mark}  {h.text.rstrip()}")
    for s in res.final_sets():
        lines.append(f"  set {s.text} -> {s.attribute} {s.value} ({s.source})")
    if res.state is not None:
        st = res.state
        lines.append(f"  as-path now: {format_as_path(st.as_path) or '(empty)'}")
        if st.communities:
            lines.append("  communities now: " + " ".join(format_community(c).strip() for c in st.communities))
    lines += [f"  note: {n}" for n in res.notes]
    lines += [f"  uncertain: {u}" for u in res.uncertain]
    return lines


__all__ = ["Evaluator", "Result", "RuleHit", "describe", "evaluate", "find_neighbor", "rule_text"]
