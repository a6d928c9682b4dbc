"""A fingerprint of what pf would load: the normalised rules of every anchor and the
contents of every table.

Recorded when pflog is ingested, so that a later question about an old record can warn
that the ruleset on disk is no longer the one that wrote it. Comments, whitespace and
macro spelling do not change it; a rule, an option or a table entry does.
"""

from __future__ import annotations

import hashlib

from askzero.pf.model import PfConfig, Ruleset
from askzero.pf.show import render, render_loaded


def ruleset_digest(config: PfConfig) -> str:
    digest = hashlib.sha256(render(config).encode())
    for ruleset in _walk(config.main):
        digest.update(f"\0anchor {ruleset.path}\n".encode())
        digest.update(render_loaded(ruleset).encode())
        for name in sorted(ruleset.tables):
            entries = sorted(("!" if e.negated else "") + str(e.net) for e in ruleset.tables[name].entries)
            digest.update(f"\0table {name}\n{' '.join(entries)}\n".encode())
    return digest.hexdigest()[:16]


def _walk(ruleset: Ruleset):
    yield ruleset
    for name in sorted(ruleset.children):
        yield from _walk(ruleset.children[name])
