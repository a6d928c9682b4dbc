"""Alert triage: is this alert worth waking someone for?

A documented score, every part of it from site data with its citation:

  severity (IDS scale 1 high .. 4 info)    1: +40   2: +25   3: +10   4: 0
  asset criticality of the inside host     critical +25, high +20, medium +10, low 0 (site file);
                                           not counted when pf blocked the packet on its way in
  pf verdict for the alert's packet        passed +20 (it reached the host), blocked -20
  threat intel lists the outside address   +20
  an inside host opens it (outbound, sev 1) +20: the inside host is likely compromised
  repetition: same signature and source    +10 when seen 10 times or more in the 24 hours before
  history: signature seen on 3+ other days -10 (routine at this site)

  verdict: 60 or more: wake; 30 or more: ticket; below: ignore.

The verdict is a recommendation with its reasons; the reasons are the answer.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from askzero.assistant.context import SiteContext
from askzero.evidence import Citation, Evidence
from askzero.logs import query
from askzero.logs.query import Filter

SEVERITY_POINTS = {1: 40, 2: 25, 3: 10, 4: 0}
CRITICALITY_POINTS = {"critical": 25, "high": 20, "medium": 10, "low": 0}
PASSED_POINTS, BLOCKED_POINTS = 20, -20
INTEL_POINTS = 20
COMPROMISE_POINTS = 20
REPEAT_POINTS, REPEAT_THRESHOLD = 10, 10
ROUTINE_POINTS, ROUTINE_DAYS = -10, 3
WAKE, TICKET = 60, 30


@dataclass
class Triage:
    alert: dict[str, Any]
    score: int = 0
    reasons: list[tuple[int, str, Citation]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "wake" if self.score >= WAKE else "ticket" if self.score >= TICKET else "ignore"

    def add(self, points: int, text: str, citation: Citation) -> None:
        self.score += points
        self.reasons.append((points, text, citation))


def find_alert(ctx: SiteContext, address: str | None = None, signature: str | None = None) -> dict | None:
    """The alert a question means: the latest one (involving the address or signature given)."""
    store = ctx.logs
    if store is None:
        return None
    found = query.events(store, Filter(ip=address, kinds=("alert", "drop"), signature=signature),
                         limit=1, newest_first=True).events
    return found[0] if found else None


def triage(ctx: SiteContext, alert: dict[str, Any]) -> Triage:
    result = Triage(alert)
    cite = Citation(alert["citation"]["file"], alert["citation"].get("line"))
    severity = alert.get("severity")
    if severity in SEVERITY_POINTS:
        result.add(SEVERITY_POINTS[severity], f"severity {severity}", cite)
    inside, outside = _sides(ctx, alert)
    if inside and inside == alert.get("src") and outside and severity == 1:
        result.add(COMPROMISE_POINTS, f"the inside host {inside} opened it: likely compromised", cite)
    blocked = _pf_part(ctx, alert, result)
    asset = ctx.site.assets.get(inside or "")
    if asset and asset.get("criticality") in CRITICALITY_POINTS:
        level = asset["criticality"]
        if blocked and inside == alert.get("dst"):
            result.add(0, f"{inside} is {asset.get('name', 'an asset')} (criticality {level}), "
                          "but pf kept the packet from it", Citation("site.toml"))
        else:
            result.add(CRITICALITY_POINTS[level], f"{inside} is {asset.get('name', 'an asset')}, criticality {level}",
                       Citation("site.toml"))
    if outside:
        from askzero.intel import lookup

        matches = lookup(ctx.feeds, outside)
        if matches:
            m = matches[0]
            result.add(INTEL_POINTS, f"threat intel ({m.feed}) lists {outside}", m.citation())
    _history_part(ctx, alert, result)
    return result


def triage_evidence(ctx: SiteContext, address: str | None = None, signature: str | None = None) -> list[Evidence]:
    """Tool: the triage of the alert a question names, as evidence."""
    alert = find_alert(ctx, address, signature)
    if alert is None:
        return []
    result = triage(ctx, alert)
    cite = Citation(alert["citation"]["file"], alert["citation"].get("line"))
    what = (f"the alert \"{alert.get('signature', '?')}\" at {alert['time'][:19].replace('T', ' ')} "
            f"from {alert.get('src', '?')} to {alert.get('dst', '?')}")
    reasons = "; ".join(f"{text} ({'+' if pts >= 0 else ''}{pts})" for pts, text, _ in result.reasons)
    out = [Evidence("triage", f"Triage of {what}: {result.verdict} (score {result.score}: {reasons}).", cite,
                    {"verdict": result.verdict, "score": result.score, "signature": alert.get("signature")})]
    for points, text, where in result.reasons:
        if where != cite:
            out.append(Evidence("triage_reason", f"Triage: {text} ({'+' if points >= 0 else ''}{points}).",
                                where, {"points": points}))
    return out


def _inside_interface(ctx: SiteContext, address: str | None) -> str | None:
    """The interface an address sits behind, if it is the site's: a host on an inside
    network, or the firewall's own address. The egress networks are the outside."""
    if address is None:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    egress = {i.name for i in ctx.host.members("egress")}
    for iface in ctx.host.interfaces.values():
        for net in iface.addresses:
            if net.version != ip.version:
                continue
            if ip == net.ip or (iface.name not in egress and ip in net.network):
                return iface.name
    return None


def _sides(ctx: SiteContext, alert: dict[str, Any]) -> tuple[str | None, str | None]:
    """(inside, outside) addresses of the alert, by the host profile's networks."""
    src, dst = alert.get("src"), alert.get("dst")
    if _inside_interface(ctx, dst) and not _inside_interface(ctx, src):
        return dst, src
    if _inside_interface(ctx, src) and not _inside_interface(ctx, dst):
        return src, dst
    return dst, None


APP_KINDS = ("tls", "ssh", "http", "dns", "file")


def _pf_part(ctx: SiteContext, alert: dict[str, Any], result: Triage) -> bool:
    """Did pf let the alert's packet through, then? The logs of that moment first: a pflog
    block of the same connection within 2 s, or the IDS seeing its application protocol
    (which needs an established connection). Failing both, the ruleset on disk now.
    True when the packet was blocked."""
    logged = _logged_outcome(ctx, alert, result)
    if logged is not None:
        return logged
    if not (ctx.site.pf_conf and alert.get("src") and alert.get("dst") and alert.get("proto") in ("tcp", "udp")):
        return False
    from askzero.pf import parse_flow

    inside, _ = _sides(ctx, alert)
    egress = ctx.host.members("egress")
    out_if = egress[0].name if egress else "egress"
    words = f"proto {alert['proto']} from {alert['src']} port {alert.get('sport', 40000)} " \
            f"to {alert['dst']} port {alert.get('dport', 0)}"
    if inside == alert.get("dst"):
        legs = [f"in on {out_if} {words}"]
    else:
        in_if = _inside_interface(ctx, alert.get("src"))
        legs = ([f"in on {in_if} {words}"] if in_if and in_if != out_if else []) + [f"out on {out_if} {words}"]
    verdict = None
    for leg in legs:
        try:
            verdict = ctx.evaluator.evaluate(parse_flow(leg))
        except Exception:  # noqa: BLE001 - a flow pf cannot express is simply not scored
            return False
        if verdict.action != "pass":
            break
    assert verdict is not None
    rule = verdict.rule
    where = Citation(rule.rule.source.file, rule.rule.source.line) if rule else Citation(ctx.site.cite(ctx.site.pf_conf))
    named = f"rule {rule.ref}, {rule.rule.source}" if rule else "no rule: the default"
    if verdict.action == "pass":
        result.add(PASSED_POINTS, f"the ruleset on disk passes this packet ({named})", where)
        return False
    result.add(BLOCKED_POINTS, f"the ruleset on disk blocks this packet ({named})", where)
    return True


def _logged_outcome(ctx: SiteContext, alert: dict[str, Any], result: Triage) -> bool | None:
    """True (blocked) or False (passed) when the logs of the moment say; None otherwise."""
    store = ctx.logs
    if store is None or not alert.get("src") or not alert.get("dst"):
        return None
    at = datetime.fromisoformat(alert["time"].replace("Z", "+00:00"))
    near = Filter(ip=alert["src"], sources=("pflog",), kinds=("block",),
                  since=at - timedelta(seconds=2), until=at + timedelta(seconds=2))
    for ev in query.events(store, near, limit=50).events:
        if ev.get("dst") == alert["dst"] and ev.get("dport") == alert.get("dport"):
            cite = Citation(ev["citation"]["file"], record=ev["citation"]["record"])
            result.add(BLOCKED_POINTS, f"pflog recorded pf blocking this connection (rule {ev.get('rule')})", cite)
            return True
    if alert.get("flow"):
        for ev in query.events(store, Filter(flow=alert["flow"], kinds=APP_KINDS), limit=1).events:
            cite = Citation(ev["citation"]["file"], ev["citation"].get("line"))
            result.add(PASSED_POINTS, f"the IDS saw its {ev['kind']} exchange, so pf let the connection through", cite)
            return False
    return None


def _history_part(ctx: SiteContext, alert: dict[str, Any], result: Triage) -> None:
    store = ctx.logs
    signature = alert.get("signature")
    if store is None or not signature:
        return
    at = datetime.fromisoformat(alert["time"].replace("Z", "+00:00"))
    recent = Filter(ip=alert.get("src"), kinds=("alert",), since=at - timedelta(hours=24),
                    until=at + timedelta(seconds=1))
    recent.signature = signature
    first, last, count = query.first_last(store, recent)
    if count >= REPEAT_THRESHOLD:
        file, lo, hi = query.line_span(store, recent)[0]
        result.add(REPEAT_POINTS, f"seen {count} times from {alert.get('src')} in the 24 hours before",
                   Citation(file, lines=(lo, hi)))
    days = store.sql("SELECT count(DISTINCT CAST(time AS DATE)) FROM events WHERE kind = 'alert' "
                     "AND signature = ? AND CAST(time AS DATE) <> CAST(? AS DATE)",
                     [signature, at.replace(tzinfo=None)])[0][0]
    if days >= ROUTINE_DAYS:
        result.add(ROUTINE_POINTS, f"the signature fired on {days} other days at this site (routine here)",
                   Citation(alert["citation"]["file"]))
