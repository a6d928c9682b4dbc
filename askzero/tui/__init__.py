"""``ask-zero tui``: the Textual console, a thin shell over the core.

app.py holds the session and switches screens (F2-F6); each screen is its own module:
chat.py (questions, streamed answers, citations), evidence_screen.py (the cited lines,
highlighted by highlight.py and treesitter.py, read by excerpt.py), rules.py (anchors, rules,
tables, lint; wording in ruleinfo.py), packet.py (one flow, its verdict and trace),
events_screen.py (the log store, with timeline.py) and postmortem_screen.py (askzero.report's
postmortem, previewed and saved). session.py is the only door to the core,
and every slow call goes through it from a worker thread. Textual is imported only here, never
by the engines or the rest of the CLI.
"""
