"""Events per time bucket for the events screen: a bucket size that gives a readable number of
bars, and the empty buckets filled in (the store leaves them out, a sparkline needs them)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

NICE_BUCKETS = (60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
TARGET_BARS = 60


def bucket_seconds(first: datetime | None, last: datetime | None, bars: int = TARGET_BARS) -> int:
    """The smallest round bucket that shows the span in at most ``bars`` bars."""
    if first is None or last is None:
        return 3600
    span = max(1.0, (last - first).total_seconds())
    for size in NICE_BUCKETS:
        if span / size <= bars:
            return size
    return NICE_BUCKETS[-1]


def fill(buckets: list[tuple[datetime, int]], size: int) -> list[tuple[datetime, int]]:
    """Every bucket from the first to the last, zero where the store had none."""
    if not buckets:
        return []
    have = {t: n for t, n in buckets}
    out, t = [], buckets[0][0]
    while t <= buckets[-1][0]:
        out.append((t, have.get(t, 0)))
        t += timedelta(seconds=size)
    return out


def size_text(size: int) -> str:
    if size % 86400 == 0:
        return f"{size // 86400} d"
    if size % 3600 == 0:
        return f"{size // 3600} h"
    return f"{size // 60} min"


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def describe(filled: list[tuple[datetime, int]], size: int) -> str:
    """The line above the sparkline: the span, bucket size and the busiest bucket."""
    if not filled:
        return "no events in this window"
    peak_time, peak = max(filled, key=lambda b: b[1])
    start, end = stamp(filled[0][0]), stamp(filled[-1][0] + timedelta(seconds=size))
    if start[:10] == end[:10]:  # one day: say the date once, the line must fit 80 columns
        end, peak_at = end[11:], stamp(peak_time)[11:]
    else:
        peak_at = stamp(peak_time)
    return f"{start}-{end} UTC, {size_text(size)} bars, peak {peak_at} ({peak})"
