"""A site's logs and its store: which files to ingest, and where the store is.

Site log paths may be globs (``/var/log/pflog*``, ``/var/log/zeek/current/*.log``); older
files are ingested first, so that a rotated file is recognised before its successor.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from askzero.logs.ingest import IngestSource
from askzero.logs.store import LogStore, site_store_path

# the format each kind of site log is in; None: detected from the content
KIND_FORMATS: dict[str, str | None] = {
    "pflog": None,  # binary as pflogd writes it, or tcpdump text shipped through syslog
    "authlog": "syslog",
    "daemon": "syslog",
    "syslog": "syslog",
    "suricata": None,  # eve.json or fast.log
    "zeek": "zeek",
    "wazuh": "wazuh",
}


def site_sources(site: Any, ruleset_hash: str | None = None) -> list[IngestSource]:
    """Every log file the site names that exists now, oldest first within each entry."""
    out: list[IngestSource] = []
    seen: set[Path] = set()
    for kind, paths in site.logs.items():
        fmt = KIND_FORMATS.get(kind)
        for path in paths:
            for real, display in _expand(site, path):
                if real in seen:
                    continue
                seen.add(real)
                out.append(IngestSource(display, real, fmt, ruleset_hash if kind == "pflog" else None))
    return out


def _expand(site: Any, path: str) -> list[tuple[Path, str]]:
    real = site.real(path)
    if not glob.has_magic(path):
        return [(real, site.cite(path))] if real.is_file() else []
    matches = [Path(m) for m in glob.glob(str(real)) if Path(m).is_file()]
    matches.sort(key=lambda m: (m.stat().st_mtime, str(m)))
    root = site.root
    return [(m, site.cite("/" + str(m.relative_to(root))) if root != Path("/") else str(m))
            for m in matches]


def open_store(site: Any, read_only: bool = False) -> LogStore:
    return LogStore(site_store_path(site), read_only=read_only)
