"""BSD syslog lines (authlog, daemon): timestamp, host, program, message, line number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from askzero.errors import SourceError

LINE_RE = re.compile(r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<prog>[^:\[\s]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$")


@dataclass(frozen=True)
class SyslogLine:
    line: int
    timestamp: str
    host: str
    program: str
    message: str


def read_syslog(path: Path, display: str) -> Iterator[SyslogLine]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SourceError(display, f"cannot read: {exc.strerror}") from exc
    for number, raw in enumerate(text.splitlines(), 1):
        match = LINE_RE.match(raw)
        if match:
            yield SyslogLine(number, match["ts"], match["host"], match["prog"], match["msg"])
