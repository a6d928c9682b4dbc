"""Batch evaluation: decide many packets at once with numpy, exactly as the reference does.

``BatchEvaluator.decide_arrays`` takes a FlowArrays (numpy columns, no Flow objects: what a
reader of a day of pflog records builds) and returns a BatchDecisions; ``decide`` takes Flow
objects and returns ``(action, rule number)`` pairs. IPv4 and IPv6 are both vectorised.
Rulesets using what the walk does not model (translations on match rules, af-to, wildcard
anchors) are decided by FastEvaluator one flow at a time, as are rows a column cannot
describe (see FlowArrays.irregular), so every answer is the exact one
(tests/test_pf_batch.py checks it against the reference evaluator).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from askzero.pf.batchaddr import TableIndex
from askzero.pf.batchwalk import BatchWalk
from askzero.pf.evaluate import FastEvaluator, find_table
from askzero.pf.flow import Flow
from askzero.pf.flowarrays import FlowArrays
from askzero.pf.host import HostProfile
from askzero.pf.model import PfConfig, Rule, Ruleset

WALKED_ADDRESSES = ("any", "net", "table", "dynamic", "range", "no-route", "urpf-failed")


@dataclass
class BatchDecisions:
    """Per row: ``codes`` indexes ``outcomes``, the (action, rule number as pflog prints it,
    or "def"/"skip") pairs; ``uncertain`` marks rows the reference evaluator would flag
    (probability, a user rule without a socket owner, routing-table addresses, a translation
    target missing on this host)."""

    codes: Any
    outcomes: list[tuple[str, str]]
    uncertain: Any

    def __len__(self) -> int:
        return len(self.codes)

    def as_list(self) -> list[tuple[str, str]]:
        outcomes = self.outcomes
        return [outcomes[c] for c in self.codes.tolist()]

    def blocked(self) -> Any:
        """A boolean per row: the packet is blocked."""
        import numpy as np

        is_block = np.array([action == "block" for action, _ in self.outcomes], dtype=bool)
        return is_block[self.codes] if len(self.outcomes) else np.zeros(len(self.codes), dtype=bool)


class BatchEvaluator:
    def __init__(self, config: PfConfig, host: HostProfile) -> None:
        import numpy  # heavy: imported only for batch work

        self.np = numpy
        self.config = config
        self.host = host
        self.fast = FastEvaluator(config, host)
        self.unsupported = _first_unsupported(config.main)
        self.supported = self.unsupported is None
        # every table a rule names, indexed once (one sort per prefix length)
        self.tables: dict[int, TableIndex] = {}
        if self.supported:
            self._index_tables(config.main)

    def _index_tables(self, ruleset: Ruleset) -> None:
        for rule in ruleset.rules:
            for address in (rule.src, rule.dst):
                table = find_table(address.name, ruleset) if address.kind == "table" else None
                if table is not None and id(table) not in self.tables:
                    self.tables[id(table)] = TableIndex(self.np, table)
            if rule.is_anchor and rule.anchor is not None:
                self._index_tables(rule.anchor)

    # -- public -------------------------------------------------------------------------

    def decide(self, flows: Sequence[Flow]) -> list[tuple[str, str]]:
        """(action, rule number as pflog prints it or "def"/"skip") for each flow, in order."""
        if not self.supported:
            return [self._one(f)[0] for f in flows]
        return self.decide_arrays(FlowArrays.from_flows(flows)).as_list()

    def decide_arrays(self, arrays: FlowArrays) -> BatchDecisions:
        np = self.np
        n = len(arrays)
        if not self.supported:
            return self._one_by_one(arrays, range(n))
        if n == 0:
            return BatchDecisions(np.zeros(0, dtype=np.int32), [], np.zeros(0, dtype=bool))
        for index in self.tables.values():
            index.refresh()
        walk = BatchWalk(np, self.host, arrays, self.tables)
        skipped = np.zeros(n, dtype=bool)
        for spec, _ in self.config.skip:
            skipped |= walk.on(spec)
        walk.stopped |= skipped
        walk.walk(self.config.main, None, "", None)
        outcomes = [(action, ref) for action, ref, _ in walk.refs] + [("pass", "def"), ("pass", "skip")]
        codes = np.where(walk.last < 0, len(outcomes) - 2, walk.last)
        codes[skipped] = len(outcomes) - 1
        uncertain = walk.uncertain & ~skipped
        self._translation_doubts(walk, codes, uncertain)
        decided = BatchDecisions(codes.astype(np.int32), outcomes, uncertain)
        if arrays.irregular is not None and arrays.irregular.any():
            self._overwrite(decided, arrays, np.flatnonzero(arrays.irregular).tolist())
        return decided

    # -- per-flow paths -------------------------------------------------------------------

    def _one(self, flow: Flow) -> tuple[tuple[str, str], bool]:
        v = self.fast.evaluate(flow)
        return (v.action, "skip" if v.decision == "skip" else v.pflog_ref), bool(v.uncertain)

    def _one_by_one(self, arrays: FlowArrays, rows: Any) -> BatchDecisions:
        np = self.np
        outcomes: list[tuple[str, str]] = []
        position: dict[tuple[str, str], int] = {}
        codes = np.zeros(len(arrays), dtype=np.int32)
        uncertain = np.zeros(len(arrays), dtype=bool)
        for i in rows:
            outcome, doubt = self._one(arrays.flow(i))
            codes[i] = position.setdefault(outcome, len(position))
            if codes[i] == len(outcomes):
                outcomes.append(outcome)
            uncertain[i] = doubt
        return BatchDecisions(codes, outcomes, uncertain)

    def _overwrite(self, decided: BatchDecisions, arrays: FlowArrays, rows: list[int]) -> None:
        """Decide ``rows`` one by one (the columns cannot describe them) in place."""
        position = {outcome: k for k, outcome in enumerate(decided.outcomes)}
        for i in rows:
            outcome, doubt = self._one(arrays.flow(i))
            if outcome not in position:
                position[outcome] = len(decided.outcomes)
                decided.outcomes.append(outcome)
            decided.codes[i] = position[outcome]
            decided.uncertain[i] = doubt

    def _translation_doubts(self, walk: BatchWalk, codes: Any, uncertain: Any) -> None:
        """A deciding pass rule's translation whose target has no address of the packet's
        family on this host: the reference reports it as uncertain."""
        af = walk.a.af
        for k, (action, _, rule) in enumerate(walk.refs):
            if action != "pass" or not rule.translations:
                continue
            for version in (4, 6):
                if self._target_missing(rule, version):
                    uncertain |= (codes == k) & (af == version)

    def _target_missing(self, rule: Rule, version: int) -> bool:
        for tr in rule.translations:
            if tr.address.net is not None:
                continue
            found = self.host.self_addresses() if tr.address.name == "self" else self.host.addresses(tr.address.name)
            if not any(a.version == version for a in found):
                return True
        return False


def _first_unsupported(ruleset: Ruleset) -> str | None:
    """Why the walk cannot decide this ruleset exactly (None: it can)."""
    for rule in ruleset.rules:
        if rule.translations and rule.action == "match":
            return f"{rule.source}: translation on a match rule (changes what later rules see)"
        if any(tr.kind == "af-to" for tr in rule.translations):
            return f"{rule.source}: af-to"
        for address in (rule.src, rule.dst):
            if address.kind not in WALKED_ADDRESSES:
                return f"{rule.source}: address kind {address.kind}"
        if rule.is_anchor:
            if rule.anchor is None or (rule.anchor_name or "").endswith("*"):
                return f"{rule.source}: wildcard anchor"
            reason = _first_unsupported(rule.anchor)
            if reason:
                return reason
    return None
