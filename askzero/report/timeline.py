"""The incident timeline: every source's events, bursts collapsed into one cited line each.

A burst is a run of events with the same key (what happened, between which addresses, by
which rule or signature) with no gap longer than ``BURST_GAP``; it becomes one entry such as
"42 packets from 203.0.113.7 to 192.0.2.10 port 22 blocked by rule 8.threat_feeds.0", with
its time span and the records it stands for.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

BURST_GAP = timedelta(minutes=10)
AUTH_FAILURES = ("failed", "invalid-user", "refused")
# a syslog line that changes the loaded configuration: "1 added", "2 addresses deleted", reloads
CONFIG_CHANGE = re.compile(r"\b[1-9]\d* (?:address(?:es)? |entries )?(?:added|removed|deleted)\b|\breload(?:ed|ing)\b"
                           r"|\bconfiguration (?:reloaded|changed)\b", re.I)
# conn states in which the responder answered (Zeek conn.log)
ANSWERED = {"SF", "S1", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "SH", "SHR"}

LANES = ("ids", "auth", "flows", "pflog", "bgp", "config", "response")


@dataclass
class Entry:
    start: datetime
    end: datetime
    count: int
    lane: str  # one of LANES: where it is drawn
    role: str  # attack | detection | containment | response | routing | config | context
    text: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end), "count": self.count, "lane": self.lane,
                "role": self.role, "text": self.text, "citations": self.citations}


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


@lru_cache(maxsize=1)
def _services() -> dict[tuple[int, str], str]:
    out: dict[tuple[int, str], str] = {}
    text = (resources.files("askzero") / "data" / "services.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, port, protos, *_ = line.split("\t")
        for proto in protos.split(","):
            out.setdefault((int(port), proto), name)
    return out


def service(port: int | None, proto: str | None = "tcp") -> str:
    """``ssh/22``: the service name (from services.tsv) and the port."""
    if port is None:
        return "any port"
    name = _services().get((int(port), proto or "tcp"))
    return f"{name}/{port}" if name else f"port {port}"


def citations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One citation per file: the line (or pflog record) range the events span."""
    spans: dict[str, list[int]] = {}
    pflog: set[str] = set()
    for e in events:
        c = e["citation"]
        if "record" in c:
            pflog.add(c["file"])
            n = int(str(c["record"]).split()[-1])
        else:
            n = int(c["line"])
        spans.setdefault(c["file"], []).append(n)
    out = []
    for file, numbers in spans.items():
        lo, hi = min(numbers), max(numbers)
        if file in pflog:
            out.append({"file": file, "record": f"record {lo}" if lo == hi else f"records {lo}-{hi}"})
        elif lo == hi:
            out.append({"file": file, "line": lo})
        else:
            out.append({"file": file, "lines": [lo, hi]})
    return out


def _auth_class(action: str | None) -> str:
    if action in AUTH_FAILURES:
        return "failure"
    return "accepted" if action == "accepted" else "session"


def _flow_state(e: dict[str, Any]) -> str:
    extra = e.get("extra") or {}
    state = extra.get("conn_state")
    if state:
        return "answered" if state in ANSWERED else "unanswered"
    if extra.get("bytes_toclient") is not None:
        return "answered" if extra.get("bytes_toclient", 0) > 0 else "unanswered"
    return ""


def key_of(e: dict[str, Any]) -> tuple:
    kind = e["kind"]
    if kind == "block" or kind == "pass":
        return (kind, e.get("src"), e.get("dst"), e.get("dport"), e.get("rule"), e.get("direction"))
    if kind in ("alert", "drop", "notice", "anomaly"):
        return ("ids", e.get("signature"), e.get("src"), e.get("dst"), e.get("dport"))
    if kind == "flow":
        return ("flow", e["source"], e.get("src"), e.get("dst"), e.get("dport"), e.get("proto"), _flow_state(e))
    if kind == "auth":
        cls = _auth_class(e.get("action"))
        if cls == "accepted":  # every operator action is its own line
            return ("auth-accepted", e["citation"].get("file"), e["citation"].get("line"))
        return ("auth", cls, e.get("src"), e.get("host"))
    if kind == "bgp":
        return ("bgp", e.get("src"))
    if kind == "other":
        return ("other", e["citation"].get("file"), e["citation"].get("line"))
    return (kind, e["source"], e.get("src"), e.get("dst"), e.get("dport"))


def bursts(events: list[dict[str, Any]], gap: timedelta = BURST_GAP) -> list[list[dict[str, Any]]]:
    """Events grouped by key, split where the gap between two exceeds ``gap``."""
    groups: dict[tuple, list[list[dict[str, Any]]]] = {}
    for e in sorted(events, key=lambda e: (e["time"], e["citation"].get("file"), str(e["citation"]))):
        runs = groups.setdefault(key_of(e), [])
        if runs and when(e) - when(runs[-1][-1]) <= gap:
            runs[-1].append(e)
        else:
            runs.append([e])
    return [run for runs in groups.values() for run in runs]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def describe(run: list[dict[str, Any]], names: dict[str, str]) -> tuple[str, str]:
    """(lane, sentence) for one burst; ``names`` gives asset names for addresses."""
    e = run[0]
    n = len(run)

    def addr(a: str | None) -> str:
        return f"{a} ({names[a]})" if a in names else str(a)

    kind = e["kind"]
    if kind in ("block", "pass"):
        verb = "blocked" if kind == "block" else "passed"
        return "pflog", (f"{_plural(n, 'packet')} {e.get('direction') or ''} from {addr(e.get('src'))} to "
                         f"{addr(e.get('dst'))} {service(e.get('dport'), e.get('proto'))} {verb} by rule "
                         f"{e.get('rule')}").replace("  ", " ")
    if kind in ("alert", "drop", "notice", "anomaly"):
        sev = e.get("severity")
        return "ids", (f"{_plural(n, 'IDS alert')} \"{e.get('signature')}\" for {addr(e.get('src'))} -> "
                       f"{addr(e.get('dst'))} {service(e.get('dport'), e.get('proto'))}"
                       + (f" (severity {sev})" if sev else ""))
    if kind == "flow":
        who = {"zeek": "Zeek", "eve": "Suricata"}.get(e["source"], e["source"])
        state = _flow_state(e)
        state_text = {"answered": ", answered", "unanswered": ", no answer"}.get(state, "")
        return "flows", (f"{_plural(n, 'connection')} {addr(e.get('src'))} -> {addr(e.get('dst'))} "
                         f"{service(e.get('dport'), e.get('proto'))} ({who}{state_text})")
    if kind == "auth":
        cls = _auth_class(e.get("action"))
        if cls == "accepted":
            return "response", _accepted(e)
        users = Counter(x.get("user") for x in run if x.get("user"))
        who = f" for {', '.join(u for u, _ in users.most_common(4))}" if users else ""
        what = "failed login" if cls == "failure" else "sshd session message"
        return "auth", f"{_plural(n, what)} from {addr(e.get('src'))}{who} on {e.get('host') or 'the host'}"
    if kind == "bgp":
        return "bgp", _bgp(run)
    if kind == "other":
        extra = e.get("extra") or {}
        return "config", f"{extra.get('program', 'daemon')}: {e.get('message')}"
    return "flows", f"{_plural(n, kind + ' record')} {addr(e.get('src'))} -> {addr(e.get('dst'))}"


def _accepted(e: dict[str, Any]) -> str:
    extra = e.get("extra") or {}
    if extra.get("command"):
        return f"{e.get('user')} ran `{extra['command']}` as {extra.get('target', 'root')} (doas)"
    method = f" ({extra['method']})" if extra.get("method") else ""
    return f"{e.get('user')} logged in{method} from {e.get('src')}"


def _bgp(run: list[dict[str, Any]]) -> str:
    e = run[0]
    extra = e.get("extra") or {}
    peer = e.get("src") or "?"
    name = f"{peer} ({extra['neighbor_descr']})" if extra.get("neighbor_descr") else peer
    changes = [x for x in run if x.get("signature") == "state change"]
    down = next((x for x in changes if (x.get("extra") or {}).get("from") == "Established"), None)
    up = next((x for x in changes if (x.get("extra") or {}).get("to") == "Established"
               and (down is None or x["time"] >= down["time"])), None)
    parts = [f"BGP neighbor {name}:"]
    if down:
        reason = (down.get("extra") or {}).get("reason")
        parts.append(f"session went down at {when(down):%H:%M:%S}" + (f" ({reason})" if reason else ""))
    if up:
        if down:
            secs = int((when(up) - when(down)).total_seconds())
            parts.append(f"and was Established again at {when(up):%H:%M:%S}, {duration(secs)} later")
        else:
            parts.append(f"session Established at {when(up):%H:%M:%S}")
    if not down and not up:
        parts.append(", ".join(sorted({str(x.get("signature")) for x in run})))
    return " ".join(parts) + f"; {_plural(len(run), 'bgpd message')}"


def duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 1:
        return "under 1 s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h} h {m} min"
    if m:
        return f"{m} min {sec} s" if sec else f"{m} min"
    return f"{sec} s"


def build_entries(runs: list[list[dict[str, Any]]], role_of: Any, names: dict[str, str]) -> list[Entry]:
    out = []
    for run in runs:
        lane, text = describe(run, names)
        out.append(Entry(when(run[0]), when(run[-1]), len(run), lane, role_of(run[0]), text,
                         citations(run), run))
    out.sort(key=entry_order)
    return out


def entry_order(x: Entry) -> tuple:
    return (x.start, LANES.index(x.lane) if x.lane in LANES else 99, x.text)
