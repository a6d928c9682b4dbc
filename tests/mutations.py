"""A hypothesis strategy shared by the parser fuzz tests: real configurations, mutated."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str], tokens: list[str]) -> str:
    """One of ``seeds`` with up to six line insertions, deletions, swaps or token insertions."""
    pool = [line for text in seeds for line in text.splitlines()]
    lines = draw(st.sampled_from(seeds)).splitlines() or [""]
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["insert", "delete", "swap", "token"]))
        if op == "insert":
            lines.insert(i, draw(st.sampled_from(pool)))
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            words = lines[i].split(" ")
            words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(tokens)))
            lines[i] = " ".join(words)
    return "\n".join(lines) + "\n"
