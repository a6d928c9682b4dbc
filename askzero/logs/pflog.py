"""pflog(4) capture files, as pflogd(8) writes them to /var/log/pflog: the log format entry.

Three ways in:
- ``read(path, start)``, the format interface (see ``formats.py``): one ``Event`` per record
  from a resume position, fast, never raising on bad content (``Malformed`` items instead);
- ``read_bulk(path, start, writer)``, the store's ingest path (see ``bulk.py``): the regular
  records go to the store in columns (``pflog_bulk``), the others come out as ``read`` gives them;
- ``read_pflog(path)``: whole ``PflogRecord`` values, raising ``SourceError`` on the first
  problem, for commands that explain one capture.

The record layout and its decoding are in ``pflogrecord``; the fast path in ``pflogevent``;
making records and files (demo site, tests) in ``pflogwrite``.

Positions count bytes of the decompressed stream (rotated files are gzip-compressed, as
newsyslog leaves ``pflog.0.gz``); ``Position.line`` counts the records consumed.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from askzero.errors import SourceError
from askzero.logs.formats import Reading
from askzero.logs.lines import Position, open_maybe_gzip
from askzero.logs.pflogevent import NAME, events
from askzero.logs.pflogrecord import (
    DLT_PFLOG,
    PCAP_HDRLEN,
    PCAP_RECLEN,
    PflogRecord,
    caplen_limit,
    decode_record,
    pcap_linktype,
    pcap_order,
)
from askzero.logs.record import Event, Malformed

__all__ = ["NAME", "sniff", "read", "read_bulk", "is_pflog_file", "read_pflog", "PflogRecord"]


def sniff(head: bytes, name: str) -> bool:
    """Whether the first bytes of a (decompressed) file are a pcap header for DLT_PFLOG."""
    if len(head) < PCAP_HDRLEN:
        return False
    try:
        order, _ = pcap_order(head)
    except ValueError:
        return False
    return pcap_linktype(head, order) == DLT_PFLOG


def is_pflog_file(path: str | Path) -> bool:
    """True when the file (plain or gzip) is a pcap file with link type DLT_PFLOG."""
    try:
        with open_maybe_gzip(path) as fh:
            head = fh.read(PCAP_HDRLEN)
    except (OSError, EOFError, zlib.error):
        return False
    return sniff(head, Path(path).name)


class _Progress:
    """How far ``read`` got; ``Reading.position`` asks it."""

    __slots__ = ("offset", "line")

    def __init__(self, start: Position) -> None:
        self.offset, self.line = start.offset, start.line

    @property
    def position(self) -> Position:
        return Position(self.offset, self.line)


def read(path: Path, start: Position = Position()) -> Reading:
    """The records of a pflog file from ``start`` on, as events.

    Only a missing or unreadable file raises (``SourceError``, on iteration); bad content
    becomes ``Malformed`` items. A final record still being written is left for the next
    read, and so is a file too short to hold the pcap header yet.
    """
    progress = _Progress(start)
    return Reading(_items(Path(path), progress), progress)


def read_bulk(path: Path, start: Position, writer: Any) -> Reading:
    """The bulk path (``pflog_bulk``): regular records stored as columns; see ``bulk``."""
    from askzero.logs import pflog_bulk  # numpy and pyarrow: only ingest pays for them

    return pflog_bulk.read_bulk(path, start, writer)


def rebuild(raw: str | None, record: bytes | None, line: int, offset: int) -> Event | None:
    """The per-record event of a row the bulk path wrote, from its ``record`` bytes (the
    file's pcap header, then the record). Here, not in ``pflog_bulk``: showing a row must not
    import numpy and pyarrow."""
    if record is None or len(record) < PCAP_HDRLEN + PCAP_RECLEN:
        return None
    head = bytes(record[:PCAP_HDRLEN])
    order, divisor = pcap_order(head)
    snaplen = struct.unpack(order + "I", head[16:20])[0]
    items = events(io.BytesIO(record[PCAP_HDRLEN:]), order, divisor, snaplen,
                   _Progress(Position(offset, line - 1)))
    item = next(items, None)
    return item if type(item) is Event else None


def _items(path: Path, progress: _Progress) -> Iterator[Event | Malformed]:
    return checked_items(path, progress, _events)


def _events(fh: IO[bytes], head: bytes, progress: _Progress) -> Iterator[Event | Malformed]:
    order, divisor = pcap_order(head)
    snaplen = struct.unpack(order + "I", head[16:20])[0]
    return events(fh, order, divisor, snaplen, progress)


Body = Callable[[IO[bytes], bytes, _Progress], Iterator[Event | Malformed]]


def checked_items(path: Path, progress: _Progress, body: Body) -> Iterator[Event | Malformed]:
    """The file's pcap header checked and the stream at ``progress``, then ``body``'s items
    (the per-record reader's, or the bulk path's)."""
    try:
        fh = open_maybe_gzip(path)
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    with fh:
        try:
            head = fh.read(PCAP_HDRLEN)
        except EOFError:
            return  # a gzip file still being written
        except (OSError, zlib.error) as exc:
            yield Malformed(0, 0, f"corrupt compressed data: {exc}", "")
            return
        if len(head) < PCAP_HDRLEN:
            return
        problem = _header_problem(head)
        if problem:  # line 0: the file header, before any record
            yield Malformed(0, 0, problem, head.hex())
            return
        if progress.offset < PCAP_HDRLEN:
            progress.offset = PCAP_HDRLEN
        elif progress.offset > PCAP_HDRLEN:
            try:
                fh.seek(progress.offset)
            except EOFError:
                return
            except (OSError, zlib.error) as exc:
                yield Malformed(progress.line + 1, progress.offset,
                                f"corrupt compressed data: {exc}", "")
                return
        yield from body(fh, head, progress)


def _header_problem(head: bytes) -> str | None:
    try:
        order, _ = pcap_order(head)
    except ValueError as exc:
        return f"not a pcap file: {exc}"
    linktype = pcap_linktype(head, order)
    if linktype != DLT_PFLOG:
        return f"not a pflog file: link type {linktype}, expected 117 (DLT_PFLOG)"
    return None


# --------------------------------------------------------------------------- whole records


def read_pflog(path: str | Path, display: str | None = None) -> Iterator[PflogRecord]:
    """Yield the records of a pflog file (plain or gzip-compressed), in file order.

    Records and errors name the file as ``display`` when given (how the site names it),
    else as ``path``. Raises SourceError naming the file (and the record, when one is
    broken) for a missing file, a file that is not a pflog capture, and a truncated or
    malformed record.
    """
    name = display if display is not None else str(path)
    try:
        fh = open_maybe_gzip(path)
    except OSError as exc:
        raise SourceError(name, f"cannot read: {exc.strerror or exc}") from exc
    with fh:
        yield from _read_stream(fh, name)


def _read_exact(fh: IO[bytes], n: int, name: str, what: str) -> bytes:
    try:
        return fh.read(n)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(name, f"{what}: corrupt compressed data ({exc})") from exc


def _read_stream(fh: IO[bytes], name: str) -> Iterator[PflogRecord]:
    head = _read_exact(fh, PCAP_HDRLEN, name, "pcap header")
    if len(head) < PCAP_HDRLEN:
        raise SourceError(name, f"not a pcap file: {len(head)} bytes, the header needs 24")
    problem = _header_problem(head)
    if problem:
        raise SourceError(name, problem)
    order, divisor = pcap_order(head)
    snaplen = struct.unpack(order + "I", head[16:20])[0]
    offset = PCAP_HDRLEN
    index = 0
    rec_hdr = struct.Struct(order + "IIII")
    while True:
        index += 1
        where = f"record {index} at byte {offset}"
        hdr = _read_exact(fh, 16, name, where)
        if not hdr:
            return
        if len(hdr) < 16:
            raise SourceError(name, f"{where}: truncated record header ({len(hdr)} of 16 bytes)")
        sec, frac, caplen, wirelen = rec_hdr.unpack(hdr)
        if caplen > caplen_limit(snaplen):
            raise SourceError(name, f"{where}: capture length {caplen} is implausible")
        data = _read_exact(fh, caplen, name, where)
        if len(data) < caplen:
            raise SourceError(
                name, f"{where}: truncated packet data ({len(data)} of {caplen} bytes)"
            )
        micro = frac // divisor
        if micro >= 1_000_000:
            raise SourceError(name, f"{where}: bad timestamp fraction {frac}")
        time = datetime.fromtimestamp(sec, tz=timezone.utc).replace(microsecond=micro)
        try:
            record = decode_record(data, wirelen, order, time, name, index, offset)
        except ValueError as exc:
            raise SourceError(name, f"{where}: {exc}") from None
        yield record
        offset += 16 + caplen
