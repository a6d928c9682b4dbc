"""Logs in the index: one summary chunk per log file and day, cited by file and lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from rag_support import embed_env, onnx_file  # noqa: F401 - fixtures

AUTHLOG = """\
Nov 19 23:58:01 gw1 sshd[101]: Failed password for root from 203.0.113.7 port 40001 ssh2
Nov 19 23:59:01 gw1 sshd[102]: Failed password for root from 203.0.113.7 port 40002 ssh2
Nov 20 00:00:05 gw1 sshd[103]: Failed password for admin from 198.51.100.9 port 40003 ssh2
"""


@pytest.fixture
def log_site(tmp_path: Path) -> Path:
    pytest.importorskip("duckdb")
    site = tmp_path / "site"
    (site / "var" / "log").mkdir(parents=True)
    (site / "var" / "log" / "authlog").write_text(AUTHLOG)
    (site / "site.toml").write_text('name = "logsite"\nroot = "."\n[logs]\nauthlog = ["/var/log/authlog"]\n'
                                    '[rag]\nknowledge = "no-knowledge-here"\n')
    from askzero.cli.main import main

    assert main(["logs", "ingest", "--site", str(site)]) == 0
    return site


def test_summaries_per_file_and_day(log_site: Path) -> None:
    from askzero.rag.logsummary import store_path, summarize
    from askzero.site import load_site

    chunks = summarize(store_path(load_site(str(log_site))))
    assert [(c.file, c.heading[-6:], c.start, c.end, c.kind) for c in chunks] == [
        ("var/log/authlog", "-11-19", 1, 2, "logs"),
        ("var/log/authlog", "-11-20", 3, 3, "logs"),
    ]
    first = chunks[0].text
    assert first.startswith("2 events in var/log/authlog (syslog) on ")
    assert "Top sources: 203.0.113.7 (2)." in first and "root (2)" in first


def test_log_summaries_are_searchable_and_refreshed(log_site: Path, embed_env: Path) -> None:  # noqa: F811
    from askzero.rag import search

    hit = search(str(log_site), "failed ssh logins from 203.0.113.7", k=1, kind="logs")[0]
    assert (hit.file, hit.lines, hit.framework) == ("var/log/authlog", (1, 2), "syslog")

    with open(log_site / "var" / "log" / "authlog", "a") as fh:
        fh.write("Nov 20 00:10:00 gw1 sshd[104]: Accepted publickey for ops from 192.0.2.50 port 5000 ssh2\n")
    from askzero.cli.main import main

    assert main(["logs", "ingest", "--site", str(log_site)]) == 0
    hits = search(str(log_site), "accepted publickey for ops", k=2, kind="logs")
    day2 = next(h for h in hits if h.heading.endswith("-11-20"))
    assert day2.lines == (3, 4) and "192.0.2.50 (1)" in day2.text
