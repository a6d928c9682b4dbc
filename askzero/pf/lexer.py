"""Tokens of pf.conf, with macro expansion done as pfctl does it: in the lexer.

``$name`` outside quotes is replaced by the macro's value, which is lexed again in place
(so ``ports = "{ 22 80 }"`` then ``port $ports`` yields a list). Quoted strings are never
expanded. A backslash before a newline joins lines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

MAX_LINE = 65536
MAX_STRING = 8191  # pfctl's yylex buffer
MAX_MACRO_DEPTH = 32
MAX_EXPANSION = 1 << 22  # characters produced by macros in one file
PUNCT_PAIRS = ("<=", ">=", "!=", "<>", "><")
PUNCT = set("{}(),!=<>")
WORD_STOP = set(" \t\r\n#\"'") | PUNCT


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | punct | nl | eof
    value: str
    line: int

    def __str__(self) -> str:
        return self.value if self.kind != "nl" else "newline"


class LexError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _scan(text: str, line: int, allow_newlines: bool = True) -> Iterator[Token]:
    """Raw tokens of ``text`` starting at ``line``; macros are left as ``$name`` words."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and text.startswith("\n", i + 1):
            i += 2
            line += 1
            continue
        if c == "\n":
            yield Token("nl", "\n", line)
            line += 1
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "#":  # a comment ends at a newline not escaped by a backslash, as in pfctl
            while i < n and text[i] != "\n":
                if text[i] == "\\" and text.startswith("\n", i + 1):
                    i += 1
                    line += 1
                i += 1
            continue
        if c in "\"'":
            end = i + 1
            buf = []
            start_line = line
            while end < n and text[end] != c:
                if text[end] == "\n":  # pfctl lets a quoted string run over lines
                    line += 1
                if text[end] == "\\" and end + 1 < n and text[end + 1] in (c, "\\"):
                    end += 1
                buf.append(text[end])
                end += 1
            if end >= n:
                raise LexError(start_line, "unterminated quoted string")
            if end - i > MAX_STRING:
                raise LexError(start_line, "string too long")
            yield Token("string", "".join(buf), start_line)
            i = end + 1
            continue
        if text.startswith(PUNCT_PAIRS, i):
            yield Token("punct", text[i : i + 2], line)
            i += 2
            continue
        if c in PUNCT:
            yield Token("punct", c, line)
            i += 1
            continue
        start = i
        while i < n and text[i] not in WORD_STOP:
            if text[i] == "\\" and text.startswith("\n", i + 1):
                break
            i += 1
        yield Token("word", text[start:i], line)


class Lexer:
    """A token stream with one-token look-ahead that expands macros lazily.

    Macros are looked up at the moment a token is read, so a definition on one line is
    visible on the following lines, as in pfctl.
    """

    def __init__(self, text: str, macros: dict[str, str]) -> None:
        for number, raw in enumerate(text.split("\n"), 1):
            if len(raw) > MAX_LINE:
                raise LexError(number, "line too long")
        self._raw = _scan(text, 1)
        self.last_line = max(text.count("\n"), 1)
        self._macros = macros
        self._pending: deque[Token] = deque()
        self.last = Token("nl", "\n", 0)  # the token most recently consumed
        self.used_macros: list[str] = []  # macros expanded since the parser last cleared this
        self._expanded = 0

    def _expand(self, tok: Token, depth: int = 0) -> list[Token]:
        if tok.kind != "word" or "$" not in tok.value:
            return [tok]
        if depth > MAX_MACRO_DEPTH:
            raise LexError(tok.line, "macro expansion too deep")
        prefix, _, rest = tok.value.partition("$")
        name_end = 0
        while name_end < len(rest) and (rest[name_end].isalnum() or rest[name_end] == "_"):
            name_end += 1
        name, suffix = rest[:name_end], rest[name_end:]
        if name not in self._macros:
            raise LexError(tok.line, f"macro '{name}' not defined")
        text = prefix + self._macros[name] + suffix
        self.used_macros.append(name)
        self._expanded += len(text)
        if self._expanded > MAX_EXPANSION:
            raise LexError(tok.line, "macro expansion too large")
        out: list[Token] = []
        for sub in _scan(text.replace("\n", " "), tok.line):
            out.extend(self._expand(sub, depth + 1))
        return out

    def _fill(self) -> None:
        while not self._pending:
            tok = next(self._raw, None)
            if tok is None:
                self._pending.append(Token("eof", "", self.last_line))
                return
            self._pending.extend(self._expand(tok))

    def peek(self) -> Token:
        if not self._pending:
            self._fill()
        return self._pending[0]

    def next(self) -> Token:
        if not self._pending:
            self._fill()
        self.last = self._pending.popleft()
        return self.last

    def next_raw(self) -> Token:
        """The next token without macro expansion (for the value side of a definition)."""
        if self._pending:
            self.last = self._pending.popleft()
            return self.last
        tok = next(self._raw, None)
        self.last = tok if tok is not None else Token("eof", "", self.last_line)
        return self.last

    def skip_to_eol(self) -> None:
        """Discard the rest of a statement after an error, so parsing can go on."""
        if self.last.kind == "nl":  # the error was found at the statement's end: nothing to skip
            return
        depth = 0
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return
            if tok.kind == "nl" and depth <= 0:
                self.next()
                return
            self.next_raw()
            if tok.value == "{":
                depth += 1
            elif tok.value == "}":
                depth -= 1
