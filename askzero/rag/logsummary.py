"""Logs as chunks: one summary per log file and day, from the site's log store.

Raw log lines are too many and too alike to embed; a day's summary (event kinds, top
addresses, ports, rules, signatures, users) answers "what happened on the 28th?" and cites
the file and the span of lines it covers. The store is the one ``ask-zero logs ingest`` fills.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from askzero.rag.types import Chunk

LOGS_CITE = "@logs"  # the source name under which all summaries are indexed
TOP = 5
# (label, SQL expression over events e) for the "top" lists of a summary
FACETS: tuple[tuple[str, str], ...] = (
    ("kinds", "e.kind"),
    ("actions", "e.action"),
    ("sources", "e.src"),
    ("destinations", "e.dst"),
    ("destination ports", "CAST(e.dport AS VARCHAR) || '/' || coalesce(e.proto, '?')"),
    ("pf rules", "e.rule"),
    ("signatures", "e.signature"),
    ("users", "e.\"user\""),
    ("hosts", "e.host"),
)


def store_path(site: Any) -> Path | None:
    """The site's log store file when it exists (no DuckDB import)."""
    from askzero.logs.store import site_store_path

    path = site_store_path(site)
    return path if path.is_file() else None


def summarize(store_file: Path) -> list[Chunk]:
    """One chunk per (log file, day) in the store, read-only."""
    from askzero.logs.store import LogStore

    with LogStore(store_file, read_only=True) as store:
        days = store.sql(
            "SELECT f.path, f.format, coalesce(strftime(e.time, '%Y-%m-%d'), 'undated') d, count(*),"
            " min(e.line), max(e.line), min(e.time), max(e.time)"
            " FROM events e JOIN files f ON f.id = e.file_id GROUP BY ALL ORDER BY 1, 3")
        tops: dict[tuple[str, str], list[str]] = defaultdict(list)
        for label, expr in FACETS:
            rows = store.sql(
                f"SELECT f.path, coalesce(strftime(e.time, '%Y-%m-%d'), 'undated') d, {expr} v, count(*) n"
                f" FROM events e JOIN files f ON f.id = e.file_id WHERE {expr} IS NOT NULL AND {expr} <> ''"
                " GROUP BY 1, 2, 3 QUALIFY row_number() OVER (PARTITION BY f.path, d ORDER BY n DESC, v) <= ?"
                " ORDER BY f.path, d, n DESC, v", [TOP])
            per: dict[tuple[str, str], list[str]] = defaultdict(list)
            for path, day, value, n in rows:
                per[(path, day)].append(f"{value} ({n})")
            for key, values in per.items():
                tops[key].append(f"{label}: {', '.join(values)}")
    chunks = []
    for path, fmt, day, count, first, last, t0, t1 in days:
        span = f"{t0:%H:%M:%S} to {t1:%H:%M:%S} UTC" if t0 is not None else "no times"
        text = "\n".join([f"{count} events in {path} ({fmt}) on {day}, {span}, lines {first} to {last}."]
                         + [f"Top {t}." for t in tops.get((path, day), [])])
        chunks.append(Chunk(path, f"{path} > {day}", int(first), int(last), text, "logs", fmt))
    return chunks
