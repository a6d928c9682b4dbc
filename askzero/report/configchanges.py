"""Configuration changes the data can show: the pf ruleset digest recorded at ingest changing
between pflog spans, and configuration files modified inside the report's window."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from askzero.report.timeline import Entry


def ruleset_changes(store: Any) -> list[Entry]:
    """One entry where a pflog file's records start being indexed under another ruleset digest,
    dated by the first record of the new span (the change happened before that packet)."""
    rows = store.sql(
        "SELECT f.path, h.first_line, h.last_line, h.ruleset_hash, "
        "(SELECT min(e.time) FROM events e WHERE e.file_id = h.file_id AND e.line = h.first_line) "
        "FROM ruleset_history h JOIN files f ON f.id = h.file_id ORDER BY f.path, h.first_line")
    out = []
    previous: dict[str, tuple[str, int]] = {}
    for path, first, last, digest, when in rows:
        before = previous.get(path)
        previous[path] = (digest, last)
        if before is None or before[0] == digest or when is None:
            continue
        t = when.replace(tzinfo=timezone.utc)
        out.append(Entry(t, t, 1, "config", "config",
                         f"pf ruleset changed (digest {before[0]} -> {digest}) between pflog records "
                         f"{before[1]} and {first}",
                         [{"file": path, "record": f"records {before[1]}-{first}"}]))
    return out


def modified_files(ctx: Any, files: list[str], since: datetime | None, until: datetime | None) -> list[Entry]:
    """Configuration files whose modification time falls inside the window."""
    from askzero.report.sitefiles import cited_path

    if since is None or until is None:
        return []
    out = []
    for cited in files:
        try:
            mtime = datetime.fromtimestamp(cited_path(ctx.site, cited).stat().st_mtime, tz=timezone.utc)
        except OSError:
            continue
        if since <= mtime <= until:
            out.append(Entry(mtime, mtime, 1, "config", "config", f"{cited} was modified (file time)",
                             [{"file": cited, "line": 1}]))
    return out
