"""The model's lead paragraph for a postmortem, kept only where the grounding guard agrees.

The deterministic summary stays in the report; the model may add a short opening paragraph
written from those sentences. Each model sentence goes through the assistant's guard (every
address, port, count and time must appear in the summary) and is cited with the summary
sentences whose facts it repeats. Anything else is dropped and listed in the notes.
"""

from __future__ import annotations

from typing import Any

from askzero.report.document import Sentence

MAX_TOKENS = 220
SYSTEM = ("You write the opening paragraph of a blameless incident postmortem for a firewall operator. "
          "Use only the numbered facts given; do not add addresses, numbers, times or causes that are not "
          "in them. Write three or four plain sentences and cite facts as [n].")


def model_lead(summary: list[Sentence], llm: Any) -> tuple[list[Sentence], list[str]]:
    """(kept sentences with citations, notes on dropped ones)."""
    from askzero.assistant import entities, guard
    from askzero.evidence import Citation, Evidence

    if not summary:
        return [], []
    evidence = [Evidence("postmortem", s.text, Citation(s.cites[0]["file"], line=s.cites[0].get("line"))
                         if s.cites else Citation("report")) for s in summary]
    facts = "\n".join(f"[{i}] {s.text}" for i, s in enumerate(summary, 1))
    text = llm.chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": facts}], max_tokens=MAX_TOKENS)
    allowed = guard.allowed_facts(evidence, "")
    kept: list[Sentence] = []
    notes: list[str] = []
    known = [entities.facts(s.text) for s in summary]
    for sentence in guard.split_sentences(text):
        result = guard.check(sentence, allowed, None, len(summary))
        if not result.kept:
            notes.append(f"model sentence dropped ({result.reason}): {sentence}")
            continue
        clean = entities.CITE_RE.sub("", sentence).replace(" .", ".").strip()
        if not clean.endswith((".", "!", "?")):
            notes.append(f"model sentence dropped (incomplete): {sentence}")
            continue
        # every fact from one statement (see guard.one_statement)
        if not guard.one_statement(sentence, known):
            notes.append(f"model sentence dropped (mixes facts of different statements): {sentence}")
            continue
        wanted = entities.facts(sentence)
        numbers = {int(n) for n in entities.CITE_RE.findall(sentence)}
        whole = [i for i, fs in enumerate(known, 1) if wanted <= fs]
        chosen = [i for i in whole if i in numbers] or whole[:1]
        kept.append(Sentence(clean, [c for i in chosen for c in summary[i - 1].cites]))
    return kept, notes

