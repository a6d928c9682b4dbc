"""The log-source check: every source the site names exists, was indexed, and is recent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from askzero.report.results import CheckResult

RECENT = timedelta(hours=24)


def sources_present_and_recent(ctx: Any, store: Any, now: datetime | None = None) -> CheckResult:
    check, title = "logs.sources_present_and_recent", "Log sources present and recent"
    site = ctx.site
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if not site.logs:
        return CheckResult(check, title, "fail", "The site names no log source.")
    latest: dict[str, tuple[datetime | None, int, int]] = {}
    if store is not None:
        for path, last, line, count in store.sql(
                "SELECT f.path, max(e.time), max(e.line), count(*) FROM files f "
                "LEFT JOIN events e ON e.file_id = f.id GROUP BY f.path"):
            latest[path] = (last.replace(tzinfo=timezone.utc) if last else None, line or 0, count)
    evidence: list[dict[str, Any]] = []
    missing, stale, fresh = [], [], []
    for kind, paths in sorted(site.logs.items()):
        for path in paths:
            cited = site.cite(path)
            matches = [p for p in latest if p == cited or (_glob(path) and p.startswith(cited.rsplit("/", 1)[0]))]
            if not matches:
                missing.append(f"{kind} ({cited})")
                continue
            newest = max(matches, key=lambda p: latest[p][0] or datetime.min.replace(tzinfo=timezone.utc))
            when, line, count = latest[newest]
            if when is None:
                stale.append(f"{kind} ({cited}): no dated event")
                continue
            age = now - when
            where = {"file": newest, "record" if kind == "pflog" else "line":
                     f"record {line}" if kind == "pflog" else line}
            label = f"{kind}: {count} events, last {when:%Y-%m-%d %H:%M:%S} UTC"
            if age > RECENT:
                stale.append(f"{kind} ({_age(age)} old)")
                evidence.append({**where, "note": label + f", {_age(age)} before the audit"})
            else:
                fresh.append(kind)
                evidence.append({**where, "note": label})
    notes = []
    if missing:
        notes.append("missing or never indexed: " + ", ".join(missing))
    if stale:
        notes.append("no recent event: " + ", ".join(stale))
    if not missing and not stale:
        return CheckResult(check, title, "pass",
                           f"All {len(fresh)} log sources were indexed and have events from the last 24 hours.",
                           evidence)
    # pflog and the IDS are what every answer leans on: missing or silent, the check fails
    primary = ("pflog", "suricata", "wazuh")
    down = [x for x in missing + stale if x.split(" ", 1)[0] in primary]
    status = "fail" if down or not evidence else "partial"
    return CheckResult(check, title, status, "; ".join(notes).capitalize() + ".", evidence)


def _glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"
