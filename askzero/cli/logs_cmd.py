"""``ask-zero logs ingest|query|stats``: the site's log store from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from askzero.errors import UsageError


def _site(ctx: click.Context, spec: str | None):
    from askzero.site import load_site

    root_opts = ctx.find_root().obj or {}
    return load_site(spec or root_opts.get("site"))


def _as_json(ctx: click.Context, flag: bool) -> bool:
    return flag or bool((ctx.find_root().obj or {}).get("json"))


site_option = click.option("--site", "site_spec", metavar="S", help="demo, a site file, or a directory.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")


@click.group()
def logs() -> None:
    """Ingest the site's logs into its store and query them."""


@logs.command("ingest")
@site_option
@json_option
@click.option("--format", "fmt", metavar="NAME", help="Format of the files given (default: detected).")
@click.argument("paths", nargs=-1)
@click.pass_context
def ingest_cmd(ctx: click.Context, site_spec: str | None, as_json: bool, fmt: str | None,
               paths: tuple[str, ...]) -> None:
    """Read what was appended to the site's logs (or to PATHS) since the last ingest."""
    from askzero.logs.ingest import IngestSource, ingest
    from askzero.logs.sitelogs import open_store, site_sources

    site = _site(ctx, site_spec)
    if paths:
        missing = [p for p in paths if not Path(p).is_file()]
        if missing:
            from askzero.errors import SourceError

            raise SourceError(missing[0], "no such file")
        sources = [IngestSource(p, Path(p), fmt) for p in paths]
    else:
        sources = site_sources(site, _ruleset_hash(site))
    with open_store(site) as store:
        reports = ingest(store, sources)
    if _as_json(ctx, as_json):
        from askzero.cli.main import emit_json

        emit_json({"store": str(store.path), "files": [r.to_dict() for r in reports]})
        return
    for r in reports:
        detail = f"{r.events} events, {r.malformed} malformed" if r.format else r.note
        click.echo(f"{r.path} ({r.format or '?'}): {detail}" + (f"; {r.note}" if r.format and r.note else ""))
        for m in r.examples[:3]:
            click.echo(f"  {r.path}:{m.line}: {m.reason}: {m.sample[:80]}")


def _ruleset_hash(site: Any) -> str | None:
    """The digest of the site's pf ruleset now, recorded with the pflog it explains."""
    if not site.pf_conf:
        return None
    from askzero.assistant.context import SiteContext

    return SiteContext(site).ruleset_digest


@logs.command("query")
@site_option
@json_option
@click.option("--ip", metavar="ADDR", help="An address or CIDR, as source or destination.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="alert, block, auth, flow, dns, ... (repeatable).")
@click.option("--source", "sources", multiple=True, metavar="FORMAT", help="eve, pflog, zeek, syslog, wazuh, ...")
@click.option("--when", metavar="EXPR", help='A window: "last hour", "yesterday 14:00-15:00", "2026-11-20 01:00 to 03:00".')
@click.option("--since", metavar="TIME")
@click.option("--until", metavar="TIME")
@click.option("--signature", metavar="TEXT", help="Signature contains TEXT (any case).")
@click.option("--severity", type=int, metavar="N", help="Severity N or higher (1 is highest).")
@click.option("--category", metavar="TEXT")
@click.option("--port", type=int)
@click.option("--rule", metavar="N", help="pf rule number as pflog prints it (8.threat_feeds.0).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--top", "top_field", metavar="FIELD", help="Rank values of FIELD (src, dst, dport, signature, ...).")
@click.option("--per", "bucket", metavar="BUCKET", help="Counts per time bucket: 1m, 5m, 1h, 1d.")
@click.option("--related", metavar="FILE:LINE", help="An event and the records of its connection.")
@click.option("--activity", is_flag=True, help="With --ip: pf blocks, IDS alerts and auth failures side by side.")
@click.pass_context
def query_cmd(ctx: click.Context, site_spec: str | None, as_json: bool, ip: str | None, kinds: tuple[str, ...],
              sources: tuple[str, ...], when: str | None, since: str | None, until: str | None,
              signature: str | None, severity: int | None, category: str | None, port: int | None,
              rule: str | None, limit: int, top_field: str | None, bucket: str | None,
              related: str | None, activity: bool) -> None:
    """Events from the site's store, each with its citation."""
    from askzero.logs import query
    from askzero.logs.sitelogs import open_store
    from askzero.logs.timeexpr import TimeExpressionError, parse_moment, parse_window

    site = _site(ctx, site_spec)
    try:
        window = parse_window(when) if when else None
        start = window.since if window else (parse_moment(since) if since else None)
        end = window.until if window else (parse_moment(until) if until else None)
        seconds = _bucket_seconds(bucket) if bucket else None
    except TimeExpressionError as exc:
        raise UsageError(str(exc)) from None
    flt = query.Filter(ip=ip, since=start, until=end, kinds=kinds, sources=sources, signature=signature,
                       severity=severity, category=category, port=port, rule=rule)
    with open_store(site, read_only=True) as store:
        try:
            result = _run_query(store, flt, limit, top_field, seconds, related, activity)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if _as_json(ctx, as_json):
        from askzero.cli.main import emit_json

        emit_json(result)
        return
    _print_result(result)


def _run_query(store, flt, limit: int, top_field: str | None, seconds: int | None, related: str | None,
               activity: bool) -> dict[str, Any]:
    from askzero.logs import query

    if activity:
        if not flt.ip:
            raise ValueError("--activity needs --ip")
        return query.address_activity(store, flt.ip, flt.since, flt.until)
    if related:
        file, _, line = related.rpartition(":")
        if not file or not line.isdigit():
            raise ValueError("--related takes FILE:LINE")
        return query.related(store, file, int(line), limit).to_dict()
    if top_field:
        rows = query.top(store, flt, top_field, limit)
        return {"field": top_field, "top": [{"value": v, "count": n} for v, n in rows]}
    if seconds:
        rows = query.histogram(store, flt, seconds)
        return {"bucket_seconds": seconds, "buckets": [
            {"start": t.isoformat().replace("+00:00", "Z"), "count": n} for t, n in rows]}
    return query.events(store, flt, limit=limit).to_dict()


def _bucket_seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise UsageError(f"bucket {text!r}: give a number and a unit, like 5m or 1h")
    return int(number) * units[unit]


def _print_result(result: dict[str, Any]) -> None:
    if "events" in result:
        for ev in result["events"]:
            cite = ev["citation"]
            where = f"{cite['file']}:{cite['line']}" if "line" in cite else f"{cite['file']} ({cite['record']})"
            what = ev.get("message") or ev.get("signature") or ""
            click.echo(f"{ev.get('time', '-')} {ev['kind']:<7} {ev.get('src', '-')} -> {ev.get('dst', '-')}  "
                       f"{what[:100]}  [{where}]")
        shown = len(result["events"])
        click.echo(f"{result['count']} events" + (f" ({shown} shown)" if shown < result["count"] else ""))
    elif "top" in result:
        for row in result["top"]:
            click.echo(f"{row['count']:>8}  {row['value']}")
    elif "buckets" in result:
        for row in result["buckets"]:
            click.echo(f"{row['start']}  {row['count']:>8}")
    else:
        for name, section in result.items():
            click.echo(f"{name}: {section['count']} (first {section['first']}, last {section['last']})")


@logs.command("stats")
@site_option
@json_option
@click.pass_context
def stats_cmd(ctx: click.Context, site_spec: str | None, as_json: bool) -> None:
    """What the store holds: files, events per source and kind, time span, malformed records."""
    from askzero.logs import query
    from askzero.logs.sitelogs import open_store

    site = _site(ctx, site_spec)
    with open_store(site, read_only=True) as store:
        result = query.stats(store)
    if _as_json(ctx, as_json):
        from askzero.cli.main import emit_json

        emit_json(result)
        return
    click.echo(f"{result['events']} events from {result['first']} to {result['last']}")
    for row in result["by_source"]:
        click.echo(f"{row['count']:>10}  {row['source']}/{row['kind']}")
    for f in result["files"]:
        click.echo(f"  {f['path']} ({f['format']}): {f['events']} events, {f['malformed']} malformed, "
                   f"read to line {f['line']}")
