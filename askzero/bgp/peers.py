"""Neighbors and groups: ``neighbor``, ``group`` and every per-peer option.

A group is a template: each neighbor inside it starts as a copy of the group's settings as
they stand when the neighbor is declared, then applies its own. ``set`` options become
implicit ``match`` rules bound to the peer or the group, as in bgpd.
"""

from __future__ import annotations

import copy

from askzero.bgp.addr import AID_INET, AID_MAX
from askzero.bgp.grammar import Syntax
from askzero.bgp.model import (ACTION_NONE, AUTH_IPSEC_IKE_AH, AUTH_IPSEC_IKE_ESP,
                               AUTH_IPSEC_MANUAL_AH, AUTH_IPSEC_MANUAL_ESP, DIR_IN, DIR_OUT,
                               ENFORCE_AS_OFF, ENFORCE_AS_ON, ENFORCE_AS_UNDEF,
                               FLAG_DECISION_ALL_PATHS, FLAG_DECISION_TRANS_AS, FLAG_PERMIT_AS_SET,
                               MRT_ALL_IN, MRT_ALL_OUT, MRT_UPDATE_IN, MRT_UPDATE_OUT,
                               PEERFLAG_EVALUATE_ALL, PEERFLAG_PERMIT_AS_SET, PEERFLAG_TRANS_AS,
                               ROLE_NONE, SET_NEXTHOP_NOMODIFY, SET_NEXTHOP_SELF, SET_PREPEND_SELF,
                               FilterPeers, FilterRule, Mrt, Peer)
from askzero.bgp.options import PEER_DESCR_LEN, PeerOptions

__all__ = ["PEER_DESCR_LEN", "PeerGrammar"]


class PeerGrammar(PeerOptions):
    """``neighbor``, ``group``, peer options and ``dump`` statements."""

    curpeer: Peer | None
    curgroup: Peer | None
    peer_filter: list[FilterRule | None]
    group_filter: list[FilterRule | None]
    peerfilter_l: list[FilterRule]
    groupfilter_l: list[FilterRule]
    next_id: int

    def alloc_peer(self) -> Peer:
        c = self.conf
        p = Peer(local_as=c.as_, local_short_as=c.short_as)
        if c.flags & FLAG_DECISION_TRANS_AS:
            p.flags |= PEERFLAG_TRANS_AS
        if c.flags & FLAG_DECISION_ALL_PATHS:
            p.flags |= PEERFLAG_EVALUATE_ALL
        if c.flags & FLAG_PERMIT_AS_SET:
            p.flags |= PEERFLAG_PERMIT_AS_SET
        return p

    def get_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- neighbor and group ---------------------------------------------------------------

    def neighbor(self) -> None:
        src = self.source()
        self.expect("NEIGHBOR")
        if self.curgroup is not None:
            p = copy.deepcopy(self.curgroup)
            p.groupid = self.curgroup.id
        else:
            p = self.alloc_peer()
        p.source = src
        self.curpeer = p
        try:
            addr, plen = self.addrspec()
            p.remote_addr, p.remote_masklen = addr, plen
            p.template = plen != addr.maxlen
            p.id = self.get_id()
            if self.accept("{"):
                if self.accept("\n"):
                    self.block(self.peeropts)
                else:
                    self.peeropts()
                    self.expect("}")
            for r in self.peer_filter:
                if r is not None:
                    self.peerfilter_l.append(r)
            self.finish_peer(p)
        finally:
            self.curpeer = self.curgroup
            self.peer_filter = [None, None]

    def finish_peer(self, p: Peer) -> None:
        mp = p.capabilities.mp
        if not any(v > 0 for v in mp[1:]) and p.remote_addr is not None and mp[p.remote_addr.aid] != -1:
            mp[p.remote_addr.aid] = 1
        for aid in range(1, AID_MAX):
            if mp[aid] == -1:
                mp[aid] = 0
        self.neighbor_consistent(p)
        self.conf.peers[p.id] = p

    def neighbor_consistent(self, p: Peer) -> None:
        assert p.remote_addr is not None
        local = p.local_addr_v4 if p.remote_addr.aid == AID_INET else p.local_addr_v6
        if p.auth.method in (AUTH_IPSEC_IKE_ESP, AUTH_IPSEC_IKE_AH, AUTH_IPSEC_MANUAL_ESP,
                             AUTH_IPSEC_MANUAL_AH) and local is None:
            raise self.fail("neighbors with any form of IPsec configured need local-address to be specified")
        if p.auth.method in (AUTH_IPSEC_MANUAL_ESP, AUTH_IPSEC_MANUAL_AH) and not (p.auth.spi_in and p.auth.spi_out):
            raise self.fail("with manual keyed IPsec, SPIs and keys for both directions are required")
        if not self.conf.as_:
            raise self.fail("AS needs to be given before neighbor definitions")
        p.ebgp = p.remote_as != self.conf.as_
        if p.enforce_as == ENFORCE_AS_UNDEF:
            p.enforce_as = ENFORCE_AS_ON if p.ebgp else ENFORCE_AS_OFF
        if p.enforce_local_as == ENFORCE_AS_UNDEF:
            p.enforce_local_as = ENFORCE_AS_ON
        if p.remote_as == 0 and not p.template:
            raise self.fail("peer AS may not be zero")
        if p.reflector_client and p.ebgp:
            raise self.fail("EBGP neighbors are not allowed in route reflector clusters")
        if not p.ebgp:
            p.role = ROLE_NONE
            p.capabilities.policy = 0
        elif p.role == ROLE_NONE:
            p.capabilities.policy = 0
        for xp in self.conf.peers.values():
            if xp.remote_masklen == p.remote_masklen and xp.remote_addr == p.remote_addr:
                name = f"neighbor {p.address}" + (f" ({p.descr})" if p.descr else "")
                raise self.fail(f"duplicate {name}")

    def group(self) -> None:
        self.expect("GROUP")
        name = self.string()
        g = self.alloc_peer()
        g.source = self.source()
        if len(name) >= PEER_DESCR_LEN:
            raise self.fail(f'group name "{name}" too long: max {PEER_DESCR_LEN - 1}')
        g.group = name
        g.id = self.get_id()
        self.curgroup = self.curpeer = g
        try:
            self.expect("{")
            self.block(self.groupopt)
            for r in self.group_filter:
                if r is not None:
                    self.groupfilter_l.append(r)
            self.group_filter = [None, None]
        finally:
            self.curgroup = self.curpeer = None

    def groupopt(self) -> None:
        if self.at("NEIGHBOR"):
            self.neighbor()
        else:
            self.peeropts()

    def block(self, item) -> None:  # type: ignore[no-untyped-def]
        """Lines of ``item`` up to '}', each recovering from its own errors."""
        while True:
            tok = self.peek()
            if tok.kind == "}":
                self.next()
                return
            if tok.kind == "EOF":
                raise Syntax()
            if tok.kind == "\n":
                self.next()
                continue

            def line() -> None:
                item()
                self.expect("\n")
            self.guarded(line)

    # -- options ----------------------------------------------------------------------

    def get_rule(self, typ: int) -> FilterRule:
        out = 1 if typ in (SET_PREPEND_SELF, SET_NEXTHOP_NOMODIFY, SET_NEXTHOP_SELF) else 0
        assert self.curpeer is not None
        in_group = self.curpeer is self.curgroup
        table = self.group_filter if in_group else self.peer_filter
        r = table[out]
        if r is None:
            peer = FilterPeers(groupid=self.curpeer.id) if in_group else FilterPeers(peerid=self.curpeer.id)
            r = FilterRule(ACTION_NONE, DIR_OUT if out else DIR_IN, peer=peer, source=self.source())
            table[out] = r
        return r

    def peeropts(self) -> None:
        p = self.curpeer
        assert p is not None
        k = self.peek().kind
        handler = getattr(self, f"_opt_{k.lower()}", None)
        if k == "STRING":
            if not self.yesno():
                self.expect("LOCALADDR")
                p.local_addr_v4 = p.local_addr_v6 = None
                return
            self.expect("LOCALADDR")
            raise self.fail("bad local-address definition")
        if k == "DUMP":
            self.mrtdump(p)
            return
        if handler is None:
            raise Syntax()
        self.next()
        handler(p)

    # -- dump -------------------------------------------------------------------------

    def mrtdump(self, p: Peer | None) -> None:
        self.expect("DUMP")
        self.mrtdump_rest(p, str(self.expect("STRING").value))

    def mrtdump_rest(self, p: Peer | None, kind: str) -> None:
        """``dump (all|updates) (in|out) FILE [timeout]`` after ``dump KIND``."""
        direction = self.next().kind
        if direction not in ("IN", "OUT"):
            raise Syntax()
        name = str(self.expect("STRING").value)
        timeout = self.number() if self.at("NUMBER") else 0
        if timeout < 0 or timeout > 0x7FFFFFFF:
            raise self.fail("bad timeout")
        if kind == "all":
            typ = MRT_ALL_IN if direction == "IN" else MRT_ALL_OUT
        elif kind == "updates":
            typ = MRT_UPDATE_IN if direction == "IN" else MRT_UPDATE_OUT
        else:
            raise self.fail("unknown mrt msg dump type")
        self.add_mrt(typ, name, timeout, p, "")

    def add_mrt(self, typ: int, name: str, timeout: int, p: Peer | None, rib: str) -> None:
        if p is None:
            pid = gid = 0
        elif p is self.curgroup:
            pid, gid = 0, p.id
        else:
            pid, gid = p.id, p.groupid
        for m in self.conf.mrts:
            if m.rib != rib or m.peer_id != pid or m.group_id != gid:
                continue
            if m.type == typ:
                raise self.fail("only one mrtdump per type allowed.")
        if len(name) >= 512:
            raise self.fail(f'filename "{name}" too long: max 511')
        if rib and not any(r.name == rib for r in self.conf.ribs):
            raise self.fail(f'rib "{rib}" does not exist.')
        self.conf.mrts.insert(0, Mrt(typ, name, timeout, pid, gid, rib))

