"""A report as data: sections of cited sentences, lists and tables, rendered to Markdown here
and to HTML in html.py. Citations are numbered in order of first use, and the evidence list at
the end quotes each cited configuration line, so a reader can check every sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from askzero.report.sitefiles import line_text


@dataclass
class Sentence:
    text: str
    cites: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Paragraph:
    sentences: list[Sentence]


@dataclass
class Bullets:
    items: list[Sentence]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Sentence | str]]


@dataclass
class Chart:
    """Where the HTML timeline chart goes (Markdown leaves it out)."""

    incident: Any


Block = Paragraph | Bullets | Table | Chart


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    title: str
    meta: list[tuple[str, str]]
    sections: list[Section]
    site: Any = None
    _numbers: dict[tuple, int] = field(default_factory=dict)
    _cites: list[dict[str, Any]] = field(default_factory=list)

    def number(self, cite: dict[str, Any]) -> int:
        key = cite_key(cite)
        if key not in self._numbers:
            self._numbers[key] = len(self._cites) + 1
            self._cites.append(cite)
        return self._numbers[key]

    def citations(self) -> list[dict[str, Any]]:
        """Every citation of the document, numbered as rendered (renders them all first)."""
        for s in self.sentences():
            for c in s.cites:
                self.number(c)
        return list(self._cites)

    def sentences(self) -> list[Sentence]:
        out: list[Sentence] = []
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    out += block.sentences
                elif isinstance(block, Bullets):
                    out += block.items
                elif isinstance(block, Table):
                    out += [c for row in block.rows for c in row if isinstance(c, Sentence)]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "meta": dict(self.meta),
                "sections": [{"title": s.title, "text": [x.text for b in s.blocks for x in _sentences(b)]}
                             for s in self.sections],
                "citations": self.citations()}


def _sentences(block: Block) -> list[Sentence]:
    if isinstance(block, Paragraph):
        return block.sentences
    if isinstance(block, Bullets):
        return block.items
    if isinstance(block, Table):
        return [c for row in block.rows for c in row if isinstance(c, Sentence)]
    return []


def cite_key(c: dict[str, Any]) -> tuple:
    return (c["file"], c.get("line"), tuple(c.get("lines") or ()), c.get("record"))


def cite_text(c: dict[str, Any]) -> str:
    if c.get("line") is not None:
        return f"{c['file']}:{c['line']}"
    if c.get("lines"):
        a, b = c["lines"]
        return f"{c['file']}:{a}-{b}"
    if c.get("record"):
        return f"{c['file']} ({c['record']})"
    return c["file"]


def quote(doc: Document, c: dict[str, Any]) -> str:
    """The cited line itself, for single-line citations of text files (short)."""
    if doc.site is None or c.get("line") is None:
        return ""
    text = line_text(doc.site, c["file"], int(c["line"]))
    if text.startswith("{") or text.startswith("["):  # JSON records: the line number says enough
        return ""
    text = text.replace("`", "'")
    return text if len(text) <= 160 else text[:157] + "..."


# ------------------------------------------------------------------ Markdown


def _md_escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def md_sentence(doc: Document, s: Sentence) -> str:
    marks = "".join(f"[{doc.number(c)}]" for c in s.cites)
    return s.text + (f" {marks}" if marks else "")


def render_markdown(doc: Document) -> str:
    out = [f"# {doc.title}", ""]
    for key, value in doc.meta:
        out.append(f"- **{key}:** {value}")
    out.append("")
    for section in doc.sections:
        out += ["#" * section.level + " " + section.title, ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out += [" ".join(md_sentence(doc, s) for s in block.sentences), ""]
            elif isinstance(block, Bullets):
                out += [f"- {md_sentence(doc, s)}" for s in block.items] + [""]
            elif isinstance(block, Table):
                out.append("| " + " | ".join(block.headers) + " |")
                out.append("|" + "---|" * len(block.headers))
                for row in block.rows:
                    cells = [md_sentence(doc, c) if isinstance(c, Sentence) else str(c) for c in row]
                    out.append("| " + " | ".join(_md_escape_cell(c) for c in cells) + " |")
                out.append("")
    out += ["## Evidence", ""]
    for i, c in enumerate(doc.citations(), 1):
        q = quote(doc, c)
        out.append(f"[{i}] {cite_text(c)}" + (f" — `{q}`" if q else ""))
    return "\n".join(out).rstrip() + "\n"
