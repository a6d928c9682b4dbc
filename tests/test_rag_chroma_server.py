"""The same index against a real chroma server (``chroma run`` on loopback)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rag_support import embed_env, onnx_file, write_corpus  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration  # starts a server process (~3 s) and imports chromadb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(exe).is_file():
        pytest.skip("the chroma command is not installed")
    port = _free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("chroma run exited")
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not come up")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_index_and_search_through_a_chroma_server(tmp_path: Path, chroma_url: str, embed_env: Path,  # noqa: F811
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from askzero.cli.main import main
    from askzero.rag.chroma_store import collection
    from askzero.rag.hybrid import SearchIndex, resolve_corpus

    site = tmp_path / "site"
    write_corpus(site)
    with open(site / "site.toml", "a") as fh:
        fh.write(f'chroma_url = "{chroma_url}"\n')
    assert main(["index", "--site", str(site), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chroma"] == f"{chroma_url}: {report['chunks']} added, 0 removed"

    corpus = resolve_corpus(str(site))
    assert corpus.chroma_url == chroma_url
    idx = SearchIndex(corpus, backend="chroma")
    try:
        ids = collection(idx.store, corpus).get(include=[])["ids"]
        assert len(ids) == report["chunks"]
        for q in ("early warning deadline", "antispoof internal interfaces", "bruteforce table"):
            assert [h.lines for h in idx.search(q, mode="vector")] == \
                [h.lines for h in SearchIndex(corpus).search(q, mode="vector")], q
        assert {h.framework for h in idx.search("reporting", k=10, framework="nis2", mode="vector")} == {"NIS2"}
    finally:
        idx.close()

    # the CLI searches through the server because the site file names it
    assert main(["search", "--site", str(site), "--json", "final report"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits[0]["file"] == "knowledge/nis2.md" and hits[0]["heading"].endswith("Final report")
