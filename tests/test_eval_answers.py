"""The answer gold set (tests/answers/demo.toml): every fact right and no unsupported
claim, without a model and with the embedded one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from eval_answers import evaluate  # noqa: E402

GOLD = ROOT / "tests" / "answers" / "demo.toml"


def test_no_llm_answers_state_every_fact_and_nothing_unsupported():
    result = evaluate(GOLD, None)
    missing = [(r["question"], r["missing"]) for r in result["rows"] if r["missing"]]
    assert result["accuracy"] == 1.0, missing
    assert result["forbidden"] == 0 and result["unsupported"] == 0


@pytest.mark.integration
def test_embedded_model_adds_no_unsupported_claim():
    result = evaluate(GOLD, "default")
    assert result["unsupported"] == 0 and result["forbidden"] == 0
    assert result["accuracy"] == 1.0
