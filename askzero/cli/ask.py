"""``ask-zero "QUESTION"``: answer on the terminal (streamed) or as JSON."""

from __future__ import annotations

import time
from typing import Any

import click

from askzero.assistant.answer import gather, phrase
from askzero.assistant.context import SiteContext
from askzero.site import load_site


def _background(fn: Any, *args: Any) -> Any:
    """Run ``fn`` in a thread; ``.result()`` waits for it and re-raises its error."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn, *args)
    pool.shutdown(wait=False)
    return future


def _console():
    """Rich output: the model's lead in bold and the evidence dimmed on a terminal, plain text
    in a pipe. Log fields are data, so nothing printed is read as markup."""
    from rich.console import Console

    return Console(markup=False, highlight=False, emoji=False, soft_wrap=True)


def run_question(question: str, opts: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    site = load_site(opts.get("site"))
    if site.notice:
        click.echo(site.notice, err=True)
    previous = None
    if opts.get("continue"):
        from askzero.assistant.history import last_route

        previous = last_route(site.name)
    llm = planner = loading = None
    choice = opts.get("tools") or "auto"
    if not opts.get("no_llm"):
        from askzero.assistant.llm import is_default_model, load_llm

        if choice == "model" or (choice == "auto" and not is_default_model(opts.get("model"))):
            llm = planner = load_llm(opts.get("model"))
        else:
            # the model loads while the tools run: most of a cold answer is spent in both
            loading = _background(load_llm, opts.get("model"))
    answer = gather(SiteContext(site), question, previous, planner)
    stream = not opts.get("json")
    out = _console()
    if not opts.get("no_llm") and answer.evidence:
        t1 = time.perf_counter()
        llm = llm or loading.result()  # type: ignore[union-attr]
        answer.timings["model_load"] = time.perf_counter() - t1
        for piece in phrase(answer, llm, getattr(llm, "name", opts.get("model") or "default")):
            if stream:
                out.print(piece, end="", style="bold")
        if stream and answer.lead:
            out.print("\n")
    answer.timings["total"] = time.perf_counter() - t0
    if not opts.get("no_history"):
        # recorded before the rest is printed: a reader that stops early (| head) loses nothing
        from askzero.assistant.history import record

        record(answer, continued=bool(opts.get("continue")))
    if stream:
        out.print(answer.summary + "\n")
        from askzero.assistant.composer import evidence_block

        block = evidence_block(answer.evidence)
        if block:
            head, _, rest = block.partition("\n")
            out.print(head, style="bold")
            out.print(rest, style="dim" if out.is_terminal else None)
    else:
        from askzero.cli.main import emit_json

        emit_json(answer.to_dict())
