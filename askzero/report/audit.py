"""The compliance audit: checks as code over pf, bgpd, the logs and configuration integrity,
each mapped to the controls it bears on, with a summary per framework.

``run_audit`` checks a whole site; ``check_rule`` runs the per-rule checks on one pf rule,
for "is this rule compliant with NIS2?" in the assistant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from askzero.errors import AskZeroError
from askzero.pf.model import Rule
from askzero.report.checks_bgp import BGP_CHECKS
from askzero.report.checks_logs import sources_present_and_recent
from askzero.report.checks_pf import PF_CHECKS, all_rules
from askzero.report.integrity import drift_check, recorded_rulesets, signatures_check
from askzero.report.mapping import FRAMEWORKS, framework_name, load_mapping
from askzero.report.results import CheckResult, worst
from askzero.report.sitefiles import try_load_bgp

CHECK_IDS = (*PF_CHECKS, *BGP_CHECKS, "logs.sources_present_and_recent",
             "integrity.ruleset_unchanged", "integrity.config_signatures")


@dataclass
class AuditReport:
    site: str
    framework: str | None
    results: list[CheckResult]
    summary: dict[str, Any] = field(default_factory=dict)
    mapping_loaded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "framework": self.framework, "mapping_loaded": self.mapping_loaded,
                "results": [r.to_dict() for r in self.results], "summary": self.summary}


def _controls(mapping: dict[str, list[dict[str, str]]], check: str, framework: str | None) -> list[dict[str, str]]:
    return [c for c in mapping.get(check, []) if framework is None or c["framework"] == framework]


def _not_evaluable(check: str, why: str) -> CheckResult:
    return CheckResult(check, check, "not-evaluable", why)


def run_audit(ctx: Any, framework: str | None = None, now: datetime | None = None,
              mapping: dict[str, list[dict[str, str]]] | None = None) -> AuditReport:
    """Every check on the site behind ``ctx`` (an assistant SiteContext)."""
    framework = framework_name(framework) if framework else None
    mapping = load_mapping() if mapping is None else mapping
    recorded = recorded_rulesets(ctx)  # before ctx.logs refreshes the store
    results: list[CheckResult] = []

    pf_error = None
    if not ctx.site.pf_conf:
        pf_error = "the site names no pf.conf"
    else:
        try:
            rules = all_rules(ctx.pf)
        except AskZeroError as exc:
            issues = [str(i) for i in getattr(exc, "issues", [])] or str(exc).splitlines()
            more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
            pf_error = f"pf.conf does not load: {issues[0] if issues else exc}{more}"
    for check, (run, _) in PF_CHECKS.items():
        results.append(_not_evaluable(check, pf_error) if pf_error else run(ctx, rules))

    bgp, bgp_error = try_load_bgp(ctx.site)
    for check, run_bgp in BGP_CHECKS.items():
        if bgp is None:
            results.append(_not_evaluable(check, bgp_error or "the site names no bgpd.conf"))
        else:
            results.append(run_bgp(ctx, bgp))

    results.append(sources_present_and_recent(ctx, ctx.logs, now))
    if not recorded:  # first ingest just happened: what it recorded is the baseline
        recorded = recorded_rulesets(ctx)
    if pf_error:
        results.append(_not_evaluable("integrity.ruleset_unchanged", pf_error))
    else:
        results.append(drift_check(ctx, recorded))
    results.append(signatures_check(ctx, bgp))

    for r in results:
        r.controls = _controls(mapping, r.check, framework)
    return AuditReport(ctx.site.name, framework, results, summarize(results, mapping, framework), bool(mapping))


def summarize(results: list[CheckResult], mapping: dict[str, list[dict[str, str]]],
              framework: str | None) -> dict[str, Any]:
    """Per framework: how many checks pass, fail..., and each control's status (the worst of
    the checks mapped to it; a partial mapping never makes a control more than partial)."""
    out: dict[str, Any] = {"checks": _counts([r.status for r in results])}
    frameworks = [framework] if framework else list(FRAMEWORKS)
    by_check = {r.check: r for r in results}
    for fw in frameworks:
        controls: dict[str, list[tuple[str, str, str]]] = {}
        for check, entries in mapping.items():
            result = by_check.get(check)
            if result is None:
                continue
            for c in entries:
                if c["framework"] == fw:
                    controls.setdefault(c["control"], []).append((check, result.status, c["degree"]))
        rows = []
        for control in sorted(controls, key=_control_key):
            checks = controls[control]
            status = worst([s for _, s, _ in checks])
            coverage = "full" if any(d == "full" for _, _, d in checks) else "partial"
            rows.append({"control": control, "status": status, "coverage": coverage,
                         "checks": [{"check": c, "status": s, "degree": d} for c, s, d in checks]})
        out[fw] = {"controls": rows, "statuses": _counts([r["status"] for r in rows])}
    return out


def _counts(statuses: list[str]) -> dict[str, int]:
    return {s: statuses.count(s) for s in ("pass", "fail", "partial", "not-evaluable")}


def _control_key(control: str) -> list:
    import re

    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.()\s]+", control) if p]


def find_rules(ctx: Any, rule: Rule | int | str) -> list[Rule]:
    """The expanded rules a reference names: a Rule, a line of pf.conf, or ``file:line``."""
    if isinstance(rule, Rule):
        return [rule]
    text = str(rule)
    file, _, line = text.rpartition(":")
    if not file:
        file = ctx.site.cite(ctx.site.pf_conf)
    try:
        number = int(line)
    except ValueError:
        raise AskZeroError(f"not a rule reference: {text} (give a line or file:line)") from None
    found = [r for r in all_rules(ctx.pf) if r.source.line == number and r.source.file.endswith(file)]
    if not found:
        raise AskZeroError(f"no pf rule at {file}:{number}")
    return found


def check_rule(ctx: Any, rule: Rule | int | str, framework: str | None = None,
               mapping: dict[str, list[dict[str, str]]] | None = None) -> list[CheckResult]:
    """The per-rule checks of the audit on one rule (all rules one line expands into)."""
    framework = framework_name(framework) if framework else None
    mapping = load_mapping() if mapping is None else mapping
    rules = find_rules(ctx, rule)
    out = []
    for check, (run, per_rule) in PF_CHECKS.items():
        if not per_rule:
            continue
        result = run(ctx, rules)
        if result.status == "not-evaluable":
            continue  # e.g. "logged?" asked of a pass rule: not about this rule
        result.controls = _controls(mapping, check, framework)
        out.append(result)
    return out


def as_evidence(results: list[CheckResult]) -> list:
    """Check results as the assistant's Evidence, one per evidence line (so every fact the
    composer states cites its line), for "is this rule compliant with NIS2?"."""
    from askzero.evidence import Citation, Evidence

    out = []
    for r in results:
        controls = ", ".join(f"{c['framework']} {c['control']} ({c['degree']})" for c in r.controls)
        fields = {"check": r.check, "status": r.status, "controls": controls}
        items = r.evidence or [{}]
        for item in items:
            cite = Citation(item.get("file", ""), line=item.get("line"), record=item.get("record"))
            text = f"{r.check}: {r.status}: {r.summary}" + (f" ({item['note']})" if item.get("note") else "")
            if controls:
                text += f" Bears on {controls}."
            out.append(Evidence("compliance", text, cite, fields))
    return out
