"""A whole configuration printed as ``pfctl -o none -nv`` prints it, and numbered as
``pfctl -gvvsr`` prints a loaded ruleset."""

from __future__ import annotations

from askzero.pf.model import PfConfig, Rule, Ruleset, Table
from askzero.pf.printer import rule_text

INDENT = "  "


def table_text(table: Table) -> str:
    words = [f"table <{table.name}>", *table.flags]
    words += [f'file "{f}"' for f in table.files]
    inline = [e for e in table.entries if e.source.file == table.source.file]
    if inline:
        words.append("{ " + " ".join(("!" if e.negated else "") + _net(e.net) for e in inline) + " }")
    return " ".join(words)


def _net(net: object) -> str:
    text = str(net)
    return text.split("/")[0] if text.endswith(("/32", "/128")) else text


def _rule_lines(rule: Rule, depth: int) -> list[str]:
    pad = INDENT * depth
    if rule.is_anchor and rule.inline and rule.anchor is not None:
        lines = [f"{pad}{rule_text(rule)} {{"]
        for child in rule.anchor.rules:
            lines += _rule_lines(child, depth + 1)
        return lines + [f"{pad}}}"]
    return [pad + rule_text(rule)]


def render(config: PfConfig, rules: bool = True) -> str:
    """What ``pfctl -o none -nv -f PATH`` prints for ``config``.

    A ruleset with errors is never loaded, so its rules are not printed (``rules=False``);
    what pfctl echoes while parsing (macros, options) still is.
    """
    lines: list[str] = []
    for kind, item in config.echo:
        if not rules and kind in ("rule", "table"):
            continue
        if kind == "macro":
            name, value = item  # type: ignore[misc]
            lines.append(f'{name} = "{value}"')
        elif kind == "option":
            lines.append(str(item))
        elif kind == "table":
            lines.append(table_text(item))  # type: ignore[arg-type]
        else:
            lines += _rule_lines(item, 0)  # type: ignore[arg-type]
    return "".join(line + "\n" for line in lines)


def render_numbered(ruleset: Ruleset) -> str:
    """What ``pfctl -a 'regress/*' -gvvsr`` prints after loading into anchor ``regress``."""
    out: list[str] = []
    for rule in ruleset.rules:
        out.append(f"@{rule.number} {rule_text(rule)}" + (" {" if rule.is_anchor and rule.inline else ""))
        out.append("  [ Skip steps: ]")
        out.append("  [ queue: qname= qid=0 pqname= pqid=0 ]")
        out.append(f"  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]")
        if rule.is_anchor and rule.inline and rule.anchor is not None:
            out.append(render_numbered(rule.anchor).rstrip("\n"))
            out.append("}")
    return "".join(line + "\n" for line in out if line)
