"""Token handling, error recovery and the small non-terminals shared by the bgpd.conf parser.

The parser is recursive descent over bgpd's yacc grammar. Errors follow yacc's behaviour: a
semantic error prints bgpd's message; a syntax error prints ``syntax error`` unless an error
was reported in the last three tokens; either way the rest of the line is skipped and parsing
goes on (inside a neighbor, group or vpn block it stays in the block).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from askzero.bgp.addr import AID_INET, AID_INET6, AID_NAMES, Addr, host
from askzero.bgp.community import strtonum
from askzero.bgp.lexer import Lexer, Token
from askzero.bgp.model import OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT, OP_NE, OP_RANGE, OP_XRANGE, Source
from askzero.errors import ParseIssue

T = TypeVar("T")
UINT_MAX = 0xFFFFFFFF
USHRT_MAX = 0xFFFF
SERVICES = {"bgp": 179, "rpki-rtr": 323, "rpki-rtr-tls": 324}


class Abort(Exception):
    """A semantic error already reported (yacc's YYERROR): recover to the next line."""


class Syntax(Exception):
    """A token the grammar does not accept here."""


class GrammarBase:
    """One-token look-ahead over the lexer, bgpd-style error reporting and recovery."""

    lexer: Lexer
    issues: list[ParseIssue]

    def __init__(self) -> None:
        self._buf: list[Token] = []
        self._errflag = 0

    # -- tokens -----------------------------------------------------------------------

    def peek(self) -> Token:
        if not self._buf:
            self._buf.append(self.lexer.lex())
        return self._buf[0]

    def peek2(self) -> Token:
        """The token after the next one (needed to tell an address from a prefix)."""
        self.peek()
        if len(self._buf) < 2:
            self._buf.append(self.lexer.lex())
        return self._buf[1]

    def next(self) -> Token:
        tok = self.peek()
        self._buf.pop(0)
        if self._errflag > 0:
            self._errflag -= 1
        return tok

    def at(self, *kinds: str) -> bool:
        return self.peek().kind in kinds

    def accept(self, kind: str) -> Token | None:
        return self.next() if self.peek().kind == kind else None

    def expect(self, kind: str) -> Token:
        if self.peek().kind != kind:
            raise Syntax()
        return self.next()

    def source(self) -> Source:
        return Source(self.lexer.file.name, self.lexer.lineno)

    # -- errors -----------------------------------------------------------------------

    def yyerror(self, message: str) -> None:
        """Record an error at the line of the last token read, as bgpd's yyerror does."""
        self.issues.append(ParseIssue(self.lexer.file.name, self.lexer.lineno, message))

    def fail(self, message: str) -> Abort:
        self.yyerror(message)
        return Abort()

    def recover(self, exc: Exception) -> None:
        """Report a syntax error (unless recovering) and skip to the end of the line."""
        if isinstance(exc, Syntax) and self._errflag == 0:
            self.yyerror("syntax error")
        self._errflag = 3
        while self.peek().kind not in ("\n", "EOF"):
            self._buf.pop(0)
        if self.peek().kind == "\n":
            self.next()

    def guarded(self, body: Callable[[], None]) -> None:
        """Run one statement; on error, report it and resume after the end of its line."""
        try:
            body()
        except (Abort, Syntax) as exc:
            self.recover(exc)

    # -- lists ------------------------------------------------------------------------

    def optnl(self) -> None:
        while self.accept("\n"):
            pass

    def block_list(self, item: Callable[[], T]) -> list[T]:
        """``'{' optnl [items separated by comma] optnl '}'`` with the '{' already read."""
        self.optnl()
        out: list[T] = []
        if self.accept("}"):
            return out
        out.append(item())
        while True:
            if self.accept(","):
                self.optnl()
                out.append(item())
            elif self.at("\n"):
                self.optnl()
                if self.accept("}"):
                    return out
                out.append(item())
            elif self.accept("}"):
                return out
            else:
                out.append(item())

    def comma_list(self, item: Callable[[], T], end: str) -> list[T]:
        """Items separated by bgpd's ``comma`` (nothing, ',' or newlines) up to ``end``."""
        out = [item()]
        while not self.at(end):
            if self.accept(","):
                self.optnl()
            else:
                self.optnl()
                if self.at(end):
                    break
            out.append(item())
        return out

    # -- small non-terminals ----------------------------------------------------------

    def number(self) -> int:
        return int(self.expect("NUMBER").value)  # type: ignore[arg-type]

    def string(self) -> str:
        """One or more STRING tokens joined by a space (bgpd's ``string``)."""
        parts = [str(self.expect("STRING").value)]
        while self.at("STRING"):
            parts.append(str(self.next().value))
        return " ".join(parts)

    def yesno(self) -> bool:
        word = self.expect("STRING").value
        if word == "yes":
            return True
        if word == "no":
            return False
        raise self.fail("syntax error, either yes or no expected")

    def asnumber(self) -> int:
        value = self.number()
        if value < 0 or value > UINT_MAX:
            raise self.fail(f"AS too big: max {UINT_MAX}")
        return value

    def _asdot(self, text: str) -> int:
        high, dot, low = text.partition(".")
        if not dot:
            raise self.fail(f"AS {text} is bad")
        hv, err = strtonum(high, 0, USHRT_MAX)
        if err:
            raise self.fail(f"number {high} is {err}")
        lv, err = strtonum(low, 0, USHRT_MAX)
        if err:
            raise self.fail(f"number {low} is {err}")
        return lv | hv << 16

    def as4number(self, reserved_ok: bool = False) -> int:
        """An AS number, plain or asdot; AS 0 and AS_TRANS refused unless ``reserved_ok``."""
        if self.at("STRING"):
            text = str(self.next().value)
            value = self._asdot(text)
            high = value >> 16
            if not reserved_ok and high == 0 and (value & USHRT_MAX) in (23456, 0):
                raise self.fail(f"AS {value & USHRT_MAX} is reserved and may not be used")
            return value
        value = self.asnumber()
        if not reserved_ok and value in (23456, 0):
            raise self.fail(f"AS {value} is reserved and may not be used")
        return value

    def address(self) -> Addr:
        text = str(self.expect("STRING").value)
        parsed = host(text)
        if parsed is None:
            raise self.fail(f'could not parse address spec "{text}"')
        addr, length = parsed
        if length != addr.maxlen:
            raise self.fail(f"got prefixlen {length}, expected {addr.maxlen}")
        return addr

    def prefix(self) -> tuple[Addr, int]:
        tok = self.peek()
        if tok.kind == "STRING":
            self.next()
            self.expect("/")
            plen = self.number()
            if plen < 0 or plen > 128:
                raise self.fail(f"bad prefixlen {plen}")
            text = f"{tok.value}/{plen}"
        elif tok.kind == "NUMBER":
            self.next()
            self.expect("/")
            plen = self.number()
            if int(tok.value) < 0 or int(tok.value) > 255 or plen < 0 or plen > 32:  # type: ignore[arg-type]
                raise self.fail(f"bad prefix {tok.value}/{plen}")
            text = f"{tok.value}/{plen}"
        else:
            raise Syntax()
        parsed = host(text)
        if parsed is None:
            raise self.fail(f'could not parse address "{text}"')
        return parsed

    def addrspec(self) -> tuple[Addr, int]:
        if self.at("STRING") and self.peek2().kind != "/":
            addr = self.address()
            return addr, addr.maxlen
        return self.prefix()

    def port(self) -> int:
        if self.at("NUMBER"):
            value = self.number()
            if value < 1 or value > USHRT_MAX:
                raise self.fail(f"port must be between 1 and {USHRT_MAX}")
            return value
        name = str(self.expect("STRING").value)
        if name not in SERVICES:
            raise self.fail(f"unknown port '{name}'")
        return SERVICES[name]

    def unaryop(self) -> int:
        ops = {"=": OP_EQ, "NE": OP_NE, "LE": OP_LE, "<": OP_LT, "GE": OP_GE, ">": OP_GT}
        tok = self.peek()
        if tok.kind not in ops:
            raise Syntax()
        self.next()
        return ops[tok.kind]

    def binaryop(self) -> int:
        if self.accept("-"):
            return OP_RANGE
        self.expect("XRANGE")
        return OP_XRANGE

    @staticmethod
    def aid_name(aid: int) -> str:
        return AID_NAMES[aid] if 0 <= aid < len(AID_NAMES) else "unknown AID"

    @staticmethod
    def is_inet(addr: Addr) -> bool:
        return addr.aid in (AID_INET, AID_INET6)
