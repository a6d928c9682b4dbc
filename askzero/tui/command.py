"""``ask-zero tui``: the click command. Textual is imported only when the command runs, so
the rest of the CLI starts without it (it is an optional dependency: ``ask-zero[tui]``)."""

from __future__ import annotations

from typing import Any

import click


@click.command("tui")
@click.option("--site", "site_spec", metavar="S", help="demo, a site file, or a directory.")
@click.option("--no-llm", is_flag=True, help="Answer from evidence alone, without a model.")
@click.option("--model", metavar="NAME", help="Model from models.txt (default: the first).")
@click.pass_obj
def tui(opts: dict[str, Any] | None, site_spec: str | None, no_llm: bool, model: str | None) -> None:
    """Full-screen console: chat, rules, packet tester, events."""
    opts = opts or {}
    try:
        from askzero.tui.app import AskZeroApp
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise click.ClickException(f"the TUI needs textual: pip install 'ask-zero[tui]' ({exc})") from exc
    from askzero.site import load_site
    from askzero.tui.session import Session

    # the options may come before the command too: ask-zero --site demo tui
    site = load_site(site_spec or opts.get("site"))
    session = Session(site, no_llm=no_llm or bool(opts.get("no_llm")), model=model or opts.get("model"))
    AskZeroApp(session).run()
