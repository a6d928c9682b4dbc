"""The log store: one DuckDB file per site.

Tables:
- ``files``: every file ever ingested, known by a fingerprint of its first bytes (so a
  rotated file is recognised under its new name) with how far it has been read.
- ``events``: one row per normalised event (record.EVENT_COLUMNS) with the file it came from;
  ``src4``/``dst4`` hold IPv4 addresses as integers for CIDR ranges; ``record`` holds the
  original bytes of a binary record written in bulk (see ``bulk``). The original records
  (``raw``, ``record``) are compressed with zstd (see ORIGINAL).
- ``addr_index``: the addresses of every event, sorted, for fast one-address lookups.
- ``malformed``: records that could not be read, with file, line and a sample.

Writers take DuckDB's file lock; a second writer gets a clear "busy" error rather than
waiting. Ingest runs in one transaction, so a killed ingest leaves the store as it was
(DuckDB writes a large transaction's rows to unreferenced blocks of the file as it goes, so
memory stays bounded and an uncommitted run leaves nothing behind).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from askzero.errors import SourceError
from askzero.logs.record import EVENT_COLUMNS
from askzero.paths import data_dir

SCHEMA_VERSION = 2  # 2: events.record; IPv4 keys and no time in addr_index; no staging table
MEMORY_LIMIT = "512MB"
STORE_NAME = "logs.duckdb"


def site_store_path(site: Any) -> Path:
    """Where a site's log store lives: under ASKZERO_HOME, one directory per site."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", site.name).strip("-") or "site"
    digest = hashlib.sha1(str(site.root).encode()).hexdigest()[:8]
    return data_dir() / "sites" / f"{slug}-{digest}" / STORE_NAME


# The original records (raw, record) are long and nearly all distinct: zstd writes them
# about twice as fast as DuckDB's default string compression, and smaller (300k EVE lines
# with distinct addresses: 1.25 to 0.62 CPU seconds, 133 to 77 MiB; 200k pflog records: 0.65
# to 0.57 s for the whole ingest, 15 to 8 MiB). Stores made before keep the default.
ORIGINAL = "USING COMPRESSION zstd"


def _event_columns_sql() -> str:
    return ",\n  ".join(f'"{name}" {kind}' + (f" {ORIGINAL}" if name == "raw" else "") for name, kind in EVENT_COLUMNS)


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  path VARCHAR NOT NULL,        -- as the site names it (cited)
  format VARCHAR NOT NULL,
  fingerprint VARCHAR NOT NULL, -- sha256 of the first head_len bytes (decompressed)
  head_len INTEGER NOT NULL,
  "offset" BIGINT NOT NULL,     -- bytes consumed (decompressed stream)
  line BIGINT NOT NULL,         -- lines (or records) consumed
  events BIGINT NOT NULL,
  malformed BIGINT NOT NULL,
  ingested_at TIMESTAMP,
  ruleset_hash VARCHAR          -- pflog: hash of the ruleset on disk when ingested
);
CREATE TABLE IF NOT EXISTS events (
  file_id INTEGER NOT NULL,
  {_event_columns_sql()},
  src4 UINTEGER,
  dst4 UINTEGER,
  record BLOB {ORIGINAL}
);
-- every address of every event, in sorted runs (one per ingest, merged now and then), so
-- that DuckDB's per-row-group min/max skips almost everything on a one-address lookup
CREATE TABLE IF NOT EXISTS addr_index (
  a UBIGINT NOT NULL,           -- address_key(): the IPv4 integer, else md5_number_upper(text)
  file_id INTEGER NOT NULL,
  line BIGINT NOT NULL
);
-- for pflog: the ruleset on disk when each span of records was ingested; a record read
-- under one ruleset and explained under another gets a warning
CREATE TABLE IF NOT EXISTS ruleset_history (
  file_id INTEGER NOT NULL,
  first_line BIGINT NOT NULL,
  last_line BIGINT NOT NULL,
  ruleset_hash VARCHAR NOT NULL,
  ingested_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS malformed (
  file_id INTEGER NOT NULL,
  line BIGINT,
  "offset" BIGINT,
  reason VARCHAR,
  sample VARCHAR
);
"""


def address_key(text: str, v4: str) -> str:
    """SQL for an address's key in addr_index: a number that is stable across DuckDB
    versions, cheap for IPv4 (most of what logs hold). Two addresses may share a key (an md5
    prefix can equal an IPv4 integer): lookups check the address itself afterwards."""
    return f"coalesce(CAST({v4} AS UBIGINT), md5_number_upper({text}))"


def index_rows(where: str) -> str:
    """The addr_index rows of the events matching ``where``, sorted (one run)."""
    return (f"SELECT {address_key('a', 'a4')}, file_id, line FROM ("
            f"SELECT src AS a, src4 AS a4, file_id, line FROM events WHERE ({where}) AND src IS NOT NULL "
            f"UNION ALL SELECT dst, dst4, file_id, line FROM events WHERE ({where}) AND dst IS NOT NULL "
            "AND dst IS DISTINCT FROM src) ORDER BY 1")


class StoreBusy(SourceError):
    pass


class LogStore:
    """A site's log store. Open read-only for queries, read-write for ingest."""

    def __init__(self, path: Path, read_only: bool = False):
        import duckdb  # heavy: only the commands that touch the store pay for it

        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            self.con = duckdb.connect(":memory:")
            self._create()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(str(self.path), "the log store is in use by another ask-zero "
                                "process (an ingest?); try again when it has finished") from None
            raise SourceError(str(self.path), f"cannot open the log store: {exc}") from None
        # bounded memory on a multi-GB ingest: DuckDB spills sorts and large appends to disk
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        if not read_only:
            self.con.execute(f"SET temp_directory = '{self.path.parent / 'tmp'}'")
            self._create()
        elif self.schema_version() < SCHEMA_VERSION:
            # queries expect this version's columns: upgrade once, then read as asked
            self.con.close()
            LogStore(self.path).close()
            self.con = duckdb.connect(str(self.path), read_only=True)
            self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")

    def _create(self) -> None:
        version = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()
        if version and version[0]:
            self._upgrade()
            return  # created before: one query instead of a dozen on every question
        self.con.execute(SCHEMA)
        self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", [str(SCHEMA_VERSION)])

    def _upgrade(self) -> None:
        """A store written by an earlier version, brought up to this one in place: nothing
        stored is lost."""
        if self.read_only or self.schema_version() >= SCHEMA_VERSION:
            return
        self.con.execute("BEGIN TRANSACTION")
        self.con.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS record BLOB")
        self.con.execute("DROP TABLE IF EXISTS events_staging")  # version 1 staged ingests there
        self.con.execute("DELETE FROM addr_index")  # version 1 keyed IPv4 addresses by md5
        self.con.execute("ALTER TABLE addr_index DROP COLUMN IF EXISTS time")  # and kept a time no one read
        self.con.execute(f"INSERT INTO addr_index {index_rows('true')}")
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('index_runs', '1')")
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", [str(SCHEMA_VERSION)])
        self.con.execute("COMMIT")

    def schema_version(self) -> int:
        rows = self.sql("SELECT value FROM meta WHERE key = 'schema'")
        return int(rows[0][0]) if rows else 1

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LogStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(query, params or []).fetchall()

    def ruleset_at(self, path: str, line: int) -> tuple[str, object] | None:
        """The ruleset digest recorded when this pflog record was ingested, and when."""
        rows = self.sql(
            "SELECT h.ruleset_hash, h.ingested_at FROM ruleset_history h JOIN files f ON f.id = h.file_id "
            "WHERE f.path = ? AND ? BETWEEN h.first_line AND h.last_line ORDER BY h.ingested_at DESC LIMIT 1",
            [path, line])
        return rows[0] if rows else None

    def files(self) -> list[dict[str, Any]]:
        cols = ["id", "path", "format", "offset", "line", "events", "malformed", "ingested_at",
                "ruleset_hash"]
        rows = self.sql(f"SELECT {', '.join(_q(c) for c in cols)} FROM files ORDER BY id")
        return [dict(zip(cols, row)) for row in rows]


def _q(name: str) -> str:
    return f'"{name}"'
