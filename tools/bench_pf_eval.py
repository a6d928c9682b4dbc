#!/usr/bin/env python3
"""Benchmark packet evaluation: single-flow explain and batch decisions, fast vs reference.

    python tools/bench_pf_eval.py [--rules 1000] [--entries 100000] [--flows 20000] [--seed 3]

Generates a ruleset of --rules rules (pass/block/match over a few interfaces, networks,
ports, a table of --entries addresses and an anchor), then measures in the same process:
the time to explain one flow (FastEvaluator.evaluate, median of 200), and decisions per
second over --flows random flows for FastEvaluator and for the reference Evaluator, with the
ratio between them. Issue targets: explain < 5 ms; batch >= 500,000/s and >= 50x reference.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.pf import Evaluator, parse_pf, plain_resolver  # noqa: E402
from askzero.pf.batch import BatchEvaluator  # noqa: E402
from askzero.pf.evaluate import FastEvaluator  # noqa: E402
from askzero.pf.flow import Flow  # noqa: E402
from askzero.pf.host import host_from_dict  # noqa: E402

HOST = host_from_dict({"routes": {"default": "em0"}, "interface": [
    {"name": "em0", "addresses": ["192.0.2.10/24"]}, {"name": "em1", "addresses": ["10.10.0.1/16"]},
    {"name": "em2", "addresses": ["10.20.0.1/16"]}, {"name": "lo0", "addresses": ["127.0.0.1/8"]}]})


def generate(rules: int, entries: int, rng: random.Random) -> tuple[str, str]:
    lines = ['table <bad> persist file "bad.txt"', "set skip on lo", "block log all",
             'anchor "feeds" in on egress {', "  block in quick log from <bad>", "}"]
    for i in range(rules - 3):
        action = rng.choice(["pass", "pass", "block", "match"])
        iface = rng.choice(["em0", "em1", "em2", "egress"])
        direction = rng.choice(["in", "out"])
        net = f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.0/24"
        port = rng.choice([22, 25, 53, 80, 443, 8080, 8443, 3389]) + (i % 7)
        proto = rng.choice(["tcp", "udp"])
        log = " log" if action == "block" else ""
        lines.append(f"{action} {direction}{log} on {iface} inet proto {proto} from {net} to any port {port}")
    table = "\n".join(f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
                      for _ in range(entries))
    return "\n".join(lines) + "\n", table + "\n"


def flows(count: int, rng: random.Random) -> list[Flow]:
    out = []
    for _ in range(count):
        proto = rng.choice(["tcp", "udp"])
        src = ipaddress.ip_address(f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
        dst = ipaddress.ip_address(f"198.51.100.{rng.randrange(1, 255)}")
        out.append(Flow(rng.choice(["in", "out"]), rng.choice(["em0", "em1", "em2"]), proto, src, dst,
                        sport=40000, dport=rng.choice([22, 25, 53, 80, 443, 8080, 8443, 3389]) + rng.randrange(7),
                        flags="S" if proto == "tcp" else ""))
    return out


def rate(evaluator: Evaluator, sample: list[Flow]) -> float:
    started = time.perf_counter()
    for flow in sample:
        evaluator.evaluate(flow)
    return len(sample) / (time.perf_counter() - started)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--flows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    conf, table = generate(args.rules, args.entries, rng)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pf.conf").write_text(conf)
        (Path(tmp) / "bad.txt").write_text(table)
        config = parse_pf("pf.conf", HOST, plain_resolver(Path(tmp)))
    fast, reference = FastEvaluator(config, HOST), Evaluator(config, HOST)
    sample = flows(args.flows, rng)
    fast.evaluate(sample[0])  # build the table index and skip steps once
    single = []
    for flow in sample[:200]:
        started = time.perf_counter()
        fast.evaluate(flow)
        single.append(time.perf_counter() - started)
    fast_rate = rate(fast, sample)
    reference_rate = rate(reference, sample[: max(1, len(sample) // 4)])
    batch = BatchEvaluator(config, HOST)
    started = time.perf_counter()
    decided = batch.decide(sample)
    batch_rate = len(sample) / (time.perf_counter() - started)
    agree = sum(1 for f, d in zip(sample[:500], decided[:500])
                if (lambda v: (v.action, v.pflog_ref))(reference.evaluate(f)) == d)
    print(f"ruleset: {args.rules} rules, table of {args.entries} entries; {len(sample)} flows (seed {args.seed})")
    print(f"explain one flow: median {statistics.median(single) * 1000:.3f} ms, max {max(single) * 1000:.3f} ms")
    print(f"per flow: fast {fast_rate:,.0f} decisions/s, reference {reference_rate:,.0f} decisions/s, "
          f"ratio {fast_rate / reference_rate:.1f}x")
    print(f"batch (numpy{', vectorised' if batch.supported else ', fallback'}): {batch_rate:,.0f} decisions/s, "
          f"ratio to reference {batch_rate / reference_rate:.1f}x; agrees with reference on {agree}/500 checked")
    print(f"targets: explain < 5 ms: {'met' if statistics.median(single) < 0.005 else 'NOT met'}; "
          f">= 500,000/s: {'met' if batch_rate >= 500_000 else 'NOT met'}; "
          f">= 50x reference: {'met' if batch_rate / reference_rate >= 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
