"""SVG snapshots of every TUI screen at 80x24 and 120x40 (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the report before committing. Nothing shown depends on the clock: the demo logs
have fixed times and the header has no clock.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_textual_snapshot")

from tuihelpers import BLOCKED_FLOW, ask, demo_app, settle  # noqa: E402

SMALL, LARGE = (80, 24), (120, 40)


def steady(run_before):  # noqa: ANN001, ANN201
    """Run the steps, then stop the input cursors blinking: a snapshot taken mid-blink would
    differ from one taken a moment later."""

    async def steps(pilot) -> None:  # noqa: ANN001
        from textual.widgets import Input

        await run_before(pilot)
        for screen in pilot.app.screen_stack:
            for field in screen.query(Input):
                field.cursor_blink = False
        await pilot.pause()

    return steps


async def _asked(pilot) -> None:  # noqa: ANN001
    await ask(pilot)


async def _evidence(pilot) -> None:  # noqa: ANN001
    await ask(pilot)
    await pilot.press("ctrl+o", "enter")
    await settle(pilot)


async def _rules(pilot) -> None:  # noqa: ANN001
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press("tab", "down", "down", "down", "down", "down", "down", "down")  # to rule 7
    await settle(pilot)


async def _rules_anchor(pilot) -> None:  # noqa: ANN001
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press("down", "down", "down", "down")  # the threat_feeds anchor
    await settle(pilot)


async def _packet(pilot) -> None:  # noqa: ANN001
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press(*BLOCKED_FLOW, "enter")
    await settle(pilot)


async def _events(pilot) -> None:  # noqa: ANN001
    await pilot.press("f5")
    await settle(pilot)
    await pilot.press(*"203.0.113.7", "enter")
    await settle(pilot)


async def _postmortem(pilot) -> None:  # noqa: ANN001
    await pilot.press("f6")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def _help(pilot) -> None:  # noqa: ANN001
    await settle(pilot)
    await pilot.press("f1")
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_chat_answer(snap_compare, size) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=size, run_before=steady(_asked))


def test_evidence_pane(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=steady(_evidence))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_rules(snap_compare, size) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=size, run_before=steady(_rules))


def test_rules_anchor(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=steady(_rules_anchor))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_packet_tester(snap_compare, size) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=size, run_before=steady(_packet))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_events(snap_compare, size) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=size, run_before=steady(_events))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_postmortem(snap_compare, size) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=size, run_before=steady(_postmortem))


def test_help(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo_app(), terminal_size=SMALL, run_before=steady(_help))
