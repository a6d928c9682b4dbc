"""The retrieval gold set: well formed, answerable from the knowledge base, and met by search."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rag_support import embed_env, onnx_file  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "rag_gold.toml"
KNOWLEDGE = ROOT / "knowledge"
sys.path.insert(0, str(ROOT / "tools"))

from eval_retrieval import evaluate, leaf, load_gold  # noqa: E402


def test_gold_set_is_large_enough_and_distinct() -> None:
    gold = load_gold(GOLD)
    assert len(gold) >= 60
    assert len({g.question for g in gold}) == len(gold)


@pytest.mark.skipif(not KNOWLEDGE.is_dir(), reason="no knowledge/ in this tree")
def test_every_gold_section_exists_as_a_chunk() -> None:
    from askzero.rag.markdown import chunk_markdown

    sections = set()
    for path in KNOWLEDGE.glob("*.md"):
        for c in chunk_markdown(path.read_text(encoding="utf-8"), f"knowledge/{path.name}"):
            sections.add((c.file, leaf(c.heading)))
    missing = [(g.question, a) for g in load_gold(GOLD) for a in g.answers if a not in sections]
    assert not missing, missing


@pytest.mark.integration  # embeds the whole knowledge base (~30 s on 2 cores)
@pytest.mark.skipif(not KNOWLEDGE.is_dir(), reason="no knowledge/ in this tree")
def test_fused_recall_meets_the_target(embed_env: Path) -> None:  # noqa: F811
    report = evaluate("demo", load_gold(GOLD), k=5)
    assert report["modes"]["fused"]["recall@5"] >= 0.95, report["modes"]["fused"]["misses"]
