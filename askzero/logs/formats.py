"""The log formats behind one interface, and automatic detection.

Each format module exposes:
- ``NAME``: the format's name (also ``Event.source``);
- ``sniff(head: bytes, name: str) -> bool``: whether the first bytes of a (decompressed)
  file look like this format; ``name`` is the file name, a hint only;
- ``read(path: Path, start: Position) -> Reading``: the events and malformed records from
  ``start`` on; after iteration, ``Reading.position`` is where the next ingest resumes.

Detection tries the formats in ``ORDER``: the strict, self-describing ones first.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

from askzero.logs.lines import Position, read_head
from askzero.logs.record import Event, Malformed

# module names under askzero.logs, in detection order
ORDER = ("pflog", "eve", "wazuh", "zeek", "fastlog", "pflogtext", "syslog")


class _Positioned(Protocol):
    position: Position


@dataclass
class Reading:
    """What a format's ``read`` returns: iterate it, then ask where it stopped."""

    items: Iterable[Event | Malformed]
    tracker: _Positioned

    def __iter__(self) -> Iterator[Event | Malformed]:
        return iter(self.items)

    @property
    def position(self) -> Position:
        return self.tracker.position


def module(name: str) -> ModuleType:
    if name not in ORDER:
        raise KeyError(f"unknown log format {name!r}; known: {', '.join(ORDER)}")
    return importlib.import_module(f"askzero.logs.{name}")


def detect(path: str | Path, head: bytes | None = None) -> ModuleType | None:
    """The format module that reads this file, or None when no format recognises it."""
    path = Path(path)
    if head is None:
        head = read_head(path)
    if not head:
        return None
    for name in ORDER:
        mod = module(name)
        if mod.sniff(head, path.name):
            return mod
    return None
