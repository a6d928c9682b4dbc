"""The table-combination step of pfctl's ruleset optimizer (``-o basic``, its default).

pfctl turns a run of rules that differ only in one address into a single rule matching an
automatic table, once the run is long enough to make the table worth it. Loading with
``-o none`` (what ``ask-zero pf show`` reproduces) skips this; loading without it does not.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

from askzero.pf.model import Address, Rule, Ruleset, Table, TableEntry

TABLE_THRESHOLD = 6  # pfctl_optimize.c: fewer addresses stay separate rules


def _without(rule: Rule, field: str) -> tuple:
    """The rule's identity apart from one address field (and its source position)."""
    blank = replace(rule, source=rule.source.__class__("", 0), number=-1, expansion=(1, 1), **{field: Address("any")})
    return (repr(blank),)


def combine_tables(ruleset: Ruleset, counter: list[int]) -> None:
    """Merge runs of rules differing only in ``src`` or ``dst`` into table rules, in place."""
    for field in ("src", "dst"):
        merged: list[Rule] = []
        i = 0
        rules = ruleset.rules
        while i < len(rules):
            run = [rules[i]]
            while (i + len(run) < len(rules) and _without(rules[i + len(run)], field) == _without(rules[i], field)):
                run.append(rules[i + len(run)])
            addresses = [getattr(r, field) for r in run]
            if len(run) >= TABLE_THRESHOLD and all(a.kind == "net" and not a.negated for a in addresses):
                # the kernel names a loaded automatic table after its anchor: __automatic_<id>_<n>
                name = f"__automatic_{zlib.crc32(ruleset.path.encode()):x}_{counter[0]}"
                counter[0] += 1
                entries = [TableEntry(a.net, False, r.source) for a, r in zip(addresses, run)]  # type: ignore[arg-type]
                ruleset.tables[name] = Table(name, run[0].source, ("const",), entries, anchor=ruleset.path,
                                             layout=[("inline", entries)])
                merged.append(replace(run[0], **{field: Address("table", name=name)}))
            else:
                merged.extend(run)
            i += len(run)
        ruleset.rules = merged
    for number, rule in enumerate(ruleset.rules):
        rule.number = number
        if rule.anchor is not None:
            combine_tables(rule.anchor, counter)
