"""The tool functions: deterministic code that turns site data into cited evidence.

Each tool is a plain typed function whose signature and docstring describe it; they are
registered in ``TOOLS`` from this allowlist only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from askzero.assistant.context import SiteContext
from askzero.assistant.logtools import (
    auth_summary,
    ids_summary,
    latest_pflog,
    pflog_summary,
    port_activity,
    ruleset_drift,
)
from askzero.assistant.bgptools import route_check
from askzero.assistant.compliance import compliance_check, knowledge_answer
from askzero.assistant.moretools import diff_rulesets, explain_pflog_record, query_alerts
from askzero.assistant.triage import triage_evidence
from askzero.assistant.windowtools import bgp_flaps, timeline
from askzero.evidence import Citation, Evidence
from askzero.pf import Verdict, parse_flow
from askzero.pf.flow import Flow
from askzero.pf.printer import rule_text

PROBE_SOURCE_PORT = 40000


def _flows_for(ctx: SiteContext, address: str, port: int | None,
               want_block: bool) -> list[tuple[Flow, str, str | None, dict | None]]:
    """The packets to explain, each with where it came from.

    The site's own evidence first: the latest packet pflog recorded for the address in each
    direction. Without one, a probe: a new TCP connection from the address to the egress
    address, said to be a probe.
    """
    flows = []
    for ev in latest_pflog(ctx, address, want_block, port):
        flags = (ev.get("extra", {}).get("tcp_flags") or "S") if ev.get("proto") == "tcp" else ""
        flow = Flow(ev["direction"], ev["iface"], ev["proto"], ipaddress.ip_address(ev["src"]),
                    ipaddress.ip_address(ev["dst"]), sport=ev.get("sport"), dport=ev.get("dport"), flags=flags)
        cite = ev["citation"]
        origin = (f"the packet pflog recorded at {ev['time'][:19].replace('T', ' ')} "
                  f"({cite['file']} {cite['record']}, rule {ev['rule']})")
        flows.append((flow, origin, ev["rule"], cite))
    if flows:
        return flows
    egress = ctx.host.members("egress")
    ifname = egress[0].name if egress else "egress"
    local = ctx.host.addresses(ifname, "inet" if ipaddress.ip_address(address).version == 4 else "inet6")
    target = str(local[0].ip) if local else address
    flow = parse_flow(f"in on {ifname} proto tcp from {address} port {PROBE_SOURCE_PORT} to {target} port {port or 22}")
    return [(flow, "a probe packet", None, None)]


def verdict_evidence(ctx: SiteContext, verdict: Verdict, how: str) -> list[Evidence]:
    """Evidence for a pf verdict: the deciding rule, the table entries, the translations."""
    flow = verdict.flow
    out: list[Evidence] = []
    if verdict.decision == "skip":
        src = verdict.skip_source
        assert src is not None
        out.append(Evidence("pf_verdict", f"pf does not filter {how} on {flow.ifname}: `set skip` applies ({src}).",
                            Citation(src.file, src.line), {"action": "pass", "decision": "skip"}))
    elif verdict.rule is None:
        out.append(Evidence("pf_verdict", f"No rule matches {how} `{flow}`; pf passes it by default.",
                            Citation(ctx.site.cite(ctx.site.pf_conf or "pf.conf")), {"action": "pass", "decision": "default"}))
    else:
        rule = verdict.rule.rule
        where = f" in anchor \"{rule.path}\"" if rule.path else ""
        verb = "blocks" if verdict.action == "block" else "passes"
        out.append(Evidence(
            "pf_verdict",
            f"pf {verb} {how} `{flow}` by rule {verdict.rule.ref}{where}: `{rule_text(rule)}` ({rule.source}).",
            Citation(rule.source.file, rule.source.line),
            {"action": verdict.action, "rule": verdict.rule.ref, "anchor": rule.path, "text": rule_text(rule),
             "src": str(flow.src), "dst": str(flow.dst), "sport": flow.sport, "dport": flow.dport,
             "interface": flow.ifname, "direction": flow.direction, "proto": flow.proto, "quick": rule.quick,
             "log": rule.log},
        ))
    for hit in verdict.tables:
        if hit.entry is None:
            continue
        entry = hit.entry
        scope = f" (anchor {hit.table.anchor})" if hit.table.anchor else ""
        status = "lists" if hit.member else "excludes"
        comment = f" — {entry.comment}" if entry.comment else ""
        out.append(Evidence(
            "table_entry",
            f"Table <{hit.table.name}>{scope} {status} {hit.address} via entry {'!' if entry.negated else ''}{entry.net}"
            f" at {entry.source}{comment}.",
            Citation(entry.source.file, entry.source.line),
            {"table": hit.table.name, "anchor": hit.table.anchor, "entry": str(entry.net), "member": hit.member,
             "comment": entry.comment},
        ))
    for rewrite in verdict.translations:
        out.append(Evidence("translation", f"Translation: {rewrite}.",
                            Citation(rewrite.source.file, rewrite.source.line), {}))
    for text in verdict.uncertain:
        out.append(Evidence("uncertain", f"Uncertain: {text}.", Citation(ctx.site.cite(ctx.site.pf_conf or "")), {}))
    return out


def explain_address(ctx: SiteContext, address: str, port: int | None = None, want_block: bool = True) -> list[Evidence]:
    """Why pf blocks (or passes) traffic from an address: the deciding rule with file and
    line, the table entries and their source lines, intel and what the logs saw."""
    evidence: list[Evidence] = []
    for flow, origin, recorded, cite in _flows_for(ctx, address, port, want_block):
        verdict = ctx.evaluator.evaluate(flow)
        evidence += verdict_evidence(ctx, verdict, origin)
        evidence += ruleset_drift(ctx, cite)
        if recorded is not None and recorded != verdict.pflog_ref:
            evidence.append(Evidence("uncertain", f"Uncertain: pflog recorded rule {recorded} but the ruleset on disk "
                                     f"gives rule {verdict.pflog_ref}; the ruleset may have changed since.",
                                     Citation(ctx.site.cite(ctx.site.pf_conf or "")), {"rule": recorded}))
    evidence += lookup_intel(ctx, address)
    evidence += pflog_summary(ctx, address)
    evidence += ids_summary(ctx, address)
    evidence += auth_summary(ctx, address)
    return evidence


def lookup_intel(ctx: SiteContext, address: str) -> list[Evidence]:
    """Threat-intel indicators that list the address, with feed, file and line."""
    from askzero.intel import lookup

    evidence = [m.to_evidence() for m in lookup(ctx.feeds, address)]
    if ctx.asn is not None:
        info = ctx.asn.lookup(address)
        if info is not None:
            evidence.append(info.to_evidence())
    return evidence


OUTSIDE_PROBE = "198.51.100.254"  # a documentation address: stands for "any outside host"


def explain_port(ctx: SiteContext, port: int, want_block: bool = False, proto: str = "tcp") -> list[Evidence]:
    """Why a port is open (or closed) on the egress address: a new connection from an outside
    host evaluated as pf would, and what pflog and the IDS saw on that port."""
    egress = ctx.host.members("egress")
    ifname = egress[0].name if egress else "egress"
    local = ctx.host.addresses(ifname, "inet")
    target = str(local[0].ip) if local else "192.0.2.1"
    flow = parse_flow(f"in on {ifname} proto {proto} from {OUTSIDE_PROBE} port {PROBE_SOURCE_PORT} "
                      f"to {target} port {port}")
    verdict = ctx.evaluator.evaluate(flow)
    evidence = verdict_evidence(ctx, verdict, f"a new {proto} connection from an outside host (probe)")
    evidence += port_activity(ctx, port)
    return evidence


TOOLS: dict[str, Callable[..., list[Evidence]]] = {
    "explain_address": explain_address,
    "lookup_intel": lookup_intel,
    "pflog_summary": pflog_summary,
    "explain_port": explain_port,
    "timeline": timeline,
    "bgp_flaps": bgp_flaps,
    "triage_alert": triage_evidence,
    "bgp_route": route_check,
    "compliance_check": compliance_check,
    "knowledge_answer": knowledge_answer,
    "explain_pflog_record": explain_pflog_record,
    "query_alerts": query_alerts,
    "diff_rulesets": diff_rulesets,
}
