"""Audit checks over bgpd.conf: max-prefix, RPKI origin validation, session protection,
customer prefix filters, enforce neighbor-as. Each cites the neighbor or rule lines.

Statuses follow the guidance in knowledge/mapping.toml (pass_when / fail_when / partial_when).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from askzero.bgp.model import (ACTION_ALLOW, ACTION_DENY, AUTH_NONE, DIR_IN, ENFORCE_AS_ON, ROA_INVALID,
                               ROLE_CUSTOMER, ROLE_PEER, ROLE_PROVIDER, ROLE_RS, BgpConfig, FilterRule, Peer)
from askzero.report.results import CheckResult, cite, dedupe
from askzero.report.sitefiles import find_line

_CUSTOMER = re.compile(r"\b(customer|cust|downstream|client)s?\b", re.I)
_NOT_CUSTOMER = re.compile(r"upstream|transit|provider|peer|\bix\b|route[- ]?server|\brs\b|ibgp|core", re.I)


def _name(p: Peer) -> str:
    return f"{p.address}" + (f" ({p.descr})" if p.descr else "")


def _per_neighbor(check: str, title: str, cfg: BgpConfig, good: Callable[[Peer], bool],
                  good_note: str, bad_note: str, peers: list[Peer] | None = None) -> CheckResult:
    peers = cfg.neighbors() if peers is None else peers
    if not peers:
        return CheckResult(check, title, "not-evaluable", "bgpd.conf configures no such neighbor.")
    ok = [p for p in peers if good(p)]
    bad = [p for p in peers if not good(p)]
    evidence = [cite(p.source, f"{_name(p)}: {bad_note}") for p in bad if p.source]
    evidence += [cite(p.source, f"{_name(p)}: {good_note}") for p in ok if p.source]
    if not bad:
        status, summary = "pass", f"Every neighbor ({len(ok)}): {good_note}."
    elif not ok:
        status, summary = "fail", f"No neighbor: {good_note}."
    else:
        status = "partial"
        summary = f"{len(bad)} of {len(peers)} neighbors: {bad_note}: " + ", ".join(_name(p) for p in bad) + "."
    return CheckResult(check, title, status, summary, dedupe(evidence))


def max_prefix(ctx: Any, cfg: BgpConfig) -> CheckResult:
    res = _per_neighbor("bgp.max_prefix_every_neighbor", "Every neighbor has a max-prefix limit", cfg,
                        lambda p: p.max_prefix > 0, "max-prefix set", "no max-prefix")
    missing = [p for p in cfg.neighbors() if p.max_prefix == 0]
    if any(p.ebgp for p in missing):
        res.status = "fail"  # a full-table leak from outside is exactly what max-prefix stops
    elif missing:
        res.status = "partial"  # every eBGP session is limited; only iBGP ones are not
    return res


def session_protection(ctx: Any, cfg: BgpConfig) -> CheckResult:
    ebgp = [p for p in cfg.neighbors() if p.ebgp]
    res = _per_neighbor("bgp.session_protection", "BGP sessions protected (TCP MD5 or IPsec)", cfg,
                        lambda p: p.auth.method != AUTH_NONE, "session authenticated", "no tcp md5sig or ipsec",
                        peers=ebgp)
    gtsm = [p for p in ebgp if p.auth.method == AUTH_NONE and p.ttlsec]
    if res.status == "fail" and gtsm:
        res.status = "partial"
        res.summary += " Some use ttl-security (GTSM), which resists only remote spoofing."
    return res


def enforce_neighbor_as(ctx: Any, cfg: BgpConfig) -> CheckResult:
    ebgp = [p for p in cfg.neighbors() if p.ebgp]
    written = find_line(ctx.site, cfg.files[0], "enforce neighbor-as") if cfg.files else None
    note = "enforce neighbor-as" + ("" if written else " (bgpd's default for eBGP)")
    res = _per_neighbor("bgp.enforce_neighbor_as", "enforce neighbor-as on eBGP sessions", cfg,
                        lambda p: p.enforce_as == ENFORCE_AS_ON, note, "enforce neighbor-as no", peers=ebgp)
    off = [p for p in ebgp if p.enforce_as != ENFORCE_AS_ON]
    if off and all(_route_server(p) for p in off):
        res.status = "partial"  # a route server does not put its own AS first: a documented exception
        res.summary += " Disabled only on route servers."
    elif off:
        res.status = "fail"
    return res


def _route_server(p: Peer) -> bool:
    return p.role == ROLE_RS or bool(re.search(r"route[- ]?server|\brs\b|\bix\b", p.descr or "", re.I))


def rpki_rov(ctx: Any, cfg: BgpConfig) -> CheckResult:
    title = "RPKI route origin validation enforced"
    check = "bgp.rpki_rov_enforced"
    evidence = [cite(r.source, f"RTR cache {r.descr or r.remote_addr}") for r in cfg.rtrs if r.source]
    roa_line = find_line(ctx.site, cfg.files[0], "roa-set") if cfg.files and cfg.roas else None
    if roa_line:
        evidence.append({"file": cfg.files[0], "line": roa_line, "note": f"roa-set with {len(cfg.roas)} ROAs"})
    invalid = [f for f in cfg.filters if f.dir == DIR_IN and f.match.ovs == ROA_INVALID]
    deny = [f for f in invalid if f.action == ACTION_DENY]
    evidence += [cite(f.source, "deny ovs invalid" if f.action == ACTION_DENY else "ovs invalid only tagged")
                 for f in invalid if f.source]
    if not cfg.neighbors():
        return CheckResult(check, title, "not-evaluable", "bgpd.conf configures no neighbor.", evidence)
    if not (cfg.rtrs or cfg.roas):
        return CheckResult(check, title, "fail", "No RTR cache or roa-set provides validated ROA payloads.", evidence)
    if not invalid:
        return CheckResult(check, title, "fail",
                           "ROAs are loaded, but no rule acts on `ovs invalid`: validation is not enforced.", evidence)
    if not deny:
        return CheckResult(check, title, "partial",
                           "RPKI-invalid routes are only tagged or depreferenced, not denied.", evidence)
    if not any(f.quick for f in deny):
        later = [f for f in cfg.filters[cfg.filters.index(deny[-1]) + 1:] if f.action == ACTION_ALLOW and f.dir == DIR_IN]
        if later:
            return CheckResult(check, title, "partial",
                               "The `deny ovs invalid` rule is not quick and a later allow can override it.",
                               evidence + [cite(f.source, "later allow") for f in later if f.source])
    return CheckResult(check, title, "pass", "ROAs are loaded and RPKI-invalid routes are denied.", evidence)


def _customers(cfg: BgpConfig) -> list[Peer]:
    return [p for p in cfg.neighbors() if p.role == ROLE_CUSTOMER
            or _CUSTOMER.search(p.descr or "") or _CUSTOMER.search(p.group or "")]


def _filters_for(cfg: BgpConfig, p: Peer) -> list[FilterRule]:
    def names(f: FilterRule) -> bool:
        fp = f.peer
        return bool((fp.peerid and fp.peerid == p.id) or (fp.groupid and fp.groupid == p.groupid)
                    or (fp.remote_as and fp.remote_as == p.remote_as))
    return [f for f in cfg.filters if f.dir == DIR_IN and f.action == ACTION_ALLOW and names(f)
            and (f.match.prefixset or f.match.prefix.addr is not None or f.match.originset)]


def customer_prefix_filters(ctx: Any, cfg: BgpConfig) -> CheckResult:
    title = "Prefix filters on customer sessions"
    check = "bgp.customer_prefix_filters"
    customers = _customers(cfg)
    if not customers:
        unknown = [p for p in cfg.neighbors() if not _NOT_CUSTOMER.search(f"{p.descr} {p.group}")
                   and p.role not in (ROLE_PROVIDER, ROLE_PEER, ROLE_RS)]
        evidence = dedupe([cite(p.source, _name(p)) for p in cfg.neighbors() if p.source])
        if unknown:
            return CheckResult(check, title, "partial",
                               "Customers cannot be told apart: no role, descr or group says what "
                               + ", ".join(_name(p) for p in unknown) + " are.", evidence)
        return CheckResult(check, title, "not-evaluable",
                           f"No customer session: the {len(cfg.neighbors())} neighbors are upstreams, peers or "
                           "route servers (by role, descr or group).", evidence)
    evidence, missing = [], []
    for p in customers:
        rules = _filters_for(cfg, p)
        if rules:
            evidence += [cite(f.source, f"{_name(p)}: inbound allow limited to listed prefixes") for f in rules if f.source]
        else:
            missing.append(p)
            if p.source:
                evidence.append(cite(p.source, f"{_name(p)}: no allow rule naming its prefixes"))
    if not missing:
        return CheckResult(check, title, "pass", "Every customer session accepts only its listed prefixes.", evidence)
    status = "fail" if len(missing) == len(customers) else "partial"
    return CheckResult(check, title, status,
                       "Customer sessions without a prefix filter: " + ", ".join(_name(p) for p in missing) + ".",
                       dedupe(evidence))


BGP_CHECKS: dict[str, Callable[[Any, BgpConfig], CheckResult]] = {
    "bgp.max_prefix_every_neighbor": max_prefix,
    "bgp.rpki_rov_enforced": rpki_rov,
    "bgp.session_protection": session_protection,
    "bgp.customer_prefix_filters": customer_prefix_filters,
    "bgp.enforce_neighbor_as": enforce_neighbor_as,
}
