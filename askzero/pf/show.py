"""A whole configuration printed as ``pfctl -o none -nv`` prints it, and numbered as
``pfctl -gvvsr`` prints a loaded ruleset."""

from __future__ import annotations

from askzero.pf.host import HostProfile
from askzero.pf.model import Address, PfConfig, Rule, Ruleset, Table
from askzero.pf.printer import Counter, rule_text
from askzero.pf.skipsteps import skip_steps, skip_text

INDENT = "  "


def table_text(table: Table) -> str:
    words = [f"table <{table.name}>", *table.flags]
    for kind, value in table.layout:
        if kind == "file":
            words.append(f'file "{value}"')
        else:
            words.append("{ " + " ".join(("!" if e.negated else "") + _net(e.net) for e in value) + " }")  # type: ignore[attr-defined]
    return " ".join(words)


def _net(net: object) -> str:
    text = str(net)
    return text.split("/")[0] if text.endswith(("/32", "/128")) else text


def _rule_lines(rule: Rule, depth: int, loaded: bool = False) -> list[str]:
    pad = INDENT * depth
    if rule.is_anchor and rule.anchor is not None and (rule.inline or loaded):
        lines = [f"{pad}{rule_text(rule)} {{"]
        for child in rule.anchor.rules:
            lines += _rule_lines(child, depth + 1, loaded)
        return lines + [f"{pad}}}"]
    return [pad + rule_text(rule)]


def render(config: PfConfig, rules: bool = True) -> str:
    """What ``pfctl -o none -nv -f PATH`` prints for ``config``.

    A ruleset with errors is never loaded, so its rules are not printed (``rules=False``);
    what pfctl echoes while parsing (macros, options) still is.
    """
    lines: list[str] = []
    # pfctl echoes macros, options and tables while parsing, and rules when it loads them
    loaded = ("queue", "rule")
    echo = [e for e in config.echo if e[0] not in loaded]
    if rules:
        echo += [e for kind in loaded for e in config.echo if e[0] == kind]
    for kind, item in echo:
        if kind == "macro":
            name, value = item  # type: ignore[misc]
            lines.append(f'{name} = "{value}"')
        elif kind in ("option", "queue"):
            lines.append(str(item))
        elif kind == "table":
            lines.append(table_text(item))  # type: ignore[arg-type]
        else:
            lines += _rule_lines(item, 0)  # type: ignore[arg-type]
    return "".join(line + "\n" for line in lines)


def loaded_counter(ruleset: Ruleset, host: HostProfile) -> Counter:
    """The address counts the kernel reports for tables and interface addresses."""
    def count(addr: Address, rule: Rule) -> str:
        if addr.kind == "table":
            rs: Ruleset | None = ruleset
            while rs is not None and addr.name not in rs.tables:
                rs = rs.parent
            return f":{len(rs.tables[addr.name].entries)}" if rs is not None else ":*"
        if addr.kind == "dynamic":
            found = host.self_addresses() if addr.name == "self" else host.addresses(addr.name)
            if "peer" in addr.modifier.split(":"):
                found = [p for i in host.members(addr.name) for p in i.peer]
            mods = addr.modifier.split(":")
            if "network" in mods:  # the kernel skips IPv6 host routes for :network
                found = [a for a in found if not (a.version == 6 and a.network.prefixlen == 128)]
            if "broadcast" in mods:  # only broadcast-capable interfaces, never loopback
                found = [a for a in found if not addr.name.startswith("lo") and a.version == 4]
            n = sum(1 for a in found if rule.af is None or (a.version == 4) == (rule.af == "inet"))
            if "0" in addr.modifier.split(":"):
                n = min(n, 1)
            return f":{n}" if n else ":*"
        return ""
    return count


def render_loaded(ruleset: Ruleset) -> str:
    """What ``pfctl -a 'ANCHOR/*' -sr`` prints: the loaded rules with every anchor opened."""
    return "".join(line + "\n" for rule in ruleset.rules for line in _rule_lines(rule, 0, loaded=True))


def render_numbered(ruleset: Ruleset, host: HostProfile | None = None) -> str:
    """What ``pfctl -a 'regress/*' -gvvsr`` prints after loading into anchor ``regress``."""
    host = host or HostProfile()
    counter = loaded_counter(ruleset, host)
    out: list[str] = []
    steps = skip_steps(ruleset.rules)
    for rule, step in zip(ruleset.rules, steps):
        inline = rule.is_anchor  # a recursive listing opens every anchor, even an empty one
        out.append(f"@{rule.number} {rule_text(rule, counter)}" + (" {" if inline else ""))
        out.append(skip_text(rule.number, step))
        out.append("  [ queue: qname= qid=0 pqname= pqid=0 ]")
        out.append("  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]")
        if inline:
            if rule.anchor is not None:
                out.append(render_numbered(rule.anchor, host).rstrip("\n"))
            out.append("}")
    return "".join(line + "\n" for line in out if line)
