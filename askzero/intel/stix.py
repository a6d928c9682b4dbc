"""STIX 2.1 bundles, as OpenCTI exports them.

Only indicators with ``pattern_type: stix`` whose pattern is a plain comparison of an
address, domain or URL (or an ``OR`` of such comparisons, or ``IN (...)``/``ISSUBSET``)
become lookup entries. Patterns that need more than a value to match (``AND``,
``FOLLOWEDBY``, qualifiers, ``LIKE``) are counted as skipped rather than matched by their
values alone, which would overstate what the indicator says.

Line numbers are those of each object's opening brace in the file, so a citation points
at the indicator.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from json.decoder import scanstring
from pathlib import Path
from typing import Any

from askzero.errors import SourceError
from askzero.intel.model import (
    read_text,
    MAX_LINE,
    Feed,
    Indicator,
    address_network,
    parse_time,
)


_PATH_KINDS = {
    "ipv4-addr:value": "ipv4",
    "ipv6-addr:value": "ipv6",
    "domain-name:value": "domain",
    "url:value": "url",
}
_COMPOUND_WORDS = {"AND", "FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP", "NOT",
                   "LIKE", "MATCHES", "ISSUPERSET", "EXISTS"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>[tbh]?'(?:[^'\\]|\\.)*')
    | (?P<path>[a-z0-9][a-z0-9-]*:(?:[A-Za-z0-9_-]+|'[^']*'|\[(?:\*|\d+)\]|\.)+)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[][(),])
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<word>[A-Za-z_]+)
    )""",
    re.VERBOSE,
)
_WS = re.compile(r"[ \t\n\r]*")


class PatternError(ValueError):
    """A STIX pattern that cannot be read."""


def parse_pattern(pattern: str) -> list[tuple[str, str]] | None:
    """The (object path, value) pairs of a pattern whose comparisons are joined by OR.

    Returns None for a valid pattern that needs more than one value to match (AND,
    FOLLOWEDBY, qualifiers, negation, LIKE/MATCHES, ordering operators). Raises
    PatternError for text that is not a STIX pattern.
    """
    tokens = _tokenize(pattern)
    compound = False
    pairs: list[tuple[str, str]] = []
    depth_sq = depth_par = 0
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "punct":
            if text == "[":
                depth_sq += 1
            elif text == "]":
                depth_sq -= 1
            elif text == "(":
                depth_par += 1
            elif text == ")":
                depth_par -= 1
            if depth_sq < 0 or depth_par < 0 or depth_sq > 1:
                raise PatternError(f"unbalanced {text!r}")
            i += 1
            continue
        if kind == "word":
            if text.upper() in _COMPOUND_WORDS:
                compound = True
            elif text.upper() not in ("OR", "IN", "ISSUBSET", "SECONDS", "TIMES"):
                raise PatternError(f"unexpected {text!r}")
            i += 1
            continue
        if kind == "path":
            if depth_sq != 1:
                raise PatternError(f"comparison {text!r} outside [ ]")
            i, values, simple = _comparison(tokens, i)
            compound = compound or not simple
            pairs.extend((text, v) for v in values)
            continue
        if kind in ("str", "num", "op"):
            # qualifier arguments (WITHIN 300 SECONDS, START t'...') are covered by the word
            if not compound:
                raise PatternError(f"unexpected {text!r}")
            i += 1
            continue
    if depth_sq or depth_par:
        raise PatternError("unbalanced brackets")
    if not pairs:
        raise PatternError("no comparison")
    return None if compound else pairs


def _tokenize(pattern: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    end = len(pattern.rstrip())
    while pos < end:
        m = _TOKEN.match(pattern, pos)
        if not m or m.end() == pos:
            raise PatternError(f"cannot read pattern at {pattern[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _comparison(tokens: list[tuple[str, str]], i: int) -> tuple[int, list[str], bool]:
    """Read ``path op value`` at tokens[i]; return next index, values, and simplicity."""
    i += 1
    if i >= len(tokens):
        raise PatternError("comparison without operator")
    kind, op = tokens[i]
    if kind == "word" and op.upper() == "NOT":
        i += 1
        if i >= len(tokens):
            raise PatternError("comparison without operator")
        _, op = tokens[i]
        simple = False
    else:
        simple = True
    op = op.upper()
    i += 1
    values: list[str] = []
    if op == "IN":
        if i >= len(tokens) or tokens[i] != ("punct", "("):
            raise PatternError("IN without a list")
        i += 1
        while i < len(tokens) and tokens[i] != ("punct", ")"):
            kind, text = tokens[i]
            if kind in ("str", "num"):
                values.append(_literal(kind, text))
            elif tokens[i] != ("punct", ","):
                raise PatternError(f"unexpected {text!r} in IN list")
            i += 1
        if i >= len(tokens):
            raise PatternError("unterminated IN list")
        i += 1
    else:
        if i >= len(tokens) or tokens[i][0] not in ("str", "num", "word"):
            raise PatternError(f"comparison {op!r} without a value")
        values.append(_literal(*tokens[i]))
        i += 1
        if op not in ("=", "ISSUBSET"):
            simple = False
    return i, values, simple


def _literal(kind: str, text: str) -> str:
    if kind != "str":
        return text
    if text[0] != "'":  # t'...' timestamps, b'...' binary, h'...' hex
        text = text[1:]
    return re.sub(r"\\(.)", r"\1", text[1:-1])


# ----------------------------------------------------------------------------- bundles


def load_stix(path: str | Path, name: str, display: str | None = None) -> Feed:
    """Read a STIX 2.1 bundle (or a JSON array of STIX objects) into a Feed."""
    file = display if display is not None else str(path)
    text = read_text(path, file)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(file, f"invalid JSON: {exc.msg}", exc.lineno) from None
    if isinstance(doc, dict):
        if doc.get("type") != "bundle" or not isinstance(doc.get("objects"), list):
            raise SourceError(file, "not a STIX bundle (no type \"bundle\" with \"objects\")", 1)
    elif not isinstance(doc, list):
        raise SourceError(file, "not a STIX bundle", 1)
    lines = _object_lines(text)
    objects = doc["objects"] if isinstance(doc, dict) else doc
    if len(lines) != len(objects):  # cannot happen for valid JSON; keep lines honest anyway
        lines = [1] * len(objects)
    identities = {
        o.get("id"): o.get("name")
        for o in objects
        if isinstance(o, dict) and o.get("type") == "identity"
    }
    indicators: list[Indicator] = []
    skipped = 0
    for obj, line in zip(objects, lines):
        if not isinstance(obj, dict):
            raise SourceError(file, "a bundle object is not a JSON object", line)
        if obj.get("type") != "indicator":
            continue
        found = _indicators(obj, line, file, identities)
        if not found:
            skipped += 1
        indicators.extend(found)
    return Feed(name=name, file=file, format="stix", indicators=tuple(indicators),
                generated=None, skipped=skipped)


def _object_lines(text: str) -> list[int]:
    """Line of the opening brace of each object in the bundle's ``objects`` array."""
    decoder = json.JSONDecoder()
    i = _WS.match(text, 0).end()
    if text.startswith("\ufeff"):
        i = _WS.match(text, 1).end()
    if text[i] == "[":
        return _array_lines(text, i, decoder)
    result: list[int] = []
    i += 1  # past "{"
    while True:
        i = _WS.match(text, i).end()
        if text[i] == "}":
            return result
        if text[i] == ",":
            i += 1
            continue
        key, i = scanstring(text, i + 1)
        i = _WS.match(text, i).end() + 1  # past ":"
        i = _WS.match(text, i).end()
        if key == "objects" and text[i] == "[":
            result = _array_lines(text, i, decoder)
            i = _skip_value(text, i, decoder)
        else:
            i = _skip_value(text, i, decoder)


def _array_lines(text: str, i: int, decoder: json.JSONDecoder) -> list[int]:
    lines: list[int] = []
    line, last = 1, 0
    i += 1  # past "["
    while True:
        i = _WS.match(text, i).end()
        if text[i] == "]":
            return lines
        if text[i] == ",":
            i += 1
            continue
        line += text.count("\n", last, i)
        last = i
        lines.append(line)
        i = _skip_value(text, i, decoder)


def _skip_value(text: str, i: int, decoder: json.JSONDecoder) -> int:
    return decoder.raw_decode(text, i)[1]


def _indicators(
    obj: dict[str, Any], line: int, file: str, identities: dict[Any, Any]
) -> list[Indicator]:
    ident = obj.get("id")
    if obj.get("pattern_type", "stix") != "stix":
        return []
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        raise SourceError(file, f"indicator {ident} has no pattern", line)
    if len(pattern) > MAX_LINE:
        raise SourceError(file, f"indicator {ident}: pattern is too long", line)
    try:
        pairs = parse_pattern(pattern)
    except PatternError as exc:
        raise SourceError(file, f"indicator {ident}: bad pattern {pattern!r}: {exc}", line) from None
    if pairs is None:
        return []
    labels = obj.get("labels") or obj.get("indicator_types") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise SourceError(file, f"indicator {ident}: labels must be a list of strings", line)
    confidence = _int_field(obj, "confidence", file, line)
    score = _score(obj, file, line)
    valid_from = _time_field(obj, "valid_from", file, line)
    valid_until = _time_field(obj, "valid_until", file, line)
    description = obj.get("description")
    source = identities.get(obj.get("created_by_ref"))
    found: list[Indicator] = []
    for path, value in pairs:
        kind = _PATH_KINDS.get(path)
        if kind is None:
            continue
        network = None
        if kind in ("ipv4", "ipv6"):
            try:
                network = address_network(value, kind)
            except ValueError:
                raise SourceError(
                    file, f"indicator {ident}: {value!r} is not an {kind} address", line
                ) from None
        elif kind == "domain":
            value = value.lower().rstrip(".")
        found.append(Indicator(
            value=value, kind=kind, line=line, id=ident, labels=tuple(labels),
            confidence=confidence, score=score,
            description=description if isinstance(description, str) else None,
            name=obj.get("name") if isinstance(obj.get("name"), str) else None,
            valid_from=valid_from, valid_until=valid_until,
            revoked=obj.get("revoked") is True, source=source, network=network,
        ))
    return found


def _int_field(obj: dict[str, Any], key: str, file: str, line: int) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise SourceError(file, f"indicator {obj.get('id')}: {key} must be 0-100", line)
    return value


def _score(obj: dict[str, Any], file: str, line: int) -> int | None:
    if "x_opencti_score" in obj:
        return _int_field(obj, "x_opencti_score", file, line)
    for ext in (obj.get("extensions") or {}).values():
        if isinstance(ext, dict) and "score" in ext:
            return _int_field(ext | {"id": obj.get("id")}, "score", file, line)
    return None


def _time_field(obj: dict[str, Any], key: str, file: str, line: int) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        raise SourceError(file, f"indicator {obj.get('id')}: bad {key} {value!r}", line) from None


__all__ = ["load_stix", "parse_pattern", "PatternError"]
