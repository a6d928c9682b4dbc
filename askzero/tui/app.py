"""The ask-zero Textual app: a thin shell holding the session and switching screens.

Each screen lives in its own module and does its slow work in workers; the app only loads the
site once (in a worker too), routes the global keys and writes exports.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.binding import Binding

from askzero.tui.chat import ChatScreen
from askzero.tui.events_screen import EventsScreen
from askzero.tui.export import write_markdown
from askzero.tui.help import HelpScreen
from askzero.tui.packet import PacketScreen
from askzero.tui.postmortem_screen import PostmortemScreen
from askzero.tui.rules import RulesScreen
from askzero.tui.session import Session


class AskZeroApp(App[None]):
    TITLE = "ask-zero"
    MODES = {"chat": ChatScreen, "rules": RulesScreen, "packet": PacketScreen, "events": EventsScreen,
             "postmortem": PostmortemScreen}
    DEFAULT_MODE = "chat"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "switch_mode('chat')", "Chat"),
        Binding("f3", "switch_mode('rules')", "Rules"),
        Binding("f4", "switch_mode('packet')", "Packet"),
        Binding("f5", "switch_mode('events')", "Events"),
        Binding("f6", "switch_mode('postmortem')", "Report"),
        Binding("ctrl+s", "export", "Export"),
        # not in the footer: 80 columns hold the screens' keys; F1 and the chat's welcome say it
        Binding("ctrl+q", "quit", "Quit", show=False),
    ]
    # the command palette would add a key and a header icon operators do not need here
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.sub_title = f"site {session.site.name}"

    def on_mount(self) -> None:
        if self.session.site.notice:  # e.g. the demo site was chosen because none was configured
            self.notify(self.session.site.notice.removeprefix("ask-zero: "), timeout=10)
        self._load()

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        # the ruleset, log store and model load once, here; screens asking meanwhile wait on
        # the session lock inside their own workers, so nothing blocks the interface
        report = self.session.load()
        notes = [*report.notes, self.session.load_model()]
        for note in filter(None, notes):
            self.call_from_thread(self.notify, note, severity="warning", timeout=8)

    async def action_quit(self) -> None:
        # workers see the cancellation at the model's next token; without it the process
        # would wait at exit for the model to finish its answer
        self.workers.cancel_all()
        self.exit()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        screen = self.screen
        render = getattr(screen, "to_markdown", None)
        if render is None:
            self.notify("Nothing to export on this screen.", severity="warning")
            return
        name = getattr(screen, "EXPORT_NAME", type(screen).__name__.removesuffix("Screen"))
        try:
            path = write_markdown(name, render())
        except OSError as exc:
            self.notify(f"Export failed: {exc}", severity="error")
            return
        self.notify(f"Exported to {path}", title="Export")
