"""bgpd.conf parser: global settings, sets, rtr sessions, networks, VPNs, includes.

``parse_bgp(path)`` reads a file (and what it includes) and returns a ``BgpConfig``, or raises
``ConfigError`` listing every error found, each as ``NAME:LINE: message`` in bgpd's words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from askzero.bgp.addr import AID_INET, AID_INET6, Addr
from askzero.bgp.actions import optimize_filters
from askzero.bgp.community import CommunityError, community_to_rd, parse_ext_community
from askzero.bgp.grammar import USHRT_MAX, Abort, Syntax
from askzero.bgp.lexer import Lexer
from askzero.bgp.model import (AS_TRANS, BGP_PORT, F_RIB_LOCAL, F_RIB_NOEVALUATE, F_RIB_NOFIB,
                               F_RIB_NOFIBSYNC, FLAG_DECISION_ALL_PATHS, FLAG_DECISION_MED_ALWAYS,
                               FLAG_DECISION_ROUTEAGE, FLAG_DECISION_TRANS_AS, FLAG_NEXTHOP_BGP,
                               FLAG_NEXTHOP_DEFAULT, FLAG_PERMIT_AS_SET, FLAG_REFLECTOR,
                               MRT_TABLE_DUMP, MRT_TABLE_DUMP_MP, MRT_TABLE_DUMP_V2,
                               NETWORK_CONNECTED, NETWORK_PREFIXSET, NETWORK_PRIORITY,
                               NETWORK_RTLABEL, NETWORK_STATIC, PREFIXSET_FLAG_OPS, BgpConfig,
                               FilterRule, L3vpn, Network, Rib)
from askzero.bgp.peers import PEER_DESCR_LEN
from askzero.bgp.sets import SetGrammar
from askzero.errors import ConfigError, ParseIssue
from askzero.sources import Resolver, plain_resolver, rooted_resolver

# A resolver maps a path written in bgpd.conf to (path on disk, name to cite).
MAX_INCLUDE_DEPTH = 16
MAX_FILE_SIZE = 32 << 20
SET_NAME_LEN = 128
RT_TABLEID_MAX = 255


def _read(real: Path) -> str:
    with real.open("rb") as fh:
        data = fh.read(MAX_FILE_SIZE + 1)
    if len(data) > MAX_FILE_SIZE:
        raise OSError(27, "File too large")
    return data.decode("utf-8", errors="surrogateescape")


class BgpParser(SetGrammar):
    """One parse of one bgpd.conf (bgpd's parse.y, statement by statement)."""

    def __init__(self, resolve: Resolver | None = None, macros: dict[str, str] | None = None) -> None:
        super().__init__()
        self.resolve = resolve or plain_resolver(Path.cwd())
        self.macros: dict[str, str] = dict(macros or {})
        self.persistent = set(self.macros)
        self.issues: list[ParseIssue] = []
        self.conf = BgpConfig()
        self.conf.ribs = [Rib("Adj-RIB-In", F_RIB_NOFIB | F_RIB_NOEVALUATE), Rib("Loc-RIB", F_RIB_LOCAL, 0)]
        self.curpeer = self.curgroup = None
        self.peer_filter = [None, None]
        self.group_filter = [None, None]
        self.filter_l: list[FilterRule] = []
        self.peerfilter_l: list[FilterRule] = []
        self.groupfilter_l: list[FilterRule] = []
        self.next_id = 1

    # -- entry points -------------------------------------------------------------------

    def parse_file(self, path: str) -> BgpConfig:
        real, display = self.resolve(path)
        try:
            text = _read(real)
        except OSError as exc:
            raise ConfigError([ParseIssue(display, 0, f"cannot open {path}: {exc.strerror}")]) from None
        return self.parse_text(text, display)

    def parse_text(self, text: str, name: str) -> BgpConfig:
        self.conf.files.append(name)
        self.lexer = Lexer(name, text, self.macros, self._lex_error)
        while True:
            tok = self.peek()
            if tok.kind == "EOF":
                break
            if tok.kind == "\n":
                self.next()
                continue
            self.guarded(self._statement_line)
        return self._finish(name)

    def _lex_error(self, file: str, line: int, message: str) -> None:
        self.issues.append(ParseIssue(file, line, message))

    def _finish(self, name: str) -> BgpConfig:
        c = self.conf
        for n in c.networks:
            if n.priority == c.fib_priority:
                self.issues.append(ParseIssue(name, 0, f"network priority {n.priority} == "
                                              f"fib-priority {c.fib_priority} is not allowed."))
        if not c.as_:
            self.issues.append(ParseIssue(name, 0, "configuration error: AS not given"))
        if self.issues:
            raise ConfigError(self.issues)
        if not c.listen:
            c.listen = [(Addr(AID_INET, bytes(4)), BGP_PORT), (Addr(AID_INET6, bytes(16)), BGP_PORT)]
        if c.flags & FLAG_REFLECTOR and c.clusterid == 0 and c.router_id is not None:
            c.clusterid = int.from_bytes(c.router_id.raw, "big")
        c.filters = optimize_filters(self.groupfilter_l + self.peerfilter_l + self.filter_l)
        return c

    # -- statements -------------------------------------------------------------------

    def _statement_line(self) -> None:
        k = self.peek().kind
        simple: dict[str, Callable[[], None]] = {
            "STRING": self.varset, "ASSET": self.as_set, "PREFIXSET": self.prefixset,
            "ROASET": self.roa_set, "ASPASET": self.aspa_set, "ORIGINSET": self.origin_set,
            "RTR": self.rtr, "RDE": self.rde, "DUMP": self.dump, "VPN": self.l3vpn,
            "NEIGHBOR": self.neighbor, "GROUP": self.group, "ALLOW": self.filterrule,
            "DENY": self.filterrule, "MATCH": self.filterrule, "FLOWSPEC": self.flowspec,
        }
        if k == "INCLUDE":
            self.include()
        elif k == "NETWORK":
            self.network(self.conf.networks)
        elif k in simple:
            simple[k]()
        else:
            self.conf_main()
        self.expect("\n")

    def varset(self) -> None:
        name = str(self.next().value)
        self.expect("=")
        value = self.string()
        if len(name) >= 128:
            raise self.fail("macro name to long, max 127 characters")
        if not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name):
            raise self.fail("macro name can only contain alphanumerics and '_'")
        self.conf.macros.append((name, value))
        if name not in self.persistent:
            self.macros[name] = value

    def include(self) -> None:
        self.expect("INCLUDE")
        path = str(self.expect("STRING").value)
        try:
            if self.lexer.depth >= MAX_INCLUDE_DEPTH:
                raise OSError(40, "Too many levels of inclusion")
            real, display = self.resolve(path)
            text = _read(real)
        except OSError:
            raise self.fail(f"failed to include file {path}") from None
        self.conf.files.append(display)
        self.lexer.push_file(display, text)

    def flowspec(self) -> None:
        raise self.fail("flowspec rules are not supported by ask-zero")

    # -- global settings --------------------------------------------------------------

    def _time(self, what: str) -> int:
        n = self.number()
        if n < 3 or n > USHRT_MAX:
            raise self.fail(f"{what} must be between 3 and {USHRT_MAX}")
        return n

    def _loc_rib(self) -> Rib:
        return next(r for r in self.conf.ribs if r.name == "Loc-RIB")

    def _flag(self, flag: int, on: bool) -> None:
        if on:
            self.conf.flags |= flag
        else:
            self.conf.flags &= ~flag

    def conf_main(self) -> None:
        c = self.conf
        k = self.next().kind
        if k == "AS":
            c.as_ = self.as4number()
            c.short_as = self.asnumber() if self.at("NUMBER") else (AS_TRANS if c.as_ > USHRT_MAX else c.as_)
        elif k == "ROUTERID":
            addr = self.address()
            if addr.aid != AID_INET:
                raise self.fail("router-id must be an IPv4 address")
            c.router_id = addr
        elif k == "HOLDTIME":
            if self.accept("YMIN"):
                c.min_holdtime = self._time("holdtime")
            else:
                c.holdtime = self._time("holdtime")
        elif k == "STALETIME":
            c.staletime = self._time("staletime")
        elif k == "LISTEN":
            self.expect("ON")
            addr = self.address()
            c.listen.append((addr, self.port() if self.accept("PORT") else BGP_PORT))
        elif k == "FIBPRIORITY":
            n = self.number()
            if n <= 1 or n > 63:
                raise self.fail(f"fib-priority {n} out of range")
            c.fib_priority = n
        elif k == "FIBUPDATE":
            rib = self._loc_rib()
            rib.flags = rib.flags & ~F_RIB_NOFIBSYNC if self.yesno() else rib.flags | F_RIB_NOFIBSYNC
        elif k == "TRANSPARENT":
            self._flag(FLAG_DECISION_TRANS_AS, self.yesno())
        elif k == "REJECT":
            self.expect("ASSET")
            self._flag(FLAG_PERMIT_AS_SET, not self.yesno())
        elif k == "LOG":
            if self.expect("STRING").value != "updates":
                raise self.fail("syntax error")
            c.log_updates = True
        elif k == "NEXTHOP":
            self.expect("QUALIFY")
            self.expect("VIA")
            word = str(self.expect("STRING").value)
            if word not in ("bgp", "default"):
                raise self.fail(f'nexthop depend on: unknown setting "{word}"')
            c.flags |= FLAG_NEXTHOP_BGP if word == "bgp" else FLAG_NEXTHOP_DEFAULT
        elif k == "RTABLE":
            n = self.number()
            if n > RT_TABLEID_MAX or n < 0:
                raise self.fail(f"rtable {n} too big: max {RT_TABLEID_MAX}")
            self._loc_rib().rtableid = n
        elif k == "CONNECTRETRY":
            n = self.number()
            if n > USHRT_MAX or n < 1:
                raise self.fail("invalid connect-retry")
            c.connectretry = n
        elif k == "SOCKET":
            path = str(self.expect("STRING").value)
            restricted = bool(self.accept("RESTRICTED"))
            if len(path) >= 104:
                raise self.fail("socket path too long")
            if restricted:
                c.rcsock = path
            else:
                c.csock = path
        else:
            raise Syntax()

    def rde(self) -> None:
        c = self.conf
        self.expect("RDE")
        if self.accept("RIB"):
            name = str(self.expect("STRING").value)
            if self.accept("INCLUDE"):
                self.expect("FILTERED")
                if name != "Loc-RIB":
                    raise self.fail("include filtered only supported in Loc-RIB")
                c.filtered_in_locrib = True
                return
            self.rib(name)
        elif self.accept("MED"):
            self.expect("COMPARE")
            word = str(self.expect("STRING").value)
            if word not in ("always", "strict"):
                raise self.fail(f'rde med compare: unknown setting "{word}"')
            self._flag(FLAG_DECISION_MED_ALWAYS, word == "always")
        elif self.accept("EVALUATE"):
            word = str(self.expect("STRING").value)
            if word not in ("all", "default"):
                raise self.fail(f'rde evaluate: unknown setting "{word}"')
            self._flag(FLAG_DECISION_ALL_PATHS, word == "all")
        else:
            word = str(self.expect("STRING").value)
            how = self.next().kind
            if how not in ("EVALUATE", "IGNORE"):
                raise Syntax()
            if word != "route-age":
                raise self.fail("unknown route decision type")
            self._flag(FLAG_DECISION_ROUTEAGE, how == "EVALUATE")

    def rib(self, name: str) -> None:
        rib = next((r for r in self.conf.ribs if r.name == name), None)
        if rib is None:
            if len(name) >= PEER_DESCR_LEN:
                raise self.fail(f'rib name "{name}" too long: max {PEER_DESCR_LEN - 1}')
            rib = Rib(name)
            self.conf.ribs.append(rib)
        if self.at("STRING"):
            if self.yesno():
                self.expect("EVALUATE")
                raise self.fail("bad rde rib definition")
            self.expect("EVALUATE")
            rib.flags |= F_RIB_NOEVALUATE
            return
        table = self.number() if self.accept("RTABLE") else None
        if self.accept("FIBUPDATE"):
            rib.flags = rib.flags & ~F_RIB_NOFIBSYNC if self.yesno() else rib.flags | F_RIB_NOFIBSYNC
        if table is not None:
            if table > RT_TABLEID_MAX:
                raise self.fail(f"rtable {table} too big: max {RT_TABLEID_MAX}")
            rib.rtableid = table
            rib.flags &= ~F_RIB_NOFIB

    def dump(self) -> None:
        self.expect("DUMP")
        rib = ""
        if self.accept("RIB"):
            rib = str(self.expect("STRING").value)
            kind = str(self.expect("STRING").value)
        else:
            kind = str(self.expect("STRING").value)
            if self.at("IN", "OUT"):
                self.mrtdump_rest(None, kind)
                return
        name = str(self.expect("STRING").value)
        timeout = self.number() if self.at("NUMBER") else 0
        if timeout < 0 or timeout > 0x7FFFFFFF:
            raise self.fail("bad timeout")
        types = {"table": MRT_TABLE_DUMP, "table-mp": MRT_TABLE_DUMP_MP, "table-v2": MRT_TABLE_DUMP_V2}
        if kind not in types:
            raise self.fail("unknown mrt dump type")
        self.add_mrt(types[kind], name, timeout, None, rib)

    # -- networks and VPNs ------------------------------------------------------------

    def network(self, netlist: list[Network]) -> None:
        src = self.source()
        self.expect("NETWORK")
        if self.accept("PREFIXSET"):
            name = str(self.expect("STRING").value)
            sets = self.filter_set()
            ps = next((s for s in self.conf.prefixsets if s.name == name), None)
            if ps is None:
                raise self.fail(f"prefix-set '{name}' not defined")
            if ps.flags & PREFIXSET_FLAG_OPS:
                raise self.fail(f"prefix-set {name} has prefixlen operators and cannot be used in network statements.")
            netlist.append(Network(NETWORK_PREFIXSET, psname=name, sets=sets, source=src))
            return
        if self.at("IPV4", "IPV6"):
            aid = AID_INET if self.next().kind == "IPV4" else AID_INET6
            k = self.next().kind
            if k == "RTLABEL":
                label = str(self.expect("STRING").value)
                netlist.append(Network(NETWORK_RTLABEL, aid=aid, rtlabel=label, sets=self.filter_set(), source=src))
            elif k == "PRIORITY":
                prio = self.number()
                sets = self.filter_set()
                if prio <= 1 or prio > 63:
                    raise self.fail(f"priority {prio} out of range")
                netlist.append(Network(NETWORK_PRIORITY, aid=aid, priority=prio, sets=sets, source=src))
            elif k in ("STATIC", "CONNECTED"):
                typ = NETWORK_STATIC if k == "STATIC" else NETWORK_CONNECTED
                netlist.append(Network(typ, aid=aid, sets=self.filter_set(), source=src))
            else:
                raise Syntax()
            return
        addr, plen = self.prefix()
        n = Network(prefix=addr, prefixlen=plen, aid=addr.aid, sets=self.filter_set(), source=src)
        from askzero.bgp.addr import prefix_compare
        for m in netlist:
            if (m.type == n.type and m.prefixlen == n.prefixlen and m.prefix is not None
                    and prefix_compare(m.prefix, addr, plen) == 0):
                self.yyerror("duplicate prefix in network statement")
        netlist.append(n)

    def l3vpn(self) -> None:
        src = self.source()
        self.expect("VPN")
        descr = str(self.expect("STRING").value)
        self.expect("ON")
        ifmpe = str(self.expect("STRING").value)
        if len(descr) >= PEER_DESCR_LEN:
            raise self.fail(f'descr "{descr}" too long: max {PEER_DESCR_LEN - 1}')
        vpn = L3vpn(descr, ifmpe[:15], source=src)
        self.expect("{")
        self.block(lambda: self.l3vpnopt(vpn))
        self.conf.l3vpns.append(vpn)

    def l3vpnopt(self, vpn: L3vpn) -> None:
        k = self.peek().kind
        if k == "NETWORK":
            self.network(vpn.networks)
            return
        self.next()
        try:
            if k == "RD":
                c = parse_ext_community("rt", str(self.expect("STRING").value))
                vpn.rd = community_to_rd(c, lambda: None)
                if vpn.rd is None:
                    raise self.fail("bad encoding of rd")
            elif k in ("EXPORTTRGT", "IMPORTTRGT"):
                typ = str(self.expect("STRING").value)
                value = str(self.expect("STRING").value)
                c = parse_ext_community(typ, value)
                (vpn.export if k == "EXPORTTRGT" else vpn.import_).append(c)
            elif k == "FIBUPDATE":
                vpn.fib_update = self.yesno()
            else:
                raise Syntax()
        except CommunityError as exc:
            raise self.fail(str(exc)) from None


def parse_bgp(path: str, resolve: Resolver | None = None, macros: dict[str, str] | None = None) -> BgpConfig:
    """Parse a bgpd.conf and what it includes; raise ConfigError with every error found."""
    return BgpParser(resolve, macros).parse_file(path)


def parse_bgp_text(text: str, name: str = "stdin", resolve: Resolver | None = None,
                   macros: dict[str, str] | None = None) -> BgpConfig:
    """Parse bgpd.conf text already in memory; ``name`` is cited in errors."""
    return BgpParser(resolve, macros).parse_text(text, name)


__all__ = ["Abort", "BgpParser", "Resolver", "parse_bgp", "parse_bgp_text", "plain_resolver",
           "rooted_resolver"]
