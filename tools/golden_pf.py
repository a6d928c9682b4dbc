#!/usr/bin/env python3
"""Golden pf evaluation cases: one semantic point of pf.conf(5) per file.

    python tools/golden_pf.py [CASE ...] [--update]

Runs every tests/golden/pf_eval/*.case (or the named ones) through the pf engine and
prints PASS/FAIL per flow with the differences. ``--update`` rewrites each flow's
expectation from the engine's current output (flows marked ``# xfail:`` keep their
man-page expectation); the new expectations must then be checked against the man page
by a reader (see tests/golden/pf_eval/README.md).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.errors import AskZeroError  # noqa: E402
from askzero.pf import Evaluator, parse_flow, parse_pf, plain_resolver  # noqa: E402
from askzero.pf.host import host_from_dict  # noqa: E402

CASE_DIR = ROOT / "tests" / "golden" / "pf_eval"

DEFAULT_HOST = """\
routes = { default = "em0", default6 = "em0" }
users = { root = 0, www = 67 }
[[interface]]
name = "lo0"
addresses = ["127.0.0.1/8", "::1/128"]
[[interface]]
name = "em0"
addresses = ["192.0.2.10/24", "2001:db8:1::10/64"]
[[interface]]
name = "em1"
addresses = ["10.10.0.1/24"]
"""

SECTION = re.compile(r"^--- (pf\.conf|flows|file (\S+))\s*$")
XFAIL = re.compile(r"\s+#\s*xfail:\s*(.*)$")


@dataclass
class Expect:
    """What a flow must yield:
    ``pass rule 1 line 2 [af-to AF SRC DST] [tables t:ENTRY@LINE,...] [uncertain]``."""

    action: str
    decision: str  # "rule N", "default" or "skip"
    line: str | None = None  # "12" in pf.conf, "web.conf:3" in another file
    tables: list[str] = field(default_factory=list)
    uncertain: bool = False
    af_to: str | None = None  # "inet6 2001:db8::1 2001:db8::c633:6464": the translated packet's family and addresses

    @classmethod
    def parse(cls, text: str) -> "Expect":
        words = text.split()
        if len(words) < 2 or words[0] not in ("pass", "block"):
            raise ValueError(f"bad expectation {text!r}")
        exp = cls(words[0], "")
        i = 1
        if words[i] == "rule":
            exp.decision, i = f"rule {words[i + 1]}", i + 2
        elif words[i] in ("default", "skip"):
            exp.decision, i = words[i], i + 1
        else:
            raise ValueError(f"bad decision in {text!r}")
        while i < len(words):
            if words[i] == "line":
                exp.line, i = words[i + 1], i + 2
            elif words[i] == "af-to":
                exp.af_to, i = " ".join(words[i + 1:i + 4]), i + 4
            elif words[i] == "tables":
                exp.tables, i = words[i + 1].split(","), i + 2
            elif words[i] == "uncertain":
                exp.uncertain, i = True, i + 1
            else:
                raise ValueError(f"unexpected {words[i]!r} in {text!r}")
        return exp

    def __str__(self) -> str:
        out = f"{self.action} {self.decision}"
        if self.line is not None:
            out += f" line {self.line}"
        if self.af_to is not None:
            out += f" af-to {self.af_to}"
        if self.tables:
            out += " tables " + ",".join(self.tables)
        if self.uncertain:
            out += " uncertain"
        return out


@dataclass
class FlowCase:
    flow: str
    expect: Expect
    xfail: str | None  # reason the engine disagrees with the man page
    lineno: int  # line in the .case file


@dataclass
class Case:
    path: Path
    point: str
    header: list[str]
    host_toml: str
    pf_conf: str
    files: dict[str, str]
    flows: list[FlowCase]

    @property
    def name(self) -> str:
        return self.path.stem


def read_case(path: Path) -> Case:
    header: list[str] = []
    host_lines: list[str] = []
    sections: dict[str, list[str]] = {}
    flows: list[FlowCase] = []
    current: str | None = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = SECTION.match(line)
        if m:
            current = m.group(2) or m.group(1)
            sections[current] = []
            continue
        if current is None:
            if line.startswith("host:"):
                host_lines.append(line[5:].strip())
            elif line.strip():
                header.append(line)
            continue
        if current != "flows":
            sections[current].append(line)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        xfail = None
        xm = XFAIL.search(line)
        if xm:
            xfail, line = xm.group(1).strip(), line[:xm.start()]
        flow, sep, expect = line.partition("=>")
        if not sep:
            raise ValueError(f"{path.name}:{n}: flow line without '=>'")
        flows.append(FlowCase(flow.strip(), Expect.parse(expect), xfail, n))
    if "pf.conf" not in sections or not flows:
        raise ValueError(f"{path.name}: needs a '--- pf.conf' section and flows")
    point = next((h.split(":", 1)[1].strip() for h in header if h.startswith("# point:")), "")
    files = {k: "\n".join(v) + "\n" for k, v in sections.items() if k not in ("pf.conf", "flows")}
    return Case(path, point, header, "\n".join(host_lines) + "\n" if host_lines else DEFAULT_HOST,
                "\n".join(sections["pf.conf"]) + "\n", files, flows)


def all_cases(names: list[str] | None = None) -> list[Path]:
    paths = sorted(CASE_DIR.glob("*.case"))
    if names:
        paths = [p for p in paths if p.stem in names or str(p) in names]
    return paths


class Runner:
    """Loads one case's ruleset once (in a temporary directory) and evaluates its flows."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.host = host_from_dict(tomllib.loads(case.host_toml), f"{case.name} host")
        with tempfile.TemporaryDirectory(prefix="golden_pf_") as tmp:
            d = Path(tmp)
            (d / "pf.conf").write_text(case.pf_conf, encoding="utf-8")
            for name, body in case.files.items():
                (d / name).write_text(body, encoding="utf-8")
            self.config = parse_pf("pf.conf", self.host, plain_resolver(d))
        self.evaluator = Evaluator(self.config, self.host)

    def actual(self, flow: str) -> Expect:
        v = self.evaluator.evaluate(parse_flow(flow))
        if v.decision == "rule":
            decision, line = f"rule {v.pflog_ref}", _where(v.rule.rule.source)
        elif v.decision == "skip":
            decision, line = "skip", _where(v.skip_source) if v.skip_source else None
        else:
            decision, line = "default", None
        tables = []
        for hit in v.tables:
            if hit.entry is None:
                tables.append(f"{hit.table.name}:-")
                continue
            text = f"{hit.table.name}:{'!' if hit.entry.negated else ''}{hit.entry.net}@{_where(hit.entry.source)}"
            if text not in tables:
                tables.append(text)
        af_to = None if v.af_to is None else f"{v.af_to.af} {v.af_to.src} {v.af_to.dst}"
        return Expect(v.action, decision, line, tables, bool(v.uncertain), af_to)


def _where(src) -> str:
    """A source line as a case writes it: ``12`` in pf.conf, ``web.conf:3`` elsewhere."""
    name = Path(str(src.file)).name
    return str(src.line) if name in ("pf.conf", "") else f"{name}:{src.line}"


def check(case: Case, fc: FlowCase, runner: Runner | None = None) -> list[str]:
    """Differences between the written expectation and the engine (empty: agreement)."""
    try:
        got = (runner or Runner(case)).actual(fc.flow)
    except AskZeroError as exc:
        return [f"engine error: {exc}"]
    want = fc.expect
    diffs = []
    for attr in ("action", "decision", "line", "af_to", "uncertain"):
        if getattr(want, attr) != getattr(got, attr):
            diffs.append(f"{attr}: expected {getattr(want, attr)!r}, engine {getattr(got, attr)!r}")
    missing = [t for t in want.tables if t not in got.tables]
    if missing:
        diffs.append(f"tables: expected {','.join(missing)} among the engine's lookups {got.tables!r}")
    return diffs


def update(case: Case, runner: Runner) -> int:
    lines = case.path.read_text(encoding="utf-8").splitlines()
    changed = 0
    for fc in case.flows:
        if fc.xfail:
            # A recorded disagreement with the man page: keep the man page's expectation.
            continue
        got = runner.actual(fc.flow)
        if not fc.expect.tables:
            got.tables = []  # table lookups are written only where a case asks for them
        if str(got) != str(fc.expect):
            changed += 1
            lines[fc.lineno - 1] = f"{fc.flow} => {got}"
    case.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names (file stems) or paths; default all")
    ap.add_argument("--update", action="store_true",
                    help="rewrite expectations from the engine's output (flows marked xfail are left alone)")
    args = ap.parse_args(argv)
    failed = xfailed = passed = 0
    for path in all_cases(args.cases):
        case = read_case(path)
        try:
            runner = Runner(case)
        except AskZeroError as exc:
            message = str(exc).replace("\n", "; ")
            if args.update:
                print(f"NOLOAD  {case.name}: left as written ({message})")
                continue
            for fc in case.flows:
                if fc.xfail:
                    print(f"XFAIL {case.name}:{fc.lineno}: {fc.xfail}")
                    xfailed += 1
                else:
                    print(f"FAIL {case.name}:{fc.lineno}: ruleset does not load: {message}")
                    failed += 1
            continue
        if args.update:
            for fc in case.flows:
                if fc.xfail:
                    print(f"KEPT    {case.name}:{fc.lineno} (xfail: {fc.xfail})")
            n = update(case, runner)
            print(f"{'UPDATED' if n else 'SAME   '} {case.name}" + (f" ({n} flow(s) changed)" if n else ""))
            continue
        for fc in case.flows:
            diffs = check(case, fc, runner)
            label = f"{case.name}:{fc.lineno}"
            if not diffs:
                if fc.xfail:
                    print(f"XPASS {label}: marked xfail ({fc.xfail}) but the engine now agrees")
                    failed += 1
                else:
                    print(f"PASS {label}")
                    passed += 1
            elif fc.xfail:
                print(f"XFAIL {label}: {fc.xfail}")
                xfailed += 1
            else:
                print(f"FAIL {label}: {fc.flow}")
                for d in diffs:
                    print(f"    {d}")
                failed += 1
    if not args.update:
        print(f"{passed} passed, {xfailed} xfailed (engine disagrees with the man page), {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
