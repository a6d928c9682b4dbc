"""Print a ``BgpConfig`` exactly as ``bgpd -nv`` does (its printconf.c), byte for byte.

Two bgpd quirks matter for the output order: neighbors are grouped with the C library's
``qsort`` (not stable), so OpenBSD's qsort is reproduced here; and ``dump`` statements live in
a list where the newest comes first.
"""

from __future__ import annotations

from askzero.bgp.addr import AID_INET, AID_INET6, AID_MAX, AID_NAMES, Addr, log_addr
from askzero.bgp.community import community_type, format_community, format_rd
from askzero.bgp.qsort import bsd_qsort
from askzero.bgp.model import (ACTION_ALLOW, ACTION_DENY, AS_ALL, AS_FLAG_AS_SET_NAME, AS_PEER,
                               AS_SOURCE, AS_TRANSIT, ASLEN_MAX, AS_TRANS, AUTH_IPSEC_IKE_AH,
                               AUTH_IPSEC_IKE_ESP, AUTH_IPSEC_MANUAL_AH, AUTH_IPSEC_MANUAL_ESP,
                               AUTH_MD5SIG, BGP_PORT, CAPA_AP_RECV, CAPA_AP_RECV_ENFORCE,
                               CAPA_AP_SEND, CAPA_AP_SEND_ENFORCE, CONNECTRETRY_DEFAULT,
                               ADDPATH_MODES, DEL_COMMUNITY, DIR_IN, DIR_OUT, ENFORCE_AS_ON,
                               EXPORT_DEFAULT_ROUTE, EXPORT_NONE, F_RIB_NOEVALUATE, F_RIB_NOFIB,
                               F_RIB_NOFIBSYNC, FIB_PRIORITY_DEFAULT, FLAG_DECISION_ALL_PATHS,
                               FLAG_DECISION_MED_ALWAYS, FLAG_DECISION_ROUTEAGE, FLAG_NEXTHOP_BGP,
                               FLAG_NEXTHOP_DEFAULT, FLAG_PERMIT_AS_SET, HOLDTIME_DEFAULT,
                               MIN_HOLDTIME, NETWORK_CONNECTED, NETWORK_PREFIXSET, NETWORK_PRIORITY,
                               NETWORK_RTLABEL, NETWORK_STATIC, OP_NE, OP_NONE, OP_RANGE, OP_XRANGE,
                               PEERFLAG_EVALUATE_ALL, PEERFLAG_LOG_UPDATES, PEERFLAG_PERMIT_AS_SET,
                               PEERFLAG_TRANS_AS, PFTABLE, PREFIXSET_FLAG_LONGER, ROLE_NAMES,
                               ROLE_NONE, RTLABEL, SET_AS_OVERRIDE, SET_COMMUNITY, SET_LOCALPREF,
                               SET_MED, SET_NEXTHOP, SET_NEXTHOP_BLACKHOLE, SET_NEXTHOP_NOMODIFY,
                               SET_NEXTHOP_REJECT, SET_NEXTHOP_SELF, SET_ORIGIN, SET_PREPEND_PEER,
                               SET_PREPEND_SELF, SET_RELATIVE_LOCALPREF, SET_RELATIVE_MED,
                               SET_RELATIVE_WEIGHT, SET_WEIGHT, STALETIME_DEFAULT, AuthConfig,
                               BgpConfig, FilterPrefix, FilterRule, FilterSet, L3vpn, Network,
                               Peer, Roa)

MRT_NAMES = ["", "table", "table-mp", "table-v2", "all in", "all out", "updates in", "updates out"]


def format_prefix(p: FilterPrefix) -> str:
    if p.addr is None:
        return ""
    out = f"{p.addr}/{p.len}"
    max_len = 32 if p.addr.aid == AID_INET else 128
    if p.op == OP_NE:
        out += f" prefixlen != {p.len_min}"
    elif p.op == OP_XRANGE:
        out += f" prefixlen {p.len_min} >< {p.len_max} "
    elif p.op == OP_RANGE:
        if p.len_min == p.len_max and p.len != p.len_min:
            out += f" prefixlen = {p.len_min}"
        elif p.len == p.len_min and p.len_max == max_len:
            out += " or-longer"
        elif p.len == p.len_min and p.len != p.len_max:
            out += f" maxlen {p.len_max}"
        elif p.len_max == max_len:
            out += f" prefixlen >= {p.len_min}"
        else:
            out += f" prefixlen {p.len_min} - {p.len_max}"
    elif p.op != OP_NONE:
        out += f" prefixlen {p.len_min} ??? {p.len_max}"
    return out


def format_set(sets: list[FilterSet]) -> str:
    if not sets:
        return ""
    out = ["set { "]
    for s in sets:
        t, v = s.type, s.value
        simple = {SET_LOCALPREF: f"localpref {v} ", SET_RELATIVE_LOCALPREF: f"localpref {v:+d} "
                  if isinstance(v, int) else "", SET_MED: f"metric {v} ",
                  SET_RELATIVE_MED: f"metric {v:+d} " if isinstance(v, int) else "",
                  SET_WEIGHT: f"weight {v} ", SET_RELATIVE_WEIGHT: f"weight {v:+d} " if isinstance(v, int) else "",
                  SET_NEXTHOP: f"nexthop {v} ", SET_NEXTHOP_REJECT: "nexthop reject ",
                  SET_NEXTHOP_BLACKHOLE: "nexthop blackhole ", SET_NEXTHOP_NOMODIFY: "nexthop no-modify ",
                  SET_NEXTHOP_SELF: "nexthop self ", SET_PREPEND_SELF: f"prepend-self {v} ",
                  SET_PREPEND_PEER: f"prepend-neighbor {v} ", SET_AS_OVERRIDE: "as-override ",
                  PFTABLE: f"pftable {v} ", RTLABEL: f"rtlabel {v} "}
        if t in simple:
            out.append(simple[t])
        elif t == DEL_COMMUNITY:
            out.append(f"{community_type(v)} delete {format_community(v)}")
        elif t == SET_COMMUNITY:
            out.append(f"{community_type(v)} {format_community(v)}")
        elif t == SET_ORIGIN:
            out.append("origin " + {0: "igp ", 1: "egp ", 2: "incomplete "}.get(v, f"{v} "))
    out.append("}")
    return "".join(out)


def _af(aid: int) -> str:
    return "inet" if aid == AID_INET else "inet6" if aid == AID_INET6 else AID_NAMES[aid]


def format_network(n: Network, c: str = "") -> str:
    if n.type == NETWORK_STATIC:
        out = f"{c}network {_af(n.aid)} static"
    elif n.type == NETWORK_CONNECTED:
        out = f"{c}network {_af(n.aid)} connected"
    elif n.type == NETWORK_RTLABEL:
        out = f'{c}network {_af(n.aid)} rtlabel "{n.rtlabel}"'
    elif n.type == NETWORK_PRIORITY:
        out = f"{c}network {_af(n.aid)} priority {n.priority}"
    elif n.type == NETWORK_PREFIXSET:
        out = f"{c}network prefix-set {n.psname}"
    else:
        out = f"{c}network {n.prefix}/{n.prefixlen}"
    if n.sets:
        out += " " + format_set(n.sets)
    return out + "\n"


def format_roa(roa: Roa, expires: int = 0) -> str:
    addr = Addr(roa.aid, roa.raw)
    out = f"{addr}/{roa.prefixlen}"
    if roa.prefixlen != roa.maxlen:
        out += f" maxlen {roa.maxlen}"
    out += f" source-as {roa.asnum}"
    if expires:
        out += f" expires {expires}"
    return out


def format_auth(a: AuthConfig, c: str) -> str:
    if a.method == AUTH_MD5SIG:
        return f"{c}\ttcp md5sig\n"
    if a.method in (AUTH_IPSEC_MANUAL_ESP, AUTH_IPSEC_MANUAL_AH):
        method = "esp" if a.method == AUTH_IPSEC_MANUAL_ESP else "ah"
        out = ""
        for d, spi, alg, enc in (("in", a.spi_in, a.auth_alg_in, a.enc_alg_in),
                                 ("out", a.spi_out, a.auth_alg_out, a.enc_alg_out)):
            out += f"{c}\tipsec {method} {d} spi {spi} {alg or '???'} XXXXXX"
            if enc:
                out += f" {enc} XXXXXX"
            out += "\n"
        return out
    if a.method == AUTH_IPSEC_IKE_AH:
        return f"{c}\tipsec ah ike\n"
    if a.method == AUTH_IPSEC_IKE_ESP:
        return f"{c}\tipsec esp ike\n"
    return ""


class _Printer:
    def __init__(self, conf: BgpConfig, router_id: str) -> None:
        self.c = conf
        self.router_id = router_id
        self.out: list[str] = []
        self.w = self.out.append

    def run(self) -> str:
        c, w = self.c, self.w
        for name, value in c.macros:
            w(f'{name} = "{value}"\n')
        self.mainconf()
        for r in c.rtrs:
            w(f'rtr {r.remote_addr} {{\n\tdescr "{r.descr}"\n\tport {r.remote_port}\n')
            if r.local_addr is not None:
                w(f"local-addr {r.local_addr}\n")
            w(format_auth(r.auth, "") + "}\n\n")
        if c.roas:
            w("roa-set {" + "".join(f"\n\t{format_roa(r, e)}" for r, e in sorted(c.roas.items())) + "\n}\n\n")
        if c.aspas:
            w("aspa-set {")
            for asn in sorted(c.aspas):
                a = c.aspas[asn]
                exp = f" expires {a.expires}" if a.expires else ""
                w(f"\n\tcustomer-as {asn}{exp} provider-as {{ " + "".join(f"{x} " for x in a.providers) + "}")
            w("\n}\n\n")
        for aset in c.as_sets:
            w(f'as-set "{aset.name}" {{\n\t')
            length = 8
            for asn in aset.members:
                if length > 72:
                    w("\n\t")
                    length = 8
                text = f"{asn} "
                w(text)
                length += len(text)
            w("\n}\n\n")
        for ps in c.prefixsets:
            w(f'prefix-set "{ps.name}" {{')
            for i, key in enumerate(sorted(ps.items)):
                w("\n\t" if i % 2 == 0 else ", ")
                w(format_prefix(ps.items[key]))
            w("\n}\n\n")
        for os_ in c.originsets:
            w(f'origin-set "{os_.name}" {{' + "".join(f"\n\t{format_roa(r)}" for r in sorted(os_.roas))
              + "\n}\n\n")
        for n in c.networks:
            w(format_network(n))
        if c.l3vpns:
            w("\n")
        for vpn in c.l3vpns:
            self.l3vpn(vpn)
        w("\n")
        if c.filtered_in_locrib:
            w("rde rib Loc-RIB include filtered\n")
        for rr in c.ribs:
            if rr.flags & F_RIB_NOEVALUATE:
                w(f"rde rib {rr.name} no evaluate\n")
            elif rr.flags & F_RIB_NOFIB:
                w(f"rde rib {rr.name}\n")
            else:
                w(f"rde rib {rr.name} rtable {rr.rtableid} fib-update "
                  f"{'no' if rr.flags & F_RIB_NOFIBSYNC else 'yes'}\n")
        w("\n")
        self.mrt(0, 0, "", "")
        self.groups()
        for r in c.filters:
            self.rule(r)
        return "".join(self.out)

    def mainconf(self) -> None:
        c, w = self.c, self.w
        w(f"AS {c.as_}" + (f" {c.short_as}" if c.as_ > 0xFFFF and c.short_as != AS_TRANS else "") + "\n")
        w(f"router-id {c.router_id if c.router_id is not None else self.router_id}\n")
        w(f'socket "{c.csock}"\n')
        if c.rcsock:
            w(f'socket "{c.rcsock}" restricted\n')
        if c.holdtime != HOLDTIME_DEFAULT:
            w(f"holdtime {c.holdtime}\n")
        if c.min_holdtime != MIN_HOLDTIME:
            w(f"holdtime min {c.min_holdtime}\n")
        if c.connectretry != CONNECTRETRY_DEFAULT:
            w(f"connect-retry {c.connectretry}\n")
        if c.staletime != STALETIME_DEFAULT:
            w(f"staletime {c.staletime}\n")
        for flag, text in ((FLAG_DECISION_ROUTEAGE, "rde route-age evaluate"),
                           (FLAG_DECISION_MED_ALWAYS, "rde med compare always"),
                           (FLAG_DECISION_ALL_PATHS, "rde evaluate all"),
                           (FLAG_PERMIT_AS_SET, "reject as-set no")):
            if c.flags & flag:
                w(text + "\n")
        if c.log_updates:
            w("log updates\n")
        for addr, port in c.listen:
            w(f"listen on {addr}" + (f" port {port}" if port != BGP_PORT else "") + "\n")
        if c.flags & FLAG_NEXTHOP_BGP:
            w("nexthop qualify via bgp\n")
        if c.flags & FLAG_NEXTHOP_DEFAULT:
            w("nexthop qualify via default\n")
        if c.fib_priority != FIB_PRIORITY_DEFAULT:
            w(f"fib-priority {c.fib_priority}\n")
        w("\n")

    def l3vpn(self, vpn: L3vpn) -> None:
        w = self.w
        w(f'vpn "{vpn.descr}" on {vpn.ifmpe} {{\n')
        w(f"\t{format_rd(vpn.rd or (0, 0, 0))}\n")
        for t in vpn.export:
            w(f"\texport-target {format_community(t)}\n")
        for t in vpn.import_:
            w(f"\timport-target {format_community(t)}\n")
        w(f"\tfib-update {'yes' if vpn.fib_update else 'no'}\n")
        for n in vpn.networks:
            w(format_network(n, "\t"))
        w("}\n")

    def mrt(self, pid: int, gid: int, prep: str, prep2: str) -> None:
        if not self.c.mrts:
            return
        for m in self.c.mrts:
            if (m.peer_id == pid and m.group_id == gid) or (gid and not m.peer_id and m.group_id == gid):
                rib = f"rib {m.rib} " if m.rib else ""
                timeout = f" {m.timeout}" if m.timeout else ""
                self.w(f'{prep}{prep2}dump {rib}{MRT_NAMES[m.type]} "{m.name}"{timeout}\n')
        self.w("\n")

    def groups(self) -> None:
        peers = self.c.neighbors()
        bsd_qsort(peers, lambda a, b: a.groupid - b.groupid)
        prev = 0
        for p in peers:
            c = ""
            if p.groupid:
                c = "\t"
                if p.groupid != prev:
                    if prev:
                        self.w("}\n\n")
                    self.w(f'group "{p.group}" {{\n')
                    prev = p.groupid
            self.peer(p, c)
        if prev:
            self.w("}\n\n")

    def peer(self, p: Peer, c: str) -> None:
        conf, w = self.c, self.w
        w(f"{c}neighbor {p.address} {{\n")
        lines: list[str] = []
        add = lines.append
        if p.descr:
            add(f'descr "{p.descr}"')
        if p.rib:
            add(f'rib "{p.rib}"')
        if p.remote_as:
            add(f"remote-as {p.remote_as}")
        if p.local_as != conf.as_:
            add(f"local-as {p.local_as}" + (f" {p.local_short_as}" if p.local_as > 0xFFFF and p.local_short_as != AS_TRANS else ""))
        if p.down:
            add("down")
        if p.distance > 1:
            add(f"multihop {p.distance}")
        if p.passive:
            add("passive")
        for a in (p.local_addr_v4, p.local_addr_v6):
            if a is not None:
                add(f"local-address {a}")
        if p.remote_port != BGP_PORT:
            add(f"port {p.remote_port}")
        if p.role != ROLE_NONE:
            add(f"role {ROLE_NAMES[p.role]}")
        if p.max_prefix:
            add(f"max-prefix {p.max_prefix}" + (f" restart {p.max_prefix_restart}" if p.max_prefix_restart else ""))
        if p.max_out_prefix:
            add(f"max-prefix {p.max_out_prefix} out"
                + (f" restart {p.max_out_prefix_restart}" if p.max_out_prefix_restart else ""))
        if p.holdtime:
            add(f"holdtime {p.holdtime}")
        if p.min_holdtime:
            add(f"holdtime min {p.min_holdtime}")
        if p.staletime:
            add(f"staletime {p.staletime}")
        if p.export_type == EXPORT_NONE:
            add("export none")
        elif p.export_type == EXPORT_DEFAULT_ROUTE:
            add("export default-route")
        add(f"enforce neighbor-as {'yes' if p.enforce_as == ENFORCE_AS_ON else 'no'}")
        add(f"enforce local-as {'yes' if p.enforce_local_as == ENFORCE_AS_ON else 'no'}")
        if p.reflector_client:
            add("route-reflector" + (f" {Addr(AID_INET, conf.clusterid.to_bytes(4, 'big'))}" if conf.clusterid else ""))
        if p.demote_group:
            add(f"demote {p.demote_group}")
        if p.if_depend:
            add(f'depend on "{p.if_depend}"')
        if p.flags & PEERFLAG_TRANS_AS:
            add("transparent-as yes")
        if conf.flags & FLAG_DECISION_ALL_PATHS:
            if not p.flags & PEERFLAG_EVALUATE_ALL:
                add("rde evaluate default")
        elif p.flags & PEERFLAG_EVALUATE_ALL:
            add("rde evaluate all")
        if conf.flags & FLAG_PERMIT_AS_SET:
            if not p.flags & PEERFLAG_PERMIT_AS_SET:
                add("reject as-set yes")
        elif p.flags & PEERFLAG_PERMIT_AS_SET:
            add("reject as-set no")
        if p.flags & PEERFLAG_LOG_UPDATES:
            add("log updates")
        w("".join(f"{c}\t{line}\n" for line in lines))
        w(format_auth(p.auth, c))
        if p.ttlsec:
            w(f"{c}\tttl-security yes\n")
        w("".join(f"{c}\t{line}\n" for line in self.announce(p)))
        self.mrt(p.id, p.groupid, c, "\t")
        w(f"{c}}}\n")

    @staticmethod
    def announce(p: Peer) -> list[str]:
        caps, out = p.capabilities, []
        for aid in range(1, AID_MAX):
            if caps.mp[aid] == 2:
                out.append(f"announce {AID_NAMES[aid]} enforce")
            elif caps.mp[aid]:
                out.append(f"announce {AID_NAMES[aid]}")
        if not out:
            out += ["announce IPv4 none", "announce IPv6 none"]
        three = {2: "enforce", 1: "yes", 0: "no"}
        if caps.refresh in (0, 2):
            out.append(f"announce refresh {three[caps.refresh]}")
        if caps.enhanced_rr in (1, 2):
            out.append(f"announce enhanced refresh {three[caps.enhanced_rr]}")
        if caps.restart in (0, 2):
            out.append(f"announce restart {three[caps.restart]}")
        if caps.restart and caps.grnotification:
            out.append("announce graceful notification yes")
        if caps.as4byte in (0, 2):
            out.append(f"announce as4byte {three[caps.as4byte]}")
        if caps.ext_msg in (1, 2):
            out.append(f"announce extended message {three[caps.ext_msg]}")
        if caps.ext_nh[AID_INET] in (1, 2):
            out.append(f"announce extended nexthop {three[caps.ext_nh[AID_INET]]}")
        ap = caps.add_path[1]
        if ap & CAPA_AP_RECV_ENFORCE:
            out.append("announce add-path recv enforce")
        elif ap & CAPA_AP_RECV:
            out.append("announce add-path recv yes")
        if ap & CAPA_AP_SEND:
            text = f"announce add-path send {ADDPATH_MODES[p.addpath_mode]}"
            if p.addpath_extra:
                text += f" plus {p.addpath_extra}"
            if p.addpath_max:
                text += f" max {p.addpath_max}"
            if ap & CAPA_AP_SEND_ENFORCE:
                text += " enforce"
            out.append(text)
        out.append(f"announce policy {three.get(caps.policy, 'no')}")
        return out

    def rule(self, r: FilterRule) -> None:
        c = self.c
        out = ["allow " if r.action == ACTION_ALLOW else "deny " if r.action == ACTION_DENY else "match "]
        if r.quick:
            out.append("quick ")
        if r.rib:
            out.append(f"rib {r.rib} ")
        out.append("from " if r.dir == DIR_IN else "to " if r.dir == DIR_OUT else "eeeeeeeps. ")
        pr = r.peer
        if pr.peerid:
            p = c.peers.get(pr.peerid)
            out.append(f"{log_addr(p.remote_addr)} " if p and p.remote_addr else "? ")
        elif pr.groupid:
            g = next((p for p in c.neighbors() if p.groupid == pr.groupid), None)
            out.append(f'group "{g.group}" ' if g else "group ? ")
        elif pr.remote_as:
            out.append(f"AS {pr.remote_as} ")
        elif pr.ebgp:
            out.append("ebgp ")
        elif pr.ibgp:
            out.append("ibgp ")
        else:
            out.append("any ")
        m = r.match
        if m.ovs is not None:
            out.append("ovs " + ["not-found", "invalid", "valid"][m.ovs] + " ")
        if m.avs is not None:
            out.append("avs " + ["unknown", "invalid", "valid"][m.avs] + " ")
        if m.prefix.addr is not None:
            out.append(f"prefix {format_prefix(m.prefix)} ")
        if m.prefixset:
            out.append(f'prefix-set "{m.prefixset}" ')
        if m.prefixset_flags & PREFIXSET_FLAG_LONGER:
            out.append("or-longer ")
        if m.originset:
            out.append(f'origin-set "{m.originset}" ')
        if m.nexthop_flags:
            out.append("nexthop neighbor " if m.nexthop_flags == 2 else f"nexthop {m.nexthop} ")
        a = m.as_
        if a.type:
            out.append({AS_ALL: "AS ", AS_SOURCE: "source-as ", AS_TRANSIT: "transit-as ",
                        AS_PEER: "peer-as "}.get(a.type, "unfluffy-as "))
            if a.flags & AS_FLAG_AS_SET_NAME:
                out.append(f'as-set "{a.name}" ')
            elif a.op == OP_RANGE:
                out.append(f"{a.as_min} - {a.as_max} ")
            elif a.op == OP_XRANGE:
                out.append(f"{a.as_min} >< {a.as_max} ")
            elif a.op == OP_NE:
                out.append(f"!= {a.as_min} ")
            else:
                out.append(f"{a.as_min} ")
        if m.aslen_type:
            out.append(f"{'max-as-len' if m.aslen_type == ASLEN_MAX else 'max-as-seq'} {m.aslen} ")
        for cm in m.communities:
            out.append(f"{community_type(cm)} {format_community(cm)}")
        if m.maxcomm:
            out.append(f"max-communities {m.maxcomm - 1} ")
        if m.maxextcomm:
            out.append(f"max-ext-communities {m.maxextcomm - 1} ")
        if m.maxlargecomm:
            out.append(f"max-large-communities {m.maxlargecomm - 1} ")
        out.append(format_set(r.sets))
        self.w("".join(out) + "\n")


def print_config(conf: BgpConfig, router_id: str = "127.0.0.1") -> str:
    """The text ``bgpd -nv`` prints for ``conf``; ``router_id`` is used when none is configured
    (bgpd would take the host's highest IPv4 address; its regress suite rewrites it to
    127.0.0.1)."""
    return _Printer(conf, router_id).run()


__all__ = ["bsd_qsort", "format_network", "format_prefix", "format_roa", "format_set", "print_config"]
