"""Skip steps, computed as the kernel's pf_calc_skip_steps() does after a ruleset loads.

For each of nine fields, a run of consecutive rules with the same value all skip to the
first rule after the run. ``pfctl -gvvsr`` prints a step only where it jumps further than
the next rule; these numbers tie ``pfctl -vvsr`` output back to the source.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from askzero.pf.model import Address, Rule

NAMES = ("i", "d", "r", "f", "p", "sa", "da", "sp", "dp")
END = -1


def _addr(a: Address) -> Hashable:
    if a.kind == "net" and a.net is not None and a.net.prefixlen == 0:
        return (a.negated, "any")  # 0/0 is the kernel's "any": a zero address and mask
    if a.kind == "any":
        return (a.negated, "any")
    name = a.name if a.kind in ("table", "dynamic", "range") else ""  # "lo0" expanded is just an address
    return (a.negated, a.kind, str(a.net) if a.net is not None else "", name, a.modifier, a.bits)


def _port(p: object) -> Hashable:
    return None if p is None else (p.op, p.low, p.high)  # type: ignore[attr-defined]


KEYS: tuple[Callable[[Rule], Hashable], ...] = (
    lambda r: (r.interface, r.interface_negated),
    lambda r: r.direction,
    lambda r: r.interface_negated,
    lambda r: r.af,
    lambda r: r.proto,
    lambda r: _addr(r.src),
    lambda r: _addr(r.dst),
    lambda r: _port(r.src_port),
    lambda r: _port(r.dst_port),
)


def skip_steps(rules: list[Rule]) -> list[list[int]]:
    """For each rule, the rule index each field skips to (END for the end of the ruleset)."""
    steps = [[END] * len(KEYS) for _ in rules]
    for field, key in enumerate(KEYS):
        start = 0
        for i in range(1, len(rules) + 1):
            if i == len(rules) or key(rules[i]) != key(rules[i - 1]):
                target = i if i < len(rules) else END
                for j in range(start, i):
                    steps[j][field] = target
                start = i
    return steps


def skip_text(number: int, steps: list[int]) -> str:
    shown = [f"{name}={'end' if step == END else step}" for name, step in zip(NAMES, steps) if step != number + 1]
    return f"  [ Skip steps: {' '.join(shown)} ]"
