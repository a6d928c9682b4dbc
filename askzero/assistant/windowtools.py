"""Tools over a time window: what happened, and which BGP sessions went down.

Windows come from the question (askzero.logs.timeexpr); without one, the whole span of the
site's logs. An empty window says where the logs do end, so "nothing today" is never
mistaken for "all quiet" when the logs simply stop earlier.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from askzero.assistant.context import SiteContext
from askzero.evidence import Citation, Evidence
from askzero.logs import query
from askzero.logs.query import Filter

SOURCE_NAMES = {"pflog": "pflog", "pflogtext": "pflog", "eve": "Suricata", "fastlog": "Suricata",
                "zeek": "Zeek", "syslog": "syslog", "wazuh": "Wazuh"}


def timeline(ctx: SiteContext, since: datetime | None = None, until: datetime | None = None) -> list[Evidence]:
    """Per source in the window: how many events of each kind, first and last, top signatures."""
    store = ctx.logs
    if store is None:
        return []
    window = Filter(since=since, until=until)
    rows = query.counts(store, window, "source", "kind")
    if not rows:
        return _empty_window(ctx, since, until)
    out = []
    for file, lo, hi in query.line_span(store, window):
        flt = Filter(since=since, until=until, file=file)
        first, last, count = query.first_last(store, flt)
        kinds = query.counts(store, flt, "kind")
        source = query.counts(store, flt, "source")[0][0]
        listed = ", ".join(f"{n} {kind}" for kind, n in kinds[:5])
        sentence = (f"{file} ({SOURCE_NAMES.get(source, source)}) has {count} event{'s' if count != 1 else ''} between "
                    f"{_t(first)} and {_t(last)}: {listed}")
        notable = query.counts(store, Filter(since=since, until=until, file=file,
                                             kinds=("alert", "block", "drop", "notice", "bgp", "auth")), "signature")
        named = [(s, n) for s, n in notable if s][:3]
        if named:
            sentence += "; most frequent: " + "; ".join(f"{n}× \"{s}\"" for s, n in named)
        out.append(Evidence("timeline", sentence + ".", _span(file, lo, hi, source),
                            {"count": count, "first": first.isoformat(), "last": last.isoformat()}))
    return out


def bgp_flaps(ctx: SiteContext, since: datetime | None = None, until: datetime | None = None) -> list[Evidence]:
    """BGP sessions that left Established in the window, when they came back, and why."""
    store = ctx.logs
    if store is None:
        return []
    changes = query.events(store, Filter(since=since, until=until, kinds=("bgp",), signature="state change"),
                           limit=10_000).events
    if not changes:
        return _empty_window(ctx, since, until, what="BGP session state changes")
    out = []
    for neighbor in sorted({ev.get("src", "?") for ev in changes}):
        mine = [ev for ev in changes if ev.get("src", "?") == neighbor]
        downs = [ev for ev in mine if ev.get("action") == "down"]
        ups = [ev for ev in mine if ev.get("action") == "up"]
        descr = mine[0].get("extra", {}).get("neighbor_descr")
        name = f"{neighbor} ({descr})" if descr else neighbor
        lines = [ev["citation"]["line"] for ev in mine]
        cite = Citation(mine[0]["citation"]["file"], lines=(min(lines), max(lines)))
        if not downs:
            out.append(Evidence("bgp_session", f"BGP session with {name} changed state {len(mine)} times "
                                f"between {_t(_parse(mine[0]['time']))} and {_t(_parse(mine[-1]['time']))} "
                                "without leaving Established.", cite, {"neighbor": neighbor, "downs": 0}))
            continue
        parts = []
        for down in downs:
            back = next((ev for ev in ups if ev["time"] >= down["time"]), None)
            reason = down.get("extra", {}).get("reason", "no reason logged")
            text = f"went down at {_t(_parse(down['time']))} ({reason})"
            if back:
                seconds = (_parse(back["time"]) - _parse(down["time"])).total_seconds()
                text += f" and was Established again at {_parse(back['time']):%H:%M:%S}, {int(seconds)} s later"
            else:
                text += " and was not Established again in the logs"
            parts.append(text)
        out.append(Evidence("bgp_session", f"BGP session with {name} flapped {len(downs)} time"
                            f"{'s' if len(downs) > 1 else ''}: " + "; ".join(parts) + ".", cite,
                            {"neighbor": neighbor, "downs": len(downs)}))
    return out


def _empty_window(ctx: SiteContext, since: datetime | None, until: datetime | None,
                  what: str = "log events") -> list[Evidence]:
    store = ctx.logs
    assert store is not None
    first, last, count = query.first_last(store, Filter())
    if not count:
        return []
    window = f"between {_t(since) if since else 'the start'} and {_t(until) if until else 'now'}"
    spans = query.line_span(store, Filter())
    file, lo, hi = spans[0]
    return [Evidence("coverage", f"No {what} {window}: the site's logs cover {_t(first)} to {_t(last)} "
                     f"({count} events in {len(spans)} files).", Citation(file, lines=(lo, hi)),
                     {"count": 0, "logs_first": first.isoformat(), "logs_last": last.isoformat()})]


def _span(file: str, lo: int, hi: int, source: str) -> Citation:
    if source == "pflog":
        return Citation(file, record=f"records {lo}-{hi}" if lo != hi else f"record {lo}")
    return Citation(file, lines=(lo, hi)) if lo != hi else Citation(file, lo)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _t(moment: datetime | Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"
