"""The lines a citation points at, read from the site: a text file around the cited lines, or
the decoded records of a binary log (pflog) as the log store holds them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from askzero.evidence import Citation
from askzero.tui.highlight import language_for
from askzero.tui.session import Session

WHOLE_FILE = 1000  # files up to this many lines are shown whole, so the operator can scroll around
CONTEXT = 300  # beyond that, this many lines either side of the citation
MAX_WINDOW = 5000  # a citation may span a whole log: show its start
MAX_LINE = 4000
_RECORDS = re.compile(r"records?\s+(\d+)(?:\s*-\s*(\d+))?")


@dataclass
class Excerpt:
    """Lines ``first``.. of ``path``; ``cited`` holds the line numbers to highlight."""

    path: str
    lines: list[str] = field(default_factory=list)
    first: int = 1
    cited: set[int] = field(default_factory=set)
    language: str | None = None
    note: str = ""  # said above the lines: why there are none, or what they are

    @property
    def first_cited(self) -> int | None:
        return min(self.cited) if self.cited else None


def as_citation(value: Citation | dict[str, Any]) -> Citation:
    if isinstance(value, Citation):
        return value
    lines = value.get("lines")
    return Citation(value["file"], value.get("line"), tuple(lines) if lines else None, value.get("record"))


def cited_lines(citation: Citation) -> set[int]:
    if citation.line is not None:
        return {citation.line}
    if citation.lines is not None:
        # a citation may span millions of log lines; only the first window is ever shown
        first, last = citation.lines
        return set(range(first, min(last, first + MAX_WINDOW) + 1))
    return set()


def load_excerpt(session: Session, value: Citation | dict[str, Any]) -> Excerpt:
    """What the evidence pane shows for a citation."""
    citation = as_citation(value)
    if citation.record is not None:
        return _records(session, citation)
    real = source_path(session, citation.file)
    excerpt = Excerpt(citation.file, cited=cited_lines(citation), language=language_for(citation.file))
    if real.is_dir():
        excerpt.note = f"{citation.file} is a directory: the citation names no file in it"
        return excerpt
    try:
        excerpt.first, excerpt.lines, excerpt.note = read_window(real, excerpt.cited)
    except OSError as exc:
        excerpt.note = f"cannot read {citation.file}: {exc.strerror or exc}"
    return excerpt


def source_path(session: Session, file: str) -> Path:
    """The file a citation names: under the site root, except the knowledge texts, which are
    cited as knowledge/NAME.md and live in the knowledge base (the site may name its own)."""
    real = session.site.real(file)
    if real.exists() or not (file == "knowledge" or file.startswith("knowledge/")):
        return real
    try:
        from askzero.rag.sources import corpus_for_site

        base = corpus_for_site(session.site).knowledge
    except Exception:  # noqa: BLE001 - a broken retrieval setup must not hide the file
        from askzero.rag.sources import default_knowledge_dir

        base = default_knowledge_dir()
    if base is None:
        return real
    return base / file.removeprefix("knowledge").lstrip("/")


def read_window(path: Path, cited: set[int]) -> tuple[int, list[str], str]:
    """The lines to show: a short file whole, else the cited lines with context around them.

    Logs run to gigabytes, so the file is streamed and reading stops after the window; lines
    are cut at MAX_LINE characters (log fields are untrusted and unbounded).
    """
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = [line[:MAX_LINE] for line in islice(fh, WHOLE_FILE + 1)]
        if len(head) <= WHOLE_FILE:
            return 1, head, ""
        if not cited:
            return 1, head[:WHOLE_FILE], f"first {WHOLE_FILE} lines"
        lo = max(1, min(cited) - CONTEXT)
        hi = min(max(cited) + CONTEXT, lo + MAX_WINDOW - 1)
        window = []
        for number, line in enumerate(chain(head, fh), 1):
            if number > hi:
                break
            if number >= lo:
                window.append(line[:MAX_LINE])
    return lo, window, f"lines {lo}-{lo + len(window) - 1}"


def _records(session: Session, citation: Citation) -> Excerpt:
    """A binary log's records, decoded by the store: "record 70" or "records 7-145"."""
    excerpt = Excerpt(citation.file, note=f"{citation.record}, as decoded in the log store")
    m = _RECORDS.search(citation.record or "")
    lo = hi = 1
    if m:
        lo = int(m.group(1))
        hi = min(int(m.group(2) or lo), lo + MAX_WINDOW)
        excerpt.cited = set(range(lo, hi + 1))
    rows = session.log_call(_record_rows, citation.file, max(1, lo - CONTEXT), hi + CONTEXT)
    if rows is None:
        excerpt.note = "the log store is not available: cannot decode these records"
        return excerpt
    by_number = {line: str(message or time or "") for line, time, message in rows}
    if not by_number:
        excerpt.note = "no records of this file are in the log store"
        return excerpt
    # numbered like the file's records, so the gutter shows the record numbers
    excerpt.first = min(by_number)
    last = max(by_number)
    excerpt.lines = [by_number.get(n, "") for n in range(excerpt.first, last + 1)]
    return excerpt


def _record_rows(store: Any, path: str, first: int, last: int) -> list[tuple]:
    """Records ``first``..``last`` of a file in the store, by record number."""
    from askzero.logs.query import records

    return records(store, path, first, last, MAX_WINDOW + 2 * CONTEXT)
