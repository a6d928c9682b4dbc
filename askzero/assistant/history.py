"""Conversation history: every answered question, in SQLite under ASKZERO_HOME.

``ask-zero history`` lists it; ``ask-zero -c "and on port 22?"`` continues the last
conversation: what the new question leaves out (the address, the port, the window, even
what is being asked) is taken from the turn before.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from askzero.assistant.router import Route
from askzero.logs.timeexpr import Window
from askzero.paths import data_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
  id INTEGER PRIMARY KEY,
  conversation INTEGER NOT NULL,
  asked_at REAL NOT NULL,
  site TEXT NOT NULL,
  question TEXT NOT NULL,
  route TEXT NOT NULL,      -- JSON: intent, addresses, ports, window, signature
  answer TEXT NOT NULL      -- JSON: the answer as --json prints it
);
"""


def history_path() -> Path:
    return data_dir() / "history.sqlite"


def _connect() -> sqlite3.Connection:
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    return con


def record(answer: Any, continued: bool) -> int:
    """Store an answered turn; returns its conversation number."""
    with _connect() as con:
        last = con.execute("SELECT max(conversation) FROM turns").fetchone()[0] or 0
        conversation = last if continued and last else last + 1
        con.execute("INSERT INTO turns (conversation, asked_at, site, question, route, answer) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (conversation, time.time(), answer.site, answer.question,
                     json.dumps(answer.route.to_dict()), json.dumps(answer.to_dict(), default=str)))
    return conversation


def last_route(site: str) -> Route | None:
    """The route of the latest turn on this site, to continue from."""
    if not history_path().exists():
        return None
    with _connect() as con:
        row = con.execute("SELECT route FROM turns WHERE site = ? ORDER BY id DESC LIMIT 1", (site,)).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    window = data.get("window")
    return Route(data["intent"], data.get("addresses", []), data.get("ports", []),
                 _window(window) if window else None, data.get("signature"), data.get("extra", {}))


def turns(limit: int = 20) -> list[dict[str, Any]]:
    if not history_path().exists():
        return []
    with _connect() as con:
        rows = con.execute("SELECT id, conversation, asked_at, site, question, route, answer FROM turns "
                           "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    out = []
    for tid, conv, at, site, question, route, answer in reversed(rows):
        data = json.loads(answer)
        out.append({"id": tid, "conversation": conv, "asked_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)),
                    "site": site, "question": question, "intent": json.loads(route)["intent"],
                    "summary": data.get("summary", "")})
    return out


def continue_route(new: Route, previous: Route | None) -> Route:
    """The new question's route, with what it leaves out taken from the previous one."""
    if previous is None:
        return new
    intent = new.intent if new.intent != "unknown" else previous.intent
    if new.intent == "lookup_address" and previous.intent in ("why_blocked", "why_allowed"):
        intent = previous.intent  # "and 198.51.100.23?" asks the same about another address
    if intent == "unknown" or intent != previous.intent:
        return new  # a complete question of another kind: nothing to carry over
    return replace(new, intent=intent,
                   addresses=new.addresses or previous.addresses,
                   ports=new.ports or (previous.ports if not new.addresses else []),
                   window=new.window or previous.window,
                   signature=new.signature or previous.signature,
                   extra=new.extra or previous.extra)


def _window(data: dict[str, str | None]) -> Window:
    from datetime import datetime

    def moment(text: str | None):
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    return Window(moment(data.get("since")), moment(data.get("until")))
