"""EVE bulk ingest (DuckDB parses the lines) stores exactly what the per-record path stores.

Every comparison ingests the same file twice into real stores: once through
``eve.read_bulk`` and once with it hidden, so ingest takes ``eve.read``.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.logs import eve, eve_bulk
from askzero.logs.ingest import IngestSource, ingest
from askzero.logs.query import Filter, events
from askzero.logs.store import LogStore
from conftest import SHARED

SURICATA = SHARED / "samples" / "suricata"
DEMO_EVE = Path(__file__).resolve().parents[1] / "askzero" / "demo" / "var" / "log" / "suricata" / "eve.json"
SAMPLES = sorted(SURICATA.glob("*/*.json")) + sorted(SURICATA.glob("crowdsec-hub-tests/suricata-*eve*.log"))
needs_shared = pytest.mark.skipif(not SURICATA.is_dir(), reason="needs ../shared/samples")
# everything but message and extra, which bulk rows leave to be rebuilt
STORED = ("time, source, kind, src, dst, sport, dport, proto, action, severity, signature, signature_id, "
          'category, rule, iface, direction, host, "user", flow, line, "offset", raw, src4, dst4')


@pytest.fixture(autouse=True)
def bulk_for_any_size(monkeypatch):
    monkeypatch.setattr(eve_bulk, "BULK_MIN", 0)


def stored(tmp: Path, name: str, *files: Path, bulk: bool, monkeypatch) -> dict:
    """Ingest the files in turn (each run resumes the last) and return what the store holds."""
    with monkeypatch.context() as patch:
        if not bulk:
            patch.delattr(eve, "read_bulk")
        with LogStore(tmp / f"{name}.duckdb") as store:
            reports = [ingest(store, [IngestSource("eve.json", f, "eve")])[0] for f in files]
            return {
                "rows": store.sql(f"SELECT {STORED} FROM events ORDER BY line"),
                "malformed": store.sql('SELECT line, "offset", reason, sample FROM malformed ORDER BY line, reason'),
                "files": store.sql('SELECT "offset", line, events, malformed FROM files'),
                "events": [(r.events, r.malformed) for r in reports],
                "shown": events(store, Filter(), limit=10_000).events,
            }


def same_as_per_record(tmp: Path, monkeypatch, *files: Path) -> dict:
    bulk = stored(tmp, "bulk", *files, bulk=True, monkeypatch=monkeypatch)
    per_record = stored(tmp, "per-record", *files, bulk=False, monkeypatch=monkeypatch)
    assert bulk["rows"] == per_record["rows"]
    assert bulk["malformed"] == per_record["malformed"]
    assert bulk["files"] == per_record["files"]
    assert bulk["events"] == per_record["events"]
    # what a reader sees: message and extra rebuilt from the stored line
    assert bulk["shown"] == per_record["shown"]
    return bulk


@needs_shared
@pytest.mark.parametrize("path", SAMPLES + [DEMO_EVE], ids=lambda p: p.name)
def test_every_sample_is_stored_as_the_per_record_path_stores_it(path, tmp_path, monkeypatch):
    same_as_per_record(tmp_path, monkeypatch, path)


@needs_shared
def test_the_broken_sample_over_tiny_blocks(tmp_path, monkeypatch):
    """Blocks of a few lines: carries, hand-overs to the per-record reader mid-block, and
    multi-line objects across block ends."""
    monkeypatch.setattr(eve_bulk, "BLOCK", 700)
    broken = same_as_per_record(tmp_path, monkeypatch, SURICATA / "surevego-testdata" / "eve_broken.json")
    assert broken["events"] == [(263, 6)]


@needs_shared
def test_resumed_ingest_equals_one_ingest(tmp_path, monkeypatch):
    whole = (SURICATA / "surevego-testdata" / "eve.json").read_bytes()
    cut = whole.index(b"\n", len(whole) // 2) + 1
    log = tmp_path / "eve.json"
    log.write_bytes(whole[:cut] + whole[cut:cut + 40])  # a half-written line at the end
    first = tmp_path / "first"
    first.mkdir()
    appended = tmp_path / "whole.json"
    appended.write_bytes(whole)
    # the same file growing: copy states into one path, ingest after each
    bulk = stored(first, "bulk", log, bulk=True, monkeypatch=monkeypatch)
    assert bulk["files"][0][1] == whole[:cut].count(b"\n")
    log.write_bytes(whole)
    with LogStore(first / "bulk.duckdb") as store:
        ingest(store, [IngestSource("eve.json", log, "eve")])
        resumed = store.sql(f"SELECT {STORED} FROM events ORDER BY line")
    once = stored(tmp_path, "once", appended, bulk=False, monkeypatch=monkeypatch)
    assert resumed == once["rows"]


def test_gzip_is_the_plain_file(tmp_path, monkeypatch):
    plain = DEMO_EVE.read_bytes()
    packed = tmp_path / "eve.json.1.gz"
    packed.write_bytes(gzip.compress(plain))
    bulk = same_as_per_record(tmp_path, monkeypatch, packed)
    assert bulk["files"][0][:2] == (len(plain), plain.count(b"\n"))


def test_ipv6_as_suricata_writes_it_is_compressed_by_sql_alone(tmp_path, monkeypatch):
    """The full form is compressed inside the INSERT (an UPDATE afterwards rewrites the column
    at commit); only other spellings are left to Python, here an IPv4-mapped one."""
    full = ["0000:0000:0000:0000:0000:0000:0000:0000", "0000:0000:0000:0000:0000:0000:0000:0001",
            "FE80:0000:0000:0000:0042:95FF:FEA2:534A", "2001:0db8:0000:0000:0001:0000:0000:0001",
            "2001:0db8:0000:0001:0000:0000:0000:0001", "0001:0000:0000:0002:0000:0000:0003:0000",
            "abcd:0000:0000:0000:0000:0000:0000:0000", "0000:0000:0000:0000:0000:ffff:c000:0201"]
    log = tmp_path / "eve.json"
    log.write_text("".join(json.dumps({"timestamp": "2026-11-20T02:31:14.000001+0000", "event_type": "flow",
                                       "src_ip": a, "dest_ip": b}) + "\n" for a, b in zip(full, reversed(full))))
    left_to_python: list[str] = []
    normalise = eve_bulk._normalise_ipv6

    def watched(writer, after, last):
        left_to_python.extend(row[0] for row in writer.con.execute(
            "SELECT src FROM events WHERE contains(src, ':') UNION SELECT dst FROM events WHERE contains(dst, ':')"
        ).fetchall() if row[0] != ipaddress.ip_address(row[0]).compressed)
        normalise(writer, after, last)

    monkeypatch.setattr(eve_bulk, "_normalise_ipv6", watched)
    bulk = same_as_per_record(tmp_path, monkeypatch, log)
    assert left_to_python == [full[-1]]
    assert {row[3] for row in bulk["rows"]} >= {"::", "::1", "fe80::42:95ff:fea2:534a", "2001:db8::1:0:0:1",
                                                "2001:db8:0:1::1", "1::2:0:0:3:0", "abcd::"}


# -- odd values: every field with every JSON type, and lines that are not one object ---------

# IPv6 as Suricata writes it (SQL compresses these itself): runs of zero groups anywhere
FULL_IPV6 = st.lists(st.sampled_from(["0000", "0000", "0001", "00a0", "fe80", "ABCD", "ffff"]),
                     min_size=8, max_size=8).map(":".join)
# IPv4 as ipaddress reads it, or nearly (SQL turns these into integers itself)
IPV4 = st.one_of(
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda o: ".".join(map(str, o))),
    st.sampled_from(["0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", " 1.2.3.4", "1.2.3.04",
                     "1.2.3.4 ", "+1.2.3.4", "1..2.3"]),
)
ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 70000), st.integers(2**62, 2**70), st.floats(allow_nan=False),
    st.text(max_size=12), st.sampled_from(["", "TCP", "udp", "IPv6-ICMP", "006", "47", "1.2.3.4", "01.2.3.4",
                                           "2001:0db8:0000::0001", "fe80::1%em0", "a\\nb", "é"]),
    FULL_IPV6, IPV4,
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from(["x"]), st.integers(0, 1)),
)
STAMPS = st.one_of(
    st.sampled_from(["2017-01-30T16:12:26.985026+0100", "2026-11-20T02:31:14.000001-0000",
                     "2026-11-20T02:31:14Z", "2026-11-20T02:31:14.123+00:00", "2026-02-30T02:31:14.000001+0000",
                     "2026-11-20T02:31:60.000001+0000", "2026-11-20T24:00:00.000000+0000",
                     "2026-11-20T02:31:14.000001+2400", "2026-11-20T02:31:14.000001+01:0", "2026-11-20",
                     " 026-11-20T02:31:14.000001+0100", "2026-11-20T02:31:14.000001+0099",
                     "2026-11-20T02:31:14.00001+0100"]),
    ANY,
)


@st.composite
def eve_records(draw) -> dict:
    record: dict = {"timestamp": draw(STAMPS), "event_type": draw(st.sampled_from(
        ["alert", "drop", "anomaly", "flow", "dns", "http", "fileinfo", "smtp", "stats", 7, None]))}
    for key in ("src_ip", "dest_ip", "src_port", "dest_port", "proto", "flow_id", "in_iface", "host"):
        if draw(st.booleans()):
            record[key] = draw(ANY)
    if draw(st.booleans()):
        record["alert"] = draw(st.one_of(ANY, st.fixed_dictionaries({}, optional={
            key: ANY for key in ("action", "gid", "signature_id", "rev", "signature", "category", "severity")})))
    if draw(st.booleans()):
        record["flow"] = {"start": draw(STAMPS), "pkts_toserver": 1}
    if draw(st.booleans()):
        record["anomaly"] = {"event": draw(ANY), "type": "decode"}
    return record


LINES = st.one_of(
    eve_records().map(lambda r: json.dumps(r)),
    eve_records().map(lambda r: json.dumps(r, ensure_ascii=False)),
    eve_records().map(lambda r: json.dumps(r, indent=1)),  # pretty-printed: many lines
    st.sampled_from(["", "   ", "junk", "{broken", '{"event_type": "alert"}{"event_type": "flow"}',
                     '{"a": NaN}', "[1, 2]", '{"event_type": "alert"}\r']),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LINES, min_size=1, max_size=12), st.booleans(), st.sampled_from([300, 1 << 20]))
def test_odd_records_are_stored_as_build_stores_them(tmp_path_factory, monkeypatch, lines, final_newline, block):
    tmp = tmp_path_factory.mktemp("odd")
    log = tmp / "eve.json"
    log.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(eve_bulk, "BLOCK", block)
        same_as_per_record(tmp, patch, log)


def test_invalid_utf8_and_non_ascii_lines(tmp_path, monkeypatch):
    ok = b'{"timestamp": "2017-01-30T16:12:26.985026+0100", "event_type": "alert", "src_ip": "10.0.0.1"}'
    accented = '{"timestamp": "2017-01-30T16:12:27.000001+0100", "event_type": "dns", "host": "capteur-é"}'
    broken = b'{"timestamp": "2017-01-30T16:12:28.000001+0100", "event_type": "alert", "host": "\xff\xfe"}'
    log = tmp_path / "eve.json"
    log.write_bytes(b"\n".join([ok, accented.encode(), broken, ok, accented.encode()]) + b"\n")
    bulk = same_as_per_record(tmp_path, monkeypatch, log)
    assert bulk["events"] == [(5, 0)]
    assert [row[16] for row in bulk["rows"]] == [None, "capteur-é", "\ufffd\ufffd", None, "capteur-é"]


@pytest.mark.parametrize("stamp", ["2026-11-20T02:31:14.000001+0100", " 026-11-20T02:31:14.000001+0100",
                                   "2026-11-20T02:31:14.000001+2400", "2026-11-20T02:31:14.000001+0099",
                                   "2026-11-20T02:31:60.000001+0000", "2026-11-20T02:31:14.00001+0100"])
def test_timestamps_strptime_alone_would_take(stamp, tmp_path, monkeypatch):
    log = tmp_path / "eve.json"
    log.write_text(json.dumps({"timestamp": stamp, "event_type": "alert", "src_ip": "192.0.2.1"}) + "\n")
    same_as_per_record(tmp_path, monkeypatch, log)
