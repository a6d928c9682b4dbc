"""From a pflog record back to the rule and source line that logged it.

pflog prints ``rule N`` for a rule of the main ruleset and ``rule N.anchor.M`` for rule M of
the anchor attached by main rule N (``def`` for the default rule). The numbers refer to the
ruleset loaded when the packet was logged, so the rule found by number is checked against an
evaluation of the packet with the ruleset on disk: a disagreement means the ruleset changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from askzero.pf.evaluate import Evaluator, Verdict
from askzero.pf.flow import Flow
from askzero.pf.model import PfConfig, Rule, Ruleset
from askzero.pf.printer import rule_text


class LoggedPacket(Protocol):
    """What a pflog record offers (askzero.logs.pflog.PflogRecord has these)."""

    rulenr: int
    subrulenr: int
    ruleset: str
    action: str
    direction: str
    ifname: str
    proto: str
    src: str
    dst: str
    sport: int | None
    dport: int | None

    @property
    def rule_ref(self) -> str: ...


def rule_by_number(config: PfConfig, rulenr: int, anchor: str = "", subrulenr: int = -1) -> Rule | None:
    """The rule pflog's numbers designate in ``config`` (None for def or a missing number)."""
    if rulenr < 0:
        return None
    main = config.main.rules
    if rulenr >= len(main):
        return None
    rule = main[rulenr]
    if not anchor:
        return rule
    ruleset: Ruleset | None = rule.anchor
    if ruleset is None or subrulenr < 0:
        return None
    # pflog gives the innermost anchor's name only: search the attached tree for it
    stack = [ruleset]
    while stack:
        rs = stack.pop()
        if rs.name == anchor and subrulenr < len(rs.rules):
            return rs.rules[subrulenr]
        stack.extend(r.anchor for r in rs.rules if r.anchor is not None)
    return None


@dataclass
class LogExplanation:
    ref: str
    rule: Rule | None
    verdict: Verdict
    consistent: bool

    def to_dict(self) -> dict[str, Any]:
        rule = None
        if self.rule is not None:
            rule = {"file": self.rule.source.file, "line": self.rule.source.line, "text": rule_text(self.rule),
                    "anchor": self.rule.path}
        return {"logged_rule": self.ref, "rule": rule, "evaluated": self.verdict.to_dict(),
                "consistent": self.consistent}


def explain_record(config: PfConfig, evaluator: Evaluator, record: LoggedPacket) -> LogExplanation:
    """Which rule logged ``record``, and whether the ruleset on disk still decides it so."""
    rule = rule_by_number(config, record.rulenr, record.ruleset, record.subrulenr)
    flow = Flow(record.direction, record.ifname, record.proto, _ip(record.src), _ip(record.dst),
                sport=record.sport, dport=record.dport,
                flags=getattr(record, "flags", "S") if record.proto == "tcp" else "")
    verdict = evaluator.evaluate(flow)
    logged_action = "block" if record.action == "block" else "pass"
    consistent = verdict.pflog_ref == record.rule_ref and (record.action == "match" or verdict.action == logged_action)
    return LogExplanation(record.rule_ref, rule, verdict, consistent)


def _ip(text: str):  # noqa: ANN202 - an ipaddress address
    import ipaddress

    return ipaddress.ip_address(text)
