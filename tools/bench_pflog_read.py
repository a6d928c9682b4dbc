#!/usr/bin/env python3
"""Benchmark the pflog format reader (``askzero.logs.pflog.read``) on a large capture.

    python tools/bench_pflog_read.py [--records 500000] [--distinct 5000] [--seed 7]
                                     [--repeat 3] [--gzip] [--profile]

Generates (deterministically, from --seed) a pflog file in a temporary directory: a pool
of --distinct records made with ``build_record`` (mostly IPv4 TCP SYNs with options from
many scanners, some UDP, ICMP, IPv6, anchors, nat'ed and passed packets), repeated with
rising timestamps up to --records. Then times, best of --repeat, in the same process
(CPU time, which other jobs on a shared machine disturb less than wall time; wall time
is printed too):

- read: iterating ``read(path, Position())`` to the end (every record an ``Event``);
- baseline: bare pcap iteration on the same file: chunked reads, ``struct`` unpack of each
  16-byte record header and a slice of its data. No reader can beat it in Python; the
  ratio says what decoding costs, so the figure means something on another machine.

The store needs >= 200,000 records/s end to end, so read() alone must be well above that.
With --profile, a cProfile run follows and the top functions by own time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import pstats
import random
import struct
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from askzero.logs.lines import Position, open_maybe_gzip  # noqa: E402
from askzero.logs.pflog import read  # noqa: E402
from askzero.logs.pflogrecord import (  # noqa: E402
    DLT_PFLOG,
    PCAP_MAGIC_US,
    PFLOG_HDRLEN,
    PflogRecord,
)
from askzero.logs.pflogwrite import build_record, encode_pfloghdr  # noqa: E402
from askzero.logs.record import Event  # noqa: E402

SNAPLEN = 160
T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)
OPTIONS = (("mss", 1460), ("sackOK",), ("timestamp", 664198628, 0), ("nop",), ("wscale", 7))


def pool(count: int, rng: random.Random) -> list[PflogRecord]:
    """Distinct records in the proportions a busy border firewall logs them."""
    scanners = [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                f"{rng.randint(1, 254)}" for _ in range(max(count // 3, 1))]
    out = []
    for _ in range(count):
        roll = rng.random()
        src = rng.choice(scanners)
        common = {"rulenr": rng.choice((2, 3, 4, 7, 11, 15)), "ifname": rng.choice(("em0", "em1"))}
        if roll < 0.6:
            out.append(build_record(T0, **common, src=src, dst="192.0.2.10",
                                    sport=rng.randint(1024, 65535),
                                    dport=rng.choice((22, 23, 80, 443, 3389, 8080)),
                                    seq=rng.getrandbits(32), win=rng.choice((1024, 64240)),
                                    tcp_options=OPTIONS if roll < 0.3 else (),
                                    df=roll < 0.45, ttl=rng.randint(30, 250)))
        elif roll < 0.75:
            out.append(build_record(T0, **common, src=src, dst="192.0.2.10", proto="udp",
                                    sport=rng.randint(1024, 65535),
                                    dport=rng.choice((53, 123, 161, 1900, 5060)),
                                    payload_len=rng.randint(0, 400)))
        elif roll < 0.8:
            out.append(build_record(T0, **common, src=src, dst="192.0.2.10", proto="icmp"))
        elif roll < 0.88:
            out.append(build_record(T0, rulenr=8, subrulenr=rng.randint(0, 3),
                                    ruleset="threat_feeds", ifname="em0", direction="out",
                                    src="10.10.0.23", dst=src, sport=rng.randint(1024, 65535),
                                    dport=443, translated_src="192.0.2.10",
                                    translated_sport=rng.randint(50000, 60000),
                                    seq=rng.getrandbits(32), df=True))
        elif roll < 0.95:
            out.append(build_record(T0, **common, src=f"2001:db8:{rng.randint(0, 0xffff):x}::1",
                                    dst="2001:db8::10", sport=rng.randint(1024, 65535),
                                    dport=443, seq=rng.getrandbits(32)))
        else:
            out.append(build_record(T0, rulenr=-1, action="pass", ifname="em1", src="10.10.0.5",
                                    dst=src, sport=rng.randint(1024, 65535), dport=443,
                                    tcp_flags="PA", seq=rng.getrandbits(32),
                                    ack=rng.getrandbits(32), payload_len=200))
    return out


def write_capture(path: Path, records: int, distinct: int, seed: int, compress: bool) -> None:
    """The pool's records over and over, about 50 a second, as pflogd writes them."""
    rng = random.Random(seed)
    bodies = []
    for rec in pool(distinct, rng):
        captured = (encode_pfloghdr(rec) + rec.packet)[:SNAPLEN]
        bodies.append((captured, PFLOG_HDRLEN + max(rec.packet_len, len(rec.packet))))
    start = int(T0.timestamp())
    chunks = [struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, SNAPLEN, DLT_PFLOG)]
    rec_hdr = struct.Struct("<IIII")
    for i in range(records):
        captured, wire = bodies[rng.randrange(len(bodies))]
        chunks.append(rec_hdr.pack(start + i // 50, (i % 50) * 20000 + rng.randrange(20000),
                                   len(captured), wire))
        chunks.append(captured)
    data = b"".join(chunks)
    path.write_bytes(gzip.compress(data, 1) if compress else data)


def run_read(path: Path) -> int:
    count = 0
    for item in read(path, Position()):
        if item.__class__ is not Event:
            raise SystemExit(f"malformed record in the generated file: {item}")
        count += 1
    return count


def run_baseline(path: Path) -> int:
    """Bare pcap iteration: what reading the records costs before decoding any."""
    unpack = struct.Struct("<IIII").unpack_from
    count = 0
    with open_maybe_gzip(path) as fh:
        buf, pos = fh.read(24)[24:], 0
        while chunk := fh.read(1 << 20):
            buf, pos = buf[pos:] + chunk, 0
            end = len(buf)
            while pos + 16 <= end:
                _, _, caplen, _ = unpack(buf, pos)
                if pos + 16 + caplen > end:
                    break
                _ = buf[pos + 16 : pos + 16 + caplen]
                count += 1
                pos += 16 + caplen
    return count


def best(func, path: Path, repeat: int) -> tuple[float, float, int]:
    """Best CPU time (steady on a shared machine), best wall time, and the count."""
    cpu, wall, count = [], [], 0
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        count = func(path)
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began)
    return min(cpu), min(wall), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--distinct", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gzip", action="store_true", help="read a gzip-compressed capture")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("pflog.0.gz" if args.gzip else "pflog")
        began = time.perf_counter()
        write_capture(path, args.records, args.distinct, args.seed, args.gzip)
        print(f"generated {args.records} records ({path.stat().st_size / 1e6:.1f} MB"
              f"{', gzip' if args.gzip else ''}) in {time.perf_counter() - began:.1f} s")
        base_s, base_wall, base_n = best(run_baseline, path, args.repeat)
        read_s, read_wall, read_n = best(run_read, path, args.repeat)
        if base_n != read_n or read_n != args.records:
            print(f"count mismatch: baseline {base_n}, read {read_n}, written {args.records}")
            return 1
        print(f"baseline (pcap headers + slices): {base_n / base_s:12,.0f} records/s CPU  "
              f"({base_s:.3f} s; wall {base_n / base_wall:,.0f}/s)")
        print(f"read() -> Event:                  {read_n / read_s:12,.0f} records/s CPU  "
              f"({read_s:.3f} s; wall {read_n / read_wall:,.0f}/s)")
        print(f"read() takes {read_s / base_s:.1f}x the baseline's CPU time; "
              f"{read_s / read_n * 1e6:.2f} us per record")
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(run_read, path)
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
