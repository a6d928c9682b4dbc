"""Reading a site's files for reports: the bgpd model, the text of a cited line, paths.

Citations name files as the site cites them (``etc/pf.conf`` for a copied root, the real
path on a host); reports read them back to quote a line or to check that a citation holds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from askzero.errors import AskZeroError


def cited_path(site: Any, cited: str) -> Path:
    """The file on disk for a path as cited (the inverse of ``Site.cite``)."""
    if Path(cited).is_absolute() or site.root == Path("/"):
        return Path(cited)
    return site.root / cited


@lru_cache(maxsize=64)
def _lines(path: str, mtime: float) -> tuple[str, ...]:
    return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())


def file_lines(path: Path) -> tuple[str, ...]:
    try:
        return _lines(str(path), path.stat().st_mtime)
    except OSError:
        return ()


def line_text(site: Any, cited: str, line: int) -> str:
    lines = file_lines(cited_path(site, cited))
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def comment_above(site: Any, cited: str, line: int) -> tuple[int, str] | None:
    """The comment line just above a statement (operators write the why there), if any."""
    lines = file_lines(cited_path(site, cited))
    if 1 < line <= len(lines) + 1 and lines[line - 2].strip().startswith("#"):
        return line - 1, lines[line - 2].strip().lstrip("#").strip()
    return None


def find_line(site: Any, cited: str, prefix: str) -> int | None:
    """The first line of a cited file that starts with ``prefix`` (after indentation)."""
    for i, text in enumerate(file_lines(cited_path(site, cited)), 1):
        if text.strip().startswith(prefix):
            return i
    return None


def load_bgp(site: Any):
    """The site's parsed bgpd.conf, or None when it names none or it does not exist."""
    if not site.bgpd_conf or not site.real(site.bgpd_conf).is_file():
        return None
    from askzero.bgp import parse_bgp, plain_resolver, rooted_resolver

    resolver = plain_resolver(Path("/")) if site.root == Path("/") else rooted_resolver(site.root)
    return parse_bgp(site.bgpd_conf, resolver)


def try_load_bgp(site: Any) -> tuple[Any, str | None]:
    """(config, None) or (None, why it could not be read)."""
    try:
        return load_bgp(site), None
    except AskZeroError as exc:
        return None, str(exc)
