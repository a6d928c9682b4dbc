"""The chromadb copy of the index: embedded (PersistentClient) or a server (``chroma run``).

Chroma gets our vectors, never its own embedding function (which would try to download a
model), and telemetry is off. The query path of the CLI does not use it, since importing
chromadb alone takes about 1.8 s here; the assistant, or a site that shares one server
(``[rag] chroma_url``), can.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import numpy as np

from askzero.errors import SiteError
from askzero.rag.sources import Corpus
from askzero.rag.store import Store

LOCAL = "local"


def client(store: Store, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if not url:
        return chromadb.PersistentClient(path=str(store.dir / "chroma"), settings=settings)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SiteError(f"[rag] chroma_url must be http://HOST:PORT, not {url!r}")
    return chromadb.HttpClient(host=parsed.hostname, port=parsed.port or 8000,
                               ssl=parsed.scheme == "https", settings=settings)


def collection(store: Store, corpus: Corpus) -> Any:
    return client(store, corpus.chroma_url).get_or_create_collection(
        f"askzero-{corpus.key}", embedding_function=None, metadata={"hnsw:space": "cosine"})


def sync_chroma(store: Store, corpus: Corpus) -> str:
    """Make the collection hold exactly the index's chunks; skipped when already in step."""
    target = corpus.chroma_url or LOCAL
    gen = store.meta("generation")
    if store.meta(f"chroma:{target}") == gen:
        return f"{target}: up to date"
    try:
        import chromadb  # noqa: F401
    except ImportError:
        return "chromadb not installed: vector copy skipped"
    col = collection(store, corpus)
    rows = store.db.execute(
        "SELECT c.uid, c.file, c.heading, c.start, c.end, c.text, c.kind, c.framework, e.vec"
        " FROM chunks c JOIN embeddings e ON e.hash = c.hash").fetchall()
    wanted = {r[0]: r for r in rows}
    have = set(col.get(include=[])["ids"])
    stale = sorted(have - set(wanted))
    new = [wanted[u] for u in sorted(set(wanted) - have)]
    step = 1000
    for b in range(0, len(stale), step):
        col.delete(ids=stale[b:b + step])
    for b in range(0, len(new), step):
        part = new[b:b + step]
        col.add(ids=[r[0] for r in part],
                embeddings=[np.frombuffer(r[8], dtype=np.float32).tolist() for r in part],
                documents=[r[5] for r in part],
                metadatas=[{"file": r[1], "heading": r[2], "start": r[3], "end": r[4],
                            "kind": r[6], "framework": r[7]} for r in part])
    store.set_meta(f"chroma:{target}", str(gen))
    store.commit()
    return f"{target}: {len(new)} added, {len(stale)} removed"


def query_chroma(store: Store, corpus: Corpus, vector: np.ndarray, n: int,
                 allowed_labels: dict[str, set[str]] | None) -> list[tuple[int, float]]:
    """(chunk id, cosine similarity), best first, from the chroma collection."""
    where = None
    if allowed_labels:
        clauses = [{k: {"$in": sorted(v)}} for k, v in allowed_labels.items()]
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
    res = collection(store, corpus).query(query_embeddings=[vector.tolist()], n_results=n,
                                          where=where, include=["distances"])
    uids, dists = res["ids"][0], res["distances"][0]
    if not uids:
        return []
    marks = ",".join("?" * len(uids))
    by_uid = dict(store.db.execute(f"SELECT uid, id FROM chunks WHERE uid IN ({marks})", uids))
    return [(by_uid[u], 1.0 - float(d)) for u, d in zip(uids, dists) if u in by_uid]
