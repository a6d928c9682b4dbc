"""The chat screen: ask a question, watch the answer arrive, open its citations."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from askzero.assistant.answer import Answer
from askzero.errors import AskZeroError
from askzero.tui.evidence_screen import EvidenceScreen

KIND_NAMES = {"pf_verdict": "pf verdict", "table_entry": "table entry", "pflog": "pflog records",
              "ids": "Suricata alerts", "auth": "authlog"}


class Exchange(Vertical):
    """One question, its answer (streamed, then completed) and its numbered citations."""

    DEFAULT_CSS = """
    Exchange { height: auto; margin: 0 0 1 0; }
    Exchange .question { color: $accent; text-style: bold; }
    Exchange .answer { padding: 0 0 0 2; }
    Exchange .status { color: $text-muted; padding: 0 0 0 2; }
    Exchange OptionList { height: auto; max-height: 12; margin: 0 0 0 2; border: none; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self.answer: Answer | None = None
        self.lead = ""
        self.status = "thinking…"
        self._clock: Timer | None = None
        self._started = 0.0

    def compose(self) -> ComposeResult:
        yield Static(Text("› " + self.question), classes="question")
        yield Static("", classes="answer")
        yield Static(self.status, classes="status")
        yield OptionList(classes="citations")

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False

    def stream(self, lead: str) -> None:
        self.lead = lead
        self.query_one(".answer", Static).update(Text(lead))

    def set_status(self, status: str, busy: bool = False) -> None:
        """Show the status; a busy one counts the seconds, so a slow model looks alive."""
        self.status = status
        self.query_one(".status", Static).update(Text(status))
        if busy and self._clock is None:
            self._started = time.monotonic()
            self._clock = self.set_interval(1.0, self._tick)
        elif not busy and self._clock is not None:
            self._clock.stop()
            self._clock = None

    def _tick(self) -> None:
        seconds = int(time.monotonic() - self._started)
        self.query_one(".status", Static).update(Text(f"{self.status} {seconds} s"))

    def finish(self, answer: Answer, status: str) -> None:
        self.answer = answer
        self.query_one(".answer", Static).update(Text(self.text))
        self.set_status(status)
        citations = self.query_one(OptionList)
        citations.clear_options()
        for i, ev in enumerate(answer.evidence, 1):
            label = Text.assemble((f"[{i}] ", "bold"), (str(ev.citation), "underline"),
                                  f"  {KIND_NAMES.get(ev.kind, ev.kind.replace('_', ' '))}")
            citations.add_option(Option(label, id=str(i - 1)))
        citations.display = bool(answer.evidence)

    def fail(self, message: str) -> None:
        self.query_one(".answer", Static).update(Text(message, style="red"))
        self.set_status("")

    @property
    def text(self) -> str:
        """What the answer says: the model's lead (if any), then the evidence rendering."""
        if self.answer is None:
            return self.lead
        return "\n\n".join(p for p in (self.lead.strip(), self.answer.summary) if p)

    def to_markdown(self) -> str:
        out = [f"## {self.question}", "", self.text or "(no answer)"]
        if self.answer is not None and self.answer.evidence:
            out += ["", "Citations:", ""]
            out += [f"{i}. `{ev.citation}`: {ev.summary}" for i, ev in enumerate(self.answer.evidence, 1)]
        return "\n".join(out)


class ChatScreen(Screen[None]):
    AUTO_FOCUS = "#question"  # where typing goes when the screen is shown (again)
    DEFAULT_CSS = """
    ChatScreen #conversation { height: 1fr; padding: 0 1; }
    ChatScreen #welcome { color: $text-muted; margin: 0 0 1 0; }
    ChatScreen #question { dock: bottom; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Stop"),
        Binding("ctrl+o", "focus_citations", "Citations"),
        Binding("ctrl+l", "focus_question", "Ask", show=False),
        # Up/Down reach the screen only from the question box: lists keep their own
        Binding("up", "history(-1)", "Previous question", show=False),
        Binding("down", "history(1)", "Next question", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._answer_worker: Worker | None = None
        self.history: list[str] = []
        self._recall = 0  # position in history while Up/Down browse it

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="conversation"):
            yield Static(self._welcome(), id="welcome")
        yield Input(placeholder="Ask: Why is 203.0.113.7 blocked?", id="question")
        yield Footer(compact=True)

    def _welcome(self) -> Text:
        site = self.app.session.site  # type: ignore[attr-defined]
        text = Text(f"Site {site.name}", style="bold")
        if site.description:
            text.append(f": {site.description}", style="")
        text.append("\nAsk about addresses, rules, alerts. Enter to ask, F1 for help, Ctrl+Q to quit.")
        return text

    def on_mount(self) -> None:
        self.sub_title = "Chat"
        self.query_one("#question", Input).focus()

    @on(Input.Submitted, "#question")
    def _ask(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        event.input.clear()
        if not self.history or self.history[-1] != question:
            self.history.append(question)
        self._recall = len(self.history)
        if self._answer_worker is not None and self._answer_worker.is_running:
            self.notify("Still answering the last question (Escape stops the model).", severity="warning")
            event.input.value = question
            return
        exchange = Exchange(question)
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.mount(exchange)
        conversation.scroll_end(animate=False)
        self._answer_worker = self._answer(exchange, question)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="answer")
    def _answer(self, exchange: Exchange, question: str) -> None:
        # runs in a thread: the model may take seconds, the interface must keep drawing
        worker = get_current_worker()
        session = self.app.session  # type: ignore[attr-defined]
        app = self.app

        def post(fn: object, *args: object) -> None:
            # the operator may quit mid-answer: then there is nothing left to update
            if not app.is_running:
                return
            try:
                app.call_from_thread(fn, *args)  # type: ignore[arg-type]
            except RuntimeError:
                pass
        try:
            answer = session.gather(question)
        except AskZeroError as exc:
            post(exchange.fail, f"ask-zero: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not take the operator's session down
            post(exchange.fail, f"ask-zero: internal error: {type(exc).__name__}: {exc}")
            return
        lead, trouble = "", ""
        if answer.evidence and not session.no_llm:
            post(exchange.set_status, "loading the model… (Escape skips it)", True)
            session.load_model()
        if session.uses_model and answer.evidence and not worker.is_cancelled:
            post(exchange.set_status, f"{session.model_label} is phrasing the answer… (Escape stops it)", True)
            pieces = session.phrase(answer, stop=lambda: worker.is_cancelled)
            try:
                for piece in pieces:
                    if worker.is_cancelled:
                        break
                    lead += piece
                    post(exchange.stream, lead)
            except Exception as exc:  # noqa: BLE001 - the evidence answer does not need the model
                trouble = f"model failed ({exc}); "
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()  # ends the model's stream now rather than when it is collected
        status = trouble + _status(answer, session.uses_model, worker.is_cancelled)
        post(exchange.finish, answer, status)
        post(self._scroll_to, exchange)
        post(self.refresh_bindings)

    def _scroll_to(self, exchange: Exchange) -> None:
        # the answer is read from its first line (citations are a Ctrl+O away); after the next
        # refresh, since the finished answer's height is known only once laid out
        conversation = self.query_one("#conversation", VerticalScroll)
        self.call_after_refresh(conversation.scroll_to_widget, exchange, top=True, animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape is offered (and shown in the footer) only while a model is answering
        if action == "cancel":
            return self._answer_worker is not None and self._answer_worker.is_running
        return True

    def action_cancel(self) -> None:
        if self._answer_worker is not None and self._answer_worker.is_running:
            self._answer_worker.cancel()
            self.notify("Model stopped: the answer from the evidence follows.")

    def action_focus_citations(self) -> None:
        lists = [o for o in self.query(".citations").results(OptionList) if o.display]
        if lists:
            lists[-1].focus()
            if lists[-1].highlighted is None:
                lists[-1].highlighted = 0

    def action_history(self, step: int) -> None:
        field = self.query_one("#question", Input)
        if not field.has_focus or not self.history:
            return
        self._recall = max(0, min(len(self.history), self._recall + step))
        field.value = self.history[self._recall] if self._recall < len(self.history) else ""
        field.cursor_position = len(field.value)

    def action_focus_question(self) -> None:
        self.query_one("#question", Input).focus()

    @on(OptionList.OptionSelected, ".citations")
    def _open(self, event: OptionList.OptionSelected) -> None:
        exchange = next(a for a in event.option_list.ancestors if isinstance(a, Exchange))
        if exchange.answer is None or event.option.id is None:
            return
        ev = exchange.answer.evidence[int(event.option.id)]
        self.app.push_screen(EvidenceScreen(ev.citation, ev.summary))

    def exchanges(self) -> list[Exchange]:
        return list(self.query(Exchange).results(Exchange))

    def to_markdown(self) -> str:
        site = self.app.session.site  # type: ignore[attr-defined]
        parts = [f"# ask-zero chat: site {site.name}"]
        parts += [x.to_markdown() for x in self.exchanges()]
        return "\n\n".join(parts)


def _status(answer: Answer, model: bool, stopped: bool) -> str:
    if not answer.evidence:
        return "no evidence found"
    n = len(answer.evidence)
    cites = f"{n} citation{'s' if n != 1 else ''}: Ctrl+O, then Enter to open one"
    if stopped and model:
        return f"model stopped; answer from the evidence · {cites}"
    dropped = sum(1 for g in answer.guard if not g.kept)
    checked = f"; {dropped} model sentence{'s' if dropped != 1 else ''} dropped by the guard" if dropped else ""
    if model and answer.phrased_by == "model":
        return f"phrased by {answer.model}, checked against the evidence{checked} · {cites}"
    return f"answer from the evidence{checked} · {cites}"
