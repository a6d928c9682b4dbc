"""pflog in bulk: blocks of records decoded as numpy columns and written by DuckDB.

Building an ``Event`` per record costs more than reading the record; here Python only
walks the record boundaries of a block of a few megabytes. numpy gathers the fields at
the record offsets, each distinct pfloghdr is decoded once by ``pflogevent.header_info``
(so kind, action, rule, interface and direction are the per-record path's own), and
DuckDB gets a pyarrow table over the block's bytes and writes the rows, each keeping the
file's pcap header and its record in ``record`` (``pflog.rebuild`` decodes it alone).

The records taken in bulk are those ``pflogevent.events`` renders itself: a believable
pfloghdr and timestamp, then IPv4 without options or IPv6 without extension headers
carrying TCP, UDP or ICMP, not a fragment, long enough for the ports. Every other record
goes through ``events`` (a run of them at once), and so does the rest of the file after an
implausible capture length: what it yields (events, malformed records) and where it stops
are the per-record path's by construction.
"""

from __future__ import annotations

import ipaddress
import struct
import zlib
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

from askzero.logs import pflogevent
from askzero.logs.bulk import Batch, Writer
from askzero.logs.formats import Reading
from askzero.logs.lines import Position
from askzero.logs.pflog import _Progress, checked_items  # the per-record reader's own
from askzero.logs.pflogevent import CACHE_MAX, KEY_LEN, NAME, HeaderInfo, events, header_info
from askzero.logs.pflogrecord import PCAP_HDRLEN, caplen_limit, pcap_order
from askzero.logs.record import Event, Malformed

BLOCK = 4 << 20  # bytes decoded at a time: tens of thousands of records per insert
PROTOS = ("tcp", "udp", "icmp", "icmp6")
SAMPLE = 48  # bytes of a record ``events`` keeps as a malformed record's sample


def _octet_texts() -> np.ndarray:
    """Each octet's digits and a dot, right-aligned in four bytes (NUL before), as uint32."""
    texts = np.zeros((256, 4), np.uint8)
    for value in range(256):
        text = f"{value}.".encode()
        texts[value, 4 - len(text) :] = list(text)
    return texts.view(np.uint32).ravel()


_OCTETS = _octet_texts()
# stands for a pfloghdr that is not one (its records are left to ``events``) in the columns
_UNUSED: HeaderInfo = (0, "", "", "", "", "", "", "", {}, False)


# event columns from the batch columns; ? are the format's name and the file's pcap header
COLUMNS = {
    "time": "make_timestamp(CAST(time * 1000000 AS BIGINT))",  # as ingest stores Event.time
    "source": "?",
    "kind": "kind",
    "src": "coalesce(src6, src4_text)",
    "dst": "coalesce(dst6, dst4_text)",
    "sport": "sport",
    "dport": "dport",
    "proto": "proto",
    "action": "action",
    "rule": "rule",
    "iface": "iface",
    "direction": "direction",
    "line": "line",
    "offset": '"offset"',
    "src4": "src4",
    "dst4": "dst4",
    "record": "? || record",
}


def read_bulk(path: Path, start: Position, writer: Writer) -> Reading:
    """The format's bulk path (see ``bulk``): what it leaves to Python is yielded."""
    progress = _Progress(start)
    return Reading(_items(Path(path), progress, writer), progress)


def _items(path: Path, progress: _Progress, writer: Writer) -> Iterator[Event | Malformed]:
    return checked_items(path, progress, lambda fh, head, at: _Blocks(head, writer).run(fh, at))


class _Blocks:
    """The records of one file, a block at a time; the pfloghdrs seen stay decoded."""

    def __init__(self, head: bytes, writer: Writer) -> None:
        self.head, self.writer = head, writer
        self.order, self.divisor = pcap_order(head)
        self.snaplen = struct.unpack(self.order + "I", head[16:20])[0]
        self.headers: dict[bytes, HeaderInfo | str] = {}
        self.began = PCAP_HDRLEN

    def run(self, fh: IO[bytes], progress: _Progress) -> Iterator[Event | Malformed]:
        caplen_at = struct.Struct(self.order + "I").unpack_from
        max_caplen = caplen_limit(self.snaplen)
        base, line = progress.offset, progress.line  # stream offset of buf[0]; records so far
        self.began = base  # the per-record reader reads CHUNK bytes at a time from here
        buf, pos = b"", 0
        while True:
            parts, size, last, failure = [buf[pos:]], 0, False, None
            while size < BLOCK:
                # read as events reads (same sizes from the same place): a damaged or cut
                # .gz stops at the same record
                try:
                    chunk = fh.read(pflogevent.CHUNK)
                except EOFError:  # a gzip stream cut short: maybe still being written
                    chunk = b""
                except (OSError, zlib.error) as exc:
                    chunk, failure = b"", exc
                if not chunk:
                    last = True
                    break
                parts.append(chunk)
                size += len(chunk)
            buf, base, pos = b"".join(parts), base + pos, 0
            starts = []
            end = len(buf)
            implausible = False
            while pos + 16 <= end:
                caplen = caplen_at(buf, pos + 8)[0]
                if caplen > max_caplen:
                    implausible = True
                    break
                if pos + 16 + caplen > end:
                    break  # the record continues in the next block (or is being written)
                starts.append(pos)
                pos += 16 + caplen
            if starts:
                yield from self.block(buf, np.array(starts, np.int64), pos, base, line)
                line += len(starts)
                progress.offset, progress.line = base + pos, line
            if implausible:
                # nothing after it can be framed: events reports it and consumes the rest
                rest = _Reads(buf[pos:], base + pos, self.began, fh)
                yield from events(rest, self.order, self.divisor, self.snaplen, progress)
                return
            if failure is not None:
                yield Malformed(line + 1, base + pos, f"corrupt compressed data: {failure}", "")
            if last:
                return

    def block(
        self, buf: bytes, at: np.ndarray, stop: int, base: int, line: int
    ) -> Iterator[Event | Malformed]:
        """Insert the regular records among those starting at ``at`` (whole, back to back,
        the last ending at ``stop``); yield the items of the others."""
        end = np.append(at[1:], stop)
        ok, columns = self.decode(np.frombuffer(buf.ljust(KEY_LEN), np.uint8), at, end)
        if ok.any():
            offsets = pa.py_buffer(np.append(at, stop).astype(np.int32))
            columns.update(
                ok=ok,
                line=np.arange(line + 1, line + len(at) + 1, dtype=np.int64),
                offset=base + at,
                record=pa.BinaryArray.from_buffers(pa.binary(), len(at),
                                                   [None, offsets, pa.py_buffer(buf)]),
            )
            self.writer.insert(Batch(pa.table(columns), COLUMNS, where="ok",
                                     params=[NAME, self.head]))
        yield from self.per_record(buf, at, end, ~ok, base, line)

    def decode(
        self, data: np.ndarray, at: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Which records are regular, and the batch columns (their values only count
        there). ``data`` may run past the last record, never short of a pfloghdr."""
        sec, frac = _u32(data, at, self.order), _u32(data, at + 4, self.order)
        micro = frac // self.divisor
        hdr = at + 16
        ok = (end - hdr >= KEY_LEN) & (micro < 1_000_000)
        if not ok.any():
            return ok, {}
        # each distinct pfloghdr once: its first KEY_LEN bytes hold all but the translated
        # addresses, which only ``extra`` needs
        keys = _at(data, hdr[ok], KEY_LEN).view(f"V{KEY_LEN}").ravel()
        distinct, which = np.unique(keys, return_inverse=True)
        infos = [self.header(bytes(key)) for key in distinct]
        header = np.zeros(len(at), np.int32)  # each record's index in ``infos``
        header[ok] = which.ravel()
        ok &= np.array([type(info) is not str for info in infos])[header]
        infos = [_UNUSED if type(info) is str else info for info in infos]
        inet6 = np.array([info[1] == "inet6" for info in infos])[header]
        ip = hdr + np.array([info[0] for info in infos])[header]
        avail = end - ip
        # the packets events renders itself (as it tests them)
        version = data[np.minimum(ip, len(data) - 1)]
        proto_num = data[np.minimum(ip + np.where(inet6, 6, 9), len(data) - 1)]
        tcp = proto_num == 6
        v4 = ~inet6 & (avail >= 28) & (version == 0x45) & ((_u16(data, ip + 6) & 0x1FFF) == 0)
        v4 &= (tcp & (avail >= 40)) | (proto_num == 17) | (proto_num == 1)
        v6 = inet6 & (avail >= 48) & (version >> 4 == 6)
        v6 &= (tcp & (avail >= 60)) | (proto_num == 17) | (proto_num == 58)
        ok &= v4 | v6
        proto = np.select([tcp, proto_num == 17, proto_num == 1], [0, 1, 2], 3).astype(np.int32)
        l4 = ip + np.where(inet6, 40, 20)
        no_ports = ~(ok & (proto < 2))
        src4, dst4 = _u32(data, ip + 12, ">"), _u32(data, ip + 16, ">")
        index = pa.array(header)
        words = {name: pa.DictionaryArray.from_arrays(index, pa.array([info[i] for info in infos]))
                 for name, i in (("kind", 2), ("action", 3), ("rule", 4), ("iface", 5),
                                 ("direction", 6))}
        return ok, {
            "time": (sec.astype(np.int64) * 1_000_000 + micro) / 1e6,  # as events: a float
            **words,
            "proto": pa.DictionaryArray.from_arrays(pa.array(proto), pa.array(PROTOS)),
            "sport": pa.array(_u16(data, l4).astype(np.int32), mask=no_ports),
            "dport": pa.array(_u16(data, l4 + 2).astype(np.int32), mask=no_ports),
            "src4": pa.array(src4, mask=inet6),
            "dst4": pa.array(dst4, mask=inet6),
            "src4_text": _dotted(src4),
            "dst4_text": _dotted(dst4),
            "src6": _names6(data, ip + 8, ok & inet6),
            "dst6": _names6(data, ip + 24, ok & inet6),
        }

    def per_record(
        self, buf: bytes, at: np.ndarray, end: np.ndarray, left: np.ndarray, base: int, line: int
    ) -> Iterator[Event | Malformed]:
        """The items ``events`` makes of the records ``left``, a run of neighbours at once."""
        index = np.flatnonzero(left)
        if not len(index):
            return
        for run in np.split(index, np.flatnonzero(np.diff(index) != 1) + 1):
            lo, hi = int(at[run[0]]), int(end[run[-1]])
            # with the bytes after the run, for a malformed record's sample (``islice``:
            # they are not this run's records)
            stream = _Reads(buf[lo : hi + SAMPLE], base + lo, self.began)
            start = _Progress(Position(base + lo, line + int(run[0])))
            yield from islice(events(stream, self.order, self.divisor, self.snaplen, start),
                              len(run))

    def header(self, key: bytes) -> HeaderInfo | str:
        info = self.headers.get(key)
        if info is None:
            if len(self.headers) >= CACHE_MAX:
                self.headers.clear()
            info = self.headers[key] = header_info(key, self.order)
        return info


class _Reads:
    """A stream for ``events``: ``data`` (the file from ``offset`` on), then ``rest``. Its
    reads end where those of the per-record reader (``pflogevent.CHUNK`` bytes each from
    ``began``) end, so that ``events`` cuts a malformed record's sample where it would."""

    def __init__(
        self, data: bytes, offset: int, began: int, rest: IO[bytes] | None = None
    ) -> None:
        self.data, self.offset, self.began, self.rest = data, offset, began, rest
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        if self.pos >= len(self.data):
            return self.rest.read(size) if self.rest else b""
        chunk = pflogevent.CHUNK
        end = self.pos + chunk - (self.offset + self.pos - self.began) % chunk
        piece = self.data[self.pos : end]
        self.pos += len(piece)
        return piece


def _at(data: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes at each offset, a row each. An offset too near the end of the
    block reads the block's last bytes instead: its record is too short to be taken."""
    windows = sliding_window_view(data, width)  # a row per offset, without a copy
    return windows[np.minimum(at, len(windows) - 1)]


def _u16(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The network-order 16-bit field at each offset."""
    return _at(data, at, 2).view(">u2").ravel().astype(np.uint16)


def _u32(data: np.ndarray, at: np.ndarray, order: str) -> np.ndarray:
    return _at(data, at, 4).view(order + "u4").ravel().astype(np.uint32)


def _names6(data: np.ndarray, at: np.ndarray, rows: np.ndarray) -> pa.Array:
    """The text of the IPv6 address at each offset of ``rows`` (as pflogevent writes it,
    once per distinct address); null elsewhere."""
    n = len(at)
    if not rows.any():
        return pa.nulls(n, pa.string())
    raw = _at(data, at[rows], 16).view("V16").ravel()
    distinct, which = np.unique(raw, return_inverse=True)
    names = pa.array([str(ipaddress.IPv6Address(bytes(a))) for a in distinct])
    index = np.zeros(n, np.int32)
    index[rows] = which.ravel()
    return pa.DictionaryArray.from_arrays(pa.array(index, mask=~rows), names)


def _dotted(address: np.ndarray) -> pa.Array:
    """IPv4 addresses (integers) as dotted quads: built here, not in SQL, where it took a
    tenth of the ingest."""
    octets = address.astype(">u4").view(np.uint8).reshape(-1, 4)
    chars = _OCTETS[octets].view(np.uint8)  # 16 bytes a row: each octet as "\0\0" "7."
    chars[:, 15] = 0  # no dot after the last octet
    kept = chars != 0
    offsets = np.zeros(len(address) + 1, np.int32)
    np.cumsum(kept.sum(axis=1), out=offsets[1:])
    text = pa.py_buffer(chars[kept])
    return pa.StringArray.from_buffers(len(address), pa.py_buffer(offsets), text)
