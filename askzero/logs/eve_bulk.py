"""Suricata EVE in bulk: DuckDB parses the lines and computes the event columns.

One INSERT streams the file: numpy finds the lines of each block of a few megabytes, a
pyarrow string array over the block's own bytes hands them to DuckDB without a copy, and
SQL extracts the fields (one JSON parse per line, on both cores) and writes the rows.
Python does what SQL cannot vouch for, so that every stored value is the one
``eve_events.build`` gives:

- a line that is not one JSON object alone on its line (blank lines aside): junk,
  pretty-printed or concatenated objects, CRLF endings, over-long lines, invalid UTF-8 or
  JSON. The statement ends before it; the per-record reader (``eve.read``) reads on from
  there for a block's worth, with its resynchronisation and malformed-line reports, and a
  new statement resumes where it stopped;
- an object whose values are out of the usual shape (``_REGULAR`` is false): a timestamp
  not in Suricata's 31-character form, a protocol outside the usual names, numbers of
  surprising types. Its row is marked and replaced by ``build``'s event;
- IPv6 addresses: SQL compresses the full form Suricata writes (see _address); any other
  spelling is stored as written, then normalised as ingest normalises addresses, in one
  UPDATE (rare: an UPDATE makes the commit rewrite the column).

One difference remains: a record that repeats a key (``{"a": 1, "a": 2}``) is read with the
first value by DuckDB and the last by Python's json. Suricata does not write such records.

Rows written here keep the line in ``raw``; ``message`` and ``extra`` are rebuilt from it
by ``rebuild`` when a row is shown (see ``bulk``).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from askzero.logs import eve
from askzero.logs.bulk import Batch, Writer
from askzero.logs.eve_events import KIND, build
from askzero.logs.formats import Reading
from askzero.logs.lines import Position, is_gzip, open_maybe_gzip, resume_point
from askzero.logs.record import MAX_RAW, Event, Malformed

# bytes read at a time, and what the per-record reader takes on a hand-over; small enough
# that DuckDB's threads stay busy while Python splits the next block (8 MB: 10% slower)
BLOCK = 2 << 20
BULK_MIN = 1 << 20  # bytes: below this, setting up DuckDB costs more than the per-record path
BATCH_ROWS = 16_384  # arrow record batch size: DuckDB scans batches in parallel
MARKED_WINDOW = 200_000  # lines whose marked rows are fetched at once (bounded memory)

# -- SQL --------------------------------------------------------------------------------------
# One JSON parse per line gives each field as JSON text (j.*: as DuckDB writes it back, NULL
# when absent). build's checks become tests on that text: a string starts with a quote; an
# integer is a number without '.', 'e' or 'E'.

# the fields build reads: SQL name -> path in the EVE object
FIELDS = {
    "ts": "timestamp", "type": "event_type", "src": "src_ip", "dst": "dest_ip", "sport": "src_port",
    "dport": "dest_port", "proto": "proto", "flow_id": "flow_id", "iface": "in_iface", "host": "host",
    "a_action": "alert.action", "a_gid": "alert.gid", "a_sid": "alert.signature_id", "a_rev": "alert.rev",
    "a_sig": "alert.signature", "a_cat": "alert.category", "a_sev": "alert.severity",
    "start": "flow.start", "anomaly": "anomaly.event",
}
TEXTS = ("ts", "type", "src", "dst", "proto", "iface", "host", "a_action", "a_sig", "a_cat", "start", "anomaly")
NUMBERS = ("sport", "dport", "proto", "flow_id", "a_gid", "a_sid", "a_rev", "a_sev")
COUNTS = ("sport", "dport", "proto", "a_sev")  # used as numbers; the others only printed
INTEGERS = tuple(name for name in NUMBERS if name != "proto")  # proto may also be a name


def _schema() -> str:
    tree: dict = {}
    for path in FIELDS.values():
        *parents, leaf = path.split(".")
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = "JSON"
    return json.dumps(tree)


def _text(name: str) -> str:
    """``v if type(v) is str else None``; unescaped by DuckDB only when it has escapes (without
    a backslash, the only quotes are the two around it)."""
    x = f"j.{FIELDS[name]}"
    return (f"CASE WHEN starts_with({x}, '\"') THEN CASE WHEN contains({x}, '\\') THEN {x} ->> '$' "
            f"ELSE replace({x}, '\"', '') END END")


def _is_number(name: str) -> str:
    return f"(ascii(j.{FIELDS[name]}) BETWEEN 48 AND 57 OR ascii(j.{FIELDS[name]}) = 45)"


def _has_point(x: str) -> str:
    """A fraction or an exponent in the text (DuckDB writes back as such every integer too
    large for 64 bits)."""
    return f"(contains({x}, '.') OR contains({x}, 'e') OR contains({x}, 'E'))"


def _point(name: str) -> str:
    return "p_proto" if name == "proto" else "points"


def _case(value: str, mapping: dict, default: str = "NULL") -> str:
    """SQL for ``mapping.get(value, default)``."""
    whens = " ".join(f"WHEN {k!r} THEN '{v}'" for k, v in mapping.items())
    return f"CASE {value} {whens} ELSE {default} END"


_STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]([01]\d|2[0-3])[0-5]\d"


def _stamp(value: str) -> str:
    """Suricata's 31-character timestamp, checked as ``isotime`` checks it (strptime alone
    takes a space for a digit and offsets past 23:59), in UTC (its microseconds since the
    epoch: cheaper than a time zone conversion)."""
    return (f"CASE WHEN regexp_full_match({value}, '{_STAMP}') "
            f"THEN make_timestamp(epoch_us(try_strptime({value}, '%Y-%m-%dT%H:%M:%S.%f%z'))) END")


_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"


def _v4(name: str) -> str:
    """A plain IPv4 address (as ``ipaddress`` reads it) as an integer, for CIDR ranges (as
    ingest stores it). A match without captures, then the sum of the octets' weights: about
    half the cost of capturing them (the doubles are exact below 2**53)."""
    v = f"v_{name}"
    return (f"CASE WHEN regexp_full_match({v}, '{_IPV4}') THEN CAST(list_dot_product("
            f"CAST(string_split({v}, '.') AS DOUBLE[]), [16777216.0, 65536.0, 256.0, 1.0]) AS UINTEGER) END")


_FULL_IPV6 = "[0-9A-Fa-f]{4}(:[0-9A-Fa-f]{4}){7}"


def _hextets(name: str) -> str:
    """An IPv6 address as Suricata writes it (eight groups of four digits) as its groups
    without leading zeros, NULL otherwise. IPv4-mapped addresses are left out: Python
    versions print them differently, so Python does (see _normalise_ipv6)."""
    v = f"v_{name}"
    return (f"CASE WHEN contains({v}, ':') AND regexp_full_match({v}, '{_FULL_IPV6}') "
            f"AND NOT starts_with(lower({v}), '0000:0000:0000:0000:0000:ffff:') THEN list_transform("
            f"string_split(lower({v}), ':'), lambda h: coalesce(nullif(ltrim(h, '0'), ''), '0')) END")


def _zeros(name: str) -> str:
    """Which groups are zero, as a string ('11000011'), to find the runs with instr."""
    h = f"h_{name}"
    return (f"CASE WHEN {h} IS NOT NULL THEN list_aggregate(list_transform({h}, "
            f"lambda g: CASE WHEN g = '0' THEN '0' ELSE '1' END), 'string_agg', '') END")


def _address(name: str) -> str:
    """The address as ingest stores it: an IPv6 address compressed as ``ipaddress`` writes
    it (the first longest run of two or more zero groups becomes '::'), so that one
    spelling finds them all. Doing it here spares an UPDATE of the rows afterwards, which
    costs a rewrite of the column at commit."""
    h, z = f"h_{name}", f"z_{name}"
    runs = " ".join(
        f"WHEN instr({z}, '{'0' * n}') > 0 THEN array_to_string({h}[:instr({z}, '{'0' * n}') - 1], ':') || '::' "
        f"|| array_to_string({h}[instr({z}, '{'0' * n}') + {n}:], ':')" for n in range(8, 1, -1))
    return f"CASE WHEN {h} IS NULL THEN v_{name} {runs} ELSE array_to_string({h}, ':') END"


_NAMED_PROTOS = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "IPV6-ICMP": "icmp6", "SCTP": "sctp"}
_NUMBERED_PROTOS = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp"}
_SIGNED = "kind IN ('alert', 'drop', 'other')"  # the kinds whose alert object build reads

# stage 1, per line: the values build reads (v_*), which fields hold numbers (n_*)
_VALUES = ", ".join(
    [f"{_text(name)} AS v_{name}" for name in TEXTS]
    + [f"{_is_number(name)} AS n_{name}" for name in NUMBERS]
    # one test for all the integer fields together: a point anywhere sends the row to build
    + [f"{_has_point('concat(' + ', '.join(f'j.{FIELDS[name]}' for name in INTEGERS) + ')')} AS points",
       f"{_has_point('j.proto')} AS p_proto"]
    + [f"j.{FIELDS[name]} IS NOT NULL AS has_{name}" for name in ("a_gid", "a_rev")]
)

# stage 2: the kind; integers as build takes them (``type(v) is int``): as numbers (i_*) or
# as the digits Python would print (t_*). A number with a point (a float, or an integer past
# 64 bits that DuckDB writes back as a float) may read differently: never in what Suricata
# writes, such a row goes to build (see _REGULAR)
_KINDS = ", ".join(
    [f"CASE WHEN v_type IS NULL THEN 'other' ELSE {_case('v_type', KIND, repr('other'))} END AS kind"]
    + [f"CASE WHEN n_{name} AND NOT {_point(name)} THEN TRY_CAST(j.{FIELDS[name]} AS HUGEINT) END AS i_{name}"
       for name in COUNTS]
    + [f"CASE WHEN n_{name} AND NOT points THEN j.{FIELDS[name]} END AS t_{name}"
       for name in NUMBERS if name not in COUNTS]
    + [f"{_hextets(name)} AS h_{name}" for name in ("src", "dst")]
)

# stage 3: what the columns need more than once
_DERIVED = (f"{_stamp('v_ts')} AS ts_time, CASE WHEN kind = 'flow' THEN {_stamp('v_start')} END AS start_time, "
            f"{_v4('src')} AS v_src4, {_v4('dst')} AS v_dst4, {_zeros('src')} AS z_src, {_zeros('dst')} AS z_dst")

# true when SQL computes exactly what build would for this line
_REGULAR = " AND ".join((
    "ts_time IS NOT NULL",
    "(v_start IS NULL OR kind <> 'flow' OR start_time IS NOT NULL)",
    "NOT coalesce(points, false) AND NOT coalesce(n_proto AND p_proto, false)",
    "(v_proto IS NULL OR regexp_full_match(v_proto, '[A-Za-z0-9_.-]{1,9}'))",
    # gid and rev are printed whatever they are: only integers (or absent) print alike
    f"(NOT {_SIGNED} OR t_a_sid IS NULL OR ((NOT has_a_gid OR t_a_gid IS NOT NULL) "
    "AND (NOT has_a_rev OR t_a_rev IS NOT NULL)))",
))

_PROTO = (f"CASE WHEN v_proto IS NOT NULL THEN CASE WHEN regexp_full_match(v_proto, '[0-9]+') "
          f"THEN {_case('CAST(v_proto AS INTEGER)', _NUMBERED_PROTOS, 'CAST(CAST(v_proto AS INTEGER) AS VARCHAR)')} "
          f"ELSE {_case('v_proto', _NAMED_PROTOS, 'lower(v_proto)')} END "
          f"WHEN i_proto IS NOT NULL THEN {_case('i_proto', _NUMBERED_PROTOS, 'CAST(i_proto AS VARCHAR)')} END")

COLUMNS = {
    "time": "coalesce(start_time, ts_time)",
    # rows SQL cannot vouch for are marked, then replaced by build's events (_replace_marked)
    "source": "CASE WHEN j IS NULL THEN 'eve!' WHEN regular THEN 'eve' ELSE 'eve?' END",
    "kind": "kind",
    # other IPv6 spellings are stored as written, then normalised (see _normalise_ipv6)
    "src": _address("src"),
    "dst": _address("dst"),
    "sport": "CASE WHEN i_sport BETWEEN 0 AND 65535 THEN i_sport END",
    "dport": "CASE WHEN i_dport BETWEEN 0 AND 65535 THEN i_dport END",
    "proto": f"CASE WHEN regular THEN {_PROTO} END",
    "action": f"CASE WHEN kind = 'drop' THEN 'blocked' WHEN {_SIGNED} THEN v_a_action END",
    "severity": f"CASE WHEN regular AND {_SIGNED} AND i_a_sev IS NOT NULL THEN least(greatest(i_a_sev, 1), 4) END",
    "signature": f"CASE WHEN {_SIGNED} THEN v_a_sig WHEN kind = 'anomaly' THEN v_anomaly END",
    "signature_id": (f"CASE WHEN regular AND {_SIGNED} AND t_a_sid IS NOT NULL THEN "
                     "coalesce(t_a_gid, '1') || ':' || t_a_sid || ':' || coalesce(t_a_rev, '0') END"),
    "category": f"CASE WHEN {_SIGNED} THEN v_a_cat END",
    "iface": "v_iface",
    "host": "v_host",
    "flow": "t_flow_id",
    "line": "line",
    "offset": '"offset"',
    "raw": "text",
    "src4": "v_src4",
    "dst4": "v_dst4",
}

# the lines (see _lines) with the values build reads
_SOURCE = (
    f"(SELECT *, ({_REGULAR}) IS TRUE AS regular FROM ("
    f"SELECT *, {_DERIVED} FROM ("
    f"SELECT *, {_KINDS} FROM ("
    f"SELECT line, \"offset\", text, j, {_VALUES} FROM ("
    f"SELECT line, \"offset\", text, TRY(from_json(text, '{_schema()}')) AS j FROM batch)))))"
)


@functools.cache
def _arrow_schema() -> Any:
    """The lines as DuckDB scans them (see _lines)."""
    import pyarrow as pa

    return pa.schema([("line", pa.int64()), ("offset", pa.int64()), ("text", pa.string_view())])


def read_bulk(path: Path, start: Position, writer: Writer) -> Reading:
    """The format's bulk path (see ``bulk``): what it leaves to Python is yielded."""
    if _new_bytes(path, start) < BULK_MIN:
        return eve.read(path, start)
    progress = _Progress(resume_point(path, start))
    return Reading(_blocks(Path(path), progress, writer), progress)


def rebuild(raw: str | None, record: bytes | None, line: int, offset: int) -> Event | None:
    """The per-record event of a row written in bulk, from its line."""
    if raw is None:
        return None
    return build(json.loads(raw), line, offset, raw)


def _new_bytes(path: Path, start: Position) -> int:
    """About how much is left to read (a compressed file is guessed at 8 times its size)."""
    size = path.stat().st_size
    return (8 * size if is_gzip(path) else size) - start.offset


class _Progress:
    __slots__ = ("position", "to_end")

    def __init__(self, position: Position) -> None:
        self.position = position
        self.to_end = False  # the per-record reader takes the rest of the file


def _blocks(path: Path, progress: _Progress, writer: Writer) -> Iterator[Event | Malformed]:
    """One INSERT streams the file's blocks until a line bulk cannot take (or the end); the
    per-record reader takes it from there for a block's worth, then bulk resumes."""
    import pyarrow as pa

    with open_maybe_gzip(path) as fh:
        while not progress.to_end:
            at = progress.position
            feed = _Feed(fh, at)
            # statements are costly to plan: one for as much of the file as bulk can take
            writer.insert(Batch(pa.RecordBatchReader.from_batches(_arrow_schema(), feed.batches()),
                                COLUMNS, source=_SOURCE))
            _normalise_ipv6(writer, at.line, feed.position.line)
            invalid = yield from _replace_marked(writer, at.line, feed.position.line)
            progress.position = invalid or feed.position
            if feed.ended and not invalid:
                break
            if not (yield from _per_record(path, progress)):
                return  # a damaged compressed stream: reported, nothing more can be read
    rest = eve.read(path, progress.position)  # the end: a final line without its newline
    yield from rest
    progress.position = rest.position


def _per_record(path: Path, progress: _Progress) -> Generator[Event | Malformed, None, bool]:
    """The per-record reader for about a block from the current position. Returns whether
    reading can go on."""
    at = progress.position
    rest = eve.read(path, at, stop=at.offset + BLOCK)
    said = False
    for item in rest:
        said = True
        yield item
    progress.position = rest.position
    if rest.position.offset == at.offset:
        if said:
            return False
        progress.to_end = True  # one record longer than a block: let it read on
    return True


class _Feed:
    """The blocks of whole lines from a position, as arrow batches, up to the first line
    bulk cannot take; ``position`` is after the last line handed out."""

    def __init__(self, fh: IO[bytes], start: Position):
        self.fh = fh
        self.position = start
        self.ended = False  # reached the end of the file (what follows the last newline aside)

    def batches(self) -> Iterator[Any]:
        try:
            self.fh.seek(self.position.offset)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
            return  # the per-record reader reports it
        carry = b""
        while True:
            # each block is read into a buffer of its own, which the arrow batches then
            # point into: no copies, and nothing rewritten under DuckDB while it scans
            data = bytearray(len(carry) + BLOCK)
            data[: len(carry)] = carry
            try:
                read = self.fh.readinto(memoryview(data)[len(carry):])
            except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
                return
            if not read:
                self.ended = True
                return
            end = len(carry) + read
            cut = data.rfind(b"\n", 0, end) + 1
            if cut == 0 and end <= 2 * BLOCK:
                carry = bytes(data[:end])  # a long line: read on
                continue
            if cut == 0:
                return  # longer than any record: the per-record reader reports it
            carry = bytes(data[cut:end])
            batch, whole = _lines(data, cut, self.position)
            if batch is not None:
                self.position = Position(self.position.offset + batch.consumed, self.position.line + batch.count)
                yield from batch.table.to_batches(max_chunksize=BATCH_ROWS)
            if not whole:
                return


@dataclass
class _Lines:
    table: Any
    count: int
    consumed: int  # bytes


def _lines(block: bytearray, size: int, at: Position) -> tuple[_Lines | None, bool]:
    """The lines of ``block[:size]`` up to the first one bulk cannot take, and whether that
    was all of them."""
    import numpy as np
    import pyarrow as pa

    data = np.frombuffer(block, dtype=np.uint8, count=size)
    ends = np.flatnonzero(data == 10)  # the block ends with a newline
    starts = np.empty(len(ends) + 1, dtype=np.int64)
    starts[0], starts[1:] = 0, ends + 1
    lengths = ends - starts[:-1]
    nonblank = lengths > 0
    # one object alone on its line, as Suricata writes them; anything else goes to Python
    simple = (nonblank & (data[starts[:-1]] == ord("{")) & (data[np.maximum(ends - 1, 0)] == ord("}"))
              & (lengths <= MAX_RAW))
    odd = np.flatnonzero(nonblank & ~simple)
    until = int(odd[0]) if len(odd) else len(ends)
    # arrow strings are UTF-8 (the test covers the bytes past size too: a quick yes)
    if not block.isascii() and (data[: starts[until]] >= 0x80).any():
        try:
            str(memoryview(block)[: starts[until]], "utf-8")
        except UnicodeDecodeError as exc:
            until = int(np.searchsorted(starts, exc.start, side="right")) - 1
    if not until:
        return None, False
    numbers = np.arange(at.line + 1, at.line + until + 1, dtype=np.int64)
    table = pa.Table.from_arrays([numbers, starts[:until] + at.offset, _views(data, starts[:until], lengths[:until])],
                                 schema=_arrow_schema())
    return _Lines(table, until, int(starts[until])), until == len(ends)


def _views(data: Any, starts: Any, lengths: Any) -> Any:
    """The lines as an arrow string-view array over the block itself (no copy): 16 bytes a
    line, its length then, for up to 12 bytes, the bytes, else a 4-byte prefix, the buffer
    (0) and the offset."""
    import numpy as np
    import pyarrow as pa

    count = len(starts)
    views = np.zeros((count, 4), dtype=np.int32)
    views[:, 0] = lengths
    short = np.flatnonzero(lengths <= 12)
    if len(short):
        at = np.minimum(starts[short, None] + np.arange(12), len(data) - 1)
        inline = np.where(np.arange(12) < lengths[short, None], data[at], 0).astype(np.uint8)
        views.view(np.uint8).reshape(count, 16)[short, 4:] = inline
    long = np.flatnonzero(lengths > 12)
    views[long, 1] = np.ascontiguousarray(data[starts[long, None] + np.arange(4)]).view(np.int32).ravel()
    views[long, 3] = starts[long]
    return pa.Array.from_buffers(pa.string_view(), count, [None, pa.py_buffer(views), pa.py_buffer(data)])


def _replace_marked(writer: Writer, after: int, last: int) -> Generator[Event | Malformed, None, Position | None]:
    """Replace the rows SQL marked among lines (after, last] with build's events. A line
    that is not valid JSON ends the bulk part there: its position is returned, and the rows
    after it are removed (the per-record reader reads them next)."""
    con = writer.con
    for low in range(after, last, MARKED_WINDOW):
        high = min(low + MARKED_WINDOW, last)
        marked = con.execute(
            'SELECT line, "offset", raw, source FROM events WHERE file_id = ? AND line > ? AND line <= ? '
            "AND source IN ('eve?', 'eve!') ORDER BY line", [writer.file_id, low, high]).fetchall()
        if not marked:
            continue
        invalid = next(((line, offset) for line, offset, _, source in marked if source == "eve!"), None)
        if invalid is not None:
            high = invalid[0] - 1
            writer.discard("line > ?", [high])
        writer.discard("line > ? AND line <= ? AND source = 'eve?'", [low, high])
        for number, offset, raw, _ in marked:
            if number > high:
                break
            yield eve._made(build, json.loads(raw), number, offset, raw)
        if invalid is not None:
            return Position(invalid[1], invalid[0] - 1)
    return None


def _normalise_ipv6(writer: Writer, after: int, last: int) -> None:
    """IPv6 addresses SQL left as written (see _address: already compressed, IPv4-mapped,
    with a zone) as ingest stores them; a file holds few such rows, if any. An UPDATE here
    is costly on a large file (the column is rewritten at commit): SQL takes the usual form."""
    import pyarrow as pa

    from askzero.logs.ingest import stored_address

    con = writer.con
    where = "file_id = ? AND line > ? AND line <= ?"
    for column in ("src", "dst"):
        spellings = [row[0] for row in con.execute(
            f"SELECT DISTINCT {column} FROM events WHERE {where} AND contains({column}, ':')",
            [writer.file_id, after, last]).fetchall()]
        changed = [(spelling, stored) for spelling in spellings
                   if (stored := stored_address(spelling)[0]) != spelling]
        if not changed:
            continue
        con.register("ipv6", pa.table({"spelling": [c[0] for c in changed], "stored": [c[1] for c in changed]}))
        try:
            con.execute(f"UPDATE events SET {column} = ipv6.stored FROM ipv6 "
                        f"WHERE {where} AND events.{column} = ipv6.spelling", [writer.file_id, after, last])
        finally:
            with contextlib.suppress(Exception):
                con.unregister("ipv6")
