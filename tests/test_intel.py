"""Threat-intel feeds: STIX bundles, CSV feeds, plain lists, lookups and evidence."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from askzero.errors import SourceError
from askzero.evidence import Citation
from askzero.intel import Feed, IntelMatch, load_feed, lookup
from askzero.intel.stix import PatternError, parse_pattern

DEMO = Path(__file__).resolve().parent.parent / "askzero" / "demo"
C2_ID = "indicator--7d2b9c61-3f4e-4c1a-8f0b-6a2e91d4c5e3"


def indicator(ident: str, pattern: str, **extra: Any) -> dict[str, Any]:
    obj = {"id": ident, "spec_version": "2.1", "type": "indicator", "pattern": pattern,
           "pattern_type": "stix", "created": "2026-11-01T00:00:00.000Z",
           "modified": "2026-11-01T00:00:00.000Z", "valid_from": "2026-11-01T00:00:00Z"}
    obj.update(extra)
    return obj


def write_bundle(tmp_path: Path, objects: list[dict[str, Any]]) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects},
                               indent=2) + "\n")
    return path


def line_of(path: Path, ident: str) -> int:
    """Line of the opening brace of the object whose first key is this id."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if f'"id": "{ident}"' in line:
            return number - 1
    raise AssertionError(ident)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_bundle(tmp_path, [
        {"id": "identity--cert", "type": "identity", "name": "Test CERT",
         "identity_class": "organization"},
        indicator("indicator--c2", "[ipv4-addr:value = '203.0.113.7']", labels=["c2-server"],
                  confidence=85, description="Command-and-control server",
                  valid_until="2027-02-18T02:11:38.000Z", created_by_ref="identity--cert",
                  x_opencti_score=80),
        indicator("indicator--net", "[ipv4-addr:value = '203.0.113.64/26']",
                  labels=["bulletproof-hosting"], confidence=70),
        indicator("indicator--or",
                  "[ipv4-addr:value = '198.51.100.77' OR ipv4-addr:value = '198.51.100.143']",
                  labels=["scanner"], confidence=40),
        indicator("indicator--v6", "[ipv6-addr:value = '2001:db8:bad::/48']",
                  labels=["c2-server"], confidence=90),
        indicator("indicator--dom", "[domain-name:value = 'Sync.Telemetry-CDN.example']",
                  labels=["c2-server"], confidence=85),
        indicator("indicator--url", "[url:value = 'https://sync.telemetry-cdn.example/x.js']",
                  confidence=75),
        indicator("indicator--and",
                  "[ipv4-addr:value = '192.0.2.99' AND network-traffic:dst_port = 443]"),
        indicator("indicator--hash", "[file:hashes.'SHA-256' = 'aa']"),
        indicator("indicator--yara", "rule x { condition: true }", pattern_type="yara"),
        indicator("indicator--old", "[ipv4-addr:value = '198.51.100.99']",
                  valid_until="2026-10-01T00:00:00Z", confidence=75),
        indicator("indicator--revoked", "[ipv4-addr:value = '198.51.100.98']", revoked=True),
        {"id": "malware--cs", "type": "malware", "name": "Cobalt Strike", "is_family": True},
        {"id": "relationship--1", "type": "relationship", "relationship_type": "indicates",
         "source_ref": "indicator--c2", "target_ref": "malware--cs"},
    ])


# ------------------------------------------------------------------------ patterns


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '203.0.113.7']", [("ipv4-addr:value", "203.0.113.7")]),
        ("[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '5.6.7.0/24']",
         [("ipv4-addr:value", "1.2.3.4"), ("ipv4-addr:value", "5.6.7.0/24")]),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'evil.example']",
         [("ipv4-addr:value", "1.2.3.4"), ("domain-name:value", "evil.example")]),
        ("[ipv4-addr:value IN ('1.2.3.4', '1.2.3.5')]",
         [("ipv4-addr:value", "1.2.3.4"), ("ipv4-addr:value", "1.2.3.5")]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", [("ipv4-addr:value", "198.51.100.0/24")]),
        ("[url:value = 'http://x.example/it\\'s']", [("url:value", "http://x.example/it's")]),
        ("([ipv6-addr:value = '2001:db8::1'])", [("ipv6-addr:value", "2001:db8::1")]),
        ("[file:hashes.'SHA-256' = 'ab'] OR [file:hashes.MD5 = 'cd']",
         [("file:hashes.'SHA-256'", "ab"), ("file:hashes.MD5", "cd")]),
    ],
)
def test_parse_pattern(pattern: str, expected: list[tuple[str, str]]) -> None:
    assert parse_pattern(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 443]",
        "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']",
        "[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS",
        "[ipv4-addr:value != '1.2.3.4']",
        "[domain-name:value LIKE '%.evil.example']",
        "[ipv4-addr:value NOT = '1.2.3.4']",
        "[ipv4-addr:value = '1.2.3.4'] START t'2026-01-01T00:00:00Z' STOP t'2027-01-01T00:00:00Z'",
    ],
)
def test_compound_patterns_are_not_simple(pattern: str) -> None:
    assert parse_pattern(pattern) is None


@pytest.mark.parametrize(
    "pattern",
    ["", "[ipv4-addr:value = '1.2.3.4'", "ipv4-addr:value = '1.2.3.4'",
     "[ipv4-addr:value = ]", "[ipv4-addr:value = '1.2.3.4]", "[[ipv4-addr:value = '1']]",
     "[ipv4-addr:value IN ('1.2.3.4'"],
)
def test_bad_patterns(pattern: str) -> None:
    with pytest.raises(PatternError):
        parse_pattern(pattern)


# ------------------------------------------------------------------------ STIX


def test_stix_indicators_and_lines(bundle: Path) -> None:
    feed = load_feed(str(bundle), "opencti", "stix")
    assert isinstance(feed, Feed) and feed.format == "stix"
    values = {(i.id, i.value) for i in feed.indicators}
    assert values == {
        ("indicator--c2", "203.0.113.7"), ("indicator--net", "203.0.113.64/26"),
        ("indicator--or", "198.51.100.77"), ("indicator--or", "198.51.100.143"),
        ("indicator--v6", "2001:db8:bad::/48"), ("indicator--dom", "sync.telemetry-cdn.example"),
        ("indicator--url", "https://sync.telemetry-cdn.example/x.js"),
        ("indicator--old", "198.51.100.99"), ("indicator--revoked", "198.51.100.98"),
    }
    assert feed.skipped == 3  # AND pattern, file hash, yara
    for ind in feed.indicators:
        assert ind.line == line_of(bundle, ind.id)
    c2 = next(i for i in feed.indicators if i.id == "indicator--c2")
    assert c2.labels == ("c2-server",)
    assert (c2.confidence, c2.score, c2.kind) == (85, 80, "ipv4")
    assert c2.description == "Command-and-control server"
    assert c2.valid_from == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert c2.valid_until == datetime(2027, 2, 18, 2, 11, 38, tzinfo=timezone.utc)
    assert c2.source == "Test CERT"


def test_lookup_exact_and_cidr(bundle: Path) -> None:
    feed = load_feed(str(bundle), "opencti", "stix")
    (m,) = lookup([feed], "203.0.113.7")
    assert (m.indicator_id, m.value, m.feed, m.file) == ("indicator--c2", "203.0.113.7",
                                                         "opencti", str(bundle))
    (m,) = lookup([feed], "203.0.113.100")
    assert m.indicator_id == "indicator--net" and m.value == "203.0.113.64/26"
    assert lookup([feed], "203.0.113.128") == []
    assert [m.indicator_id for m in lookup([feed], "198.51.100.143")] == ["indicator--or"]
    assert [m.indicator_id for m in lookup([feed], "2001:db8:bad:1::5")] == ["indicator--v6"]
    assert lookup([feed], "2001:db8:bae::1") == []
    assert lookup([feed], "192.0.2.99") == []  # only in an AND pattern
    assert [m.indicator_id for m in lookup([feed], "SYNC.telemetry-cdn.example.")] == [
        "indicator--dom"]
    assert [m.indicator_id for m in lookup([feed], "https://sync.telemetry-cdn.example/x.js")
            ] == ["indicator--url"]


def test_lookup_validity_and_revocation(bundle: Path) -> None:
    feed = load_feed(str(bundle), "opencti", "stix")
    assert lookup([feed], "198.51.100.98") == []  # revoked
    assert len(lookup([feed], "198.51.100.99")) == 1  # expired, but asked without a time
    night = datetime(2026, 11, 20, 2, 15, tzinfo=timezone.utc)
    assert lookup([feed], "198.51.100.99", at=night) == []
    assert len(lookup([feed], "203.0.113.7", at=night)) == 1
    before = datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert lookup([feed], "203.0.113.7", at=before) == []


def test_evidence(bundle: Path) -> None:
    feed = load_feed(str(bundle), "opencti", "stix")
    (m,) = lookup([feed], "203.0.113.7")
    ev = m.to_evidence()
    assert ev.kind == "intel"
    assert ev.summary == ("203.0.113.7 is listed by feed opencti as c2-server "
                          "(confidence 85, indicator indicator--c2)")
    assert ev.citation == Citation(str(bundle), line=line_of(bundle, "indicator--c2"))
    assert ev.fields["labels"] == ["c2-server"]
    assert ev.fields["valid_until"] == "2027-02-18T02:11:38Z"
    json.dumps(ev.to_dict())
    (m,) = lookup([feed], "203.0.113.70")
    assert m.to_evidence().summary == (
        "203.0.113.70 is listed by feed opencti as bulletproof-hosting via 203.0.113.64/26 "
        "(confidence 70, indicator indicator--net)")


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([indicator("indicator--x", "[ipv4-addr:value = '1.2.3.4']", confidence=150)],
         "confidence must be 0-100"),
        ([indicator("indicator--x", "[ipv4-addr:value = '1.2.3']")], "not an ipv4 address"),
        ([indicator("indicator--x", "[ipv6-addr:value = '1.2.3.4']")], "not an ipv6 address"),
        ([indicator("indicator--x", "[ipv4-addr:value = '1.2.3.4'")], "bad pattern"),
        ([indicator("indicator--x", "[ipv4-addr:value = '1.2.3.4']", valid_from="yesterday")],
         "bad valid_from"),
        ([indicator("indicator--x", "[ipv4-addr:value = '1.2.3.4']", labels="c2")],
         "labels must be a list"),
    ],
)
def test_stix_errors_name_file_and_line(tmp_path: Path, objects: list, message: str) -> None:
    path = write_bundle(tmp_path, [{"id": "identity--a", "type": "identity"}] + objects)
    with pytest.raises(SourceError, match=message) as err:
        load_feed(path, "x", "stix")
    assert err.value.path == str(path)
    assert err.value.line == line_of(path, "indicator--x")


def test_stix_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{\n  "type": "bundle",\n  "objects": [\n    {"id": 1,}\n  ]\n}\n')
    with pytest.raises(SourceError, match="invalid JSON") as err:
        load_feed(path, "x", "stix")
    assert err.value.line == 4


def test_stix_not_a_bundle(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"type": "report"}')
    with pytest.raises(SourceError, match="not a STIX bundle"):
        load_feed(path, "x", "stix")


def test_stix_compact_bundle_lines(tmp_path: Path) -> None:
    """One object a line, as some exporters write it."""
    path = tmp_path / "b.json"
    objs = [indicator(f"indicator--{n}", f"[ipv4-addr:value = '192.0.2.{n}']") for n in range(3)]
    path.write_text('{"type": "bundle", "id": "bundle--x", "objects": [\n'
                    + ",\n".join(json.dumps(o) for o in objs) + "\n]}\n")
    feed = load_feed(path, "x", "stix")
    assert [i.line for i in feed.indicators] == [2, 3, 4]


# ------------------------------------------------------------------------ CSV and lists


CSV = """\
# exported 2026-11-20T02:00:00Z
indicator,type,label,confidence,first_seen,source
203.0.113.7,ipv4,c2,90,2026-11-19T23:41:00Z,watershare-isac
sync.telemetry-cdn.example,domain,c2;cobalt-strike,80,2026-11-19,watershare-isac

198.18.7.0/24,cidr,scanner,60,,honeypot-net
d41d8cd98f00b204e9800998ecf8427e,md5,loader,50,,x
"""


def test_csv_feed(tmp_path: Path) -> None:
    path = tmp_path / "blocklist.csv"
    path.write_text(CSV)
    feed = load_feed(str(path), "abuse-csv", "csv")
    assert [(i.value, i.kind, i.line) for i in feed.indicators] == [
        ("203.0.113.7", "ipv4", 3), ("sync.telemetry-cdn.example", "domain", 4),
        ("198.18.7.0/24", "ipv4", 6)]
    assert feed.skipped == 1
    dom = feed.indicators[1]
    assert dom.labels == ("c2", "cobalt-strike")
    assert dom.valid_from == datetime(2026, 11, 19, tzinfo=timezone.utc)
    assert dom.source == "watershare-isac"
    (m,) = lookup([feed], "198.18.7.200")
    assert (m.line, m.file, m.confidence, m.indicator_id) == (6, str(path), 60, None)
    assert m.to_evidence().summary == ("198.18.7.200 is listed by feed abuse-csv as scanner "
                                       "via 198.18.7.0/24 (confidence 60)")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("ip,label\n1.2.3.4,x,y\n", "3 fields, the header has 2", 2),
        ("value,confidence\n1.2.3.4,high\n", "bad confidence", 2),
        ("value,confidence\n1.2.3.4,101\n", "not in 0-100", 2),
        ("name,label\nfoo,bar\n", "no indicator column", 1),
        ("value,type\nnot-an-ip,ipv4\n", "not an IP address", 2),
        ("value,first_seen\n1.2.3.4,someday\n", "bad time", 2),
        ("value,label\n\n,x\n", "empty indicator value", 3),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(text)
    with pytest.raises(SourceError, match=message) as err:
        load_feed(path, "x", "csv")
    assert (err.value.path, err.value.line) == (str(path), line)


LIST = """\
# threat_feeds: generated by feed2pf
# generated 2026-11-20T02:15:00Z, 4 entries
203.0.113.7\t\t# indicator--7d2b9c61-3f4e-4c1a-8f0b-6a2e91d4c5e3 c2-server
203.0.113.64/26\t# bulletproof hosting
!203.0.113.66\t\t# allow-listed partner
192.0.2.1 192.0.2.2
"""


def test_plain_list(tmp_path: Path) -> None:
    path = tmp_path / "threat_feeds.txt"
    path.write_text(LIST)
    feed = load_feed(path, "threat_feeds")  # auto: not .json/.csv, so a list
    assert feed.format == "list"
    assert feed.generated == datetime(2026, 11, 20, 2, 15, tzinfo=timezone.utc)
    assert [(i.value, i.line, i.negated) for i in feed.indicators] == [
        ("203.0.113.7", 3, False), ("203.0.113.64/26", 4, False), ("203.0.113.66", 5, True),
        ("192.0.2.1", 6, False), ("192.0.2.2", 6, False)]
    (m,) = lookup([feed], "203.0.113.7")
    assert m.indicator_id == C2_ID and m.description == "c2-server"
    assert m.to_evidence().summary == (
        f'203.0.113.7 is listed by feed threat_feeds ("c2-server", indicator {C2_ID})')
    assert lookup([feed], "203.0.113.66") == []  # the narrowest entry excludes it
    assert [m.value for m in lookup([feed], "203.0.113.67")] == ["203.0.113.64/26"]
    assert [m.line for m in lookup([feed], "192.0.2.2")] == [6]


def test_plain_list_error(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("1.2.3.4\n\n1.2.3.4/33\n")
    with pytest.raises(SourceError) as err:
        load_feed(path, "x", "list")
    assert err.value.line == 3


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown feed format"):
        load_feed(tmp_path / "x", "x", "misp")
    with pytest.raises(SourceError, match="cannot read"):
        load_feed(tmp_path / "missing.json", "x", "stix")


def test_lookup_across_feeds_keeps_feed_order(bundle: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "b.csv"
    csv_path.write_text(CSV)
    feeds = [load_feed(bundle, "opencti", "stix"), load_feed(csv_path, "abuse-csv", "csv")]
    matches = lookup(feeds, "203.0.113.7")
    assert [m.feed for m in matches] == ["opencti", "abuse-csv"]
    assert all(isinstance(m, IntelMatch) for m in matches)


# ------------------------------------------------------------------------ the demo site


@pytest.mark.skipif(not (DEMO / "intel" / "opencti-bundle.json").exists(),
                    reason="demo intel not generated")
def test_demo_feeds_load() -> None:
    stix = load_feed(str(DEMO / "intel" / "opencti-bundle.json"), "opencti", "stix")
    csv = load_feed(DEMO / "intel" / "blocklist.csv", "abuse-csv", "csv")
    (m,) = lookup([stix], "203.0.113.7")
    assert m.indicator_id == C2_ID
    assert m.labels == ("c2-server",)
    assert "command-and-control" in (m.description or "").lower()
    assert [x.labels for x in lookup([csv], "203.0.113.7")] == [("c2",)]


def test_display_name_is_cited(bundle: Path, tmp_path: Path) -> None:
    feed = load_feed(bundle, "opencti", "stix", display="intel/opencti-bundle.json")
    (m,) = lookup([feed], "203.0.113.7")
    assert m.citation() == Citation("intel/opencti-bundle.json", line=line_of(bundle, "indicator--c2"))
    bad = tmp_path / "bad.csv"
    bad.write_text("value,confidence\n1.2.3.4,x\n")
    with pytest.raises(SourceError) as err:
        load_feed(bad, "x", "csv", display="intel/bad.csv")
    assert (err.value.path, err.value.line) == ("intel/bad.csv", 2)
