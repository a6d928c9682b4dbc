"""The ONNX export gives sentence-transformers' vectors (the query path must not import it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rag_support import onnx_file  # noqa: F401 - fixture

TEXTS = [
    "What does NIS2 Article 23 require after a significant incident?",
    "block in quick log on egress from <martians> to any",
    "x",
    "max-prefix 1100000 restart 15 " * 80,  # longer than 256 word pieces: truncated alike
    "Incident reporting: early warning within 24 hours, notification within 72 hours.",
    "Zones et conduits IEC 62443 : séparation des réseaux OT",
]


@pytest.mark.integration  # sentence-transformers takes ~10 s to import
def test_onnx_matches_sentence_transformers(onnx_file: Path) -> None:  # noqa: F811
    pytest.importorskip("sentence_transformers")
    from askzero.rag.embed import Embedder, reference_embeddings

    ours = Embedder(onnx_file).embed(TEXTS, batch_size=4)  # batches with padding
    ref = reference_embeddings(TEXTS)
    cosine = (ours * ref).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1))
    assert np.all(np.abs(1.0 - cosine) < 1e-4), cosine
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_query_path_imports_no_heavy_library(onnx_file: Path, tmp_path: Path) -> None:  # noqa: F811
    from rag_support import write_corpus

    write_corpus(tmp_path)
    code = (
        "import sys\n"
        "from askzero.rag import search\n"
        f"hits = search([{str(tmp_path / 'knowledge')!r}], 'early warning', k=1)\n"
        "assert hits, hits\n"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers', 'chromadb') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    env = {"ASKZERO_HOME": str(tmp_path / "home"), "ASKZERO_EMBED_ONNX": str(onnx_file), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
