"""Retrieval: chunking, embeddings, lexical and vector indexes, fusion, citations.

``search(site_or_paths, query, k=5, kind=None, framework=None) -> list[Hit]`` is the one
entry point the assistant needs; heavy libraries load only when a query needs them.
"""

from __future__ import annotations

from typing import Any

from askzero.rag.types import Chunk, Hit

__all__ = ["Chunk", "Hit", "search"]


def search(site_or_paths: Any, query: str, k: int = 5, kind: Any = None, framework: Any = None,
           mode: str = "fused") -> list[Hit]:
    """See :func:`askzero.rag.hybrid.search` (a module not named ``search``, so that importing
    it never replaces this function on the package)."""
    from askzero.rag.hybrid import search as _search

    return _search(site_or_paths, query, k=k, kind=kind, framework=framework, mode=mode)
