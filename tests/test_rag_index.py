"""Index and search on a small corpus: incremental builds, citations, filters, fusion, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rag_support import embed_env, onnx_file, write_corpus  # noqa: F401 - fixtures

from askzero.cli.main import main
from askzero.rag import search
from askzero.rag.indexer import build_index, is_current
from askzero.rag.hybrid import SearchIndex, fts_query, label_matches, open_index, resolve_corpus, rrf
from askzero.rag.store import Store


@pytest.fixture
def site_dir(tmp_path: Path, embed_env: Path) -> Path:  # noqa: F811
    write_corpus(tmp_path / "site")
    return tmp_path / "site"


def test_rrf_and_query_helpers() -> None:
    assert rrf([[1, 2, 3], [3, 1]]) == [(1, 1 / 61 + 1 / 62), (3, 1 / 63 + 1 / 61), (2, 1 / 62)]
    assert fts_query('What is "NIS2" Art. 23?') == '"nis2" OR "art" OR "23"'
    assert fts_query("was 203.0.113.7 in 21(2)(d)") == \
        '"203 0 113 7" OR "203" OR "0" OR "113" OR "7" OR "21 2 d" OR "21" OR "2" OR "d"'
    assert label_matches("ISO/IEC 27001:2022", ["iso"]) and label_matches("NIS2", ["nis2"])
    assert not label_matches("DORA", ["nis2"])


def test_build_is_incremental(site_dir: Path) -> None:
    corpus = resolve_corpus(str(site_dir))
    first = build_index(corpus, chroma=False)
    assert first.files == 3 and first.embedded == first.chunks > 5
    again = build_index(corpus, chroma=False)
    assert (again.files_changed, again.embedded, again.chunks) == (0, 0, first.chunks)

    nis2 = site_dir / "knowledge" / "nis2.md"
    text = nis2.read_text()
    # a moved section keeps its vector; an edited one is embedded again, alone
    nis2.write_text(text.replace("# NIS2 reporting\n", "# NIS2 reporting\n\n\n"))
    moved = build_index(corpus, chroma=False)
    assert (moved.files_changed, moved.embedded) == (1, 0)
    nis2.write_text(text.replace("one month", "one calendar month"))
    edited = build_index(corpus, chroma=False)
    assert (edited.files_changed, edited.embedded, edited.chunks_added, edited.chunks_removed) == (1, 1, 1, 1)

    (site_dir / "knowledge" / "pf-notes.md").unlink()
    store = Store(corpus.directory(), create=False)
    assert not is_current(store, resolve_corpus(str(site_dir)))
    store.close()
    gone = build_index(resolve_corpus(str(site_dir)), chroma=False)
    assert gone.files_removed == 1 and gone.chunks == first.chunks - 2  # its two sections
    ids, vecs = Store(corpus.directory(), create=False).vectors()
    assert len(ids) == gone.chunks and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)


def test_search_cites_file_heading_lines(site_dir: Path) -> None:
    hits = search(str(site_dir), "how long do I have to send the early warning?", k=3)
    top = hits[0]
    assert (top.file, top.heading, top.lines) == (
        "knowledge/nis2.md", "NIS2 reporting > Art. 23(4)(a) Early warning", (16, 17))
    lines = (site_dir / "knowledge" / "nis2.md").read_text().split("\n")
    assert "\n".join(lines[top.lines[0] - 1:top.lines[1]]) == top.text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    rule = search(str(site_dir), "bruteforce block rule", k=1, kind="config")[0]
    assert (rule.file, rule.lines, rule.framework) == ("etc/pf.conf", (7, 8), "pf")


def test_filters_and_modes(site_dir: Path) -> None:
    idx = open_index(resolve_corpus(str(site_dir)))
    try:
        q = "antispoof on internal interfaces"
        for mode in ("lexical", "vector", "fused"):
            top = idx.search(q, k=1, mode=mode)[0]
            assert top.heading == "pf operational notes > Antispoofing", mode
        only_nis2 = idx.search(q, k=10, framework="nis2")
        assert only_nis2 and {h.framework for h in only_nis2} == {"NIS2"}
        assert {h.kind for h in idx.search(q, k=10, kind="regulation,config")} <= {"regulation", "config"}
        assert idx.search(q, framework="no-such-framework") == []
    finally:
        idx.close()


def test_search_refreshes_a_stale_index(site_dir: Path) -> None:
    search(str(site_dir), "final report", k=1)
    (site_dir / "knowledge" / "extra.md").write_text("# Extra\n\n## Quokka policy\n\nQuokkas are out of scope.\n")
    hit = search(str(site_dir), "quokka", k=1)[0]
    assert (hit.file, hit.lines) == ("knowledge/extra.md", (5, 5))


def test_paths_corpus(tmp_path: Path, embed_env: Path) -> None:  # noqa: F811
    write_corpus(tmp_path)
    hit = search([tmp_path / "knowledge"], "72 hours notification", k=1)[0]
    assert hit.file.endswith("knowledge/nis2.md") and "72 hours" in hit.text


def test_cli_search_json_and_text(site_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--site", str(site_dir), "--no-chroma"]) == 0
    assert "chunks from 3 files" in capsys.readouterr().out
    assert main(["index", "--site", str(site_dir), "--no-chroma", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["embedded"] == 0
    assert main(["index", "--site", str(site_dir), "--no-chroma", "--json", "--rebuild"]) == 0
    rebuilt = json.loads(capsys.readouterr().out)
    assert rebuilt["embedded"] == rebuilt["chunks"] > 0
    assert main(["search", "--site", str(site_dir), "--json", "-k", "2", "final report one month"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["hits"]) == 2
    hit = out["hits"][0]
    assert {"file", "heading", "lines", "text", "score"} <= set(hit)
    assert hit["file"] == "knowledge/nis2.md" and hit["heading"].endswith("Final report")
    assert main(["--site", str(site_dir), "search", "final report"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("1. knowledge/nis2.md:") and "Final report" in text


def test_chroma_copy_matches_the_index(site_dir: Path) -> None:
    pytest.importorskip("chromadb")
    corpus = resolve_corpus(str(site_dir))
    report = build_index(corpus)
    assert report.chroma.startswith("local: ") and f"{report.chunks} added" in report.chroma
    (site_dir / "knowledge" / "nis2.md").write_text(
        (site_dir / "knowledge" / "nis2.md").read_text().replace("one month", "four weeks"))
    build_index(corpus)
    from askzero.rag.chroma_store import collection

    idx = SearchIndex(corpus, backend="chroma")
    try:
        uids = {u for (u,) in idx.store.db.execute("SELECT uid FROM chunks")}
        assert set(collection(idx.store, corpus).get(include=[])["ids"]) == uids
        q = "final report four weeks"
        assert [h.lines for h in idx.search(q, mode="vector")] == \
            [h.lines for h in SearchIndex(corpus).search(q, mode="vector")]
    finally:
        idx.close()


def test_package_search_stays_a_function() -> None:
    import askzero.rag
    import askzero.rag.hybrid  # noqa: F401 - importing a submodule must not shadow the function

    assert callable(askzero.rag.search) and askzero.rag.search.__module__ == "askzero.rag"
