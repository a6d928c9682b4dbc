#!/usr/bin/env python3
"""Fuzz the pf.conf engine: whatever the input, parse_pf raises nothing but ConfigError.

    python tools/fuzz_pf.py [--examples 5000] [--seed 0] [--max-bugs 5] [--mem-gb 2]
                            [--timeout 5] [--max-combinations 20000] [--reduce-seconds 30]
                            [--render] [--out DIR] [-v]

Inputs are mutations, drawn by hypothesis, of real rulesets: the .in files of pfctl's
regression suite (../shared/conformance/pfctl) and the pf.conf files collected in
../shared/samples/pf-wild. Mutations work on lines (insert a line of any seed, delete,
duplicate or repeat up to 400 times, swap, splice two seeds, truncate), on tokens (insert
a token seen in any seed or a special one, delete, replace, swap, repeat many times) and
on characters (quotes, backslashes, braces, non-ASCII digits, NUL), and can add nested
macro definitions that expand to large lists.

Files a mutated ruleset names (include, table file, load anchor) resolve by their last
path component inside a scratch directory that holds the seeds' companion files, so
nothing outside it is read; the ruleset itself is "pf.conf" there (it may include
itself). The host is the pfctl regress host (tools/pfctl_regress_host.toml) plus the
interfaces the wild samples use.

A failure is any exception other than ConfigError, a MemoryError under the address-space
cap (RLIMIT_AS, --mem-gb), an example running longer than --timeout seconds, or a rule
statement expanding to more than --max-combinations rules (a blow-up, counted by a probe
around the parser's expand_rule in this process: see install_expansion_probe).

Hypothesis shrinks a failure; the result is then reduced further, line by line and token
by token (for --reduce-seconds at most), while the same failure (exception type and
innermost askzero frame) persists, and the minimal input is printed (and written to
--out). Timeouts and MemoryError are not shrunk by hypothesis, since every attempt would
cost --timeout seconds: they are recorded, the search goes on, and only the reduction
runs. With --max-bugs N the search goes on after a failure, ignoring failures already
reported, until N distinct ones are found or the examples are spent. With --render,
rulesets that load are also printed with askzero.pf.show.render, which must not fail.

Exit status: 0 when no failure was found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import tomllib
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from askzero.errors import ConfigError  # noqa: E402
from askzero.pf import parse_pf  # noqa: E402
from askzero.pf.host import host_from_dict  # noqa: E402
from askzero.pf.show import render  # noqa: E402

SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance" / "pfctl"
WILD = SHARED / "samples" / "pf-wild"
REGRESS_HOST = ROOT / "tools" / "pfctl_regress_host.toml"

WILD_INTERFACES = [
    {"name": "em0", "addresses": ["203.0.113.2/24", "2001:db8:100::2/64"]},
    {"name": "em1", "groups": ["inside"], "addresses": ["192.168.1.1/24"]},
    {"name": "em2", "addresses": ["192.168.2.1/24"]},
    {"name": "athn0", "addresses": ["192.168.4.1/24"]},
    {"name": "vio0", "addresses": ["198.51.100.2/24"]},
    {"name": "pppoe0", "addresses": ["198.51.100.4/32"], "peer": ["198.51.100.1/32"]},
    {"name": "gre0", "addresses": ["10.10.0.1/30"]},
]
SPECIAL_TOKENS = [
    "{", "}", "(", ")", "<", ">", "!", "=", ",", "/", ":", "\\\n", "\n", "#", '"', "'", "$", "$x", "$nope",
    "any", "all", "self", "no-route", "urpf-failed", "(egress)", "(em0:network)", "em0:broadcast",
    "tun1000000:peer", "(lo0:0)", "egress", "lo0", "<t>", "<__automatic_0>", "0", "-1", "65536",
    "4294967296", "99999999999999999999", "0x", "0x10", "1:2", "2:1", "><", "<>", "<=", ">=", "!=",
    "10/8", "1.2.3.4/33", "::1/129", "fe80::1%lo0", "1.2.3.4-1.2.3.9", "S/SA", "/SA", "FSRPAUEW/",
    "\u00b2", "\u0663", "\uff11", "\u00e9", "\x00", "include", "anchor", "load", "table", "queue",
    "set", "match", "pass", "block", "antispoof", "for", "on", "from", "to", "port", "proto",
    "inet", "inet6", "keep state", "modulate state", "synproxy state", "no state", "(max 10)",
    "(max)", "(max x)", "(source-track global, max-src-nodes 1)", "max-src-conn-rate 1/0",
    "label", "tag", "tagged", "user", "group", "icmp-type", "icmp6-type", "code", "flags", "quick",
    "log", "log (all, to pflog1)", "rdr-to", "nat-to", "binat-to", "af-to inet6 from", "route-to",
    "reply-to", "dup-to", "divert-to", "divert-packet", "divert-reply", "probability", "50%", "nan",
    "inf", "prio", "set prio (1, 2)", "set tos", "tos", "rtable", "once", "scrub", "(no-df)",
    "max-pkt-rate", "source-hash", "round-robin", "sticky-address", "static-port", "bandwidth",
    "parent", "default", "flows", "qlimit", "persist", "const", "counters", "file", '"pf.conf"',
    '"missing"', "skip", "hostid", "timeout", "limit", "state-defaults", "syncookies",
]
CHARS = list("{}()<>!=,/:\\\"'#$-_.*%@\t \n") + ["\u00b2", "\u0663", "\x00", "\r", "\u2028", "\x0b"]
TOKEN_RE = re.compile(r'"[^"\n]*"|[{}()<>!=,]|[^\s{}()<>!=,"#]+|#.*')


@dataclass
class Failure:
    signature: str
    text: str
    detail: str


# -- seeds and the sandbox ----------------------------------------------------------

def load_seeds() -> list[str]:
    seeds = []
    if CONFORMANCE.is_dir():
        seeds += [p.read_text(errors="replace") for p in sorted(CONFORMANCE.glob("*.in"))]
    if WILD.is_dir():
        seeds += [p.read_text(errors="replace") for p in sorted(WILD.iterdir())
                  if p.name != "sources.tsv" and ".conf." not in p.name]
    if not seeds:
        seeds = ["pass in on em0 proto tcp from any to any port 22\nblock all\n"]
    return seeds


def populate_sandbox(directory: Path) -> None:
    """Companion files of the seeds, under the last component of the name they are used by."""
    if CONFORMANCE.is_dir():
        for p in CONFORMANCE.iterdir():
            if p.is_file() and p.suffix not in (".in", ".ok", ".loaded", ".optimized") and p.name != "Makefile":
                shutil.copy(p, directory / p.name)
    if WILD.is_dir():
        rows = [line.split("\t") for line in (WILD / "sources.tsv").read_text().splitlines()[1:]]
        for name, _repo, path, *_ in rows:
            if ".conf." in name:  # a file another sample includes or loads as a table
                shutil.copy(WILD / name, directory / Path(path).name)
    for name in ("blocklist", "martians", "private", "pita", "whitelist", "whitelist.txt"):
        (directory / name).write_text("192.0.2.1\n2001:db8::/32\n")


def make_host():
    data = tomllib.loads(REGRESS_HOST.read_text()) if REGRESS_HOST.is_file() else {}
    data.setdefault("interface", []).extend(WILD_INTERFACES)
    data["routes"] = {"default": "em0", "default6": "em0"}
    return host_from_dict(data, "fuzz host")


# -- mutations ----------------------------------------------------------------------

def tokens_of(seeds: list[str]) -> list[str]:
    seen = Counter(tok for text in seeds for tok in TOKEN_RE.findall(text) if not tok.startswith("#"))
    return sorted(tok for tok, _ in seen.most_common(600))


@st.composite
def macro_bomb(draw: st.DrawFn) -> str:
    """Nested quoted macros: each level repeats the previous one, the last is used in a list."""
    depth = draw(st.integers(1, 5))
    width = draw(st.integers(2, 6))
    base = draw(st.sampled_from(["1.2.3.4 5.6.7.8", "22 80", "em0 lo0", "tcp udp", "{ 1 2 }", "$m0"]))
    lines = [f'm0 = "{base}"']
    for level in range(1, depth + 1):
        lines.append(f'm{level} = "' + " ".join([f"$m{level - 1}"] * width) + '"')
    use = draw(st.sampled_from(["pass from {{ $m{d} }} to {{ $m{d} }}", "pass proto tcp to port {{ $m{d} }}",
                                "table <b> {{ $m{d} }}", "pass on {{ $m{d} }}", "$m{d}"]))
    return "\n".join(lines) + "\n" + use.format(d=depth) + "\n"


def mutated(seeds: list[str], vocabulary: list[str]) -> st.SearchStrategy[str]:
    all_lines = sorted({line for text in seeds for line in text.splitlines()})
    any_token = st.one_of(st.sampled_from(vocabulary), st.sampled_from(SPECIAL_TOKENS))

    @st.composite
    def build(draw: st.DrawFn) -> str:
        lines = draw(st.sampled_from(seeds)).splitlines() or [""]
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(lines) - 1)) if lines else 0
            op = draw(st.sampled_from(["insert-line", "delete-line", "dup-line", "swap-lines", "splice",
                                       "truncate", "insert-token", "delete-token", "replace-token",
                                       "swap-tokens", "repeat-token", "insert-char", "bomb"]))
            if not lines:
                lines = [""]
                i = 0
            if op == "insert-line":
                lines.insert(i, draw(st.sampled_from(all_lines)))
            elif op == "delete-line" and len(lines) > 1:
                del lines[i]
            elif op == "dup-line":
                lines[i:i] = [lines[i]] * draw(st.sampled_from([1, 2, 3, 50, 400]))
            elif op == "swap-lines":
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            elif op == "splice":
                other = draw(st.sampled_from(seeds)).splitlines()
                cut = draw(st.integers(0, len(other)))
                lines = lines[:i] + other[cut:]
            elif op == "truncate":
                line = lines[i]
                lines[i] = line[:draw(st.integers(0, len(line)))]
                del lines[i + 1:]
            elif op == "bomb":
                lines[i:i] = draw(macro_bomb()).splitlines()
            elif op == "insert-char":
                line = lines[i]
                k = draw(st.integers(0, len(line)))
                lines[i] = line[:k] + draw(st.sampled_from(CHARS)) + line[k:]
            else:
                words = TOKEN_RE.findall(lines[i]) or [""]
                k = draw(st.integers(0, len(words) - 1))
                if op == "insert-token":
                    words.insert(k, draw(any_token))
                elif op == "delete-token":
                    del words[k]
                elif op == "replace-token":
                    words[k] = draw(any_token)
                elif op == "swap-tokens":
                    j = draw(st.integers(0, len(words) - 1))
                    words[k], words[j] = words[j], words[k]
                elif op == "repeat-token":
                    words[k:k] = [draw(any_token)] * draw(st.sampled_from([2, 10, 100, 400]))
                lines[i] = " ".join(words)
        return "\n".join(lines) + "\n"

    return build()


# -- running one input --------------------------------------------------------------

class ExampleTimeout(Exception):
    """An example ran longer than --timeout seconds."""


class BlowUp(Exception):
    """One rule statement expands to more combinations than --max-combinations."""


def _quiet_unraisable(unraisable) -> None:
    if not isinstance(unraisable.exc_value, ExampleTimeout):
        sys.__unraisablehook__(unraisable)


def _alarm(_signum, _frame):
    # Re-arm first: an exception raised while a gc callback runs is printed and dropped
    # by Python, and the example would go on; the next tick stops it.
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    raise ExampleTimeout()


# failures whose location says nothing: one signature each, wherever they strike
LOCATIONLESS = (ExampleTimeout, BlowUp, MemoryError)


def signature(exc: BaseException) -> str:
    """Exception type and the innermost frame inside askzero (where the bug is)."""
    if isinstance(exc, LOCATIONLESS):
        return type(exc).__name__
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if f"{ROOT}/askzero/" in frame.filename:
            where = f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} in {frame.name}"
    return f"{type(exc).__name__} at {where}"


def install_expansion_probe(limit: int) -> bool:
    """Count the combinations of each rule statement before the engine expands it.

    pfctl expands every list of a rule (interfaces x protocols x icmp types x sources x
    source ports x destinations x destination ports): a few short lists, or macros that
    nest, make millions of rules. The probe wraps the parser's expand_rule (in this
    process only; nothing under askzero/ is changed) and raises BlowUp past ``limit``, so
    a blow-up is found at once and shrinks fast instead of waiting for --timeout.
    Returns False (and --timeout alone catches blow-ups) when the engine's layout differs.
    """
    try:
        from askzero.pf import parser as pf_parser
        original = pf_parser.expand_rule
    except (ImportError, AttributeError):
        return False

    try:
        params = inspect.signature(original).parameters
    except (TypeError, ValueError):
        return False
    names = [n for n in ("interfaces", "protos", "srcs", "sports", "dsts", "dports", "icmp_types") if n in params]
    if len(names) < 6 or "base" not in params:
        return False

    def probed(*args, **kwargs):
        bound = inspect.signature(original).bind(*args, **kwargs)
        combinations = 1
        for name in names:
            part = bound.arguments.get(name)
            combinations *= max(len(part), 1) if part else 1
        if combinations > limit:
            base = bound.arguments["base"]
            raise BlowUp(f"line {getattr(getattr(base, 'source', None), 'line', '?')}: "
                         f"{combinations} combinations")
        return original(*args, **kwargs)

    pf_parser.expand_rule = probed
    return True


@dataclass
class Outcome:
    signature: str
    detail: str


class Runner:
    def __init__(self, sandbox: Path, timeout: float, do_render: bool) -> None:
        self.sandbox = sandbox
        self.host = make_host()
        self.timeout = timeout
        self.do_render = do_render
        self.stats: Counter[str] = Counter()

    def resolve(self, path: str) -> tuple[Path, str]:
        name = Path(path.replace("\x00", "")).name or "unnamed"
        return self.sandbox / name, path

    def check(self, text: str) -> Outcome | None:
        """Run the engine on ``text``; the unexpected failure, or None."""
        (self.sandbox / "pf.conf").write_text(text, errors="surrogatepass")
        outcome = None
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            try:
                config = parse_pf("pf.conf", self.host, self.resolve)
            except ConfigError:
                self.stats["ConfigError"] += 1
            else:
                self.stats["loaded"] += 1
                if self.do_render:
                    render(config)
                del config
        except (Exception, MemoryError) as exc:  # noqa: BLE001 - every other exception is the finding
            signal.setitimer(signal.ITIMER_REAL, 0)
            lines = traceback.format_exception(exc)
            outcome = Outcome(signature(exc), "".join(lines[-8:]))
            traceback.clear_frames(exc.__traceback__)  # let the failing frames (and their data) go
            del exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if outcome is not None:
            gc.collect()
        return outcome


def reduce(runner: Runner, text: str, sig: str, budget: float = 30.0) -> str:
    """Delete lines, then runs of tokens in each line (halves, quarters, ... single
    tokens), while the failure keeps its signature; stops after ``budget`` seconds."""
    deadline = time.monotonic() + budget

    def fails(candidate: list[str]) -> bool:
        if time.monotonic() > deadline:
            return False
        outcome = runner.check("\n".join(candidate))
        return outcome is not None and outcome.signature == sig

    def chunks(items: list[str], keep) -> list[str]:
        """ddmin-style: drop chunks of decreasing size while ``keep(rest)`` holds."""
        size = max(len(items) // 2, 1)
        while size >= 1:
            k = len(items) - size
            while k >= 0:
                trial = items[:k] + items[k + size:]
                if keep(trial):
                    items = trial
                k -= size if size > 1 else 1
            size //= 2
        return items

    lines = text.split("\n")
    while True:
        before = list(lines)
        lines = chunks(lines, fails)
        for i in range(len(lines)):
            def keep(words: list[str], i: int = i) -> bool:
                return fails(lines[:i] + [" ".join(words)] + lines[i + 1:])
            words = chunks(TOKEN_RE.findall(lines[i]), keep)
            if keep(words):
                lines[i] = " ".join(words)
        if lines == before or time.monotonic() > deadline:
            return "\n".join(lines)


# -- the search ---------------------------------------------------------------------

SLOW = ("ExampleTimeout", "MemoryError")  # shrinking these would cost --timeout per attempt


def search(runner: Runner, strategy, examples: int, seed: int, known: set[str],
           verbose: bool) -> tuple[list[Failure], int]:
    """One hypothesis run: the first new failure (shrunk by hypothesis), and any new slow
    failures met on the way (not shrunk by hypothesis: reduce() does it within a budget);
    and the number of examples used."""
    calls = [0]
    found: dict[str, Failure] = {}
    slow: list[Failure] = []

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=[Phase.generate, Phase.shrink], print_blob=False)
    @given(text=strategy)
    def prop(text: str) -> None:
        calls[0] += 1
        outcome = runner.check(text)
        if outcome is None:
            return
        sig = outcome.signature
        if sig in known:
            runner.stats["known failure"] += 1
            return
        if sig in SLOW:
            known.add(sig)
            slow.append(Failure(sig, text, outcome.detail))
            if verbose:
                print(f"  {sig} after {calls[0]} examples; going on", flush=True)
            return
        if sig not in found or len(text) < len(found[sig].text):
            found[sig] = Failure(sig, text, outcome.detail)
        raise AssertionError(sig)

    try:
        prop()
    except AssertionError as exc:
        sig = str(exc).splitlines()[0] if str(exc) else ""
        failure = found.get(sig) or (min(found.values(), key=lambda f: len(f.text)) if found else None)
        return slow + ([failure] if failure else []), calls[0]
    except BaseException:  # hypothesis itself failing (e.g. a flaky failure)
        if found:
            return slow + [min(found.values(), key=lambda f: len(f.text))], calls[0]
        raise
    return slow, calls[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=5000, help="examples to try in all (default 5000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--max-bugs", type=int, default=5, help="stop after this many distinct failures (default 5)")
    ap.add_argument("--mem-gb", type=float, default=2.0, help="address-space cap in GiB (default 2)")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds one example may take (default 5)")
    ap.add_argument("--max-combinations", type=int, default=20_000,
                    help="a rule statement expanding to more is a blow-up (default 20000; 0: no probe)")
    ap.add_argument("--reduce-seconds", type=float, default=30.0,
                    help="time allowed to reduce each failing input after hypothesis (default 30)")
    ap.add_argument("--render", action="store_true", help="also render rulesets that load")
    ap.add_argument("--out", type=Path, help="write each minimal failing input here")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    cap = int(args.mem_gb * 2**30)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    sys.unraisablehook = _quiet_unraisable

    probe = args.max_combinations > 0 and install_expansion_probe(args.max_combinations)
    seeds = load_seeds()
    vocabulary = tokens_of(seeds)
    strategy = mutated(seeds, vocabulary)
    print(f"{len(seeds)} seed rulesets, {len(vocabulary)} tokens; up to {args.examples} examples, "
          f"seed {args.seed}, memory cap {args.mem_gb:g} GiB, timeout {args.timeout:g} s per example, "
          + (f"blow-up past {args.max_combinations} combinations per rule" if probe else "no expansion probe"))

    failures: list[Failure] = []
    known: set[str] = set()
    used = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz-pf-") as scratch:
        sandbox = Path(scratch)
        populate_sandbox(sandbox)
        runner = Runner(sandbox, args.timeout, args.render)
        round_seed = args.seed
        while used < args.examples and len(failures) < args.max_bugs:
            new, calls = search(runner, strategy, args.examples - used, round_seed, known, args.verbose)
            used += calls
            if args.verbose:
                print(f"round {round_seed - args.seed + 1}: {calls} examples, "
                      f"{', '.join(f.signature for f in new) or 'no new failure'}", flush=True)
            round_seed += 1
            for failure in new:
                known.add(failure.signature)
                minimal = reduce(runner, failure.text, failure.signature, args.reduce_seconds)
                failures.append(Failure(failure.signature, minimal, failure.detail))
                print(f"\nFAILURE {len(failures)}: {failure.signature}")
                print(f"minimal input ({len(minimal)} characters, repr):\n  {minimal!r}")
                print("minimal input (as text):")
                print("  | " + "\n  | ".join(minimal.split("\n")))
                print("traceback (last frames):\n" + "".join("  " + line + "\n" for line in
                                                            failure.detail.rstrip().splitlines()))
                if args.out:
                    args.out.mkdir(parents=True, exist_ok=True)
                    (args.out / f"failure-{len(failures)}.conf").write_text(minimal, errors="surrogatepass")
            if not any(f.signature not in SLOW for f in new):
                break  # the examples are spent: hypothesis only stops early on a failure it shrinks

    elapsed = time.monotonic() - started
    stats = ", ".join(f"{k} {v}" for k, v in sorted(runner.stats.items()))
    print(f"\n{used} examples (with shrinking) in {elapsed:.0f} s: {stats}")
    if failures:
        print(f"{len(failures)} distinct failure(s):")
        for n, f in enumerate(failures, 1):
            print(f"  {n}. {f.signature}: {f.text!r}")
        return 1
    print("no failure: parse_pf raised nothing but ConfigError")
    return 0


if __name__ == "__main__":
    sys.exit(main())
