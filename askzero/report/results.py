"""The result of one audit check: a status, the evidence lines, and the controls it bears on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "partial", "not-evaluable")


def cite(source: Any, note: str = "") -> dict[str, Any]:
    """Evidence from a ``Source`` (file, line) with what it shows."""
    out: dict[str, Any] = {"file": source.file, "line": int(source.line)}
    if note:
        out["note"] = note
    return out


@dataclass
class CheckResult:
    check: str
    title: str
    status: str
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    controls: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "title": self.title, "status": self.status,
                "summary": self.summary, "evidence": self.evidence, "controls": self.controls}


def worst(statuses: list[str]) -> str:
    """fail > partial > pass; not-evaluable only when nothing else was decided."""
    decided = [s for s in statuses if s != "not-evaluable"]
    if not decided:
        return "not-evaluable"
    if all(s == "pass" for s in decided):
        return "pass"
    if all(s == "fail" for s in decided):
        return "fail"
    return "partial"


def dedupe(evidence: list[dict[str, Any]], limit: int = 20) -> list[dict[str, Any]]:
    """One entry per file:line (expanded rules share their line), at most ``limit``."""
    seen: set[tuple] = set()
    out = []
    for item in evidence:
        key = (item.get("file"), item.get("line"), item.get("lines") and tuple(item["lines"]))
        if key in seen:
            continue
        seen.add(key)
        out.append(item)
    return out[:limit]
