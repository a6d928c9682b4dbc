"""Bulk ingest: a format hands DuckDB whole blocks of records as columns.

The per-record path (a format's ``read``) builds one ``Event`` per record in Python; that
caps ingest near a hundred thousand records a second here. A format may also offer

    read_bulk(path, start, writer) -> Reading

which writes the records it can decode in columns through ``writer`` (a pyarrow table per
block, the event columns computed by SQL over it) and yields, as ``read`` does, only what it
leaves to Python: events for the records whose values it cannot vouch for, and malformed
items. ``Reading.position`` is where the next ingest resumes, as for ``read``.

Rows written in bulk leave ``message`` and ``extra`` empty and keep the original record
(``raw`` text, or ``record`` bytes for a binary format). ``complete`` rebuilds both from it
with the format's own per-record code when a row is shown, so they are the per-record path's
by construction; tests compare every column the bulk path writes with it.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass, field
from typing import Any

# the formats with a bulk path, and the module whose ``rebuild(raw, record, line, offset)``
# gives the per-record Event of a row they wrote
# (light modules: showing a row imports neither numpy nor pyarrow)
REBUILDERS = {"eve": "askzero.logs.eve_bulk", "pflog": "askzero.logs.pflog"}


@dataclass
class Batch:
    """One block of records for DuckDB: ``table`` is scanned as ``batch`` (``source`` may
    be a subquery over it); ``columns`` maps event columns to SQL expressions over the
    source's columns; ``where`` selects the rows."""

    table: Any
    columns: dict[str, str]
    where: str = "true"
    params: list[Any] = field(default_factory=list)  # for ? in columns, then in where
    source: str = "batch"


class Writer:
    """Inserts a format's batches into ``events`` for one file, inside the ingest's
    transaction, and counts them."""

    def __init__(self, con: Any, file_id: int):
        self.con = con
        self.file_id = file_id
        self.events = 0

    def insert(self, batch: Batch) -> int:
        names = ", ".join(f'"{name}"' for name in batch.columns)
        values = ", ".join(batch.columns.values())
        con = self.con
        con.register("batch", batch.table)
        try:
            # rows carry their line and offset, so their order in the table does not matter:
            # letting DuckDB write them in any order lets both cores work on one statement
            con.execute("SET preserve_insertion_order = false")
            row = con.execute(
                f"INSERT INTO events (file_id, {names}) SELECT ?, {values} FROM {batch.source} WHERE {batch.where}",
                [self.file_id, *batch.params]).fetchone()
            con.execute("RESET preserve_insertion_order")
        finally:
            with contextlib.suppress(Exception):  # a failed statement has said what went wrong
                con.unregister("batch")
        count = int(row[0]) if row else 0
        self.events += count
        return count

    def discard(self, where: str, params: list[Any]) -> int:
        """Delete rows this writer inserted for the file (which the format then hands to
        Python instead); ``where`` must select only such rows."""
        row = self.con.execute(f"DELETE FROM events WHERE file_id = ? AND ({where})",
                               [self.file_id, *params]).fetchone()
        count = int(row[0]) if row else 0
        self.events -= count
        return count


def complete(event: dict[str, Any], raw: str | None, record: bytes | None, line: int, offset: int) -> None:
    """Fill ``message`` and ``extra`` of a row written in bulk (they are NULL in the store)."""
    module = REBUILDERS.get(event.get("source", ""))
    if module is None or (raw is None and record is None):
        return
    rebuilt = importlib.import_module(module).rebuild(raw, record, line, offset)
    if rebuilt is None:
        return
    if rebuilt.message is not None:
        event["message"] = rebuilt.message
    if rebuilt.extra:
        event["extra"] = rebuilt.extra
