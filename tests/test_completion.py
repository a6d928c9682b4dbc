"""Shell completion, as click provides it to the installed ask-zero command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# the console script pip installed next to this interpreter (make install puts it there)
ASK_ZERO = str(Path(sys.executable).parent / "ask-zero")


@pytest.mark.parametrize("words, cword, expected", [
    ("ask-zero lo", 1, "plain,logs"),
    ("ask-zero logs q", 2, "plain,query"),
    ("ask-zero pf ex", 2, "plain,explain-log"),
])
def test_bash_completion(words, cword, expected):
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_ASK_ZERO_COMPLETE": "bash_complete"}
    out = subprocess.run([ASK_ZERO], env=env, capture_output=True, text=True).stdout.split()
    assert expected in out


def test_completion_script_for_bash_and_zsh():
    for shell in ("bash", "zsh"):
        env = {**os.environ, "_ASK_ZERO_COMPLETE": f"{shell}_source"}
        script = subprocess.run([ASK_ZERO], env=env, capture_output=True, text=True).stdout
        assert "_ask_zero_completion" in script
