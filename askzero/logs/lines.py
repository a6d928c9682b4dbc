"""Reading a text log line by line from where the last ingest stopped.

Files may be plain or gzip-compressed (rotated logs); offsets count bytes of the
decompressed stream. Memory stays bounded: a line longer than ``max_line`` is handed out
as ``too_long`` with only its start, and the rest is skipped in chunks.

A final line without its newline may be a record still being written. It is consumed only
when the format accepts it as complete (``accept_partial``); otherwise the next ingest
reads it again, whole.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_LINE = 1 << 20  # 1 MiB: far above any real log line, small enough to keep in memory
SAMPLE = 200  # characters of a bad line kept for the report


@dataclass(frozen=True, slots=True)
class Position:
    """How far a file has been read: bytes and lines consumed."""

    offset: int = 0
    line: int = 0


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based
    offset: int  # byte offset of its first byte
    data: bytes  # without the newline; only the start when too_long
    terminated: bool  # ended by a newline (a final line may not be)
    too_long: bool = False


def is_gzip(path: str | Path) -> bool:
    """Whether the file starts with the gzip magic (False when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def open_maybe_gzip(path: str | Path) -> IO[bytes]:
    """The file's bytes, decompressed when it starts with the gzip magic."""
    if is_gzip(path):
        return gzip.open(path, "rb")
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def read_head(path: str | Path, size: int = 4096) -> bytes:
    """The first bytes of the (decompressed) file, for format detection and fingerprints."""
    try:
        with open_maybe_gzip(path) as fh:
            return fh.read(size)
    except (OSError, EOFError, zlib.error):  # gzip.BadGzipFile is an OSError
        return b""


class LineSource:
    """Iterate the lines of a file from a position; ``position`` says how far it got."""

    def __init__(self, path: str | Path, start: Position = Position(), max_line: int = MAX_LINE,
                 stop: int | None = None):
        self.path = Path(path)
        self.start = start
        self.max_line = max_line
        self.stop = stop  # a line boundary to end at, as if the file ended there
        self.position = start
        self._pending: Position | None = None

    def __iter__(self) -> Iterator[Line]:
        with open_maybe_gzip(self.path) as fh:
            offset, number = self.start.offset, self.start.line
            if offset:
                offset = _past_accepted_partial(fh, offset)
                fh.seek(offset)
                self.position = Position(offset, number)
            limit = self.max_line + 1
            while True:
                if self.stop is not None and offset >= self.stop:
                    return
                data = fh.readline(limit)
                if not data:
                    return
                number += 1
                if data.endswith(b"\n"):
                    end = offset + len(data)
                    line = Line(number, offset, data[:-1].rstrip(b"\r"), True)
                elif len(data) >= limit:
                    end = offset + len(data) + self._skip_rest(fh)
                    line = Line(number, offset, data[: self.max_line], True, too_long=True)
                else:
                    # a final line without newline: consumed only if accepted
                    self._pending = Position(offset + len(data), number)
                    yield Line(number, offset, data.rstrip(b"\r"), False)
                    return
                self.position = Position(end, number)
                yield line
                offset = end

    def accept_partial(self) -> None:
        """The format read the unterminated final line as a complete record."""
        if self._pending is not None:
            self.position, self._pending = self._pending, None

    def _skip_rest(self, fh: IO[bytes]) -> int:
        """Skip to the end of an over-long line; the number of bytes skipped."""
        skipped = 0
        while True:
            chunk = fh.readline(self.max_line)
            skipped += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                return skipped


def resume_point(path: str | Path, start: Position) -> Position:
    """``start`` moved past the newline that completed an accepted final line (see below);
    for readers that track their own position."""
    if not start.offset:
        return start
    try:
        with open_maybe_gzip(path) as fh:
            return Position(_past_accepted_partial(fh, start.offset), start.line)
    except (OSError, EOFError, zlib.error):
        return start  # the reader reports the same problem when it reads


def _past_accepted_partial(fh: IO[bytes], offset: int) -> int:
    """Where reading really resumes. When the last read ended on a final line without its
    newline (accepted as a whole record), the newline written since ends that line: it must
    not count as a new, empty one, or every later line number would be one too high."""
    fh.seek(offset - 1)
    around = fh.read(3)
    if around[:1] == b"\n":
        return offset
    if around[1:2] == b"\n":
        return offset + 1
    if around[1:3] == b"\r\n":
        return offset + 2
    return offset


def sample(data: bytes) -> str:
    """The start of a bad record, printable, for reports."""
    text = data[:SAMPLE].decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
