"""``ask-zero postmortem`` and ``ask-zero audit``: thin shells over askzero.report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from askzero.errors import UsageError


def _site_ctx(ctx: click.Context, spec: str | None) -> Any:
    from askzero.assistant.context import SiteContext
    from askzero.site import load_site

    site = load_site(spec or (ctx.find_root().obj or {}).get("site"))
    if site.notice:
        click.echo(site.notice, err=True)
    return SiteContext(site)


def _moment(text: str | None, store: Any) -> Any:
    """A --from/--to value; clock times and "N hours ago" count from the end of the site's data,
    since a postmortem is written about logs that end in the past."""
    if text is None:
        return None
    from askzero.logs.query import first_last, Filter
    from askzero.logs.timeexpr import TimeExpressionError, parse_moment

    anchor = first_last(store, Filter())[1] if store is not None else None
    try:
        return parse_moment(text, anchor)
    except TimeExpressionError as exc:
        raise UsageError(f"cannot read time {text!r}: {exc}") from None


def _load_model(name: str | None) -> Any:
    """The model for the lead paragraph; without one the report is complete anyway, so a
    missing model is a warning, not an error."""
    from askzero.errors import AskZeroError

    try:
        from askzero.assistant.llm import load_llm

        return load_llm(name)
    except (AskZeroError, ImportError) as exc:
        click.echo(f"ask-zero: no model ({exc}); the report is written from evidence alone (--no-llm)", err=True)
        return None


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.command("postmortem")
@click.option("--site", "site_spec", metavar="S", help="demo, a site file, or a directory.")
@click.option("--from", "since", metavar="T", help="Start of the window (default: the first event).")
@click.option("--to", "until", metavar="T", help="End of the window, exclusive (default: the last event).")
@click.option("--ip", metavar="ADDR", help="The address the incident is about (default: the one the evidence points at).")
@click.option("--template", type=click.Choice(["internal", "nis2", "dora"]), default="internal", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--no-llm", is_flag=True, help="No model-written lead paragraph: the report from evidence alone.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.pass_context
def postmortem(ctx: click.Context, site_spec: str | None, since: str | None, until: str | None, ip: str | None,
               template: str, fmt: str, no_llm: bool, output: str | None) -> None:
    """Write an incident postmortem from the site's logs and configuration, every sentence cited."""
    from askzero.report.postmortem import build, render

    sctx = _site_ctx(ctx, site_spec)
    store = sctx.logs
    if ip:
        import ipaddress

        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise UsageError(f"not an address: {ip}") from None
    opts = ctx.find_root().obj or {}
    llm = None if (no_llm or opts.get("no_llm")) else _load_model(opts.get("model"))
    _, doc = build(sctx, _moment(since, store), _moment(until, store), ip, template, llm)
    _write(render(doc, fmt), output)


@click.command("audit")
@click.option("--site", "site_spec", metavar="S", help="demo, a site file, or a directory.")
@click.option("--framework", type=click.Choice(["nis2", "dora", "iso27001", "pci-dss"]),
              help="Only this framework's controls (default: all).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.pass_context
def audit(ctx: click.Context, site_spec: str | None, framework: str | None, fmt: str, as_json: bool,
          output: str | None) -> None:
    """Check pf, bgpd, the logs and configuration integrity against compliance controls."""
    from askzero.report.audit import run_audit

    report = run_audit(_site_ctx(ctx, site_spec), framework)
    if as_json or (ctx.find_root().obj or {}).get("json"):
        fmt = "json"
    if fmt == "json":
        import json

        _write(json.dumps(report.to_dict(), indent=2, default=str) + "\n", output)
        return
    from askzero.report.audit_render import render_audit_html, render_audit_markdown

    _write(render_audit_html(report) if fmt == "html" else render_audit_markdown(report), output)
