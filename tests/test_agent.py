"""Tool choice by a model: schemas from signatures, arguments checked, errors returned as
results, a chain limit, and the rules as fallback; the real paths run SmolLM2 in-process and
behind an OpenAI-compatible endpoint on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("duckdb")

from askzero.assistant.agent import MAX_STEPS, plan  # noqa: E402
from askzero.assistant.answer import gather  # noqa: E402
from askzero.assistant.context import SiteContext  # noqa: E402
from askzero.assistant.toolschema import choice_schema, tool_schema  # noqa: E402
from askzero.assistant.tools import TOOLS  # noqa: E402
from askzero.site import load_site  # noqa: E402


class ScriptedModel:
    """Replies from a script (unit tests only); records what it was shown."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.seen = []

    def json_chat(self, messages, schema, max_tokens=256):
        self.seen.append([dict(m) for m in messages])
        return self.replies.pop(0) if self.replies else {"tool": "answer"}


@pytest.fixture(scope="module")
def ctx():
    return SiteContext(load_site("demo"))


def test_schemas_come_from_signatures():
    schema = tool_schema("explain_port", TOOLS["explain_port"])
    assert schema["parameters"]["required"] == ["port"]
    assert schema["parameters"]["properties"]["port"] == {"type": "integer"}
    assert "ctx" not in schema["parameters"]["properties"]
    assert schema["description"].startswith("Why a port is open")
    names = [o["properties"]["tool"]["const"] for o in choice_schema(TOOLS)["oneOf"]]
    assert "answer" in names and set(TOOLS) <= set(names)


def test_model_chosen_tools_give_the_answer(ctx):
    model = ScriptedModel([{"tool": "explain_address", "args": {"address": "203.0.113.7"}}, {"tool": "answer"}])
    answer = gather(ctx, "Why is 203.0.113.7 blocked?", planner=model)
    assert answer.route.intent == "why_blocked"
    assert [t["name"] for t in answer.tools] == ["explain_address", "answer"]
    assert all(t["chosen_by"] == "model" for t in answer.tools)
    assert "8.threat_feeds.0" in answer.summary


def test_errors_go_back_as_results_and_repeats_are_refused(ctx):
    model = ScriptedModel([
        {"tool": "explain_port", "args": {"port": 8443, "colour": "red"}},
        {"tool": "explain_port", "args": {"port": 8443}},
        {"tool": "explain_port", "args": {"port": 8443}},
        {"tool": "answer"},
    ])
    evidence, steps = plan(ctx, "Why is port 8443 open?", model, TOOLS)
    assert steps[0]["result"].startswith("error: unknown arguments ['colour']")
    assert "error: unknown arguments" in model.seen[1][-1]["content"]
    assert steps[2]["result"].startswith("error: this call was already made")
    assert any(e.kind == "pf_verdict" for e in evidence)


def test_the_chain_stops_after_its_limit(ctx):
    model = ScriptedModel([{"tool": "bgp_flaps", "args": {"since": f"2026-11-{d:02d}T00:00:00Z"}}
                           for d in range(1, 20)])
    _, steps = plan(ctx, "Which sessions flapped?", model, TOOLS)
    assert len(steps) == MAX_STEPS


def test_a_model_that_gathers_nothing_falls_back_to_the_rules(ctx):
    answer = gather(ctx, "Why is 203.0.113.7 blocked?", planner=ScriptedModel([{"tool": "answer"}]))
    assert answer.route.intent == "why_blocked" and "8.threat_feeds.0" in answer.summary
    assert answer.tools[0] == {"name": "answer", "args": {}, "result": "stop", "chosen_by": "model"}


@pytest.mark.integration
def test_real_model_json_choice_always_follows_the_schema(ctx):
    from askzero.assistant.llm import load_llm

    llm = load_llm(None)
    for question in ("Why is 203.0.113.7 blocked?", "Which BGP sessions flapped on 2026-11-20?"):
        evidence, steps = plan(ctx, question, llm, TOOLS)
        assert steps and all(s["name"] in set(TOOLS) | {"answer"} for s in steps)
        answer = gather(ctx, question, planner=llm)
        assert answer.evidence  # from the model's tools or, failing those, the rules


@pytest.fixture(scope="module")
def endpoint():
    """An OpenAI-compatible endpoint on loopback serving the embedded model."""
    from askzero.assistant.llm import load_llm

    llm = load_llm(None)
    raw = llm._llama

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            raw.reset()
            fmt = body.get("response_format")
            if fmt:
                result = raw.create_chat_completion(
                    messages=body["messages"], max_tokens=body.get("max_tokens", 256), temperature=0,
                    response_format={"type": "json_object", "schema": fmt["json_schema"]["schema"]})
                data = json.dumps(result).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for chunk in raw.create_chat_completion(messages=body["messages"], max_tokens=body.get("max_tokens", 64),
                                                    temperature=0, stream=True):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.integration
def test_remote_endpoint_chooses_tools_and_phrases(ctx, endpoint):
    from askzero.assistant.answer import phrase
    from askzero.assistant.llm import is_default_model, load_llm

    assert not is_default_model(endpoint)
    remote = load_llm(endpoint)
    answer = gather(ctx, "Why is 203.0.113.7 blocked?", planner=remote)
    assert answer.evidence and answer.tools[0]["chosen_by"] == "model"
    lead = "".join(phrase(answer, remote, remote.name))
    assert answer.guard  # every streamed sentence went through the guard
    assert lead == "" or answer.phrased_by == "model"
