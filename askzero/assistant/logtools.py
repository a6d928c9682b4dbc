"""Tools over the site's log store: what pflog, the IDS and authlog saw for an address.

Every summary cites the file and the span of lines (or pflog records) it counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from askzero.assistant.context import SiteContext
from askzero.evidence import Citation, Evidence, counted
from askzero.logs import query
from askzero.logs.query import AUTH_FAILURES, Filter

IDS_SOURCES = ("eve", "fastlog")


def latest_pflog(ctx: SiteContext, address: str, want_block: bool, port: int | None) -> list[dict[str, Any]]:
    """The latest packet pflog recorded for the address in each direction."""
    store = ctx.logs
    if store is None:
        return []
    flt = Filter(ip=address, sources=("pflog",), port=port)
    if want_block:
        flt.action = "block"
    else:
        flt.actions = ("pass", "match")
    out: dict[str, dict[str, Any]] = {}
    for ev in query.events(store, flt, limit=200, newest_first=True).events:
        out.setdefault(ev.get("direction", ""), ev)
    return [out[d] for d in ("in", "out") if d in out]


def pflog_summary(ctx: SiteContext, address: str) -> list[Evidence]:
    """What pflog recorded for the address: counts by action and rule, first and last time."""
    store = ctx.logs
    if store is None:
        return []
    flt = Filter(ip=address, sources=("pflog",))
    first, last, count = query.first_last(store, flt)
    if not count:
        return []
    by_rule = query.counts(store, flt, "action", "rule")
    parts = ", ".join(f"{n} {action} by rule {rule}" for action, rule, n in sorted(by_rule, key=lambda r: (r[0], r[1])))
    file, lo, hi = query.line_span(store, flt)[0]
    cite = Citation(file, record=f"records {lo}-{hi}" if lo != hi else f"record {lo}")
    return [Evidence("pflog", f"pflog has {counted(count, 'record')} for {address} from {_t(first)} to {last:%H:%M:%S} UTC: {parts}.",
                     cite, {"count": count, "first": first.isoformat(), "last": last.isoformat()})]


def ids_summary(ctx: SiteContext, address: str) -> list[Evidence]:
    """IDS alerts involving the address, by signature, one summary per sensor file."""
    store = ctx.logs
    if store is None:
        return []
    out = []
    for file, lo, hi in query.line_span(store, Filter(ip=address, kinds=("alert",), sources=IDS_SOURCES)):
        flt = Filter(ip=address, kinds=("alert",), sources=IDS_SOURCES, file=file)
        first, last, count = query.first_last(store, flt)
        sigs = query.counts(store, flt, "signature")
        listed = "; ".join(f"{n}× \"{s}\"" for s, n in sigs[:3])
        out.append(Evidence(
            "ids", f"Suricata raised {counted(count, 'alert')} involving {address} between "
                   f"{_t(first)} and {last:%H:%M:%S}: {listed}.",
            Citation(file, lines=(lo, hi)) if lo != hi else Citation(file, lo),
            {"count": count, "signatures": {s: n for s, n in sigs}}))
    return out


def auth_summary(ctx: SiteContext, address: str) -> list[Evidence]:
    """Authentication failures (sshd, doas, su) from the address."""
    store = ctx.logs
    if store is None:
        return []
    flt = Filter(ip=address, kinds=("auth",), actions=AUTH_FAILURES)
    first, last, count = query.first_last(store, flt)
    if not count:
        return []
    file, lo, hi = query.line_span(store, flt)[0]
    return [Evidence("auth", f"authlog has {count} authentication failures from {address} "
                             f"between {_t(first)} and {last:%H:%M:%S}.",
                     Citation(file, lines=(lo, hi)) if lo != hi else Citation(file, lo), {"count": count})]


def port_activity(ctx: SiteContext, port: int) -> list[Evidence]:
    """What pflog and the IDS recorded to a destination port."""
    store = ctx.logs
    if store is None:
        return []
    out = []
    for sources, kinds, what in ((("pflog",), ("block", "pass"), "pflog record"),
                                 (IDS_SOURCES, ("alert",), "IDS alert")):
        flt = Filter(sources=sources, kinds=kinds)
        flt.port = port
        first, last, count = query.first_last(store, flt)
        if not count:
            continue
        by = query.counts(store, flt, "action") if sources == ("pflog",) else query.counts(store, flt, "signature")
        listed = ", ".join(f"{n} {v}" for v, n in by[:3])
        file, lo, hi = query.line_span(store, flt)[0]
        if sources == ("pflog",):
            cite = Citation(file, record=f"records {lo}-{hi}" if lo != hi else f"record {lo}")
        else:
            cite = Citation(file, lines=(lo, hi)) if lo != hi else Citation(file, lo)
        out.append(Evidence("port_logs", f"{counted(count, what)} {'involves' if count == 1 else 'involve'} port {port} between {_t(first)} and "
                            f"{last:%H:%M:%S}: {listed}.", cite, {"count": count, "port": port}))
    return out


def ruleset_drift(ctx: SiteContext, cite: dict | None) -> list[Evidence]:
    """A warning when a pflog record was read under another ruleset than the one on disk:
    its rule number may then name a different rule today."""
    store = ctx.logs
    if store is None or not cite or "record" not in cite or ctx.ruleset_digest is None:
        return []
    recorded = store.ruleset_at(cite["file"], int(cite["record"].split()[-1]))
    if recorded is None or recorded[0] == ctx.ruleset_digest:
        return []
    return [Evidence(
        "uncertain",
        f"Uncertain: the pf ruleset on disk has changed since {cite['file']} {cite['record']} was read "
        f"(on {recorded[1]:%Y-%m-%d %H:%M} UTC); the rule number it logged may name another rule now.",
        Citation(cite["file"], record=cite["record"]), {"recorded_ruleset": recorded[0]})]


def _t(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"
