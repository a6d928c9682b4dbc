"""``set`` actions applied to an update as bgpd's rde_apply_set() applies them.

The update's state changes as each matching rule's set runs, and later rules match against
the changed state (rde_filter.c). Relative values (``localpref +10``) need the attribute's
current value; where the update description does not give it the assumption is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from askzero.bgp.addr import Addr
from askzero.bgp.community import Community, format_community
from askzero.bgp.match import community_delete, community_set, override, prepend
from askzero.bgp.model import (DEL_COMMUNITY, DIR_IN, PFTABLE, RTLABEL, SET_AS_OVERRIDE, SET_COMMUNITY,
                               SET_LOCALPREF, SET_MED, SET_NEXTHOP, SET_NEXTHOP_BLACKHOLE,
                               SET_NEXTHOP_NOMODIFY, SET_NEXTHOP_REJECT, SET_NEXTHOP_SELF, SET_ORIGIN,
                               SET_PREPEND_PEER, SET_PREPEND_SELF, SET_RELATIVE_LOCALPREF,
                               SET_RELATIVE_MED, SET_RELATIVE_WEIGHT, SET_WEIGHT, BgpConfig, FilterRule,
                               FilterSet, Peer)
from askzero.bgp.printer import format_set
from askzero.bgp.update import Segment, Update, format_as_path
from askzero.sources import Source

U32 = 0xFFFFFFFF
DEFAULT_LPREF = 100  # bgpd's DEFAULT_LPREF; EBGP updates start with it (LOCAL_PREF is ignored)
ORIGINS = {0: "igp", 1: "egp", 2: "incomplete"}
NEXTHOP_FLAGS = {SET_NEXTHOP_REJECT: "reject", SET_NEXTHOP_BLACKHOLE: "blackhole",
                 SET_NEXTHOP_NOMODIFY: "no-modify", SET_NEXTHOP_SELF: "self"}


@dataclass
class State:
    """The attributes filters see and change (bgpd's struct filterstate)."""

    as_path: tuple[Segment, ...] = ()
    communities: tuple[Community, ...] = ()
    nexthop: Addr | None = None
    nexthop_known: bool = False
    nexthop_flag: str = ""
    localpref: int | None = None
    med: int | None = None
    weight: int | None = None
    origin: str | None = None
    pftable: str | None = None
    rtlabel: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"as_path": format_as_path(self.as_path),
                "communities": [format_community(c).strip() for c in self.communities],
                "nexthop": self.nexthop_flag or (str(self.nexthop) if self.nexthop else None),
                "localpref": self.localpref, "metric": self.med, "weight": self.weight,
                "origin": self.origin, "pftable": self.pftable, "rtlabel": self.rtlabel}


@dataclass
class AppliedSet:
    attribute: str
    text: str  # the action as bgpd -nv prints it inside set { }
    value: str  # the attribute after the action
    source: Source | None
    accumulates: bool = False  # community and prepend actions add up; others override
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "action": self.text, "value": self.value,
                "file": self.source.file if self.source else None,
                "line": self.source.line if self.source else None}


def action_text(s: FilterSet) -> str:
    return format_set([s]).removeprefix("set { ").removesuffix("}").strip()


def _relative(current: int | None, delta: int, name: str, doubts: list[str]) -> int:
    if current is None:
        doubts.append(f"{name} {delta:+d} is relative to the route's {name}, which is not given: assumed 0")
        current = 0
    return min(max(current + delta, 0), U32)


def apply_sets(rule: FilterRule, state: State, update: Update, peer: Peer,
               conf: BgpConfig) -> tuple[list[AppliedSet], list[str]]:
    """Apply one rule's sets to ``state``; return what changed and what had to be assumed."""
    out: list[AppliedSet] = []
    doubts: list[str] = []
    inbound = update.direction == DIR_IN
    for s in rule.sets:
        t, v = s.type, s.value
        attr, acc = "", False
        if t in (SET_LOCALPREF, SET_RELATIVE_LOCALPREF):
            state.localpref = v if t == SET_LOCALPREF else _relative(state.localpref, v, "localpref", doubts)
            attr, value = "localpref", str(state.localpref)
        elif t in (SET_MED, SET_RELATIVE_MED):
            state.med = v if t == SET_MED else _relative(state.med, v, "metric", doubts)
            attr, value = "metric", str(state.med)
        elif t in (SET_WEIGHT, SET_RELATIVE_WEIGHT):
            state.weight = v if t == SET_WEIGHT else _relative(state.weight, v, "weight", doubts)
            attr, value = "weight", str(state.weight)
        elif t == SET_PREPEND_SELF:
            state.as_path = prepend(state.as_path, peer.local_as, v)
            attr, value, acc = "as-path", format_as_path(state.as_path), True
        elif t in (SET_PREPEND_PEER, SET_AS_OVERRIDE):
            # both use the neighbor the route came from: the neighbor itself for inbound rules
            attr, acc = "as-path", True
            if not inbound:
                doubts.append(f"{action_text(s)} uses the neighbor the route was learned from, which an "
                              "outbound update description does not name: not applied")
            elif t == SET_PREPEND_PEER:
                state.as_path = prepend(state.as_path, peer.remote_as, v)
            else:
                state.as_path = override(state.as_path, peer.remote_as, peer.local_as)
            value = format_as_path(state.as_path)
        elif t == SET_NEXTHOP:
            attr = "nexthop"
            # nexthop_modify(): an address of another family than the prefix is ignored
            if isinstance(v, Addr) and v.aid == update.prefix.aid:
                state.nexthop, state.nexthop_known, state.nexthop_flag = v, True, ""
            value = state.nexthop_flag or (str(state.nexthop) if state.nexthop else "(unchanged)")
        elif t in NEXTHOP_FLAGS:
            state.nexthop_flag = NEXTHOP_FLAGS[t]
            attr, value = "nexthop", state.nexthop_flag
        elif t in (SET_COMMUNITY, DEL_COMMUNITY):
            fn = community_set if t == SET_COMMUNITY else community_delete
            state.communities = fn(state.communities, v, peer.remote_as, peer.local_as)
            attr, acc = "community", True
            value = " ".join(format_community(c).strip() for c in state.communities) or "(none)"
        elif t == PFTABLE:
            attr = "pftable"
            state.pftable = value = str(v)
        elif t == RTLABEL:
            attr = "rtlabel"
            state.rtlabel = value = str(v)
        elif t == SET_ORIGIN:
            attr = "origin"
            state.origin = value = ORIGINS.get(v, str(v))
        else:
            continue
        out.append(AppliedSet(attr, action_text(s), value, rule.source, acc))
    return out, doubts
