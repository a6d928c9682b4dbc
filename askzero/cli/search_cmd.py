"""``ask-zero index`` and ``ask-zero search``: the retrieval index from the shell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


def _root_opt(ctx: click.Context, key: str) -> Any:
    return (ctx.find_root().obj or {}).get(key)


def _corpus(ctx: click.Context, site_spec: str | None, paths: tuple[str, ...]) -> Any:
    from askzero.rag.hybrid import resolve_corpus

    if paths:
        return resolve_corpus(list(paths))
    spec = site_spec or _root_opt(ctx, "site")
    from askzero.site import load_site
    from askzero.rag.sources import corpus_for_site

    site = load_site(spec)
    if site.notice:
        click.echo(site.notice, err=True)
    return corpus_for_site(site, spec)


@contextmanager
def _progress_bars() -> Iterator[Any]:
    """A progress(stage, done, total) callback drawing rich bars on stderr (a terminal only).

    rich is imported on the first update, so a query on a current index does not pay for it.
    """
    state: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if "bars" not in state:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(stderr=True)
            state["bars"] = Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=console, disable=not console.is_terminal)
            state["bars"].start()
            state["tasks"] = {}
        bars, tasks = state["bars"], state["tasks"]
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    try:
        yield update
    finally:
        if "bars" in state:
            state["bars"].stop()


site_option = click.option("--site", "site_spec", metavar="S", help="demo, a site file, or a directory.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
paths_option = click.option("--path", "paths", multiple=True, metavar="PATH",
                            help="Index or search these files/directories instead of a site (repeatable).")


@click.command("index")
@site_option
@json_option
@paths_option
@click.option("--no-chroma", is_flag=True, help="Do not update the chromadb copy of the vectors.")
@click.option("--rebuild", is_flag=True, help="Forget the index and build it from scratch.")
@click.pass_context
def index(ctx: click.Context, site_spec: str | None, as_json: bool, paths: tuple[str, ...], no_chroma: bool,
          rebuild: bool) -> None:
    """Build or update the retrieval index (knowledge base, the site's configs and log summaries).

    Only what changed is read, chunked and embedded again.
    """
    from askzero.rag.indexer import build_index

    corpus = _corpus(ctx, site_spec, paths)
    if rebuild:
        import shutil

        shutil.rmtree(corpus.directory(), ignore_errors=True)
    with _progress_bars() as progress:
        report = build_index(corpus, progress=progress, chroma=not no_chroma)
    if as_json or _root_opt(ctx, "json"):
        from askzero.cli.main import emit_json

        emit_json(report.to_dict())
        return
    click.echo(f"{report.chunks} chunks from {report.files} files in {report.directory}")
    click.echo(f"  {report.files_changed} files changed, {report.files_removed} removed; "
               f"{report.chunks_added} chunks added, {report.chunks_removed} removed; "
               f"{report.embedded} embedded; {report.seconds:.1f} s")
    if report.chroma:
        click.echo(f"  chroma: {report.chroma}")


@click.command("search")
@site_option
@json_option
@paths_option
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 100), help="How many hits.")
@click.option("--kind", metavar="K", help="Only sources of this kind (config, logs, regulation, ...; comma list).")
@click.option("--framework", metavar="F", help="Only this framework (nis2, dora, pf, bgpd, ...; comma list).")
@click.option("--mode", type=click.Choice(["fused", "lexical", "vector"]), default="fused", show_default=True)
@click.option("--backend", type=click.Choice(["numpy", "chroma"]), default="numpy", show_default=True,
              help="Where vectors are searched: the index's matrix, or chromadb (slower to start).")
@click.argument("query", nargs=-1, required=True)
@click.pass_context
def search(ctx: click.Context, site_spec: str | None, as_json: bool, paths: tuple[str, ...], k: int,
           kind: str | None, framework: str | None, mode: str, backend: str, query: tuple[str, ...]) -> None:
    """Search the knowledge base, the site's configs and log summaries; hits cite file, heading, lines."""
    from askzero.rag.hybrid import open_index

    corpus = _corpus(ctx, site_spec, paths)
    if corpus.chroma_url:
        backend = "chroma"
    with _progress_bars() as progress:
        idx = open_index(corpus, progress=progress, backend=backend)
    try:
        hits = idx.search(" ".join(query), k=k, kind=kind, framework=framework, mode=mode)
    finally:
        idx.close()
    if as_json or _root_opt(ctx, "json"):
        from askzero.cli.main import emit_json

        emit_json({"query": " ".join(query), "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo("no matches")
    for n, h in enumerate(hits, 1):
        labels = " · ".join(x for x in (h.framework, h.kind) if x)
        click.echo(click.style(f"{n}. {h.citation()}", bold=True) + f"  [{labels}]  {h.score:.4f}")
        if h.heading:
            click.echo(f"   {h.heading}")
        lines = [ln.strip() for ln in h.text.splitlines() if ln.strip()]
        for ln in lines[:3]:
            click.echo(f"   | {ln[:110]}")
        if len(lines) > 3:
            click.echo(f"   | ... ({len(lines) - 3} more lines)")
