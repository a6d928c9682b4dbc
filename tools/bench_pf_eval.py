#!/usr/bin/env python3
"""Benchmark packet evaluation: single-flow explain and batch decisions, fast vs reference.

    python tools/bench_pf_eval.py [--rules 1000] [--entries 100000] [--flows 100000]
                                  [--reference-flows 2000] [--repeat 5] [--ipv6 0.0] [--seed 3]

Generates a ruleset of --rules rules (pass/block/match over a few interfaces, networks,
ports, a table of --entries addresses and an anchor), then measures in the same process:
the time to explain one flow (FastEvaluator.evaluate, median of 200); per-flow decisions/s of
FastEvaluator and of the reference Evaluator (over --reference-flows flows); and batch
decisions/s over --flows flows, both from numpy columns (FlowArrays, what a bulk reader
builds) and from Flow objects (conversion included), best and median of --repeat runs, with
the ratio to the reference. --ipv6 sets the share of IPv6 flows (and of IPv6 table entries
and rules). Issue targets: explain < 5 ms; batch >= 500,000/s and >= 50x reference.
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
from askzero.pf.flowarrays import FlowArrays  # noqa: E402
from askzero.pf.host import host_from_dict  # noqa: E402

HOST = host_from_dict({"routes": {"default": "em0"}, "interface": [
    {"name": "em0", "addresses": ["192.0.2.10/24"]}, {"name": "em1", "addresses": ["10.10.0.1/16"]},
    {"name": "em2", "addresses": ["10.20.0.1/16"]}, {"name": "lo0", "addresses": ["127.0.0.1/8"]}]})


def generate(rules: int, entries: int, rng: random.Random, ipv6: float = 0.0) -> tuple[str, str]:
    lines = ['table <bad> persist file "bad.txt"', "set skip on lo", "block log all",
             'anchor "feeds" in on egress {', "  block in quick log from <bad>", "}"]
    for i in range(rules - 3):
        action = rng.choice(["pass", "pass", "block", "match"])
        iface = rng.choice(["em0", "em1", "em2", "egress"])
        direction = rng.choice(["in", "out"])
        if rng.random() < ipv6:
            af, net = "inet6", f"2001:db8:{rng.randrange(10, 30):x}{rng.randrange(256):02x}::/64"
        else:
            af, net = "inet", f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.0/24"
        port = rng.choice([22, 25, 53, 80, 443, 8080, 8443, 3389]) + (i % 7)
        proto = rng.choice(["tcp", "udp"])
        log = " log" if action == "block" else ""
        lines.append(f"{action} {direction}{log} on {iface} {af} proto {proto} from {net} to any port {port}")
    table = "\n".join(_random_address(rng, rng.random() < ipv6) for _ in range(entries))
    return "\n".join(lines) + "\n", table + "\n"


def _random_address(rng: random.Random, v6: bool) -> str:
    if v6:
        return f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"
    return f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"


def flows(count: int, rng: random.Random, ipv6: float = 0.0) -> list[Flow]:
    out = []
    for _ in range(count):
        proto = rng.choice(["tcp", "udp"])
        if rng.random() < ipv6:
            src = ipaddress.ip_address(f"2001:db8:{rng.randrange(10, 30):x}{rng.randrange(256):02x}::{rng.randrange(1, 65536):x}")
            dst = ipaddress.ip_address(f"2001:db8:ffff::{rng.randrange(1, 255):x}")
        else:
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


def timed(repeat: int, work) -> list[float]:
    """Seconds taken by each of ``repeat`` runs of ``work()``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--flows", type=int, default=100_000)
    ap.add_argument("--reference-flows", type=int, default=2_000, help="flows timed one by one (fast and reference)")
    ap.add_argument("--repeat", type=int, default=5, help="batch runs timed (best and median reported)")
    ap.add_argument("--ipv6", type=float, default=0.0, help="share of IPv6 flows, rules and table entries")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    conf, table = generate(args.rules, args.entries, rng, args.ipv6)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pf.conf").write_text(conf)
        (Path(tmp) / "bad.txt").write_text(table)
        config = parse_pf("pf.conf", HOST, plain_resolver(Path(tmp)))
    fast, reference = FastEvaluator(config, HOST), Evaluator(config, HOST)
    sample = flows(args.flows, rng, args.ipv6)
    fast.evaluate(sample[0])  # build the table index and skip steps once
    single = []
    for flow in sample[:200]:
        started = time.perf_counter()
        fast.evaluate(flow)
        single.append(time.perf_counter() - started)
    one_by_one = sample[: args.reference_flows]
    fast_rate = rate(fast, one_by_one)
    reference_rate = rate(reference, one_by_one)

    started = time.perf_counter()
    batch = BatchEvaluator(config, HOST)
    setup = time.perf_counter() - started
    arrays = FlowArrays.from_flows(sample)
    arrays.originals = None  # as a bulk reader builds them: no Flow objects behind the rows
    from_arrays = timed(args.repeat, lambda: batch.decide_arrays(arrays))
    from_flows = timed(args.repeat, lambda: batch.decide(sample))
    decided = batch.decide_arrays(arrays).as_list()
    checked = one_by_one[:500]
    agree = sum(1 for f, d in zip(checked, decided)
                if (lambda v: (v.action, "skip" if v.decision == "skip" else v.pflog_ref))(reference.evaluate(f)) == d)

    def rates(times: list[float]) -> tuple[float, float]:
        return len(sample) / min(times), len(sample) / statistics.median(times)

    arrays_best, arrays_median = rates(from_arrays)
    flows_best, flows_median = rates(from_flows)
    print(f"ruleset: {args.rules} rules, table of {args.entries} entries; {len(sample)} flows, "
          f"IPv6 share {args.ipv6:.0%} (seed {args.seed})")
    print(f"explain one flow: median {statistics.median(single) * 1000:.3f} ms, max {max(single) * 1000:.3f} ms")
    print(f"per flow ({len(one_by_one)} flows): fast {fast_rate:,.0f} decisions/s, reference {reference_rate:,.0f} "
          f"decisions/s, ratio {fast_rate / reference_rate:.1f}x")
    print(f"batch ({'vectorised' if batch.supported else 'fallback: ' + str(batch.unsupported)}), "
          f"setup {setup * 1000:.0f} ms once per ruleset (table index), {args.repeat} runs:")
    print(f"  from arrays (FlowArrays): best {arrays_best:,.0f}/s, median {arrays_median:,.0f}/s, "
          f"{arrays_median / reference_rate:,.0f}x the reference (median)")
    print(f"  from Flow objects:        best {flows_best:,.0f}/s, median {flows_median:,.0f}/s, "
          f"{flows_median / reference_rate:,.0f}x the reference (median)")
    print(f"  agrees with the reference on {agree}/{len(checked)} checked")
    print(f"targets: explain < 5 ms: {'met' if statistics.median(single) < 0.005 else 'NOT met'}; "
          f">= 500,000/s (arrays, median): {'met' if arrays_median >= 500_000 else 'NOT met'}; "
          f">= 500,000/s (Flow objects, median): {'met' if flows_median >= 500_000 else 'NOT met'}; "
          f">= 50x reference: {'met' if arrays_median / reference_rate >= 50 else 'NOT met'}")
    return 0 if agree == len(checked) else 1


if __name__ == "__main__":
    sys.exit(main())
