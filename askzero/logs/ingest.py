"""Incremental ingest: read what was appended since the last run, store it in one transaction.

A file is recognised by a fingerprint of its first bytes, not by its name, so that
- a re-run reads only what was appended (its offset is kept);
- a rotated file (``eve.json`` renamed ``eve.json.1``, even gzip-compressed) resumes where
  the old name stopped, and the new ``eve.json`` starts from zero;
- the same content under two names is stored once;
- a truncated file (smaller than what was read) starts over as a new file.
Malformed records are counted and kept as examples; they never stop an ingest.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from askzero.logs import formats
from askzero.logs.lines import Position, read_head
from askzero.logs.record import EVENT_COLUMNS, MAX_RAW, Event, Malformed
from askzero.logs.store import LogStore

MAX_INDEX_RUNS = 16  # sorted runs in addr_index before they are merged into one
BATCH = 50_000  # events handed to DuckDB at once: big enough to amortise, small enough for memory
MAX_MALFORMED_KEPT = 1000  # per file and run; all are counted
HEAD = 4096

_FIELDS = tuple(name for name, _ in EVENT_COLUMNS)
_get_fields = attrgetter(*_FIELDS)
_TIME, _SRC, _DST, _EXTRA, _RAW = (_FIELDS.index(n) for n in ("time", "src", "dst", "extra", "raw"))

_COLUMN_SQL = {name: f'"{name}"' for name in _FIELDS}
_COLUMN_SQL["time"] = "make_timestamp(CAST(time * 1000000 AS BIGINT))"


@dataclass
class FileReport:
    """What one ingest did with one file."""

    path: str
    format: str | None
    events: int = 0
    malformed: int = 0
    examples: list[Malformed] = field(default_factory=list)
    resumed_from: Position = Position()
    note: str = ""
    file_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "format": self.format, "events": self.events,
            "malformed": self.malformed, "resumed_from_line": self.resumed_from.line,
            "note": self.note,
            "malformed_examples": [
                {"file": self.path, "line": m.line, "reason": m.reason, "sample": m.sample}
                for m in self.examples[:10]
            ],
        }


@dataclass(frozen=True)
class IngestSource:
    """A file to ingest: how the site names it, where it is, and optionally its format."""

    display: str
    path: Path
    format: str | None = None
    ruleset_hash: str | None = None  # for pflog: the ruleset on disk now


def ingest(store: LogStore, sources: Iterable[IngestSource]) -> list[FileReport]:
    """Ingest every source in one transaction: all of it lands, or none of it."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        reports = [_ingest_one(store, src) for src in sources]
        _index_addresses(store, reports)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return reports


def _ingest_one(store: LogStore, src: IngestSource) -> FileReport:
    head = read_head(src.path, HEAD)
    if not src.path.is_file():
        return FileReport(src.display, src.format, note="missing")
    if not head:
        return FileReport(src.display, src.format, note="empty")
    fmt = formats.module(src.format) if src.format else formats.detect(src.path, head)
    if fmt is None:
        return FileReport(src.display, None, note="format not recognised")
    file_id, start, note = _identify(store, src, fmt.NAME, head)
    report = FileReport(src.display, fmt.NAME, resumed_from=start, note=note, file_id=file_id)
    reading = fmt.read(src.path, start)
    batch: list[tuple] = []
    malformed: list[tuple] = []
    for item in reading:
        if type(item) is Event:
            batch.append(_get_fields(item))
            if len(batch) >= BATCH:
                _insert(store, file_id, batch)
                report.events += len(batch)
                batch = []
        else:
            report.malformed += 1
            if len(report.examples) < MAX_MALFORMED_KEPT:
                report.examples.append(item)
                malformed.append((file_id, item.line, item.offset, item.reason, item.sample))
    if batch:
        _insert(store, file_id, batch)
        report.events += len(batch)
    if malformed:
        store.con.executemany("INSERT INTO malformed VALUES (?, ?, ?, ?, ?)", malformed)
    end = reading.position
    # the fingerprint covers only what was read: the rest may still change (a half line)
    head = head[: min(len(head), end.offset)]
    store.con.execute(
        'UPDATE files SET path = ?, fingerprint = ?, head_len = ?, "offset" = ?, line = ?, '
        "events = events + ?, malformed = malformed + ?, ingested_at = now()::TIMESTAMP, "
        "ruleset_hash = coalesce(?, ruleset_hash) WHERE id = ?",
        [src.display, _digest(head), len(head), end.offset, end.line, report.events,
         report.malformed, src.ruleset_hash, file_id],
    )
    if src.ruleset_hash and end.line > start.line:
        store.con.execute("INSERT INTO ruleset_history VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                          [file_id, start.line + 1, end.line, src.ruleset_hash])
    return report


def _index_addresses(store: LogStore, reports: list[FileReport]) -> None:
    """Add this run's addresses to addr_index as one sorted run; merge runs when many."""
    new = [(r.file_id, r.resumed_from.line) for r in reports if r.events and r.file_id is not None]
    if not new:
        return
    scope = " OR ".join("(file_id = ? AND line > ?)" for _ in new)
    params = [v for pair in new for v in pair]
    store.con.execute(
        "INSERT INTO addr_index SELECT md5_number_upper(a), time, file_id, line FROM ("
        f"SELECT src AS a, time, file_id, line FROM events WHERE ({scope}) AND src IS NOT NULL "
        f"UNION ALL SELECT dst, time, file_id, line FROM events WHERE ({scope}) AND dst IS NOT NULL "
        "AND dst IS DISTINCT FROM src) ORDER BY 1",
        params + params,
    )
    runs = int(store.sql("SELECT coalesce(max(value), '0') FROM meta WHERE key = 'index_runs'")[0][0]) + 1
    if runs > MAX_INDEX_RUNS:
        store.con.execute("CREATE OR REPLACE TEMP TABLE merged AS SELECT * FROM addr_index ORDER BY a")
        store.con.execute("DELETE FROM addr_index")
        store.con.execute("INSERT INTO addr_index SELECT * FROM merged")
        store.con.execute("DROP TABLE merged")
        runs = 1
    store.con.execute("INSERT OR REPLACE INTO meta VALUES ('index_runs', ?)", [str(runs)])


def _identify(store: LogStore, src: IngestSource, fmt: str, head: bytes) -> tuple[int, Position, str]:
    """The file's id and where to resume: a known file whose first bytes match, else new."""
    rows = store.sql(
        'SELECT id, path, fingerprint, head_len, "offset", line FROM files WHERE format = ?', [fmt]
    )
    known = [r for r in rows if (r[3] and r[3] <= len(head) and _digest(head[: r[3]]) == r[2])
             or (not r[3] and r[1] == src.display)]
    # the same name first, then the longest matching head
    known.sort(key=lambda r: (r[1] != src.display, -r[3]))
    note = ""
    if known:
        file_id, old_path, _, _, offset, line = known[0]
        size = _plain_size(src.path)
        if size is None or size >= offset:
            if old_path != src.display:
                note = f"same file as {old_path} (rotated or copied): resumed at line {line}"
            return file_id, Position(offset, line), note
        note = f"truncated since the last ingest ({size} < {offset} bytes): read from the start"
    elif any(r[1] == src.display for r in rows):
        note = "replaced or truncated since the last ingest: read from the start"
    file_id = store.sql("SELECT coalesce(max(id), 0) + 1 FROM files")[0][0]
    store.con.execute(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, NULL, NULL)",
        [file_id, src.display, fmt, _digest(head), len(head)],
    )
    return file_id, Position(), note


def _insert(store: LogStore, file_id: int, rows: list[tuple]) -> None:
    import numpy as np

    columns = list(zip(*rows))
    data: dict[str, Any] = {}
    constants: dict[str, Any] = {}
    for index, name in enumerate(_FIELDS):
        values = columns[index]
        if index == _TIME:
            data[name] = np.array(values, dtype=np.float64)
            continue
        if values.count(values[0]) == len(values) and index not in (_SRC, _DST, _EXTRA, _RAW):
            # DuckDB converts object columns value by value (about 1 us each): a column
            # with one value for the whole batch (source, kind, interface...) goes as a parameter
            constants[name] = values[0]
            continue
        if index in (_SRC, _DST):
            addresses = [_address(v) for v in values]
            values = [a[0] for a in addresses]
            data[name + "4"] = np.array([a[1] for a in addresses], dtype=np.float64)
        elif index == _EXTRA:
            values = [_extra_json(v) if v else None for v in values]
        elif index == _RAW:
            values = [v if len(v) <= MAX_RAW else v[:MAX_RAW] for v in values]
        data[name] = np.array(values, dtype=object)
    params: list[Any] = [file_id]
    selected = ["?"]
    for name in _FIELDS:
        if name in data:
            selected.append(_COLUMN_SQL[name])
        elif constants.get(name) is None:
            selected.append("NULL")
        else:
            selected.append("?")
            params.append(constants[name])
    selected += [f"CAST({c} AS UINTEGER)" if c in data else "NULL" for c in ("src4", "dst4")]
    con = store.con
    con.register("batch", data)
    try:
        con.execute(f"INSERT INTO events SELECT {', '.join(selected)} FROM batch", params)
    finally:
        con.unregister("batch")


# Logs repeat the same few addresses and extras: both are worked out once per value.
_ADDRESSES: dict[str | None, tuple[str | None, float]] = {None: (None, float("nan"))}
_EXTRAS: dict[tuple, str] = {}
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
NAN = float("nan")


def _address(text: str | None) -> tuple[str | None, float]:
    """The address as stored (IPv6 compressed, so one spelling finds all) and, for IPv4,
    its integer (as a float: NaN means none), for CIDR ranges."""
    known = _ADDRESSES.get(text)
    if known is None:
        try:
            parsed = ipaddress.ip_address(text)
        except ValueError:
            known = (text, NAN)
        else:
            known = (parsed.compressed, float(int(parsed))) if parsed.version == 4 else (parsed.compressed, NAN)
        if len(_ADDRESSES) < 200_000:
            _ADDRESSES[text] = known
    return known


def _extra_json(extra: dict) -> str:
    try:
        key = tuple(extra.items())
        known = _EXTRAS.get(key)
    except TypeError:  # a list or dict among the values: not hashable, encode each time
        return _encode(extra)
    if known is None:
        known = _encode(extra)
        if len(_EXTRAS) < 50_000:
            _EXTRAS[key] = known
    return known


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain_size(path: Path) -> int | None:
    """The file's size when it is not compressed (a gzip file's size says nothing)."""
    with path.open("rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            return None
    return path.stat().st_size
