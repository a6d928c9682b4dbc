"""OpenBGPD's config regress suite (../shared/conformance/bgpd), through tools/bgp_conformance.py.

Fails on any failing case that tools/known_bgp_failures.txt does not list, and on any listed
case that now passes, so the list stays honest. Skipped when the shared suite is absent.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import ROOT, SHARED

SUITE = SHARED / "conformance" / "bgpd"
pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason="no ../shared/conformance/bgpd")


def _tool():
    spec = importlib.util.spec_from_file_location("bgp_conformance", ROOT / "tools" / "bgp_conformance.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bgp_conformance", module)
    spec.loader.exec_module(module)
    return module


def test_regress_suite_matches_known_failures():
    tool = _tool()
    results = tool.run(SUITE)
    known = tool.load_known()
    failed = {c.name: c.detail for c in results.cases if not c.passed}
    unexpected = {name: detail for name, detail in failed.items() if name not in known}
    now_passing = sorted(set(known) - set(failed))
    assert not unexpected, f"new conformance failures: {unexpected}"
    assert not now_passing, f"known failures that now pass (remove them from the list): {now_passing}"
    assert any(c.name.startswith("bgpd.conf.") for c in results.cases)


def test_tool_exit_status_and_totals(capsys):
    tool = _tool()
    assert tool.main([str(SUITE), "--quiet"]) == 0
    assert "output cases:" in capsys.readouterr().out
