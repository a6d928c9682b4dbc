"""Questions asked of the log store: the functions the assistant, the TUI and the CLI call.

Every event returned carries its citation (file and line, or record number for binary
pflog), so an answer can point at the exact record.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from askzero.logs.bulk import complete
from askzero.logs.store import LogStore

EVENT_FIELDS = (
    "time", "source", "kind", "src", "dst", "sport", "dport", "proto", "action", "severity",
    "signature", "signature_id", "category", "rule", "iface", "direction", "host", "user",
    "flow", "message", "extra",
)
TOP_FIELDS = {"src", "dst", "sport", "dport", "signature", "category", "rule", "user", "host",
              "proto", "kind", "source", "action"}


@dataclass
class Filter:
    """Which events: every criterion given must hold."""

    ip: str | None = None  # an address or a CIDR, as source or destination
    since: datetime | None = None  # UTC
    until: datetime | None = None  # UTC, exclusive
    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    signature: str | None = None  # substring, any case
    severity: int | None = None  # this severity or higher (1 is highest)
    category: str | None = None  # substring, any case
    port: int | None = None  # as source or destination port
    rule: str | None = None  # pf rule number as pflog prints it
    action: str | None = None
    actions: tuple[str, ...] = ()  # any of these actions
    user: str | None = None
    flow: str | None = None
    file: str | None = None  # the path as the store names it

    def where(self, store: LogStore) -> tuple[str, list[Any]]:
        """The SQL condition on table ``events`` (alias e) and its parameters."""
        parts: list[str] = []
        params: list[Any] = []
        if self.ip:
            sql, values = _address_condition(store, self.ip)
            parts.append(sql)
            params += values
        if self.since:
            parts.append("e.time >= ?")
            params.append(_naive_utc(self.since))
        if self.until:
            parts.append("e.time < ?")
            params.append(_naive_utc(self.until))
        for column, values in (("kind", self.kinds), ("source", self.sources), ("action", self.actions)):
            if values:
                parts.append(f"e.{column} IN ({', '.join('?' * len(values))})")
                params += list(values)
        for column, value in (("signature", self.signature), ("category", self.category)):
            if value:
                parts.append(f"e.{column} ILIKE ?")
                params.append(f"%{_like_escape(value)}%")
        if self.severity is not None:
            parts.append("e.severity <= ?")
            params.append(self.severity)
        if self.port is not None:
            parts.append("(e.sport = ? OR e.dport = ?)")
            params += [self.port, self.port]
        for column, value in (("rule", self.rule), ("action", self.action), ("user", self.user),
                              ("flow", self.flow)):
            if value is not None:
                parts.append(f'e."{column}" = ?')
                params.append(value)
        if self.file is not None:
            parts.append("e.file_id IN (SELECT id FROM files WHERE path = ?)")
            params.append(self.file)
        return (" AND ".join(parts) or "TRUE"), params


@dataclass
class QueryResult:
    count: int
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "events": self.events}


def events(store: LogStore, flt: Filter, limit: int = 100, newest_first: bool = False) -> QueryResult:
    """Matching events in time order (oldest first unless asked), with the total count."""
    where, params = flt.where(store)
    order = "DESC" if newest_first else "ASC"
    # no join with files here: DuckDB would then read every column of every row
    rows = store.sql(
        f"SELECT {_select_fields()} FROM events e "
        f"WHERE {where} ORDER BY e.time {order} NULLS LAST, e.file_id, e.line LIMIT ?",
        params + [limit],
    )
    count = len(rows) if len(rows) < limit else store.sql(
        f"SELECT count(*) FROM events e WHERE {where}", params)[0][0]
    paths = _paths(store)
    return QueryResult(count, [_event_dict(row, paths) for row in rows])


def first_last(store: LogStore, flt: Filter) -> tuple[datetime | None, datetime | None, int]:
    """First and last time seen, and how many events."""
    where, params = flt.where(store)
    first, last, count = store.sql(
        f"SELECT min(e.time), max(e.time), count(*) FROM events e WHERE {where}", params)[0]
    return _aware(first), _aware(last), count


def histogram(store: LogStore, flt: Filter, bucket_seconds: int) -> list[tuple[datetime, int]]:
    """Events per time bucket (buckets aligned on the epoch), empty buckets left out."""
    where, params = flt.where(store)
    rows = store.sql(
        "SELECT to_timestamp(floor(epoch(e.time) / ?) * ?)::TIMESTAMP AS b, count(*) "
        f"FROM events e WHERE {where} AND e.time IS NOT NULL GROUP BY b ORDER BY b",
        [bucket_seconds, bucket_seconds] + params,
    )
    return [(_aware(b), n) for b, n in rows]


def top(store: LogStore, flt: Filter, column: str, n: int = 10) -> list[tuple[Any, int]]:
    """The most frequent values of a column among matching events."""
    if column not in TOP_FIELDS:
        raise ValueError(f"cannot rank by {column!r}; choose from {', '.join(sorted(TOP_FIELDS))}")
    where, params = flt.where(store)
    return store.sql(
        f'SELECT e."{column}", count(*) AS n FROM events e WHERE {where} AND e."{column}" IS NOT NULL '
        f'GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?', params + [n])


def counts(store: LogStore, flt: Filter, *columns: str) -> list[tuple]:
    """How many matching events per combination of columns, most frequent first."""
    bad = [c for c in columns if c not in TOP_FIELDS]
    if bad or not columns:
        raise ValueError(f"cannot group by {', '.join(bad) or 'nothing'}")
    where, params = flt.where(store)
    names = ", ".join(f'e."{c}"' for c in columns)
    return store.sql(f"SELECT {names}, count(*) AS n FROM events e WHERE {where} "
                     f"GROUP BY ALL ORDER BY n DESC, {names}", params)


def line_span(store: LogStore, flt: Filter) -> list[tuple[str, int, int]]:
    """For each file with matching events: its path, the first and last line (or record)."""
    where, params = flt.where(store)
    paths = _paths(store)
    return sorted((paths.get(i, "?"), a, b) for i, a, b in store.sql(
        f"SELECT e.file_id, min(e.line), max(e.line) FROM events e WHERE {where} GROUP BY 1", params))


def records(store: LogStore, file: str, first: int, last: int, limit: int = 1000) -> list[tuple]:
    """(line or record number, time, message) of a file's records ``first``..``last``."""
    rows = store.sql(
        'SELECT e.line, e.time, coalesce(e.message, e.raw), e.source, e."offset", e.message IS NULL, e.raw, e.record '
        "FROM events e WHERE e.file_id IN (SELECT id FROM files WHERE path = ?) AND e.line BETWEEN ? AND ? "
        "ORDER BY e.line LIMIT ?", [file, first, last, limit])
    out = []
    for line, time, message, source, offset, bulk, raw, record in rows:
        if bulk:
            event = {"source": source, "message": message}
            complete(event, raw, record, line, offset)
            message = event["message"]
        out.append((line, time, message))
    return out


def related(store: LogStore, file: str, line: int, limit: int = 100) -> QueryResult:
    """An event and the records of the same connection (Suricata flow_id, Zeek uid)."""
    rows = store.sql(
        "SELECT e.flow FROM events e WHERE e.file_id IN (SELECT id FROM files WHERE path = ?) AND e.line = ?",
        [file, line])
    if not rows:
        return QueryResult(0)
    if rows[0][0] is None:
        return _one(store, file, line)
    return events(store, Filter(flow=rows[0][0]), limit=limit)


def _one(store: LogStore, file: str, line: int) -> QueryResult:
    rows = store.sql(
        f"SELECT {_select_fields()} FROM events e "
        "WHERE e.file_id IN (SELECT id FROM files WHERE path = ?) AND e.line = ?", [file, line])
    paths = _paths(store)
    return QueryResult(len(rows), [_event_dict(r, paths) for r in rows])


def stats(store: LogStore) -> dict[str, Any]:
    """What the store holds: files, events per source and kind, time span, malformed records."""
    by_kind = store.sql("SELECT source, kind, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2")
    first, last, total = store.sql("SELECT min(time), max(time), count(*) FROM events")[0]
    return {
        "events": total,
        "first": _iso(_aware(first)),
        "last": _iso(_aware(last)),
        "by_source": [{"source": s, "kind": k, "count": n} for s, k, n in by_kind],
        "files": [
            {**f, "ingested_at": _iso(_aware(f["ingested_at"]))} for f in store.files()
        ],
        "malformed_examples": [
            {"file": p, "line": ln, "reason": r, "sample": s}
            for p, ln, r, s in store.sql(
                "SELECT f.path, m.line, m.reason, m.sample FROM malformed m JOIN files f "
                "ON f.id = m.file_id ORDER BY m.file_id, m.line LIMIT 20")
        ],
    }


AUTH_FAILURES = ("failed", "invalid-user", "refused")


def address_activity(store: LogStore, ip: str, since: datetime | None = None,
                     until: datetime | None = None) -> dict[str, Any]:
    """pf blocks for an address next to the IDS alerts and auth failures for the same address."""
    where, params = Filter(ip=ip, since=since, until=until).where(store)
    failures = ", ".join(f"'{a}'" for a in AUTH_FAILURES)
    # one scan for the address, then the three sections from the (small) matching set
    rows = store.sql(f"""
        WITH m AS MATERIALIZED (
          SELECT CASE WHEN e.kind = 'block' THEN 'pf_blocks'
                      WHEN e.kind IN ('alert', 'drop', 'notice') THEN 'alerts'
                      WHEN e.kind = 'auth' AND e.action IN ({failures}) THEN 'auth_failures' END AS section,
                 CASE WHEN e.kind = 'block' THEN e.rule ELSE e.signature END AS label,
                 e.time, e.file_id, e.line
          FROM events e WHERE {where})
        SELECT section, 'all', NULL::VARCHAR, count(*), min(time), max(time), NULL::BIGINT, NULL::BIGINT
          FROM m WHERE section IS NOT NULL GROUP BY 1
        UNION ALL
        SELECT section, 'label', label, count(*), NULL, NULL, NULL, NULL
          FROM m WHERE section IS NOT NULL GROUP BY 1, 3
        UNION ALL
        SELECT section, 'file', file_id::VARCHAR, NULL, NULL, NULL, min(line), max(line)
          FROM m WHERE section IS NOT NULL GROUP BY 1, 3
        """, params)
    paths = _paths(store)
    out: dict[str, Any] = {}
    for name, group in (("pf_blocks", "rule"), ("alerts", "signature"), ("auth_failures", "signature")):
        mine = [r for r in rows if r[0] == name]
        totals = next((r for r in mine if r[1] == "all"), (name, "all", None, 0, None, None, None, None))
        labels = sorted(((r[2], r[3]) for r in mine if r[1] == "label"), key=lambda v: (-v[1], str(v[0])))
        files = sorted((paths.get(int(r[2]), "?"), r[6], r[7]) for r in mine if r[1] == "file")
        out[name] = {
            "count": totals[3], "first": _iso(_aware(totals[4])), "last": _iso(_aware(totals[5])),
            "by_" + group: [{"value": v, "count": n} for v, n in labels[:5]],
            "citations": [{"file": p, "lines": [a, b]} for p, a, b in files],
        }
    return out


# --------------------------------------------------------------------------- helpers


def _address_condition(store: LogStore, text: str) -> tuple[str, list[Any]]:
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"not an address or network: {text}") from exc
    if net.num_addresses == 1:
        return _one_address(store, net.network_address)
    if net.version == 4:
        lo, hi = int(net.network_address), int(net.broadcast_address)
        return "(e.src4 BETWEEN ? AND ? OR e.dst4 BETWEEN ? AND ?)", [lo, hi, lo, hi]
    # IPv6 networks: few distinct addresses in practice; test them here
    candidates = [a for (a,) in store.sql(
        "SELECT DISTINCT a FROM (SELECT src a FROM events UNION SELECT dst FROM events) "
        "WHERE contains(a, ':')")]
    inside = [a for a in candidates if _in_network(a, net)]
    if not inside:
        return "FALSE", []
    marks = ", ".join("?" * len(inside))
    return f"(e.src IN ({marks}) OR e.dst IN ({marks}))", inside + inside


MAX_INDEXED = 5000  # beyond this many records, scanning the address columns is as fast


def _one_address(store: LogStore, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[str, list[Any]]:
    """Rows for one address: named by the sorted address index (a lookup that skips almost
    every row group), then fetched by file and line, which follow the table's order."""
    text = address.compressed
    exact = ("(e.src4 = ? OR e.dst4 = ?)", [int(address)] * 2) if address.version == 4 else \
        ("(e.src = ? OR e.dst = ?)", [text, text])
    # the key store.address_key gives: the IPv4 integer, else the md5 prefix of the text
    key, params = ("?", [int(address)]) if address.version == 4 else ("md5_number_upper(?)", [text])
    hits = store.sql(f"SELECT file_id, line FROM addr_index WHERE a = {key} LIMIT ?", [*params, MAX_INDEXED + 1])
    if len(hits) > MAX_INDEXED:
        return exact
    if not hits:
        return "FALSE", []
    by_file: dict[int, list[int]] = {}
    for file_id, line in hits:
        by_file.setdefault(file_id, []).append(line)
    parts = [f"(e.file_id = {int(f)} AND e.line IN ({', '.join(str(int(n)) for n in sorted(lines))}))"
             for f, lines in sorted(by_file.items())]
    return f"({' OR '.join(parts)}) AND {exact[0]}", exact[1]


def _in_network(address: str, net: ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(address) in net
    except ValueError:
        return False


def _select_fields() -> str:
    # a row written in bulk has no message: its original record comes along to rebuild it
    return (", ".join(f'e."{name}"' for name in EVENT_FIELDS) + ', e.line, e.file_id, e."offset", '
            "CASE WHEN e.message IS NULL THEN e.raw END, CASE WHEN e.message IS NULL THEN e.record END")


def _paths(store: LogStore) -> dict[int, str]:
    return dict(store.sql("SELECT id, path FROM files"))


def _event_dict(row: tuple, paths: dict[int, str]) -> dict[str, Any]:
    out = dict(zip(EVENT_FIELDS, row))
    out["time"] = _iso(_aware(out["time"]))
    if out["extra"]:
        out["extra"] = json.loads(out["extra"])
    line, file_id, offset, raw, record = row[len(EVENT_FIELDS):]
    if out["message"] is None:
        complete(out, raw, record, line, offset)
    path = paths.get(file_id, "?")
    if out["source"] == "pflog":
        out["citation"] = {"file": path, "record": f"record {line}"}
    else:
        out["citation"] = {"file": path, "line": line}
    return {k: v for k, v in out.items() if v is not None}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
