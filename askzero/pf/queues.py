"""The queue statement (HFSC and FQ-CoDel) and pfctl's checks of the queue tree."""

from __future__ import annotations

from askzero.pf.services import is_number

from dataclasses import dataclass, field

from askzero.pf.lexer import Lexer
from askzero.pf.model import Source
from askzero.pf.terms import SyntaxProblem, accept, parse_list, word

BANDWIDTH_WORDS = ("min", "max", "burst")


@dataclass
class Queue:
    name: str
    source: Source
    interface: str | None = None
    parent: str | None = None
    bandwidth: list[str] = field(default_factory=list)  # "1M", "min 1M", "burst 2M for 100ms"
    flows: int | None = None
    quantum: int | None = None
    qlimit: int | None = None
    default: bool = False

    def text(self) -> str:
        words = [f"queue {self.name}"]
        words.append(f"on {self.interface}" if self.parent is None else f"parent {self.parent}")
        if self.flows is not None:
            words.append(f"flows {self.flows}")
        if self.quantum is not None:
            words.append(f"quantum {self.quantum}")
        if self.bandwidth:
            words.append("bandwidth " + " ".join(self.bandwidth))
        if self.qlimit is not None:
            words.append(f"qlimit {self.qlimit}")
        if self.default:
            words.append("default")
        return " ".join(words)


def parse_queue(lex: Lexer, src: Source) -> Queue:
    queue = Queue(word(lex).value, src)
    while lex.peek().kind not in ("nl", "eof"):
        tok = lex.next()
        key = tok.value
        if key == "on":  # one interface, or a list: the root queue is made on each
            names = parse_list(lex, lambda lx: [word(lx).value])
            queue.interface = names[0] if len(names) == 1 else "{ " + " ".join(names) + " }"
        elif key == "parent":
            queue.parent = word(lex).value
        elif key == "bandwidth":
            queue.bandwidth.append(word(lex).value)
            while (extra := accept(lex, *BANDWIDTH_WORDS)) is not None:
                queue.bandwidth.append(f"{extra.value} {word(lex).value}")
                if extra.value == "burst" and accept(lex, "for"):
                    queue.bandwidth[-1] += f" for {word(lex).value}"
        elif key in ("flows", "quantum", "qlimit"):
            value = word(lex)
            if not is_number(value.value):
                raise SyntaxProblem(value.line)
            setattr(queue, key, int(value.value))
        elif key == "default":
            queue.default = True
        else:
            raise SyntaxProblem(tok.line)
    if queue.interface is None and queue.parent is None:
        raise SyntaxProblem(src.line)
    return queue


def check_queues(queues: list[Queue]) -> list[str]:
    """What pfctl says when it loads an inconsistent queue tree (after printing it)."""
    problems = []
    children = {q.name: [c for c in queues if c.parent == q.name] for q in queues}
    by_name = {q.name: q for q in queues}
    for queue in queues:
        if queue.default and children[queue.name]:
            problems.append(f"pfctl: default queue {queue.name} is not a leaf queue")
        if queue.flows is not None and children[queue.name]:
            problems.append(f"pfctl: flow queue {queue.name} is not a leaf queue")
        root = queue
        while root.parent is not None and root.parent in by_name:
            root = by_name[root.parent]
        if root is not queue and root.bandwidth and not queue.bandwidth:
            problems.append(f"pfctl: queue {queue.name}: no bandwidth was specified")
    return problems[:1]  # pfctl stops loading at the first
