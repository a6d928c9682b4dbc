"""The ruleset browser: anchors and tables as a tree, rules with pflog numbers, source lines and
lint findings, and the selected rule explained."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode

from askzero.errors import AskZeroError
from askzero.evidence import Citation
from askzero.pf.model import Table
from askzero.pf.printer import rule_text
from askzero.tui.evidence_screen import EvidenceScreen
from askzero.tui.export import md_table
from askzero.tui.ruleinfo import (AnchorNode, anchor_tree, findings_by_line, lint_mark, rule_detail,
                                  table_summary, walk)

@dataclass
class LintList:
    """The tree's "lint" node: every finding, including those on no rule (set skip...)."""

    findings: list


MAX_ENTRIES = 2000  # feed tables hold hundreds of thousands of entries: show the first ones
LINT_STYLES = {"high": "bold red", "med": "yellow", "low": "#808080"}


class RulesScreen(Screen[None]):
    AUTO_FOCUS = "#anchors"  # where typing goes when the screen is shown (again)
    EXPORT_NAME = "rules"
    DEFAULT_CSS = """
    RulesScreen #anchors { width: 24; border-right: solid $panel; }
    RulesScreen #rules { height: 1fr; }
    RulesScreen #detail-scroll { height: 9; border-top: solid $panel; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.anchor_root: AnchorNode | None = None
        self.lint: dict[tuple[str, int], list] = {}
        self.selected: AnchorNode | Table | LintList | None = None
        self.rows: list = []  # what each table row shows: a Rule or a TableEntry
        self.detail_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield Tree("ruleset", id="anchors")
            with Vertical():
                yield DataTable(id="rules", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="detail-scroll"):
                    yield Static("loading the ruleset…", id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Rules"
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        try:
            config = session.pf
            findings = session.findings()
        except AskZeroError as exc:
            self.app.call_from_thread(self.query_one("#detail", Static).update, Text(f"pf: {exc}", style="red"))
            return
        self.app.call_from_thread(self._populate, anchor_tree(config), findings)

    def _populate(self, root: AnchorNode, findings: list) -> None:
        self.anchor_root, self.lint = root, findings_by_line(findings)
        tree = self.query_one("#anchors", Tree)
        tree.root.set_label(f"{root.short} ({len(root.ruleset.rules)})")
        tree.root.data = root
        self._add_children(tree.root, root)
        tree.root.add_leaf(f"lint ({len(findings)})", data=LintList(findings))
        tree.root.expand_all()
        tree.focus()
        tree.move_cursor(tree.root)
        self._select(root)

    def _add_children(self, parent: TreeNode, node: AnchorNode) -> None:
        for name, table in node.ruleset.tables.items():
            parent.add_leaf(f"<{name}> {len(table.entries)}", data=table)
        for child in node.children:
            branch = parent.add(f"{child.short} ({len(child.ruleset.rules)})", data=child)
            self._add_children(branch, child)

    @on(Tree.NodeHighlighted, "#anchors")
    def _node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self._select(event.node.data)

    def _select(self, item: AnchorNode | Table | LintList) -> None:
        self.selected = item
        table = self.query_one("#rules", DataTable)
        table.clear(columns=True)
        if isinstance(item, Table):
            self._show_table(table, item)
        elif isinstance(item, LintList):
            self._show_lint(table, item)
        else:
            self._show_rules(table, item)

    def _show_lint(self, table: DataTable, lint: LintList) -> None:
        table.add_columns("sev", "source", "check", "finding")
        self.rows = list(lint.findings)
        for f in self.rows:
            sev = lint_mark([f])
            table.add_row(Text(sev, style=LINT_STYLES.get(sev, "")), str(f.source), f.check, f.message)
        self._detail(f"{len(self.rows)} lint findings, in file order. Enter on one opens its source line.")

    def _show_rules(self, table: DataTable, node: AnchorNode) -> None:
        table.add_columns("#", "action", "source", "lint", "rule")
        self.rows = list(node.ruleset.rules)
        for rule in self.rows:
            mark = lint_mark(self.lint.get((rule.source.file, rule.source.line), []))
            action = Text(rule.action, style={"block": "red", "pass": "green"}.get(rule.action, ""))
            table.add_row(node.ref(rule), action, str(rule.source), Text(mark, style=LINT_STYLES.get(mark, "")),
                          rule_text(rule))
        findings = [f for rule in self.rows for f in self.lint.get((rule.source.file, rule.source.line), [])]
        lines = [f"{node.label}: {_count(len(self.rows), 'rule')}, {_count(len(node.ruleset.tables), 'table')}, "
                 f"{_count(len({(f.source, f.check, f.message) for f in findings}), 'lint finding')}",
                 "Tab to the rules; Enter on one opens its source line."]
        self._detail("\n".join(lines))

    def _show_table(self, table: DataTable, pf_table: Table) -> None:
        table.add_columns("entry", "source", "comment")
        self.rows = pf_table.entries[:MAX_ENTRIES]
        for entry in self.rows:
            table.add_row(("!" if entry.negated else "") + str(entry.net), str(entry.source), entry.comment)
        note = table_summary(pf_table)
        if len(pf_table.entries) > MAX_ENTRIES:
            note += f" (first {MAX_ENTRIES} shown)"
        self._detail(note)

    @on(DataTable.RowHighlighted, "#rules")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # filling the table highlights its first row: while the tree has the focus, the
        # details keep describing the tree's node
        if event.data_table.has_focus:
            self._describe_row(event.cursor_row)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "rules":
            self._describe_row(self.query_one("#rules", DataTable).cursor_row)

    def _describe_row(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            return
        if isinstance(self.selected, LintList):
            f = self.rows[row]
            self._detail(f"{f}" + (f"\nrule: {f.rule}" if f.rule else ""))
        elif isinstance(self.selected, AnchorNode):
            rule = self.rows[row]
            findings = self.lint.get((rule.source.file, rule.source.line), [])
            self._detail(rule_detail(rule, self.selected.ref(rule), findings))

    @on(DataTable.RowSelected, "#rules")
    def _open_source(self, event: DataTable.RowSelected) -> None:
        """Enter on a rule or a table entry: the evidence pane on its source line."""
        if not 0 <= event.cursor_row < len(self.rows):
            return
        item = self.rows[event.cursor_row]
        if isinstance(self.selected, AnchorNode):
            summary = f"rule {self.selected.ref(item)}: {rule_text(item)}"
        elif isinstance(self.selected, LintList):
            summary = f"lint {item.severity}: {item.check}: {item.message}"
        else:
            summary = f"<{self.selected.name}> entry {'!' if item.negated else ''}{item.net} {item.comment}".rstrip()
        self.app.push_screen(EvidenceScreen(Citation(item.source.file, item.source.line), summary))

    def _detail(self, text: str) -> None:
        self.detail_text = text
        self.query_one("#detail", Static).update(Text(text))

    def to_markdown(self) -> str:
        out = ["# ask-zero rules"]
        if isinstance(self.selected, LintList):
            out += ["", "## lint", "", md_table(["severity", "source", "check", "finding"],
                                                [[f.severity, f.source, f.check, f.message] for f in self.rows])]
        elif isinstance(self.selected, Table):
            out += ["", table_summary(self.selected), "",
                    md_table(["entry", "source", "comment"],
                             [[("!" if e.negated else "") + str(e.net), e.source, e.comment] for e in self.rows])]
        elif isinstance(self.selected, AnchorNode):
            node = self.selected
            out += ["", f"## {node.label}", "",
                    md_table(["#", "action", "source", "lint", "rule"],
                             [[node.ref(r), r.action, r.source,
                               lint_mark(self.lint.get((r.source.file, r.source.line), [])), f"`{rule_text(r)}`"]
                              for r in self.rows])]
            findings = [f for r in self.rows for f in self.lint.get((r.source.file, r.source.line), [])]
            unique = list(dict.fromkeys(str(f) for f in findings))
            if unique:
                out += ["", "Lint findings:", ""] + [f"- {f}" for f in unique]
        out += ["", "Selected:", "", "```", self.detail_text, "```"]
        return "\n".join(out)

    def anchor_labels(self) -> list[str]:
        return [n.label for n in walk(self.anchor_root)] if self.anchor_root else []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
