"""Hybrid search: BM25 (SQLite FTS5) and cosine (numpy or chroma), fused by reciprocal rank.

Reciprocal rank fusion needs no score calibration between the two retrievers: a chunk's
fused score is the sum of 1 / (60 + rank) over the lists it appears in (Cormack et al. 2009).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from askzero.rag.sources import Corpus, corpus_for_paths, corpus_for_site
from askzero.rag.store import Store
from askzero.rag.types import Hit

RRF_K = 60
CANDIDATES = 50  # per retriever, before fusion
MODES = ("fused", "lexical", "vector")
_STOP = set("a an and are as at be by can do does for from how i in is it of on or our shall should "
            "that the this to was we what when where which who why will with must".split())


def norm_label(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _wanted(filter_: str | Sequence[str] | None) -> list[str]:
    if not filter_:
        return []
    items = [filter_] if isinstance(filter_, str) else list(filter_)
    return [norm_label(p) for i in items for p in i.split(",") if norm_label(p)]


def label_matches(label: str, wanted: list[str]) -> bool:
    """``nis2`` matches ``NIS2``; ``iso`` matches ``ISO/IEC 27001:2022`` (a prefix)."""
    parts = [norm_label(p) for p in label.split(",")] or [""]
    return any(p.startswith(w) for p in parts for w in wanted if p)


def fts_query(text: str) -> str:
    """The words of a question as an FTS5 OR query (quoted, so no word is an operator).

    A token written with inner punctuation (``203.0.113.7``, ``8.20``, ``21(2)(d)``) also goes
    in as a phrase of its parts, so the exact address or article ranks above scattered digits.
    """
    terms: list[str] = []
    for raw in text.lower().split():
        parts = re.findall(r"\w+", raw)
        if len(parts) > 1:
            terms.append(" ".join(parts))
        terms.extend(p for p in parts if p not in _STOP)
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))


def rrf(rankings: Iterable[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, 1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class SearchIndex:
    """An open index: reuse it for many queries (the evaluation, the assistant)."""

    def __init__(self, corpus: Corpus, backend: str = "numpy") -> None:
        self.corpus = corpus
        self.store = Store(corpus.directory(), create=False)
        self.backend = backend
        self._vectors: tuple[np.ndarray, np.ndarray] | None = None
        self._synced = False

    def close(self) -> None:
        self.store.close()

    def search(self, query: str, k: int = 5, kind: str | Sequence[str] | None = None,
               framework: str | Sequence[str] | None = None, mode: str = "fused") -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        allowed = self._allowed(_wanted(kind), _wanted(framework))
        lists: list[list[tuple[int, float]]] = []
        if mode in ("fused", "lexical"):
            lists.append(self.lexical(query, allowed))
        if mode in ("fused", "vector"):
            lists.append(self.vector(query, allowed))
        if mode == "fused":
            ranked = rrf([[cid for cid, _ in lst] for lst in lists])
        else:
            ranked = lists[0]
        ranked = ranked[:k]
        rows = self.store.rows([cid for cid, _ in ranked])
        return [Hit(r[0], r[1], (r[2], r[3]), r[4], score, r[5], r[6])
                for cid, score in ranked if (r := rows.get(cid))]

    def _allowed(self, kinds: list[str], frameworks: list[str]) -> set[int] | None:
        if not kinds and not frameworks:
            return None
        return {cid for cid, kd, fw in self.store.labels()
                if (not kinds or label_matches(kd, kinds)) and (not frameworks or label_matches(fw, frameworks))}

    def lexical(self, query: str, allowed: set[int] | None) -> list[tuple[int, float]]:
        """(chunk id, BM25 relevance), best first; headings weigh more than body text."""
        match = fts_query(query)
        if not match:
            return []
        limit = CANDIDATES if allowed is None else -1  # filtered: rank every match, then keep allowed
        rows = self.store.db.execute(
            "SELECT rowid, bm25(fts, 4.0, 1.0) AS r FROM fts WHERE fts MATCH ? ORDER BY r LIMIT ?",
            (match, limit)).fetchall()
        return [(cid, -r) for cid, r in rows if allowed is None or cid in allowed][:CANDIDATES]

    def vector(self, query: str, allowed: set[int] | None) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity), best first."""
        from askzero.rag.embed import embedder

        q = embedder().embed([query])[0]
        if self.backend == "chroma":
            from askzero.rag.chroma_store import query_chroma, sync_chroma

            if not self._synced:  # builds made by queries skip chroma: catch up first
                sync_chroma(self.store, self.corpus)
                self._synced = True
            labels = None
            if allowed is not None:
                if not allowed:
                    return []
                rows = self.store.rows(sorted(allowed))
                labels = {"kind": {r[5] for r in rows.values()}, "framework": {r[6] for r in rows.values()}}
            return [(c, s) for c, s in query_chroma(self.store, self.corpus, q, CANDIDATES, labels)
                    if allowed is None or c in allowed]
        if self._vectors is None:
            self._vectors = self.store.vectors()
        ids, mat = self._vectors
        if len(ids) == 0:
            return []
        sims = np.asarray(mat @ q)
        if allowed is not None:
            sims = np.where(np.isin(ids, np.fromiter(allowed, dtype=np.int64)), sims, -np.inf)
        top = np.argsort(-sims)[:CANDIDATES]
        return [(int(ids[i]), float(sims[i])) for i in top if np.isfinite(sims[i])]


def resolve_corpus(site_or_paths: Any = None) -> Corpus:
    """A corpus from a Site, a site spec (``demo``, a file, a directory), None, or a list of paths."""
    from askzero.site import Site, load_site

    if isinstance(site_or_paths, Corpus):
        return site_or_paths
    if isinstance(site_or_paths, Site):
        return corpus_for_site(site_or_paths)
    if isinstance(site_or_paths, (list, tuple)):
        return corpus_for_paths(site_or_paths)
    if isinstance(site_or_paths, Path):
        return corpus_for_paths([site_or_paths])
    spec = None if site_or_paths is None else os.fspath(site_or_paths)
    return corpus_for_site(load_site(spec), spec)


def open_index(corpus: Corpus, refresh: bool = True, progress: Any = None, backend: str = "numpy") -> SearchIndex:
    """The corpus's index, built or brought up to date first when ``refresh`` (stat checks only)."""
    from askzero.rag.indexer import build_index, is_current

    directory = corpus.directory()
    if refresh:
        current = False
        if Store.exists(directory):
            probe = Store(directory, create=False)
            try:
                current = is_current(probe, corpus)
            finally:
                probe.close()
        if not current:
            # the chroma copy is for `ask-zero index`: a query must not pay chromadb's import
            build_index(corpus, progress=progress, chroma=backend == "chroma")
    return SearchIndex(corpus, backend)


def search(site_or_paths: Any, query: str, k: int = 5, kind: str | Sequence[str] | None = None,
           framework: str | Sequence[str] | None = None, mode: str = "fused") -> list[Hit]:
    """The ``k`` best chunks for ``query``, each citing file, heading path and lines.

    ``site_or_paths``: a Site, a site spec (``"demo"``, a site file or directory), None for the
    default site, or a list of files and directories. The index is built or refreshed if needed.
    ``kind`` and ``framework`` filter by label (case and punctuation ignored, prefixes match).
    """
    index = open_index(resolve_corpus(site_or_paths))
    try:
        return index.search(query, k, kind=kind, framework=framework, mode=mode)
    finally:
        index.close()
