"""The log store: incremental ingest, rotation, truncation, duplicates, malformed records,
and the queries over it. A small line format (tests/logfake.py) writes exactly the lines
each test needs; the real formats are exercised in their own tests and in test_logs_cli."""

from __future__ import annotations

import gzip
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from askzero.logs import formats, query  # noqa: E402
from askzero.logs.ingest import IngestSource, ingest  # noqa: E402
from askzero.logs.store import LogStore  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import logfake  # noqa: E402

T0 = 1_763_604_000  # 2025-11-20 02:00:00 UTC


@pytest.fixture(autouse=True)
def fake_format(monkeypatch):
    real = formats.module
    monkeypatch.setattr(formats, "module", lambda name: logfake if name == "fake" else real(name))


def lines(n: int, start: int = 0, src: str = "203.0.113.7") -> str:
    return "".join(f"{T0 + i} block {src} 192.0.2.10 packet {i}\n" for i in range(start, start + n))


def run(store: LogStore, *paths: Path) -> list:
    return ingest(store, [IngestSource(p.name, p, "fake") for p in paths])


def count(store: LogStore) -> int:
    return store.sql("SELECT count(*) FROM events")[0][0]


@pytest.fixture
def store(tmp_path):
    with LogStore(tmp_path / "store" / "logs.duckdb") as s:
        yield s


def test_rerun_reads_only_what_was_appended(store, tmp_path):
    log = tmp_path / "a.log"
    log.write_text(lines(10))
    assert run(store, log)[0].events == 10
    assert run(store, log)[0].events == 0
    with log.open("a") as fh:
        fh.write(lines(5, 10))
    report = run(store, log)[0]
    assert (report.events, report.resumed_from.line) == (5, 10)
    assert count(store) == 15
    assert [r[0] for r in store.sql("SELECT line FROM events ORDER BY line")] == list(range(1, 16))


def test_half_written_last_line_waits_for_its_newline(store, tmp_path):
    log = tmp_path / "a.log"
    log.write_text(lines(3) + "garbage-without-newline")
    assert run(store, log)[0].events == 3
    assert run(store, log)[0].malformed == 0  # not reported until it is complete
    log.write_text(lines(3) + f"{T0} block 198.51.100.1 192.0.2.10 late\n")
    report = run(store, log)[0]
    assert report.events == 1 and report.malformed == 0


def test_rotation_resumes_under_the_new_name_and_new_file_starts_over(store, tmp_path):
    log = tmp_path / "eve.log"
    log.write_text(lines(10))
    run(store, log)
    with log.open("a") as fh:  # written after the last ingest, before rotation
        fh.write(lines(2, 10))
    rotated = tmp_path / "eve.log.0.gz"
    rotated.write_bytes(gzip.compress(log.read_bytes()))
    log.write_text(lines(4, 100, src="198.51.100.9"))
    reports = run(store, rotated, log)
    assert [(r.events, r.resumed_from.line) for r in reports] == [(2, 10), (4, 0)]
    assert "rotated" in reports[0].note
    assert count(store) == 16


def test_the_same_content_under_two_names_is_stored_once(store, tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "copy.log"
    a.write_text(lines(7))
    b.write_text(lines(7))
    assert [r.events for r in run(store, a, b)] == [7, 0]
    assert count(store) == 7


def test_truncated_file_starts_over(store, tmp_path):
    log = tmp_path / "a.log"
    log.write_text(lines(10))
    run(store, log)
    log.write_text(lines(3))  # same first lines, but shorter than what was read
    report = run(store, log)[0]
    assert report.events == 3 and "read from the start" in report.note


def test_malformed_lines_are_counted_with_examples_and_valid_lines_kept(store, tmp_path):
    log = tmp_path / "a.log"
    good = lines(4).splitlines(keepends=True)
    log.write_bytes("".join([good[0], "junk line\n", good[1], "\x00\xff\xfe binary\n", good[2],
                             "x" * (2 << 20) + "\n", good[3]]).encode("utf-8", "surrogateescape"))
    report = run(store, log)[0]
    assert (report.events, report.malformed) == (4, 3)
    assert [m.line for m in report.examples] == [2, 4, 6]
    stats = query.stats(store)
    assert stats["files"][0]["malformed"] == 3
    assert stats["malformed_examples"][0] == {"file": "a.log", "line": 2,
                                             "reason": "not EPOCH KIND SRC DST", "sample": "junk line"}


def test_failed_ingest_leaves_the_store_as_it_was(store, tmp_path, monkeypatch):
    log = tmp_path / "a.log"
    log.write_text(lines(5))
    run(store, log)
    with log.open("a") as fh:
        fh.write(lines(5, 5))
    other = tmp_path / "b.log"
    other.write_text(lines(3, 50))
    import askzero.logs.ingest as ingest_module

    calls = []

    def failing(store_, file_id, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_insert(store_, file_id, rows)

    real_insert = ingest_module._insert
    monkeypatch.setattr(ingest_module, "_insert", failing)
    with pytest.raises(RuntimeError):
        run(store, log, other)
    monkeypatch.setattr(ingest_module, "_insert", real_insert)
    assert count(store) == 5
    assert store.files()[0]["line"] == 5
    assert [r.events for r in run(store, log, other)] == [5, 3]


def test_queries_by_address_cidr_window_and_rankings(store, tmp_path):
    log = tmp_path / "a.log"
    log.write_text(lines(6) + lines(3, 6, src="198.51.100.9")
                   + f"{T0 + 100} alert 2001:db8:0:0::1 192.0.2.10 v6\n")
    run(store, log)
    result = query.events(store, query.Filter(ip="203.0.113.7"), limit=2)
    assert result.count == 6 and len(result.events) == 2
    assert result.events[0]["citation"] == {"file": "a.log", "line": 1}
    assert result.events[0]["time"] == "2025-11-20T02:00:00Z"
    assert query.events(store, query.Filter(ip="198.51.100.0/24")).count == 3
    assert query.events(store, query.Filter(ip="192.0.2.10")).count == 10
    assert query.events(store, query.Filter(ip="2001:db8::1")).count == 1  # stored compressed
    assert query.events(store, query.Filter(ip="2001:db8::/32")).count == 1
    window = query.Filter(since=datetime.fromtimestamp(T0 + 2, timezone.utc),
                          until=datetime.fromtimestamp(T0 + 4, timezone.utc))
    assert query.events(store, window).count == 2
    assert query.top(store, query.Filter(), "src", 2) == [("203.0.113.7", 6), ("198.51.100.9", 3)]
    first, last, n = query.first_last(store, query.Filter(ip="198.51.100.9"))
    assert (first.timestamp(), last.timestamp(), n) == (T0 + 6, T0 + 8, 3)
    buckets = query.histogram(store, query.Filter(kinds=("block",)), 5)
    assert [n for _, n in buckets] == [5, 4]
    activity = query.address_activity(store, "203.0.113.7")
    assert activity["pf_blocks"]["count"] == 6
    assert activity["pf_blocks"]["citations"] == [{"file": "a.log", "lines": [1, 6]}]


def test_second_writer_gets_a_clear_busy_error(tmp_path):
    import subprocess

    path = tmp_path / "logs.duckdb"
    with LogStore(path):
        code = ("import sys; from askzero.logs.store import LogStore, StoreBusy\n"
                f"try:\n LogStore({str(path)!r})\nexcept StoreBusy as e:\n print(e); sys.exit(7)")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 7, proc.stderr
    assert "in use by another ask-zero process" in proc.stdout


def test_newline_completing_an_accepted_final_line_is_not_a_new_line(store, tmp_path):
    log = tmp_path / "a.log"
    complete = lines(3)
    log.write_text(complete[:-1])  # the last record is whole but its newline is not written yet
    assert run(store, log)[0].events == 3
    with log.open("a") as fh:
        fh.write("\n" + lines(2, 3))
    report = run(store, log)[0]
    assert (report.events, report.malformed) == (2, 0)
    assert [r[0] for r in store.sql("SELECT line FROM events ORDER BY line")] == [1, 2, 3, 4, 5]
    text = log.read_text().splitlines()
    for (line, raw) in store.sql("SELECT line, raw FROM events"):
        assert text[line - 1] == raw


def test_a_version_1_store_is_upgraded_in_place_and_loses_nothing(tmp_path):
    """Version 1 had no events.record, a staging table, md5 keys for IPv4 and a time in addr_index."""
    path = tmp_path / "store" / "logs.duckdb"
    log = tmp_path / "a.log"
    log.write_text(lines(4) + lines(2, 4, src="2001:db8::7"))
    with LogStore(path) as store:
        run(store, log)
        store.con.execute("ALTER TABLE events DROP COLUMN record")
        store.con.execute("CREATE TABLE events_staging AS SELECT * FROM events LIMIT 0")
        store.con.execute("DELETE FROM addr_index")
        store.con.execute("ALTER TABLE addr_index ADD COLUMN time TIMESTAMP")
        store.con.execute("INSERT INTO addr_index SELECT md5_number_upper(src), file_id, line, time FROM events")
        store.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    with LogStore(path, read_only=True) as store:  # a question is the first to open it
        assert store.schema_version() == 2
        assert "record" in [r[0] for r in store.sql("DESCRIBE events")]
        assert query.events(store, query.Filter(ip="203.0.113.7")).count == 4
        assert query.events(store, query.Filter(ip="2001:db8::7")).count == 2
        assert not store.sql("SELECT * FROM information_schema.tables WHERE table_name = 'events_staging'")
    with LogStore(path) as store:
        with log.open("a") as fh:
            fh.write(lines(1, 6))
        assert run(store, log)[0].events == 1
        assert count(store) == 7


def test_a_gzip_file_damaged_at_its_start_is_skipped_not_fatal(store, tmp_path):
    damaged = tmp_path / "eve.json.1.gz"
    damaged.write_bytes(gzip.compress(b'{"event_type": "alert"}\n' * 50)[:10] + b"\xff" * 64)  # zlib.error
    good = tmp_path / "b.log"
    good.write_text(lines(2))
    reports = run(store, damaged, good)
    assert reports[0].events == 0 and reports[0].note
    assert reports[1].events == 2


def test_original_records_are_stored_with_zstd(store, tmp_path):
    """The schema asks for zstd on the long, distinct original records (faster to write and
    smaller than the default); DuckDB silently stores them uncompressed when its storage
    version is older than the one that has zstd, hence the check on what it wrote."""
    log = tmp_path / "a.log"
    log.write_text(lines(5000))
    run(store, log)
    store.con.execute("CHECKPOINT")
    used = {row[0] for row in store.sql(
        "SELECT DISTINCT compression FROM pragma_storage_info('events') WHERE column_name = 'raw' "
        "AND segment_type = 'VARCHAR'")}
    assert "ZSTD" in used, used
