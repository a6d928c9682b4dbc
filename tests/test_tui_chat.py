"""Pilot-driven tests of the chat screen: answers, citations, the evidence pane, the model."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("textual")

from textual.widgets import Input, OptionList  # noqa: E402

from askzero.tui.chat import ChatScreen, Exchange  # noqa: E402
from askzero.tui.evidence_screen import EvidenceScreen  # noqa: E402
from askzero.tui.help import HelpScreen  # noqa: E402
from tuihelpers import QUESTION, FakeLLM, ask, demo_app, run, settle  # noqa: E402


# -- chat --------------------------------------------------------------------------------


def test_chat_answers_with_rule_and_citations() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(pilot)
            exchange = app.screen.query_one(Exchange)
            assert exchange.question == QUESTION
            assert "8.threat_feeds.0" in exchange.text and "etc/pf.conf:39" in exchange.text
            citations = exchange.query_one(OptionList)
            labels = [str(citations.get_option_at_index(i).prompt) for i in range(citations.option_count)]
            assert labels[0].startswith("[1] etc/pf.conf:39")
            assert any("etc/pf/threat_feeds.txt:4" in label for label in labels)
            assert "answer from the evidence" in exchange.status
            # the question box is free again for the next question
            assert app.screen.query_one("#question", Input).value == ""
            assert app.focused is app.screen.query_one("#question", Input)

    run(go())


def test_citation_opens_evidence_pane_with_cited_line_highlighted() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await ask(pilot)
            await pilot.press("ctrl+o", "enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, EvidenceScreen)
            assert str(screen.citation) == "etc/pf.conf:39"
            assert screen.excerpt is not None and screen.excerpt.cited == {39}
            assert screen.excerpt.language == "pf"
            shown = str(screen.query_one("#evidence-lines").render())
            marked = [line for line in shown.splitlines() if line.startswith("▶")]
            assert len(marked) == 1 and marked[0].startswith("▶39 │ ")
            assert marked[0].endswith("block in quick log from <threat_feeds> to any")
            # the cited line is scrolled into view, a few lines of context above it
            assert screen.query_one("#evidence-scroll").scroll_y > 0
            assert "```" in screen.to_markdown() and ">> 39" in screen.to_markdown()
            await pilot.press("escape")
            assert isinstance(app.screen, ChatScreen)

    run(go())


def test_record_citation_shows_decoded_pflog_records() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(pilot)
            exchange = app.screen.query_one(Exchange)
            index = next(i for i, ev in enumerate(exchange.answer.evidence) if ev.citation.record)
            await pilot.press("ctrl+o", *["down"] * index, "enter")
            await settle(pilot)
            excerpt = app.screen.excerpt
            assert str(app.screen.citation) == "var/log/pflog (records 7-145)"
            assert {7, 145} <= excerpt.cited
            assert "rule 8.threat_feeds.0" in excerpt.lines[7 - excerpt.first]

    run(go())


def test_unknown_question_says_what_it_can_answer() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await ask(pilot, "what is the weather")
            exchange = app.screen.query_one(Exchange)
            assert "can't answer" in exchange.text
            assert exchange.status == "no evidence found"
            assert not exchange.query_one(OptionList).display

    run(go())


def test_model_lead_is_streamed_and_guarded() -> None:
    llm = FakeLLM(["203.0.113.7 is blocked ", "by rule 8.threat_feeds.0. ", "It was seen from 198.51.100.99. "])

    async def go() -> None:
        app = demo_app(llm)
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(pilot)
            exchange = app.screen.query_one(Exchange)
            assert exchange.text.startswith("203.0.113.7 is blocked by rule 8.threat_feeds.0.")
            assert "198.51.100.99" not in exchange.text  # an address not in the evidence: dropped
            assert exchange.status.startswith(
                "phrased by fake-model, checked against the evidence; 1 model sentence dropped by the guard")

    run(go())


def test_escape_stops_the_model_and_the_evidence_answer_follows() -> None:
    llm = FakeLLM(["203.0.113.7 is blocked. "] * 200, delay=0.05)

    async def go() -> None:
        app = demo_app(llm)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press(*QUESTION, "enter")
            for _ in range(100):  # until the model has started streaming
                await pilot.pause(0.02)
                if app.screen.query_one(Exchange).lead:
                    break
            # the interface keeps running while the model talks: keys are handled
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.press("escape")
            exchange = app.screen.query_one(Exchange)
            for _ in range(100):  # the cancelled thread ends at the model's next piece
                await settle(pilot)
                if exchange.answer is not None:
                    break
            assert exchange.status.startswith("model stopped")
            assert "8.threat_feeds.0" in exchange.text
            assert llm.closed and llm.served < 150  # the model stopped (all 200 would take 10 s)

    run(go())


def test_quit_mid_answer_stops_the_model_at_once() -> None:
    # no sentence ever ends, so the guard lets nothing through: only the token check can stop it
    llm = FakeLLM(["Blocked by rule 8.threat_feeds.0 "] * 400, delay=0.05)

    async def go() -> float:
        app = demo_app(llm)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press(*QUESTION, "enter")
            for _ in range(100):
                await pilot.pause(0.02)
                if llm.served > 5:
                    break
            await pilot.press("ctrl+q")
            return time.monotonic()

    quit_at = run(go())
    assert time.monotonic() - quit_at < 8  # the rest of the 400 pieces would take 20 s
    assert llm.closed and llm.served < 400


def test_up_recalls_earlier_questions() -> None:
    async def go() -> None:
        app = demo_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await ask(pilot)
            await ask(pilot, "What do we know about 198.51.100.77?")
            field = app.screen.query_one("#question", Input)
            await pilot.press("up")
            assert field.value == "What do we know about 198.51.100.77?"
            await pilot.press("up", "up")
            assert field.value == QUESTION
            await pilot.press("down", "down")
            assert field.value == ""

    run(go())


class BrokenLLM(FakeLLM):
    def stream_chat(self, messages, max_tokens=96):  # noqa: ANN001, ANN201
        yield "203.0.113.7 is blocked. "
        raise RuntimeError("llama_decode returned -3")


def test_model_failure_still_gives_the_evidence_answer() -> None:
    async def go() -> None:
        app = demo_app(BrokenLLM([]))
        async with app.run_test(size=(80, 24)) as pilot:
            await ask(pilot)
            exchange = app.screen.query_one(Exchange)
            assert exchange.status.startswith("model failed (llama_decode returned -3)")
            assert "8.threat_feeds.0" in exchange.text

    run(go())


# -- the real model ----------------------------------------------------------------------


@pytest.mark.integration
def test_real_model_phrases_in_a_worker_and_evidence_follows() -> None:
    pytest.importorskip("llama_cpp")
    from askzero.site import load_site
    from askzero.tui.app import AskZeroApp
    from askzero.tui.session import Session

    async def go() -> None:
        app = AskZeroApp(Session(load_site("demo")))
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(pilot)
            exchange = app.screen.query_one(Exchange)
            for _ in range(600):  # SmolLM2 writes its 96 tokens in a few seconds
                if exchange.answer is not None:
                    break
                await pilot.pause(0.1)
            assert exchange.answer is not None and exchange.answer.model == "smollm2-135m"
            assert "8.threat_feeds.0" in exchange.text and "etc/pf.conf:39" in exchange.text
            assert exchange.text.endswith(exchange.answer.summary)

    run(go())
