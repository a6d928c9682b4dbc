"""The YAML front matter of knowledge files: the flat subset the corpus uses.

Scalars, quoted strings, inline lists (``[a, b]``) and block lists (``- a``). A full YAML
library would be one more dependency for six keys; anything fancier is kept as a string.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")


def split_front_matter(text: str) -> tuple[dict[str, object], int]:
    """The front matter as a dict, and how many lines it takes (0 when there is none)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            return parse_block(lines[1:end]), end + 1
    return {}, 0


def parse_block(lines: list[str]) -> dict[str, object]:
    data: dict[str, object] = {}
    key: str | None = None
    for raw in lines:
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = raw.strip()
        if item.startswith("- ") and key is not None:
            current = data.get(key)
            values = current if isinstance(current, list) else []
            values.append(_scalar(item[2:]))
            data[key] = values
            continue
        m = _KEY.match(raw)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        data[key] = _value(value) if value else []
    return data


def _value(value: str) -> object:
    if value.startswith("[") and value.endswith("]"):
        inner = value[1:-1].strip()
        return [_scalar(v) for v in _split_list(inner)] if inner else []
    return _scalar(value)


def _split_list(inner: str) -> list[str]:
    # commas inside quotes belong to the value ("Art. 21(2)(a), (b)" stays whole)
    items = re.finditer(r'\s*("[^"]*"|\'[^\']*\'|[^,]+)', inner)
    return [m.group(1).strip() for m in items if m.group(1).strip()]


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return re.sub(r"\s+#.*$", "", value)


def as_text(value: object) -> str:
    """A front matter value as one string (lists joined), for filters and display."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
