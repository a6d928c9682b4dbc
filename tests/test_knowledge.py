"""The knowledge corpus: front matter, non-empty sections, mapping and manifest."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
REQUIRED = ("framework", "ids", "title", "version", "date", "source", "kind")
KINDS = {"regulation", "standard", "operational"}
DEGREES = {"full", "partial"}
MD_FILES = sorted(KNOWLEDGE.glob("*.md"))
HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def parse_front_matter(path: Path) -> tuple[dict, list[str], int]:
    """Return (fields, body lines, line number where the body starts).

    The accepted form is deliberately small: `key: "string"` or
    `key: ["a", "b"]` (JSON string and list syntax, which is also valid YAML).
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0] == "---", f"{path.name}: must start with '---'"
    try:
        end = lines.index("---", 1)
    except ValueError:
        pytest.fail(f"{path.name}: front matter is not closed with '---'")
    fields: dict = {}
    for n, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        assert sep and key.strip() == key and re.fullmatch(r"[a-z_]+", key), (
            f"{path.name}:{n}: expected 'key: value'"
        )
        value = value.strip()
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            pytest.fail(f"{path.name}:{n}: value must be a quoted string or a list of strings")
        assert key not in fields, f"{path.name}:{n}: duplicate key {key}"
        fields[key] = parsed
    return fields, lines[end + 1 :], end + 2


def sections(body: list[str], first_line: int) -> list[tuple[str, int, list[str]]]:
    """Split a markdown body into (heading, line, content lines), ignoring '#' in code fences."""
    out: list[tuple[str, int, list[str]]] = []
    in_fence = False
    for n, line in enumerate(body, start=first_line):
        if FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else HEADING.match(line)
        if m:
            out.append((m.group(2), n, []))
        elif out:
            out[-1][2].append(line)
    return out


FRONT = {p.name: parse_front_matter(p)[0] for p in MD_FILES}


def ids_by_framework() -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for fields in FRONT.values():
        known.setdefault(fields["framework"], set()).update(fields["ids"])
    return known


def test_corpus_has_the_expected_files() -> None:
    names = {p.name for p in MD_FILES}
    for expected in ("nis2.md", "dora.md", "iso27001.md", "pci-dss.md", "gdpr.md",
                     "iec62443-purdue.md", "anssi-lpm.md", "ops-pf.md", "ops-bgpd.md",
                     "ops-triage.md"):
        assert expected in names
    assert (KNOWLEDGE / "mapping.toml").is_file()
    assert (KNOWLEDGE / "MANIFEST.toml").is_file()


@pytest.mark.parametrize("path", MD_FILES, ids=lambda p: p.name)
def test_front_matter(path: Path) -> None:
    fields, _, _ = parse_front_matter(path)
    for key in REQUIRED:
        assert key in fields, f"{path.name}: missing {key}"
    for key in REQUIRED:
        if key == "ids":
            continue
        assert isinstance(fields[key], str) and fields[key].strip(), f"{path.name}: {key} empty"
    ids = fields["ids"]
    assert isinstance(ids, list) and ids, f"{path.name}: ids must be a non-empty list"
    assert all(isinstance(i, str) and i.strip() for i in ids)
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
    assert fields["kind"] in KINDS
    assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", fields["date"]), f"{path.name}: date"


def test_frameworks_are_unique_per_file() -> None:
    frameworks = [f["framework"] for f in FRONT.values()]
    assert len(frameworks) == len(set(frameworks))


@pytest.mark.parametrize("path", MD_FILES, ids=lambda p: p.name)
def test_every_section_is_non_empty(path: Path) -> None:
    _, body, start = parse_front_matter(path)
    secs = sections(body, start)
    assert secs, f"{path.name}: no headings"
    assert len(secs) >= 3, f"{path.name}: too few headings to cite"
    for heading, line, content in secs:
        text = "\n".join(content).strip()
        # A heading directly followed by a sub-heading still needs its own text,
        # so that every chunk cut at a heading says something on its own.
        assert text, f"{path.name}:{line}: section '{heading}' is empty"
        assert len(text) >= 40, f"{path.name}:{line}: section '{heading}' too short"
    headings = [h for h, _, _ in secs]
    assert len(headings) == len(set(headings)), f"{path.name}: duplicate headings"


@pytest.mark.parametrize("path", [p for p in MD_FILES if FRONT[p.name]["kind"] != "operational"],
                         ids=lambda p: p.name)
def test_regulatory_ids_appear_in_text(path: Path) -> None:
    """Each id listed in the front matter is discussed somewhere in the file body."""
    fields, body, _ = parse_front_matter(path)
    text = "\n".join(body)
    for cid in fields["ids"]:
        assert cid in text, f"{path.name}: id {cid!r} is listed but never mentioned"


def test_mapping_parses_and_references_known_ids() -> None:
    data = tomllib.loads((KNOWLEDGE / "mapping.toml").read_text(encoding="utf-8"))
    checks = data["check"]
    known = ids_by_framework()
    seen: set[str] = set()
    for check in checks:
        cid = check["id"]
        assert cid not in seen, f"duplicate check {cid}"
        seen.add(cid)
        for key in ("title", "description", "input"):
            assert isinstance(check[key], str) and check[key].strip(), f"{cid}: {key}"
        assert check["input"] in {"pf", "bgp", "logs"}
        assert check["controls"], f"{cid}: no controls"
        pairs = set()
        for control in check["controls"]:
            assert set(control) == {"framework", "id", "degree"}, f"{cid}: {control}"
            assert control["degree"] in DEGREES, f"{cid}: {control}"
            assert control["framework"] in known, f"{cid}: unknown framework {control}"
            assert control["id"] in known[control["framework"]], (
                f"{cid}: {control['framework']} id {control['id']!r} not in any knowledge file"
            )
            pair = (control["framework"], control["id"])
            assert pair not in pairs, f"{cid}: duplicate control {pair}"
            pairs.add(pair)
        for ref in check.get("see", []):
            assert ref["id"] in known.get(ref["framework"], set()), f"{cid}: see {ref}"


def test_mapping_covers_the_audit_checks() -> None:
    data = tomllib.loads((KNOWLEDGE / "mapping.toml").read_text(encoding="utf-8"))
    ids = {c["id"] for c in data["check"]}
    expected = {
        "pf.default_deny", "pf.antispoof_external", "pf.block_rules_logged",
        "pf.admin_ports_not_open_to_any", "pf.no_cleartext_admin", "pf.egress_filtering",
        "pf.skip_only_loopback", "pf.no_shadowed_rules", "pf.no_redundant_rules",
        "bgp.max_prefix_every_neighbor", "bgp.rpki_rov_enforced", "bgp.session_protection",
        "bgp.customer_prefix_filters", "bgp.enforce_neighbor_as",
        "logs.sources_present_and_recent",
    }
    assert expected <= ids, expected - ids


def test_manifest_lists_every_file() -> None:
    manifest = tomllib.loads((KNOWLEDGE / "MANIFEST.toml").read_text(encoding="utf-8"))
    entries = {e["path"]: e for e in manifest["file"]}
    on_disk = {p.name for p in KNOWLEDGE.iterdir() if p.is_file() and p.name != "MANIFEST.toml"}
    assert set(entries) == on_disk
    for name, entry in entries.items():
        for key in ("framework", "source", "version", "date", "note"):
            assert isinstance(entry.get(key), str) and entry[key].strip(), f"{name}: {key}"
        assert "own words" in entry["note"] or "Written by us" in entry["note"], name
        if name.endswith(".md"):
            front = FRONT[name]
            for key in ("framework", "version", "date", "source"):
                assert entry[key] == front[key] or key == "source", (
                    f"{name}: manifest {key} differs from front matter"
                )
