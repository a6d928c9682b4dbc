"""Sentence boundaries, so that no chunk ever ends in the middle of a sentence."""

from __future__ import annotations

import re

# Abbreviations common in legal and technical text: "Art. 21", "e.g. pf", "No. 2022/2554".
_ABBREV = {"art", "arts", "e.g", "i.e", "no", "nos", "para", "paras", "cf", "vs", "etc", "ref",
           "fig", "sec", "p", "pp", "reg", "dir", "annex", "ch", "approx", "incl", "min", "max"}
_END = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9(\"'*`\[])")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    begin = start
    for m in _END.finditer(text, start, end):
        word = re.search(r"([\w.]+)[.!?]$", text[begin:m.start() + 1])
        if word and (word.group(1).lower() in _ABBREV or re.fullmatch(r"[A-Z]", word.group(1))):
            continue  # "Art. 21", "e.g. pf", "J. Smith"
        spans.append(_trim(text, begin, m.start() + 1))
        begin = m.end()
    if begin < end and text[begin:end].strip():
        spans.append(_trim(text, begin, end))
    return [s for s in spans if s[1] > s[0]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
