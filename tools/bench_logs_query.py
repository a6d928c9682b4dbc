#!/usr/bin/env python3
"""Query latency over a large log store: one address, p50/p95 over many addresses.

Builds a store of N synthetic events (default 10 million) directly in DuckDB, in the
store's own schema, then times ``query.events`` for one address (count + first page) and
``query.address_activity``. The baseline, timed in the same run, is a bare
``SELECT count(*) FROM events`` (one full scan of a column), so the ratio says how a
lookup compares to touching every row once.

    python tools/bench_logs_query.py [--events 10000000] [--queries 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from askzero.logs import query  # noqa: E402
from askzero.logs.ingest import _index_addresses  # noqa: E402
from askzero.logs.store import LogStore  # noqa: E402

# IPv4 text to integer in SQL, for the synthetic rows built inside DuckDB
_IPV4_INT = """TRY_CAST(CASE WHEN regexp_full_match({c}, '\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}') THEN
  split_part({c}, '.', 1)::UBIGINT * 16777216 + split_part({c}, '.', 2)::UBIGINT * 65536 +
  split_part({c}, '.', 3)::UBIGINT * 256 + split_part({c}, '.', 4)::UBIGINT END AS UINTEGER)"""
KINDS = "['block', 'pass', 'alert', 'flow', 'dns', 'auth']"


def build(store: LogStore, n: int) -> None:
    """n events over 30 days: 65,536 sources, 256 destinations, six kinds, in time order."""
    store.con.execute("INSERT INTO files VALUES (1, 'var/log/synthetic', 'eve', '', 0, 0, 0, 0, 0, NULL, NULL)")
    store.con.execute(f"""
        INSERT INTO events SELECT 1,
          make_timestamp(1763596800000000 + i * (2592000000000 // {n})), 'eve',
          {KINDS}[1 + (i % 6)::INTEGER],
          '10.' || ((h >> 8) & 255) || '.' || (h & 255) || '.' || ((h >> 16) & 255),
          '192.0.2.' || (i % 256), 40000 + (i % 20000)::INTEGER, [22, 80, 443, 53][1 + (i % 4)::INTEGER],
          'tcp', 'blocked', 1 + (i % 3)::TINYINT, 'ET SCAN signature ' || (i % 500), NULL, 'Misc',
          NULL, 'em0', 'in', 'sensor1', NULL, CAST(i // 3 AS VARCHAR), 'event ' || i, NULL,
          i + 1, i * 300, '{{"event_type":"alert"}}', NULL, NULL, NULL
        FROM (SELECT i, hash(i) % 16777216 AS h FROM range({n}) t(i))""")
    store.con.execute(f"UPDATE events SET src4 = {_IPV4_INT.format(c='src')}, "
                      f"dst4 = {_IPV4_INT.format(c='dst')}")
    _index_addresses(store, [(1, 0)])
    store.con.execute("CHECKPOINT")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "logs.duckdb"
        t = time.perf_counter()
        with LogStore(path) as store:
            build(store, args.events)
        print(f"built {args.events:,} events in {time.perf_counter() - t:.1f} s")
        with LogStore(path, read_only=True) as store:
            sources = [a for (a,) in store.sql("SELECT DISTINCT src FROM events USING SAMPLE 1000")]
            rng = random.Random(7)
            picks = [rng.choice(sources) for _ in range(args.queries)]
            query.events(store, query.Filter(ip=picks[0]), limit=20)  # warm the first query
            baseline = [timed(lambda: store.sql("SELECT count(*) FROM events")) for _ in range(5)]
            lookups = [timed(lambda a=a: query.events(store, query.Filter(ip=a), limit=20)) for a in picks]
            activity = [timed(lambda a=a: query.address_activity(store, a)) for a in picks[:10]]
            counts = query.events(store, query.Filter(ip=picks[0]), limit=1).count
        p50, p95 = statistics.median(lookups), statistics.quantiles(lookups, n=20)[18]
        base = statistics.median(baseline)
        print(f"one-address query (count + first 20, e.g. {counts} events): p50 {p50:.1f} ms, p95 {p95:.1f} ms"
              f" over {len(lookups)} addresses")
        print(f"address activity (blocks, alerts, auth): p50 {statistics.median(activity):.1f} ms")
        print(f"baseline full count(*) scan: {base:.1f} ms; one-address p95 / baseline = {p95 / base:.1f}x")
        print("target: p95 < 50 ms:", "met" if p95 < 50 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
