"""Zeek logs, tab-separated (Zeek's default writer) or JSON lines, as normalised events.

Lines are dispatched one by one: ``#`` lines update the TSV header (a log appended across
restarts has several header blocks; each ``#separator``/``#fields`` starts a new schema),
lines starting with ``{`` are JSON records, other lines are TSV records under the current
header. Resuming in the middle of a TSV file first re-reads the header lines before the
resume offset, so a resumed read yields exactly the events a full read would.

A final line without its newline may still be being written: a JSON line is taken only once
it parses as a whole object; a TSV line never (its last field could still grow), it waits
for its newline.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from askzero.logs.formats import Reading
from askzero.logs.lines import MAX_LINE, Line, LineSource, Position, open_maybe_gzip, sample
from askzero.logs.record import MAX_RAW, Event, Malformed
from askzero.logs.zeek_events import (
    build_event,
    fallback_path,
    path_from_fields,
    path_from_filename,
)
from askzero.logs.zeek_tsv import Header

NAME = "zeek"

_KEY = re.compile(rb'"([^"\\]{1,64})"\s*:')
_HEAD_LINES = 16
_PENDING = object()  # a final line still being written


def sniff(head: bytes, name: str) -> bool:
    """TSV: ``#separator`` first (after ``##`` banners such as btest's); JSON: a first line
    that is an object with ``ts`` and ``uid``/``id.orig_h``/``_path``, and is neither a
    Suricata EVE record (event_type + timestamp) nor a Wazuh alert (rule + agent)."""
    lines = head.split(b"\n", _HEAD_LINES)
    for number, data in enumerate(lines):
        if data.startswith(b"##"):
            continue
        if data.startswith(b"#separator"):
            return True
        if not data.strip():
            continue
        complete = number < len(lines) - 1  # a line cut by the head size is not complete
        return data.lstrip().startswith(b"{") and _zeek_json_keys(data, complete)
    return False


def _zeek_json_keys(data: bytes, complete: bool) -> bool:
    keys: set[str] = set()
    if complete:
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError):
            return False
        if not isinstance(obj, dict):
            return False
        keys = set(obj)
        if isinstance(obj.get("id"), dict):  # nested id object (some shippers)
            keys |= {f"id.{k}" for k in obj["id"]}
    else:
        keys = {m.decode("utf-8", "replace") for m in _KEY.findall(data)}
    if {"event_type", "timestamp"} <= keys or {"rule", "agent"} <= keys:
        return False
    return "ts" in keys and bool(keys & {"uid", "id.orig_h", "id", "_path"})


def read(path: Path, start: Position = Position()) -> Reading:
    source = LineSource(path, start)
    return Reading(_items(Path(path), source, start), source)


def _items(path: Path, source: LineSource, start: Position) -> Iterator[Event | Malformed]:
    try:
        header = _header_before(path, start.offset) if start.offset else Header()
        named = path_from_filename(path.name)
        for line in source:
            item = _item(line, header, named, path.name)
            if item is _PENDING:
                return  # an unfinished final line: the next ingest reads it whole
            if not line.terminated:
                source.accept_partial()
            if item is not None:
                yield item
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        # a truncated or damaged .gz: everything before it was read; report, do not raise
        at = source.position
        yield Malformed(at.line + 1, at.offset, f"compressed stream unreadable: {exc}", "")


def _item(line: Line, header: Header, named: str | None, filename: str) -> Any:
    """The event or malformed record for one line; None for header lines and blank lines;
    _PENDING for a final line that is not complete yet."""
    if line.too_long:
        reason = f"line longer than {MAX_LINE} bytes"
        return Malformed(line.number, line.offset, reason, sample(line.data))
    # decoded once per line; a byte that is not UTF-8 stays visible as \xHH
    text = line.data.decode("utf-8", "backslashreplace")
    if text[:1] == "#":
        if not line.terminated:
            return _PENDING
        header.apply(text)
        return None
    if not text.strip():
        return None if line.terminated else _PENDING
    if header.fields:
        values = text.split(header.separator)
        if len(values) == len(header.fields):
            if not line.terminated:
                return _PENDING
            record = header.record(values)
            log = header.path or named or path_from_fields(record) or fallback_path(filename)
            return _event(record, log, line, text)
    if text[:1] == "{":
        return _json_item(line, text, named, filename)
    if not line.terminated:
        return _PENDING
    if not header.fields:
        return Malformed(line.number, line.offset, "data line before any #fields header", sample(line.data))
    return Malformed(
        line.number, line.offset,
        f"{len(text.split(header.separator))} fields where #fields has {len(header.fields)}",
        sample(line.data),
    )


def _json_item(line: Line, text: str, named: str | None, filename: str) -> Any:
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        if not line.terminated:
            return _PENDING  # most likely cut in the middle of being written
        return Malformed(line.number, line.offset, "invalid JSON", sample(line.data))
    record = _flatten(obj)  # a dict: the text starts with "{" and parsed
    path = record.get("_path")
    if not isinstance(path, str) or not path:
        path = named or path_from_fields(record) or fallback_path(filename)
    return _event(record, path, line, text)


def _no_constant(name: str) -> None:
    """NaN and Infinity are not JSON; kept as values they would make ``extra`` unstorable."""
    return None


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Zeek's JSON writer uses flat dotted names; some shippers nest ``id`` etc. instead."""
    if not any(isinstance(v, dict) for v in obj.values()) and not prefix:
        return obj
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _event(record: dict[str, Any], path: str, line: Line, text: str) -> Event | Malformed:
    try:
        return build_event(record, path, line.number, line.offset, text[:MAX_RAW])
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        # a record whose values have shapes no Zeek log has: reported, not fatal
        return Malformed(line.number, line.offset, f"cannot normalise record: {exc}", sample(line.data))


def _header_before(path: Path, offset: int) -> Header:
    """The TSV header in force at a byte offset: the header lines before it, replayed.

    Only ``#`` lines matter, but finding them means reading the prefix: about 3 million
    lines/s with buffered readline, cheap next to parsing the records themselves."""
    header = Header()
    with open_maybe_gzip(path) as fh:
        position, at_line_start = 0, True
        while position < offset:
            data = fh.readline(min(MAX_LINE + 1, offset - position))
            if not data:
                break
            position += len(data)
            if at_line_start and data.startswith(b"#") and data.endswith(b"\n"):
                header.apply(data[:-1].rstrip(b"\r").decode("utf-8", "backslashreplace"))
            at_line_start = data.endswith(b"\n")  # a long line is read in pieces
    return header
