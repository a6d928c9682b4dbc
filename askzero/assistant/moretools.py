"""Three more tools: explain a pflog record, query alerts, and what a ruleset change does.

Each returns cited evidence like the others; they are registered in askzero.assistant.tools.
"""

from __future__ import annotations

from datetime import datetime

from askzero.assistant.context import SiteContext
from askzero.errors import SourceError
from askzero.evidence import Citation, Evidence, counted
from askzero.logs import query
from askzero.logs.query import Filter

MAX_CLASSES = 6


def explain_pflog_record(ctx: SiteContext, record: int, file: str | None = None) -> list[Evidence]:
    """Which rule and source line logged pflog record N, and whether the ruleset on disk still
    decides that packet the same way."""
    from askzero.logs.pflog import read_pflog
    from askzero.pf.pflogmap import explain_record

    paths = [p for p in ctx.site.existing("pflog") if file is None or ctx.site.cite(p) == file]
    for path in paths:
        for rec in read_pflog(ctx.site.real(path), display=ctx.site.cite(path)):
            if rec.index != record:
                continue
            ex = explain_record(ctx.pf, ctx.evaluator, rec)
            cite = Citation(rec.file, record=f"record {rec.index}")
            out = [Evidence("pflog_record", f"pflog {cite.record} of {rec.file}: {rec.to_tcpdump()}", cite,
                            {"rule": ex.ref, "action": rec.action})]
            rule = ex.to_dict()["rule"]
            if rule:
                out.append(Evidence(
                    "pflog_rule", f"Rule {ex.ref} of the ruleset on disk is `{rule['text']}` ({rule['file']}:{rule['line']}).",
                    Citation(rule["file"], rule["line"]), {"rule": ex.ref}))
            if not ex.consistent:
                out.append(Evidence(
                    "uncertain", f"Uncertain: the ruleset on disk decides this packet by rule {ex.verdict.pflog_ref} "
                    f"({ex.verdict.action}), not rule {ex.ref}: it has changed since the packet was logged.",
                    cite, {"rule": ex.verdict.pflog_ref}))
            return out
    return []


def query_alerts(ctx: SiteContext, signature: str | None = None, severity: int | None = None,
                 address: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[Evidence]:
    """IDS alerts by signature, severity (1 highest), address and time window: how many, when,
    the top signatures and sources, each file's span of lines."""
    store = ctx.logs
    if store is None:
        return []
    flt = Filter(ip=address, since=since, until=until, kinds=("alert", "drop"), signature=signature,
                 severity=severity)
    first, last, count = query.first_last(store, flt)
    if not count:
        return []
    sigs = query.counts(store, flt, "signature")[:3]
    srcs = query.counts(store, flt, "src")[:3]
    out = []
    for file, lo, hi in query.line_span(store, flt):
        out.append(Evidence("alerts", f"{file} holds alerts from line {lo} to {hi}.",
                            Citation(file, lines=(lo, hi)) if lo != hi else Citation(file, lo), {}))
    what = "; ".join(f"{n}× \"{s}\"" for s, n in sigs)
    who = ", ".join(f"{s} ({n})" for s, n in srcs)
    summary = Evidence("alerts_summary", f"{counted(count, 'alert')} between {first:%Y-%m-%d %H:%M:%S} and {last:%Y-%m-%d %H:%M:%S}: "
                       f"{what}; from {who}.", out[0].citation, {"count": count})
    return [summary] + out


def diff_rulesets(ctx: SiteContext, new_path: str, old_path: str | None = None) -> list[Evidence]:
    """Which traffic changes decision if the ruleset at NEW_PATH replaced the site's (or
    OLD_PATH): classes of flows, one example each, with the rules responsible on both sides."""
    from askzero.pf import parse_pf
    from askzero.pf.diff import diff

    old_conf = ctx.pf if old_path is None else _parse(ctx, old_path, parse_pf)
    new_conf = _parse(ctx, new_path, parse_pf)
    classes = diff(old_conf, new_conf, ctx.host)
    new_cite = ctx.site.cite(new_path)
    if not classes:
        return [Evidence("diff", f"No probed traffic changes decision between {ctx.site.cite(old_path or ctx.site.pf_conf)} "
                         f"and {new_cite} (probes aimed at every rule of both).", Citation(new_cite), {"classes": 0})]
    out = []
    for c in classes[:MAX_CLASSES]:
        def side(v) -> str:  # noqa: ANN001 - a Verdict
            return f"{v.action} by rule {v.rule.ref} ({v.rule.rule.source})" if v.rule else f"{v.action} ({v.decision})"
        rule = c.new.rule or c.old.rule
        cite = Citation(rule.rule.source.file, rule.rule.source.line) if rule else Citation(new_cite)
        out.append(Evidence("diff", f"`{c.examples[0]}` changes from {side(c.old)} to {side(c.new)} "
                            f"({c.count} probe flows in this class).", cite, {"count": c.count}))
    if len(classes) > MAX_CLASSES:
        out.append(Evidence("diff", f"{len(classes) - MAX_CLASSES} more classes of traffic change decision.",
                            Citation(new_cite), {"more": len(classes) - MAX_CLASSES}))
    return out


def _parse(ctx: SiteContext, path: str, parse_pf):  # noqa: ANN001, ANN202 - parse_pf, PfConfig
    if not ctx.site.real(path).is_file():
        raise SourceError(path, "no such file")
    return parse_pf(path, ctx.host, ctx._resolve)
