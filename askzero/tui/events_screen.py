"""Alerts and events from the log store: filters, a timeline of events per bucket, the events
table and the records related to the selected one (same connection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Sparkline, Static
from textual.worker import get_current_worker

from askzero.tui import timeline
from askzero.tui.evidence_screen import EvidenceScreen
from askzero.tui.excerpt import as_citation
from askzero.tui.export import md_table

COLUMNS = ("time (UTC)", "kind", "source", "destination", "sev", "what")
LIMIT = 500  # rows in the table; the count above it is the full count
# placeholders short enough for five fields in 80 columns; the help screen explains them
FILTERS = (("f-ip", "address/CIDR"), ("f-severity", "severity 1-4"), ("f-signature", "signature"),
           ("f-kind", "kinds"), ("f-window", "window"))


@dataclass
class EventView:
    """One query's results, kept for the export and the tests."""

    criteria: dict[str, str] = field(default_factory=dict)
    count: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    buckets: list[tuple[datetime, int]] = field(default_factory=list)
    bucket_size: int = 3600
    error: str = ""


def build_filter(criteria: dict[str, str], now: datetime | None) -> Any:
    """The store filter for what the operator typed; ValueError says which field is wrong."""
    from askzero.logs.query import Filter
    from askzero.logs.timeexpr import parse_window

    flt = Filter()
    if criteria.get("ip"):
        import ipaddress

        try:
            ipaddress.ip_network(criteria["ip"], strict=False)
        except ValueError:
            raise ValueError(f"address: not an address or network: {criteria['ip']}") from None
        flt.ip = criteria["ip"]
    if criteria.get("severity"):
        if not criteria["severity"].isdigit():
            raise ValueError("severity: a number from 1 (highest) to 4")
        flt.severity = int(criteria["severity"])
    if criteria.get("signature"):
        flt.signature = criteria["signature"]
    if criteria.get("kind"):
        flt.kinds = tuple(k.strip() for k in criteria["kind"].replace(" ", ",").split(",") if k.strip())
    if criteria.get("window"):
        try:
            window = parse_window(criteria["window"], now=now)
        except ValueError as exc:
            raise ValueError(f"window: {exc}") from None
        flt.since, flt.until = window.since, window.until
    return flt


def run_query(session: Any, criteria: dict[str, str]) -> EventView:
    """Events, count and timeline for the criteria (runs in a worker thread)."""
    from askzero.logs.query import events, first_last, histogram

    view = EventView(dict(criteria))
    newest = session.last_event_time()
    # windows end before "now" (exclusive): a second past the newest event keeps it inside
    now = newest + timedelta(seconds=1) if newest is not None else None
    try:
        flt = build_filter(criteria, now)
    except ValueError as exc:
        view.error = str(exc)
        return view
    result = session.log_call(events, flt, limit=LIMIT)
    if result is None:
        view.error = "no log store for this site (or another process is ingesting)"
        return view
    view.count, view.events = result.count, result.events
    first, last, _ = session.log_call(first_last, flt)
    view.bucket_size = timeline.bucket_seconds(first, last)
    view.buckets = timeline.fill(session.log_call(histogram, flt, view.bucket_size), view.bucket_size)
    return view


def event_row(event: dict[str, Any]) -> list[str]:
    def ep(addr: str | None, port: int | None) -> str:
        return "" if addr is None else f"{addr}:{port}" if port is not None and ":" not in addr else addr

    what = event.get("signature") or event.get("message") or ""
    return [(event.get("time") or "").replace("T", " ")[:19], event.get("kind", ""),
            ep(event.get("src"), event.get("sport")), ep(event.get("dst"), event.get("dport")),
            str(event.get("severity", "")), what]


def citation_text(event: dict[str, Any]) -> str:
    c = event.get("citation", {})
    return f"{c.get('file')}:{c['line']}" if "line" in c else f"{c.get('file')} ({c.get('record')})"


class EventsScreen(Screen[None]):
    AUTO_FOCUS = "#f-ip"  # where typing goes when the screen is shown (again)
    EXPORT_NAME = "events"
    DEFAULT_CSS = """
    EventsScreen #filters { height: 1; }
    EventsScreen #filters Input { width: 1fr; margin: 0 1 0 0; }
    EventsScreen #timeline-label { height: auto; max-height: 2; color: $text-muted; padding: 0 1; }
    EventsScreen #timeline { height: 1; margin: 0 1; }
    EventsScreen #events { height: 1fr; }
    EventsScreen #related-scroll { height: 7; border-top: solid $panel; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.result = EventView()
        self.related: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            for ident, placeholder in FILTERS:
                yield Input(placeholder=placeholder, id=ident, compact=True)
        yield Static("loading the log store…", id="timeline-label")
        yield Sparkline([], id="timeline")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="related-scroll"):
            yield Static("", id="related")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Events"
        self.query_one("#f-ip", Input).focus()
        self.apply_filters()

    def criteria(self) -> dict[str, str]:
        return {ident[2:]: self.query_one(f"#{ident}", Input).value.strip() for ident, _ in FILTERS}

    @on(Input.Submitted, "#filters Input")
    def apply_filters(self) -> None:
        self._query(self.criteria())

    @work(thread=True, exclusive=True, group="events")
    def _query(self, criteria: dict[str, str]) -> None:
        view = run_query(self.app.session, criteria)  # type: ignore[attr-defined]
        # a newer query replaced this one while it ran: its results must not overwrite the newer ones
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, view)

    def _show(self, view: EventView) -> None:
        self.result = view
        label = self.query_one("#timeline-label", Static)
        if view.error:
            label.update(Text(view.error, style="bold red"))
            return
        shown = f" (first {len(view.events)} listed)" if view.count > len(view.events) else ""
        label.update(Text(f"{view.count} events{shown} · {timeline.describe(view.buckets, view.bucket_size)}"))
        self.query_one("#timeline", Sparkline).data = [n for _, n in view.buckets] or [0]
        table = self.query_one("#events", DataTable)
        table.clear(columns=True)  # columns sized for these rows, not for earlier results
        table.add_columns(*COLUMNS)
        for event in view.events:
            table.add_row(*event_row(event))
        self.query_one("#related", Static).update("" if view.events else "no events match")

    @on(DataTable.RowHighlighted, "#events")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.result.events):
            self._related(self.result.events[event.cursor_row])

    @work(thread=True, exclusive=True, group="related")
    def _related(self, event: dict[str, Any]) -> None:
        from askzero.logs.query import related

        c = event.get("citation", {})
        number = c.get("line")
        if number is None:  # a binary pflog record: "record N"
            digits = str(c.get("record", "")).split()[-1:]
            number = int(digits[0]) if digits and digits[0].isdigit() else None
        result = None if number is None else self.app.session.log_call(related, c.get("file"), number)  # type: ignore[attr-defined]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_related, event, result.events if result else [])

    def _show_related(self, event: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.related = records
        text = Text(f"{citation_text(event)}: {event.get('message') or event.get('signature') or ''}", style="bold")
        others = [r for r in records if r.get("citation") != event.get("citation")]
        if others:
            text.append(f"\n{len(others)} related record{'s' if len(others) != 1 else ''} (same connection):")
            for r in others:
                row = event_row(r)
                text.append(f"\n  {row[0]}  {row[1]:<6} {row[3] and row[2] + ' > ' + row[3]}  {row[5]}  ({citation_text(r)})")
        else:
            text.append("\nno related records")
        self.query_one("#related", Static).update(text)

    @on(DataTable.RowSelected, "#events")
    def _open_record(self, event: DataTable.RowSelected) -> None:
        """Enter on an event: the evidence pane on its log line (or decoded pflog record)."""
        if 0 <= event.cursor_row < len(self.result.events):
            chosen = self.result.events[event.cursor_row]
            what = chosen.get("signature") or chosen.get("message") or chosen.get("kind", "")
            self.app.push_screen(EvidenceScreen(as_citation(chosen["citation"]), str(what)))

    def to_markdown(self) -> str:
        view = self.result
        crit = ", ".join(f"{k} = {v}" for k, v in view.criteria.items() if v) or "none"
        out = ["# ask-zero events", "", f"Filters: {crit}", ""]
        if view.error:
            return "\n".join(out + [f"Error: {view.error}"])
        out += [f"{view.count} events; {timeline.describe(view.buckets, view.bucket_size)}", "",
                md_table([*COLUMNS, "citation"],
                         [[*event_row(e), citation_text(e)] for e in view.events])]
        if view.buckets:
            out += ["", "Events per bucket:", "",
                    md_table(["bucket (UTC)", "events"], [[timeline.stamp(t), n] for t, n in view.buckets if n])]
        return "\n".join(out)
