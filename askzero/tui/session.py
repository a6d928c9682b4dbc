"""Everything the TUI asks of the core, behind one lock.

The screens run these calls in worker threads so the interface never waits on them. The core
objects (SiteContext's cached properties, the DuckDB connection) are not meant to be used
from two threads at once, so every call takes the session lock: calls from different screens
simply queue. The model has a lock of its own, so that loading it holds nothing else up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from askzero.assistant.answer import Answer, gather, phrase
from askzero.assistant.context import SiteContext
from askzero.errors import AskZeroError
from askzero.site import Site


@dataclass
class LoadReport:
    """What loading found: notes to show the operator (a busy store, a broken ruleset...)."""

    notes: list[str] = field(default_factory=list)


class Session:
    """One site, its parsed sources, log store and (optionally) the model, loaded once."""

    def __init__(self, site: Site, no_llm: bool = False, model: str | None = None, llm: Any = None) -> None:
        self.site = site
        self.ctx = SiteContext(site)
        self.no_llm = no_llm
        self.model_name = model
        self.llm = llm  # tests hand in a stand-in with ``stream_chat``
        self.report: LoadReport | None = None
        self._lock = threading.RLock()
        self._model_lock = threading.Lock()
        self._model_tried = False
        self._findings: list | None = None

    # -- loading -------------------------------------------------------------------------

    def load(self) -> LoadReport:
        """Parse the ruleset and bring the log store up to date; idempotent.

        The model loads separately (``load_model``) so that browsing rules or events never
        waits for it.
        """
        with self._lock:
            if self.report is not None:
                return self.report
            report = LoadReport()
            try:
                self.ctx.evaluator  # noqa: B018 - parses pf.conf and builds the evaluator
            except AskZeroError as exc:
                report.notes.append(f"pf: {exc}")
            try:
                self.ctx.logs  # noqa: B018 - opens the store and ingests what was appended
            except AskZeroError as exc:
                report.notes.append(f"logs: {exc}")
            report.notes += self.ctx.log_notes  # a busy store, malformed records
            self.report = report
            return report

    def load_model(self) -> str | None:
        """Load the model once (unless --no-llm); returns a note when it could not be loaded."""
        with self._model_lock:
            if self._model_tried:
                return None
            self._model_tried = True
            if self.no_llm or self.llm is not None:
                return None
            try:
                from askzero.assistant.llm import load_llm

                self.llm = load_llm(self.model_name)
            except (AskZeroError, ImportError, OSError) as exc:
                # without a model the answers are still complete: rendered from evidence
                return f"model not loaded ({exc}); answering from evidence alone"
            return None

    @property
    def model_label(self) -> str:
        spec = getattr(self.llm, "spec", None)
        return getattr(self.llm, "name", None) or getattr(spec, "name", None) or self.model_name or "default"

    @property
    def uses_model(self) -> bool:
        return not self.no_llm and self.llm is not None

    # -- questions -----------------------------------------------------------------------

    def gather(self, question: str) -> Answer:
        self.load()
        with self._lock:
            return gather(self.ctx, question)

    def phrase(self, answer: Answer, stop: Callable[[], bool] = lambda: False) -> Iterator[str]:
        """The model's guarded lead sentences, piece by piece (nothing without a model).

        ``stop`` is asked between tokens: the guard holds text back until a sentence is
        complete (and drops some), so checking only between the sentences it lets through
        would leave the model running for seconds after the operator pressed Escape.
        """
        if not self.uses_model or not answer.evidence:
            return iter(())
        return phrase(answer, _Interruptible(self.llm, stop), self.model_label)

    # -- pf ------------------------------------------------------------------------------

    @property
    def pf(self):  # noqa: ANN201 - askzero.pf.PfConfig
        self.load()
        with self._lock:
            return self.ctx.pf

    def findings(self) -> list:
        """pf lint findings for the ruleset, computed once."""
        with self._lock:
            if self._findings is None:
                from askzero.pf.lint import lint

                self._findings = lint(self.pf)
            return self._findings

    def evaluate(self, text: str):  # noqa: ANN201 - askzero.pf.Verdict
        """Parse a flow in pf's words and evaluate it; UsageError names a bad word."""
        from askzero.pf import parse_flow

        flow = parse_flow(text)
        self.load()
        with self._lock:
            return self.ctx.evaluator.evaluate(flow)

    # -- logs ----------------------------------------------------------------------------

    @property
    def store(self):  # noqa: ANN201 - askzero.logs.store.LogStore or None
        self.load()
        with self._lock:
            try:
                return self.ctx.logs
            except AskZeroError:
                return None

    def log_call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a query function of askzero.logs.query against the store (None without one)."""
        store = self.store
        if store is None:
            return None
        with self._lock:
            return fn(store, *args, **kwargs)

    def last_event_time(self) -> datetime | None:
        """The newest event's time: relative windows ("last hour") are anchored there, since a
        site's logs may well end in the past (the demo's do)."""
        from askzero.logs.query import Filter, first_last

        span = self.log_call(first_last, Filter())
        return None if span is None else span[1]


    # -- reports -------------------------------------------------------------------------

    def postmortem(self, since: str = "", until: str = "", ip: str = "", template: str = "internal") -> str:
        """The postmortem as markdown, for a window written as the operator types it ("02:00",
        "2 hours ago": counted from the newest event, as ``ask-zero postmortem`` does).
        ValueError names a bad field; the model, if any, writes the lead paragraph."""
        import ipaddress

        from askzero.logs.timeexpr import parse_moment
        from askzero.report.postmortem import build, render

        if ip:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise ValueError(f"address: not an address: {ip}") from None
        self.load()
        llm = None
        if not self.no_llm:
            self.load_model()
            llm = self.llm
        anchor = self.last_event_time()
        moments = []
        for name, text in (("from", since), ("to", until)):
            try:
                moments.append(parse_moment(text, anchor) if text else None)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        with self._lock:
            _, doc = build(self.ctx, moments[0], moments[1], ip or None, template, llm)
            return render(doc, "md")


class _Interruptible:
    """The model, with a stream that ends as soon as ``stop()`` says so."""

    def __init__(self, llm: Any, stop: Callable[[], bool]) -> None:
        self._llm = llm
        self._stop = stop

    def stream_chat(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        tokens = self._llm.stream_chat(*args, **kwargs)
        try:
            for piece in tokens:
                if self._stop():
                    return
                yield piece
        finally:
            close = getattr(tokens, "close", None)
            if close is not None:
                close()  # llama.cpp stops generating now, not when the generator is collected

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)
