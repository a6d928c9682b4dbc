"""signify(1) files: public keys and signatures, and verifying a configuration file.

The formats, as OpenBSD's signify writes them: a line ``untrusted comment: ...`` then one
line of base64. A public key decodes to ``"Ed" + keynum (8 bytes) + key (32 bytes)``, a
signature to ``"Ed" + keynum + Ed25519 signature (64 bytes)``. ``signify -S -m FILE``
writes a detached ``FILE.sig`` over the file's bytes; with ``-e`` the message follows the
two signature lines in the same file. Keys live in /etc/signify, and signify's own
comment ``verify with NAME.pub`` names the key that checks a signature.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from askzero.errors import SourceError
from askzero.report import ed25519

COMMENT = "untrusted comment: "
PKALG = b"Ed"
MAX_COMMENT = 1024  # signify's COMMENTMAXLEN
KEY_DIR = "/etc/signify"


class SignifyError(SourceError):
    """A key or signature file that is not in signify's format."""


@dataclass(frozen=True)
class PublicKey:
    keynum: bytes
    key: bytes
    comment: str
    path: str


@dataclass(frozen=True)
class Signature:
    keynum: bytes
    sig: bytes
    comment: str
    path: str
    embedded: bytes | None  # the message of an embedded (-e) signature


def _decode(data: bytes, path: str, size: int, what: str) -> tuple[str, bytes, bytes]:
    """The comment, the decoded payload and what follows the two lines."""
    first, sep, rest = data.partition(b"\n")
    if not sep or not first.startswith(COMMENT.encode()):
        raise SignifyError(path, f"invalid {what}: no untrusted comment line", 1)
    comment = first[len(COMMENT):].decode("utf-8", "replace")
    if len(comment) > MAX_COMMENT:
        raise SignifyError(path, f"invalid {what}: comment too long", 1)
    line, sep, tail = rest.partition(b"\n")
    try:
        payload = base64.b64decode(line.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignifyError(path, f"invalid {what}: not base64", 2) from None
    if len(payload) != size:
        raise SignifyError(path, f"invalid {what}: {len(payload)} bytes, expected {size}", 2)
    if payload[:2] != PKALG:
        raise SignifyError(path, f"unsupported algorithm {payload[:2]!r} in {what}", 2)
    return comment, payload, tail


def parse_public_key(data: bytes, path: str) -> PublicKey:
    comment, payload, _ = _decode(data, path, 2 + 8 + 32, "public key")
    return PublicKey(payload[2:10], payload[10:], comment, path)


def parse_signature(data: bytes, path: str) -> Signature:
    comment, payload, tail = _decode(data, path, 2 + 8 + 64, "signature")
    return Signature(payload[2:10], payload[10:], comment, path, tail if tail else None)


def encode_public_key(keynum: bytes, key: bytes, comment: str = "signify public key") -> bytes:
    return f"{COMMENT}{comment}\n".encode() + base64.b64encode(PKALG + keynum + key) + b"\n"


def encode_signature(keynum: bytes, sig: bytes, comment: str) -> bytes:
    return f"{COMMENT}{comment}\n".encode() + base64.b64encode(PKALG + keynum + sig) + b"\n"


def key_name(sig: Signature) -> str | None:
    """The key signify's comment names (``verify with gw1.pub``), if any."""
    m = re.search(r"verify with (\S+\.pub)\b", sig.comment)
    return m.group(1) if m else None


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one signed file."""

    file: str  # as cited
    sig_file: str
    key_file: str | None
    status: str  # good | bad (does not verify: the file changed, or a wrong key) | unverifiable
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sig_file": self.sig_file, "key_file": self.key_file,
                "status": self.status, "reason": self.reason}


def verify_bytes(message: bytes, sig: Signature, key: PublicKey) -> tuple[str, str]:
    """(status, reason) for a message, its signature and a key."""
    if sig.keynum != key.keynum:
        # signify refuses before any arithmetic: "verification failed: checked against wrong key"
        return "bad", f"signed with key number {sig.keynum.hex()}, not {key.keynum.hex()} ({key.path})"
    if sig.embedded is not None and sig.embedded != message:
        return "bad", "the message embedded in the signature differs from the file"
    if ed25519.verify(key.key, message, sig.sig):
        return "good", f"signature verified with {key.path}"
    return "bad", "signature does not match the file's contents (changed after signing?)"


def check_file(real: Path, cited: str, key_paths: list[tuple[Path, str]]) -> SignatureCheck | None:
    """Verify ``real`` against ``real.sig`` when that exists; None when the file is unsigned.

    ``key_paths`` are the candidate public keys (file, as cited): the one the signature's
    comment names is preferred, then any whose key number matches.
    """
    sig_real = real.with_name(real.name + ".sig")
    sig_cited = cited + ".sig"
    if not sig_real.is_file():
        return None
    try:
        sig = parse_signature(sig_real.read_bytes(), sig_cited)
    except SignifyError as exc:
        return SignatureCheck(cited, sig_cited, None, "bad", exc.message)
    keys: list[PublicKey] = []
    for kreal, kcited in key_paths:
        try:
            keys.append(parse_public_key(kreal.read_bytes(), kcited))
        except (SignifyError, OSError):
            continue
    wanted = key_name(sig)
    # the key the comment names, then one with the signature's key number, else the first given
    keys.sort(key=lambda k: (Path(k.path).name != wanted, k.keynum != sig.keynum))
    if not keys:
        return SignatureCheck(cited, sig_cited, None, "unverifiable",
                              f"no public key found{f' ({wanted})' if wanted else ''}")
    message = real.read_bytes()
    status, reason = verify_bytes(message, sig, keys[0])
    return SignatureCheck(cited, sig_cited, keys[0].path, status, reason)
