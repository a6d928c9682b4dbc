#!/usr/bin/env python3
"""Benchmark the pf.conf engine on a large, realistic, generated ruleset.

    python tools/bench_pf_parse.py [--rules 10000] [--entries 100000] [--seed 7]
                                   [--repeat 3] [--profile] [--keep DIR]

Generates (deterministically, from --seed) a pf.conf whose rules expand to --rules
loaded rules (macros, lists that expand, tables, inline and wildcard anchors, nat-to and
rdr-to, a mix of pass/block/match with ports, interfaces, state options and labels) and
table files holding --entries addresses in total, then times ``parse_pf`` (parse,
expand, number) on it.

Printed: rules/s, wall time (best of --repeat), peak memory (tracemalloc peak, measured in
a separate run because tracing slows Python down, and the ru_maxrss growth of the
process during the untraced runs), and the time relative to two baselines measured in
the same process on the same text, so that the figure means something on a noisy or a
different machine:

- lex: tokenizing the pf.conf with ``askzero.pf.lexer.Lexer`` (``next_raw()`` to eof, so
  no macro is expanded: a bare lexer pass) plus ``str.split()`` of the table files;
- split: ``str.split()`` of all the text (pf.conf and table files).

The issue's target on the reference machine (2 shared cores): under 1 s and 500 MiB.
With --profile, a cProfile run follows and the top functions by own time are printed
with their file and line. Exit status 1 when the generated ruleset does not load.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import ipaddress
import pstats
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.errors import ConfigError  # noqa: E402
from askzero.pf import parse_pf, plain_resolver  # noqa: E402
from askzero.pf.host import host_from_dict  # noqa: E402
from askzero.pf.lexer import Lexer  # noqa: E402
from askzero.pf.model import Ruleset  # noqa: E402

TARGET_SECONDS = 1.0
TARGET_MIB = 500

HOST = host_from_dict({
    "routes": {"default": "em0", "default6": "em0"},
    "users": {"root": 0, "www": 67, "_unbound": 68},
    "groups": {"wheel": 0, "www": 67},
    "interface": [
        {"name": "lo0", "addresses": ["127.0.0.1/8", "::1/128"]},
        {"name": "em0", "addresses": ["203.0.113.2/24", "2001:db8:100::2/64"]},
        {"name": "em1", "groups": ["inside"], "addresses": ["10.0.0.1/16", "2001:db8:200::1/64"]},
        {"name": "em2", "groups": ["inside", "dmz"], "addresses": ["172.16.0.1/24"]},
        {"name": "em3", "groups": ["dmz"], "addresses": ["172.16.1.1/24"]},
        {"name": "vlan10", "groups": ["guest"], "addresses": ["192.168.10.1/24"]},
    ],
})

# (share of the table entries, family mix) of each table file
TABLE_FILES = [
    ("blocklist_v4", 0.50, 4),
    ("blocklist_v6", 0.20, 6),
    ("customers", 0.20, 4),
    ("partners", 0.10, 46),
]
TCP_SERVICES = ["ssh", "smtp", "domain", "www", "https", "imaps", "submission", "8080", "8443", "3306"]
UDP_SERVICES = ["domain", "ntp", "isakmp", "ipsec-nat-t", "1194", "51820"]
ICMP_TYPES = ["echoreq", "unreach", "timex", "paramprob"]
ICMP6_TYPES = ["echoreq", "unreach", "toobig", "timex", "neighbrsol", "neighbradv"]
INTERFACES = ["em1", "em2", "em3", "vlan10", "$int_if", "$dmz_if", "egress", "inside"]


@dataclass
class Generated:
    text: str
    tables: dict[str, str]  # file name -> contents
    statements: int = 0  # rule statements written (pass/block/match/anchor/antispoof)
    expected: int = 0  # loaded rules they expand to, counted while generating
    entries: int = 0
    notes: list[str] = field(default_factory=list)


class Generator:
    """Writes rule statements until the rules they expand to reach the wanted count."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.statements = 0
        self.expected = 0

    # -- building blocks ------------------------------------------------------------

    def pick(self, items: list[str], k: int) -> list[str]:
        return self.rng.sample(items, k)

    def net(self, i: int) -> str:
        return f"10.{(i >> 8) & 0xff}.{i & 0xff}.0/24"

    def host(self, i: int) -> str:
        return f"10.{(i >> 8) & 0xff}.{i & 0xff}.{self.rng.randint(2, 254)}"

    def ports(self, pool: list[str]) -> tuple[str, int]:
        """A port term and how many values it expands to."""
        r = self.rng.random()
        if r < 0.45:
            return self.rng.choice(pool), 1
        if r < 0.6:
            low = self.rng.randint(1024, 40000)
            return f"{low}:{low + self.rng.randint(1, 2000)}", 1
        if r < 0.7:
            return self.rng.choice(["> 1023", "!= 25", "< 1024", ">= 49152"]), 1
        k = self.rng.randint(2, 4)
        return "{ " + " ".join(self.pick(pool, k)) + " }", k

    def emit(self, line: str, rules: int) -> None:
        self.lines.append(line)
        self.statements += 1
        self.expected += rules

    # -- statements -----------------------------------------------------------------

    def customer_block(self, i: int) -> None:
        """The rules a provider writes for one customer network."""
        rng = self.rng
        net = self.net(i)
        ifname, n_if = rng.choice(INTERFACES[:6]), 1
        if rng.random() < 0.15:
            ifname, n_if = "{ em1 em2 }", 2
        log = rng.choice(["", "log ", "log (all) "]) if rng.random() < 0.3 else ""
        quick = "quick " if rng.random() < 0.5 else ""
        tcp, n_tcp = self.ports(TCP_SERVICES)
        state = rng.choice(["", "keep state", "modulate state", "flags S/SA keep state",
                            "keep state (max 1000, max-src-conn 100, max-src-conn-rate 15/5, "
                            "overload <bruteforce> flush global)",
                            "keep state (if-bound, tcp.established 3600)"])
        label = f'label "cust{i}:$dstport"' if rng.random() < 0.3 else ""
        words = [f"pass in {log}{quick}on {ifname} inet proto tcp from {net} to <servers> port {tcp}", state, label]
        self.emit(" ".join(w for w in words if w), n_if * n_tcp)
        udp, n_udp = self.ports(UDP_SERVICES)
        self.emit(f"pass out on egress proto {{ tcp udp }} from {net} to any port {udp}", 2 * n_udp)
        if rng.random() < 0.5:
            self.emit(f"block {rng.choice(['', 'drop ', 'return '])}in {quick}on egress from <blocklist_v4> "
                      f"to {self.host(i)}", 1)
        if rng.random() < 0.4:
            k = rng.randint(1, 3)
            types = " ".join(self.pick(ICMP_TYPES, k))
            self.emit(f"pass in inet proto icmp from {net} to any icmp-type {{ {types} }}", k)
        if rng.random() < 0.3:
            self.emit(f"match in on {ifname} from {net} tag CUST_{i} set prio {rng.randint(0, 7)}", n_if)
        if rng.random() < 0.2:
            self.emit(f"pass in on egress inet proto tcp to (egress) port {8000 + i % 1000} "
                      f"rdr-to {self.host(i)} port {rng.choice(['80', '443', '8080'])}", 1)
        if rng.random() < 0.15:
            self.emit(f"match out on egress inet from {net} to any nat-to (egress:0)", 1)
        if rng.random() < 0.1:
            self.emit(f"block return in log quick on {ifname} from ! {net} to any", n_if)
        if rng.random() < 0.1:
            self.emit(f"pass in on {{ $int_if $dmz_if }} inet6 proto ipv6-icmp icmp6-type "
                      f"{{ {' '.join(self.pick(ICMP6_TYPES, 2))} }}", 4)

    def anchor_block(self, i: int) -> None:
        """An inline anchor with a few rules of its own (the anchor rule counts as one)."""
        rng = self.rng
        inner = rng.randint(3, 8)
        self.lines.append(f'anchor "svc{i}" in on {rng.choice(["$dmz_if", "dmz", "em2"])} {{')
        self.statements += 1
        self.expected += 1
        for j in range(inner):
            port, n = self.ports(TCP_SERVICES)
            action = rng.choice(["pass", "pass", "block", "match"])
            tail = " keep state" if action == "pass" else ""
            self.lines.append(f"  {action} proto tcp from any to 172.16.{i % 250}.{j + 2} port {port}{tail}")
            self.statements += 1
            self.expected += n
        self.lines.append("}")


def make_table(name: str, count: int, family: int, rng: random.Random) -> str:
    out = [f"# {name}: {count} entries, generated"]
    for k in range(count):
        v6 = family == 6 or (family == 46 and k % 3 == 0)
        if v6:
            a = ipaddress.IPv6Address((0x2001_0db8 << 96) | rng.getrandbits(64) << 32)
            entry = f"{a}/{rng.choice([48, 56, 64, 128])}"
        else:
            a = ipaddress.IPv4Address(rng.getrandbits(32))
            entry = f"{a}" if rng.random() < 0.7 else f"{a}/{rng.choice([16, 20, 24, 28])}"
        if rng.random() < 0.01:
            entry = "!" + entry
        comment = f"\t# added {2020 + k % 6}-0{1 + k % 9}" if rng.random() < 0.05 else ""
        out.append(entry + comment)
    return "\n".join(out) + "\n"


def generate(rules: int, entries: int, seed: int) -> Generated:
    gen = Generator(seed)
    rng = gen.rng
    head = [
        f"# generated by tools/bench_pf_parse.py --rules {rules} --entries {entries} --seed {seed}",
        'ext_if = "em0"',
        'int_if = "em1"',
        'dmz_if = "em2"',
        'int_net = "10.0.0.0/8"',
        'tcp_services = "{ ssh, www, https }"',
        'udp_services = "{ domain, ntp }"',
        'mgmt = "{ 10.255.0.10, 10.255.0.11, 10.255.0.12 }"',
        "",
        "set skip on lo",
        "set block-policy drop",
        "set limit { states 500000, table-entries 400000 }",
        "set state-policy if-bound",
        "",
        "table <bruteforce> persist",
        "table <servers> const { 172.16.0.0/24, 172.16.1.0/24, !172.16.0.1 }",
    ]
    tables = {}
    used = 0
    for n, (name, share, family) in enumerate(TABLE_FILES):
        count = entries - used if n == len(TABLE_FILES) - 1 else int(entries * share)
        used += count
        tables[f"{name}.txt"] = make_table(name, count, family, rng)
        head.append(f'table <{name}> persist file "tables/{name}.txt"')
    head += [""]
    gen.lines = head
    # a fixed preamble of rules, as a real ruleset has
    gen.emit("block log all", 1)
    gen.emit("antispoof quick for { $int_if $dmz_if }", 6)  # 2 rules per address: em1 v4+v6, em2 v4
    gen.emit("block in quick from urpf-failed", 1)
    gen.emit("block in quick on egress from <blocklist_v4>", 1)
    gen.emit("block in quick on egress from <blocklist_v6>", 1)
    gen.emit("pass in quick on $int_if inet proto tcp from $mgmt to (self) port ssh", 3)
    gen.emit("pass out quick on egress inet from $int_net to any nat-to (egress:0)", 1)
    gen.emit('anchor "relayd/*"', 1)
    gen.emit('anchor "ftp-proxy/*"', 1)
    gen.emit("pass in on egress proto tcp from <customers> to (egress) port $tcp_services", 3)
    gen.emit("pass in on egress proto udp from <partners> to (egress) port $udp_services", 2)
    i = 0
    while gen.expected < rules:
        if i % 40 == 39:
            gen.anchor_block(i)
        else:
            gen.customer_block(i)
        i += 1
    text = "\n".join(gen.lines) + "\n"
    return Generated(text, tables, gen.statements, gen.expected, entries)


def write(gen: Generated, directory: Path) -> None:
    (directory / "tables").mkdir(parents=True, exist_ok=True)
    (directory / "pf.conf").write_text(gen.text)
    for name, body in gen.tables.items():
        (directory / "tables" / name).write_text(body)


def count_rules(ruleset: Ruleset) -> int:
    """Loaded rules in a ruleset and the anchors below it (each anchor rule counts)."""
    seen: set[int] = set()

    def walk(rs: Ruleset) -> int:
        if id(rs) in seen:
            return 0
        seen.add(id(rs))
        total = len(rs.rules)
        for child in rs.children.values():
            total += walk(child)
        return total

    return walk(ruleset)


def parse(directory: Path):
    return parse_pf("pf.conf", HOST, plain_resolver(directory))


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def lex_baseline(text: str, tables: list[str]) -> None:
    lex = Lexer(text, {})
    while lex.next_raw().kind != "eof":
        pass
    for body in tables:
        body.split()


def split_baseline(text: str, tables: list[str]) -> None:
    text.split()
    for body in tables:
        body.split()


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=int, default=10_000, help="loaded rules to generate (default 10000)")
    ap.add_argument("--entries", type=int, default=100_000, help="table entries in total (default 100000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported (default 3)")
    ap.add_argument("--profile", action="store_true", help="also run under cProfile and print the hotspots")
    ap.add_argument("--top", type=int, default=15, help="hotspots to print with --profile")
    ap.add_argument("--keep", type=Path, help="write the generated files here instead of a temporary dir")
    args = ap.parse_args(argv)

    gen = generate(args.rules, args.entries, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-pf-") as scratch:
        directory = args.keep or Path(scratch)
        write(gen, directory)
        table_texts = list(gen.tables.values())
        size = len(gen.text.encode()) + sum(len(t.encode()) for t in table_texts)
        print(f"generated: {gen.statements} rule statements expanding to {gen.expected} rules, "
              f"{gen.text.count(chr(10))} lines of pf.conf, {len(gen.tables)} table files with "
              f"{gen.entries} entries, {size / 1e6:.1f} MB in all (seed {args.seed})")
        if args.keep:
            print(f"files in {directory}")

        # one untimed run: check the ruleset loads, and warm up imports and caches
        rss_start = maxrss_mib()
        try:
            config = parse(directory)
        except ConfigError as exc:
            print("the generated ruleset does not load:", file=sys.stderr)
            for issue in exc.issues[:20]:
                print(f"  {issue}", file=sys.stderr)
            return 1
        loaded = count_rules(config.main)
        entries = sum(len(t.entries) for t in config.main.tables.values())
        del config
        if loaded != gen.expected:
            print(f"note: {loaded} rules loaded, the generator counted {gen.expected}")

        wall = timed(lambda: parse(directory), args.repeat)
        rss_growth = maxrss_mib() - rss_start
        lex = timed(lambda: lex_baseline(gen.text, table_texts), args.repeat)
        split = timed(lambda: split_baseline(gen.text, table_texts), args.repeat)
        # the same pf.conf with empty table files: how the time divides between rules and tables
        bare = directory / "no-tables"
        write(Generated(gen.text, {name: "" for name in gen.tables}), bare)
        rules_only = timed(lambda: parse(bare), args.repeat)

        gc.collect()
        tracemalloc.start()
        config = parse(directory)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del config
        peak_mib = peak / 2**20

        print(f"loaded:    {loaded} rules, {entries} table entries")
        print(f"wall time: {wall:.3f} s (best of {args.repeat})  ->  {loaded / wall:,.0f} rules/s; "
              f"with empty table files {rules_only:.3f} s, so the {gen.entries} table entries take "
              f"{wall - rules_only:.3f} s")
        print(f"memory:    tracemalloc peak {peak_mib:.1f} MiB; ru_maxrss grew {rss_growth:.1f} MiB over the "
              f"untimed and timed runs (process maxrss {maxrss_mib():.1f} MiB)")
        print(f"baselines: lex {lex:.3f} s, split {split:.3f} s  ->  parse = {wall / lex:.1f} x lex, "
              f"{wall / split:.0f} x split")
        ok_time, ok_mem = wall < TARGET_SECONDS, max(peak_mib, rss_growth) < TARGET_MIB
        print(f"target:    < {TARGET_SECONDS:g} s: {'met' if ok_time else 'NOT met'}; "
              f"< {TARGET_MIB} MiB: {'met' if ok_mem else 'NOT met'}")

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            parse(directory)
            profiler.disable()
            stats = pstats.Stats(profiler)
            total = stats.total_tt  # type: ignore[attr-defined]
            print(f"\nprofile (cProfile, total {total:.2f} s; top {args.top} by own time):")
            print(f"{'own s':>7} {'cum s':>7} {'calls':>9}  function")
            rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
            for (filename, line, func), (_cc, calls, own, cum, _callers) in rows[:args.top]:
                where = filename
                if str(ROOT) in filename:
                    where = str(Path(filename).relative_to(ROOT))
                elif "/lib/python" in filename:
                    where = filename.split("/lib/python", 1)[1].split("/", 1)[1]
                print(f"{own:7.3f} {cum:7.3f} {calls:9d}  {where}:{line} {func}")
            print(f"\naskzero functions by cumulative time (top {args.top}):")
            ours = [kv for kv in stats.stats.items() if str(ROOT / "askzero") in kv[0][0]]  # type: ignore[attr-defined]
            for (filename, line, func), (_cc, calls, own, cum, _callers) in sorted(
                    ours, key=lambda kv: kv[1][3], reverse=True)[:args.top]:
                where = Path(filename).relative_to(ROOT)
                print(f"{own:7.3f} {cum:7.3f} {calls:9d}  {where}:{line} {func}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
