"""Zeek's tab-separated log format: the ``#`` header block and the values it describes.

A header block (``#separator`` ... ``#types``) says how to split a data line and what each
column holds. Zeek writes ``-`` for an unset field and ``(empty)`` for an empty string, set or
vector; set and vector elements are joined by the set separator; a backslash, a
non-printable byte, or a value that would read as a marker is escaped as ``\\\\`` or
``\\xHH``. Escapes are decoded only after splitting, so escaped separators stay in their
value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Convert = Callable[[str], Any]

_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})|\\\\")
_CONTAINERS = ("set[", "vector[", "table[")
_FLOATS = frozenset({"time", "interval", "double"})
_INTS = frozenset({"count", "int", "port", "counter"})


def _unescape_match(match: re.Match[bytes]) -> bytes:
    hex_digits = match.group(1)
    return bytes((int(hex_digits, 16),)) if hex_digits else b"\\"


def unescape_bytes(value: bytes) -> bytes:
    """``\\xHH`` and ``\\\\`` decoded to the bytes they stand for."""
    return _ESCAPE.sub(_unescape_match, value) if b"\\" in value else value


def unescape(value: str) -> str:
    """A field's text with Zeek's escapes decoded; escaped bytes that are not UTF-8 stay
    visible as ``\\xHH``. Lines are decoded with ``backslashreplace`` too, so a raw
    non-UTF-8 byte survives as its escape and decodes the same way here."""
    if "\\" not in value:
        return value
    data = unescape_bytes(value.encode("utf-8", "surrogateescape"))
    return data.decode("utf-8", "backslashreplace")


def _to_float(value: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        return unescape(value)  # kept as text: btest baselines canonify times to XXXX.XXXX
    return number if math.isfinite(number) else unescape(value)


def _to_int(value: str) -> Any:
    if value.isascii() and (value.isdigit() or (value[:1] == "-" and value[1:].isdigit())):
        return int(value)
    return unescape(value)


def _to_bool(value: str) -> Any:
    if value == "T":
        return True
    if value == "F":
        return False
    return unescape(value)


def _scalar(type_name: str) -> Convert | None:
    """The conversion for one column type; None for text (the common, fast case)."""
    if type_name in _FLOATS:
        return _to_float
    if type_name in _INTS:
        return _to_int
    if type_name == "bool":
        return _to_bool
    return None


@dataclass
class Header:
    """The schema of the data lines that follow; each ``#separator`` starts a new one.

    Lines are handled as text (decoded once per line, which is faster than per field)."""

    separator: str = "\t"
    set_separator: str = ","
    empty: str = "(empty)"
    unset: str = "-"
    path: str | None = None
    fields: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    converters: tuple[Convert | None, ...] = ()

    def apply(self, line: str) -> None:
        """Take in one line starting with ``#``; comments and unknown directives do nothing."""
        if line.startswith("#separator"):
            # the separator is not known yet here, so Zeek writes a space before its value
            value = unescape(line[len("#separator"):].strip(" \t"))
            self.__init__(separator=value or "\t")  # type: ignore[misc]  # all else to defaults
            return
        name, found, value = line[1:].partition(self.separator)
        if not found:
            name, _, value = line[1:].partition(" ")
        if name == "fields":
            self.fields = tuple(unescape(f) for f in value.split(self.separator))
            self.types = ()
        elif name == "types":
            self.types = tuple(unescape(t) for t in value.split(self.separator))
        elif name == "set_separator":
            self.set_separator = unescape(value) or ","
        elif name == "empty_field":
            self.empty = unescape(value)
        elif name == "unset_field":
            self.unset = unescape(value)
        elif name == "path":
            self.path = unescape(value.strip()) or None
            return
        else:
            return  # #open, #close, comments
        self.converters = self._compile()

    def _compile(self) -> tuple[Convert | None, ...]:
        types = self.types if len(self.types) == len(self.fields) else ("string",) * len(self.fields)
        return tuple(self._converter(t) for t in types)

    def _converter(self, type_name: str) -> Convert | None:
        if not type_name.startswith(_CONTAINERS):
            return _scalar(type_name)
        element = _scalar(type_name[type_name.index("[") + 1:].rstrip("]")) or unescape
        empty, set_separator, unset = self.empty, self.set_separator, self.unset

        def container(value: str) -> list[Any]:
            if value == empty:
                return []
            return [None if e == unset else element(e) for e in value.split(set_separator)]

        return container

    def record(self, values: list[str]) -> dict[str, Any]:
        """Field name to value for one split data line; unset fields are left out."""
        unset, empty = self.unset, self.empty
        record: dict[str, Any] = {}
        for name, convert, value in zip(self.fields, self.converters, values):
            if value == unset:
                continue
            if convert is not None:
                record[name] = convert(value)
            elif value == empty:
                record[name] = ""
            else:
                record[name] = unescape(value) if "\\" in value else value
        return record
