"""Service and protocol names pfctl resolves, shipped with ask-zero.

pfctl reads /etc/services and /etc/protocols of the machine it runs on; ask-zero must
give the same answers on any machine, so it carries OpenBSD's common entries itself.
"""

from __future__ import annotations

from importlib import resources

from askzero.digits import is_number

# name -> (port, protocols), aliases included; read once from askzero/data/services.tsv
SERVICES: dict[str, tuple[int, frozenset[str]]] = {}


def _load_services() -> dict[str, tuple[int, frozenset[str]]]:
    if not SERVICES:
        text = (resources.files("askzero") / "data" / "services.tsv").read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, port, protos, *aliases = line.split("\t")
            entry = (int(port), frozenset(protos.split(",")))
            for key in [name, *" ".join(aliases).split()]:
                SERVICES.setdefault(key, entry)
    return SERVICES


PROTOCOLS: dict[str, int] = {
    "ip": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "tcp": 6, "egp": 8, "udp": 17,
    "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "gre": 47, "esp": 50,
    "ah": 51, "ipv6-icmp": 58, "icmp6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "eigrp": 88,
    "ospf": 89, "ipip": 94, "etherip": 97, "encap": 98, "pim": 103, "ipcomp": 108,
    "carp": 112, "vrrp": 112, "l2tp": 115, "sctp": 132, "pfsync": 240,
}
PROTOCOL_NAMES = {number: name for name, number in reversed(list(PROTOCOLS.items()))}

ICMP_TYPES: dict[str, int] = {
    "echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6, "echoreq": 8,
    "routeradv": 9, "routersol": 10, "timex": 11, "paramprob": 12, "timereq": 13,
    "timerep": 14, "inforeq": 15, "inforep": 16, "maskreq": 17, "maskrep": 18,
    "trace": 30, "dataconv": 31, "mobredir": 32, "ipv6-where": 33, "ipv6-here": 34,
    "mobregreq": 35, "mobregrep": 36, "skip": 39, "photuris": 40,
}
ICMP6_TYPES: dict[str, int] = {
    "unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4, "echoreq": 128, "echorep": 129,
    "groupqry": 130, "grouprep": 131, "groupterm": 132, "routersol": 133, "routeradv": 134,
    "neighbrsol": 135, "neighbradv": 136, "redir": 137, "routrrenum": 138,
}


def port_number(name: str, proto: str | None) -> int | None:
    """The port of a service name or number, or None when unknown (pfctl's getservbyname)."""
    if is_number(name) or name.lower().startswith("0x"):
        try:
            value = int(name, 0) if not is_number(name) else int(name)
        except ValueError:
            return None
        return value if 0 <= value <= 65535 else None
    entry = _load_services().get(name)
    if entry is None:
        return None
    return entry[0]

_UNREACH4 = ("net-unr host-unr proto-unr port-unr needfrag srcfail net-unk host-unk isolate net-prohib "
             "host-prohib net-tos host-tos filter-prohib host-preced cutoff-preced").split()
# (family, type) -> code name -> code, as pfctl's icmp_code table
ICMP_CODES: dict[tuple[str, int], dict[str, int]] = {
    ("inet", 3): {name: code for code, name in enumerate(_UNREACH4)},
    ("inet", 5): {"redir-net": 0, "redir-host": 1, "redir-tos-net": 2, "redir-tos-host": 3},
    ("inet", 9): {"normal-adv": 0, "common-adv": 16},
    ("inet", 11): {"transit": 0, "reassemb": 1},
    ("inet", 12): {"badhead": 0, "optmiss": 1, "badlen": 2},
    ("inet", 40): {"unknown-ind": 1, "auth-fail": 2, "decrypt-fail": 3},
    ("inet6", 1): {"noroute-unr": 0, "admin-unr": 1, "beyond-unr": 2, "addr-unr": 3, "port-unr": 4},
    ("inet6", 3): {"transit": 0, "reassemb": 1},
    ("inet6", 4): {"badhead": 0, "nxthdr": 1},
    ("inet6", 137): {"redironlink": 0, "redirrouter": 1},
}


def icmp_code_name(af: str, icmp_type: int, code: int) -> str:
    """A code's name for its type and family, or its number."""
    for name, value in ICMP_CODES.get((af, icmp_type), {}).items():
        if value == code:
            return name
    return str(code)


def icmp_code_number(af: str, icmp_type: int, name: str) -> int | None:
    if is_number(name):
        return int(name)
    return ICMP_CODES.get((af, icmp_type), {}).get(name)
