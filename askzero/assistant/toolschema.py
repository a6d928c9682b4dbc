"""JSON schemas for the tools, made from their signatures and docstrings.

A capable model picks tools through output constrained to ``choice_schema``: one object
naming a tool and its arguments, or ``"answer"`` to stop. The site context argument is
ours to give, never the model's.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any

_JSON_TYPES: dict[Any, dict[str, Any]] = {
    str: {"type": "string"}, int: {"type": "integer"}, bool: {"type": "boolean"},
    float: {"type": "number"}, datetime: {"type": "string", "format": "date-time"},
}


def _type_schema(annotation: Any) -> dict[str, Any]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = _type_schema(args[0])
        return {**inner, "type": [inner.get("type", "string"), "null"]}
    return dict(_JSON_TYPES.get(annotation, {"type": "string"}))


def tool_schema(name: str, fn: Callable[..., Any]) -> dict[str, Any]:
    """``{"name", "description", "parameters"}`` for one tool, without its ``ctx``."""
    hints = typing.get_type_hints(fn)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in list(inspect.signature(fn).parameters.values())[1:]:  # the first is ctx
        properties[param.name] = _type_schema(hints.get(param.name, str))
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
    doc = " ".join((inspect.getdoc(fn) or name).split("\n\n")[0].split())
    return {"name": name, "description": doc,
            "parameters": {"type": "object", "properties": properties, "required": required,
                           "additionalProperties": False}}


def choice_schema(tools: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    """The schema a model's reply must follow: call one tool, or stop with "answer"."""
    options = [{"type": "object",
                "properties": {"tool": {"const": name}, "args": tool_schema(name, fn)["parameters"]},
                "required": ["tool", "args"], "additionalProperties": False}
               for name, fn in sorted(tools.items())]
    options.append({"type": "object", "properties": {"tool": {"const": "answer"}},
                    "required": ["tool"], "additionalProperties": False})
    return {"oneOf": options}


def describe(tools: dict[str, Callable[..., Any]]) -> str:
    """One line per tool for the model's instructions."""
    lines = []
    for name, fn in sorted(tools.items()):
        schema = tool_schema(name, fn)
        params = ", ".join(f"{p}: {s['type'] if isinstance(s['type'], str) else s['type'][0]}"
                           for p, s in schema["parameters"]["properties"].items())
        lines.append(f"- {name}({params}): {schema['description']}")
    return "\n".join(lines)
