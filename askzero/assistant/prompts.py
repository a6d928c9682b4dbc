"""Prompt templates, versioned as text files in prompts/ (shipped as askzero/data/prompts)."""

from __future__ import annotations

from importlib import resources

MAX_FACT_CHARS = 600  # a log field never fills the prompt


def load(name: str) -> dict[str, str]:
    """Sections ``[system]``, ``[user]`` of a template; ``#`` lines at the top are comments."""
    text = (resources.files("askzero") / "data" / "prompts" / f"{name}.txt").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if current is None and line.startswith("#"):
            continue
        if line.startswith("[") and line.rstrip().endswith("]") and line.strip("[]\n ") in ("system", "user"):
            current = line.strip("[]\n ")
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


def quote_fact(text: str) -> str:
    """A fact as data: one line, capped, with the data delimiters neutralised."""
    text = " ".join(text.split()).replace("<data>", "(data)").replace("</data>", "(/data)")
    return text if len(text) <= MAX_FACT_CHARS else text[: MAX_FACT_CHARS - 1] + "…"
