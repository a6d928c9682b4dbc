#!/usr/bin/env python3
"""Retrieval evaluation: recall@k and MRR of lexical, vector and fused search over the gold set.

    python tools/eval_retrieval.py [--site demo] [--gold tests/rag_gold.toml] [-k 5] [--json] [--misses]

A question counts as answered when a hit in the top k is one of its gold sections (same file,
same last heading). MRR uses the rank of the first gold section among the top 10. The index is
the site's own (knowledge base plus the site's configs), built or refreshed first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from askzero.rag.hybrid import MODES, open_index, resolve_corpus  # noqa: E402
from askzero.rag.types import Hit  # noqa: E402

MRR_DEPTH = 10


@dataclass(frozen=True)
class Gold:
    question: str
    answers: frozenset[tuple[str, str]]  # (file, last heading)
    group: str = "direct"


def load_gold(path: Path) -> list[Gold]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for q in data["q"]:
        answers = {(q["file"], q["heading"])} | {(f, h) for f, h in q.get("also", [])}
        out.append(Gold(q["question"], frozenset(answers), q.get("group", "direct")))
    return out


def leaf(heading: str) -> str:
    return heading.split(" > ")[-1]


def first_relevant(hits: list[Hit], gold: Gold) -> int | None:
    for rank, h in enumerate(hits, 1):
        if (h.file, leaf(h.heading)) in gold.answers:
            return rank
    return None


def _scores(ranks: list[int | None], k: int) -> dict:
    n = max(len(ranks), 1)
    return {f"recall@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 4),
            f"mrr@{MRR_DEPTH}": round(sum(1 / r for r in ranks if r is not None) / n, 4), "n": len(ranks)}


def evaluate(site: str | None, gold: list[Gold], k: int) -> dict:
    corpus = resolve_corpus(site)
    t0 = time.monotonic()
    index = open_index(corpus)
    build = time.monotonic() - t0
    results: dict[str, dict] = {}
    try:
        for mode in MODES:
            ranks: list[int | None] = []
            misses, t1 = [], time.monotonic()
            for g in gold:
                hits = index.search(g.question, k=max(k, MRR_DEPTH), mode=mode)
                rank = first_relevant(hits, g)
                ranks.append(rank)
                if rank is None or rank > k:
                    misses.append({"question": g.question, "rank": rank,
                                   "got": [f"{h.file} | {leaf(h.heading)}" for h in hits[:3]]})
            results[mode] = {
                **_scores(ranks, k),
                "ms_per_query": round(1000 * (time.monotonic() - t1) / len(gold), 1),
                "groups": {grp: _scores([r for r, g in zip(ranks, gold) if g.group == grp], k)
                           for grp in sorted({g.group for g in gold})},
                "misses": misses,
            }
    finally:
        index.close()
    return {"questions": len(gold), "index_seconds": round(build, 2), "k": k, "modes": results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", default="demo", help="site whose index to evaluate (default: demo)")
    ap.add_argument("--gold", type=Path, default=ROOT / "tests" / "rag_gold.toml")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")
    ap.add_argument("--misses", action="store_true", help="list the questions each mode missed")
    args = ap.parse_args(argv)
    gold = load_gold(args.gold)
    report = evaluate(args.site, gold, args.k)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['questions']} questions, site {args.site}, index ready in {report['index_seconds']} s")
    print(f"{'mode':8} {'recall@' + str(args.k):>9} {'MRR@' + str(MRR_DEPTH):>7} {'ms/query':>9}")
    for mode, r in report["modes"].items():
        print(f"{mode:8} {r[f'recall@{args.k}']:9.3f} {r[f'mrr@{MRR_DEPTH}']:7.3f} {r['ms_per_query']:9.1f}")
        for grp, g in r["groups"].items():
            label = f"  {grp} ({g['n']})"
            print(f"{label:17} {g[f'recall@{args.k}']:9.3f} {g[f'mrr@{MRR_DEPTH}']:7.3f}")
    if args.misses:
        for mode, r in report["modes"].items():
            for m in r["misses"]:
                print(f"[{mode}] rank {m['rank']}: {m['question']}\n    got: {m['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
