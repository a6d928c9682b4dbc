"""The typed model of a bgpd.conf, shaped after bgpd's own structures.

Every statement keeps its ``Source`` (file and line) so evidence can cite it. Numeric codes
(actions, operators, AIDs) use bgpd's values because its output order depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from askzero.bgp.addr import AID_MAX, Addr
from askzero.bgp.community import Community
from askzero.sources import Source

# enum comp_ops
OP_NONE, OP_RANGE, OP_XRANGE, OP_EQ, OP_NE, OP_LE, OP_LT, OP_GE, OP_GT = range(9)
# enum filter_actions / directions
ACTION_NONE, ACTION_ALLOW, ACTION_DENY = 0, 1, 2
DIR_IN, DIR_OUT = 1, 2
# enum as_spec
AS_UNDEF, AS_ALL, AS_SOURCE, AS_TRANSIT, AS_PEER = range(5)
AS_FLAG_NEIGHBORAS, AS_FLAG_AS_SET_NAME = 0x01, 0x02
ASLEN_NONE, ASLEN_MAX, ASLEN_SEQ = range(3)
MAX_COMM_MATCH = 3
# enum action_types
(SET_LOCALPREF, SET_RELATIVE_LOCALPREF, SET_MED, SET_RELATIVE_MED, SET_WEIGHT,
 SET_RELATIVE_WEIGHT, SET_PREPEND_SELF, SET_PREPEND_PEER, SET_AS_OVERRIDE, SET_NEXTHOP,
 SET_NEXTHOP_REF, SET_NEXTHOP_REJECT, SET_NEXTHOP_BLACKHOLE, SET_NEXTHOP_NOMODIFY,
 SET_NEXTHOP_SELF, DEL_COMMUNITY, SET_COMMUNITY, PFTABLE, PFTABLE_ID, RTLABEL, RTLABEL_ID,
 SET_ORIGIN) = range(22)
ORIGIN_IGP, ORIGIN_EGP, ORIGIN_INCOMPLETE = 0, 1, 2
ROA_NOTFOUND, ROA_INVALID, ROA_VALID = 0, 1, 2  # ovs
ASPA_UNKNOWN, ASPA_INVALID, ASPA_VALID = 0, 1, 2  # avs
PREFIXSET_FLAG_FILTER, PREFIXSET_FLAG_OPS, PREFIXSET_FLAG_LONGER = 0x01, 0x02, 0x04
# enum mrt_type
MRT_NONE, MRT_TABLE_DUMP, MRT_TABLE_DUMP_MP, MRT_TABLE_DUMP_V2, MRT_ALL_IN, MRT_ALL_OUT, \
    MRT_UPDATE_IN, MRT_UPDATE_OUT = range(8)
# peer enums
EXPORT_UNSET, EXPORT_NONE, EXPORT_DEFAULT_ROUTE = range(3)
ENFORCE_AS_UNDEF, ENFORCE_AS_OFF, ENFORCE_AS_ON = range(3)
ROLE_NONE, ROLE_CUSTOMER, ROLE_PROVIDER, ROLE_RS, ROLE_RS_CLIENT, ROLE_PEER = range(6)
ROLE_NAMES = ["none", "customer", "provider", "rs", "rs-client", "peer"]
AUTH_NONE, AUTH_MD5SIG, AUTH_IPSEC_MANUAL_ESP, AUTH_IPSEC_MANUAL_AH, AUTH_IPSEC_IKE_ESP, \
    AUTH_IPSEC_IKE_AH = range(6)
PEERFLAG_TRANS_AS, PEERFLAG_LOG_UPDATES, PEERFLAG_EVALUATE_ALL, PEERFLAG_PERMIT_AS_SET = 1, 2, 4, 8
CAPA_AP_RECV, CAPA_AP_SEND, CAPA_AP_RECV_ENFORCE, CAPA_AP_SEND_ENFORCE = 0x01, 0x02, 0x10, 0x20
ADDPATH_MODES = ["none", "best", "ecmp", "as-wide-best", "all"]
# bgpd_config flags
FLAG_DECISION_ROUTEAGE, FLAG_DECISION_TRANS_AS, FLAG_DECISION_MED_ALWAYS = 0x01, 0x02, 0x04
FLAG_DECISION_ALL_PATHS, FLAG_NEXTHOP_BGP, FLAG_NEXTHOP_DEFAULT = 0x08, 0x10, 0x20
FLAG_REFLECTOR, FLAG_PERMIT_AS_SET = 0x40, 0x80
F_RIB_LOCAL, F_RIB_NOEVALUATE, F_RIB_NOFIB, F_RIB_NOFIBSYNC = 0x1, 0x2, 0x4, 0x8
NETWORK_DEFAULT, NETWORK_STATIC, NETWORK_CONNECTED, NETWORK_RTLABEL, NETWORK_MRTCLONE, \
    NETWORK_PRIORITY, NETWORK_PREFIXSET = range(7)
AS_TRANS = 23456
BGP_PORT, RTR_PORT = 179, 323
HOLDTIME_DEFAULT, MIN_HOLDTIME, CONNECTRETRY_DEFAULT, STALETIME_DEFAULT = 90, 3, 120, 180
FIB_PRIORITY_DEFAULT = 48


@dataclass(frozen=True)
class FilterPrefix:
    addr: Addr | None = None
    len: int = 0
    op: int = OP_NONE
    len_min: int = 0
    len_max: int = 0


@dataclass(frozen=True)
class FilterAs:
    type: int = AS_UNDEF
    flags: int = 0
    op: int = OP_NONE
    as_min: int = 0
    as_max: int = 0
    name: str = ""


@dataclass(frozen=True)
class FilterPeers:
    peerid: int = 0
    groupid: int = 0
    remote_as: int = 0
    ebgp: bool = False
    ibgp: bool = False


@dataclass(frozen=True)
class FilterMatch:
    prefix: FilterPrefix = FilterPrefix()
    nexthop: Addr | None = None
    nexthop_flags: int = 0  # 1 address, 2 neighbor
    as_: FilterAs = FilterAs()
    aslen_type: int = ASLEN_NONE
    aslen: int = 0
    communities: tuple[Community, ...] = ()
    prefixset: str = ""
    prefixset_flags: int = 0
    originset: str = ""
    ovs: int | None = None
    avs: int | None = None
    maxcomm: int = 0
    maxextcomm: int = 0
    maxlargecomm: int = 0


@dataclass
class FilterSet:
    """One ``set`` action; ``value`` is a number, Addr, Community, name or origin code."""

    type: int
    value: Any = None


@dataclass
class FilterRule:
    action: int
    dir: int
    quick: bool = False
    rib: str = ""
    peer: FilterPeers = FilterPeers()
    match: FilterMatch = FilterMatch()
    sets: list[FilterSet] = field(default_factory=list)
    source: Source | None = None


@dataclass
class AuthConfig:
    method: int = AUTH_NONE
    spi_in: int = 0
    spi_out: int = 0
    auth_alg_in: str = ""
    auth_alg_out: str = ""
    enc_alg_in: str = ""
    enc_alg_out: str = ""


@dataclass
class Capabilities:
    mp: list[int] = field(default_factory=lambda: [0] * AID_MAX)
    add_path: list[int] = field(default_factory=lambda: [0] * AID_MAX)
    ext_nh: list[int] = field(default_factory=lambda: [0] * AID_MAX)
    refresh: int = 1
    enhanced_rr: int = 0
    restart: int = 1
    grnotification: int = 0
    as4byte: int = 1
    policy: int = 1
    ext_msg: int = 0


@dataclass
class Peer:
    """A neighbor (or, while parsing, a group's template): bgpd's ``struct peer_config``."""

    id: int = 0
    groupid: int = 0
    group: str = ""
    remote_addr: Addr | None = None
    remote_masklen: int = 0
    template: bool = False
    descr: str = ""
    reason: str = ""
    rib: str = ""
    remote_as: int = 0
    local_as: int = 0
    local_short_as: int = 0
    down: bool = False
    distance: int = 1
    passive: bool = False
    local_addr_v4: Addr | None = None
    local_addr_v6: Addr | None = None
    remote_port: int = BGP_PORT
    role: int = ROLE_NONE
    max_prefix: int = 0
    max_prefix_restart: int = 0
    max_out_prefix: int = 0
    max_out_prefix_restart: int = 0
    holdtime: int = 0
    min_holdtime: int = 0
    staletime: int = 0
    export_type: int = EXPORT_UNSET
    enforce_as: int = ENFORCE_AS_UNDEF
    enforce_local_as: int = ENFORCE_AS_UNDEF
    reflector_client: bool = False
    demote_group: str = ""
    if_depend: str = ""
    flags: int = 0
    ttlsec: bool = False
    ebgp: bool = False
    capabilities: Capabilities = field(default_factory=Capabilities)
    addpath_mode: int = 0
    addpath_extra: int = 0
    addpath_max: int = 0
    auth: AuthConfig = field(default_factory=AuthConfig)
    source: Source | None = None

    @property
    def address(self) -> str:
        """The neighbor as bgpd names it: the address, with ``/len`` for a template."""
        if self.remote_addr is None:
            return ""
        text = str(self.remote_addr)
        return text if self.remote_masklen == self.remote_addr.maxlen else f"{text}/{self.remote_masklen}"

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "remote_as": self.remote_as, "descr": self.descr,
                "group": self.group or None, "ebgp": self.ebgp,
                "local_address": [str(a) for a in (self.local_addr_v4, self.local_addr_v6) if a],
                "file": self.source.file if self.source else None,
                "line": self.source.line if self.source else None}


@dataclass
class Network:
    type: int = NETWORK_DEFAULT
    prefix: Addr | None = None
    prefixlen: int = 0
    aid: int = 0
    rtlabel: str = ""
    priority: int = 0
    psname: str = ""
    sets: list[FilterSet] = field(default_factory=list)
    source: Source | None = None


@dataclass
class L3vpn:
    descr: str
    ifmpe: str
    rd: tuple[int, int, int] | None = None
    export: list[Community] = field(default_factory=list)
    import_: list[Community] = field(default_factory=list)
    fib_update: bool = True
    networks: list[Network] = field(default_factory=list)
    source: Source | None = None


@dataclass(frozen=True, order=True)
class Roa:
    """One ROA: sorted as bgpd's roa tree (family, prefix, length, AS, maxlen)."""

    aid: int
    raw: bytes
    prefixlen: int
    asnum: int
    maxlen: int


@dataclass
class Aspa:
    customer_as: int
    expires: int = 0
    providers: list[int] = field(default_factory=list)


@dataclass
class PrefixSet:
    name: str
    items: dict[tuple, FilterPrefix] = field(default_factory=dict)
    flags: int = 0
    roas: dict[Roa, int] = field(default_factory=dict)  # origin-set: roa -> expires
    source: Source | None = None


@dataclass
class AsSet:
    name: str
    members: list[int] = field(default_factory=list)
    source: Source | None = None


@dataclass
class Rtr:
    remote_addr: Addr
    descr: str
    remote_port: int = RTR_PORT
    local_addr: Addr | None = None
    min_version: int | None = None
    auth: AuthConfig = field(default_factory=AuthConfig)
    source: Source | None = None


@dataclass
class Mrt:
    type: int
    name: str
    timeout: int = 0
    peer_id: int = 0
    group_id: int = 0
    rib: str = ""


@dataclass
class Rib:
    name: str
    flags: int = F_RIB_NOFIB
    rtableid: int = 0


@dataclass
class BgpConfig:
    """A parsed bgpd.conf: what ``bgpd -nv`` prints, plus the source of every statement."""

    files: list[str] = field(default_factory=list)
    macros: list[tuple[str, str]] = field(default_factory=list)
    as_: int = 0
    short_as: int = 0
    router_id: Addr | None = None
    csock: str = "/var/run/bgpd.sock.0"
    rcsock: str | None = None
    holdtime: int = HOLDTIME_DEFAULT
    min_holdtime: int = MIN_HOLDTIME
    connectretry: int = CONNECTRETRY_DEFAULT
    staletime: int = STALETIME_DEFAULT
    fib_priority: int = FIB_PRIORITY_DEFAULT
    flags: int = 0
    log_updates: bool = False
    clusterid: int = 0
    filtered_in_locrib: bool = False
    listen: list[tuple[Addr, int]] = field(default_factory=list)
    rtrs: list[Rtr] = field(default_factory=list)
    roas: dict[Roa, int] = field(default_factory=dict)
    aspas: dict[int, Aspa] = field(default_factory=dict)
    as_sets: list[AsSet] = field(default_factory=list)
    prefixsets: list[PrefixSet] = field(default_factory=list)
    originsets: list[PrefixSet] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    l3vpns: list[L3vpn] = field(default_factory=list)
    ribs: list[Rib] = field(default_factory=list)
    mrts: list[Mrt] = field(default_factory=list)  # newest first, as bgpd's list
    peers: dict[int, Peer] = field(default_factory=dict)  # by id
    filters: list[FilterRule] = field(default_factory=list)

    def neighbors(self) -> list[Peer]:
        return [self.peers[k] for k in sorted(self.peers)]

    def neighbor(self, address: str) -> Peer | None:
        for p in self.neighbors():
            if p.address == address or (p.remote_addr is not None and str(p.remote_addr) == address):
                return p
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"as": self.as_, "router_id": str(self.router_id) if self.router_id else None,
                "files": list(self.files), "neighbors": [p.to_dict() for p in self.neighbors()],
                "prefix_sets": [ps.name for ps in self.prefixsets],
                "origin_sets": [ps.name for ps in self.originsets],
                "as_sets": [a.name for a in self.as_sets], "roa_count": len(self.roas),
                "filter_rules": len(self.filters)}
