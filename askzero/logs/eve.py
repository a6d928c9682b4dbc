"""Suricata EVE JSON: one event per JSON object, each citing the line it starts on.

EVE is normally one object per line (NDJSON). Copies made for tests and tickets are often
pretty-printed, one object over many lines, or several objects one after another; those are
read too: a line that opens an object without closing it starts a multi-line record, which
ends where its braces balance. A record is consumed only once complete, so an object still
being written is read whole by the next ingest.

Malformed lines become ``Malformed`` items. A complete, valid line after a broken
multi-line record is never swallowed by it: the broken record ends there.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from askzero.errors import SourceError
from askzero.logs.eve_events import NAME, build
from askzero.logs.formats import Reading
from askzero.logs.lines import MAX_LINE, Line, LineSource, Position, resume_point, sample
from askzero.logs.record import Malformed

__all__ = ["NAME", "read", "read_bulk", "read_eve", "sniff"]

T = TypeVar("T")
Make = Callable[[dict, int, int, str], T]  # (record, line, offset, raw text) -> item

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')  # a JSON string; strings never span lines
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"\s*(:)?|[{}\[\]]')
_DECODER = json.JSONDecoder()
SNIFF_LINES = 10  # lines of the head where the first EVE object may start (after junk)


class _Progress:
    """Where the next ingest resumes: after the last complete record, never inside one."""

    __slots__ = ("position",)

    def __init__(self, position: Position) -> None:
        self.position = position


@dataclass(slots=True)
class _Pending:
    """A multi-line object being collected."""

    number: int
    offset: int
    depth: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    overflow: bool = False  # bigger than a line may be: its text is no longer kept


def sniff(head: bytes, name: str) -> bool:
    """An object with a top-level ``event_type`` key starts at the beginning of one of the
    first lines (a few junk lines before it are tolerated: eve_broken.json starts with one)."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    start = 0
    for _ in range(SNIFF_LINES):
        # at the start of a line: an indented object is quoted in something else (docs, code)
        if text.startswith("{", start) and _first_object_has_event_type(text, start):
            return True
        start = text.find("\n", start) + 1
        if start == 0:
            return False
    return False


def _first_object_has_event_type(text: str, start: int) -> bool:
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match.group(0)
        if token[0] == '"':
            if depth == 1 and match.group(1) and token.startswith('"event_type"'):
                return True
        elif token in "{[":
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                return False
    return False


def read(path: Path, start: Position = Position(), stop: int | None = None) -> Reading:
    """Events and malformed records from ``start`` (to the line boundary ``stop``, if given);
    ``Reading.position`` is where to resume."""
    start = resume_point(path, start)
    source = LineSource(path, start, stop=stop)
    progress = _Progress(start)
    return Reading(_items(source, progress, build), progress)


def read_eve(path: Path, display: str) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every well-formed record; malformed ones are skipped here,
    counted and reported by the ingest layer."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise SourceError(display, f"cannot read: {exc.strerror}") from exc
    for item in _items(LineSource(path), _Progress(Position()), _pair):
        if type(item) is tuple:
            yield item


def _pair(record: dict, number: int, offset: int, text: str) -> tuple[int, dict]:
    return number, record


def _items(source: LineSource, progress: _Progress, make: Make[T]) -> Iterator[T | Malformed]:
    try:
        yield from _records(source, progress, make)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # a truncated or damaged .gz: everything before was read; report it, do not raise
        at = progress.position
        yield Malformed(at.line + 1, at.offset, f"compressed stream unreadable: {exc}", "")


def _records(source: LineSource, progress: _Progress, make: Make[T]) -> Iterator[T | Malformed]:
    loads = json.loads
    pending: _Pending | None = None
    for line in source:
        if pending is None:
            data = line.data
            if data[:1] == b"{" and not line.too_long:
                # the hot path: one complete object on one line
                try:
                    text = data.decode()
                    record = loads(text)
                except ValueError:
                    pass
                else:
                    if not line.terminated:
                        source.accept_partial()  # a complete object cannot be half-written
                    item = _made(make, record, line.number, line.offset, text)
                    progress.position = source.position  # before yielding: the consumer may stop
                    yield item
                    continue
            items, pending = _start(line, source, make)
        else:
            items, pending = _continue(pending, line, source, make)
        if pending is None and (line.terminated or source.position.line == line.number):
            progress.position = source.position
        yield from items


def _made(make: Make[T], record: Any, number: int, offset: int, text: str) -> T | Malformed:
    if type(record) is not dict:
        return Malformed(number, offset, "not a JSON object", sample(text.encode()))
    try:
        return make(record, number, offset, text)
    except Exception as exc:  # noqa: BLE001 - any surprise in one record must not stop the file
        return Malformed(number, offset, f"unexpected values: {type(exc).__name__}", sample(text.encode()))


def _start(line: Line, source: LineSource, make: Make[T]) -> tuple[list[T | Malformed], _Pending | None]:
    """A line that is not one whole object: blank, junk, a multi-line object's first line,
    or several objects on one line."""
    if line.too_long:
        return [Malformed(line.number, line.offset, f"line longer than {MAX_LINE} bytes", sample(line.data))], None
    text = line.data.decode("utf-8", "replace")
    if line.number == 1:
        text = text.lstrip("\ufeff")
    stripped = text.strip()
    if not stripped:
        return [], None  # blank lines separate records, they are not records
    if stripped[0] == "{":
        depth = _depth(stripped)
        if depth > 0:
            return [], _Pending(line.number, line.offset, depth, [text], len(text))
        if depth == 0:
            records = _decode_all(stripped)
            if records is not None:
                if not line.terminated:
                    source.accept_partial()
                return [_made(make, r, line.number, line.offset, stripped) for r in records], None
    if not line.terminated:
        return [], None  # maybe still being written: read it again next time
    return [Malformed(line.number, line.offset, "not JSON", sample(line.data))], None


def _continue(pending: _Pending, line: Line, source: LineSource,
              make: Make[T]) -> tuple[list[T | Malformed], _Pending | None]:
    """The next line of a multi-line object."""
    if line.too_long:
        broken = _unfinished(pending, "object interrupted by an over-long line")
        return [broken, *_start(line, source, make)[0]], None
    text = line.data.decode("utf-8", "replace")
    if text[:1] == "{":
        resync = _whole_record(text)
        if resync is not None:  # a complete record of its own: the pending one was broken
            if not line.terminated:
                source.accept_partial()
            return [_unfinished(pending, "object never closed"),
                    _made(make, resync, line.number, line.offset, text)], None
    pending.depth += _depth(text)
    if not pending.overflow:
        pending.size += len(text) + 1
        if pending.size > MAX_LINE:
            pending.overflow, pending.parts = True, []
        else:
            pending.parts.append(text)
    if pending.depth > 0:
        return [], pending
    if not line.terminated:
        source.accept_partial()
    if pending.depth < 0:
        return [_unfinished(pending, "unbalanced braces")], None
    if pending.overflow:
        return [_unfinished(pending, f"object longer than {MAX_LINE} bytes")], None
    whole = "\n".join(pending.parts)
    records = _decode_all(whole.strip())
    if records is None:
        return [_unfinished(pending, "not JSON")], None
    return [_made(make, r, pending.number, pending.offset, whole) for r in records], None


def _unfinished(pending: _Pending, reason: str) -> Malformed:
    head = pending.parts[0] if pending.parts else ""
    return Malformed(pending.number, pending.offset, reason, sample(head.encode()))


def _whole_record(text: str) -> dict | None:
    """The line as an EVE record when it is one on its own (a resynchronisation point)."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if type(record) is dict and "event_type" in record else None


def _depth(text: str) -> int:
    """How many objects and arrays the text opens minus those it closes, outside strings."""
    bare = _STRING.sub("", text) if '"' in text else text
    return bare.count("{") + bare.count("[") - bare.count("}") - bare.count("]")


def _decode_all(text: str) -> list[Any] | None:
    """The JSON values one after another in the text (concatenated objects), or None."""
    values: list[Any] = []
    index, end = 0, len(text)
    while index < end:
        try:
            value, index = _DECODER.raw_decode(text, index)
        except ValueError:
            return None
        values.append(value)
        while index < end and text[index] in " \t\r\n":
            index += 1
    return values


def read_bulk(path: Path, start: Position, writer: Any) -> Reading:
    """The bulk path (``eve_bulk``): DuckDB parses the lines; see ``bulk``."""
    from askzero.logs import eve_bulk

    return eve_bulk.read_bulk(path, start, writer)
