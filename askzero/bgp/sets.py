"""Named sets and RPKI data: as-set, prefix-set, origin-set, roa-set, aspa-set, rtr sessions.

Prefix-set items and ROAs are kept in bgpd's tree order (family, address, length, ...), so
printing them sorted gives bgpd's output; an as-set keeps its members as written.
"""

from __future__ import annotations

from askzero.bgp.filters import merge_prefixspec
from askzero.bgp.grammar import Syntax
from askzero.bgp.model import (OP_NONE, OP_RANGE, PREFIXSET_FLAG_OPS, Aspa, AsSet, FilterPrefix,
                               PrefixSet, Roa, Rtr)
from askzero.bgp.peers import PEER_DESCR_LEN, PeerGrammar

SET_NAME_LEN = 128
MAX_ASPA_PROVIDERS = 10000


class SetGrammar(PeerGrammar):
    """The set and rtr statements."""

    def as_set(self) -> None:
        src = self.source()
        self.expect("ASSET")
        name = str(self.expect("STRING").value)
        self.expect("{")
        if len(name) >= SET_NAME_LEN:
            raise self.fail(f"as-set name {name} too long")
        if any(a.name == name for a in self.conf.as_sets):
            raise self.fail(f'as-set "{name}" already exists')
        aset = AsSet(name, source=src)
        self.conf.as_sets.append(aset)
        aset.members = self.block_list(lambda: self.as4number(reserved_ok=True))

    def _new_prefix_set(self, kind: str, sets: list[PrefixSet]) -> PrefixSet:
        src = self.source()
        self.next()
        name = str(self.expect("STRING").value)
        self.expect("{")
        if any(s.name == name for s in sets):
            raise self.fail(f'{kind} "{name}" already exists')
        if len(name) >= SET_NAME_LEN:
            raise self.fail(f'{kind} "{name}" too long: max {SET_NAME_LEN - 1}')
        return PrefixSet(name, source=src)

    def prefixset_item(self, kind: str = "prefix-set") -> FilterPrefix:
        addr, plen = self.prefix()
        op, lo, hi = self.prefixlenop()
        if op not in (OP_NONE, OP_RANGE):
            raise self.fail(f"unsupported prefixlen operation in {kind}")
        return merge_prefixspec(self, FilterPrefix(addr, plen), (op, lo, hi))

    def prefixset(self) -> None:
        ps = self._new_prefix_set("prefix-set", self.conf.prefixsets)

        def item() -> None:
            p = self.prefixset_item()
            if p.op != OP_NONE:
                ps.flags |= PREFIXSET_FLAG_OPS
            assert p.addr is not None
            ps.items.setdefault((p.addr.aid, p.addr.raw, p.len, p.len_min, p.len_max), p)
        self.block_list(item)
        self.conf.prefixsets.append(ps)

    def _roa_items(self, roas: dict[Roa, int], expires_ok: bool) -> None:
        def item() -> None:
            p = self.prefixset_item("prefix-set")
            self.expect("SOURCEAS")
            asn = self.as4number(reserved_ok=True)
            expires = 0
            if self.accept("EXPIRES"):
                expires = self.number()
                if not expires_ok:
                    raise self.fail("syntax error, expires not allowed")
            if p.len_min != p.len:
                raise self.fail("unsupported prefixlen operation in roa-set")
            assert p.addr is not None
            roa = Roa(p.addr.aid, p.addr.raw, p.len, asn, p.len_max)
            old = roas.get(roa)
            if old is None:
                roas[roa] = expires
            elif old and expires and expires > old:
                roas[roa] = expires
        self.block_list(item)

    def roa_set(self) -> None:
        self.expect("ROASET")
        self.expect("{")
        self._roa_items(self.conf.roas, True)

    def origin_set(self) -> None:
        ps = self._new_prefix_set("origin-set", self.conf.originsets)
        self._roa_items(ps.roas, False)
        self.conf.originsets.append(ps)

    def aspa_set(self) -> None:
        self.expect("ASPASET")
        self.expect("{")

        def provider() -> int:
            asn = self.as4number(reserved_ok=True)
            if self.at("IPV4", "IPV6"):
                self.next()
            return asn

        def elm() -> None:
            self.expect("CUSTOMERAS")
            customer = self.as4number()
            expires = self.number() if self.accept("EXPIRES") else 0
            self.expect("PROVIDERAS")
            self.expect("{")
            providers = self.block_list(provider)
            if not providers:
                raise Syntax()
            aspa = self.conf.aspas.get(customer)
            if aspa is None:
                aspa = self.conf.aspas[customer] = Aspa(customer, expires)
            if len(aspa.providers) + len(providers) >= MAX_ASPA_PROVIDERS:
                raise self.fail(f"too many providers for customer-as {customer}")
            aspa.providers += providers
            if aspa.expires and expires and expires > aspa.expires:
                aspa.expires = expires
        self.block_list(elm)

    def rtr(self) -> None:
        src = self.source()
        self.expect("RTR")
        addr = self.address()
        r = Rtr(addr, str(addr), source=src)
        if self.accept("{"):
            self.optnl()
            while not self.accept("}"):
                self.rtropt(r)
                self.optnl()
        for other in self.conf.rtrs:
            if other.remote_addr == r.remote_addr and other.remote_port == r.remote_port:
                raise self.fail(f"duplicate rtr session to {addr}:{r.remote_port}")
        self.conf.rtrs.append(r)

    def rtropt(self, r: Rtr) -> None:
        k = self.next().kind
        if k == "DESCR":
            text = str(self.expect("STRING").value)
            if len(text) >= PEER_DESCR_LEN:
                raise self.fail(f'descr "{text}" too long: max {PEER_DESCR_LEN - 1}')
            r.descr = text
        elif k == "LOCALADDR":
            addr = self.address()
            if addr.aid != r.remote_addr.aid:
                raise self.fail(f"Bad address family {self.aid_name(addr.aid)} for local-addr")
            r.local_addr = addr
        elif k == "PORT":
            r.remote_port = self.port()
        elif k == "MINVERSION":
            n = self.number()
            if n < 0 or n > 2:
                raise self.fail("min-version must be between 0 and 2")
            r.min_version = n
        elif k in ("TCP", "IPSEC"):
            self.merge_auth(r.auth, self.authconf(k))
        else:
            raise Syntax()
