"""The language-model adapter: a local GGUF model run through llama-cpp-python.

``llama_cpp`` is imported only when a model is loaded, so importing this module (and every
command that does not talk to a model) stays fast.

The model only phrases evidence; the facts come from tools. Evidence goes into a user
message between :data:`EVIDENCE_OPEN` and :data:`EVIDENCE_CLOSE` lines (see
:func:`evidence_block`; a ``<data>`` ... ``</data>`` block works the same), one fact per
line, best first, so that :meth:`LocalLLM.fit` can cut whole facts from the end when the
prompt would not fit the context window.

Generation is deterministic by default: temperature 0 (greedy decoding) and a fixed seed, so
the same question on the same evidence gives the same answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askzero.errors import ModelError, UsageError

if TYPE_CHECKING:
    from askzero.models.registry import ModelSpec, Registry

Message = dict[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""

THREADS_ENV = "ASKZERO_THREADS"
EVIDENCE_OPEN = "<evidence>"
EVIDENCE_CLOSE = "</evidence>"
# Blocks fit() may cut: ours, and the <data> block the phrase_answer prompt wraps facts in.
TRIMMABLE_BLOCKS = ((EVIDENCE_OPEN, EVIDENCE_CLOSE), ("<data>", "</data>"))
DEFAULT_SEED = 20240901
DEFAULT_MAX_TOKENS = 384
DEFAULT_N_CTX = 4096
# Mild: enough to stop a 135M model from looping on a phrase, too small to change wording.
DEFAULT_REPEAT_PENALTY = 1.1
# Rough cost of a message's role markers when the GGUF has no template to count them with.
_MESSAGE_OVERHEAD = 8


def evidence_block(lines: Sequence[str] | str) -> str:
    """Wrap evidence (best first) in the markers that :meth:`LocalLLM.fit` trims."""
    body = lines if isinstance(lines, str) else "\n".join(lines)
    return f"{EVIDENCE_OPEN}\n{body}\n{EVIDENCE_CLOSE}"


def _trim_note(dropped_lines: int) -> str:
    return f"[{dropped_lines} more line(s) left out to fit the model's context window]"


def _region(content: str, whole: bool) -> tuple[int, int] | None:
    """The span of ``content`` that may be trimmed: the evidence block body, or all of it."""
    if whole:
        return (0, len(content)) if content else None
    for open_tag, close_tag in TRIMMABLE_BLOCKS:
        start = content.find(open_tag)
        if start < 0:
            continue
        start += len(open_tag)
        end = content.rfind(close_tag)
        if end < start:
            end = len(content)
        return (start, end) if end > start else None
    return None


def _has_block(content: str) -> bool:
    return any(open_tag in content for open_tag, _ in TRIMMABLE_BLOCKS)


def _cut(text: str, keep: int) -> str:
    """``text`` cut to about ``keep`` characters, plus a note saying how much was left out.

    Whole lines are kept; only when not even the first line fits is it cut, between words,
    so that an address, port or count is never cut in half into a different value.
    """
    if keep >= len(text):
        return text
    lead = "\n" if text.startswith("\n") else ""
    lines = text[len(lead):].rstrip("\n").split("\n")
    room = keep - len(lead)
    kept: list[str] = []
    for line in lines:
        if len(line) + 1 > room:
            break
        kept.append(line)
        room -= len(line) + 1
    if not kept and room > 0:
        head = lines[0][:room]
        space = max(head.rfind(" "), head.rfind("\t"))
        if space > 0:
            kept.append(head[:space].rstrip() + " \u2026")
    dropped = len(lines) - len(kept) + (1 if kept and kept[-1].endswith("\u2026") else 0)
    body = "".join(line + "\n" for line in kept)
    return f"{lead}{body}{_trim_note(dropped)}\n"


def fit_messages(
    messages: Sequence[Message],
    max_tokens: int,
    n_ctx: int,
    count: Callable[[Sequence[Message]], int],
) -> list[Message]:
    """Messages trimmed so that ``count(messages) + max_tokens <= n_ctx``.

    Only evidence blocks are cut (from their end, at line boundaries), the longest first; when
    no message has one, the longest user message is cut instead. System messages are never
    touched. Raises ModelError when the prompt cannot be made to fit.
    """
    budget = n_ctx - max_tokens
    if budget <= 0:
        raise ModelError(f"max_tokens {max_tokens} leaves no room for a prompt in a context of {n_ctx} tokens")
    msgs = [dict(m) for m in messages]
    used = count(msgs)
    if used <= budget:
        return msgs
    has_evidence = any(m.get("role") != "system" and _has_block(m.get("content", "")) for m in msgs)
    exhausted: set[int] = set()
    while used > budget:
        candidates = []
        for i, m in enumerate(msgs):
            if i in exhausted or m.get("role") == "system":
                continue
            if not has_evidence and m.get("role") != "user":
                continue
            span = _region(m.get("content", ""), whole=not has_evidence)
            if span is not None:
                candidates.append((span[1] - span[0], i, span))
        if not candidates:
            raise ModelError(
                f"the prompt needs {used} tokens but only {budget} of the {n_ctx}-token context "
                f"are left after reserving {max_tokens} for the answer, and nothing more can be trimmed"
            )
        _, i, (start, end) = max(candidates)
        content = msgs[i]["content"]
        head, text, tail = content[:start], content[start:end], content[end:]

        def trial(keep: int, i: int = i, head: str = head, text: str = text, tail: str = tail) -> int:
            trial_msgs = list(msgs)
            trial_msgs[i] = {**msgs[i], "content": head + _cut(text, keep) + tail}
            return count(trial_msgs)

        exhausted.add(i)
        if trial(0) > budget:
            msgs[i] = {**msgs[i], "content": head + _cut(text, 0) + tail}
            used = count(msgs)
            continue
        lo, hi = 0, len(text) - 1  # the largest cut that fits lies in [lo, hi]
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if trial(mid) <= budget:
                lo = mid
            else:
                hi = mid - 1
        msgs[i] = {**msgs[i], "content": head + _cut(text, lo) + tail}
        used = count(msgs)
    return msgs


def default_threads() -> int:
    """Threads for llama.cpp: ``$ASKZERO_THREADS`` when set, else every CPU.

    llama.cpp's threads wait for each other at every layer, so a thread sharing its core with
    another busy process slows the whole model down (measured on 2 cores with one core busy:
    2 threads decode 0.3 to 7 tokens/s, 1 thread 60 to 70). On a host that runs other heavy
    work (an IDS, a build) set ASKZERO_THREADS to the number of cores left free.
    """
    raw = os.environ.get(THREADS_ENV, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise UsageError(f"{THREADS_ENV} must be a positive integer, not {raw!r}") from None
        if value < 1:
            raise UsageError(f"{THREADS_ENV} must be a positive integer, not {raw!r}")
        return value
    return os.cpu_count() or 1


class LocalLLM:
    """A loaded GGUF model with deterministic chat, streaming, and prompt budgeting.

    ``llama`` lets tests pass a stand-in object with the few ``llama_cpp.Llama`` methods used
    here (``tokenize``, ``create_chat_completion``, ``metadata``, ``token_eos``...).
    """

    def __init__(
        self,
        model_path: Path | str,
        spec: ModelSpec | None = None,
        *,
        n_ctx: int | None = None,
        seed: int = DEFAULT_SEED,
        temperature: float = 0.0,
        repeat_penalty: float = DEFAULT_REPEAT_PENALTY,
        n_threads: int | None = None,
        max_prompt_tokens: int | None = None,
        llama: Any = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.spec = spec
        self.n_ctx = n_ctx or (spec.n_ctx if spec is not None else DEFAULT_N_CTX)
        self.seed = seed
        self.temperature = temperature
        self.repeat_penalty = repeat_penalty
        self.n_threads = n_threads or default_threads()
        self.max_prompt_tokens = max_prompt_tokens
        self._llama = llama if llama is not None else self._load()
        self._formatter = self._make_formatter()

    def _load(self) -> Any:
        path = self.model_path
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        import llama_cpp

        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                chat_format=None,  # use the chat template stored in the GGUF
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"not a valid GGUF model: {path}") from exc
        fallback = self.spec.chat_format if self.spec is not None else None
        if "tokenizer.chat_template" not in llm.metadata and fallback not in (None, "gguf", "-"):
            llm.chat_format = fallback
        return llm

    def _make_formatter(self) -> Any:
        template = getattr(self._llama, "metadata", {}).get("tokenizer.chat_template")
        if not template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def text(token: int) -> str:
            if token < 0:
                return ""
            return self._llama.detokenize([token], special=True).decode("utf-8", "replace")

        return Jinja2ChatFormatter(
            template=template,
            eos_token=text(self._llama.token_eos()),
            bos_token=text(self._llama.token_bos()),
        )

    @property
    def name(self) -> str:
        return self.spec.name if self.spec is not None else self.model_path.name

    def count_tokens(self, text: str) -> int:
        """The number of tokens ``text`` takes in this model's vocabulary."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        """The number of tokens the chat prompt for ``messages`` takes, generation prompt included."""
        if self._formatter is not None:
            try:
                result = self._formatter(messages=list(messages))
            except Exception as exc:  # jinja2 errors and the template's raise_exception
                raise ModelError(f"the chat template of {self.name} rejected the messages: {exc}") from exc
            tokens = self._llama.tokenize(
                result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
            )
            return len(tokens)
        return sum(self.count_tokens(m.get("content", "")) + _MESSAGE_OVERHEAD for m in messages) + _MESSAGE_OVERHEAD

    def fit(self, messages: Sequence[Message], max_tokens: int = DEFAULT_MAX_TOKENS) -> list[Message]:
        """Trim evidence so that prompt tokens + ``max_tokens`` fit the context window.

        With ``max_prompt_tokens`` set, the prompt is also held to that many tokens: on a
        small CPU, evaluating the prompt is what makes an answer slow, not generating it.
        """
        window = self.n_ctx
        if self.max_prompt_tokens is not None:
            window = min(window, self.max_prompt_tokens + max_tokens)
        return fit_messages(messages, max_tokens, window, self.prompt_tokens)

    def _fresh(self, messages: Sequence[Message], max_tokens: int) -> list[Message]:
        """The fitted messages, with the model's cache cleared: llama-cpp-python reuses the KV
        cache of a matching prompt prefix and replays the last token; the logits then differ
        in the last bits and greedy decoding can take another path. A full re-evaluation keeps
        answers identical run to run."""
        fitted = self.fit(messages, max_tokens)
        reset = getattr(self._llama, "reset", None)
        if reset is not None:
            reset()
        return fitted

    def stream_chat(
        self,
        messages: Sequence[Message],
        max_tokens: int = DEFAULT_MAX_TOKENS,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text piece by piece as the model produces it."""
        fitted = self._fresh(messages, max_tokens)
        try:
            stream = self._llama.create_chat_completion(
                messages=fitted,
                max_tokens=max_tokens,
                temperature=self.temperature,
                repeat_penalty=self.repeat_penalty,
                seed=self.seed,
                stop=list(stop) if stop else None,
                stream=True,
            )
            for chunk in stream:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.name} failed to generate: {exc}") from exc

    def json_chat(self, messages: Sequence[Message], schema: dict[str, Any], max_tokens: int = 256) -> dict[str, Any]:
        """One JSON object that follows ``schema`` (llama.cpp turns the schema into a grammar,
        so the reply always parses)."""
        import json

        fitted = self._fresh(messages, max_tokens)
        try:
            result = self._llama.create_chat_completion(
                messages=fitted, max_tokens=max_tokens, temperature=self.temperature, seed=self.seed,
                response_format={"type": "json_object", "schema": schema})
            text = result["choices"][0]["message"]["content"] or "{}"
            value = json.loads(text)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.name} gave no valid JSON: {exc}") from exc
        return value if isinstance(value, dict) else {}

    def chat(
        self,
        messages: Sequence[Message],
        max_tokens: int = DEFAULT_MAX_TOKENS,
        stop: Sequence[str] | None = None,
    ) -> str:
        """The whole answer as one string (the joined pieces of :meth:`stream_chat`)."""
        return "".join(self.stream_chat(messages, max_tokens=max_tokens, stop=stop))

    def close(self) -> None:
        """Free the model's memory now rather than at garbage collection."""
        close = getattr(self._llama, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> LocalLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_default_model(name: str | None) -> bool:
    """The first model of models.txt: it phrases answers but does not choose tools."""
    if name is None:
        return True
    if name.startswith(("http://", "https://")):
        return False
    from askzero.models.registry import load_registry

    return load_registry().get(name).name == load_registry().get(None).name


def load_llm(name: str | None = None, registry: Registry | None = None, **kwargs: Any) -> Any:
    """Load a registry model (the default for ``None``), verified through the model store;
    or, for ``http://...`` (``URL#MODEL`` to name the served model), an OpenAI-compatible
    endpoint the operator runs."""
    from askzero.models import store
    from askzero.models.registry import load_registry

    if name and name.startswith(("http://", "https://")):
        from askzero.assistant.remote import RemoteLLM

        url, _, served = name.partition("#")
        return RemoteLLM(url, served or "default")
    reg = registry if registry is not None else load_registry()
    spec = reg.get(name)
    return LocalLLM(store.resolve(spec.name, reg), spec, **kwargs)
