"""The help screen (F1 or ?): every key, screen by screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]ask-zero[/b]: answers from this site's own files, every fact cited.

[b]Everywhere[/b]
  F1, ?        this help (? when no input has the focus)
  F2 ... F6    Chat, Rules, Packet tester, Events, Postmortem
  Tab          next field or list (Shift+Tab: back)
  Enter        on a rule, table entry, trace row or event:
               open its source line (Escape closes)
  Ctrl+S       export this screen to markdown
               (in $ASKZERO_HOME/exports, else here)
  Ctrl+Q       quit

[b]Chat[/b] (F2)
  question, Enter   e.g. Why is 203.0.113.7 blocked?
  Up, Down          earlier questions
  Escape            stop the model; the evidence answer follows
  Ctrl+O            go to the last answer's citations
  Enter             open the selected citation, lines highlighted
                    (Escape closes it)

[b]Rules[/b] (F3)
  tree: anchors and tables; table: rules with pflog numbers,
  file:line and lint; below: the selected rule explained

[b]Packet tester[/b] (F4)
  a flow in pf's words, Enter:
  in on em0 proto tcp from 203.0.113.7 port 40000
     to 192.0.2.10 port 22

[b]Events[/b] (F5)
  filters: address, severity (1 highest), signature, kinds
  (alert, block, auth, flow...), window ("last hour", "02:00-02:30",
  relative to the newest event); Enter applies.
  Select an event to see its related records.

[b]Postmortem[/b] (F6)
  from, to (e.g. 01:55, "2 hours ago", counted from the newest event),
  address, template (internal, nis2, dora); Enter or Ctrl+G writes
  the report, every sentence cited; Ctrl+S saves it.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96%; max-width: 96; height: 90%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,f1,question_mark", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP, id="help-text")

    def to_markdown(self) -> str:
        from rich.text import Text

        return "# ask-zero keys\n\n```\n" + Text.from_markup(HELP).plain + "\n```"
