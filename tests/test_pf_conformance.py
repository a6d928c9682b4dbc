"""pfctl's regression suite: every case passes except those listed, with reasons, in
tools/known_pf_failures.txt. A listed case that starts passing fails too, so the list
stays honest and progress is visible."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT, SHARED

sys.path.insert(0, str(ROOT / "tools"))
import pf_conformance  # noqa: E402

SUITE = SHARED / "conformance" / "pfctl"
KNOWN = ROOT / "tools" / "known_pf_failures.txt"


def known_failures() -> set[tuple[str, str]]:
    known = set()
    for line in KNOWN.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            kind, case = line.split()[:2]
            known.add((kind, case))
    return known


@pytest.mark.skipif(not SUITE.is_dir(), reason="../shared/conformance/pfctl is not present")
def test_pfctl_regress_suite():
    results = pf_conformance.run(SUITE)
    failing = {(r.kind, r.case): r.detail for r in results if not r.ok}
    known = known_failures()
    unexpected = {k: v for k, v in failing.items() if k not in known}
    fixed = sorted(k for k in known if k not in failing)
    assert not unexpected, "new failures:\n" + "\n".join(f"{k} {c}: {d}" for (k, c), d in sorted(unexpected.items()))
    assert not fixed, f"now passing, remove from {KNOWN.name}: {fixed}"
