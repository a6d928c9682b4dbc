"""The packet tester: one flow in pf's own words, the verdict and the rules that matched."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from askzero.errors import AskZeroError
from askzero.evidence import Citation
from askzero.pf.evaluate import Verdict
from askzero.tui.evidence_screen import EvidenceScreen
from askzero.tui.export import md_table

EXAMPLE = "in on em0 proto tcp from 203.0.113.7 port 40000 to 192.0.2.10 port 22"


def verdict_lines(verdict: Verdict) -> list[str]:
    """The verdict in plain lines (the screen styles the first; the export uses them as is)."""
    d = verdict.to_dict()
    lines = [f"{verdict.action.upper()}  {verdict.flow}"]
    if verdict.decision == "rule" and d["rule"]:
        r = d["rule"]
        lines.append(f"decided by rule {r['number']} at {r['file']}:{r['line']}: {r['text']}")
    elif verdict.decision == "skip" and d["rule"]:
        lines.append(f"not filtered: set skip at {d['rule']['file']}:{d['rule']['line']}")
    else:
        lines.append("no rule matched: pf's default (pass)")
    for hit in d["tables"]:
        where = f" via {hit['entry']} at {hit['file']}:{hit['line']}" if "entry" in hit else ""
        comment = f" ({hit['comment']})" if hit.get("comment") else ""
        state = "in" if hit["member"] else "not in"
        lines.append(f"{hit['address']} {state} <{hit['table']}>{where}{comment}")
    lines += [f"rewrite: {t}" for t in verdict.translations]
    lines += [f"uncertain: {u}" for u in verdict.uncertain]
    lines += [f"note: {n}" for n in verdict.notes]
    return lines


class PacketScreen(Screen[None]):
    AUTO_FOCUS = "#flow"  # where typing goes when the screen is shown (again)
    EXPORT_NAME = "packet"
    DEFAULT_CSS = """
    PacketScreen #flow { margin: 0 0 0 0; }
    PacketScreen #verdict-scroll { height: auto; max-height: 40%; padding: 0 1; }
    PacketScreen #trace { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.verdict: Verdict | None = None
        self.error_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=EXAMPLE, id="flow")
        with VerticalScroll(id="verdict-scroll"):
            yield Static(Text("Type a flow in pf's words and press Enter, e.g.\n" + EXAMPLE), id="verdict")
        yield DataTable(id="trace", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Packet tester"
        self.query_one("#trace", DataTable).add_columns("#", "action", "source", "rule")
        self.query_one("#flow", Input).focus()

    @on(Input.Submitted, "#flow")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self._evaluate(text)

    @work(thread=True, exclusive=True)
    def _evaluate(self, text: str) -> None:
        try:
            verdict = self.app.session.evaluate(text)  # type: ignore[attr-defined]
        except AskZeroError as exc:
            verdict, error = None, str(exc)
        else:
            error = ""
        if get_current_worker().is_cancelled:  # a newer flow was entered meanwhile
            return
        if verdict is None:
            self.app.call_from_thread(self._show_error, error)
        else:
            self.app.call_from_thread(self._show, verdict)

    def _show_error(self, message: str) -> None:
        self.verdict, self.error_text = None, message
        self.query_one("#verdict", Static).update(Text(message, style="bold red"))
        self.query_one("#trace", DataTable).clear()

    def _show(self, verdict: Verdict) -> None:
        self.verdict, self.error_text = verdict, ""
        lines = verdict_lines(verdict)
        text = Text(lines[0].split()[0], style="bold white on red" if verdict.action == "block" else "bold black on green")
        text.append(lines[0][len(verdict.action):])
        for line in lines[1:]:
            text.append("\n" + line)
        self.query_one("#verdict", Static).update(text)
        table = self.query_one("#trace", DataTable)
        table.clear()
        for m in verdict.trace:
            decided = verdict.rule is not None and m.ref == verdict.rule.ref
            table.add_row(Text(m.ref, style="bold" if decided else ""), m.rule.action, str(m.rule.source),
                          m.to_dict()["text"])

    @on(DataTable.RowSelected, "#trace")
    def _open_source(self, event: DataTable.RowSelected) -> None:
        """Enter on a rule of the trace: the evidence pane on its source line."""
        if self.verdict is None or not 0 <= event.cursor_row < len(self.verdict.trace):
            return
        match = self.verdict.trace[event.cursor_row]
        source = match.rule.source
        self.app.push_screen(EvidenceScreen(Citation(source.file, source.line),
                                            f"rule {match.ref}: {match.to_dict()['text']}"))

    def to_markdown(self) -> str:
        flow = self.query_one("#flow", Input).value
        out = ["# ask-zero packet test", "", f"Flow: `{flow}`", ""]
        if self.error_text:
            return "\n".join(out + [f"Error: {self.error_text}"])
        if self.verdict is None:
            return "\n".join(out + ["(no flow evaluated)"])
        out += [f"- {line}" for line in verdict_lines(self.verdict)]
        out += ["", "Rules that matched, in order:", "",
                md_table(["#", "action", "source", "rule"],
                         [[m.ref, m.rule.action, m.rule.source, f"`{m.to_dict()['text']}`"] for m in self.verdict.trace])]
        return "\n".join(out)
