"""pf lint: findings an experienced operator would raise in a review, each with file:line.

Checks are conservative: a rule is called shadowed only when a later rule provably matches
every packet it matches (field by field), so a finding is worth reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from askzero.pf.model import Address, PfConfig, PortRange, Rule, Ruleset
from askzero.pf.printer import default_flags, rule_text
from askzero.sources import Source

# services an attacker looks for first: remote administration, file sharing, databases, OT
SENSITIVE_PORTS = {
    22: "ssh", 23: "telnet", 135: "msrpc", 139: "netbios", 161: "snmp", 179: "bgp", 445: "smb",
    502: "modbus", 1433: "ms-sql", 2404: "iec-104", 3306: "mysql", 3389: "rdp", 5432: "postgresql",
    5900: "vnc", 6379: "redis", 8443: "admin https", 9200: "elasticsearch", 20000: "dnp3",
}


VERBS = {"pass": "passes", "block": "blocks"}


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # high | medium | low
    source: Source
    message: str
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "file": self.source.file,
                "line": self.source.line, "message": self.message, "rule": self.rule}

    def __str__(self) -> str:
        return f"{self.source}: {self.severity}: {self.check}: {self.message}"


def _addr_covers(wide: Address, narrow: Address) -> bool:
    if wide.negated or narrow.negated:
        return wide == narrow
    if wide.kind == "any":
        return True
    if wide.kind == "net" and narrow.kind == "net" and wide.net is not None and narrow.net is not None:
        return wide.net.version == narrow.net.version and narrow.net.subnet_of(wide.net)  # type: ignore[arg-type]
    return wide.kind == narrow.kind and wide.name == narrow.name and wide.modifier == narrow.modifier


def _port_covers(wide: PortRange | None, narrow: PortRange | None) -> bool:
    return wide is None or wide == narrow


def covers(wide: Rule, narrow: Rule, ignore_flags: bool = False) -> bool:
    """Whether every packet ``narrow`` matches is also matched by ``wide`` (with
    ``ignore_flags``: every connection attempt, since stateful pass rules see only SYNs)."""
    if wide.direction not in (None, narrow.direction):
        return False
    if wide.interface not in (None, narrow.interface) or (wide.interface and wide.interface_negated != narrow.interface_negated):
        return False
    if wide.af not in (None, narrow.af) or wide.proto not in (None, narrow.proto):
        return False
    if not (_addr_covers(wide.src, narrow.src) and _addr_covers(wide.dst, narrow.dst)):
        return False
    if not (_port_covers(wide.src_port, narrow.src_port) and _port_covers(wide.dst_port, narrow.dst_port)):
        return False
    tcp = narrow.proto in (None, "tcp")  # flags apply to TCP packets only
    if tcp and not ignore_flags and default_flags(wide) not in (None, default_flags(narrow)):
        return False
    conditional = (wide.tagged, wide.user, wide.group, wide.received_on, wide.icmp_type, wide.probability,
                   wide.users, wide.groups)
    return not any(conditional)


def _decisive(rules: list[Rule]) -> list[Rule]:
    return [r for r in rules if r.action in ("pass", "block")]


def lint_ruleset(ruleset: Ruleset, findings: list[Finding]) -> None:
    rules = [r for r in ruleset.rules if not r.is_anchor]
    for i, rule in enumerate(rules):
        if rule.action not in ("pass", "block"):
            continue
        earlier_quick = next((q for q in _decisive(rules[:i]) if q.quick and covers(q, rule)), None)
        if earlier_quick is not None:
            findings.append(Finding("shadowed", "medium", rule.source,
                                    f"never evaluated: the quick rule at {earlier_quick.source} matches every "
                                    f"packet it matches", rule_text(rule)))
            continue
        if rule.quick:
            continue
        later = next((r for r in _decisive(rules[i + 1:]) if covers(r, rule)), None)
        syn_only = None if later else next((r for r in _decisive(rules[i + 1:])
                                             if r.action != rule.action and covers(r, rule, ignore_flags=True)), None)
        if syn_only is not None:
            findings.append(Finding(
                "shadowed", "medium", rule.source,
                f"every connection it matches is {syn_only.action}ed by the later rule at {syn_only.source}; "
                "it decides only stray packets that open no connection", rule_text(rule)))
        if later is not None:
            same = later.action == rule.action
            findings.append(Finding(
                "redundant" if same else "shadowed", "low" if same else "medium", rule.source,
                (f"never decisive: the later rule at {later.source} matches every packet it matches"
                 + (" with the same action" if same else f" and {VERBS[later.action]} it instead")),
                rule_text(rule)))
    for rule in ruleset.rules:
        if rule.is_anchor and rule.anchor is not None:
            lint_ruleset(rule.anchor, findings)


def _rule_checks(rule: Rule, tables: dict[str, Any], findings: list[Finding]) -> None:
    text = rule_text(rule)
    if rule.action == "block" and not rule.log:
        findings.append(Finding("block-without-log", "low", rule.source,
                                "blocked packets leave no trace in pflog; add log to see what it stops", text))
    if rule.action == "pass" and rule.state == "no" and rule.proto in (None, "tcp"):
        findings.append(Finding("stateless-tcp-pass", "medium", rule.source,
                                "passes TCP without state: replies need their own rule and no sequence checks apply",
                                text))
    if rule.action == "pass" and rule.direction in (None, "in") and rule.src.kind == "any" and not rule.src.negated:
        port = rule.dst_port
        if port is not None and port.op == "=" and port.low in SENSITIVE_PORTS:
            findings.append(Finding("sensitive-service-open", "high", rule.source,
                                    f"{SENSITIVE_PORTS[port.low]} (port {port.low}) is reachable from any address; "
                                    f"restrict the source to the networks that need it", text))
    for addr in (rule.src, rule.dst):
        table = tables.get(addr.name) if addr.kind == "table" else None
        if table is not None and not table.entries and not addr.negated and "persist" not in table.flags:
            findings.append(Finding("cannot-match", "medium", rule.source,
                                    f"table <{addr.name}> is empty and not persist: the rule can never match", text))


def _all_rules(ruleset: Ruleset) -> list[tuple[Rule, Ruleset]]:
    out = []
    for rule in ruleset.rules:
        out.append((rule, ruleset))
        if rule.is_anchor and rule.anchor is not None:
            out += _all_rules(rule.anchor)
    return out


def lint(config: PfConfig, loopback: tuple[str, ...] = ("lo",)) -> list[Finding]:
    """Every finding for a parsed configuration, in file order."""
    findings: list[Finding] = []
    lint_ruleset(config.main, findings)
    for rule, ruleset in _all_rules(config.main):
        if rule.is_anchor:
            continue
        tables = dict(config.main.tables)
        tables.update(ruleset.tables)
        _rule_checks(rule, tables, findings)
    for name, source in config.skip:
        if not name.startswith(loopback):
            findings.append(Finding("skip-non-loopback", "high", source,
                                    f"set skip on {name}: pf does not filter that interface at all"))
    main = config.main.rules
    if main and not any(r.action == "block" and not r.quick and r.src.kind == "any" and r.dst.kind == "any"
               and r.interface is None and r.proto is None and r.direction in (None, "in") for r in main):
        first = main[0].source if main else Source(config.files[0] if config.files else "pf.conf", 1)
        findings.append(Finding("no-default-block", "high", first,
                                "no `block all` (or `block in all`): what no rule passes explicitly is passed"))
    seen: set[tuple[str, int, str]] = set()
    unique = []
    for f in sorted(findings, key=lambda f: (f.source.file, f.source.line, f.check)):
        key = (str(f.source), 0, f.check + f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
