"""Writing what a screen shows to a markdown file, for a ticket or a postmortem."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

from askzero.paths import HOME_ENV


def export_dir() -> Path:
    """``$ASKZERO_HOME/exports`` when ASKZERO_HOME is set (everything ask-zero writes goes
    there), else the current directory, where the operator expects a file they asked for."""
    home = os.environ.get(HOME_ENV)
    return Path(home).expanduser() / "exports" if home else Path.cwd()


def write_markdown(screen: str, text: str, now: datetime | None = None, directory: Path | None = None) -> Path:
    """Write ``text`` as ``askzero-SCREEN-YYYYmmdd-HHMMSS.md``; never overwrites a file."""
    now = now or datetime.now(timezone.utc)
    folder = directory or export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", screen.lower()).strip("-") or "screen"
    stem = f"askzero-{slug}-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.md"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.md"
        n += 1
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


def md_cell(value: object) -> str:
    """A value made safe for a markdown table cell."""
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)
