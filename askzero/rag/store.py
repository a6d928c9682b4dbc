"""The retrieval index on disk: SQLite (chunks, FTS5 BM25, embeddings) plus a numpy matrix.

SQLite is the source of truth. ``vectors.<generation>.npy`` is a copy of the chunk vectors in
chunk-id order, so a query does brute-force cosine on a memory-mapped matrix instead of
importing chromadb (1.8 s). Each build writes a new generation, so a reader never pairs a
matrix with chunks it does not describe; a missing matrix is rebuilt from SQLite.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from askzero.rag.types import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (cite TEXT PRIMARY KEY, real TEXT, size INTEGER,
    mtime_ns INTEGER, sha TEXT, parser TEXT);
CREATE TABLE IF NOT EXISTS chunks (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT, file TEXT,
    heading TEXT, start INTEGER, end INTEGER, text TEXT, kind TEXT, framework TEXT, hash TEXT, uid TEXT);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE TABLE IF NOT EXISTS embeddings (hash TEXT PRIMARY KEY, vec BLOB);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(heading, text, tokenize='porter unicode61');
"""
DB_NAME = "index.sqlite"
SCHEMA_VERSION = "2"  # an index of another version is rebuilt: it is only a cache of the sources


@dataclass(frozen=True)
class FileState:
    real: str
    size: int
    mtime_ns: int
    sha: str


class Store:
    """One corpus's index directory."""

    def __init__(self, directory: Path, create: bool = True) -> None:
        self.dir = directory
        if create:
            directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / DB_NAME)
        if create:
            self._create()

    def _create(self) -> None:
        tables = [n for (n,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'fts_%'")]
        if "meta" in tables and self.meta("schema") != SCHEMA_VERSION:
            for name in tables:
                self.db.execute(f'DROP TABLE IF EXISTS "{name}"')
            tables = []
        self.db.executescript(SCHEMA)
        if not tables:
            self.set_meta("schema", SCHEMA_VERSION)
            self.commit()

    @staticmethod
    def exists(directory: Path) -> bool:
        return (directory / DB_NAME).is_file()

    def close(self) -> None:
        self.db.close()

    # -- files -----------------------------------------------------------------------------
    def files(self) -> dict[str, FileState]:
        rows = self.db.execute("SELECT cite, real, size, mtime_ns, sha FROM files")
        return {c: FileState(r, s, m, h) for c, r, s, m, h in rows}

    def set_file(self, cite: str, state: FileState, parser: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                        (cite, state.real, state.size, state.mtime_ns, state.sha, parser))

    def remove_file(self, cite: str) -> int:
        n = self._delete_chunks(cite)
        self.db.execute("DELETE FROM files WHERE cite = ?", (cite,))
        return n

    # -- chunks ----------------------------------------------------------------------------
    def replace_chunks(self, cite: str, chunks: list[Chunk]) -> tuple[int, int]:
        """Put the source's new chunks in place of its old ones: (added, removed) by content."""
        old = {h for (h,) in self.db.execute("SELECT hash FROM chunks WHERE source = ?", (cite,))}
        self._delete_chunks(cite)
        for c in chunks:
            cur = self.db.execute(
                "INSERT INTO chunks (source, file, heading, start, end, text, kind, framework, hash, uid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cite, c.file, c.heading, c.start, c.end, c.text, c.kind, c.framework, c.content_hash(), c.uid()))
            self.db.execute("INSERT INTO fts (rowid, heading, text) VALUES (?, ?, ?)",
                            (cur.lastrowid, c.heading, c.text))
        new = {c.content_hash() for c in chunks}
        return len(new - old), len(old - new)

    def _delete_chunks(self, cite: str) -> int:
        ids = [i for (i,) in self.db.execute("SELECT id FROM chunks WHERE source = ?", (cite,))]
        self.db.executemany("DELETE FROM fts WHERE rowid = ?", [(i,) for i in ids])
        self.db.execute("DELETE FROM chunks WHERE source = ?", (cite,))
        return len(ids)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def rows(self, ids: list[int]) -> dict[int, tuple]:
        """(file, heading, start, end, text, kind, framework) by chunk id."""
        out: dict[int, tuple] = {}
        for b in range(0, len(ids), 500):
            part = ids[b:b + 500]
            q = ("SELECT id, file, heading, start, end, text, kind, framework FROM chunks"
                 f" WHERE id IN ({','.join('?' * len(part))})")
            out.update({r[0]: r[1:] for r in self.db.execute(q, part)})
        return out

    def labels(self) -> list[tuple[int, str, str]]:
        return list(self.db.execute("SELECT id, kind, framework FROM chunks"))

    # -- embeddings ------------------------------------------------------------------------
    def missing_embeddings(self) -> list[tuple[str, str]]:
        """(hash, text to embed) for the chunks whose content has no vector yet."""
        rows = self.db.execute(
            "SELECT c.hash, c.heading, c.text FROM chunks c LEFT JOIN embeddings e ON e.hash = c.hash"
            " WHERE e.hash IS NULL GROUP BY c.hash")
        return [(h, Chunk("", head, 0, 0, text, "").embed_text()) for h, head, text in rows]

    def put_embeddings(self, hashes: list[str], vectors: np.ndarray) -> None:
        self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                            [(h, v.astype(np.float32).tobytes()) for h, v in zip(hashes, vectors)])

    def drop_unused_embeddings(self) -> int:
        cur = self.db.execute("DELETE FROM embeddings WHERE hash NOT IN (SELECT hash FROM chunks)")
        return cur.rowcount

    def commit(self) -> None:
        self.db.commit()

    # -- the vector matrix -----------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def write_vectors(self) -> int:
        """Write a new generation of the matrix (after the chunks are committed)."""
        gen = int(self.meta("generation") or 0) + 1
        rows = self.db.execute("SELECT c.id, e.vec FROM chunks c JOIN embeddings e ON e.hash = c.hash"
                               " ORDER BY c.id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        mat = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
               if rows else np.zeros((0, 0), dtype=np.float32))
        for name, arr in ((f"vectors.{gen}.npy", mat), (f"ids.{gen}.npy", ids)):
            tmp = self.dir / (name + ".tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, arr)
            os.replace(tmp, self.dir / name)
        self.set_meta("generation", str(gen))
        self.commit()
        for old in self.dir.glob("*.npy"):
            if old.name not in (f"vectors.{gen}.npy", f"ids.{gen}.npy"):
                old.unlink(missing_ok=True)
        return gen

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, unit vectors), memory-mapped."""
        gen = self.meta("generation")
        vec, ids = self.dir / f"vectors.{gen}.npy", self.dir / f"ids.{gen}.npy"
        if gen is None or not vec.is_file() or not ids.is_file():
            gen = str(self.write_vectors())
            vec, ids = self.dir / f"vectors.{gen}.npy", self.dir / f"ids.{gen}.npy"
        return np.load(ids), np.load(vec, mmap_mode="r")
