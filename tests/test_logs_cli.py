"""``ask-zero logs ingest|query|stats`` through the real formats and a real DuckDB file,
including an ingest killed with SIGKILL at several points."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from conftest import SHARED  # noqa: E402

CONN = SHARED / "samples" / "zeek" / "wrccdc2018-conn-excerpt" / "conn.log"


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "askzero.cli.main", *args], capture_output=True, text=True,
                          env=os.environ.copy())
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def site_dir(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text('name = "t"\nroot = "."\n[logs]\nzeek = ["/var/log/zeek/conn.log"]\n')
    return site


def big_conn_log(path: Path, copies: int) -> int:
    """The sample's header, then its records repeated with shifted times; returns records."""
    lines = CONN.read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#") and not ln.startswith("#close")]
    body = [ln for ln in lines if not ln.startswith("#")]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fh.write("\n".join(header) + "\n")
        for copy in range(copies):
            for ln in body:
                ts, rest = ln.split("\t", 1)
                fh.write(f"{float(ts) + copy * 3600:.6f}\t{rest}\n")
    return copies * len(body)


def test_ingest_query_stats_on_a_site(tmp_path):
    site = site_dir(tmp_path)
    log = site / "var" / "log" / "zeek" / "conn.log"
    n = big_conn_log(log, 2)
    out = json.loads(cli("logs", "ingest", "--site", str(site), "--json").stdout)
    assert [(f["path"], f["format"], f["events"], f["malformed"]) for f in out["files"]] == [
        ("var/log/zeek/conn.log", "zeek", n, 0)]
    again = json.loads(cli("logs", "ingest", "--site", str(site), "--json").stdout)
    assert again["files"][0]["events"] == 0
    result = json.loads(cli("logs", "query", "--site", str(site), "--json", "--ip", "10.47.25.80",
                            "--kind", "flow", "--limit", "3").stdout)
    expected = sum(1 for ln in CONN.read_text().splitlines()
                   if not ln.startswith("#") and "\t10.47.25.80\t" in f"\t{ln}\t") * 2
    assert result["count"] == expected and len(result["events"]) == 3
    first = result["events"][0]
    assert {"time", "kind", "src", "dst", "citation"} <= first.keys()
    assert first["citation"]["file"] == "var/log/zeek/conn.log"
    line = first["citation"]["line"]
    assert "10.47.25.80" in log.read_text().splitlines()[line - 1]
    top = json.loads(cli("logs", "query", "--site", str(site), "--json", "--top", "dport", "--limit", "1").stdout)
    assert top["top"][0]["count"] > 0
    stats = json.loads(cli("logs", "stats", "--site", str(site), "--json").stdout)
    assert stats["events"] == n and stats["by_source"] == [{"source": "zeek", "kind": "flow", "count": n}]


def test_bad_time_expression_is_a_usage_error(tmp_path):
    site = site_dir(tmp_path)
    proc = cli("logs", "query", "--site", str(site), "--when", "the day after tomorrow", check=False)
    assert proc.returncode == 2 and "cannot read the time expression" in proc.stderr


def big_eve_log(path: Path, copies: int) -> int:
    """The surevego sample repeated: large enough for the bulk path; returns events."""
    sample = (SHARED / "samples" / "suricata" / "surevego-testdata" / "eve.json").read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sample * copies)
    return sample.count(b"\n") * copies


@pytest.mark.parametrize("kind", ["zeek", "suricata"])  # per-record path, bulk path
def test_killed_ingest_leaves_the_store_as_it_was_or_complete(tmp_path, kind):
    site = site_dir(tmp_path)
    if kind == "zeek":
        n = big_conn_log(site / "var" / "log" / "zeek" / "conn.log", 1500)  # ~138,000 records: seconds
    else:
        (site / "site.toml").write_text('name = "t"\nroot = "."\n[logs]\nsuricata = ["/var/log/suricata/eve.json"]\n')
        n = big_eve_log(site / "var" / "log" / "suricata" / "eve.json", 2000)  # 532,000 events: ~2 s
    outcomes = set()
    for delay in (0.4, 1.0, 1.8, 2.6):
        proc = subprocess.Popen([sys.executable, "-m", "askzero.cli.main", "logs", "ingest", "--site", str(site)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stats = json.loads(cli("logs", "stats", "--site", str(site), "--json").stdout)
        assert stats["events"] in (0, n), f"half-written store after a kill at {delay} s"
        outcomes.add(stats["events"])
        if stats["events"] == n:
            break
    final = json.loads(cli("logs", "ingest", "--site", str(site), "--json").stdout)
    stats = json.loads(cli("logs", "stats", "--site", str(site), "--json").stdout)
    assert stats["events"] == n
    assert final["files"][0]["events"] in (0, n)
    assert 0 in outcomes  # at least one kill landed mid-ingest
