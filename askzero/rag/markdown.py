"""Markdown chunks by heading path, parsed with tree-sitter-markdown.

Each section's own blocks (paragraphs, lists, tables, code) become one chunk when they fit,
else several, cut only between blocks, list items, table rows or sentences. A chunk cites the
heading path (``Title > Article 21 > (2)(d) Supply chain``) and its exact lines.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

from askzero.rag.frontmatter import as_text, split_front_matter
from askzero.rag.sentences import sentence_spans
from askzero.rag.types import Chunk

# About 250 word pieces: MiniLM embeds at most 256, the rest would only reach the lexical index.
MAX_CHARS = 1000
_HEADINGS = ("atx_heading", "setext_heading")
_SPLIT_INTO = {"list": "list_item", "pipe_table": "pipe_table_row", "block_quote": None}


@lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_markdown

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_markdown.language()))


@dataclass
class _Text:
    """The document with byte offsets (tree-sitter's) mapped to characters and lines."""

    text: str

    def __post_init__(self) -> None:
        self.data = self.text.encode()
        self.ascii = len(self.data) == len(self.text)
        if not self.ascii:
            self.char_end = list(accumulate(len(c.encode()) for c in self.text))
        self.line_starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]

    def char(self, byte: int) -> int:
        return byte if self.ascii else bisect.bisect_right(self.char_end, byte)

    def line(self, char: int) -> int:
        """1-based line holding character ``char``."""
        return bisect.bisect_right(self.line_starts, char)


@dataclass
class _Unit:
    """An indivisible span (a sentence, a list item, a code block), in characters."""

    start: int
    end: int


def chunk_markdown(text: str, file: str, kind: str = "knowledge", framework: str = "") -> list[Chunk]:
    """Chunks of a markdown document; front matter supplies title, kind and framework."""
    meta, _ = split_front_matter(text)
    kind = as_text(meta.get("kind")) or kind
    framework = as_text(meta.get("framework")) or framework
    doc = _Text(text)
    root = _parser().parse(doc.data).root_node
    has_h1 = any(_level(s) == 1 for s in _sections(root))
    title = as_text(meta.get("title"))
    # the H1 names the document; without one, the front matter title (or the file name) does
    base = [] if has_h1 else [title or file.rsplit("/", 1)[-1]]
    chunks: list[Chunk] = []
    _walk(root, base, doc, file, kind, framework, chunks)
    return chunks


def _sections(node: Any) -> list[Any]:
    return [c for c in node.children if c.type == "section"]


def _level(section: Any) -> int:
    head = section.children[0] if section.children else None
    if head is None or head.type not in _HEADINGS:
        return 0
    for c in head.children:
        if c.type.startswith("atx_h") and c.type.endswith("_marker"):
            return int(c.type[5])
        if c.type.startswith("setext_h"):
            return int(c.type[8])
    return 0


def _walk(node: Any, path: list[str], doc: _Text, file: str, kind: str, framework: str,
          out: list[Chunk]) -> None:
    own: list[Any] = []
    heading_node = None
    for child in node.children:
        if child.type in _HEADINGS:
            heading_node = child
        elif child.type == "section":
            continue
        elif child.type not in ("minus_metadata", "plus_metadata", "thematic_break"):
            own.append(child)
    if heading_node is not None:
        path = path + [_heading_text(heading_node, doc)]
    heading = " > ".join(p for p in path if p)
    units = [u for block in own for u in _units(block, doc)]
    if units:
        for group in _pack(units, MAX_CHARS):
            a, b = group[0].start, group[-1].end
            out.append(Chunk(file, heading, doc.line(a), doc.line(b - 1), doc.text[a:b], kind, framework))
    elif heading_node is not None and not _sections(node):
        a, b = _span(heading_node, doc)
        out.append(Chunk(file, heading, doc.line(a), doc.line(b - 1), doc.text[a:b], kind, framework))
    for section in _sections(node):
        _walk(section, path, doc, file, kind, framework, out)


def _heading_text(node: Any, doc: _Text) -> str:
    for c in node.children:
        if c.type in ("inline", "paragraph"):
            a, b = _span(c, doc)
            return " ".join(doc.text[a:b].split()).strip("# ").strip()
    return ""


def _span(node: Any, doc: _Text) -> tuple[int, int]:
    a, b = doc.char(node.start_byte), doc.char(node.end_byte)
    while b > a and doc.text[b - 1].isspace():
        b -= 1
    return a, b


def _units(block: Any, doc: _Text) -> list[_Unit]:
    """The pieces a block may be cut into when a chunk must end inside it."""
    a, b = _span(block, doc)
    if b <= a:
        return []
    if b - a <= MAX_CHARS:
        return [_Unit(a, b)]
    if block.type == "paragraph":
        return [_Unit(s, e) for s, e in sentence_spans(doc.text, a, b)]
    if block.type in _SPLIT_INTO:
        parts = [c for c in block.children if c.type not in ("block_continuation", "block_quote_marker")]
        units = [u for c in parts for u in _units(c, doc)]
        return units or [_Unit(a, b)]
    if block.type in ("list_item", "block_quote"):
        return [u for c in block.children for u in _units(c, doc)] or [_Unit(a, b)]
    return [_Unit(a, b)]  # code, html, a table row: never cut


def _pack(units: list[_Unit], limit: int) -> list[list[_Unit]]:
    groups: list[list[_Unit]] = [[units[0]]]
    for u in units[1:]:
        if u.end - groups[-1][0].start > limit:
            groups.append([u])
        else:
            groups[-1].append(u)
    return groups
