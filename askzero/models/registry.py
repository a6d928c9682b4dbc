"""The model registry: ``models.txt`` parsed into typed :class:`ModelSpec` values.

The file ships inside the package as ``askzero/data/models.txt`` (the copy at the top of the
repository is the same text, kept for people reading the source). One model per line,
whitespace-separated columns: name, source, sha256, context length, chat format, notes (the
rest of the line). ``#`` starts a comment line. The first model is the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from askzero.errors import ModelError, SourceError

MAX_LINE = 4096
MIN_CTX = 256
MAX_CTX = 1 << 20

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_CHAT_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# PEP 508 distribution name, a version without spaces, then the member path inside the wheel.
_WHEEL_RE = re.compile(
    r"wheel:(?P<dist>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"==(?P<version>[A-Za-z0-9.+!_-]+)#(?P<member>[^#\s]+)"
)


class SourceKind(str, Enum):
    """Where a model file comes from."""

    WHEEL = "wheel"
    URL = "url"
    PATH = "path"


@dataclass(frozen=True)
class ModelSpec:
    """One line of the registry.

    ``location`` is ``DIST==VERSION`` for a wheel, the URL for a download, and the absolute
    path for a local file. ``member`` is the path inside the wheel (wheels only). ``sha256`` is
    ``None`` when the registry says ``-`` (no published hash).
    """

    name: str
    kind: SourceKind
    location: str
    member: str | None
    sha256: str | None
    n_ctx: int
    chat_format: str
    notes: str
    line: int
    registry: str

    @property
    def filename(self) -> str:
        """The file name the model is stored under once pulled."""
        if self.kind is SourceKind.WHEEL:
            assert self.member is not None
            return PurePosixPath(self.member).name
        if self.kind is SourceKind.URL:
            return PurePosixPath(unquote(urlsplit(self.location).path)).name
        return Path(self.location).name

    @property
    def dist(self) -> str | None:
        """The wheel's distribution name (wheels only)."""
        return self.location.split("==", 1)[0] if self.kind is SourceKind.WHEEL else None

    @property
    def version(self) -> str | None:
        """The wheel's version (wheels only)."""
        return self.location.split("==", 1)[1] if self.kind is SourceKind.WHEEL else None

    @property
    def source(self) -> str:
        """The source column as written in the registry (with paths made absolute)."""
        if self.kind is SourceKind.WHEEL:
            return f"wheel:{self.location}#{self.member}"
        return self.location

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "kind": self.kind.value,
            "location": self.location,
            "member": self.member,
            "filename": self.filename,
            "sha256": self.sha256,
            "n_ctx": self.n_ctx,
            "chat_format": self.chat_format,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Registry:
    """All models of one registry file, in file order; the first is the default."""

    path: str
    specs: tuple[ModelSpec, ...]

    @property
    def default(self) -> ModelSpec:
        return self.specs[0]

    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    def get(self, name: str | None = None) -> ModelSpec:
        """The model called ``name``, or the default for ``None``; ModelError if unknown."""
        if name is None:
            return self.default
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise ModelError(
            f"unknown model {name!r}; the registry {self.path} lists: {', '.join(self.names())}"
        )


def _parse_source(raw: str, base: Path, path: str, lineno: int) -> tuple[SourceKind, str, str | None]:
    if raw.startswith("wheel:"):
        m = _WHEEL_RE.fullmatch(raw)
        if not m:
            raise SourceError(
                path, f"bad wheel source {raw!r}: expected wheel:DIST==VERSION#MEMBER/PATH", lineno
            )
        member = m["member"]
        parts = PurePosixPath(member).parts
        if member.startswith("/") or ".." in parts or not parts:
            raise SourceError(path, f"wheel member {member!r} must be a relative path", lineno)
        return SourceKind.WHEEL, f"{m['dist']}=={m['version']}", member
    if "://" in raw:
        url = urlsplit(raw)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise SourceError(path, f"unsupported URL {raw!r}: only http and https", lineno)
        if not PurePosixPath(unquote(url.path)).name:
            raise SourceError(path, f"URL {raw!r} does not name a file", lineno)
        return SourceKind.URL, raw, None
    local = Path(raw).expanduser()
    if not local.is_absolute():
        local = base / local
    return SourceKind.PATH, str(local), None


def parse_registry(text: str, path: str = "models.txt", base: Path | None = None) -> Registry:
    """Parse registry text; errors are SourceError naming ``path`` and the line."""
    base = base if base is not None else Path(path).resolve().parent
    specs: list[ModelSpec] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            raise SourceError(path, f"line longer than {MAX_LINE} characters", lineno)
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cols = stripped.split(None, 5)
        if len(cols) < 5:
            raise SourceError(
                path,
                f"expected at least 5 columns (name source sha256 ctx chat [notes]), found {len(cols)}",
                lineno,
            )
        name, source, sha, ctx, chat = cols[:5]
        notes = cols[5] if len(cols) > 5 else ""
        if not _NAME_RE.fullmatch(name):
            raise SourceError(
                path, f"bad model name {name!r}: use lower-case letters, digits, '.', '_' and '-'", lineno
            )
        if name in seen:
            raise SourceError(path, f"model {name!r} already defined on line {seen[name]}", lineno)
        seen[name] = lineno
        kind, location, member = _parse_source(source, base, path, lineno)
        if sha == "-":
            sha256: str | None = None
        elif _SHA_RE.fullmatch(sha.lower()):
            sha256 = sha.lower()
        else:
            raise SourceError(path, f"bad sha256 {sha!r}: expected 64 hex digits or '-'", lineno)
        try:
            n_ctx = int(ctx)
        except ValueError:
            raise SourceError(path, f"bad context length {ctx!r}: expected an integer", lineno) from None
        if not MIN_CTX <= n_ctx <= MAX_CTX:
            raise SourceError(
                path, f"context length {n_ctx} out of range ({MIN_CTX} to {MAX_CTX})", lineno
            )
        if not _CHAT_RE.fullmatch(chat):
            raise SourceError(path, f"bad chat format {chat!r}", lineno)
        specs.append(
            ModelSpec(
                name=name,
                kind=kind,
                location=location,
                member=member,
                sha256=sha256,
                n_ctx=n_ctx,
                chat_format=chat,
                notes=notes,
                line=lineno,
                registry=path,
            )
        )
    if not specs:
        raise SourceError(path, "the registry lists no model")
    return Registry(path=path, specs=tuple(specs))


def packaged_registry_path() -> Path:
    """The registry file shipped inside the package."""
    return Path(str(resources.files("askzero").joinpath("data", "models.txt")))


def load_registry(path: Path | str | None = None) -> Registry:
    """Read and parse a registry file (the packaged one by default)."""
    file = Path(path) if path is not None else packaged_registry_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(str(file), "model registry not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(file), f"cannot read model registry: {exc}") from None
    return parse_registry(text, str(file), file.resolve().parent)
