#!/usr/bin/env python3
"""Answer speed: cold CLI answers, and generation through our adapter vs llama-cpp-python.

- cold: ``ask-zero --site demo [--no-llm] QUESTION`` as a fresh process, wall time, median
  of --runs (the site's log store is brought up to date once first, as on a live host);
- throughput: tokens/s generating the same answer prompt through ``LocalLLM.stream_chat``
  and through ``llama_cpp.Llama.create_chat_completion`` directly, in this process,
  alternating; the ratio should be within 10%.

    python tools/bench_answer.py [--runs 5] [--skip-model]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTION = "Why is 203.0.113.7 blocked?"


def cold(args: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "askzero.cli.main", "--site", "demo", "--no-history", *args, QUESTION],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(rounds: int) -> tuple[float, float]:
    from askzero.assistant import composer, prompts
    from askzero.assistant.answer import MAX_TOKENS, gather
    from askzero.assistant.context import SiteContext
    from askzero.assistant.llm import load_llm
    from askzero.site import load_site

    answer = gather(SiteContext(load_site("demo")), QUESTION)
    template = prompts.load("phrase_answer")
    facts = "\n".join(f"- {prompts.quote_fact(p)}" for p in composer.key_points(answer.route, answer.evidence)[:4])
    messages = [{"role": "system", "content": template["system"]},
                {"role": "user", "content": template["user"].format(question=QUESTION, facts=facts)}]
    llm = load_llm(None)
    raw = llm._llama  # the same loaded model, called directly
    ours, direct = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        n = sum(1 for _ in llm.stream_chat(messages, max_tokens=MAX_TOKENS))
        ours.append(n / (time.perf_counter() - start))
        raw.reset()
        start = time.perf_counter()
        n = sum(1 for c in raw.create_chat_completion(messages=messages, max_tokens=MAX_TOKENS, temperature=0.0,
                                                      repeat_penalty=llm.repeat_penalty, seed=llm.seed, stream=True)
                if c["choices"][0].get("delta", {}).get("content"))
        direct.append(n / (time.perf_counter() - start))
    return statistics.median(ours), statistics.median(direct)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-model", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ASKZERO_HOME": home}
        subprocess.run([sys.executable, "-m", "askzero.cli.main", "logs", "ingest", "--site", "demo"],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        no_llm = cold(["--no-llm"], args.runs, env)
        print(f"cold --no-llm answer: median {no_llm:.2f} s over {args.runs} runs (target 0.5 s: "
              f"{'met' if no_llm <= 0.5 else 'NOT met'})")
        if args.skip_model:
            return 0
        model = cold([], args.runs, env)
        print(f"cold answer with the embedded model: median {model:.2f} s (target 2.5 s: "
              f"{'met' if model <= 2.5 else 'NOT met'})")
    ours, direct = throughput(max(3, args.runs))
    print(f"generation: {ours:.1f} pieces/s through LocalLLM, {direct:.1f} calling llama-cpp-python directly; "
          f"ratio {ours / direct:.2f} (target within 10%: {'met' if ours / direct >= 0.9 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
