"""Human time expressions, each checked against the window a person means by it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from askzero.logs.timeexpr import TimeExpressionError, parse_moment, parse_window

NOW = datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)


def w(text: str) -> tuple[str | None, str | None]:
    window = parse_window(text, NOW).to_dict()
    return window["since"], window["until"]


@pytest.mark.parametrize("text, since, until", [
    ("last hour", "2026-11-20T01:30:00Z", "2026-11-20T02:30:00Z"),
    ("last 30 minutes", "2026-11-20T02:00:00Z", "2026-11-20T02:30:00Z"),
    ("past 24h", "2026-11-19T02:30:00Z", "2026-11-20T02:30:00Z"),
    ("2h", "2026-11-20T00:30:00Z", "2026-11-20T02:30:00Z"),
    ("last 2 days", "2026-11-18T02:30:00Z", "2026-11-20T02:30:00Z"),
    ("today", "2026-11-20T00:00:00Z", "2026-11-20T02:30:00Z"),
    ("yesterday", "2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"),
    ("yesterday 14:00-15:00", "2026-11-19T14:00:00Z", "2026-11-19T15:00:00Z"),
    ("yesterday from 23:00 to 01:00", "2026-11-19T23:00:00Z", "2026-11-20T01:00:00Z"),
    ("hier 14h-15h", "2026-11-19T14:00:00Z", "2026-11-19T15:00:00Z"),
    ("dernière heure", "2026-11-20T01:30:00Z", "2026-11-20T02:30:00Z"),
    ("les 2 dernières heures", "2026-11-20T00:30:00Z", "2026-11-20T02:30:00Z"),
    ("2026-11-20 01:00 to 03:00", "2026-11-20T01:00:00Z", "2026-11-20T03:00:00Z"),
    ("2026-11-20T01:58:00Z - 2026-11-20T02:15:00Z", "2026-11-20T01:58:00Z", "2026-11-20T02:15:00Z"),
    ("2026-11-20T03:58:00+02:00 to 2026-11-20T04:15:00+02:00", "2026-11-20T01:58:00Z", "2026-11-20T02:15:00Z"),
    ("between 01:58 and 02:15", "2026-11-20T01:58:00Z", "2026-11-20T02:15:00Z"),
    ("22:00-02:00", "2026-11-19T22:00:00Z", "2026-11-20T02:00:00Z"),  # last night, asked at 02:30
    ("since 2026-11-19", "2026-11-19T00:00:00Z", None),
    ("depuis 01:00", "2026-11-20T01:00:00Z", None),
    ("until 01:00", None, "2026-11-20T01:00:00Z"),
    ("2026-11-19", "2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"),
    ("2026-11-18 to 2026-11-19", "2026-11-18T00:00:00Z", "2026-11-20T00:00:00Z"),
])
def test_windows(text, since, until):
    assert w(text) == (since, until)


@pytest.mark.parametrize("text", ["", "hour", "the day after tomorrow", "25:00-26:00 yesterday",
                                  "2026-11-20 03:00 to 2026-11-20 01:00", "yesterday 25:00-26:00"])
def test_unreadable_expressions_are_errors(text):
    with pytest.raises(TimeExpressionError):
        parse_window(text, NOW)


def test_moments():
    assert parse_moment("2 hours ago", NOW) == datetime(2026, 11, 20, 0, 30, tzinfo=timezone.utc)
    assert parse_moment("2026-11-20 01:00", NOW) == datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
    assert parse_moment("01:15", NOW) == datetime(2026, 11, 20, 1, 15, tzinfo=timezone.utc)
    assert parse_moment("now", NOW) == NOW
