"""A line format for store tests: ``EPOCH KIND SRC DST MESSAGE``; anything else is malformed.

The real formats have their own tests; this one lets the store's tests write exactly the
lines they need.
"""

from __future__ import annotations

from pathlib import Path

from askzero.logs.formats import Reading
from askzero.logs.lines import LineSource, Position, sample
from askzero.logs.record import Event, Malformed

NAME = "fake"


def sniff(head: bytes, name: str) -> bool:
    return head[:1].isdigit()


def read(path: Path, start: Position) -> Reading:
    lines = LineSource(path, start)
    return Reading(_events(lines), lines)


def _events(lines: LineSource):
    for line in lines:
        parts = line.data.decode("utf-8", "replace").split(" ", 4)
        if len(parts) < 4 or not parts[0].isdigit():
            if line.terminated:
                yield Malformed(line.number, line.offset, "not EPOCH KIND SRC DST", sample(line.data))
            continue
        if not line.terminated:
            lines.accept_partial()
        yield Event("fake", parts[1], float(parts[0]), line.number, line.offset,
                    line.data.decode(), src=parts[2], dst=parts[3],
                    message=parts[4] if len(parts) > 4 else None)
