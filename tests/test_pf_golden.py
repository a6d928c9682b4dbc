"""Golden pf evaluation cases (tests/golden/pf_eval/*.case, format in its README.md).

One test per flow line. Expectations are written from pf.conf(5); a flow where the engine
disagrees carries ``# xfail: reason`` and is a strict xfail, so fixing the engine turns it
into a failure until the marker is removed.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import golden_pf  # noqa: E402

CASES = [golden_pf.read_case(p) for p in golden_pf.all_cases()]


@functools.cache
def _runner(name: str) -> golden_pf.Runner:
    return golden_pf.Runner(next(c for c in CASES if c.name == name))


def _params():
    for case in CASES:
        for fc in case.flows:
            marks = [pytest.mark.xfail(strict=True, reason=fc.xfail)] if fc.xfail else []
            yield pytest.param(case, fc, id=f"{case.name}:{fc.lineno}", marks=marks)


def test_cases_present():
    assert len(CASES) >= 30
    for case in CASES:
        assert case.point, f"{case.name}: header needs a '# point:' line"
        assert any(h.startswith("# man:") for h in case.header), f"{case.name}: header needs a '# man:' line"


@pytest.mark.parametrize(("case", "fc"), list(_params()))
def test_golden_flow(case: golden_pf.Case, fc: golden_pf.FlowCase):
    runner = _runner(case.name)  # a ruleset that does not load fails every flow of its case
    diffs = golden_pf.check(case, fc, runner)
    assert not diffs, f"{case.path.name}:{fc.lineno}: {fc.flow}\n  " + "\n  ".join(diffs)
