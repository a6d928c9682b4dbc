"""Evidence: the typed facts that pass between the tools and everything that renders them.

A tool returns evidence; the composer, the guard, the TUI and ``--json`` consume it. Every
piece carries the citation of where it came from, so an answer can always show its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """Where a fact comes from: a file and line (or line range), or a log record."""

    file: str
    line: int | None = None
    lines: tuple[int, int] | None = None
    record: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file}
        if self.line is not None:
            out["line"] = self.line
        if self.lines is not None:
            out["lines"] = list(self.lines)
        if self.record is not None:
            out["record"] = self.record
        return out

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.lines is not None:
            return f"{self.file}:{self.lines[0]}-{self.lines[1]}"
        if self.record is not None:
            return f"{self.file} ({self.record})"
        return self.file


@dataclass(frozen=True)
class Evidence:
    """One fact: what kind it is, its fields, the sentence that states it, and its source.

    ``summary`` is the deterministic rendering of the fact; ``fields`` holds the values the
    grounding guard accepts when the model mentions them.
    """

    kind: str
    summary: str
    citation: Citation
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "fields": self.fields,
            "citation": self.citation.to_dict(),
        }


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 alert``, ``35 alerts``: evidence sentences are read by people."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
