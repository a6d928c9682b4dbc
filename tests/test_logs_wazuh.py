"""Wazuh alerts.json reader: field mapping from real alerts, counts, resume, gzip, robustness."""

from __future__ import annotations

import gzip
import json
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from askzero.logs import wazuh
from askzero.logs.lines import Position
from askzero.logs.record import Event, Malformed
from tests.conftest import DEMO, SHARED

SAMPLES = SHARED / "samples" / "wazuh"
INSECT = SAMPLES / "ait-lds-v1.1/ossec_insect.json"
INTEGRATORD = SAMPLES / "wazuh-tests/integratord_alert_samples.json"


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def read_all(path: Path, start: Position = Position()) -> tuple[list[Event | Malformed], Position]:
    reading = wazuh.read(path, start)
    items = list(reading)
    return items, reading.position


def test_counts() -> None:
    items, end = read_all(INSECT)
    assert len(items) == 497 and all(isinstance(i, Event) for i in items)
    assert end == Position(INSECT.stat().st_size, 497)
    rules = Counter(e.signature_id for e in items)
    assert rules == {"2501": 138, "5503": 111, "86601": 87, "20101": 69, "9705": 61, "5551": 15, "9751": 8,
                     "20100": 5, "52507": 2, "20152": 1}
    # levels: 5 x310, 6 x69 -> 3; 3 x89 -> 4; 10 x24, 8 x5 -> 2
    assert Counter(e.severity for e in items) == {3: 379, 4: 89, 2: 29}
    assert {e.kind for e in items} == {"alert"} and {e.host for e in items} == {"user-0"}
    assert min(e.time for e in items) == pytest.approx(utc(2020, 3, 4, 13, 55, 5) + 0.224939)
    items, _ = read_all(INTEGRATORD)
    assert len(items) == 1 and isinstance(items[0], Event)


def test_wazuh4_alert_with_mitre() -> None:
    (e,), _ = read_all(INTEGRATORD)
    assert e.time == pytest.approx(utc(2022, 5, 11, 12, 29, 19) + 0.905)
    assert (e.source, e.kind, e.signature_id, e.severity) == ("wazuh", "alert", "5712", 2)
    assert e.signature == "sshd: brute force trying to get access to the system. Non existent user."
    assert e.category == "syslog,sshd,authentication_failures"
    assert (e.host, e.src, e.sport, e.user) == ("localhost.localdomain", "172.17.1.1", 56404, "paco")
    assert e.message == "May 11 12:29:18 localhost sshd[17584]: Invalid user paco from 172.17.1.1 port 56404"
    assert e.extra["level"] == 10 and e.extra["frequency"] == 8
    assert (e.extra["mitre_id"], e.extra["mitre_tactic"], e.extra["mitre_technique"]) == (
        ["T1110"], ["Credential Access"], ["Brute Force"])
    assert e.extra["compliance"]["nist_800_53"] == ["SI.4", "AU.14", "AC.7"]
    assert (e.extra["agent_id"], e.extra["location"], e.extra["decoder"]) == ("000", "/var/log/secure", "sshd")
    assert e.extra["alert_id"] == "1652272159.1549653"
    assert e.raw == INTEGRATORD.read_text().rstrip("\n") and (e.line, e.offset) == (1, 0)


def test_field_mapping_per_decoder() -> None:
    items = {e.line: e for e in read_all(INSECT)[0]}
    suricata = items[3]  # Suricata EVE re-emitted: the original fields under data
    assert (suricata.src, suricata.sport, suricata.dst, suricata.dport, suricata.proto) == (
        "192.168.10.18", 41410, "192.168.10.21", 80, "tcp")
    assert (suricata.action, suricata.flow, suricata.severity) == ("allowed", "1914330066006315", 4)
    assert suricata.extra["ids_rule"] == "1:2016184:5"
    assert suricata.extra["ids_signature"] == "ET WEB_SERVER ColdFusion administrator access"
    assert suricata.signature == "Suricata: Alert - ET WEB_SERVER ColdFusion administrator access"
    snort = items[1]  # fast.log decoder: dstip holds "ADDR:PORT"
    assert (snort.src, snort.dst, snort.dport, snort.signature_id) == ("192.168.10.18", "192.168.10.21", 80, "20100")
    assert snort.extra["ids_rule"] == "1:2221028:1" and snort.extra["decoder_parent"] == "snort"
    pam = items[16]
    assert (pam.src, pam.user, pam.extra["dstuser"], pam.extra["srcuser"]) == ("127.0.0.1", "violet", "violet", "violet")
    assert pam.time == utc(2020, 3, 4, 14, 14, 30) and pam.category == "pam,syslog,authentication_failed"
    assert pam.extra["compliance"] == {"pci_dss": ["10.2.4", "10.2.5"], "gdpr": ["IV_35.7.d", "IV_32.2"],
                                       "gpg13": ["7.8"]}
    assert pam.message.startswith("Mar  4 14:14:30 mail auth: pam_unix(dovecot:auth)")
    clam = items[496]  # no data at all
    assert (clam.src, clam.dst, clam.user, clam.severity, clam.extra["level"]) == (None, None, None, 4, 3)
    dovecot = items[44]
    assert (dovecot.src, dovecot.dst, dovecot.user) == ("127.0.0.1", "127.0.0.1", "<violet>")


def test_two_part_read_equals_one_read() -> None:
    full, end = read_all(INSECT)
    for cut in (1, 2, 100, 496):
        start = Position(full[cut].offset, cut)
        rest, rest_end = read_all(INSECT, start)
        assert [repr(i) for i in full[:cut] + rest] == [repr(i) for i in full]
        assert rest_end == end


def test_gzip_reads_like_plain(tmp_path: Path) -> None:
    packed = tmp_path / "alerts.json.gz"
    packed.write_bytes(gzip.compress(INSECT.read_bytes()))
    plain, plain_end = read_all(INSECT)
    zipped, zipped_end = read_all(packed)
    assert [repr(i) for i in zipped] == [repr(i) for i in plain] and zipped_end == plain_end


def test_unfinished_last_line(tmp_path: Path) -> None:
    lines = INSECT.read_text().splitlines(keepends=True)[:3]
    path = tmp_path / "alerts.json"
    path.write_text(lines[0] + lines[1][:200])  # the writer is half-way through the second alert
    items, end = read_all(path)
    assert len(items) == 1 and end == Position(len(lines[0].encode()), 1)
    with open(path, "a") as fh:
        fh.write(lines[1][200:] + lines[2].rstrip("\n"))  # complete, the third without its newline
    items, end = read_all(path, end)
    assert [(e.line, e.signature_id) for e in items] == [(2, "20100"), (3, "86601")]
    assert end == Position(path.stat().st_size, 3)  # a whole JSON object is a whole record
    with open(path, "a") as fh:
        fh.write("\n")
    assert read_all(path, end)[0] == []


def test_malformed_records_do_not_stop_the_read(tmp_path: Path) -> None:
    good = INSECT.read_text().splitlines()[0]
    path = tmp_path / "alerts.json"
    path.write_text("\n".join([good, "{not json", "[1, 2]", '{"agent": {"name": "x"}}', "", good]) + "\n")
    items, end = read_all(path)
    assert [type(i).__name__ for i in items] == ["Event", "Malformed", "Malformed", "Malformed", "Event"]
    assert [i.reason for i in items if isinstance(i, Malformed)] == [
        "not a JSON object", "not a JSON object", "no rule object: not a Wazuh alert"]
    assert (items[1].line, items[1].sample) == (2, "{not json") and items[4].line == 6 and end.line == 6


def test_odd_but_valid_values(tmp_path: Path) -> None:
    alert = {"timestamp": "2024-01-02T03:04:05Z", "rule": {"level": "12", "id": 100200, "groups": "x",
             "description": "custom"}, "manager": {"name": "m"},
             "data": {"srcip": "::ffff:198.51.100.7", "dstport": "99999", "protocol": "UDP", "action": "Block"}}
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(alert) + "\n")
    (e,), _ = read_all(path)
    assert (e.time, e.severity, e.signature_id, e.category, e.host) == (utc(2024, 1, 2, 3, 4, 5), 1, "100200", None, None)
    assert (e.src, e.dport, e.proto, e.action, e.extra["manager"]) == ("198.51.100.7", None, "udp", "block", "m")


def test_sniff() -> None:
    assert wazuh.sniff(INSECT.read_bytes()[:4096], "alerts.json")
    assert wazuh.sniff(INTEGRATORD.read_bytes()[:4096], "alerts.json")
    assert wazuh.sniff(INSECT.read_bytes()[:300], "alerts.json")  # first line longer than the head
    assert not wazuh.sniff((DEMO / "var/log/suricata/eve.json").read_bytes()[:4096], "eve.json")
    assert not wazuh.sniff((DEMO / "var/log/authlog").read_bytes()[:4096], "authlog")
    assert not wazuh.sniff(b'{"rule": 5, "agent": {}}\n', "x.json")
    assert not wazuh.sniff(b'{"timestamp": "x", "data": {"rule": {}}}\n', "x.json")
    assert not wazuh.sniff(b"", "empty")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=20)
KEYS = st.sampled_from(["timestamp", "rule", "agent", "manager", "data", "decoder", "full_log", "id", "level",
                        "groups", "mitre", "srcip", "dstip", "srcport", "dstport", "alert", "flow_id", "syscheck"])
ALERTISH = st.recursive(JSON, lambda inner: st.dictionaries(KEYS, inner, max_size=6), max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(ALERTISH.map(json.dumps).map(str.encode), st.binary(max_size=80)), max_size=6), st.booleans())
def test_fuzz_never_raises(records: list[bytes], terminated: bool) -> None:
    data = b"\n".join(b"".join(r.split(b"\n")) for r in records) + (b"\n" if terminated else b"")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alerts.json"
        path.write_bytes(data)
        items, end = read_all(path)
        assert all(isinstance(i, (Event, Malformed)) for i in items)
        assert all(i.kind == "alert" and i.source == "wazuh" for i in items if isinstance(i, Event))
        assert end.offset <= len(data)
        assert read_all(path, end)[0] == [] or data.startswith(b"\x1f\x8b")
