#!/usr/bin/env python3
"""Run OpenBGPD's config regress suite against ask-zero's bgpd.conf parser and printer.

Each ``bgpd.conf.N.in`` is parsed and printed as ``bgpd -nv -f /dev/stdin`` would, the
router-id line is rewritten as the suite's Makefile does (``sed 's/router-id .*/router-id
127.0.0.1/'``), and the text is compared byte for byte with ``bgpd.conf.N.ok``. The
integration-test configurations, the printconf sample and the example bgpd.conf have no
expected output: they only have to parse.

    python tools/bgp_conformance.py [DIR] [--known FILE] [--quiet]

Exit status: 0 when every failure is listed in the known-failures file and every listed
case still fails; 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.bgp import parse_bgp, parse_bgp_text, plain_resolver, print_config  # noqa: E402
from askzero.errors import ConfigError  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "conformance" / "bgpd"
DEFAULT_KNOWN = Path(__file__).resolve().parent / "known_bgp_failures.txt"
EXAMPLE = ROOT.parent / "shared" / "reference" / "examples" / "bgpd.conf"
# The regress scripts start these two with -D macros (capa.sh, policy.sh).
DEFINES = {
    "bgpd.capa.client.conf": {"NUM": "1", "CAPA": "refresh yes", "SOCK": '"/var/run/bgpd.sock.c1"'},
    "bgpd.op.client.conf": {"NUM": "1", "POLICY": "provider", "SOCK": '"/var/run/bgpd.sock.c1"'},
}
# Files the example includes that only exist on a running OpenBSD host.
STUB_INCLUDES = {"/var/db/rpki-client/openbgpd": "# stand-in: rpki-client output is not present here\n"}


@dataclass
class Case:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Results:
    cases: list[Case] = field(default_factory=list)

    def failed(self) -> set[str]:
        return {c.name for c in self.cases if not c.passed}


def first_difference(expected: str, got: str) -> str:
    exp, out = expected.splitlines(), got.splitlines()
    for i in range(max(len(exp), len(out))):
        a = exp[i] if i < len(exp) else "<end of file>"
        b = out[i] if i < len(out) else "<end of file>"
        if a != b:
            return f"line {i + 1}: expected {a!r}, got {b!r}"
    return "trailing newline differs" if expected != got else ""


def run_output_case(inp: Path) -> Case:
    name = inp.name.removesuffix(".in")
    expected = inp.with_suffix(".ok").read_text(encoding="utf-8")
    try:
        config = parse_bgp_text(inp.read_text(encoding="utf-8"), "/dev/stdin", plain_resolver(inp.parent))
    except ConfigError as exc:
        return Case(name, False, f"parse error: {str(exc).splitlines()[0]}")
    got = re.sub(r"router-id .*", "router-id 127.0.0.1", print_config(config))
    if got == expected:
        return Case(name, True)
    return Case(name, False, first_difference(expected, got))


def _stub_resolver(base: Path, stub_dir: Path):  # type: ignore[no-untyped-def]
    plain = plain_resolver(base)

    def resolve(path: str) -> tuple[Path, str]:
        if path in STUB_INCLUDES:
            stub = stub_dir / path.strip("/").replace("/", "_")
            stub.write_text(STUB_INCLUDES[path], encoding="utf-8")
            return stub, path
        return plain(path)
    return resolve


def run_parse_case(path: Path, name: str, stub_dir: Path) -> Case:
    try:
        config = parse_bgp(str(path), _stub_resolver(path.parent, stub_dir), DEFINES.get(path.name))
        print_config(config)
    except ConfigError as exc:
        return Case(name, False, f"parse error: {str(exc).splitlines()[0]}")
    return Case(name, True)


def run(directory: Path = DEFAULT_DIR) -> Results:
    """Every case in ``directory``: output comparisons first, then parse-only files."""
    results = Results()
    inputs = sorted(directory.glob("bgpd.conf.*.in"), key=lambda p: int(p.name.split(".")[2]))
    for inp in inputs:
        results.cases.append(run_output_case(inp))
    with tempfile.TemporaryDirectory(prefix="askzero-bgp-") as tmp:
        parse_only = [(p, f"integrationtests-confs/{p.name}")
                      for p in sorted((directory / "integrationtests-confs").glob("*.conf"))]
        if (directory / "bgpd.conf.printconf").is_file():
            parse_only.append((directory / "bgpd.conf.printconf", "bgpd.conf.printconf"))
        if EXAMPLE.is_file():
            parse_only.append((EXAMPLE, "examples/bgpd.conf"))
        for path, name in parse_only:
            results.cases.append(run_parse_case(path, name, Path(tmp)))
    return results


def load_known(path: Path = DEFAULT_KNOWN) -> dict[str, str]:
    """``NAME  reason`` per line; ``#`` starts a comment."""
    known: dict[str, str] = {}
    if not path.is_file():
        return known
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, reason = line.partition(" ")
            known[name] = reason.strip()
    return known


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--known", type=Path, default=DEFAULT_KNOWN, help="known failures file")
    ap.add_argument("--quiet", action="store_true", help="print failures and totals only")
    args = ap.parse_args(argv)
    if not args.directory.is_dir():
        print(f"no such directory: {args.directory}", file=sys.stderr)
        return 2
    known = load_known(args.known)
    results = run(args.directory)
    unexpected, fixed = [], []
    for c in results.cases:
        if c.passed:
            status = "XPASS" if c.name in known else "PASS"
            if c.name in known:
                fixed.append(c.name)
        else:
            status = "XFAIL" if c.name in known else "FAIL"
            if c.name not in known:
                unexpected.append(c.name)
        if not (args.quiet and status == "PASS"):
            print(f"{status:5} {c.name}" + (f"  {c.detail}" if c.detail else "")
                  + (f"  [known: {known[c.name]}]" if c.name in known and not c.passed else ""))
    outputs = [c for c in results.cases if c.name.startswith("bgpd.conf.") and c.name != "bgpd.conf.printconf"]
    parses = [c for c in results.cases if c not in outputs]
    print(f"output cases: {sum(c.passed for c in outputs)}/{len(outputs)} pass; "
          f"parse-only files: {sum(c.passed for c in parses)}/{len(parses)} parse; "
          f"{len(unexpected)} unexpected failures, {len(fixed)} known failures now pass")
    return 1 if unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
