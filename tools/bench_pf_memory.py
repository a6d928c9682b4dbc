#!/usr/bin/env python3
"""Memory of a 100,000-rule ruleset: parse it and evaluate flows within 2 GiB.

    python tools/bench_pf_memory.py [--rules 100000] [--entries 50000] [--flows 10000]
                                    [--fast-flows 100] [--limit-mib 2048] [--seed 5]

Generates a ruleset of --rules loaded rules in the mix a large site has (pass and block,
quick block lists, tables, ports, IPv4 and IPv6, rdr-to, icmp types, tags, inline anchors
holding a share of the rules) with a table file of --entries addresses, then, in a fresh
process, parses it, evaluates --fast-flows flows one by one with FastEvaluator (each walks
the whole ruleset, so only a few) and --flows flows with BatchEvaluator.

It runs that process twice: once plain, for the peak resident set size
(resource.getrusage ru_maxrss), and once under tracemalloc, for the peak of memory Python
allocated (tracemalloc's own bookkeeping would inflate the first number). Exits 1 when the
peak RSS exceeds --limit-mib (the issue: within 2 GiB).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.pf import parse_pf, plain_resolver  # noqa: E402
from askzero.pf.flow import Flow  # noqa: E402
from askzero.pf.host import host_from_dict  # noqa: E402

HOST = host_from_dict({"routes": {"default": "em0", "default6": "em0"}, "interface": [
    {"name": "em0", "addresses": ["192.0.2.10/24", "2001:db8:ffff::10/64"]},
    {"name": "em1", "addresses": ["10.10.0.1/16"]}, {"name": "em2", "addresses": ["10.20.0.1/16"]},
    {"name": "lo0", "addresses": ["127.0.0.1/8", "::1/128"]}]})
PORTS = [22, 25, 53, 80, 110, 143, 443, 587, 993, 3306, 3389, 5432, 8080, 8443]


def _rule(rng: random.Random, i: int) -> str:
    """One rule line in the proportions of a large, hand-grown ruleset."""
    port = rng.choice(PORTS)
    net = f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.0/24"
    host = f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    kind = rng.random()
    if kind < 0.35:
        return f"pass in on em1 inet proto tcp from {net} to {host} port {port}"
    if kind < 0.45:
        return f"pass out on egress inet proto udp from {net} to any port {rng.choice([53, 123, 514])}"
    if kind < 0.55:
        v6 = f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::/64"
        return f"pass in on em0 inet6 proto tcp from any to {v6} port {rng.choice([80, 443])}"
    if kind < 0.65:
        return f"block in log quick on em0 inet from 198.51.{rng.randrange(256)}.{rng.randrange(256)}"
    if kind < 0.72:
        return f"block in log on egress inet proto tcp from <bad> to any port {port}"
    if kind < 0.78:
        return f"pass in on em2 inet proto tcp from <partners> to {net} port {port}"
    if kind < 0.83:
        return f"pass in on egress inet proto tcp to (egress) port {8000 + i % 1000} rdr-to {host} port {port}"
    if kind < 0.87:
        return f"pass in on em1 inet proto icmp from {net} icmp-type echoreq"
    if kind < 0.91:
        return f"match in on em1 inet proto tcp from {net} to any port {port} tag T{i % 50}"
    if kind < 0.95:
        return f"pass out on em0 inet proto tcp from any to any port {port} tagged T{i % 50}"
    return f"block return in on em2 inet proto udp from {net} to any port {rng.randrange(1024, 65535)}"


def generate(rules: int, entries: int, rng: random.Random) -> tuple[str, str]:
    lines = ['table <bad> persist file "bad.txt"',
             "table <partners> { " + " ".join(f"172.16.{i}.0/24" for i in range(200)) + " 2001:db8:beef::/48 }",
             "set skip on lo", "block log all",
             'anchor "feeds" in on egress {', "  block in quick log from <bad>", "}",
             "pass out on egress inet proto tcp from 10.0.0.0/8 to any port { 80 443 }",
             "pass in on em1 inet from 10.10.0.0/16", "pass in on em0 inet6 proto tcp to any port 443"]
    count = 7  # block log all, the anchor rule and its rule, the four broad rules
    i = 0
    while count < rules:
        if rng.random() < 0.002 and rules - count > 120:  # an inline anchor of 50-100 rules
            size = rng.randrange(50, 101)
            lines.append(f'anchor "dept{i}" in on em1 {{')
            lines += ["  " + _rule(rng, i + k) for k in range(size)]
            lines.append("}")
            count += size + 1
            i += size
            continue
        lines.append(_rule(rng, i))
        count += 1
        i += 1
    table = "\n".join(f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
                      + ("/24" if rng.random() < 0.1 else "") for _ in range(entries))
    return "\n".join(lines) + "\n", table + "\n"


def flows(count: int, rng: random.Random) -> list[Flow]:
    out = []
    for _ in range(count):
        if rng.random() < 0.2:
            src = ipaddress.ip_address(f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}")
            dst = ipaddress.ip_address(f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::1")
        else:
            src = ipaddress.ip_address(f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
            dst = ipaddress.ip_address(f"10.{rng.randrange(10, 30)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
        proto = rng.choice(["tcp", "tcp", "udp"])
        direction, ifname, dport = rng.choice(["in", "out"]), rng.choice(["em0", "em1", "em2"]), rng.choice(PORTS)
        if src.version == 4 and rng.random() < 0.5:  # the everyday traffic the broad pass rules are for
            direction, ifname, proto, dport = rng.choice([("out", "em0", "tcp", rng.choice([80, 443])),
                                                          ("in", "em1", proto, dport)])
            src = ipaddress.ip_address(f"10.10.{rng.randrange(256)}.{rng.randrange(1, 255)}")
        out.append(Flow(direction, ifname, proto, src, dst, sport=rng.randrange(1024, 65536), dport=dport,
                        flags="S" if proto == "tcp" else ""))
    return out


def rss_mib() -> float:
    """Resident set size now, from /proc (ru_maxrss only gives the peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return float("nan")
    return pages * resource.getpagesize() / 2**20


def measure(args: argparse.Namespace, traced: bool) -> dict:
    """One run in this process: generate, parse, evaluate; timings and memory per stage."""
    from askzero.pf.batch import BatchEvaluator
    from askzero.pf.evaluate import FastEvaluator

    if traced:
        tracemalloc.start()
    stages: dict[str, dict] = {}

    def stage(name: str, started: float) -> None:
        stages[name] = {"seconds": round(time.perf_counter() - started, 2), "rss_mib": round(rss_mib(), 1)}

    rng = random.Random(args.seed)
    started = time.perf_counter()
    conf, table = generate(args.rules, args.entries, rng)
    stage("generate", started)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pf.conf").write_text(conf)
        (Path(tmp) / "bad.txt").write_text(table)
        del conf, table
        started = time.perf_counter()
        config = parse_pf("pf.conf", HOST, plain_resolver(Path(tmp)))
        stage("parse", started)
    loaded = _count(config.main)
    sample = flows(args.flows, rng)
    fast = FastEvaluator(config, HOST)
    started = time.perf_counter()
    fast_decided = [fast.evaluate(f).action for f in sample[: args.fast_flows]]
    stage(f"fast {len(fast_decided)} flows", started)
    started = time.perf_counter()
    batch = BatchEvaluator(config, HOST)
    decided = batch.decide(sample)
    stage(f"batch {len(decided)} flows", started)
    agree = sum(1 for a, (b, _) in zip(fast_decided, decided) if a == b)
    out = {"rules_loaded": loaded, "stages": stages, "batch_vectorised": batch.supported,
           "batch_fallback_reason": batch.unsupported, "fast_vs_batch_agree": f"{agree}/{len(fast_decided)}",
           "blocked": sum(1 for action, _ in decided if action == "block"),
           "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if traced:
        out["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return out


def _count(ruleset) -> int:
    return sum(1 + (_count(r.anchor) if r.is_anchor and r.anchor is not None else 0) for r in ruleset.rules)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--entries", type=int, default=50_000, help="addresses in the table file")
    ap.add_argument("--flows", type=int, default=10_000, help="flows decided by BatchEvaluator")
    ap.add_argument("--fast-flows", type=int, default=100, help="flows decided one by one by FastEvaluator")
    ap.add_argument("--limit-mib", type=float, default=2048)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--child", choices=["plain", "traced"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args, args.child == "traced")))
        return 0
    results = {}
    for mode in ("plain", "traced"):
        command = [sys.executable, __file__, "--child", mode, "--rules", str(args.rules), "--entries",
                   str(args.entries), "--flows", str(args.flows), "--fast-flows", str(args.fast_flows),
                   "--seed", str(args.seed)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 2
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    plain, traced = results["plain"], results["traced"]
    print(f"ruleset: {plain['rules_loaded']:,} rules loaded, table of {args.entries:,} entries (seed {args.seed})")
    for name, stage in plain["stages"].items():
        print(f"  {name:<22} {stage['seconds']:>7.2f} s   RSS after {stage['rss_mib']:>7.1f} MiB")
    print(f"batch: {'vectorised' if plain['batch_vectorised'] else 'per flow: ' + str(plain['batch_fallback_reason'])}; "
          f"fast and batch agree on {plain['fast_vs_batch_agree']} flows; {plain['blocked']:,} blocked")
    print(f"peak RSS (ru_maxrss, plain run): {plain['peak_rss_mib']:,.1f} MiB; "
          f"tracemalloc peak (traced run): {traced['tracemalloc_peak_mib']:,.1f} MiB "
          f"(that run's RSS peak {traced['peak_rss_mib']:,.1f} MiB)")
    within = plain["peak_rss_mib"] <= args.limit_mib
    print(f"target: within {args.limit_mib:,.0f} MiB: {'met' if within else 'NOT met'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
