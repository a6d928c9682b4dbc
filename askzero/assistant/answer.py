"""Answering a question: route, run tools, compose, let the model phrase, guard.

``ask`` yields the answer as it is produced (sentences pass the guard one by one), then
returns the complete ``Answer`` for ``--json`` and for the history.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from askzero.assistant import composer, entities, guard, prompts
from askzero.assistant.context import SiteContext
from askzero.assistant.router import BLOCKED, Route, route
from askzero.assistant.tools import TOOLS
from askzero.evidence import Evidence

MAX_TOKENS = 48  # one or two short sentences: a lead, not an essay
KEY_POINTS = 3  # the model sees the answer's first findings only: a short prompt is a fast one


@dataclass
class Answer:
    question: str
    site: str
    route: Route
    summary: str = ""
    lead: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    phrased_by: str = "composer"
    guard: list[guard.GuardResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        parts = [p for p in (self.lead, self.summary, composer.evidence_block(self.evidence)) if p]
        return "\n\n".join(parts)

    def citations(self) -> list[dict[str, Any]]:
        seen, out = set(), []
        for ev in self.evidence:
            key = str(ev.citation)
            if key not in seen:
                seen.add(key)
                out.append(ev.citation.to_dict())
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "site": self.site, "intent": self.route.intent,
            "answer": self.text, "lead": self.lead, "summary": self.summary,
            "evidence": [ev.to_dict() for ev in self.evidence], "citations": self.citations(),
            "tools": self.tools, "model": self.model, "phrased_by": self.phrased_by,
            "guard": {"kept": [g.sentence for g in self.guard if g.kept],
                      "dropped": [{"sentence": g.sentence, "reason": g.reason} for g in self.guard if not g.kept]},
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


INTENT_OF_TOOL = {"explain_port": "why_port", "timeline": "timeline", "bgp_flaps": "bgp_flaps",
                  "triage_alert": "triage", "bgp_route": "bgp_route", "compliance_check": "compliance",
                  "lookup_intel": "lookup_address", "pflog_summary": "lookup_address",
                  "knowledge_answer": "knowledge", "explain_pflog_record": "pflog_record",
                  "query_alerts": "alerts", "diff_rulesets": "diff"}


def gather(ctx: SiteContext, question: str, previous: Route | None = None, planner: Any = None) -> Answer:
    """Route the question and run the tools: everything but the phrasing. With ``previous``
    (a continued conversation), what the question leaves out comes from that route. With
    ``planner`` (a model able to choose tools), the model picks them; if it gathers no
    evidence, the rules answer."""
    from askzero.assistant.history import continue_route

    started = time.perf_counter()
    answer = Answer(question, ctx.site.name, continue_route(route(question), previous))
    if planner is not None and _planned(ctx, answer, planner):
        answer.summary = composer.summary(answer.route, answer.evidence)
        answer.timings["tools"] = time.perf_counter() - started
        return answer
    r = answer.route
    calls: list[tuple[str, dict[str, Any]]] = []
    if r.intent in ("why_blocked", "why_allowed", "lookup_address"):
        args: dict[str, Any] = {"address": r.addresses[0], "port": r.ports[0] if r.ports else None,
                                "want_block": r.intent != "why_allowed"}
        calls.append(("explain_address", args))
    elif r.intent == "why_port":
        calls.append(("explain_port", {"port": r.ports[0], "want_block": bool(BLOCKED.search(question)),
                                       "proto": r.extra.get("proto", "tcp")}))
    elif r.intent == "compliance":
        calls.append(("compliance_check", {"question": question}))
    elif r.intent == "knowledge":
        calls.append(("knowledge_answer", {"question": question}))
    elif r.intent == "pflog_record":
        calls.append(("explain_pflog_record", {"record": r.extra["record"]}))
    elif r.intent == "alerts":
        calls.append(("query_alerts", {"signature": r.signature, "severity": r.extra.get("severity"),
                                        "address": r.addresses[0] if r.addresses else None,
                                        "since": r.window.since if r.window else None,
                                        "until": r.window.until if r.window else None}))
    elif r.intent == "diff":
        calls.append(("diff_rulesets", {"new_path": r.extra["path"]}))
    elif r.intent == "bgp_route":
        calls.append(("bgp_route", {"prefix": r.addresses[0], "question": question}))
    elif r.intent == "triage":
        calls.append(("triage_alert", {"address": r.addresses[0] if r.addresses else None,
                                       "signature": r.signature}))
    elif r.intent in ("timeline", "bgp_flaps"):
        window = r.window
        calls.append((r.intent, {"since": window.since if window else None,
                                 "until": window.until if window else None}))
    for name, args in calls:
        t0 = time.perf_counter()
        for ev in TOOLS[name](ctx, **args):
            if all((ev.kind, ev.summary) != (seen.kind, seen.summary) for seen in answer.evidence):
                answer.evidence.append(ev)
        answer.tools.append({"name": name, "args": args, "seconds": round(time.perf_counter() - t0, 4)})
    answer.summary = composer.summary(r, answer.evidence)
    answer.timings["tools"] = time.perf_counter() - started
    return answer


def _planned(ctx: SiteContext, answer: Answer, planner: Any) -> bool:
    from askzero.assistant.agent import plan

    evidence, steps = plan(ctx, answer.question, planner, TOOLS)
    answer.tools = [{**step, "chosen_by": "model"} for step in steps]
    if not evidence:
        return False
    first = next(s for s in steps if s["name"] in TOOLS)
    args = first["args"]
    if first["name"] == "explain_address":
        intent = "why_blocked" if args.get("want_block", True) else "why_allowed"
    else:
        intent = INTENT_OF_TOOL.get(first["name"], "lookup_address")
    address = args.get("address")
    answer.route = Route(intent, [address] if address else answer.route.addresses,
                         [args["port"]] if args.get("port") else answer.route.ports,
                         answer.route.window, answer.route.signature)
    answer.evidence = evidence
    return True


def phrase(answer: Answer, llm: Any, model_name: str) -> Generator[str, None, None]:
    """Stream the model's lead sentences that pass the guard.

    The model sees the answer's key findings and writes a short lead; the composer's summary
    and the evidence always follow it, so nothing depends on the model getting it right.
    """
    t0 = time.perf_counter()
    answer.model = model_name
    template = prompts.load("phrase_answer")
    points = composer.key_points(answer.route, answer.evidence)[:KEY_POINTS]
    facts = "\n".join(f"- {prompts.quote_fact(p)}" for p in points)
    messages = [{"role": "system", "content": template["system"]},
                {"role": "user", "content": template["user"].format(question=prompts.quote_fact(answer.question), facts=facts)}]
    allowed = guard.allowed_facts(answer.evidence, answer.question)
    verdicts = [ev for ev in answer.evidence if ev.kind == "pf_verdict"]
    action = verdicts[0].fields.get("action") if verdicts else None
    kept: list[str] = []
    buffer = ""
    first_token = None

    statements = [entities.facts(p) for p in points] + [
        entities.facts(ev.summary) | entities.facts(" ".join(str(v) for v in ev.fields.values()))
        | entities.facts(str(ev.citation)) for ev in answer.evidence]
    asked = entities.facts(answer.question)

    def judge(sentence: str) -> str | None:
        result = guard.check(sentence, allowed, action, len(answer.evidence))
        if result.kept and not guard.one_statement(sentence, statements, asked):
            result = guard.GuardResult(sentence, False, "mixes facts of different findings")
        answer.guard.append(result)
        return sentence if result.kept else None

    for piece in llm.stream_chat(messages, max_tokens=MAX_TOKENS):
        if first_token is None:
            first_token = time.perf_counter() - t0
        buffer += piece
        sentences = guard.split_sentences(buffer)
        if len(sentences) > 1:
            for sentence in sentences[:-1]:
                if judge(sentence):
                    kept.append(sentence)
                    yield sentence + " "
            buffer = sentences[-1]
    for sentence in guard.split_sentences(buffer):
        if judge(sentence):
            kept.append(sentence)
            yield sentence + " "
    answer.timings["first_token"] = first_token or 0.0
    answer.timings["llm"] = time.perf_counter() - t0
    if kept:
        answer.lead, answer.phrased_by = " ".join(kept), "model"
