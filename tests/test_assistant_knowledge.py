"""Questions about the frameworks answered from the retrieval index, cited by file, heading
and lines; without an index the answer says how to build one."""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb")

from rag_support import embed_env, onnx_file, write_corpus  # noqa: E402,F401 - fixtures

from askzero.assistant.answer import gather  # noqa: E402
from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.assistant.router import route  # noqa: E402
from askzero.site import load_site  # noqa: E402


@pytest.mark.parametrize("question", [
    "What does DORA require after a major incident?",
    "What are the NIS2 reporting deadlines?",
    "Que dit NIS2 sur les délais de notification ?",
])
def test_knowledge_questions_route(question):
    assert route(question).intent == "knowledge"


def test_compliance_of_a_rule_is_not_a_knowledge_question():
    assert route("Is the rule at etc/pf.conf:53 compliant with NIS2?").intent == "compliance"


def test_without_an_index_the_answer_says_how_to_build_it(tmp_path):
    write_corpus(tmp_path)
    answer = gather(SiteContext(load_site(str(tmp_path))), "What are the NIS2 reporting deadlines?")
    assert "run `ask-zero index`" in answer.summary


def test_answer_cites_the_passage_that_holds_the_deadline(tmp_path, embed_env):
    from askzero.rag.hybrid import resolve_corpus
    from askzero.rag.indexer import build_index

    write_corpus(tmp_path)
    site = load_site(str(tmp_path))
    build_index(resolve_corpus(site), chroma=False)
    answer = gather(SiteContext(site), "What are the NIS2 deadlines for an early warning?")
    first = answer.evidence[0]
    assert "24 hours" in first.summary and "Art. 23(4)(a) Early warning" in first.summary
    assert first.citation.file.endswith("nis2.md") and first.citation.lines is not None
    text = (tmp_path / "knowledge" / "nis2.md").read_text().splitlines()
    start, end = first.citation.lines
    assert "24 hours" in "\n".join(text[start - 1:end])
