"""Drive the real program in tmux as a person would: start ``ask-zero tui`` on the demo site,
type the question, read the cited answer off the screen, quit.

The tmux server runs on its own socket so the test neither sees nor disturbs anyone else's
sessions, and it is killed at the end whatever happened.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("textual")

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Why is 203.0.113.7 blocked?"


def _tmux(socket: str, *args: str) -> subprocess.CompletedProcess:
    # the server inherits this environment; COLUMNS and LINES (set under pytest) would
    # override the pane's real size in Textual, so they are left out
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=20, env=env)


def _screen(socket: str) -> str:
    return _tmux(socket, "capture-pane", "-p", "-t", "tui").stdout


def _wait_for(socket: str, *needles: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(socket)
        if all(n in screen for n in needles):
            return screen
        time.sleep(0.25)
    raise AssertionError(f"never saw {needles!r} on the screen; last screen:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_person_asks_in_tmux_and_reads_the_cited_answer(tmp_path: Path) -> None:
    socket = f"askzero-test-{os.getpid()}"
    command = (f"cd {shlex.quote(str(ROOT))} && ASKZERO_HOME={shlex.quote(str(tmp_path))} "
               f"{shlex.quote(sys.executable)} -m askzero.cli.main tui --site demo --no-llm")
    # no redirection: Textual draws on stderr
    started = _tmux(socket, "new-session", "-d", "-s", "tui", "-x", "120", "-y", "40", command)
    assert started.returncode == 0, started.stderr
    try:
        # the placeholder shows once the interface is drawn and reading keys
        _wait_for(socket, "Ask: Why is", "f1 Help")
        _tmux(socket, "send-keys", "-t", "tui", "-l", QUESTION)
        _wait_for(socket, QUESTION)
        _tmux(socket, "send-keys", "-t", "tui", "Enter")
        screen = _wait_for(socket, "8.threat_feeds.0", "etc/pf.conf:39", "[1] etc/pf.conf:39")
        assert f"› {QUESTION}" in screen and "Traceback" not in screen
        assert "answer from the evidence" in screen
        assert max(len(line) for line in screen.splitlines()) > 80  # drawn at the pane's 120 columns
        # the first citation opens on the cited line
        _tmux(socket, "send-keys", "-t", "tui", "C-o")
        time.sleep(0.3)
        _tmux(socket, "send-keys", "-t", "tui", "Enter")
        screen = _wait_for(socket, "▶39 │")
        assert "block in quick log from <threat_feeds> to any" in screen
        _tmux(socket, "send-keys", "-t", "tui", "Escape")
        _wait_for(socket, "Ctrl+O, then Enter to open one")
        _tmux(socket, "send-keys", "-t", "tui", "C-q")
        deadline = time.monotonic() + 20
        while _tmux(socket, "has-session", "-t", "tui").returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _tmux(socket, "has-session", "-t", "tui").returncode != 0, "ask-zero tui did not quit on Ctrl+Q"
    finally:
        _tmux(socket, "kill-server")
