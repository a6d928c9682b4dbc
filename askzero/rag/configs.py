"""pf.conf and bgpd.conf chunks: one per statement, cited by file and lines.

A statement runs over ``\\`` continuations and over lists or sets whose braces span lines;
the comment lines just above it belong to it (they say why the rule exists); a paragraph of
comments on its own is a chunk too. Statements
inside a block (``anchor "x" { ... }``, ``group "upstreams" { neighbor ... { ... } }``) carry
the block path as their heading. Secrets (``password``, ``key``) are masked in the indexed
text, since hits are shown to users and to the model.
"""

from __future__ import annotations

import re

from askzero.rag.types import Chunk

# Keywords that open a block of statements, as opposed to a set or list in braces.
BLOCK_KEYWORDS = {"anchor", "neighbor", "group", "rdomain", "rtr"}
_SECRET = re.compile(r"\b(password|key|md5sig password)\s+(\"[^\"]*\"|\S+)")
_INCLUDE = re.compile(r'^\s*(?:include|load\s+anchor\s+\S+\s+from)\s+"([^"]+)"', re.M)


def strip_comment(line: str) -> str:
    """The line without its comment; a ``#`` inside quotes is not one."""
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return line[:i]
    return line


def mask_secrets(text: str) -> str:
    return _SECRET.sub(lambda m: f"{m.group(1)} ********", text)


def included_paths(text: str) -> list[str]:
    """Files a pf.conf pulls in (``include``, ``load anchor ... from``), as written."""
    return _INCLUDE.findall(text)


def chunk_config(text: str, file: str, framework: str, kind: str = "config") -> list[Chunk]:
    """One chunk per statement of a pf.conf or bgpd.conf."""
    lines = text.split("\n")
    chunks: list[Chunk] = []
    stack: list[str] = []
    comment_from: int | None = None
    first = begin = -1
    balance = 0
    block = False
    for i, raw in enumerate(lines):
        code = strip_comment(raw).strip()
        if begin < 0:
            if not code:
                if raw.strip():
                    comment_from = i if comment_from is None else comment_from
                else:
                    if comment_from is not None and i - comment_from >= 2:
                        # a paragraph of comments (a file header, a section note) is searchable too
                        chunks.append(Chunk(file, " > ".join(stack), comment_from + 1, i,
                                            "\n".join(lines[comment_from:i]), kind, framework))
                    comment_from = None
                continue
            if code == "}":
                if stack:
                    stack.pop()
                comment_from = None
                continue
            begin, balance = i, 0
            first = comment_from if comment_from is not None else i
            words = code.split()
            block = bool(words) and words[0] in BLOCK_KEYWORDS
        balance += code.count("{") - code.count("}")
        if code.endswith("\\") or (balance > 0 and not (block and code.endswith("{"))):
            continue
        statement = " ".join(strip_comment(x).strip().rstrip("\\").strip() for x in lines[begin:i + 1])
        if block and balance > 0:
            stack.append(statement.rstrip("{").strip())
        else:
            body = "\n".join(lines[first:i + 1])
            chunks.append(Chunk(file, " > ".join(stack), first + 1, i + 1, mask_secrets(body), kind, framework))
        begin, comment_from = -1, None
    if begin >= 0:  # unterminated statement at the end of the file: still searchable
        body = "\n".join(lines[first:]).rstrip()
        chunks.append(Chunk(file, " > ".join(stack), first + 1, first + 1 + body.count("\n"),
                            mask_secrets(body), kind, framework))
    return chunks
