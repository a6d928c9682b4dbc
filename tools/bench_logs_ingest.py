#!/usr/bin/env python3
"""End-to-end ingest speed into a real DuckDB store, with baselines from the same run.

- EVE: the sample surevego eve.json repeated to --eve-events lines; events/s of a full
  ingest (the bulk path: DuckDB parses the lines), the ratio to
  ``jq -c 'select(.event_type == "alert")'`` over the same file, and to the per-record reader.
  Also the same lines with their IPv4 sources spread over many addresses, as a sensor sees
  them (the repeated sample compresses far better than real logs).
- pflog: a binary pflog file of --pflog-records records written by our own writer;
  records/s of a full ingest, and the ratio to the reader alone (no store).
- each figure is the median of three ingests, each into a new store.
- memory: peak RSS of the process after both (the ingest streams; it should not grow
  with the file). ``--memory-events N`` instead ingests one EVE file of N events (10,000,000 is
  about 5.4 GB) with a thread sampling RSS, to show that memory stays flat as the file grows.

    python tools/bench_logs_ingest.py [--eve-events 500000] [--pflog-records 300000]
    python tools/bench_logs_ingest.py --memory-events 10000000
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from askzero.logs import formats  # noqa: E402
from askzero.logs.ingest import IngestSource, ingest  # noqa: E402
from askzero.logs.lines import Position  # noqa: E402
from askzero.logs.store import LogStore  # noqa: E402

RUNS = 3  # ingests timed per figure (the median is reported)
EVE_SAMPLE = ROOT.parent / "shared" / "samples" / "suricata" / "surevego-testdata" / "eve.json"


def make_eve(path: Path, events: int) -> int:
    lines = EVE_SAMPLE.read_bytes().splitlines(keepends=True)
    with path.open("wb") as fh:
        written = 0
        while written < events:
            chunk = lines[: events - written]
            fh.writelines(chunk)
            written += len(chunk)
    return written


def spread_sources(path: Path, spread: Path) -> int:
    """The file with each IPv4 source address replaced by one of 2**24 (a real sensor sees
    many; the repeated sample holds six, which flatters DuckDB's compression). Returns how
    many distinct sources it holds."""
    import random

    rng = random.Random(1)
    pattern = re.compile(rb'"src_ip":"\d+\.\d+\.\d+\.\d+"')
    seen = set()
    with path.open("rb") as src, spread.open("wb") as out:
        for line in src:
            address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
            line, replaced = pattern.subn(f'"src_ip":"{address}"'.encode(), line, count=1)
            if replaced:
                seen.add(address)
            out.write(line)
    return len(seen)


def make_pflog(path: Path, records: int) -> int:
    from datetime import datetime, timedelta, timezone

    from askzero.logs.pflogwrite import build_record, write_pflog

    start = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    def gen():
        for i in range(records):
            yield build_record(
                time=start + timedelta(milliseconds=i), rulenr=8, subrulenr=i % 2, ruleset="threat_feeds",
                action="block", direction="in", ifname="em0", proto="tcp",
                src=f"203.0.{(i >> 8) & 255}.{i & 255}", dst="192.0.2.10", sport=30000 + i % 30000,
                dport=22, tcp_flags="S")
    write_pflog(path, gen())
    return records


def timed_ingest(path: Path, fmt: str, store_name: str = "") -> tuple[float, int]:
    """Seconds to ingest the file into a new store, and the events stored."""
    store_path = path.parent / f"{store_name or fmt}.duckdb"
    with LogStore(store_path) as store:
        start = time.perf_counter()
        report = ingest(store, [IngestSource(path.name, path, fmt)])[0]
        return time.perf_counter() - start, report.events


def repeated_ingest(path: Path, fmt: str, runs: int = RUNS) -> tuple[float, int]:
    """The median of a few ingests, each into a new store (this machine is shared: one run
    can be 20% off either way)."""
    timings = [timed_ingest(path, fmt, f"{path.stem}-{run}") for run in range(runs)]
    return statistics.median(t for t, _ in timings), timings[0][1]


def timed_read(path: Path, fmt: str) -> float:
    start = time.perf_counter()
    for _ in formats.module(fmt).read(path, Position()):
        pass
    return time.perf_counter() - start


def memory(events: int) -> int:
    """Ingest one large EVE file and print the peak RSS seen while it ran."""
    import threading

    peak = [0]

    def sample() -> None:
        while True:
            with open("/proc/self/statm") as fh:
                peak[0] = max(peak[0], int(fh.read().split()[1]) * resource.getpagesize())
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        eve = Path(tmp) / "eve.json"
        make_eve(eve, events)
        size = eve.stat().st_size
        seconds, stored = timed_ingest(eve, "eve")
    print(f"{stored:,} events from a {size / 1e9:.2f} GB file in {seconds:.0f} s; "
          f"peak RSS while ingesting {peak[0] / 2**20:.0f} MiB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eve-events", type=int, default=500_000)
    parser.add_argument("--pflog-records", type=int, default=300_000)
    parser.add_argument("--memory-events", type=int, help="only the memory run, with this many events")
    args = parser.parse_args()
    if args.memory_events:
        return memory(args.memory_events)
    with tempfile.TemporaryDirectory() as tmp:
        eve = Path(tmp) / "eve.json"
        n = make_eve(eve, args.eve_events)
        cold, _ = timed_ingest(eve, "eve")  # the first pays for importing numpy, pyarrow, json
        seconds, events = repeated_ingest(eve, "eve")
        eve_seconds, rate = seconds, events / seconds
        print(f"EVE ingest: {events:,} events in {seconds:.2f} s = {rate:,.0f} events/s "
              f"(target 300,000: {'met' if rate >= 300_000 else 'NOT met'}); "
              f"first ingest in the process {cold:.2f} s = {events / cold:,.0f} events/s")
        if shutil.which("jq"):
            start = time.perf_counter()
            subprocess.run(["jq", "-c", 'select(.event_type == "alert")', str(eve)],
                           stdout=subprocess.DEVNULL, check=True)
            jq = time.perf_counter() - start
            print(f"  jq -c alerts over the same {n:,} lines: {jq:.2f} s; ingest / jq speed ratio = {jq / seconds:.2f}x")
        spread = Path(tmp) / "eve-spread.json"
        sources = spread_sources(eve, spread)
        seconds, events = repeated_ingest(spread, "eve")
        print(f"  the same lines with {sources:,} distinct source addresses: {seconds:.2f} s = "
              f"{events / seconds:,.0f} events/s")
        read = timed_read(eve, "eve")
        print(f"  per-record reader alone (no store): {n / read:,.0f} events/s; "
              f"bulk ingest / per-record reader = {read / eve_seconds:.2f}x")

        pflog = Path(tmp) / "pflog"
        records = make_pflog(pflog, args.pflog_records)
        seconds, events = repeated_ingest(pflog, "pflog")
        rate = events / seconds
        print(f"pflog ingest: {events:,} records in {seconds:.2f} s = {rate:,.0f} records/s "
              f"(target 200,000: {'met' if rate >= 200_000 else 'NOT met'})")
        read = timed_read(pflog, "pflog")
        print(f"  reader alone: {records / read:,.0f} records/s; ingest / reader = {read / seconds:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
