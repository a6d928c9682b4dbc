#!/usr/bin/env python3
"""How fast could EVE ingest be if DuckDB parsed the file itself? A measurement, not a path
the product takes: the typed columns of the events table are computed in SQL (the kind
mapping, times, addresses, ports, alert fields) from ``read_csv`` lines numbered by
``row_number()``, written to the staging table, indexed and published as ingest does.

Two schemas are timed: fields typed as JSON and checked with ``json_type`` (what the Python
reader's type checks would need) and plain typed fields.

    python tools/probe_eve_duckdb.py [--copies 1130]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from askzero.logs.ingest import _index_addresses  # noqa: E402
from askzero.logs.store import LogStore  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "suricata" / "surevego-testdata" / "eve.json"
KINDS = ("CASE j.event_type WHEN 'alert' THEN 'alert' WHEN 'drop' THEN 'drop' WHEN 'anomaly' THEN 'anomaly' "
         "WHEN 'flow' THEN 'flow' WHEN 'dns' THEN 'dns' WHEN 'http' THEN 'http' WHEN 'tls' THEN 'tls' "
         "WHEN 'fileinfo' THEN 'file' WHEN 'ssh' THEN 'ssh' WHEN 'stats' THEN 'stats' ELSE 'other' END")


def run(path: Path, checked: bool) -> float:
    text, num = ("JSON", "JSON") if checked else ("VARCHAR", "BIGINT")
    schema = ('{"timestamp":"VARCHAR","event_type":"VARCHAR",'
              f'"src_ip":"{text}","dest_ip":"{text}","src_port":"{num}","dest_port":"{num}","proto":"{text}",'
              f'"flow_id":"{num}","in_iface":"{text}","host":"{text}",'
              f'"alert":{{"action":"{text}","gid":"{num}","signature_id":"{num}","rev":"{num}",'
              f'"signature":"{text}","category":"{text}","severity":"{num}"}},"flow":{{"start":"VARCHAR"}}}}')

    def s(x: str) -> str:
        return f"CASE WHEN json_type({x}) = 'VARCHAR' THEN {x} ->> '$' END" if checked else x

    def i(x: str) -> str:
        return f"CASE WHEN json_type({x}) IN ('UBIGINT', 'BIGINT') THEN CAST({x} AS BIGINT) END" if checked else x

    stamp = "coalesce(j.flow.start, j.timestamp)"
    lines = (f"read_csv('{path}', columns={{'raw': 'VARCHAR'}}, delim='\\x01', quote='', escape='', "
             "header=false, auto_detect=false, new_line='\\n', max_line_size=2000000)")
    with tempfile.TemporaryDirectory() as tmp, LogStore(Path(tmp) / "probe.duckdb") as store:
        start = time.perf_counter()
        store.con.execute("BEGIN")
        store.con.execute(f"""
            INSERT INTO events_staging (file_id, time, source, kind, src, dst, sport, dport, proto, action,
              severity, signature, signature_id, category, iface, host, flow, line, raw)
            SELECT 1, timezone('UTC', coalesce(try_strptime({stamp}, '%Y-%m-%dT%H:%M:%S.%f%z'),
                                               try_strptime({stamp}, '%Y-%m-%dT%H:%M:%S%z'))),
              'eve', {KINDS}, {s('j.src_ip')}, {s('j.dest_ip')}, {i('j.src_port')}, {i('j.dest_port')},
              lower({s('j.proto')}), {s('j.alert.action')}, least(greatest({i('j.alert.severity')}, 1), 4),
              {s('j.alert.signature')},
              {i('j.alert.gid')} || ':' || {i('j.alert.signature_id')} || ':' || {i('j.alert.rev')},
              {s('j.alert.category')}, {s('j.in_iface')}, {s('j.host')}, CAST({i('j.flow_id')} AS VARCHAR),
              line, raw
            FROM (SELECT line, raw, from_json(raw, '{schema}') j
                  FROM (SELECT row_number() OVER () AS line, raw FROM {lines})
                  WHERE raw IS NOT NULL AND json_valid(raw) AND starts_with(ltrim(raw), '{{'))""")
        _index_addresses(store)
        store.con.execute("INSERT INTO events SELECT * FROM events_staging")
        store.con.execute("DELETE FROM events_staging")
        store.con.execute("COMMIT")
        seconds = time.perf_counter() - start
        count = store.sql("SELECT count(*) FROM events")[0][0]
    return count / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1130, help="copies of the sample eve.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "eve.json"
        path.write_bytes(SAMPLE.read_bytes() * args.copies)
        lines = path.read_bytes().count(b"\n")
        print(f"{lines:,} EVE lines")
        print(f"type-checked fields: {run(path, True):,.0f} events/s")
        print(f"plain typed fields:  {run(path, False):,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
