"""What a retrieval index covers: a site's configurations plus the knowledge base, or paths.

A corpus names its files (what to read, how to cite it, which chunker) and where its index
lives under ASKZERO_HOME. Listing a corpus is cheap (no file is read), so a query can check
that its index is current; ``expand`` follows pf.conf includes and is for indexing only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from askzero.errors import SiteError, SourceError
from askzero.rag.logsummary import LOGS_CITE, store_path
from askzero.sources import Resolver

if TYPE_CHECKING:
    from askzero.site import Site

MARKDOWN_SUFFIXES = (".md", ".markdown")
MAX_INCLUDE_DEPTH = 8


@dataclass(frozen=True)
class SourceFile:
    real: Path
    cite: str
    parser: str  # "markdown", "pf", "bgpd", or "logs" (the site's log store, summarised)


@dataclass
class Corpus:
    name: str
    sources: list[SourceFile]
    knowledge: Path | None = None
    chroma_url: str | None = None
    resolver: Resolver | None = None  # the site's, for pf.conf includes
    ident: str = ""  # what the corpus was made from (site root, given paths): names its index

    @property
    def key(self) -> str:
        ident = f"{self.ident}\0{self.knowledge}"
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)[:40] or "paths"
        return f"{safe}-{hashlib.sha256(ident.encode()).hexdigest()[:10]}"

    def directory(self) -> Path:
        from askzero.paths import data_dir

        return data_dir() / "rag" / self.key


def default_knowledge_dir() -> Path | None:
    from askzero.paths import knowledge_dir

    return knowledge_dir()


def knowledge_files(directory: Path | None) -> list[SourceFile]:
    if directory is None or not directory.is_dir():
        return []
    files = sorted(p for p in directory.rglob("*") if p.suffix in MARKDOWN_SUFFIXES and p.is_file())
    return [SourceFile(p, f"knowledge/{p.relative_to(directory).as_posix()}", "markdown") for p in files]


def parser_for(path: Path) -> str | None:
    if path.suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if "bgpd" in path.name:
        return "bgpd"
    if path.suffix == ".conf" or path.name.startswith("pf"):
        return "pf"
    return None


def rag_settings(site_file: Path | None) -> dict:
    """The ``[rag]`` table of a site file (``knowledge``, ``chroma_url``), empty without one."""
    if site_file is None or not site_file.is_file():
        return {}
    try:
        data = tomllib.loads(site_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteError(f"{site_file}: cannot read site file: {exc}") from exc
    rag = data.get("rag", {})
    return rag if isinstance(rag, dict) else {}


def site_file_for(spec: str | None, root: Path) -> Path | None:
    if spec and spec != "demo":
        path = Path(spec).expanduser()
        if path.is_file():
            return path
        if (path / "site.toml").is_file():
            return path / "site.toml"
    return root / "site.toml" if (root / "site.toml").is_file() else None


def corpus_for_site(site: "Site", spec: str | None = None) -> Corpus:
    """The site's pf.conf and bgpd.conf, and the knowledge base (the site file may name another)."""
    from askzero.sources import rooted_resolver

    settings = rag_settings(site_file_for(spec, site.root))
    knowledge = default_knowledge_dir()
    if settings.get("knowledge"):
        base = site_file_for(spec, site.root)
        knowledge = ((base.parent if base else site.root) / str(settings["knowledge"])).resolve()
    sources: list[SourceFile] = []
    for conf, parser in ((site.pf_conf, "pf"), (site.bgpd_conf, "bgpd")):
        if conf and site.real(conf).is_file():
            sources.append(SourceFile(site.real(conf), site.cite(conf), parser))
    sources += knowledge_files(knowledge)
    logs = store_path(site)
    if logs is not None:
        sources.append(SourceFile(logs, LOGS_CITE, "logs"))
    url = settings.get("chroma_url") or None
    resolver = rooted_resolver(site.root) if site.root != Path("/") else None
    return Corpus(site.name, sources, knowledge, url, resolver, ident=str(site.root))


def corpus_for_paths(paths: Sequence[str | os.PathLike]) -> Corpus:
    """Files and directories given directly (markdown, *.conf), cited as given."""
    sources: list[SourceFile] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                parser = parser_for(p) if p.is_file() else None
                if parser:
                    sources.append(SourceFile(p, (Path(given) / p.relative_to(path)).as_posix(), parser))
        elif path.is_file():
            sources.append(SourceFile(path, str(given), parser_for(path) or "markdown"))
        else:
            raise SourceError(str(given), "no such file or directory")
    return Corpus("paths", sources, ident="\0".join(str(Path(p).resolve()) for p in paths))


def expand(corpus: Corpus) -> list[SourceFile]:
    """The corpus files plus what pf.conf includes, recursively (bounded, kept in the site root)."""
    from askzero.rag.configs import included_paths

    out: list[SourceFile] = []
    seen: set[Path] = set()

    def visit(src: SourceFile, depth: int) -> None:
        if src.real in seen or not src.real.is_file():
            return
        seen.add(src.real)
        out.append(src)
        if src.parser != "pf" or depth >= MAX_INCLUDE_DEPTH:
            return
        text = src.real.read_text(encoding="utf-8", errors="replace")
        for inc in included_paths(text):
            if corpus.resolver is not None:
                real, cite = corpus.resolver(inc)
            else:
                real = Path(inc) if Path(inc).is_absolute() else src.real.parent / inc
                cite = inc
            visit(SourceFile(Path(real), cite, "pf"), depth + 1)

    for src in corpus.sources:
        visit(src, 0)
    return out
