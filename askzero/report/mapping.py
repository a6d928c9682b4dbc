"""The mapping from audit checks to compliance controls (knowledge/mapping.toml).

The mapping is written by hand in knowledge/, and its exact TOML shape is read tolerantly:
a table per check (``[checks."pf.default_deny"]`` or ``["pf.default_deny"]``) whose keys are
frameworks, or an array of tables with ``check``, ``framework``, ``control(s)`` and
``degree``. Controls are strings (``"21(2)(e)"``, ``"8.20:partial"``) or tables with
``control``/``id`` and ``degree``. Without the file, every check maps to no control.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

FRAMEWORKS = ("nis2", "dora", "iso27001", "pci-dss")
DEGREES = ("full", "partial")


def framework_name(text: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", text.lower())
    return {"nis2": "nis2", "dora": "dora", "iso27001": "iso27001", "iso270012022": "iso27001",
            "pcidss": "pci-dss", "pcidss4": "pci-dss", "pcidss40": "pci-dss"}.get(key, text.lower())


def knowledge_dir() -> Path | None:
    from askzero.paths import knowledge_dir as find

    return find()


def load_mapping(path: Path | None = None) -> dict[str, list[dict[str, str]]]:
    """check id -> [{framework, control, degree}], empty when there is no mapping file."""
    if path is None:
        base = knowledge_dir()
        path = base / "mapping.toml" if base else None
    if path is None or not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list[dict[str, str]]] = {}
    for check, framework, control, degree in _walk(data):
        entry = {"framework": framework_name(framework), "control": str(control),
                 "degree": degree if degree in DEGREES else "partial"}
        if entry not in out.setdefault(check, []):
            out[check].append(entry)
    return out


def _looks_like_check(key: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9_-]+\.[a-z0-9_.-]+", key))


def _walk(data: dict[str, Any]):
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                check = item.get("check") or item.get("id")
                if check:
                    yield from _entry(str(check), item)
        elif isinstance(value, dict) and _looks_like_check(key):
            yield from _entry(key, value)
        elif isinstance(value, dict):  # [checks] or [mapping] holding the check tables
            for check, entry in value.items():
                if isinstance(entry, dict) and _looks_like_check(check):
                    yield from _entry(check, entry)


_META = {"check", "id", "framework", "control", "controls", "degree", "title", "note", "notes", "why",
         "description", "rationale", "input", "see", "pass_when", "fail_when", "partial_when", "schema"}


def _entry(check: str, entry: dict[str, Any]):
    degree = str(entry.get("degree", ""))
    framework = entry.get("framework")
    if "controls" in entry:  # the shape knowledge/mapping.toml uses: controls = [{framework, id, degree}]
        for item in _as_list(entry["controls"]):
            fw = item.get("framework", framework) if isinstance(item, dict) else framework
            if fw:
                yield from _control(check, str(fw), item, degree)
        return
    if framework:
        for control in _as_list(entry.get("control", [])):
            yield from _control(check, str(framework), control, degree)
        return
    for key, value in entry.items():  # keys are frameworks: nis2 = ["21(2)(e)", ...]
        if key not in _META:
            for control in _as_list(value):
                yield from _control(check, key, control, degree)


def _control(check: str, framework: str, control: Any, degree: str):
    if isinstance(control, dict):
        ident = control.get("control") or control.get("id") or control.get("ref")
        control = {k: v for k, v in control.items() if k != "framework"}
        if ident is not None:
            yield check, framework, str(ident), str(control.get("degree", degree))
            return
        for ident, deg in control.items():  # {"21(2)(e)" = "partial"}
            yield check, framework, str(ident), str(deg)
        return
    text = str(control)
    m = re.fullmatch(r"(.+?)\s*(?::|\(|\s)\s*(full|partial)\)?", text)
    if m:
        yield check, framework, m.group(1), m.group(2)
    else:
        yield check, framework, text, degree or "partial"


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value in (None, "") else [value]
