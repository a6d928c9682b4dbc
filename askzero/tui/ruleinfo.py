"""What the rules screen says about a rule or a table: plain words built from the parsed rule,
never from a model, with the lint findings on the same source line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from askzero.pf.model import PfConfig, Rule, Ruleset, Table
from askzero.pf.printer import address_text, port_text, rule_text, translation_text

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
VERBS = {"pass": "Passes", "block": "Blocks", "match": "Matches (without deciding)", "anchor": "Evaluates"}


@dataclass
class AnchorNode:
    """A ruleset as the tree shows it; ``prefix`` turns a rule number into pflog's form."""

    ruleset: Ruleset
    prefix: str
    label: str
    children: list[AnchorNode]
    short: str = ""  # the tree's label: the tree is narrow at 80 columns

    def ref(self, rule: Rule) -> str:
        return f"{self.prefix}{rule.number}"


def anchor_tree(config: PfConfig) -> AnchorNode:
    """The main ruleset and every anchor below it, numbered as pflog prints them."""
    return _node(config.main, "", "main ruleset", "main")


def _node(ruleset: Ruleset, prefix: str, label: str, short: str) -> AnchorNode:
    node = AnchorNode(ruleset, prefix, label, [], short)
    attached: set[int] = set()
    for rule in ruleset.rules:
        if rule.is_anchor and rule.anchor is not None:
            attached.add(id(rule.anchor))
            # pflog names rule M of an anchor as N.anchor.M, N being the anchor rule's number
            child_prefix = f"{rule.number}.{rule.anchor.name}."
            node.children.append(_node(rule.anchor, child_prefix, f'anchor "{rule.anchor_name}" (rule {prefix}{rule.number})',
                                       rule.anchor.name))
    for name, child in sorted(ruleset.children.items()):
        if id(child) not in attached:  # loaded under a wildcard anchor, or not attached at all
            node.children.append(_node(child, "", f'anchor "{name}"', name))
    return node


def walk(node: AnchorNode) -> Iterator[AnchorNode]:
    yield node
    for child in node.children:
        yield from walk(child)


def findings_by_line(findings: list) -> dict[tuple[str, int], list]:
    out: dict[tuple[str, int], list] = {}
    for f in findings:
        out.setdefault((f.source.file, f.source.line), []).append(f)
    for items in out.values():
        items.sort(key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
    return out


def lint_mark(findings: list) -> str:
    """The worst severity on a line, as the rules table shows it (short: the table is narrow)."""
    if not findings:
        return ""
    return {"medium": "med"}.get(findings[0].severity, findings[0].severity)


def describe(rule: Rule) -> str:
    """One sentence saying what the rule does, from its parsed fields."""
    if rule.is_anchor:
        where = f' anchor "{rule.anchor_name}"'
    else:
        where = " packets"
    words = [VERBS.get(rule.action, rule.action.capitalize()) + where]
    if rule.direction:
        words.append({"in": "coming in", "out": "going out"}[rule.direction])
    if rule.interface:
        words.append(f"on {'any interface but ' if rule.interface_negated else ''}{rule.interface}")
    if rule.af:
        words.append(f"({'IPv4' if rule.af == 'inet' else 'IPv6'})")
    if rule.proto:
        words.append(f"of protocol {rule.proto}")
    words.append(f"from {address_text(rule.src)}" + (f" port {port_text(rule.src_port)}" if rule.src_port else ""))
    words.append(f"to {address_text(rule.dst)}" + (f" port {port_text(rule.dst_port)}" if rule.dst_port else ""))
    sentence = " ".join(words) + "."
    notes: list[str] = []
    if rule.action in ("pass", "block"):
        notes.append("Quick: if it matches, it decides and evaluation stops." if rule.quick else
                     "Not quick: a later matching rule overrides it.")
    if rule.action == "block" and rule.block_mode:
        notes.append(f"Block mode: {rule.block_mode}.")
    if rule.log:
        notes.append("Logged to pflog.")
    if rule.action == "pass":
        notes.append("Stateless: replies need their own rule." if rule.state == "no" else
                     "Keeps state: replies pass without another rule.")
    notes += [f"Rewrites: {translation_text(t)}." for t in rule.translations]
    if rule.tag:
        notes.append(f"Tags the packet {rule.tag}.")
    if rule.tagged:
        notes.append(f"Only packets {'not ' if rule.tagged_negated else ''}tagged {rule.tagged}.")
    if rule.macros:
        notes.append("Macros used: " + ", ".join(f"${m}" for m in rule.macros) + ".")
    if rule.expansion[1] > 1:
        notes.append(f"Expansion {rule.expansion[0]} of {rule.expansion[1]} rules from one pf.conf statement.")
    return " ".join([sentence, *notes])


def rule_detail(rule: Rule, ref: str, findings: list) -> str:
    """Everything the detail pane says about a rule, as plain text."""
    lines = [f"@{ref}  {rule_text(rule)}", f"source: {rule.source}" + (f"  anchor: {rule.path}" if rule.path else ""),
             "", describe(rule)]
    if findings:
        lines.append("")
        lines += [f"lint {f.severity}: {f.check}: {f.message}" for f in findings]
    return "\n".join(lines)


def table_summary(table: Table) -> str:
    flags = f" {' '.join(table.flags)}" if table.flags else ""
    files = f", from {', '.join(table.files)}" if table.files else ""
    return f"table <{table.name}>{flags}: {len(table.entries)} entries, defined at {table.source}{files}"
