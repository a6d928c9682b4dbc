"""Suricata EVE JSON, read line by line with each record's line number for citations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from askzero.errors import SourceError

MAX_LINE = 1 << 20


def read_eve(path: Path, display: str) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every well-formed line; malformed lines are skipped here,
    counted and reported by the ingest layer."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(display, f"cannot read: {exc.strerror}") from exc
    with handle:
        for number, raw in enumerate(handle, 1):
            if len(raw) > MAX_LINE or not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield number, record
