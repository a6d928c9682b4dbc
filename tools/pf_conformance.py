#!/usr/bin/env python3
"""Run pfctl's regression suite through ask-zero's pf engine and report per case.

    python tools/pf_conformance.py [DIR] [--only pf|selfpf|pfail|pfload] [-v]

DIR defaults to ../shared/conformance/pfctl. Kinds: pf (pfN.in vs pfN.ok, as
``pfctl -o none -nv -f -``), selfpf (pfN.ok fed back in), pfail (pfailN.in vs the error
output), pfload (pfN.in vs pfN.loaded, as ``pfctl -a 'regress/*' -gvvsr``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.errors import ConfigError  # noqa: E402
from askzero.pf import load_host, parse_pf  # noqa: E402
from askzero.pf.optimize import combine_tables  # noqa: E402
from askzero.pf.show import render, render_loaded, render_numbered  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "conformance" / "pfctl"
HOST = ROOT / "tools" / "pfctl_regress_host.toml"
KINDS = ("pf", "selfpf", "pfail", "pfload", "loadanchors")
# which Makefile variable lists the cases of each kind
MAKE_LISTS = {"pf": "PFTESTS", "selfpf": "PFTESTS", "pfail": "PFFAIL", "pfload": "PFLOAD",
              "loadanchors": "PFLOADANCHORS"}
KNOWN = ROOT / "tools" / "known_pf_failures.txt"
KNOWN_HEADER = ("# pfctl regress cases that do not pass yet: KIND CASE reason (or the first difference).\n"
                "# Regenerate with tools/pf_conformance.py --write-known; tests/test_pf_conformance.py keeps it exact.\n")


@dataclass
class Result:
    kind: str
    case: str
    ok: bool
    detail: str = ""


def run_pfctl(text: str, base: Path, numbered: bool = False, anchors: bool = False) -> str:
    """What our ``pf show -`` prints (stdout and stderr joined, as the regress Makefile does)."""
    host = load_host(HOST)

    def resolve(path: str) -> tuple[Path, str]:
        if path == "-":
            return stdin_file, "stdin"
        p = Path(path)
        return (p if p.is_absolute() else base / p), path

    stdin_file = base / ".stdin-unused"
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        stdin_file = Path(tmp) / "stdin"
        stdin_file.write_text(text)
        try:
            config = parse_pf("-", host, resolve)
        except ConfigError as exc:
            partial = getattr(exc, "partial", None)
            echoed = render(partial, rules=False) if partial is not None and not numbered else ""
            errors = "".join(f"{issue}\n" for issue in exc.issues)
            return errors if getattr(exc, "at_load", False) else errors + echoed
    if anchors:  # pfctl -a regress -f (optimised), then -a 'regress/*' -sr: every anchor opened
        combine_tables(config.main, [0])
        return re.sub(r"__automatic_[0-9a-f]*_.*>", "__automatic_>", render_loaded(config.main))
    return render_numbered(config.main, host) if numbered else render(config)


def first_difference(expected: str, got: str) -> str:
    exp, out = expected.splitlines(), got.splitlines()
    for i in range(max(len(exp), len(out))):
        e = exp[i] if i < len(exp) else "<end>"
        g = out[i] if i < len(out) else "<end>"
        if e != g:
            return f"line {i + 1}: expected {e!r}, got {g!r}"
    return "trailing whitespace or newline differs"


def make_list(directory: Path, variable: str) -> set[int]:
    """The case numbers a regress Makefile variable lists (VAR=... and VAR+=... lines)."""
    numbers: set[int] = set()
    makefile = directory / "Makefile"
    if not makefile.exists():
        return numbers
    for line in makefile.read_text().splitlines():
        match = re.match(rf"{variable}\+?=(.*)", line)
        if match:
            numbers.update(int(n) for n in match.group(1).split() if n.isdigit())
    return numbers


def cases(directory: Path, kind: str) -> list[tuple[str, Path, Path]]:
    """(name, input, expected output) of every case of ``kind`` present in ``directory``."""
    out = []
    for number in sorted(make_list(directory, MAKE_LISTS[kind])):
        name = f"pfail{number}" if kind == "pfail" else f"pf{number}"
        source = directory / f"{name}.in"
        expected = directory / f"{name}.{'loaded' if kind == 'pfload' else 'ok'}"
        if kind == "selfpf":
            source = expected
        if source.exists() and expected.exists():
            out.append((name, source, expected))
    return out


def run(directory: Path, kinds: tuple[str, ...] = KINDS) -> list[Result]:
    results = []
    for kind in kinds:
        for name, source, expected in cases(directory, kind):
            want = expected.read_text(errors="replace")
            try:
                got = run_pfctl(source.read_text(errors="replace"), directory, numbered=kind == "pfload",
                                anchors=kind == "loadanchors")
            except Exception as exc:  # a crash is a failure of that case, reported, not hidden
                results.append(Result(kind, name, False, f"crash: {type(exc).__name__}: {exc}"))
                continue
            ok = got == want
            results.append(Result(kind, name, ok, "" if ok else first_difference(want, got)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--only", choices=KINDS)
    parser.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    parser.add_argument("--write-known", action="store_true", help=f"rewrite {KNOWN.name} from this run")
    args = parser.parse_args()
    results = run(args.directory, (args.only,) if args.only else KINDS)
    if args.write_known:  # keep the reasons already written for cases that still fail
        reasons = {}
        if KNOWN.exists():
            for line in KNOWN.read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    kind, case, *rest = line.split(maxsplit=2)
                    reasons[(kind, case)] = rest[0] if rest else ""
        lines = [f"{r.kind} {r.case} {reasons.get((r.kind, r.case)) or r.detail[:160]}" for r in results if not r.ok]
        KNOWN.write_text(KNOWN_HEADER + "".join(line + "\n" for line in lines))
    for r in results:
        if args.verbose or not r.ok:
            print(f"{'PASS' if r.ok else 'FAIL'} {r.kind:<6} {r.case:<8} {r.detail}")
    for kind in KINDS:
        mine = [r for r in results if r.kind == kind]
        if mine:
            print(f"{kind}: {sum(r.ok for r in mine)}/{len(mine)} pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
