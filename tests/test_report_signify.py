"""signify verification against keys and signatures made here, and Ed25519 against RFC 8032."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from askzero.report import ed25519
from askzero.report.signify import (SignifyError, check_file, encode_public_key, encode_signature,
                                    parse_public_key, parse_signature, verify_bytes)

# RFC 8032 section 7.1, tests 1 and 2
RFC_VECTORS = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
]


@pytest.mark.parametrize("secret,public,message,signature", RFC_VECTORS)
def test_ed25519_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    sk, msg = bytes.fromhex(secret), bytes.fromhex(message)
    assert ed25519.public_key(sk).hex() == public
    assert ed25519.sign(sk, msg).hex() == signature
    assert ed25519.verify(bytes.fromhex(public), msg, bytes.fromhex(signature))
    assert not ed25519.verify(bytes.fromhex(public), msg + b"x", bytes.fromhex(signature))


def test_ed25519_rejects_malformed() -> None:
    pk = ed25519.public_key(bytes(32))
    sig = ed25519.sign(bytes(32), b"m")
    assert not ed25519.verify(pk, b"m", sig[:63])
    assert not ed25519.verify(pk[:31], b"m", sig)
    # s >= L is not canonical (RFC 8032 5.1.7)
    s = int.from_bytes(sig[32:], "little") + ed25519.L
    assert not ed25519.verify(pk, b"m", sig[:32] + s.to_bytes(32, "little"))


def make_key(seed: bytes, keynum: bytes = b"\x01" * 8) -> tuple[bytes, bytes, bytes]:
    """(seed, keynum, public key file contents) as signify -G would write the .pub."""
    return seed, keynum, encode_public_key(keynum, ed25519.public_key(seed), "gw1 public key")


def sign_file(seed: bytes, keynum: bytes, data: bytes, key_name: str = "gw1.pub") -> bytes:
    """A detached signature as signify -S -s gw1.sec -m FILE writes FILE.sig."""
    return encode_signature(keynum, ed25519.sign(seed, data), f"verify with {key_name}")


def test_signify_formats_round_trip() -> None:
    seed, keynum, pub = make_key(os.urandom(32))
    key = parse_public_key(pub, "gw1.pub")
    assert key.keynum == keynum and key.comment == "gw1 public key"
    sig = parse_signature(sign_file(seed, keynum, b"pass all\n"), "pf.conf.sig")
    assert verify_bytes(b"pass all\n", sig, key)[0] == "good"
    assert verify_bytes(b"pass all \n", sig, key)[0] == "bad"


def test_signify_wrong_key_and_embedded() -> None:
    seed, keynum, pub = make_key(os.urandom(32))
    other_seed, _, other_pub = make_key(os.urandom(32), b"\x02" * 8)
    sig = parse_signature(sign_file(seed, keynum, b"x"), "f.sig")
    status, reason = verify_bytes(b"x", sig, parse_public_key(other_pub, "other.pub"))
    assert status == "bad" and "key number" in reason
    # same key number, different key: the arithmetic says no
    impostor = parse_public_key(encode_public_key(keynum, ed25519.public_key(other_seed)), "imp.pub")
    assert verify_bytes(b"x", sig, impostor)[0] == "bad"
    embedded = parse_signature(sign_file(seed, keynum, b"x") + b"x", "f.sig")
    assert embedded.embedded == b"x"
    assert verify_bytes(b"x", embedded, parse_public_key(pub, "gw1.pub"))[0] == "good"
    assert verify_bytes(b"y", embedded, parse_public_key(pub, "gw1.pub"))[0] == "bad"


@pytest.mark.parametrize("data,message", [
    (b"no comment\nRWQ=\n", "untrusted comment"),
    (b"untrusted comment: x\n!!!notbase64\n", "not base64"),
    (b"untrusted comment: x\nRWQ=\n", "expected"),
])
def test_signify_malformed(data: bytes, message: str) -> None:
    with pytest.raises(SignifyError, match=message):
        parse_signature(data, "bad.sig")


def test_check_file_good_tampered_missing_key(tmp_path: Path) -> None:
    seed, keynum, pub = make_key(os.urandom(32))
    conf = tmp_path / "pf.conf"
    conf.write_bytes(b"block all\npass out\n")
    (tmp_path / "pf.conf.sig").write_bytes(sign_file(seed, keynum, conf.read_bytes()))
    keyfile = tmp_path / "gw1.pub"
    keyfile.write_bytes(pub)
    keys = [(keyfile, "etc/signify/gw1.pub")]
    assert check_file(conf, "etc/pf.conf", keys).status == "good"  # type: ignore[union-attr]
    assert check_file(conf, "etc/pf.conf", []).status == "unverifiable"  # type: ignore[union-attr]
    conf.write_bytes(b"pass all\n")
    tampered = check_file(conf, "etc/pf.conf", keys)
    assert tampered is not None and tampered.status == "bad" and "changed" in tampered.reason
    (tmp_path / "pf.conf.sig").unlink()
    assert check_file(conf, "etc/pf.conf", keys) is None


def demo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(Path(__file__).resolve().parent.parent / "askzero" / "demo", root)
    return root


def test_audit_signature_check_on_a_site(tmp_path: Path) -> None:
    from askzero.assistant.context import SiteContext
    from askzero.report.integrity import signatures_check
    from askzero.site import load_site

    root = demo_copy(tmp_path)
    seed, keynum, pub = make_key(os.urandom(32))
    (root / "etc" / "signify").mkdir()
    (root / "etc" / "signify" / "gw1.pub").write_bytes(pub)
    for name in ("pf.conf", "bgpd.conf"):
        f = root / "etc" / name
        (root / "etc" / f"{name}.sig").write_bytes(sign_file(seed, keynum, f.read_bytes()))
    result = signatures_check(SiteContext(load_site(str(root))))
    assert result.status == "pass", result
    assert {e["file"] for e in result.evidence} == {"etc/pf.conf", "etc/bgpd.conf"}

    with (root / "etc" / "pf.conf").open("a") as fh:
        fh.write("pass in quick all\n")
    result = signatures_check(SiteContext(load_site(str(root))))
    assert result.status == "fail" and "etc/pf.conf" in result.summary and "bgpd" not in result.summary


def test_site_file_names_the_key(tmp_path: Path) -> None:
    from askzero.assistant.context import SiteContext
    from askzero.report.integrity import public_keys, signatures_check
    from askzero.site import load_site

    root = demo_copy(tmp_path)
    seed, keynum, pub = make_key(os.urandom(32))
    (root / "keys").mkdir()
    (root / "keys" / "ops.pub").write_bytes(pub)
    with (root / "site.toml").open("a") as fh:
        fh.write('\n[integrity]\npubkey = "/keys/ops.pub"\n')
    conf = root / "etc" / "bgpd.conf"
    (root / "etc" / "bgpd.conf.sig").write_bytes(sign_file(seed, keynum, conf.read_bytes(), "ops.pub"))
    site = load_site(str(root))
    assert public_keys(site) == [(root / "keys" / "ops.pub", "keys/ops.pub")]
    result = signatures_check(SiteContext(site))
    assert result.status == "pass" and result.evidence[0]["file"] == "etc/bgpd.conf"
    assert "keys/ops.pub" in result.evidence[0]["note"]
