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
from askzero.logs.bulk import Writer
from askzero.logs.lines import Position, is_gzip, read_head
from askzero.logs.record import EVENT_COLUMNS, MAX_RAW, Event, Malformed
from askzero.logs.store import LogStore, index_rows

MAX_INDEX_RUNS = 16  # sorted runs in addr_index before they are merged into one
BATCH = 50_000  # events handed to DuckDB at once: big enough to amortise, small enough for memory
MAX_MALFORMED_KEPT = 1000  # per file and run; all are counted
HEAD = 4096

_FIELDS = tuple(name for name, _ in EVENT_COLUMNS)
_get_fields = attrgetter(*_FIELDS)
_TIME, _SRC, _DST, _EXTRA, _RAW = (_FIELDS.index(n) for n in ("time", "src", "dst", "extra", "raw"))

_COLUMN_SQL = {name: f'"{name}"' for name in _FIELDS}
_NAMES = ", ".join(_COLUMN_SQL.values())
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


@dataclass
class _FileState:
    """A file's row in ``files`` as this run leaves it; written when the run publishes."""

    id: int
    path: str
    format: str
    fingerprint: str
    head_len: int
    offset: int
    line: int
    new: bool
    events: int = 0
    malformed: int = 0
    ruleset_hash: str | None = None


class _Run:
    """One ingest, in one transaction: events go straight into ``events`` (DuckDB writes
    the rows of a large transaction to the file as it goes, so memory stays bounded on a
    multi-GB file); ``publish`` adds their addresses to the index, the files' new state and
    the malformed examples, and commits. Until then no reader sees any of it."""

    def __init__(self, store: LogStore):
        self.store = store
        self.files: dict[int, _FileState] = {}  # changed by this run
        self.malformed: list[tuple] = []
        self.history: list[tuple] = []
        self.spans: list[tuple[int, int]] = []  # (file id, last line stored before this run)
        self.written = 0
        rows = store.sql('SELECT id, path, format, fingerprint, head_len, "offset", line FROM files')
        self.stored = {r[0]: _FileState(*r, new=False) for r in rows}
        store.con.execute("BEGIN TRANSACTION")

    def known(self, fmt: str) -> list[_FileState]:
        states = {i: f for i, f in self.stored.items() if f.format == fmt}
        states.update({i: f for i, f in self.files.items() if f.format == fmt})
        return list(states.values())

    def unchanged(self, src: IngestSource, head: bytes, size: int | None) -> bool:
        """Read to its end before and not grown since: nothing to do, not even detection."""
        return any(f.path == src.display and f.head_len and size == f.offset
                   and _digest(head[: f.head_len]) == f.fingerprint for f in self.stored.values())

    def next_id(self) -> int:
        return max([0, *self.stored, *self.files]) + 1

    def abandon(self) -> None:
        self.store.con.execute("ROLLBACK")

    def publish(self) -> None:
        con = self.store.con
        if self.written:
            _index_addresses(self.store, self.spans)
        for f in self.files.values():
            if f.new:
                con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                            [f.id, f.path, f.format, f.fingerprint, f.head_len, f.offset, f.line,
                             f.events, f.malformed, f.ruleset_hash])
            else:
                con.execute(
                    'UPDATE files SET path = ?, fingerprint = ?, head_len = ?, "offset" = ?, line = ?, '
                    "events = events + ?, malformed = malformed + ?, ingested_at = now()::TIMESTAMP, "
                    "ruleset_hash = coalesce(?, ruleset_hash) WHERE id = ?",
                    [f.path, f.fingerprint, f.head_len, f.offset, f.line, f.events, f.malformed,
                     f.ruleset_hash, f.id])
        if self.malformed:
            con.executemany("INSERT INTO malformed VALUES (?, ?, ?, ?, ?)", self.malformed)
        if self.history:
            con.executemany("INSERT INTO ruleset_history VALUES (?, ?, ?, ?, now()::TIMESTAMP)", self.history)
        con.execute("COMMIT")


def ingest(store: LogStore, sources: Iterable[IngestSource]) -> list[FileReport]:
    """Ingest every source; all of it becomes visible at once, or none of it (a run killed
    or failing at any point leaves the store as it was)."""
    run = _Run(store)
    try:
        reports = [_ingest_one(run, src) for src in sources]
        run.publish()
    except BaseException:
        run.abandon()
        raise
    return reports


def _ingest_one(run: _Run, src: IngestSource) -> FileReport:
    head = read_head(src.path, HEAD)
    if not src.path.is_file():
        return FileReport(src.display, src.format, note="missing")
    if not head:
        return FileReport(src.display, src.format, note="empty")
    size = _plain_size(src.path)
    if run.unchanged(src, head, size):
        return FileReport(src.display, src.format, note="unchanged")
    fmt = formats.module(src.format) if src.format else formats.detect(src.path, head)
    if fmt is None:
        return FileReport(src.display, None, note="format not recognised")
    state, note = _identify(run, src, fmt.NAME, head, size)
    start = Position(state.offset, state.line)
    report = FileReport(src.display, fmt.NAME, resumed_from=start, note=note, file_id=state.id)
    bulk = getattr(fmt, "read_bulk", None)
    writer = Writer(run.store.con, state.id)
    reading = bulk(src.path, start, writer) if bulk else fmt.read(src.path, start)
    batch: list[tuple] = []
    for item in reading:
        if type(item) is Event:
            batch.append(_get_fields(item))
            if len(batch) >= BATCH:
                _insert(run.store, state.id, batch)
                report.events += len(batch)
                batch = []
        else:
            report.malformed += 1
            if len(report.examples) < MAX_MALFORMED_KEPT:
                report.examples.append(item)
                run.malformed.append((state.id, item.line, item.offset, item.reason, item.sample))
    if batch:
        _insert(run.store, state.id, batch)
        report.events += len(batch)
    report.events += writer.events
    run.written += report.events
    run.spans.append((state.id, start.line))
    end = reading.position
    # the fingerprint covers only what was read: the rest may still change (a half line)
    head = head[: min(len(head), end.offset)]
    state.path, state.fingerprint, state.head_len = src.display, _digest(head), len(head)
    state.offset, state.line = end.offset, end.line
    state.events += report.events
    state.malformed += report.malformed
    if src.ruleset_hash:
        state.ruleset_hash = src.ruleset_hash
        if end.line > start.line:
            run.history.append((state.id, start.line + 1, end.line, src.ruleset_hash))
    run.files[state.id] = state
    return report


def _index_addresses(store: LogStore, spans: list[tuple[int, int]]) -> None:
    """Add the addresses of this run's events to addr_index as one sorted run; merge runs
    when many. ``spans``: per file, the last line stored before (this run's rows follow)."""
    new = " OR ".join(f"(file_id = {int(f)} AND line > {int(after)})" for f, after in spans)
    store.con.execute(f"INSERT INTO addr_index {index_rows(new)}")
    runs = int(store.sql("SELECT coalesce(max(value), '0') FROM meta WHERE key = 'index_runs'")[0][0]) + 1
    if runs > MAX_INDEX_RUNS:
        store.con.execute("CREATE OR REPLACE TEMP TABLE merged AS SELECT * FROM addr_index ORDER BY a")
        store.con.execute("DELETE FROM addr_index")
        store.con.execute("INSERT INTO addr_index SELECT * FROM merged")
        store.con.execute("DROP TABLE merged")
        runs = 1
    store.con.execute("INSERT OR REPLACE INTO meta VALUES ('index_runs', ?)", [str(runs)])


def _identify(run: _Run, src: IngestSource, fmt: str, head: bytes, size: int | None) -> tuple[_FileState, str]:
    """The file's state and a note: a known file whose first bytes match, else a new one."""
    states = run.known(fmt)
    known = [f for f in states if (f.head_len and f.head_len <= len(head)
                                   and _digest(head[: f.head_len]) == f.fingerprint)
             or (not f.head_len and f.path == src.display)]
    # the same name first, then the longest matching head
    known.sort(key=lambda f: (f.path != src.display, -f.head_len))
    note = ""
    if known:
        state = known[0]
        if size is None or size >= state.offset:
            if state.path != src.display:
                note = f"same file as {state.path} (rotated or copied): resumed at line {state.line}"
            return state, note
        note = f"truncated since the last ingest ({size} < {state.offset} bytes): read from the start"
    elif any(f.path == src.display for f in states):
        note = "replaced or truncated since the last ingest: read from the start"
    state = _FileState(run.next_id(), src.display, fmt, _digest(head), len(head), 0, 0, new=True)
    return state, note


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
            addresses = [stored_address(v) for v in values]
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
        con.execute(f"INSERT INTO events (file_id, {_NAMES}, src4, dst4) SELECT {', '.join(selected)} FROM batch",
                    params)
    finally:
        con.unregister("batch")


# Logs repeat the same few addresses and extras: both are worked out once per value.
_ADDRESSES: dict[str | None, tuple[str | None, float]] = {None: (None, float("nan"))}
_EXTRAS: dict[tuple, str] = {}
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
NAN = float("nan")


def stored_address(text: str | None) -> tuple[str | None, float]:
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
    return None if is_gzip(path) else path.stat().st_size
