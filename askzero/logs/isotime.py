"""ISO-8601 timestamps with a UTC offset to POSIX seconds, fast for the form Suricata writes.

Suricata writes ``2017-01-30T16:12:26.985026+0100``: always 31 characters. Millions of them
share the same date, hour, minute and offset, so that part is converted once and cached;
only the seconds are parsed per record. Any other spelling (``Z``, ``+00:00``, no fraction,
no offset) goes through ``datetime.fromisoformat``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from askzero.digits import is_number

# "YYYY-MM-DDTHH:MM:SS" -> (offset "+HHMM", POSIX microseconds of that second at that offset)
_SECONDS: dict[str, tuple[str, int]] = {}
# "YYYY-MM-DDTHH:MM:" + "+HHMM" -> POSIX seconds of that minute at that offset
_MINUTES: dict[str, int] = {}
_MAX_CACHED = 100_000  # entries per cache: about 10 MB each at most
_UTC = timezone.utc


def iso_to_posix(ts: str) -> float | None:
    """POSIX seconds (UTC) of an ISO-8601 timestamp, None when it is not one.
    A timestamp without an offset is taken as UTC (see ``has_offset``)."""
    if len(ts) == 31 and ts[19] == ".":
        second = _SECONDS.get(ts[:19])
        if second is None or not ts.endswith(second[0]):
            second = _second(ts[:19], ts[26:])
        micros = ts[20:26]
        if second is not None and is_number(micros):
            # integer microseconds, then one division: the same float datetime.timestamp() gives
            return (second[1] + int(micros)) / 1e6
    return _general(ts)


def has_offset(ts: str) -> bool:
    """Whether the timestamp names its offset from UTC (``Z``, ``+HHMM``, ``-HH:MM``)."""
    clock = ts[11:]  # after the date, whose dashes are not a sign
    return ts.endswith(("Z", "z")) or "+" in clock or "-" in clock


def _second(prefix: str, offset: str) -> tuple[str, int] | None:
    """The second ``YYYY-MM-DDTHH:MM:SS`` at offset ``+HHMM``, checked field by field."""
    secs = prefix[17:19]
    if not (secs.isdigit() and secs.isascii() and secs < "60"):
        return None
    minute = _MINUTES.get(prefix[:17] + offset)
    if minute is None:
        minute = _minute(prefix[:17], offset)
        if minute is None:
            return None
    if len(_SECONDS) >= _MAX_CACHED:
        _SECONDS.clear()
    entry = _SECONDS[prefix] = (offset, (minute + int(secs)) * 1_000_000)
    return entry


def _minute(prefix: str, offset: str) -> int | None:
    if not (prefix[4] == prefix[7] == "-" and prefix[10] == "T" and prefix[13] == prefix[16] == ":"):
        return None
    sign, off = offset[0], offset[1:]
    if sign not in "+-" or not (off.isdigit() and off.isascii()):
        return None
    parts = (prefix[0:4], prefix[5:7], prefix[8:10], prefix[11:13], prefix[14:16])
    if not all(p.isdigit() and p.isascii() for p in parts):
        return None
    year, month, day, hour, minute = (int(p) for p in parts)
    off_h, off_m = int(off[:2]), int(off[2:])
    if off_h > 23 or off_m > 59:
        return None
    delta = timedelta(hours=off_h, minutes=off_m)
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=timezone(-delta if sign == "-" else delta))
    except ValueError:
        return None
    if len(_MINUTES) >= _MAX_CACHED:
        _MINUTES.clear()
    seconds = _MINUTES[prefix + offset] = int(moment.timestamp())
    return seconds


def _general(ts: str) -> float | None:
    if not 10 <= len(ts) <= 40 or not ts.isascii():
        return None
    if ts[-5:-4] in ("+", "-") and ts[-4:].isdigit() and ts[-3] != ":":
        ts = ts[:-2] + ":" + ts[-2:]  # +HHMM as +HH:MM, which every Python version accepts
    try:
        moment = datetime.fromisoformat(ts)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return moment.timestamp()
