"""Per-peer options (``remote-as``, ``announce``, ``tcp md5sig``, ``set`` ...) for neighbors and groups.

Each ``_opt_KEYWORD`` method parses what follows its keyword and updates the peer (or the
group template) being read, with bgpd's checks and messages.
"""

from __future__ import annotations

from askzero.bgp.addr import (AFI_IPV4, AFI_IPV6, AID_AFI_SAFI, AID_EVPN, AID_INET, AID_MAX,
                              AID_VPN_IPV4, SAFI_FLOWSPEC, SAFI_MPLSVPN, SAFI_NONE, SAFI_UNICAST,
                              afi2aid)
from askzero.bgp.filters import FilterGrammar
from askzero.bgp.grammar import UINT_MAX, USHRT_MAX, Abort, Syntax
from askzero.bgp.model import (AS_TRANS, AUTH_IPSEC_IKE_AH, AUTH_IPSEC_IKE_ESP, AUTH_IPSEC_MANUAL_AH,
                               AUTH_IPSEC_MANUAL_ESP, AUTH_MD5SIG, CAPA_AP_RECV, CAPA_AP_RECV_ENFORCE,
                               CAPA_AP_SEND, CAPA_AP_SEND_ENFORCE, ENFORCE_AS_OFF, ENFORCE_AS_ON,
                               EXPORT_DEFAULT_ROUTE, EXPORT_NONE, FLAG_REFLECTOR, PEERFLAG_EVALUATE_ALL,
                               PEERFLAG_LOG_UPDATES, PEERFLAG_PERMIT_AS_SET, PEERFLAG_TRANS_AS,
                               ROLE_CUSTOMER, ROLE_NONE, ROLE_PEER, ROLE_PROVIDER, ROLE_RS,
                               ROLE_RS_CLIENT, SET_AS_OVERRIDE, AuthConfig, FilterRule, FilterSet, Peer)

PEER_DESCR_LEN = 32
IFNAMSIZ = 16
TCP_MD5_KEY_LEN = 80
SPI_RESERVED_MAX = 255


class PeerOptions(FilterGrammar):
    """Options valid inside ``neighbor { }`` and ``group { }`` blocks."""

    def get_rule(self, typ: int) -> FilterRule:
        raise NotImplementedError

    def _opt_remoteas(self, p: Peer) -> None:
        p.remote_as = self.as4number()

    def _opt_localas(self, p: Peer) -> None:
        p.local_as = self.as4number()
        if self.at("NUMBER"):
            p.local_short_as = self.asnumber()
        else:
            p.local_short_as = AS_TRANS if p.local_as > USHRT_MAX else p.local_as

    def _opt_descr(self, p: Peer) -> None:
        text = self.string()
        if len(text) >= PEER_DESCR_LEN:
            raise self.fail(f'descr "{text}" too long: max {PEER_DESCR_LEN - 1}')
        p.descr = text

    def _opt_localaddr(self, p: Peer) -> None:
        addr = self.address()
        if addr.aid == AID_INET:
            p.local_addr_v4 = addr
        else:
            p.local_addr_v6 = addr

    def _opt_multihop(self, p: Peer) -> None:
        n = self.number()
        if n < 2 or n > 255:
            raise self.fail(f"invalid multihop distance {n}")
        p.distance = n

    def _opt_passive(self, p: Peer) -> None:
        p.passive = True

    def _opt_down(self, p: Peer) -> None:
        p.down = True
        if self.at("STRING"):
            reason = str(self.next().value)
            if len(reason) >= 256:
                raise self.fail("shutdown reason too long")
            p.reason = reason

    def _opt_rib(self, p: Peer) -> None:
        name = str(self.expect("STRING").value)
        if not any(r.name == name for r in self.conf.ribs):
            raise self.fail(f'rib "{name}" does not exist.')
        p.rib = name

    def _time(self, what: str) -> int:
        n = self.number()
        if n < 3 or n > USHRT_MAX:
            raise self.fail(f"{what} must be between 3 and {USHRT_MAX}")
        return n

    def _opt_holdtime(self, p: Peer) -> None:
        if self.accept("YMIN"):
            p.min_holdtime = self._time("holdtime")
        else:
            p.holdtime = self._time("holdtime")

    def _opt_staletime(self, p: Peer) -> None:
        p.staletime = self._time("staletime")

    def _yesnoenforce(self) -> int:
        return 2 if self.accept("ENFORCE") else int(self.yesno())

    def _opt_announce(self, p: Peer) -> None:
        caps = p.capabilities
        k = self.next().kind
        if k in ("IPV4", "IPV6"):
            afi = AFI_IPV4 if k == "IPV4" else AFI_IPV6
            safis = {"NONE": SAFI_NONE, "UNICAST": SAFI_UNICAST, "VPN": SAFI_MPLSVPN, "FLOWSPEC": SAFI_FLOWSPEC}
            sk = self.next().kind
            if sk not in safis:
                raise Syntax()
            enforce = bool(self.accept("ENFORCE"))
            if safis[sk] == SAFI_NONE:
                for aid in range(1, AID_MAX):
                    if AID_AFI_SAFI[aid][0] == afi:
                        caps.mp[aid] = -1
                return
            aid = afi2aid(afi, safis[sk])
            if aid is None:
                raise self.fail("unknown AFI/SAFI pair")
            caps.mp[aid] = 2 if enforce else 1
        elif k == "EVPN":
            caps.mp[AID_EVPN] = 2 if self.accept("ENFORCE") else 1
        elif k == "REFRESH":
            caps.refresh = self._yesnoenforce()
        elif k == "ENHANCED":
            self.expect("REFRESH")
            caps.enhanced_rr = self._yesnoenforce()
        elif k == "RESTART":
            caps.restart = self._yesnoenforce()
        elif k == "GRACEFUL":
            self.expect("NOTIFICATION")
            caps.grnotification = int(self.yesno())
        elif k == "AS4BYTE":
            caps.as4byte = self._yesnoenforce()
        elif k == "POLICY":
            caps.policy = self._yesnoenforce()
        elif k == "EXTENDED":
            which = self.next().kind
            if which == "MESSAGE":
                caps.ext_msg = self._yesnoenforce()
            elif which == "NEXTHOP":
                caps.ext_nh[AID_INET] = caps.ext_nh[AID_VPN_IPV4] = self._yesnoenforce()
            else:
                raise Syntax()
        elif k == "ADDPATH":
            self._addpath(p)
        else:
            raise Syntax()

    def _addpath(self, p: Peer) -> None:
        ap = p.capabilities.add_path
        if self.accept("RECV"):
            v = self._yesnoenforce()
            for i in range(1, AID_MAX):
                if v:
                    ap[i] |= CAPA_AP_RECV | (CAPA_AP_RECV_ENFORCE if v == 2 else 0)
                else:
                    ap[i] &= ~CAPA_AP_RECV
            return
        self.expect("SEND")
        mode_word = str(self.expect("STRING").value)
        extra = maxp = 0
        if self.accept("PLUS"):
            extra = self.number()
            if extra < 1 or extra > USHRT_MAX:
                raise self.fail(f"additional paths must be between 1 and {USHRT_MAX}")
        if self.accept("MAX"):
            maxp = self.number()
            if maxp < 1 or maxp > USHRT_MAX:
                raise self.fail(f"maximum additional paths must be between 1 and {USHRT_MAX}")
        enforce = bool(self.accept("ENFORCE"))
        modes = {"no": 0, "best": 1, "ecmp": 2, "as-wide-best": 3, "all": 4}
        if mode_word not in modes:
            raise self.fail(f'announce add-path send: unknown mode "{mode_word}"')
        mode = modes[mode_word]
        if mode == 0 and (extra or maxp or enforce):
            raise self.fail("no additional option allowed for 'add-path send no'")
        if mode == 4 and (extra or maxp):
            raise self.fail("no additional option allowed for 'add-path send all'")
        for i in range(1, AID_MAX):
            if mode:
                ap[i] |= CAPA_AP_SEND | (CAPA_AP_SEND_ENFORCE if enforce else 0)
            else:
                ap[i] &= ~CAPA_AP_SEND
        p.addpath_mode, p.addpath_extra, p.addpath_max = mode, extra, maxp

    def _opt_role(self, p: Peer) -> None:
        if self.accept("NONE"):
            p.role = ROLE_NONE
            return
        word = str(self.expect("STRING").value)
        roles = {"provider": ROLE_PROVIDER, "rs": ROLE_RS, "rs-client": ROLE_RS_CLIENT,
                 "customer": ROLE_CUSTOMER, "peer": ROLE_PEER}
        if word not in roles:
            raise self.fail("syntax error, one of none, provider, rs, rs-client, customer, peer expected")
        p.role = roles[word]

    def _opt_export(self, p: Peer) -> None:
        if self.accept("NONE"):
            p.export_type = EXPORT_NONE
        else:
            self.expect("DEFAULTROUTE")
            p.export_type = EXPORT_DEFAULT_ROUTE

    def _opt_enforce(self, p: Peer) -> None:
        which = self.next().kind
        if which not in ("NEIGHBORAS", "LOCALAS"):
            raise Syntax()
        value = ENFORCE_AS_ON if self.yesno() else ENFORCE_AS_OFF
        if which == "NEIGHBORAS":
            p.enforce_as = value
        else:
            p.enforce_local_as = value

    def _opt_asoverride(self, p: Peer) -> None:
        if self.yesno():
            self.merge_filterset(self.get_rule(SET_AS_OVERRIDE).sets, FilterSet(SET_AS_OVERRIDE))

    def _opt_maxprefix(self, p: Peer) -> None:
        n = self.number()
        out = bool(self.accept("OUT"))
        restart = 0
        if self.accept("RESTART"):
            restart = self.number()
            if restart < 1 or restart > USHRT_MAX:
                raise self.fail(f"restart out of range. 1 to {USHRT_MAX} minutes")
        if n < 0 or n > UINT_MAX:
            raise self.fail("bad maximum number of prefixes")
        if out:
            p.max_out_prefix, p.max_out_prefix_restart = n, restart
        else:
            p.max_prefix, p.max_prefix_restart = n, restart

    def _opt_tcp(self, p: Peer) -> None:
        self.merge_auth(p.auth, self.authconf("TCP"))

    def _opt_ipsec(self, p: Peer) -> None:
        self.merge_auth(p.auth, self.authconf("IPSEC"))

    def _opt_ttlsecurity(self, p: Peer) -> None:
        p.ttlsec = self.yesno()

    def _opt_set(self, p: Peer) -> None:
        for s in self.set_items():
            if not self.merge_filterset(self.get_rule(s.type).sets, s):
                raise Abort()  # merge_filterset reported it

    def _opt_reflector(self, p: Peer) -> None:
        c = self.conf
        if self.at("STRING"):
            addr = self.address()
            if addr.aid != AID_INET:
                raise self.fail("route reflector cluster-id must be an IPv4 address")
            cid = int.from_bytes(addr.raw, "big")
            if c.flags & FLAG_REFLECTOR and c.clusterid != cid:
                raise self.fail("only one route reflector cluster allowed")
            c.clusterid = cid
        elif c.flags & FLAG_REFLECTOR and c.clusterid != 0:
            raise self.fail("only one route reflector cluster allowed")
        c.flags |= FLAG_REFLECTOR
        p.reflector_client = True

    def _opt_depend(self, p: Peer) -> None:
        self.expect("ON")
        name = str(self.expect("STRING").value)
        if len(name) >= IFNAMSIZ:
            raise self.fail(f'interface name "{name}" too long: max {IFNAMSIZ - 1}')
        p.if_depend = name

    def _opt_demote(self, p: Peer) -> None:
        name = str(self.expect("STRING").value)
        if len(name) >= IFNAMSIZ:
            raise self.fail(f'demote group name "{name}" too long: max {IFNAMSIZ - 1}')
        p.demote_group = name

    def _opt_transparent(self, p: Peer) -> None:
        if self.yesno():
            p.flags |= PEERFLAG_TRANS_AS
        else:
            p.flags &= ~PEERFLAG_TRANS_AS

    def _opt_log(self, p: Peer) -> None:
        word = str(self.expect("STRING").value)
        if word == "updates":
            p.flags |= PEERFLAG_LOG_UPDATES
        elif word == "no":
            p.flags &= ~PEERFLAG_LOG_UPDATES
        else:
            raise Syntax()

    def _opt_reject(self, p: Peer) -> None:
        self.expect("ASSET")
        if self.yesno():
            p.flags &= ~PEERFLAG_PERMIT_AS_SET
        else:
            p.flags |= PEERFLAG_PERMIT_AS_SET

    def _opt_port(self, p: Peer) -> None:
        p.remote_port = self.port()

    def _opt_rde(self, p: Peer) -> None:
        self.expect("EVALUATE")
        word = str(self.expect("STRING").value)
        if word == "all":
            p.flags |= PEERFLAG_EVALUATE_ALL
        elif word == "default":
            p.flags &= ~PEERFLAG_EVALUATE_ALL
        else:
            raise self.fail(f'rde evaluate: unknown setting "{word}"')

    # -- authentication -----------------------------------------------------------------

    def authconf(self, first: str) -> AuthConfig:
        a = AuthConfig()
        if first == "TCP":
            self.expect("MD5SIG")
            if self.accept("PASSWORD"):
                text = self.string()
                if len(text) >= TCP_MD5_KEY_LEN:
                    raise self.fail(f"tcp md5sig password too long: max {TCP_MD5_KEY_LEN - 1}")
            else:
                self.expect("KEY")
                self.str2key(self.string(), TCP_MD5_KEY_LEN)
            a.method = AUTH_MD5SIG
            return a
        esp = self.next().kind
        if esp not in ("ESP", "AH"):
            raise Syntax()
        if self.accept("IKE"):
            a.method = AUTH_IPSEC_IKE_ESP if esp == "ESP" else AUTH_IPSEC_IKE_AH
            return a
        direction = self.next().kind
        if direction not in ("IN", "OUT"):
            raise Syntax()
        self.expect("SPI")
        spi = self.number()
        alg = str(self.expect("STRING").value)
        key = str(self.expect("STRING").value)
        enc_alg = ""
        if self.at("STRING"):
            enc_alg = str(self.next().value)
            enc_key = str(self.expect("STRING").value)
            if enc_alg in ("3des", "3des-cbc"):
                enc_alg, enc_len = "3des", 21
            elif enc_alg in ("aes", "aes-128-cbc"):
                enc_alg, enc_len = "aes", 16
            else:
                raise self.fail(f'unknown enc algorithm "{enc_alg}"')
            if len(enc_key) // 2 != enc_len:
                raise self.fail(f"enc key length wrong: should be {enc_len * 2} bytes, is {len(enc_key)} bytes")
            self.str2key(enc_key, 32)
        keylens = {"sha1": 20, "md5": 16}
        if alg not in keylens:
            raise self.fail(f'unknown auth algorithm "{alg}"')
        if len(key) // 2 != keylens[alg]:
            raise self.fail(f"auth key len: must be {keylens[alg]} bytes, is {len(key) // 2} bytes")
        if esp == "AH" and enc_alg:
            raise self.fail("\"ipsec ah\" doesn't take encryption keys")
        a.method = AUTH_IPSEC_MANUAL_ESP if esp == "ESP" else AUTH_IPSEC_MANUAL_AH
        if spi <= SPI_RESERVED_MAX or spi > UINT_MAX:
            raise self.fail(f"bad spi number {spi}")
        self.str2key(key, 20)
        if direction == "IN":
            a.spi_in, a.auth_alg_in, a.enc_alg_in = spi, alg, enc_alg
        else:
            a.spi_out, a.auth_alg_out, a.enc_alg_out = spi, alg, enc_alg
        return a

    def str2key(self, s: str, max_len: int) -> None:
        if len(s) // 2 > max_len:
            raise self.fail("key too long")
        if len(s) % 2:
            raise self.fail("key must be of even length")
        if any(c not in "0123456789abcdefABCDEF" for c in s):
            raise self.fail("key must be specified in hex")

    def merge_auth(self, to: AuthConfig, frm: AuthConfig) -> None:
        if to.method:
            if to.method == frm.method and to.method in (AUTH_IPSEC_MANUAL_ESP, AUTH_IPSEC_MANUAL_AH):
                if not to.spi_in and frm.spi_in:
                    to.spi_in, to.auth_alg_in, to.enc_alg_in = frm.spi_in, frm.auth_alg_in, frm.enc_alg_in
                    return
                if not to.spi_out and frm.spi_out:
                    to.spi_out, to.auth_alg_out, to.enc_alg_out = frm.spi_out, frm.auth_alg_out, frm.enc_alg_out
                    return
            raise self.fail("auth method cannot be redefined")
        to.__dict__.update(frm.__dict__)
