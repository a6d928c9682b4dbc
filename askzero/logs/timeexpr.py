"""Human time expressions, parsed in one place: "last hour", "yesterday 14:00-15:00".

Every function takes ``now`` so that tests, and questions about a site whose logs end in the
past, can anchor the expression. Times without a zone are UTC, like the store. French forms
are accepted for the words operators type ("hier", "dernière heure", "depuis").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

UNITS = {
    "s": 1, "sec": 1, "second": 1, "seconde": 1,
    "m": 60, "min": 60, "minute": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "heure": 3600,
    "d": 86400, "day": 86400, "jour": 86400, "j": 86400,
    "w": 604800, "week": 604800, "semaine": 604800,
}
WORDS = {"today": 0, "aujourd'hui": 0, "aujourdhui": 0, "yesterday": 1, "hier": 1}

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "une": 1, "un": 1}
_UNIT = r"(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")s?"
_FILLER = {"last", "past", "the", "over", "in", "les", "la", "le", "dernière", "dernières",
           "dernier", "derniers", "derniere", "dernieres"}
_LAST = re.compile(r"^(?P<n>\d+|a|an|one|une|un)?\s*" + _UNIT + "$")
_CLOCK = r"\d{1,2}(?::\d{2}(?::\d{2})?|h\d{0,2})"
_DAY_RANGE = re.compile(
    rf"^(?P<day>\S+)(?:\s+(?:from|de|between|entre)?\s*(?P<a>{_CLOCK})\s*(?:-|to|à|a|and|et)\s*(?P<b>{_CLOCK}))?$", re.I)
_DATE = r"\d{4}-\d{2}-\d{2}"
_STAMP = rf"{_DATE}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?)?(?:Z|[+-]\d{{2}}:?\d{{2}})?"
_RANGE = re.compile(
    rf"^(?:from|between|du|entre)?\s*(?P<a>{_STAMP}|{_CLOCK})\s*(?:-|to|until|and|au|à|et)\s*(?P<b>{_STAMP}|{_CLOCK})$", re.I)
_SINCE = re.compile(rf"^(?:since|after|depuis|après)\s+(?P<a>{_STAMP}|{_CLOCK})$", re.I)
_UNTIL = re.compile(rf"^(?:until|before|avant|jusqu'à)\s+(?P<a>{_STAMP}|{_CLOCK})$", re.I)
_AT = re.compile(rf"^(?:on|at|le)?\s*(?P<a>{_STAMP})$", re.I)


class TimeExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval; either end may be open."""

    since: datetime | None
    until: datetime | None

    def to_dict(self) -> dict[str, str | None]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat().replace("+00:00", "Z")

        return {"since": iso(self.since), "until": iso(self.until)}


def parse_window(text: str, now: datetime | None = None) -> Window:
    """The window an expression names, relative to ``now`` (default: the current time)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    expr = " ".join(text.strip().lower().replace("’", "'").split())
    if not expr:
        raise TimeExpressionError("empty time expression")
    words = expr.split()
    kept = " ".join(w for w in words if w not in _FILLER)
    match = _LAST.match(kept)
    if match and (match["n"] or len(kept) < len(expr)):
        number = match["n"] or "1"
        count = _NUMBER_WORDS.get(number) or int(number)
        return Window(now - timedelta(seconds=count * UNITS[match["unit"]]), now)
    match = _DAY_RANGE.match(expr)
    if match and match["day"] in WORDS:
        day = now.date() - timedelta(days=WORDS[match["day"]])
        if match["a"]:
            start = _at(day, match["a"])
            end = _at(day, match["b"])
            if end <= start:
                end += timedelta(days=1)
            return Window(start, end)
        start = datetime.combine(day, time(), timezone.utc)
        return Window(start, min(start + timedelta(days=1), now) if day == now.date() else start + timedelta(days=1))
    match = _RANGE.match(expr)
    if match:
        start = _moment(match["a"], now)
        if _is_clock(match["a"]) and start > now:
            start -= timedelta(days=1)  # "22:00-02:00" asked at 02:30 means last night
        end = _moment(match["b"], start, end_of_day=True)
        if end <= start and _is_clock(match["b"]):
            end += timedelta(days=1)
        if end <= start:
            raise TimeExpressionError(f"the window ends before it starts: {text!r}")
        return Window(start, end)
    match = _SINCE.match(expr)
    if match:
        return Window(_moment(match["a"], now), None)
    match = _UNTIL.match(expr)
    if match:
        return Window(None, _moment(match["a"], now))
    match = _AT.match(expr)
    if match:
        start = _moment(match["a"], now)
        if re.fullmatch(_DATE, match["a"]):
            return Window(start, start + timedelta(days=1))
        return Window(start, start + timedelta(minutes=1))
    raise TimeExpressionError(
        f"cannot read the time expression {text!r}; try \"last hour\", \"last 30 minutes\", "
        "\"yesterday 14:00-15:00\", \"2026-11-20 01:00 to 03:00\" or \"since 2026-11-20\"")


def parse_moment(text: str, now: datetime | None = None) -> datetime:
    """One point in time: an ISO date or timestamp, a clock time today, or "N units ago"."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    expr = text.strip().lower()
    ago = re.fullmatch(r"(\d+)\s*" + _UNIT + r"\s+ago", expr)
    if ago:
        return now - timedelta(seconds=int(ago[1]) * UNITS[ago["unit"]])
    if expr in ("now", "maintenant"):
        return now
    if re.fullmatch(_STAMP, expr, re.I) or re.fullmatch(_CLOCK, expr):
        return _moment(expr, now)
    return parse_window(text, now).since or now


def _moment(text: str, reference: datetime, end_of_day: bool = False) -> datetime:
    """An ISO timestamp, or a clock time on the reference's day."""
    if _is_clock(text):
        return _at(reference.date(), text)
    value = text.upper().replace(" ", "T")
    if re.fullmatch(_DATE, text):
        day = date.fromisoformat(text)
        start = datetime.combine(day, time(), timezone.utc)
        return start + timedelta(days=1) if end_of_day else start
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TimeExpressionError(f"not a valid time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _is_clock(text: str) -> bool:
    return re.fullmatch(_CLOCK, text) is not None


def _at(day: date, clock: str) -> datetime:
    parts = [int(p) for p in re.split(r"[:h]", clock) if p]
    hour, minute, second = (parts + [0, 0])[:3]
    if hour > 24 or minute > 59 or second > 59:
        raise TimeExpressionError(f"not a valid time of day: {clock!r}")
    if hour == 24:
        return datetime.combine(day, time(), timezone.utc) + timedelta(days=1)
    return datetime.combine(day, time(hour, minute, second), timezone.utc)
