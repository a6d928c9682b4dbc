"""A model behind an OpenAI-compatible endpoint (llama.cpp's server, vLLM, ...) that the
operator runs and names: ``--model http://127.0.0.1:8080/v1``. Nothing else is contacted;
the same guard and composer apply as with a local model.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from askzero.errors import ModelError

TIMEOUT = 120


class RemoteLLM:
    def __init__(self, base_url: str, model: str = "default", timeout: float = TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout

    @property
    def name(self) -> str:
        return f"{self.model}@{self.base_url}"

    def _post(self, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 - the operator's URL
        except (urllib.error.URLError, OSError) as exc:
            raise ModelError(f"cannot reach the model endpoint {self.base_url}: {exc}") from exc

    def stream_chat(self, messages: Sequence[dict[str, str]], max_tokens: int = 384,
                    stop: Sequence[str] | None = None) -> Iterator[str]:
        body = {"model": self.model, "messages": list(messages), "max_tokens": max_tokens,
                "temperature": 0, "stream": True, **({"stop": list(stop)} if stop else {})}
        with self._post(body) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                except (ValueError, KeyError, IndexError):
                    continue
                if piece:
                    yield piece

    def json_chat(self, messages: Sequence[dict[str, str]], schema: dict[str, Any],
                  max_tokens: int = 256) -> dict[str, Any]:
        body = {"model": self.model, "messages": list(messages), "max_tokens": max_tokens, "temperature": 0,
                "response_format": {"type": "json_schema",
                                    "json_schema": {"name": "choice", "schema": schema, "strict": True}}}
        with self._post(body) as response:
            try:
                content = json.loads(response.read())["choices"][0]["message"]["content"]
                value = json.loads(content)
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise ModelError(f"the model endpoint gave no valid JSON: {exc}") from exc
        return value if isinstance(value, dict) else {}

    def close(self) -> None:
        pass
