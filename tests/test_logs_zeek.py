"""Zeek TSV and JSON logs: counts and field values from the shared samples, resuming,
gzip, unfinished final lines, several header blocks, detection, and fuzzing."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askzero.logs import zeek
from askzero.logs.lines import Position, read_head
from askzero.logs.record import Event, Malformed
from conftest import SHARED

ZEEK = SHARED / "samples" / "zeek"
TSV = ZEEK / "wrccdc2018-tsv"
BTEST = ZEEK / "btest-baselines"
CONN = ZEEK / "wrccdc2018-conn-excerpt" / "conn.log"

# (file, events, malformed, kind of every event); counts checked against `grep -vc '^#'`
COUNTS = [
    (BTEST / "core.cisco-fabric-path__conn.log", 64, 0, "flow"),
    (BTEST / "opt.basic__dns.log", 34, 0, "dns"),
    (BTEST / "scripts.base.files.x509.disable-certificate-events-known-certs__ssl.log", 8, 0, "tls"),
    (BTEST / "scripts.base.protocols.http.http-methods__http.log", 49, 0, "http"),
    (BTEST / "scripts.base.protocols.http.http-methods__weird.log", 34, 0, "anomaly"),
    (BTEST / "scripts.base.protocols.ssh.basic__ssh.log", 22, 0, "ssh"),
    (BTEST / "scripts.policy.protocols.ssl.expiring-certs__notice.log", 2, 0, "notice"),
    # its one JSON record has the btest placeholder XXXXXXXXXX.XXXXXX as ts: not JSON
    (BTEST / "javascript.http-uri-sha256__http.log", 0, 1, None),
    (CONN, 92, 0, "flow"),
    (TSV / "capture_loss.log.gz", 3, 0, "other"),
    (TSV / "dns.log.gz", 53615, 0, "dns"),
    (TSV / "dns.head2000.log", 2000, 0, "dns"),
    (TSV / "dpd.log.gz", 77, 0, "other"),
    (TSV / "ftp.log.gz", 93, 0, "other"),
    (TSV / "known_hosts.log.gz", 253, 0, "other"),
    (TSV / "known_services.log.gz", 1579, 0, "other"),
    (TSV / "notice.log.gz", 207, 0, "notice"),
    (TSV / "ntlm.log.gz", 422, 0, "other"),
    (TSV / "packet_filter.log.gz", 1, 0, "other"),
    (TSV / "rdp.log.gz", 4122, 0, "other"),
    (TSV / "smtp.log.gz", 1188, 0, "other"),
    (TSV / "software.log.gz", 376, 0, "other"),
    (TSV / "ssh.log.gz", 22, 0, "ssh"),
    (TSV / "ssl.log.gz", 49474, 0, "tls"),
    (TSV / "ssl.head2000.log", 2000, 0, "tls"),
    (TSV / "stats.log.gz", 6, 0, "other"),
    (TSV / "syslog.log.gz", 2378, 0, "other"),
    (TSV / "syslog.head2000.log", 2000, 0, "other"),
    (TSV / "weird.log.gz", 24202, 0, "anomaly"),
    (TSV / "weird.head2000.log", 2000, 0, "anomaly"),
    (TSV / "x509.log.gz", 348, 0, "x509"),
]
# plain copies whose bytes equal the gunzipped .gz (checked with cmp when the test was written)
GZ_PAIRS = ["capture_loss", "dpd", "known_hosts", "notice", "packet_filter", "software", "ssh", "stats"]


@lru_cache(maxsize=None)
def read_all(path: Path, start: Position = Position()) -> tuple[tuple[Event | Malformed, ...], Position]:
    reading = zeek.read(path, start)
    return tuple(reading), reading.position


def events(path: Path) -> list[Event]:
    return [i for i in read_all(path)[0] if isinstance(i, Event)]


def event_at(path: Path, line: int) -> Event:
    return next(e for e in events(path) if e.line == line)


def without_place(ev: Event) -> tuple:
    """An event's content, ignoring where it was read from."""
    return tuple(getattr(ev, f) for f in Event.__slots__ if f not in ("line", "offset", "raw"))


@pytest.mark.parametrize("path,n_events,n_malformed,kind", COUNTS, ids=lambda v: getattr(v, "name", None))
def test_sample_counts(path: Path, n_events: int, n_malformed: int, kind: str | None) -> None:
    items, position = read_all(path)
    evs = [i for i in items if isinstance(i, Event)]
    assert len(evs) == n_events
    assert len(items) - len(evs) == n_malformed
    assert {e.kind for e in evs} <= {kind}
    assert all(e.source == "zeek" for e in evs)
    with gzip.open(path) if path.suffix == ".gz" else open(path, "rb") as fh:
        data = fh.read()
    assert position == Position(len(data), data.count(b"\n"))  # everything consumed
    assert zeek.sniff(read_head(path), path.name) == (n_events > 0)  # not the btest non-JSON


def test_notice_fields() -> None:
    ev = event_at(TSV / "notice.log", 9)
    assert (ev.kind, ev.time, ev.offset) == ("notice", 1521911720.629574, 569)
    assert (ev.src, ev.sport, ev.dst, ev.dport, ev.proto) == ("10.164.94.120", 39611, "10.47.3.200", 443, "tcp")
    assert ev.flow == "CmC9kY1X0u9nP78KZc"
    assert (ev.signature, ev.category, ev.severity) == ("SSL::Invalid_Server_Cert", "SSL", 2)
    assert ev.message == "SSL certificate validation failed with (unable to get local issuer certificate)"
    assert ev.host is None
    assert ev.raw.startswith("1521911720.629574\tCmC9kY1X0u9nP78KZc\t10.164.94.120\t39611")
    # \\, in the TSV is an escaped backslash: the certificate subject's own "\,"
    assert ev.extra["sub"].endswith(r"O=VMware\, Inc,L=Palo Alto,ST=California,C=US")
    assert ev.extra["actions"] == ["Notice::ACTION_LOG"]
    assert ev.extra["email_dest"] == []  # (empty) set
    assert ev.extra["suppress_for"] == 3600.0
    assert ev.extra["_path"] == "notice"
    assert "remote_location.city" not in ev.extra  # unset
    assert "note" not in ev.extra and "msg" not in ev.extra  # shown in signature/message


def test_conn_fields() -> None:
    ev = event_at(CONN, 9)
    assert (ev.kind, ev.time, ev.flow) == ("flow", 1521911721.255387, "C8Tful1TvM3Zf5x8fl")
    assert (ev.src, ev.sport, ev.dst, ev.dport, ev.proto) == ("10.164.94.120", 39681, "10.47.3.155", 3389, "tcp")
    assert ev.extra["conn_state"] == "RSTR"
    assert ev.extra["history"] == "ShADTdtr"
    assert (ev.extra["duration"], ev.extra["orig_bytes"], ev.extra["resp_bytes"]) == (0.004266, 97, 19)
    assert "service" not in ev.extra and "local_orig" not in ev.extra  # unset
    assert ev.message == "conn tcp 10.164.94.120:39681 -> 10.47.3.155:3389 RSTR 0.004266s 97/19 bytes"
    ssl_conn = event_at(CONN, 99)
    assert ssl_conn.extra["service"] == "ssl"


def test_conn_unknown_transport_uses_ip_proto() -> None:
    ev = event_at(BTEST / "core.cisco-fabric-path__conn.log", 73)
    assert (ev.src, ev.dst, ev.proto, ev.extra["ip_proto"]) == ("1234::51", "5678::", "99", 99)
    assert ev.time is None  # btest canonifies timestamps to XXXXXXXXXX.XXXXXX


def test_dns_fields() -> None:
    ev = event_at(TSV / "dns.head2000.log", 9)
    assert (ev.time, ev.flow, ev.src, ev.dst, ev.dport, ev.proto) == (
        1521911720.865716, "CqKst53mF3det3eDV9", "10.47.1.100", "10.0.0.100", 53, "udp")
    assert ev.extra["query"] == "ise.wrccdc.org"
    assert (ev.extra["qtype_name"], ev.extra["rcode_name"]) == ("A", "NOERROR")
    assert ev.extra["answers"] == ["ise.wrccdc.cpp.edu", "134.71.3.16"]  # vector split on ","
    assert ev.extra["TTLs"] == [2230.0, 41830.0]  # vector[interval]
    assert (ev.extra["RD"], ev.extra["AA"]) == (True, False)
    assert ev.message == "dns ise.wrccdc.org A -> NOERROR ise.wrccdc.cpp.edu,134.71.3.16"


def test_http_fields() -> None:
    path = BTEST / "scripts.base.protocols.http.http-methods__http.log"
    ev = event_at(path, 10)
    assert (ev.src, ev.sport, ev.dst, ev.dport) == ("128.2.6.136", 46562, "173.194.75.103", 80)
    assert (ev.extra["method"], ev.extra["host"], ev.extra["uri"], ev.extra["status_code"]) == (
        "OPTIONS", "www.google.com", "*", 405)
    assert ev.extra["tags"] == [] and ev.extra["resp_mime_types"] == ["text/html"]
    assert event_at(path, 11).extra["uri"] == ""  # (empty) string field
    assert "method" not in event_at(path, 12).extra  # unset


def test_ssl_fields() -> None:
    ev = event_at(BTEST / "scripts.base.files.x509.disable-certificate-events-known-certs__ssl.log", 13)
    assert ev.kind == "tls" and ev.flow == "CtPZjS20MLrsMUOJi2"
    assert (ev.extra["version"], ev.extra["validation_status"], ev.extra["established"]) == ("TLSv12", "ok", True)
    assert len(ev.extra["cert_chain_fps"]) == 3 and ev.extra["client_cert_chain_fps"] == []


def test_ssh_auth_success_becomes_action() -> None:
    btest = BTEST / "scripts.base.protocols.ssh.basic__ssh.log"
    assert event_at(btest, 10).action is None  # auth_success unset
    assert event_at(btest, 11).action == "accepted"
    failed = event_at(btest, 26)
    assert (failed.action, failed.direction, failed.dst, failed.dport) == ("failed", "out", "128.2.10.238", 22)
    assert failed.extra["client"] == "SSH-2.0-OpenSSH_6.6"
    assert failed.extra["server"].startswith("SSH-1.99-OpenSSH_3.4+p1")
    actions = [e.action for e in events(TSV / "ssh.log")]
    assert (actions.count("accepted"), actions.count("failed"), actions.count(None)) == (5, 2, 15)


def test_weird_name_is_signature() -> None:
    ev = event_at(TSV / "weird.head2000.log", 9)
    assert (ev.kind, ev.signature, ev.flow) == ("anomaly", "TCP_ack_underflow_or_misorder", "CsPzgh4tp5lHBTnsrf")
    assert ev.extra["peer"] == "zeek" and ev.extra["notice"] is False


def test_x509_fields() -> None:
    ev = events(TSV / "x509.log.gz")[0]
    assert ev.kind == "x509" and ev.flow is None and ev.src is None
    assert ev.extra["fingerprint"].startswith("b2dafbcdbc752106")
    assert ev.extra["certificate.issuer"] == "O=VMware Installer"
    assert ev.extra["certificate.not_valid_after"] == 1678536902.0
    assert ev.extra["san.dns"] == ["localhost.localdomain"]


def test_escapes_are_decoded() -> None:
    dpd = event_at(TSV / "dpd.log", 40)
    assert dpd.extra["failure_reason"].endswith('\nexpected pattern: "<"\nactual data: "\x01"')
    ftp = [e for e in events(TSV / "ftp.log.gz") if e.line == 19][0]
    assert ftp.extra["arg"] == "ftp://10.47.21.80/./" + "..\\" * 12 + "boot.ini"
    assert ftp.user == "anonymous"


def test_other_logs_keep_their_path() -> None:
    ev = events(TSV / "software.log.gz")[0]
    assert (ev.kind, ev.extra["_path"], ev.extra["name"], ev.extra["version.major"]) == ("other", "software", "MSIE", 8)
    assert ev.host is None  # software.log's "host" is the host running the software, not the sensor
    syslog = events(TSV / "syslog.log.gz")[0]
    assert syslog.message.startswith("1 2018-03-24T08:59:37-07:00 PC-helen.jerry.land EvntSLog")


@pytest.mark.parametrize("name", GZ_PAIRS)
def test_gzip_equals_plain(name: str) -> None:
    assert read_all(TSV / f"{name}.log.gz") == read_all(TSV / f"{name}.log")


@pytest.mark.parametrize("name", ["dns", "weird"])
def test_head_excerpt_equals_start_of_gz(name: str) -> None:
    head = read_all(TSV / f"{name}.head2000.log")[0]
    assert read_all(TSV / f"{name}.log.gz")[0][: len(head)] == head


def resumed(path: Path, cut: int) -> tuple[list[Event | Malformed], Position]:
    """Read the first ``cut`` items, stop, then resume from the saved position."""
    first = zeek.read(path, Position())
    items = list(islice(first, cut))  # the reader's generator stays suspended after item `cut`
    second = zeek.read(path, first.position)
    return items + list(second), second.position


@pytest.mark.parametrize(
    "path", [TSV / "notice.log", TSV / "notice.log.gz", CONN, BTEST / "opt.basic__dns.log"],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("cut", [1, 2, 30])
def test_resume_equals_full_read(path: Path, cut: int) -> None:
    full, end = read_all(path)
    items, position = resumed(path, cut)
    assert tuple(items) == full and position == end
    at_end = zeek.read(path, end)
    assert list(at_end) == [] and at_end.position == end


def two_blocks(tmp_path: Path) -> Path:
    """A conn log appended across a restart, whose second block has other columns."""
    dns = (BTEST / "opt.basic__dns.log").read_bytes().split(b"\n", 1)[1]  # without the btest banner
    (tmp_path / "conn.log").write_bytes(CONN.read_bytes() + dns)
    return tmp_path / "conn.log"


def test_several_header_blocks(tmp_path: Path) -> None:
    path = two_blocks(tmp_path)
    items, _ = read_all(path)
    assert all(isinstance(i, Event) for i in items)
    assert [i.kind for i in items] == ["flow"] * 92 + ["dns"] * 34  # #path dns wins over the name
    assert items[92].extra["query"] == "gemini._sftp-ssh._tcp.local"
    assert "conn_state" not in items[92].extra


@pytest.mark.parametrize("cut", [50, 91, 92, 93, 120])
def test_resume_in_second_header_block(tmp_path: Path, cut: int) -> None:
    path = two_blocks(tmp_path)
    full, end = read_all(path)
    items, position = resumed(path, cut)
    assert tuple(items) == full and position == end


def test_unterminated_tsv_line_waits_for_its_newline(tmp_path: Path) -> None:
    lines = CONN.read_bytes().splitlines(keepends=True)
    path = tmp_path / "conn.log"
    path.write_bytes(b"".join(lines[:10]) + lines[10][:-1])  # last record without "\n"
    first = zeek.read(path, Position())
    got = list(first)
    assert len(got) == 2 and all(isinstance(e, Event) for e in got)
    assert first.position == Position(sum(map(len, lines[:10])), 10)
    path.write_bytes(b"".join(lines[:12]))  # the writer finished the line and wrote another
    second = zeek.read(path, first.position)
    rest = list(second)
    assert [e.line for e in rest] == [11, 12]
    assert rest[0].raw == lines[10][:-1].decode()
    assert tuple(got + rest) == read_all(CONN)[0][:4]


def test_half_written_tsv_line_is_not_malformed(tmp_path: Path) -> None:
    lines = CONN.read_bytes().splitlines(keepends=True)
    path = tmp_path / "conn.log"
    path.write_bytes(b"".join(lines[:9]) + lines[9][:25])  # cut inside the second column
    reading = zeek.read(path, Position())
    assert [type(i) for i in reading] == [Event]
    assert reading.position.line == 9


def test_unterminated_json_line_taken_only_when_whole(tmp_path: Path) -> None:
    record = json.dumps({"ts": 1521911720.5, "uid": "Cx", "id.orig_h": "10.0.0.1", "note": "X::Y"})
    path = tmp_path / "notice.log"
    path.write_text(record + "\n" + record[:30])
    reading = zeek.read(path, Position())
    assert len(list(reading)) == 1 and reading.position.line == 1
    path.write_text(record + "\n" + record)  # complete object, newline still to come
    reading = zeek.read(path, reading.position)
    assert [e.kind for e in reading] == ["notice"] and reading.position.line == 2


# verbatim from json-streaming-logs (zeek/FORMAT.md): the first record of wrccdc2018-tsv/notice.log
NOTICE_JSON = (
    '{"_path":"notice","_write_ts":"2018-03-24T17:15:20.629574Z","ts":"2018-03-24T17:15:20.629574Z",'
    '"uid":"CmC9kY1X0u9nP78KZc","id.orig_h":"10.164.94.120","id.orig_p":39611,"id.resp_h":"10.47.3.200",'
    '"id.resp_p":443,"fuid":"FGP2jt4dhD3bYZ923k","proto":"tcp","note":"SSL::Invalid_Server_Cert",'
    '"msg":"SSL certificate validation failed with (unable to get local issuer certificate)",'
    '"sub":"unstructuredName=1315656901\\\\,564d7761726520496e632e,CN=localhost.localdomain,'
    'emailAddress=ssl-certificates@vmware.com,OU=VMware ESX Server Default Certificate,O=VMware\\\\, Inc,'
    'L=Palo Alto,ST=California,C=US","src":"10.164.94.120","dst":"10.47.3.200","p":443,'
    '"actions":["Notice::ACTION_LOG"],"email_dest":[],"suppress_for":3600.0}'
)


def test_json_equals_tsv(tmp_path: Path) -> None:
    path = tmp_path / "current.json"  # the name says nothing: _path does
    path.write_text(NOTICE_JSON + "\n")
    (ev,) = list(zeek.read(path, Position()))
    assert without_place(ev) == without_place(event_at(TSV / "notice.log", 9))
    assert ev.raw == NOTICE_JSON and (ev.line, ev.offset) == (1, 0)


def conn_json_lines() -> list[str]:
    """The conn excerpt's first records as Zeek's own JSON writer prints them (epoch ts)."""
    out = []
    for ev in events(CONN)[:5]:
        record = {"ts": ev.time, "uid": ev.flow, "id.orig_h": ev.src, "id.orig_p": ev.sport,
                  "id.resp_h": ev.dst, "id.resp_p": ev.dport, "proto": ev.proto}
        record.update({k: v for k, v in ev.extra.items() if k != "_path"})
        out.append(json.dumps(record))
    return out


@pytest.mark.parametrize("name", ["conn.log", "conn.12:00:00-13:00:00.log.gz", "sensor1__conn.log", "zeek.json"])
def test_json_log_type_from_file_name_or_fields(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    text = ("\n".join(conn_json_lines()) + "\n").encode()
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    got = list(zeek.read(path, Position()))
    assert [without_place(e) for e in got] == [without_place(e) for e in events(CONN)[:5]]
    assert got[1].offset == len(conn_json_lines()[0]) + 1


def test_json_nested_id_and_iso_time(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text(json.dumps({
        "ts": "2018-03-24T17:15:20.865716Z", "uid": "CqKst53mF3det3eDV9",
        "id": {"orig_h": "10.47.1.100", "orig_p": 41772, "resp_h": "10.0.0.100", "resp_p": 53},
        "proto": "udp", "query": "ise.wrccdc.org", "answers": ["ise.wrccdc.cpp.edu", "134.71.3.16"],
        "_system_name": "sensor-a",
    }) + "\n")
    (ev,) = list(zeek.read(path, Position()))
    assert (ev.kind, ev.src, ev.sport, ev.dst, ev.dport) == ("dns", "10.47.1.100", 41772, "10.0.0.100", 53)
    assert ev.time == pytest.approx(1521911720.865716, abs=1e-6)
    assert ev.host == "sensor-a"
    assert ev.extra["answers"] == ["ise.wrccdc.cpp.edu", "134.71.3.16"]


def test_json_files_log_before_zeek_5_takes_hosts_from_its_sets(tmp_path: Path) -> None:
    path = tmp_path / "files.log"
    path.write_text(json.dumps({"ts": 1521911720.5, "fuid": "FhO1", "tx_hosts": ["", "192.0.2.80"],
                                "rx_hosts": ["10.47.1.100"], "conn_uids": ["CqKst53mF3det3eDV9"],
                                "mime_type": "text/html", "sha1": "ab12"}) + "\n")
    (ev,) = list(zeek.read(path, Position()))
    assert (ev.kind, ev.src, ev.dst, ev.flow) == ("file", "192.0.2.80", "10.47.1.100", "CqKst53mF3det3eDV9")


def test_json_nan_is_unset_and_unknown_logs_are_other(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text('{"ts": NaN, "uid": "C1", "duration": Infinity, "conn_state": "S0"}\n')
    (ev,) = list(zeek.read(path, Position()))
    assert (ev.kind, ev.time, ev.extra) == ("flow", None, {"_path": "conn", "conn_state": "S0"})
    (path := tmp_path / "zeek.json").write_text('{"ts": 1.5, "uid": "C1", "colour": "blue"}\n')
    (ev,) = list(zeek.read(path, Position()))  # no _path, no known name, no telling field
    assert (ev.kind, ev.time, ev.extra) == ("other", 1.5, {"_path": "zeek", "colour": "blue"})


def test_tsv_without_path_takes_the_file_name(tmp_path: Path) -> None:
    lines = (TSV / "notice.log").read_bytes().splitlines(keepends=True)
    path = tmp_path / "notice.12:00:00-13:00:00.log"
    path.write_bytes(b"".join(line for line in lines[:9] if not line.startswith(b"#path")))
    (ev,) = list(zeek.read(path, Position()))
    assert without_place(ev) == without_place(event_at(TSV / "notice.log", 9))


def test_malformed_records_are_reported_and_reading_goes_on(tmp_path: Path) -> None:
    lines = CONN.read_bytes().splitlines(keepends=True)
    path = tmp_path / "conn.log"
    path.write_bytes(
        b"1\t2\t3\n"  # before any header
        + b"".join(lines[:9])
        + b"too\tfew\tcolumns\n"
        + b"\n"
        + b"{not json\n"
        + b"[1, 2]\n"
        + b"x" * (2 << 20) + b"\n"
        + b"".join(lines[9:11])
    )
    items = list(zeek.read(path, Position()))
    bad = [i for i in items if isinstance(i, Malformed)]
    assert [m.line for m in bad] == [1, 11, 13, 14, 15]
    assert bad[0].reason == "data line before any #fields header"
    assert bad[1].reason == "3 fields where #fields has 21"
    assert (bad[2].reason, bad[3].reason) == ("invalid JSON", "1 fields where #fields has 21")
    assert bad[4].reason.startswith("line longer than")
    assert [e.line for e in items if isinstance(e, Event)] == [10, 16, 17]


def test_escaped_markers_and_separators(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tweird\n"
        "#fields\tts\tname\taddl\tset\tempty_set\n#types\ttime\tstring\tstring\tset[string]\tset[string]\n"
        "1.0\t\\x2d\ta\\x09b\\xc3\\xa9\\xff\tx\\x2cy,z\t(empty)\n"
    )
    (ev,) = list(zeek.read(path, Position()))
    assert ev.signature == "-"  # an escaped "-" is the text "-", not unset
    assert ev.extra["addl"] == "a\tb\u00e9\\xff"  # UTF-8 decoded; a lone bad byte stays visible
    assert ev.extra["set"] == ["x,y", "z"] and ev.extra["empty_set"] == []


def test_truncated_gzip_is_reported_not_raised(tmp_path: Path) -> None:
    data = (TSV / "notice.log.gz").read_bytes()
    path = tmp_path / "notice.log.gz"
    path.write_bytes(data[: len(data) // 2])
    items = list(zeek.read(path, Position()))
    assert isinstance(items[-1], Malformed) and "compressed" in items[-1].reason
    assert 0 < len(items) - 1 < 207 and all(isinstance(i, Event) for i in items[:-1])


def test_sniff_json_but_not_other_formats() -> None:
    assert zeek.sniff(NOTICE_JSON.encode() + b"\n", "notice.json")
    assert zeek.sniff(NOTICE_JSON.encode()[:200], "x")  # first line cut by the head size
    assert zeek.sniff(b'{"ts":1.5,"id.orig_h":"10.0.0.1"}\n', "x")
    assert not zeek.sniff(b'{"ts":1.5,"colour":"blue"}\n', "x")
    eve = b'{"timestamp":"2018-03-24T17:15:20+0000","event_type":"alert","ts":1,"_path":"x"}\n'
    wazuh = b'{"timestamp":"2024-01-01T00:00:00+0000","rule":{"level":5},"agent":{"id":"001"},"ts":1,"uid":"C"}'
    assert not zeek.sniff(eve, "eve.json") and not zeek.sniff(eve[:40], "eve.json")
    assert not zeek.sniff(wazuh + b"\n", "alerts.json") and not zeek.sniff(wazuh, "alerts.json")
    assert not zeek.sniff(b"", "conn.log")


@pytest.mark.parametrize("folder", ["suricata", "wazuh", "syslog", "pf-wild"])
def test_sniff_claims_no_other_sample(folder: str) -> None:
    files = [p for p in sorted((SHARED / "samples" / folder).rglob("*")) if p.is_file()]
    assert files and not [p.name for p in files if zeek.sniff(read_head(p), p.name)]


SEED_LINES = [
    line
    for p in (CONN, TSV / "notice.log", BTEST / "opt.basic__dns.log", BTEST / "scripts.base.protocols.ssh.basic__ssh.log")
    for line in p.read_bytes().splitlines()[:14]
] + [NOTICE_JSON.encode(), b"", b"#close", b"#fields\tts", b"{}", b"\xff\xfe"]


@st.composite
def zeek_bytes(draw: st.DrawFn) -> bytes:
    """Sample lines shuffled, cut, joined, with random bytes mixed in."""
    lines = draw(st.lists(st.sampled_from(SEED_LINES), max_size=12))
    out = []
    for line in lines:
        op = draw(st.sampled_from(["keep", "keep", "cut", "bytes", "flip"]))
        if op == "cut" and line:
            line = line[: draw(st.integers(0, len(line)))]
        elif op == "bytes":
            line = draw(st.binary(max_size=40))
        elif op == "flip" and line:
            i = draw(st.integers(0, len(line) - 1))
            line = line[:i] + bytes([draw(st.integers(0, 255))]) + line[i + 1:]
        out.append(line)
    return b"\n".join(out) + draw(st.sampled_from([b"", b"\n"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=zeek_bytes(), cut=st.integers(0, 12), gz=st.booleans())
def test_fuzz_never_raises_and_resume_matches(tmp_path: Path, data: bytes, cut: int, gz: bool) -> None:
    path = tmp_path / ("fuzz.log.gz" if gz else "fuzz.log")
    path.write_bytes(gzip.compress(data) if gz else data)
    reading = zeek.read(path, Position())
    full = list(reading)
    assert all(isinstance(i, (Event, Malformed)) for i in full)
    assert reading.position.offset <= len(data)
    items, position = resumed(path, cut)
    assert items == full and position == reading.position


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_fuzz_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.log"
    path.write_bytes(data)
    assert all(isinstance(i, (Event, Malformed)) for i in zeek.read(path, Position()))
    zeek.sniff(data, "random.log")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
ZEEK_KEYS = ["ts", "uid", "_path", "id", "id.orig_h", "id.orig_p", "id.resp_p", "proto", "note", "src", "p",
             "auth_success", "direction", "answers", "duration", "orig_bytes", "tx_hosts", "conn_uids",
             "sha1", "addl", "name", "msg", "user", "_system_name", "certificate.issuer", "ip_proto"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.dictionaries(st.sampled_from(ZEEK_KEYS), JSON_VALUES, max_size=10), max_size=5))
def test_fuzz_json_values_of_any_shape(tmp_path: Path, records: list[dict]) -> None:
    path = tmp_path / "conn.log"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    items = list(zeek.read(path, Position()))
    assert len(items) == len(records) and all(isinstance(i, Event) for i in items)
