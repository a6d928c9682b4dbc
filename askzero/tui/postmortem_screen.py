"""The postmortem screen: pick a window (and optionally the address and template), generate,
read the preview, save it with Ctrl+S. The report itself is askzero.report's, every sentence
cited; this screen only asks for it and shows it."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, Static
from textual.worker import get_current_worker

from askzero.errors import AskZeroError

TEMPLATES = ("internal", "nis2", "dora")
FIELDS = (("pm-from", "from (first event)"), ("pm-to", "to (last event)"), ("pm-ip", "address (auto)"),
          ("pm-template", "internal|nis2|dora"))


class PostmortemScreen(Screen[None]):
    EXPORT_NAME = "postmortem"
    AUTO_FOCUS = "#pm-from"
    DEFAULT_CSS = """
    PostmortemScreen #pm-fields { height: 1; }
    PostmortemScreen #pm-fields Input { width: 1fr; margin: 0 1 0 0; }
    PostmortemScreen #pm-status { height: auto; max-height: 2; color: $text-muted; padding: 0 1; }
    PostmortemScreen #pm-scroll { height: 1fr; }
    """
    BINDINGS = [Binding("ctrl+g", "generate", "Generate")]

    def __init__(self) -> None:
        super().__init__()
        self.report = ""
        self.error_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="pm-fields"):
            for ident, placeholder in FIELDS:
                yield Input(placeholder=placeholder, id=ident, compact=True)
        yield Static(Text("Enter (or Ctrl+G) writes the report for the window; Ctrl+S saves it. "
                          "Empty fields: the whole span of the site's data."), id="pm-status")
        with VerticalScroll(id="pm-scroll"):
            yield Markdown("", id="pm-preview")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Postmortem"

    def fields(self) -> dict[str, str]:
        return {ident[3:]: self.query_one(f"#{ident}", Input).value.strip() for ident, _ in FIELDS}

    @on(Input.Submitted, "#pm-fields Input")
    def action_generate(self) -> None:
        values = self.fields()
        template = values["template"] or "internal"
        if template not in TEMPLATES:
            self._show_error(f"template: choose from {', '.join(TEMPLATES)}")
            return
        self.query_one("#pm-status", Static).update(Text("writing the report…"))
        self._generate(values["from"], values["to"], values["ip"], template)

    @work(thread=True, exclusive=True, group="postmortem")
    def _generate(self, since: str, until: str, ip: str, template: str) -> None:
        try:
            report = self.app.session.postmortem(since, until, ip, template)  # type: ignore[attr-defined]
        except (AskZeroError, ValueError) as exc:
            report, error = "", str(exc)
        else:
            error = ""
        if get_current_worker().is_cancelled:  # newer fields were submitted meanwhile
            return
        if error:
            self.app.call_from_thread(self._show_error, error)
        else:
            self.app.call_from_thread(self._show, report)

    def _show_error(self, message: str) -> None:
        self.error_text = message
        self.query_one("#pm-status", Static).update(Text(message, style="bold red"))

    async def _show(self, report: str) -> None:
        self.report, self.error_text = report, ""
        title = report.splitlines()[0].lstrip("# ") if report else "empty report"
        self.query_one("#pm-status", Static).update(
            Text(f"{title}: {len(report.splitlines())} lines. Ctrl+S saves it as markdown."))
        await self.query_one("#pm-preview", Markdown).update(report)
        self.query_one("#pm-scroll", VerticalScroll).scroll_home(animate=False)

    def to_markdown(self) -> str:
        return self.report or "(no report generated yet: Enter in a field of the postmortem screen)"
