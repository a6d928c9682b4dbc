"""Benchmark: EVE events/s of ``askzero.logs.eve.read`` against bare ``json.loads``.

Builds a large EVE file in a temporary directory by repeating a real sample (default: the
surevego eve.json, 266 records, 1000 times), then times, in the same run:
- the baseline: ``json.loads`` of every line (read with one ``readlines`` beforehand, so the
  baseline is the JSON decoding alone);
- ``read()`` end to end from the file: lines, JSON, timestamps, Event objects.
Prints events/s of both and the ratio (read time / json.loads time).

    python tools/bench_eve_read.py [--repeat N] [--sample PATH] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.logs import eve  # noqa: E402
from askzero.logs.lines import Position  # noqa: E402
from askzero.logs.record import Event  # noqa: E402

DEFAULT_SAMPLE = ROOT.parent / "shared" / "samples" / "suricata" / "surevego-testdata" / "eve.json"


def time_json_loads(path: Path) -> tuple[int, float]:
    with open(path, "rb") as fh:
        lines = fh.readlines()
    loads = json.loads
    began = time.perf_counter()
    count = 0
    for line in lines:
        loads(line)
        count += 1
    return count, time.perf_counter() - began


def time_read(path: Path) -> tuple[int, int, float]:
    began = time.perf_counter()
    events = other = 0
    for item in eve.read(path, Position()):
        if type(item) is Event:
            events += 1
        else:
            other += 1
    return events, other, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1000, help="copies of the sample (default 1000)")
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args()
    if not args.sample.is_file():
        print(f"sample not found: {args.sample}", file=sys.stderr)
        return 2
    block = args.sample.read_bytes()
    if not block.endswith(b"\n"):
        block += b"\n"
    with tempfile.TemporaryDirectory(prefix="bench-eve-") as tmp:
        path = Path(tmp) / "eve.json"
        with open(path, "wb") as fh:
            for _ in range(args.repeat):
                fh.write(block)
        size = path.stat().st_size
        best_json = best_read = float("inf")
        lines = events = malformed = 0
        for _ in range(args.rounds):
            lines, seconds = time_json_loads(path)
            best_json = min(best_json, seconds)
            events, malformed, seconds = time_read(path)
            best_read = min(best_read, seconds)
    print(f"file: {args.repeat} x {args.sample.name} = {lines} lines, {size / 1e6:.1f} MB (best of {args.rounds})")
    print(f"json.loads alone : {lines / best_json:12,.0f} lines/s  ({best_json:.3f} s)")
    print(f"eve.read()       : {events / best_read:12,.0f} events/s ({best_read:.3f} s, "
          f"{events} events, {malformed} malformed)")
    print(f"ratio read/json.loads time: {best_read / best_json:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
