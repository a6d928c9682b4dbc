"""Tokens of bgpd.conf, read the way bgpd's own lexer reads them.

bgpd lexes character by character with a push-back buffer: ``$name`` outside quotes pushes
the macro's value back into the input (between two markers, so a ``$`` inside a value is not
expanded again), a backslash before a newline joins lines, ``#`` starts a comment, and at the
end of an included file the reader falls back to the including one. Doing the same here keeps
odd inputs (a macro holding half a block, ``$a:$b`` inside one word) behaving as bgpd does.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

MAX_STRING = 8096  # bgpd's yylex buffer
MAX_MACRO_NAME = 128
MAX_EXPANSION = 1 << 22  # characters produced by macros in one parse
START_EXPAND = "\x01"
DONE_EXPAND = "\x02"

KEYWORDS: dict[str, str] = {
    "AS": "AS", "EVPN": "EVPN", "IPv4": "IPV4", "IPv6": "IPV6", "add-path": "ADDPATH", "ah": "AH",
    "allow": "ALLOW", "announce": "ANNOUNCE", "any": "ANY", "as-4byte": "AS4BYTE",
    "as-override": "ASOVERRIDE", "as-set": "ASSET", "aspa-set": "ASPASET", "avs": "AVS",
    "blackhole": "BLACKHOLE", "community": "COMMUNITY", "compare": "COMPARE",
    "connect-retry": "CONNECTRETRY", "connected": "CONNECTED", "customer-as": "CUSTOMERAS",
    "default-route": "DEFAULTROUTE", "delete": "DELETE", "demote": "DEMOTE", "deny": "DENY",
    "depend": "DEPEND", "descr": "DESCR", "down": "DOWN", "dump": "DUMP", "ebgp": "EBGP",
    "enforce": "ENFORCE", "enhanced": "ENHANCED", "esp": "ESP", "evaluate": "EVALUATE",
    "expires": "EXPIRES", "export": "EXPORT", "export-target": "EXPORTTRGT",
    "ext-community": "EXTCOMMUNITY", "extended": "EXTENDED", "fib-priority": "FIBPRIORITY",
    "fib-update": "FIBUPDATE", "filtered": "FILTERED", "flags": "FLAGS", "flowspec": "FLOWSPEC",
    "fragment": "FRAGMENT", "from": "FROM", "graceful": "GRACEFUL", "group": "GROUP",
    "holdtime": "HOLDTIME", "ibgp": "IBGP", "ignore": "IGNORE", "ike": "IKE",
    "import-target": "IMPORTTRGT", "in": "IN", "include": "INCLUDE", "inet": "IPV4",
    "inet6": "IPV6", "ipsec": "IPSEC", "key": "KEY", "large-community": "LARGECOMMUNITY",
    "listen": "LISTEN", "local-address": "LOCALADDR", "local-as": "LOCALAS",
    "localpref": "LOCALPREF", "log": "LOG", "match": "MATCH", "max": "MAX",
    "max-as-len": "MAXASLEN", "max-as-seq": "MAXASSEQ", "max-communities": "MAXCOMMUNITIES",
    "max-ext-communities": "MAXEXTCOMMUNITIES", "max-large-communities": "MAXLARGECOMMUNITIES",
    "max-prefix": "MAXPREFIX", "maxlen": "MAXLEN", "md5sig": "MD5SIG", "med": "MED",
    "message": "MESSAGE", "metric": "METRIC", "min": "YMIN", "min-version": "MINVERSION",
    "multihop": "MULTIHOP", "neighbor": "NEIGHBOR", "neighbor-as": "NEIGHBORAS",
    "network": "NETWORK", "nexthop": "NEXTHOP", "no-modify": "NOMODIFY", "none": "NONE",
    "notification": "NOTIFICATION", "on": "ON", "or-longer": "LONGER", "origin": "ORIGIN",
    "origin-set": "ORIGINSET", "out": "OUT", "ovs": "OVS", "passive": "PASSIVE",
    "password": "PASSWORD", "peer-as": "PEERAS", "pftable": "PFTABLE", "plus": "PLUS",
    "policy": "POLICY", "port": "PORT", "prefix": "PREFIX", "prefix-set": "PREFIXSET",
    "prefixlen": "PREFIXLEN", "prepend-neighbor": "PREPEND_PEER", "prepend-self": "PREPEND_SELF",
    "priority": "PRIORITY", "proto": "PROTO", "provider-as": "PROVIDERAS", "qualify": "QUALIFY",
    "quick": "QUICK", "rd": "RD", "rde": "RDE", "recv": "RECV", "refresh": "REFRESH",
    "reject": "REJECT", "remote-as": "REMOTEAS", "restart": "RESTART",
    "restricted": "RESTRICTED", "rib": "RIB", "roa-set": "ROASET", "role": "ROLE",
    "route-reflector": "REFLECTOR", "router-id": "ROUTERID", "rtable": "RTABLE",
    "rtlabel": "RTLABEL", "rtr": "RTR", "self": "SELF", "send": "SEND", "set": "SET",
    "socket": "SOCKET", "source-as": "SOURCEAS", "spi": "SPI", "staletime": "STALETIME",
    "static": "STATIC", "tcp": "TCP", "to": "TO", "tos": "TOS", "transit-as": "TRANSITAS",
    "transparent-as": "TRANSPARENT", "ttl-security": "TTLSECURITY", "unicast": "UNICAST",
    "via": "VIA", "vpn": "VPN", "weight": "WEIGHT",
}

_PUNCT = set(string.punctuation)
_SPACE = set(" \t\n\v\f\r")


def _isdigit(c: str | None) -> bool:
    return c is not None and "0" <= c <= "9"


def _isalnum(c: str | None) -> bool:
    return c is not None and c.isascii() and c.isalnum()


def _allowed_in_string(c: str | None) -> bool:
    return _isalnum(c) or (c is not None and c in _PUNCT and c not in "(){}<>!=/#,")


def _allowed_to_end_number(c: str | None) -> bool:
    return c is None or c in _SPACE or c in "),/}="


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is a keyword name (``REMOTEAS``), STRING, NUMBER, a punctuation
    character, NE/LE/GE/XRANGE, ERROR or EOF."""

    kind: str
    value: str | int | None
    line: int
    file: str

    def __str__(self) -> str:
        return "newline" if self.kind == "\n" else str(self.value if self.value is not None else self.kind)


class _File:
    def __init__(self, name: str, text: str, first_line: int) -> None:
        self.name = name
        self.text = text
        self.pos = 0
        self.lineno = first_line
        self.unget: list[str] = []
        self.eof_reached = False


class Lexer:
    """bgpd's yylex: a stack of files, a push-back buffer per file, lazy macro expansion."""

    def __init__(self, name: str, text: str, macros: dict[str, str],
                 error: Callable[[str, int, str], None]) -> None:
        self.files: list[_File] = [_File(name, text, 1)]
        self.macros = macros
        self.used: set[str] = set()
        self._error = error
        self.expanding = False
        self.lineno = 1  # bgpd's yylval.lineno: the line of the last token read
        self._expanded = 0

    # -- files ------------------------------------------------------------------------

    @property
    def file(self) -> _File:
        return self.files[-1]

    @property
    def depth(self) -> int:
        return len(self.files) - 1

    def push_file(self, name: str, text: str) -> None:
        """Continue reading from an included file; its first token is a newline, as in bgpd."""
        self.files.append(_File(name, text, 0))
        self.lungetc("\n")

    def _popfile(self) -> bool:
        if len(self.files) == 1:
            return False
        self.files.pop()
        return True

    def error(self, message: str) -> None:
        self._error(self.file.name, self.lineno, message)

    # -- characters -------------------------------------------------------------------

    def _igetc(self) -> str | None:
        f = self.file
        while True:
            if f.unget:
                c: str | None = f.unget.pop()
            elif f.pos < len(f.text):
                c = f.text[f.pos]
                f.pos += 1
            else:
                c = None
            if c == START_EXPAND:
                self.expanding = True
            elif c == DONE_EXPAND:
                self.expanding = False
            else:
                return c

    def lgetc(self, quotec: str | None = None) -> str | None:
        if quotec:
            c = self._igetc()
            if c is None:
                self.error("reached end of file while parsing quoted string")
                if not self._popfile():
                    return None
                return quotec
            return c
        while True:
            c = self._igetc()
            if c != "\\":
                break
            nxt = self._igetc()
            if nxt != "\n":
                c = nxt  # bgpd drops a backslash that does not end a line
                break
            self.lineno = self.file.lineno
            self.file.lineno += 1
        if c is None:
            # a fake end of line the first time, so a last line without newline still parses
            if not self.file.eof_reached:
                self.file.eof_reached = True
                return "\n"
            while c is None:
                if not self._popfile():
                    return None
                c = self._igetc()
        return c

    def lungetc(self, c: str | None) -> None:
        if c is not None:
            self.file.unget.append(c)

    def _findeol(self) -> Token:
        while True:
            c = self.lgetc()
            if c == "\n":
                self.file.lineno += 1
                break
            if c is None:
                break
        return self._tok("ERROR", None)

    def _expand_macro(self) -> bool:
        buf: list[str] = []
        while True:
            c = self.lgetc("$")
            if c is None:
                return False
            if len(buf) + 1 >= MAX_MACRO_NAME - 1:
                self.error("macro name too long")
                return False
            if _isalnum(c) or c == "_":
                buf.append(c)
                continue
            self.lungetc(c)
            break
        name = "".join(buf)
        val = self.macros.get(name)
        if val is None:
            self.error(f"macro '{name}' not defined")
            return False
        self.used.add(name)
        self._expanded += len(val)
        if self._expanded > MAX_EXPANSION:
            self.error("macro expansion too large")
            return False
        self.file.unget.append(DONE_EXPAND)
        self.file.unget.extend(reversed(val))
        self.file.unget.append(START_EXPAND)
        return True

    def _tok(self, kind: str, value: str | int | None) -> Token:
        return Token(kind, value, self.lineno, self.file.name)

    # -- tokens -----------------------------------------------------------------------

    def lex(self) -> Token:
        """The next token (bgpd's yylex)."""
        while True:
            c = self.lgetc()
            while c in (" ", "\t"):
                c = self.lgetc()
            self.lineno = self.file.lineno
            if c == "#":
                c = self.lgetc()
                while c != "\n" and c is not None:
                    c = self.lgetc()
            if c == "$" and not self.expanding:
                if not self._expand_macro():
                    return self._tok("ERROR", None)
                continue
            break
        if c in ("'", '"'):
            return self._quoted(c)
        if c == "!":
            nxt = self.lgetc()
            if nxt == "=":
                return self._tok("NE", "!=")
            self.lungetc(nxt)
        elif c == "<":
            nxt = self.lgetc()
            if nxt == "=":
                return self._tok("LE", "<=")
            self.lungetc(nxt)
        elif c == ">":
            nxt = self.lgetc()
            if nxt == "<":
                return self._tok("XRANGE", "><")
            if nxt == "=":
                return self._tok("GE", ">=")
            self.lungetc(nxt)
        if c == "-" or _isdigit(c):
            tok = self._number(c)  # type: ignore[arg-type]
            if tok is not None:
                return tok
            c = self.lgetc()
            if c == "-":
                return self._tok("-", "-")
        if _isalnum(c) or c in (":", "_", "*"):
            return self._word(c)  # type: ignore[arg-type]
        if c == "\n":
            self.lineno = self.file.lineno
            self.file.lineno += 1
        if c is None:
            return self._tok("EOF", None)
        return self._tok(c, c)

    def _quoted(self, quotec: str) -> Token:
        buf: list[str] = []
        while True:
            c = self.lgetc(quotec)
            if c is None:
                return self._tok("EOF", None)
            if c == "\n":
                self.file.lineno += 1
                continue
            if c == "\\":
                nxt = self.lgetc(quotec)
                if nxt is None:
                    return self._tok("EOF", None)
                if nxt in (quotec, " ", "\t"):
                    c = nxt
                elif nxt == "\n":
                    self.file.lineno += 1
                    continue
                else:
                    self.lungetc(nxt)
            elif c == quotec:
                break
            elif c == "\0":
                self.error("syntax error: unterminated quote")
                return self._findeol()
            if len(buf) + 1 >= MAX_STRING - 1:
                self.error("string too long")
                return self._findeol()
            buf.append(c)
        return self._tok("STRING", "".join(buf))

    def _number(self, c: str) -> Token | None:
        """A number, or None after pushing the characters back (they start a word)."""
        buf = [c]
        while True:
            c2 = self.lgetc()
            if not _isdigit(c2):
                break
            buf.append(c2)  # type: ignore[arg-type]
            if len(buf) >= MAX_STRING:
                self.error("string too long")
                return self._findeol()
        self.lungetc(c2)
        if buf != ["-"] and _allowed_to_end_number(c2):
            text = "".join(buf)
            try:
                value = int(text)
            except ValueError:
                value = None
            if value is None:
                self.error(f'"{text}" invalid number: invalid')
                return self._findeol()
            if not -(1 << 63) <= value < (1 << 63):
                self.error(f'"{text}" invalid number: {"too small" if value < 0 else "too large"}')
                return self._findeol()
            return self._tok("NUMBER", value)
        for ch in reversed(buf):
            self.lungetc(ch)
        return None

    def _word(self, c: str) -> Token:
        buf: list[str] = []
        while True:
            if c == "$" and not self.expanding:
                if not self._expand_macro():
                    return self._tok("ERROR", None)
            else:
                buf.append(c)
            if len(buf) >= MAX_STRING:
                self.error("string too long")
                return self._findeol()
            nxt = self.lgetc()
            if nxt is None or not _allowed_in_string(nxt):
                self.lungetc(nxt)
                break
            c = nxt
        text = "".join(buf)
        kind = KEYWORDS.get(text)
        if kind is not None:
            return self._tok(kind, text)
        return self._tok("STRING", text)
