"""Audit checks over bgpd.conf: max-prefix, RPKI origin validation, session protection,
customer prefix filters, enforce neighbor-as. Each cites the neighbor or rule lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from askzero.bgp.model import (ACTION_ALLOW, ACTION_DENY, AUTH_NONE, DIR_IN, ENFORCE_AS_ON,
                               ROA_INVALID, ROLE_CUSTOMER, BgpConfig, FilterRule, Peer)
from askzero.report.results import CheckResult, cite, dedupe
from askzero.report.sitefiles import find_line

_CUSTOMER = re.compile(r"\b(customer|cust|downstream|client)s?\b", re.I)


def _name(p: Peer) -> str:
    return f"{p.address}" + (f" ({p.descr})" if p.descr else "")


def _per_neighbor(check: str, title: str, cfg: BgpConfig, good: Callable[[Peer], bool],
                  good_note: str, bad_note: str, peers: list[Peer] | None = None) -> CheckResult:
    peers = cfg.neighbors() if peers is None else peers
    if not peers:
        return CheckResult(check, title, "not-evaluable", "bgpd.conf configures no neighbor.")
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
    return _per_neighbor("bgp.max_prefix_every_neighbor", "Every neighbor has a max-prefix limit", cfg,
                         lambda p: p.max_prefix > 0, "max-prefix set", "no max-prefix")


def session_protection(ctx: Any, cfg: BgpConfig) -> CheckResult:
    res = _per_neighbor("bgp.session_protection", "BGP sessions protected (TCP MD5 or IPsec)", cfg,
                        lambda p: p.auth.method != AUTH_NONE, "session authenticated", "no tcp md5sig or ipsec")
    gtsm = [p for p in cfg.neighbors() if p.auth.method == AUTH_NONE and p.ttlsec]
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
    if not ebgp:
        res.summary = "No eBGP neighbor."
    return res


def rpki_rov(ctx: Any, cfg: BgpConfig) -> CheckResult:
    title = "RPKI route origin validation enforced"
    check = "bgp.rpki_rov_enforced"
    evidence = [cite(r.source, f"RTR cache {r.descr or r.remote_addr}") for r in cfg.rtrs if r.source]
    roa_line = find_line(ctx.site, cfg.files[0], "roa-set") if cfg.files and cfg.roas else None
    if roa_line:
        evidence.append({"file": cfg.files[0], "line": roa_line, "note": f"roa-set with {len(cfg.roas)} ROAs"})
    deny = [f for f in cfg.filters if f.action == ACTION_DENY and f.dir == DIR_IN and f.match.ovs == ROA_INVALID]
    evidence += [cite(f.source, "deny ovs invalid") for f in deny if f.source]
    has_roas = bool(cfg.rtrs or cfg.roas)
    if has_roas and deny:
        return CheckResult(check, title, "pass", "ROAs are loaded and RPKI-invalid routes are denied.", evidence)
    if deny:
        return CheckResult(check, title, "partial",
                           "RPKI-invalid routes would be denied, but no RTR cache or roa-set provides ROAs.", evidence)
    if has_roas:
        return CheckResult(check, title, "partial",
                           "ROAs are loaded, but no rule denies `ovs invalid`: validation is not enforced.", evidence)
    if not cfg.neighbors():
        return CheckResult(check, title, "not-evaluable", "bgpd.conf configures no neighbor.", evidence)
    return CheckResult(check, title, "fail", "No ROA source and no `deny ... ovs invalid` rule.", evidence)


def _customers(cfg: BgpConfig) -> list[Peer]:
    return [p for p in cfg.neighbors() if p.role == ROLE_CUSTOMER
            or _CUSTOMER.search(p.descr or "") or _CUSTOMER.search(p.group or "")]


def _filters_for(cfg: BgpConfig, p: Peer) -> list[FilterRule]:
    def names(f: FilterRule) -> bool:
        fp = f.peer
        return ((fp.peerid and fp.peerid == p.id) or (fp.groupid and fp.groupid == p.groupid)
                or (fp.remote_as and fp.remote_as == p.remote_as))  # type: ignore[return-value]
    return [f for f in cfg.filters if f.dir == DIR_IN and f.action == ACTION_ALLOW and names(f)
            and (f.match.prefixset or f.match.prefix.addr is not None)]


def customer_prefix_filters(ctx: Any, cfg: BgpConfig) -> CheckResult:
    title = "Prefix filters on customer sessions"
    check = "bgp.customer_prefix_filters"
    customers = _customers(cfg)
    if not customers:
        return CheckResult(check, title, "not-evaluable",
                           "No customer session (role customer, or a descr or group naming customers); "
                           f"the {len(cfg.neighbors())} neighbors are not customers.",
                           dedupe([cite(p.source, _name(p)) for p in cfg.neighbors() if p.source]))
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
