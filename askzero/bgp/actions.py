"""``set`` actions: parsing, bgpd's ordering of a set block, and folding of equal rules.

A ``set { ... }`` block is kept sorted by action type (communities by value) with the last
value winning, exactly as bgpd's filterset_add keeps it; after parsing, consecutive rules
that differ only in their actions are folded into one (bgpd's optimize_filters).
"""

from __future__ import annotations

from askzero.bgp.community import ANY, TYPE_BASIC, TYPE_LARGE, CommunityError, parse_community, parse_ext_community
from askzero.bgp.grammar import UINT_MAX, GrammarBase, Syntax
from askzero.bgp.model import (DEL_COMMUNITY, ORIGIN_EGP, ORIGIN_IGP, ORIGIN_INCOMPLETE, PFTABLE, RTLABEL,
                               SET_AS_OVERRIDE, SET_COMMUNITY, SET_LOCALPREF, SET_MED, SET_NEXTHOP,
                               SET_NEXTHOP_BLACKHOLE, SET_NEXTHOP_NOMODIFY, SET_NEXTHOP_REF,
                               SET_NEXTHOP_REJECT, SET_NEXTHOP_SELF, SET_ORIGIN, SET_PREPEND_PEER,
                               SET_PREPEND_SELF, SET_RELATIVE_LOCALPREF, SET_RELATIVE_MED,
                               SET_RELATIVE_WEIGHT, SET_WEIGHT, FilterRule, FilterSet)

INT_MAX = 0x7FFFFFFF
SET_NAMES = {SET_LOCALPREF: "localpref", SET_RELATIVE_LOCALPREF: "localpref", SET_MED: "metric",
             SET_RELATIVE_MED: "metric", SET_WEIGHT: "weight", SET_RELATIVE_WEIGHT: "weight",
             SET_PREPEND_SELF: "prepend-self", SET_PREPEND_PEER: "prepend-peer",
             SET_AS_OVERRIDE: "as-override", DEL_COMMUNITY: "community delete",
             SET_COMMUNITY: "community", PFTABLE: "pftable", RTLABEL: "rtlabel",
             SET_ORIGIN: "origin"}
for _t in (SET_NEXTHOP, SET_NEXTHOP_REF, SET_NEXTHOP_REJECT, SET_NEXTHOP_BLACKHOLE,
           SET_NEXTHOP_NOMODIFY, SET_NEXTHOP_SELF):
    SET_NAMES[_t] = "nexthop"


def filterset_cmp(a: FilterSet, b: FilterSet) -> int:
    """0 when two actions set the same thing (bgpd's filterset_cmp)."""
    if SET_NAMES[a.type] != SET_NAMES[b.type]:
        return a.type - b.type
    if a.type in (SET_COMMUNITY, DEL_COMMUNITY):
        return 0 if a.value == b.value else 1
    if a.type == SET_NEXTHOP and b.type == SET_NEXTHOP:
        return 0 if a.value.key() == b.value.key() else 1
    return 0


def filterset_add(sets: list[FilterSet], s: FilterSet) -> None:
    """Insert keeping bgpd's order: by action type, communities by value, last value wins."""
    for i, t in enumerate(sets):
        if s.type < t.type:
            sets.insert(i, s)
            return
        if s.type != t.type:
            continue
        if s.type in (SET_COMMUNITY, DEL_COMMUNITY):
            if s.value < t.value:
                sets.insert(i, s)
                return
            if s.value > t.value:
                continue
        elif s.type == SET_NEXTHOP:
            if s.value.aid < t.value.aid:
                sets.insert(i, s)
                return
            if s.value.aid > t.value.aid:
                continue
            t.value = s.value
        elif s.type in (SET_RELATIVE_LOCALPREF, SET_RELATIVE_MED, SET_RELATIVE_WEIGHT):
            t.value += s.value
        elif s.type not in (SET_NEXTHOP_BLACKHOLE, SET_NEXTHOP_REJECT, SET_NEXTHOP_NOMODIFY,
                            SET_NEXTHOP_SELF):
            t.value = s.value
        return
    sets.append(s)


def optimize_filters(rules: list[FilterRule]) -> list[FilterRule]:
    """Fold each rule into the one before it when only their ``set`` actions differ."""
    out: list[FilterRule] = []
    for r in rules:
        prev = out[-1] if out else None
        if (prev is not None and prev.action == r.action and prev.quick == r.quick
                and prev.dir == r.dir and prev.peer == r.peer and prev.match == r.match):
            for s in r.sets:
                filterset_add(prev.sets, s)
            continue
        out.append(r)
    return out


class ActionGrammar(GrammarBase):
    """The ``set`` part of the grammar (filter rules, networks, peer options)."""

    # -- set ----------------------------------------------------------------------------

    def filter_set(self) -> list[FilterSet]:
        if not self.accept("SET"):
            return []
        sets: list[FilterSet] = []
        for item in self.set_items():
            if sets:
                self.merge_filterset(sets, item)
            else:
                sets.append(item)
        return sets

    def set_items(self) -> list[FilterSet]:
        """``OPT`` or ``{ OPT [,] OPT ... }`` (newlines allowed), as written."""
        if not self.accept("{"):
            return [self.filter_set_opt()]
        self.optnl()
        items = [self.filter_set_opt()]
        while not self.at("}"):
            if self.accept(","):
                self.optnl()
            else:
                self.optnl()
                if self.at("}"):
                    break
            items.append(self.filter_set_opt())
        self.expect("}")
        return items

    def merge_filterset(self, sets: list[FilterSet], s: FilterSet) -> bool:
        for t in sets:
            if filterset_cmp(s, t) == 0:
                if s.type == SET_COMMUNITY:
                    self.yyerror("community is already set")
                elif s.type == DEL_COMMUNITY:
                    self.yyerror("community will already be deleted")
                else:
                    self.yyerror(f"redefining set parameter {SET_NAMES[s.type]}")
                return False
        filterset_add(sets, s)
        return True

    def _metric(self, name: str, absolute: int, relative: int) -> FilterSet:
        if self.accept("+") or self.at("-"):
            sign = -1 if self.accept("-") else 1
            n = self.number()
            if n < 0 or n > INT_MAX:
                raise self.fail(f"bad {name} {'+' if sign > 0 else '-'}{n}")
            return FilterSet(relative, sign * n)
        n = self.number()
        if n < -INT_MAX or n > UINT_MAX:
            raise self.fail(f"bad {name} {n}")
        if n > 0 or (n == 0 and absolute != SET_WEIGHT):
            return FilterSet(absolute, n)
        return FilterSet(relative, n)

    def filter_set_opt(self) -> FilterSet:
        k = self.next().kind
        if k == "LOCALPREF":
            return self._metric("localpref", SET_LOCALPREF, SET_RELATIVE_LOCALPREF)
        if k in ("MED", "METRIC"):
            return self._metric("metric", SET_MED, SET_RELATIVE_MED)
        if k == "WEIGHT":
            return self._metric("weight", SET_WEIGHT, SET_RELATIVE_WEIGHT)
        if k == "NEXTHOP":
            special = {"BLACKHOLE": SET_NEXTHOP_BLACKHOLE, "REJECT": SET_NEXTHOP_REJECT,
                       "NOMODIFY": SET_NEXTHOP_NOMODIFY, "SELF": SET_NEXTHOP_SELF}
            if self.peek().kind in special:
                return FilterSet(special[self.next().kind])
            return FilterSet(SET_NEXTHOP, self.address())
        if k in ("PREPEND_SELF", "PREPEND_PEER"):
            n = self.number()
            if n < 0 or n > 128:
                raise self.fail("bad number of prepends")
            return FilterSet(SET_PREPEND_SELF if k == "PREPEND_SELF" else SET_PREPEND_PEER, n)
        if k == "ASOVERRIDE":
            return FilterSet(SET_AS_OVERRIDE)
        if k in ("PFTABLE", "RTLABEL"):
            name = str(self.expect("STRING").value)
            if len(name) >= 32:
                raise self.fail(f"{'pftable' if k == 'PFTABLE' else 'rtlabel'} name too long")
            return FilterSet(PFTABLE if k == "PFTABLE" else RTLABEL, name)
        if k in ("COMMUNITY", "LARGECOMMUNITY"):
            delete = bool(self.accept("DELETE"))
            text = str(self.expect("STRING").value)
            try:
                c = parse_community(TYPE_LARGE if k == "LARGECOMMUNITY" else TYPE_BASIC, text)
            except CommunityError as exc:
                raise self.fail(str(exc)) from None
            if not delete and ANY in (c.flag(1), c.flag(2), c.flag(3)):
                raise self.fail("'*' is not allowed in set community")
            return FilterSet(DEL_COMMUNITY if delete else SET_COMMUNITY, c)
        if k == "EXTCOMMUNITY":
            delete = bool(self.accept("DELETE"))
            if self.accept("OVS"):
                typ = "ovs"
            else:
                typ = str(self.expect("STRING").value)
            value = str(self.expect("STRING").value)
            try:
                c = parse_ext_community(typ, value)
            except CommunityError as exc:
                raise self.fail(str(exc)) from None
            return FilterSet(DEL_COMMUNITY if delete else SET_COMMUNITY, c)
        if k == "ORIGIN":
            word = str(self.expect("STRING").value)
            codes = {"egp": ORIGIN_EGP, "igp": ORIGIN_IGP, "incomplete": ORIGIN_INCOMPLETE}
            if word not in codes:
                raise self.fail(f'unknown origin "{word}"')
            return FilterSet(SET_ORIGIN, codes[word])
        raise Syntax()
