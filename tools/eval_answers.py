#!/usr/bin/env python3
"""Answer quality on a gold set: fact accuracy and unsupported claims.

For each question of tests/answers/*.toml: the facts the answer must state (accuracy is
the share found), the claims it must not make, and every sentence of the final answer
re-checked by the grounding guard against the evidence (an unsupported claim is a sentence
with a fact the evidence does not hold). Runs with --no-llm, the embedded model, or any
model of models.txt.

    python tools/eval_answers.py [--model none|default|NAME] [--gold tests/answers/demo.toml]
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from askzero.assistant import guard  # noqa: E402
from askzero.assistant.answer import gather, phrase  # noqa: E402
from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.site import load_site  # noqa: E402


def evaluate(gold: Path, model: str | None, site: str = "demo") -> dict:
    questions = tomllib.loads(gold.read_text())["question"]
    ctx = SiteContext(load_site(site))
    llm = None
    if model is not None:
        from askzero.assistant.llm import load_llm

        llm = load_llm(None if model == "default" else model)
    found = expected = forbidden = unsupported = sentences = 0
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        answer = gather(ctx, q["text"])
        if llm is not None and answer.evidence:
            for _ in phrase(answer, llm, model or "default"):
                pass
        text = answer.text
        hits = [f for f in q.get("facts", []) if f in text]
        bad = [f for f in q.get("not", []) if f in text]
        allowed = guard.allowed_facts(answer.evidence, answer.question)
        claims = [s for s in guard.split_sentences(answer.lead or "")
                  if not guard.check(s, allowed, None, len(answer.evidence)).kept]
        found += len(hits)
        expected += len(q.get("facts", []))
        forbidden += len(bad)
        unsupported += len(claims)
        sentences += len(guard.split_sentences(text))
        rows.append({"question": q["text"], "missing": sorted(set(q.get("facts", [])) - set(hits)),
                     "forbidden": bad, "unsupported": claims, "seconds": round(time.perf_counter() - t0, 2)})
    return {"accuracy": found / expected if expected else 1.0, "facts": f"{found}/{expected}",
            "forbidden": forbidden, "unsupported": unsupported, "sentences": sentences, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="none", help="none (--no-llm), default, or a models.txt name")
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "answers" / "demo.toml")
    args = parser.parse_args()
    result = evaluate(args.gold, None if args.model == "none" else args.model)
    for row in result["rows"]:
        status = "ok " if not (row["missing"] or row["forbidden"] or row["unsupported"]) else "BAD"
        print(f"{status} {row['question']} ({row['seconds']} s)")
        for key in ("missing", "forbidden", "unsupported"):
            if row[key]:
                print(f"    {key}: {row[key]}")
    print(f"model {args.model}: facts {result['facts']} ({result['accuracy']:.0%}), forbidden claims "
          f"{result['forbidden']}, unsupported sentences {result['unsupported']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
