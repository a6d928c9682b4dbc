"""The command line: answers, JSON contracts, errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from askzero.cli.main import main
from conftest import DEMO, ROOT

QUESTION = "Why is 203.0.113.7 blocked?"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_no_llm_answer_cites_rule_table_and_intel(capsys):
    code, out, err = run(capsys, "--site", "demo", "--no-llm", QUESTION)
    assert code == 0, err
    assert "rule 8.threat_feeds.0" in out and 'anchor "threat_feeds"' in out
    assert "block drop in log quick from <threat_feeds> to any" in out
    assert "etc/pf.conf:39" in out and "etc/pf/threat_feeds.txt:4" in out
    assert "c2-server" in out


def test_json_answer_has_contract_fields(capsys):
    code, out, _ = run(capsys, "--site", "demo", "--no-llm", "--json", QUESTION)
    data = json.loads(out)
    assert code == 0
    assert {"answer", "citations", "evidence", "tools", "timings"} <= data.keys()
    cited = {(c["file"], c.get("line")) for c in data["citations"]}
    assert ("etc/pf.conf", 39) in cited and ("etc/pf/threat_feeds.txt", 4) in cited
    assert data["tools"][0]["name"] == "explain_address"
    assert data["model"] is None and data["phrased_by"] == "composer"


def test_unknown_question_is_answered_honestly(capsys):
    code, out, _ = run(capsys, "--site", "demo", "--no-llm", "What is the capital of France?")
    assert code == 0
    assert out.startswith("I can't answer that from this site's data") and "blocked" in out


def test_address_unknown_to_the_site(capsys):
    code, out, _ = run(capsys, "--site", "demo", "--no-llm", "Why is 198.51.100.99 blocked?")
    assert code == 0
    assert "198.51.100.99 is not blocked: it is passed by rule" in out or "198.51.100.99" in out


def test_missing_site_exit_code(capsys):
    code, _, err = run(capsys, "--site", "/nonexistent/site", "--no-llm", QUESTION)
    assert code == 3 and "site not found" in err


def test_unreadable_pf_conf_exit_code(capsys, tmp_path):
    (tmp_path / "etc").mkdir()
    code, _, err = run(capsys, "--site", str(tmp_path), "--no-llm", QUESTION)
    assert code == 4 and "etc/pf.conf" in err and "no such file" in err


def test_ruleset_errors_are_printed_like_pfctl(capsys, tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/pf.conf").write_text("pass in\nfrobnicate\n")
    code, _, err = run(capsys, "--site", str(tmp_path), "--no-llm", QUESTION)
    assert code == 1 and err.strip() == "etc/pf.conf:2: syntax error"


def test_pf_test_json_contract(capsys):
    code, out, _ = run(capsys, "pf", "test", "--json", "--root", str(DEMO), "--host", str(DEMO / "etc/host.toml"),
                       "/etc/pf.conf", "in on em0 inet proto tcp from 203.0.113.7 port 40000 to 192.0.2.10 port 22")
    data = json.loads(out)
    assert code == 0
    assert (data["action"], data["decision"]) == ("block", "rule")
    assert data["rule"] == {"number": "8.threat_feeds.0", "action": "block", "file": "etc/pf.conf", "line": 39,
                            "text": "block drop in log quick from <threat_feeds> to any", "anchor": "threat_feeds",
                            "macros": [], "expansion": [1, 1]}
    assert [t["number"] for t in data["trace"]] == ["0", "2", "8", "8.threat_feeds.0"]


def test_pf_test_skip_and_default(capsys):
    args = ["pf", "test", "--json", "--root", str(DEMO), "--host", str(DEMO / "etc/host.toml"), "/etc/pf.conf"]
    _, out, _ = run(capsys, *args, "in on lo0 proto tcp from 127.0.0.1 port 1 to 127.0.0.1 port 22")
    assert json.loads(out)["decision"] == "skip" and json.loads(out)["rule"]["line"] == 26


def test_macros_from_the_command_line_win(capsys, tmp_path):
    (tmp_path / "pf.conf").write_text('ext = "em9"\npass in on $ext\n')
    code, out, _ = run(capsys, "pf", "show", "-D", "ext=em0", str(tmp_path / "pf.conf"))
    assert code == 0 and out == 'ext = "em9"\npass in on em0 all flags S/SA\n'


def test_bad_flow_is_a_usage_error(capsys):
    code, _, err = run(capsys, "pf", "test", "--root", str(DEMO), "/etc/pf.conf", "sideways on em0")
    assert code == 2 and "flow" in err


def _guarded_env(log: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent / "netguard"), str(ROOT)])
    env["NETGUARD_LOG"] = str(log)
    return env


@pytest.mark.integration
def test_main_job_makes_no_network_connection(tmp_path):
    """The demo question, with the real model, under an audit hook that refuses sockets."""
    log = tmp_path / "net.log"
    proc = subprocess.run([sys.executable, "-m", "askzero.cli.main", "--site", "demo", QUESTION],
                          capture_output=True, text=True, env=_guarded_env(log), timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "8.threat_feeds.0" in proc.stdout
    assert not log.exists() or log.read_text() == ""


def test_network_guard_really_refuses(tmp_path):
    """The guard itself works: a connection attempt is seen and refused."""
    log = tmp_path / "net.log"
    code = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError as e:\n    print(e)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_guarded_env(log))
    assert "network access refused" in proc.stdout
    assert "socket" in log.read_text()


def test_model_not_installed_exit_code(capsys):
    code, _, err = run(capsys, "--site", "demo", "--model", "qwen2.5-1.5b", QUESTION)
    assert code == 5 and "ask-zero models pull qwen2.5-1.5b" in err


def test_unknown_model_exit_code(capsys):
    code, _, err = run(capsys, "--site", "demo", "--model", "no-such-model", QUESTION)
    assert code == 5 and "no-such-model" in err


def test_corrupt_model_exit_code(capsys):
    from askzero.models.registry import load_registry
    from askzero.models.store import pulled_path

    path = pulled_path(load_registry().get(None))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * 1024)
    code, _, err = run(capsys, "--site", "demo", QUESTION)
    assert code == 5 and "corrupt" in err and "sha256" in err


@pytest.mark.integration
def test_demo_question_with_the_embedded_model(capsys):
    """The real path: pf evaluation, evidence, SmolLM2 through llama-cpp-python, the guard."""
    from askzero.assistant import guard

    code, out, err = run(capsys, "--site", "demo", "--json", QUESTION)
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "smollm2-135m"
    assert data["timings"]["llm"] > 0 and data["timings"]["model_load"] > 0
    evidence = [e["summary"] for e in data["evidence"]]
    allowed = set().union(*(guard.entities.facts(s) for s in evidence), guard.entities.facts(QUESTION))
    for sentence in data["guard"]["kept"]:  # every kept sentence's facts are in the evidence
        assert guard.entities.facts(sentence) <= allowed | {f.split(".")[0] for f in allowed}
    for needed in ("8.threat_feeds.0", "etc/pf.conf:39", "etc/pf/threat_feeds.txt:4", "c2-server"):
        assert needed in data["answer"]
    if data["lead"]:
        assert data["answer"].startswith(data["lead"]) and data["phrased_by"] == "model"


@pytest.mark.integration
def test_streamed_answer_on_the_terminal(capsys):
    code, out, _ = run(capsys, "--site", "demo", QUESTION)
    assert code == 0
    assert "Evidence:\n[1] pf blocks" in out and "rule 8.threat_feeds.0" in out
