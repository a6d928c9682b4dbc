"""Shared fixtures: every test writes under its own ASKZERO_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "askzero" / "demo"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKZERO_HOME", str(tmp_path_factory.mktemp("askzero-home")))
    monkeypatch.delenv("ASKZERO_SITE", raising=False)
