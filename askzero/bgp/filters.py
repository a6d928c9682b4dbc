"""Filter rules (allow/deny/match) and ``set`` actions, built and normalised as bgpd does.

Lists in braces are expanded into one rule per combination in bgpd's order (its lists are
built by prepending, so ``prefix { a b c }`` yields the rules for c, b, a); ``set { ... }``
blocks are kept sorted by action type; and after parsing, consecutive rules that differ only
in their ``set`` actions are folded into one.
"""

from __future__ import annotations

from dataclasses import replace

from askzero.bgp.addr import AID_INET, AID_INET6, Addr
from askzero.bgp.actions import ActionGrammar
from askzero.bgp.community import TYPE_BASIC, TYPE_LARGE, CommunityError, parse_community, parse_ext_community
from askzero.bgp.grammar import UINT_MAX, GrammarBase, Syntax
from askzero.bgp.model import (ACTION_ALLOW, ACTION_DENY, ACTION_NONE, AS_ALL, AS_FLAG_AS_SET_NAME,
                               AS_FLAG_NEIGHBORAS, AS_PEER, AS_SOURCE, AS_TRANSIT, ASLEN_MAX,
                               ASLEN_NONE, ASLEN_SEQ, ASPA_INVALID, ASPA_UNKNOWN, ASPA_VALID, DIR_IN,
                               DIR_OUT, MAX_COMM_MATCH, OP_EQ, OP_GT, OP_LE, OP_LT, OP_NE, OP_NONE,
                               OP_RANGE, PREFIXSET_FLAG_FILTER, PREFIXSET_FLAG_LONGER,
                               PREFIXSET_FLAG_OPS, ROA_INVALID, ROA_NOTFOUND, ROA_VALID, BgpConfig,
                               FilterAs, FilterMatch, FilterPeers, FilterPrefix, FilterRule, FilterSet)

def merge_prefixspec(g: GrammarBase, p: FilterPrefix, pl: tuple[int, int, int]) -> FilterPrefix:
    op, lo, hi = pl
    max_len = 32 if p.addr is None or p.addr.aid == AID_INET else 128
    if op == OP_NONE:
        return replace(p, len_min=p.len, len_max=p.len)
    if lo == -1:
        lo = p.len
    if hi == -1:
        hi = max_len
    if hi > max_len:
        raise g.fail(f"prefixlen {hi} too big, limit {max_len}")
    if lo > hi:
        raise g.fail(f"prefixlen {lo} too big, limit {hi}")
    if lo < p.len:
        raise g.fail(f"prefixlen {lo} smaller than prefix, limit {p.len}")
    return replace(p, op=op, len_min=lo, len_max=hi)


class FilterGrammar(ActionGrammar):
    """The filter rule and ``set`` parts of the grammar."""

    conf: BgpConfig
    rule_source: object

    def prefixlenop(self) -> tuple[int, int, int]:
        if self.accept("LONGER"):
            return OP_RANGE, -1, -1
        if self.accept("MAXLEN"):
            n = self.number()
            if n < 0 or n > 128:
                raise self.fail("prefixlen must be >= 0 and <= 128")
            return OP_RANGE, -1, n
        if not self.accept("PREFIXLEN"):
            return OP_NONE, 0, 0
        if self.at("NUMBER"):
            lo = self.number()
            op = self.binaryop()
            hi = self.number()
            if lo < 0 or lo > 128 or hi < 0 or hi > 128:
                raise self.fail("prefixlen must be < 128")
            if lo > hi:
                raise self.fail("start prefixlen is bigger than end")
            return op, lo, hi
        op = self.unaryop()
        n = self.number()
        if n < 0 or n > 128:
            raise self.fail("prefixlen must be >= 0 and <= 128")
        if op in (OP_NE, OP_EQ):
            return (OP_NE if op == OP_NE else OP_RANGE), n, n
        if op == OP_LT and n == 0:
            raise self.fail("prefixlen must be > 0")
        if op in (OP_LT, OP_LE):
            return OP_RANGE, -1, n - 1 if op == OP_LT else n
        return OP_RANGE, n + 1 if op == OP_GT else n, -1

    def filter_prefix(self) -> FilterPrefix:
        addr, plen = self.prefix()
        return merge_prefixspec(self, FilterPrefix(addr, plen), self.prefixlenop())

    # -- the rule ---------------------------------------------------------------------

    def filterrule(self) -> None:
        src = self.source()
        action = {"ALLOW": ACTION_ALLOW, "DENY": ACTION_DENY, "MATCH": ACTION_NONE}[self.next().kind]
        quick = bool(self.accept("QUICK"))
        ribs: list[str] = [""]
        if self.accept("RIB"):
            if self.accept("{"):
                ribs = self.block_list(self.filter_rib)[::-1]
            else:
                ribs = [self.filter_rib()]
        if self.accept("FROM"):
            direction = DIR_IN
        elif self.accept("TO"):
            direction = DIR_OUT
        else:
            raise Syntax()
        if self.accept("{"):
            peers = self.block_list(self.filter_peer)[::-1]
        else:
            peers = [self.filter_peer()]
        match, prefixes, ases = self.filter_match()
        sets = self.filter_set()
        if ribs != [""] and direction != DIR_IN:
            raise self.fail('rib only allowed on "from" rules.')
        for rib in ribs:
            for peer in peers:
                for as_ in ases or [None]:
                    for pfx in prefixes or [None]:
                        m = match
                        if pfx is not None:
                            m = replace(m, prefix=pfx)
                        if as_ is not None:
                            m = replace(m, as_=as_)
                        self.filter_l.append(FilterRule(action, direction, quick, rib, peer, m,
                                                        [FilterSet(s.type, s.value) for s in sets], src))

    def filter_rib(self) -> str:
        name = str(self.expect("STRING").value)
        if not any(r.name == name for r in self.conf.ribs):
            raise self.fail(f'rib "{name}" does not exist.')
        return name

    def filter_peer(self) -> FilterPeers:
        tok = self.peek()
        if tok.kind == "ANY":
            self.next()
            return FilterPeers()
        if tok.kind == "EBGP":
            self.next()
            return FilterPeers(ebgp=True)
        if tok.kind == "IBGP":
            self.next()
            return FilterPeers(ibgp=True)
        if tok.kind == "AS":
            self.next()
            return FilterPeers(remote_as=self.as4number())
        if tok.kind == "GROUP":
            self.next()
            name = str(self.expect("STRING").value)
            for p in self.conf.neighbors():
                if p.group == name:
                    return FilterPeers(groupid=p.groupid)
            raise self.fail(f'no such group: "{name}"')
        addr = self.address()
        for p in self.conf.neighbors():
            if p.remote_addr is not None and p.remote_addr.key() == addr.key():
                return FilterPeers(peerid=p.id)
        raise self.fail(f"no such peer: {addr}")

    def filter_match(self) -> tuple[FilterMatch, list[FilterPrefix], list[FilterAs]]:
        m = FilterMatch()
        prefixes: list[FilterPrefix] | None = None
        ases: list[FilterAs] | None = None
        while True:
            k = self.peek().kind
            if k in ("IPV4", "IPV6", "PREFIX"):
                pl = self.filter_prefix_h()
                if prefixes is not None:
                    raise self.fail('"prefix" already specified')
                if m.prefixset:
                    raise self.fail('"prefix-set" already specified, cannot be used with "prefix" in the same filter rule')
                prefixes = pl
            elif k in ("AS", "SOURCEAS", "TRANSITAS", "PEERAS") or (k == "{" and self.peek2().kind in ("AS", "SOURCEAS", "TRANSITAS", "PEERAS")):
                al = self.filter_as_h()
                if ases is not None:
                    raise self.fail("AS filters already specified")
                ases = al
            elif k in ("MAXASLEN", "MAXASSEQ"):
                self.next()
                n = self.number()
                if m.aslen_type != ASLEN_NONE:
                    raise self.fail("AS length filters already specified")
                if n < 0 or n > UINT_MAX:
                    raise self.fail(f"bad {'max-as-len' if k == 'MAXASLEN' else 'max-as-seq'} {n}")
                m = replace(m, aslen_type=ASLEN_MAX if k == "MAXASLEN" else ASLEN_SEQ, aslen=n)
            elif k in ("COMMUNITY", "LARGECOMMUNITY", "EXTCOMMUNITY"):
                m = replace(m, communities=m.communities + (self.match_community(m),))
            elif k in ("MAXCOMMUNITIES", "MAXEXTCOMMUNITIES", "MAXLARGECOMMUNITIES"):
                self.next()
                n = self.number()
                name = {"MAXCOMMUNITIES": "max-communities", "MAXEXTCOMMUNITIES": "max-ext-communities",
                        "MAXLARGECOMMUNITIES": "max-large-communities"}[k]
                attr = {"MAXCOMMUNITIES": "maxcomm", "MAXEXTCOMMUNITIES": "maxextcomm",
                        "MAXLARGECOMMUNITIES": "maxlargecomm"}[k]
                if n < 0 or n > 0x7FFF:
                    raise self.fail(f"bad {'max-comunities' if k == 'MAXCOMMUNITIES' else name} {n}")
                if getattr(m, attr):
                    raise self.fail(f"{name} already specified")
                m = replace(m, **{attr: n + 1})
            elif k == "NEXTHOP":
                self.next()
                if self.accept("NEIGHBOR"):
                    if m.nexthop_flags:
                        raise self.fail("nexthop already specified")
                    m = replace(m, nexthop_flags=2)
                else:
                    addr = self.address()
                    if m.nexthop_flags:
                        raise self.fail("nexthop already specified")
                    m = replace(m, nexthop=addr, nexthop_flags=1)
            elif k == "PREFIXSET":
                m = self.match_prefixset(m, prefixes is not None)
            elif k == "ORIGINSET":
                self.next()
                name = str(self.expect("STRING").value)
                if m.originset:
                    raise self.fail("origin-set filter already specified")
                if not any(s.name == name for s in self.conf.originsets):
                    raise self.fail(f"origin-set '{name}' not defined")
                m = replace(m, originset=name)
            elif k in ("OVS", "AVS"):
                self.next()
                word = str(self.expect("STRING").value)
                if k == "OVS":
                    vals = {"not-found": ROA_NOTFOUND, "invalid": ROA_INVALID, "valid": ROA_VALID}
                    if word not in vals:
                        raise self.fail(f'unknown roa validity "{word}"')
                    if m.ovs is not None:
                        raise self.fail("ovs filter already specified")
                    m = replace(m, ovs=vals[word])
                else:
                    vals = {"unknown": ASPA_UNKNOWN, "invalid": ASPA_INVALID, "valid": ASPA_VALID}
                    if word not in vals:
                        raise self.fail(f'unknown aspa validity "{word}"')
                    if m.avs is not None:
                        raise self.fail("avs filter already specified")
                    m = replace(m, avs=vals[word])
            else:
                return m, prefixes or [], ases or []

    def match_community(self, m: FilterMatch) -> object:
        k = self.next().kind
        try:
            if k == "EXTCOMMUNITY":
                if self.accept("OVS"):
                    value = str(self.expect("STRING").value)
                    typ = "ovs"
                else:
                    typ = str(self.expect("STRING").value)
                    value = str(self.expect("STRING").value)
                full = len(m.communities) >= MAX_COMM_MATCH
                if full:
                    raise self.fail('too many "community" filters specified')
                return parse_ext_community(typ, value)
            value = str(self.expect("STRING").value)
            if len(m.communities) >= MAX_COMM_MATCH:
                raise self.fail('too many "community" filters specified')
            return parse_community(TYPE_LARGE if k == "LARGECOMMUNITY" else TYPE_BASIC, value)
        except CommunityError as exc:
            raise self.fail(str(exc)) from None

    def match_prefixset(self, m: FilterMatch, have_prefix: bool) -> FilterMatch:
        self.next()
        name = str(self.expect("STRING").value)
        op, lo, hi = self.prefixlenop()
        if have_prefix:
            raise self.fail('"prefix" already specified, cannot be used with "prefix-set" in the same filter rule')
        if m.prefixset:
            raise self.fail("prefix-set filter already specified")
        ps = next((s for s in self.conf.prefixsets if s.name == name), None)
        if ps is None:
            raise self.fail(f"prefix-set '{name}' not defined")
        if len(name) >= 128:
            raise self.fail("prefix-set name too long")
        if not (op == OP_NONE or (op == OP_RANGE and lo == -1 and hi == -1)):
            raise self.fail("prefix-sets can only use option or-longer")
        if op == OP_RANGE and ps.flags & PREFIXSET_FLAG_OPS:
            raise self.fail(f"prefix-set {name} contains prefixlen operators and cannot be used with an or-longer filter")
        flags = PREFIXSET_FLAG_FILTER | (PREFIXSET_FLAG_LONGER if op == OP_RANGE else 0)
        return replace(m, prefixset=name, prefixset_flags=flags)

    def filter_prefix_h(self) -> list[FilterPrefix]:
        k = self.next().kind
        if k in ("IPV4", "IPV6"):
            op, lo, hi = self.prefixlenop()
            if op == OP_NONE:
                op, lo, hi = OP_RANGE, 0, -1
            aid = AID_INET if k == "IPV4" else AID_INET6
            zero = Addr(aid, bytes(4 if aid == AID_INET else 16))
            return [merge_prefixspec(self, FilterPrefix(zero, 0), (op, lo, hi))]
        if not self.accept("{"):
            return [self.filter_prefix()]
        out = self._nested(self.filter_prefix)
        self.expect("}")
        return out

    def _nested(self, item):  # type: ignore[no-untyped-def]
        """``list | '{' list '}' [more]``: bgpd's filter_prefix_m and filter_as_l_h."""
        if not self.accept("{"):
            return self.comma_list(item, "}")[::-1]
        out = self.comma_list(item, "}")[::-1]
        self.expect("}")
        if self.at("}"):
            return out
        return out + self._nested(item)

    def filter_as_h(self) -> list[FilterAs]:
        if not self.accept("{"):
            return self.filter_as_t()
        out: list[FilterAs] = []
        for part in self.comma_list(self.filter_as_t, "}"):
            out += part
        self.expect("}")
        return out

    def filter_as_t(self) -> list[FilterAs]:
        kinds = {"AS": AS_ALL, "SOURCEAS": AS_SOURCE, "TRANSITAS": AS_TRANSIT, "PEERAS": AS_PEER}
        k = self.next().kind
        if k not in kinds:
            raise Syntax()
        typ = kinds[k]
        if self.accept("ASSET"):
            name = str(self.expect("STRING").value)
            if not any(a.name == name for a in self.conf.as_sets):
                raise self.fail(f'as-set "{name}" not defined')
            return [FilterAs(typ, AS_FLAG_AS_SET_NAME, name=name)]
        if not self.accept("{"):
            return [replace(self.filter_as(), type=typ)]
        out = self._nested(self.filter_as)
        self.expect("}")
        return [replace(a, type=typ) for a in out]

    def filter_as(self) -> FilterAs:
        if self.accept("NEIGHBORAS"):
            return FilterAs(flags=AS_FLAG_NEIGHBORAS)
        if self.at("=", "NE"):
            op = OP_EQ if self.next().kind == "=" else OP_NE
            n = self.as4number(reserved_ok=True)
            return FilterAs(op=op, as_min=n, as_max=n)
        lo = self.as4number(reserved_ok=True)
        if self.at("-", "XRANGE"):
            op = self.binaryop()
            hi = self.as4number(reserved_ok=True)
            if lo >= hi:
                raise self.fail("start AS is bigger than end")
            return FilterAs(op=op, as_min=lo, as_max=hi)
        return FilterAs(op=OP_EQ, as_min=lo, as_max=lo)

    filter_l: list[FilterRule]

