"""Helpers shared by the TUI tests: build the app on the demo site and wait for its workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from typing import Any

from askzero.site import load_site
from askzero.tui.app import AskZeroApp
from askzero.tui.session import Session

QUESTION = "Why is 203.0.113.7 blocked?"
BLOCKED_FLOW = "in on em0 proto tcp from 203.0.113.7 port 40000 to 192.0.2.10 port 22"


def run(coro: Coroutine) -> Any:
    """No pytest-asyncio here: each test runs its own loop."""
    return asyncio.run(coro)


def demo_app(llm: Any = None) -> AskZeroApp:
    """The app on the demo site: evidence-only answers, or phrased by the stand-in ``llm``."""
    return AskZeroApp(Session(load_site("demo"), no_llm=llm is None, llm=llm))


async def settle(pilot: Any) -> None:
    """Let every worker finish and the screen catch up with what they posted."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def ask(pilot: Any, question: str = QUESTION) -> None:
    await settle(pilot)
    await pilot.press(*question)
    await pilot.press("enter")
    await settle(pilot)


class FakeLLM:
    """Stands in for LocalLLM: streams fixed pieces, optionally slowly (to test Escape)."""

    def __init__(self, pieces: list[str], delay: float = 0.0) -> None:
        self.pieces = pieces
        self.delay = delay
        self.name = "fake-model"
        self.closed = False
        self.served = 0  # pieces handed out: shows how soon a cancelled stream ended

    def stream_chat(self, messages: Any, max_tokens: int = 96) -> Iterator[str]:
        try:
            for piece in self.pieces:
                if self.delay:
                    time.sleep(self.delay)
                self.served += 1
                yield piece
        finally:
            self.closed = True
