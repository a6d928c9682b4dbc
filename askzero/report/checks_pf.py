"""Audit checks over the pf ruleset, each on the whole ruleset or on chosen rules.

The per-rule checks take a list of rules so that "is this rule compliant?" runs exactly the
same code on one rule as the audit runs on all of them (``check_rule`` in audit.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from askzero.pf.lint import lint
from askzero.pf.model import Address, PfConfig, Rule, Ruleset
from askzero.pf.printer import rule_text
from askzero.report.results import CheckResult, cite, dedupe
from askzero.report.sitefiles import line_text

# remote administration and management planes: never for the whole Internet
ADMIN_PORTS = {22: "ssh", 23: "telnet", 161: "snmp", 830: "netconf", 3389: "rdp", 5900: "vnc",
               5985: "winrm", 5986: "winrm-https", 8443: "admin https", 10000: "webmin"}
# protocols that carry credentials or commands in clear text
CLEARTEXT_ADMIN = {21: "ftp", 23: "telnet", 69: "tftp", 161: "snmp", 512: "rexec", 513: "rlogin",
                   514: "rsh"}
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def all_rules(config: PfConfig) -> list[Rule]:
    """Every filter rule of every anchor, in evaluation order (anchor rules themselves left out)."""
    out: list[Rule] = []

    def walk(ruleset: Ruleset) -> None:
        for rule in ruleset.rules:
            if rule.is_anchor:
                if rule.anchor is not None:
                    walk(rule.anchor)
            else:
                out.append(rule)
    walk(config.main)
    return out


def _anchor_interfaces(config: PfConfig) -> dict[str, str | None]:
    """An anchor's rules only see packets on the anchor rule's interface (``anchor x on egress``)."""
    out: dict[str, str | None] = {}

    def walk(ruleset: Ruleset, inherited: str | None) -> None:
        for rule in ruleset.rules:
            if rule.is_anchor and rule.anchor is not None:
                iface = rule.interface or inherited
                out[rule.anchor.path] = iface
                walk(rule.anchor, iface)
    walk(config.main, None)
    return out


def egress_names(ctx: Any) -> set[str]:
    members = ctx.host.members("egress")
    return {i.name for i in members} | ({"egress"} if members else set())


def internal_interfaces(ctx: Any) -> list[str]:
    """Interfaces with addresses that are neither loopback nor in group egress."""
    egress = egress_names(ctx)
    return [i.name for i in ctx.host.interfaces.values()
            if i.addresses and i.driver != "lo" and i.name not in egress and "egress" not in i.groups]


def _applies_on(ctx: Any, rule: Rule, ifname: str) -> bool:
    if rule.interface is None:
        return True
    on = ctx.host.on_interface(ifname, rule.interface)
    return not on if rule.interface_negated else on


def _is_any(addr: Address) -> bool:
    # "from ! <bad_hosts>" is, for exposure, everyone but a few
    return addr.kind == "any" or addr.negated or (addr.kind == "net" and addr.net is not None
                                                   and addr.net.prefixlen == 0)


def _ports(rule: Rule, wanted: dict[int, str]) -> list[tuple[int, str]]:
    if rule.proto not in (None, "tcp", "udp"):
        return []
    if rule.dst_port is None:
        return sorted(wanted.items())
    return [(p, n) for p, n in sorted(wanted.items()) if rule.dst_port.matches(p)]


def _result(check: str, title: str, status: str, summary: str, evidence: list[dict]) -> CheckResult:
    return CheckResult(check, title, status, summary, dedupe(evidence))


# ------------------------------------------------------------------ whole-ruleset checks


def default_deny(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "Default deny: what no rule passes is blocked"
    main = [r for r in ctx.pf.main.rules if not r.is_anchor]
    base = [r for r in main if r.action == "block" and not r.quick and _is_any(r.src) and _is_any(r.dst)
            and r.interface is None and r.proto is None and r.direction in (None, "in")]
    if not base:
        first = main[0].source if main else None
        return _result("pf.default_deny", title, "fail",
                       "No `block all` (or `block in all`): pf passes what no rule matches.",
                       [cite(first, "first rule")] if first else [])
    block = base[0]
    later = main[main.index(block) + 1:]
    # a later non-quick "pass all" (either direction) undoes the default block
    undo = [r for r in later if r.action == "pass" and _is_any(r.src) and _is_any(r.dst) and r.interface is None
            and r.proto is None and r.dst_port is None and r.direction in (None, block.direction)]
    evidence = [cite(block.source, "default block")] + [cite(r.source, "passes all traffic") for r in undo]
    if undo:
        return _result("pf.default_deny", title, "fail",
                       f"`{rule_text(block)}` is overridden by `{rule_text(undo[0])}`.", evidence)
    if block.direction == "in" and not any(r.action == "block" and r.direction in (None, "out") and not r.quick
                                            and _is_any(r.src) and _is_any(r.dst) and r.interface is None
                                            for r in base):
        return _result("pf.default_deny", title, "partial",
                       f"`{rule_text(block)}` denies inbound only; outbound traffic is passed by default.", evidence)
    return _result("pf.default_deny", title, "pass",
                   f"`{rule_text(block)}` blocks everything no later rule passes.", evidence)


def antispoof_external(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "Anti-spoofing on external interfaces"
    egress = sorted(i.name for i in ctx.host.members("egress"))
    if not egress:
        return _result("pf.antispoof_external", title, "not-evaluable",
                       "The host profile names no egress interface, so the external side is unknown.", [])
    spoof = [r for r in all_rules(ctx.pf) if line_text(ctx.site, r.source.file, r.source.line).startswith("antispoof")]
    covered = {i for r in spoof if r.interface for i in egress if ctx.host.on_interface(i, r.interface)}
    urpf = [r for r in all_rules(ctx.pf) if r.action == "block" and r.src.kind == "urpf-failed"]
    martians = [r for r in all_rules(ctx.pf) if r.action == "block" and r.direction in (None, "in")
                and any(_applies_on(ctx, r, i) for i in egress) and _private_source(ctx, r)]
    evidence = [cite(r.source, f"antispoof for {r.interface}") for r in spoof if r.interface]
    evidence += [cite(r.source, "uRPF check") for r in urpf]
    evidence += [cite(r.source, "private/bogon sources blocked on the external side") for r in martians]
    names = ", ".join(egress)
    if urpf or covered >= set(egress):
        return _result("pf.antispoof_external", title, "pass",
                       f"Spoofed sources are dropped on the external interface(s) {names}.", evidence)
    missing = ", ".join(sorted(set(egress) - covered))
    if covered:
        return _result("pf.antispoof_external", title, "partial",
                       f"antispoof covers some external interfaces but not {missing}.", evidence)
    # a bogon table is worth having but is not antispoof: it lets in packets forging our own addresses
    also = "; only private and bogon sources are blocked there" if martians else ""
    return _result("pf.antispoof_external", title, "fail",
                   f"No `antispoof` (or uRPF) rule covers {missing}{also}.", evidence)


def _private_source(ctx: Any, rule: Rule) -> bool:
    if rule.src.negated:
        return False
    if rule.src.kind == "net" and rule.src.net is not None:
        return any(rule.src.net.version == n.version and rule.src.net.subnet_of(n) for n in _PRIVATE)  # type: ignore[arg-type]
    if rule.src.kind == "table":
        table = _find_table(ctx.pf, rule, rule.src.name)
        entries = [str(e.net) for e in table.entries] if table else []
        return any(str(n) in entries for n in _PRIVATE)
    return False


def _find_table(config: PfConfig, rule: Rule, name: str):
    from askzero.pf.evaluate import find_table

    ruleset = config.main
    for part in [p for p in rule.path.split("/") if p]:
        ruleset = ruleset.children.get(part, ruleset)
    return find_table(name, ruleset)


def skip_only_loopback(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "`set skip` only on loopback"
    bad = [(n, s) for n, s in ctx.pf.skip if not n.startswith("lo")]
    evidence = [cite(s, f"set skip on {n}") for n, s in ctx.pf.skip]
    if bad:
        names = ", ".join(n for n, _ in bad)
        return _result("pf.skip_only_loopback", title, "fail",
                       f"pf does not filter {names} at all (`set skip`).", evidence)
    what = "only loopback is skipped" if evidence else "no interface is skipped"
    return _result("pf.skip_only_loopback", title, "pass", f"pf filters every interface; {what}.", evidence)


# ------------------------------------------------------------------ per-rule checks


def block_rules_logged(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "Block rules are logged"
    egress = [i.name for i in ctx.host.members("egress")]
    blocks = [r for r in rules if r.action == "block"
              and (not egress or any(_applies_on(ctx, r, i) for i in egress))]
    if not blocks:
        return _result("pf.block_rules_logged", title, "not-evaluable",
                       "No block rule that decides traffic on an external interface.", [])
    silent = [r for r in blocks if not r.log]
    default = [r for r in blocks if not r.quick and _is_any(r.src) and _is_any(r.dst) and r.interface is None
               and r.proto is None and r.path == ""]
    evidence = [cite(r.source, f"not logged: {rule_text(r)}") for r in silent]
    if not silent:
        return _result("pf.block_rules_logged", title, "pass",
                       f"All {len(blocks)} block rules deciding external traffic log to pflog.",
                       [cite(r.source, "logged") for r in blocks])
    if any(r in silent for r in default) or len(silent) == len(blocks):
        return _result("pf.block_rules_logged", title, "fail",
                       "The default block rule does not log: what pf drops by default leaves no trace.", evidence)
    return _result("pf.block_rules_logged", title, "partial",
                   f"{len(silent)} of {len(blocks)} block rules deciding external traffic leave no trace in pflog.",
                   evidence)


def admin_ports_not_open_to_any(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "Administration ports not open to any source"
    anchors = _anchor_interfaces(ctx.pf)
    egress = sorted(i.name for i in ctx.host.members("egress")) or ["egress"]
    open_rules = []
    for r in rules:
        if r.action != "pass" or r.direction not in (None, "in") or not _is_any(r.src):
            continue
        if anchors.get(r.path) and not any(ctx.host.on_interface(i, anchors[r.path]) for i in egress):
            continue
        if not any(_applies_on(ctx, r, i) for i in egress):
            continue
        hits = _ports(r, ADMIN_PORTS)
        if hits:
            open_rules.append((r, hits))
    limited = [r for r, _ in open_rules if _rate_limited(r)]
    evidence = [cite(r.source, ", ".join(f"{n} ({p})" for p, n in hits) + " from any: " + rule_text(r))
                for r, hits in open_rules]
    if not open_rules:
        return _result("pf.admin_ports_not_open_to_any", title, "pass",
                       "No pass rule opens an administration port to any source on the external side.", [])
    ports = sorted({f"{n} ({p})" for _, hits in open_rules for p, n in hits})
    if len(limited) == len(open_rules):
        return _result("pf.admin_ports_not_open_to_any", title, "partial",
                       f"{', '.join(ports)} reachable from any address, rate-limited with an overload table.",
                       evidence)
    return _result("pf.admin_ports_not_open_to_any", title, "fail",
                   f"{', '.join(ports)} reachable from any address on the external side.", evidence)


def _rate_limited(rule: Rule) -> bool:
    options = " ".join(rule.state_options)
    return "max-src-conn-rate" in options and "overload" in options


def no_cleartext_admin(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "No cleartext administration protocols"
    found, http = [], []
    for r in rules:
        if r.action != "pass" or r.dst_port is None or not _to_firewall(ctx, r):
            continue
        hits = _ports(r, CLEARTEXT_ADMIN)
        if hits:
            found.append((r, hits))
        elif r.dst_port.matches(80) and not any(t.kind == "rdr-to" for t in r.translations):
            http.append(r)  # plain http to the firewall itself: a web console without TLS
    evidence = [cite(r.source, ", ".join(f"{n} ({p})" for p, n in hits) + ": " + rule_text(r)) for r, hits in found]
    evidence += [cite(r.source, "http (80) to the firewall: " + rule_text(r)) for r in http]
    if found:
        return _result("pf.no_cleartext_admin", title, "fail",
                       "Pass rules let telnet, ftp, tftp, snmp or the r-services reach the firewall.", evidence)
    if http:
        return _result("pf.no_cleartext_admin", title, "partial",
                       "Plain http reaches the firewall itself (a web console without TLS?).", evidence)
    return _result("pf.no_cleartext_admin", title, "pass",
                   "No pass rule lets telnet, ftp, tftp, snmp, the r-services or plain http reach the firewall.", [])


def _to_firewall(ctx: Any, rule: Rule) -> bool:
    """Whether the rule's destination can be the firewall itself (or anything, including it)."""
    dst = rule.dst
    if _is_any(dst) or dst.kind in ("self", "dynamic", "iface"):
        return True
    if dst.kind == "net" and dst.net is not None:
        return any(a.ip in dst.net for a in ctx.host.self_addresses() if a.version == dst.net.version)
    return False


def egress_filtering(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "Egress filtering: internal networks reach only what they need"
    internal = internal_interfaces(ctx)
    egress = [i.name for i in ctx.host.members("egress")]
    if not internal and not egress:
        return _result("pf.egress_filtering", title, "not-evaluable",
                       "The host profile names neither internal nor external interfaces.", [])
    open_out = [r for r in rules if r.action == "pass" and r.direction in (None, "out") and _wide(r)
                and _is_any(r.src) and any(_applies_on(ctx, r, i) for i in egress)]
    open_in: dict[str, list[Rule]] = {}
    restricted: dict[str, list[Rule]] = {}
    for iface in internal:
        for r in rules:
            if r.action != "pass" or r.direction not in (None, "in") or not _applies_on(ctx, r, iface):
                continue
            if r.interface is None and not _is_any(r.src):
                continue  # a floating rule for other sources says nothing about this network
            if r.proto in ("icmp", "icmp6"):
                continue
            (open_in if _wide(r) else restricted).setdefault(iface, []).append(r)
    evidence = [cite(r.source, f"passes out any source to any destination on any port: {rule_text(r)}")
                for r in open_out]
    evidence += [cite(r.source, f"{i}: any destination, any port: {rule_text(r)}") for i, rs in open_in.items() for r in rs]
    evidence += [cite(r.source, f"{i}: restricted to {rule_text(r)}") for i, rs in restricted.items() for r in rs]
    if len({r.source for r in rules}) == 1:  # one rule asked about: judge that rule alone
        if open_out or open_in:
            return _result("pf.egress_filtering", title, "fail",
                           "The rule lets traffic leave for any destination on any port.", evidence)
        return _result("pf.egress_filtering", title, "pass", "The rule does not open egress wholesale.", evidence)
    names = ", ".join(sorted(open_in))
    if open_out and open_in:
        return _result("pf.egress_filtering", title, "fail",
                       f"Hosts behind {names} may connect to any destination on any port, and "
                       f"`{rule_text(open_out[0])}` passes it out unrestricted.", evidence)
    if open_out or open_in:
        where = f"hosts behind {names}" if open_in else "the external interface"
        return _result("pf.egress_filtering", title, "partial",
                       f"Outbound traffic is restricted only in part: {where} may reach any destination on any port.",
                       evidence)
    return _result("pf.egress_filtering", title, "pass",
                   "Outbound traffic is limited by destination or port.", evidence)


def _wide(rule: Rule) -> bool:
    return _is_any(rule.dst) and rule.dst_port is None and rule.proto not in ("icmp", "icmp6")


def _shadowing_action(ctx: Any, message: str) -> str | None:
    m = re.search(r"at (\S+):(\d+)", message)
    if not m:
        return None
    actions = {r.action for r in all_rules(ctx.pf) if r.source.file == m.group(1) and r.source.line == int(m.group(2))}
    return actions.pop() if len(actions) == 1 else None


def no_shadowed_rules(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "No shadowed rules"
    lines = {(r.source.file, r.source.line): r for r in rules}
    findings = [f for f in lint(ctx.pf) if f.check == "shadowed" and (f.source.file, f.source.line) in lines]
    opposite = [f for f in findings if _shadowing_action(ctx, f.message) != lines[(f.source.file, f.source.line)].action]
    evidence = [cite(f.source, f.message) for f in findings]
    if opposite:
        return _result("pf.no_shadowed_rules", title, "fail",
                       f"{len(opposite)} rule(s) never decide as written: " + opposite[0].message, evidence)
    if findings:
        return _result("pf.no_shadowed_rules", title, "partial",
                       f"{len(findings)} rule(s) shadowed by rules with the same action (dead, not harmful).", evidence)
    return _result("pf.no_shadowed_rules", title, "pass", "pf lint finds no shadowed rule.", [])


def no_redundant_rules(ctx: Any, rules: list[Rule]) -> CheckResult:
    title = "No redundant rules"
    lines = {(r.source.file, r.source.line) for r in rules}
    findings = [f for f in lint(ctx.pf) if f.check == "redundant" and (f.source.file, f.source.line) in lines]
    if findings:  # redundancy does not weaken the policy: partial, for the ruleset review to merge
        return _result("pf.no_redundant_rules", title, "partial",
                       f"{len(findings)} redundant rule(s): " + findings[0].message,
                       [cite(f.source, f.message) for f in findings])
    return _result("pf.no_redundant_rules", title, "pass", "pf lint finds no redundant rule.", [])


# check id -> (function, whether it applies to a single rule)
PF_CHECKS: dict[str, tuple[Callable[[Any, list[Rule]], CheckResult], bool]] = {
    "pf.default_deny": (default_deny, False),
    "pf.antispoof_external": (antispoof_external, False),
    "pf.block_rules_logged": (block_rules_logged, True),
    "pf.admin_ports_not_open_to_any": (admin_ports_not_open_to_any, True),
    "pf.no_cleartext_admin": (no_cleartext_admin, True),
    "pf.egress_filtering": (egress_filtering, True),
    "pf.skip_only_loopback": (skip_only_loopback, False),
    "pf.no_shadowed_rules": (no_shadowed_rules, True),
    "pf.no_redundant_rules": (no_redundant_rules, True),
}
