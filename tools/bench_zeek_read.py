"""Events per second of the Zeek reader on the largest shared sample logs.

    python tools/bench_zeek_read.py [FILE ...]

Without arguments it reads the biggest WRCCDC 2018 TSV logs (dns, ssl, weird; gzip) from
../shared/samples/zeek. Each file is read twice; the faster run is reported.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from askzero.logs import zeek
from askzero.logs.lines import Position
from askzero.logs.record import Event

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples" / "zeek" / "wrccdc2018-tsv"
DEFAULT = ("dns.log.gz", "ssl.log.gz", "weird.log.gz")


def bench(path: Path) -> tuple[int, int, float]:
    best = float("inf")
    events = malformed = 0
    for _ in range(2):
        started = time.perf_counter()
        events = malformed = 0
        for item in zeek.read(path, Position()):
            if isinstance(item, Event):
                events += 1
            else:
                malformed += 1
        best = min(best, time.perf_counter() - started)
    return events, malformed, best


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [SAMPLES / name for name in DEFAULT]
    for path in paths:
        events, malformed, seconds = bench(path)
        print(f"{path.name}: {events} events, {malformed} malformed in {seconds:.2f} s "
              f"= {events / seconds:,.0f} events/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
