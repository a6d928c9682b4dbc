"""Where configuration text comes from: source positions and path resolvers.

Shared by the pf and bgpd engines. A resolver maps a path as a configuration file writes it
(``/etc/pf/threat_feeds.txt``) to the file to read and the name to cite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

Resolver = Callable[[str], tuple[Path, str]]


class Source(NamedTuple):
    """Where a statement was written: the file as cited, and the line.

    A named tuple, since a table file makes one per entry and tuples are cheap to build.
    """

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def plain_resolver(base: Path) -> Resolver:
    """Paths as written, relative ones against ``base``; cited as written."""
    def resolve(path: str) -> tuple[Path, str]:
        p = Path(path)
        return (p if p.is_absolute() else base / p), path
    return resolve


def rooted_resolver(root: Path) -> Resolver:
    """Paths inside a copy of a host's file system rooted at ``root``.

    ``/etc/pf/x`` reads ``root/etc/pf/x`` and is cited as ``etc/pf/x``; a path that would
    leave the root resolves to a name that cannot exist, so it is never read.
    """
    root = root.resolve()

    def resolve(path: str) -> tuple[Path, str]:
        real = (root / path.lstrip("/")).resolve()
        if root not in real.parents and real != root:
            return root / ".outside-site-root", path
        return real, str(real.relative_to(root))
    return resolve
