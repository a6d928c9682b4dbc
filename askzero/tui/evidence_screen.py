"""The evidence pane: the file a citation names, scrolled to the cited lines, highlighted."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from askzero.evidence import Citation
from askzero.tui.excerpt import Excerpt, as_citation, load_excerpt
from askzero.tui.highlight import cited_markdown, cited_view

ABOVE = 3  # lines of context kept above the first cited line when scrolling to it


class EvidenceScreen(Screen[None]):
    """Pushed over the chat; Escape (or q) returns to it."""

    DEFAULT_CSS = """
    EvidenceScreen #evidence-title { height: auto; max-height: 5; background: $boost; padding: 0 1; }
    EvidenceScreen #evidence-scroll { height: 1fr; }
    EvidenceScreen #evidence-lines { width: auto; min-width: 100%; }
    """
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, citation: Citation | dict, summary: str = "") -> None:
        super().__init__()
        self.citation = as_citation(citation)
        self.summary = summary
        self.excerpt: Excerpt | None = None

    def compose(self) -> ComposeResult:
        title = Text(str(self.citation), style="bold")
        if self.summary:
            title.append("\n" + self.summary)
        yield Static(title, id="evidence-title")
        with VerticalScroll(id="evidence-scroll"):
            yield Static("reading…", id="evidence-lines")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = str(self.citation)
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        excerpt = load_excerpt(self.app.session, self.citation)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, excerpt)

    def _show(self, excerpt: Excerpt) -> None:
        self.excerpt = excerpt
        view = self.query_one("#evidence-lines", Static)
        if not excerpt.lines:
            view.update(excerpt.note or "nothing to show")
            return
        text = cited_view(excerpt.lines, excerpt.first, excerpt.cited, excerpt.language)
        if excerpt.note:
            text.append(f"\n\n({excerpt.note})", style="italic")
        view.update(text)
        first = excerpt.first_cited
        if first is not None:
            target = max(0, first - excerpt.first - ABOVE)
            self.call_after_refresh(lambda: self.query_one("#evidence-scroll").scroll_to(y=target, animate=False))

    def to_markdown(self) -> str:
        out = [f"# Evidence: {self.citation}", ""]
        if self.summary:
            out += [self.summary, ""]
        if self.excerpt is not None and self.excerpt.lines:
            out.append(cited_markdown(self.excerpt.lines, self.excerpt.first, self.excerpt.cited))
        elif self.excerpt is not None:
            out.append(self.excerpt.note)
        return "\n".join(out)
