"""Why the subject's traffic got through: the pf rule that passed it before it was blocked.

The ruleset on disk now may already block the subject (the feed added it to a table during
the incident), so the rule that let it in is found by evaluating the same packet with the
subject's entries taken out of the tables that list it now: the ruleset as it stood before
that change, as far as tables are concerned. Rules are the same; a changed rule is reported
by the ruleset drift check instead.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from askzero.pf.evaluate import FastEvaluator, Verdict
from askzero.pf.flow import Flow
from askzero.pf.lint import lint
from askzero.pf.printer import rule_text
from askzero.pf.tables import lookup
from askzero.report.sitefiles import comment_above


@dataclass
class PassPath:
    """How one kind of subject traffic crossed pf."""

    flow: str
    rule_ref: str
    rule_text: str
    citation: dict[str, Any]
    comment: tuple[int, str] | None  # the operator's comment above the rule
    removed_from: list[str] = field(default_factory=list)  # tables the subject was taken out of
    lint: list[str] = field(default_factory=list)  # lint findings on that rule
    blocked_now_by: str | None = None  # the rule that blocks it on disk now, if any


class _WithoutAddress(FastEvaluator):
    """The site's evaluator, with one address removed from every table."""

    def __init__(self, config: Any, host: Any, address: str) -> None:
        super().__init__(config, host)
        self._ip = ipaddress.ip_address(address)
        self._pruned: dict[int, Any] = {}
        self.removed: list[str] = []

    def _table(self, name: str, ruleset: Any):  # type: ignore[override]
        table = super()._table(name, ruleset)
        if table is None:
            return None
        if id(table) not in self._pruned:
            hit = lookup(table, self._ip)
            if hit is not None and not hit.negated:
                keep = [e for e in table.entries if e is not hit]
                self._pruned[id(table)] = dataclasses.replace(table, entries=keep, index=None)
                self.removed.append(f"<{table.name}>" + (f" (anchor {table.anchor})" if table.anchor else ""))
            else:
                self._pruned[id(table)] = table
        return self._pruned[id(table)]


def _iface_for(ctx: Any, address: str, fallback: str | None) -> str | None:
    ip = ipaddress.ip_address(address)
    for iface in ctx.host.interfaces.values():
        if iface.driver == "lo":
            continue
        for a in iface.addresses:
            if ip == a.ip or (ip in a.network and "egress" not in iface.groups):
                return iface.name
    return fallback


def pass_paths(ctx: Any, incident: Any) -> list[PassPath]:
    """For the subject's inbound service traffic and each internal host's outbound traffic to it:
    the rule that passed it (with the subject out of the tables that list it now)."""
    subject = incident.subject
    if not subject or not ctx.site.pf_conf:
        return []
    egress = next((i.name for i in ctx.host.members("egress")), None)
    flows: list[Flow] = []
    seen: set[tuple] = set()
    answered = [e for e in incident.subject_events if e["kind"] in ("flow", "ssh", "tls", "auth")
                and e.get("dport") is not None and e.get("dst")]
    for e in answered:
        key = (e.get("src"), e.get("dst"), e.get("dport"), e.get("proto") or "tcp")
        if key in seen:
            continue
        seen.add(key)
        src, dst = ipaddress.ip_address(e["src"]), ipaddress.ip_address(e["dst"])
        if e["src"] == subject:  # inbound: arrives on the external interface
            flows.append(Flow("in", e.get("iface") if e.get("iface") in ctx.host.interfaces and
                              "egress" in ctx.host.interfaces[e["iface"]].groups else (egress or "em0"),
                              key[3], src, dst, e.get("sport") or 40000, int(e["dport"])))
        else:  # outbound: first seen on the internal interface the host sits behind
            iface = _iface_for(ctx, e["src"], egress)
            if iface:
                flows.append(Flow("in", iface, key[3], src, dst, e.get("sport") or 40000, int(e["dport"])))
            if egress:  # and leaves on the external one, where pflog saw it blocked
                flows.append(Flow("out", egress, key[3], src, dst, e.get("sport") or 40000, int(e["dport"])))
    findings = lint(ctx.pf)
    out = []
    for flow in flows:
        now: Verdict = ctx.evaluator.evaluate(flow)
        before_eval = _WithoutAddress(ctx.pf, ctx.host, subject)
        before = before_eval.evaluate(flow)
        if before.action != "pass" or before.rule is None:
            continue
        rule = before.rule.rule
        src = rule.source
        out.append(PassPath(
            str(flow), before.rule.ref, rule_text(rule), {"file": src.file, "line": src.line},
            comment_above(ctx.site, src.file, src.line), before_eval.removed,
            [f.message for f in findings if f.source == src
             and ("(port " not in f.message or f"(port {flow.dport})" in f.message)],
            now.rule.ref if now.action == "block" and now.rule else None))
    return out
