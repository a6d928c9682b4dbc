"""The values retrieval passes around: a chunk of a source, and a search hit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A piece of a source small enough to embed, with where it was written.

    ``lines`` are 1-based and inclusive. ``heading`` is the heading path (``A > B > C``) for
    markdown, the enclosing block for configurations, empty when there is none.
    """

    file: str
    heading: str
    start: int
    end: int
    text: str
    kind: str
    framework: str = ""

    def embed_text(self) -> str:
        """What the model sees: the heading path gives a short section its context."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    def content_hash(self) -> str:
        """Identifies the embedding: equal texts share a vector wherever they move."""
        return hashlib.sha256(self.embed_text().encode()).hexdigest()[:32]

    def uid(self) -> str:
        """Identifies the chunk itself (for the vector store): content plus position."""
        key = f"{self.file}\0{self.start}\0{self.end}\0{self.content_hash()}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Hit:
    """A search result: the chunk that matched, its citation, and its fused score."""

    file: str
    heading: str
    lines: tuple[int, int]
    text: str
    score: float
    kind: str
    framework: str

    def citation(self) -> str:
        return f"{self.file}:{self.lines[0]}-{self.lines[1]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "heading": self.heading,
            "lines": list(self.lines),
            "text": self.text,
            "score": round(self.score, 6),
            "kind": self.kind,
            "framework": self.framework,
        }
