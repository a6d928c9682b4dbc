"""Parsing of the terms inside a rule: hosts, ports, interfaces, protocols.

Each function takes the token stream positioned at the term and returns a list, since any
term may be a ``{ ... }`` list that pfctl expands into several rules.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TypeVar

from askzero.pf.host import HostProfile
from askzero.pf.lexer import Lexer, Token
from askzero.pf.model import Address, PortRange
from askzero.pf.services import PROTOCOLS, port_number, is_number

T = TypeVar("T")
IF_MODIFIERS = ("network", "broadcast", "peer", "0")


class SyntaxProblem(Exception):
    """A parse error at a line, reported by the parser with pfctl's wording.

    ``bare`` is a message pfctl prints before it with no position (from its host lookup).
    """

    def __init__(self, line: int, message: str = "syntax error", bare: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.bare = bare


def host_problem(line: int, bare: str) -> SyntaxProblem:
    return SyntaxProblem(line, "could not parse host specification", bare)


def expect(lex: Lexer, value: str) -> Token:
    tok = lex.next()
    if tok.value != value or tok.kind not in ("punct", "word"):
        raise SyntaxProblem(tok.line)
    return tok


def accept(lex: Lexer, *values: str) -> Token | None:
    tok = lex.peek()
    if tok.kind in ("word", "punct") and tok.value in values:
        return lex.next()
    return None


def parse_list(lex: Lexer, item: Callable[[Lexer], list[T]]) -> list[T]:
    """``item`` or ``{ item [,] item ... }`` (newlines allowed inside braces)."""
    if accept(lex, "{") is None:
        return item(lex)
    out: list[T] = []
    while True:
        tok = lex.peek()
        if tok.kind == "nl" or (tok.kind == "punct" and tok.value == ","):
            lex.next()
            continue
        if tok.kind == "punct" and tok.value == "}":
            lex.next()
            break
        if tok.kind == "eof":
            raise SyntaxProblem(tok.line)
        out.extend(item(lex))
    if not out:
        raise SyntaxProblem(lex.peek().line)
    return out


def word(lex: Lexer) -> Token:
    tok = lex.next()
    if tok.kind not in ("word", "string"):
        raise SyntaxProblem(tok.line)
    return tok


def parse_interfaces(lex: Lexer) -> list[tuple[str, bool]]:
    def one(lx: Lexer) -> list[tuple[str, bool]]:
        negated = accept(lx, "!") is not None
        return [(word(lx).value, negated)]

    return parse_list(lex, one)


def parse_protocols(lex: Lexer) -> list[str]:
    def one(lx: Lexer) -> list[str]:
        tok = word(lx)
        name = tok.value
        if is_number(name):
            return [name]
        if name not in PROTOCOLS:
            raise SyntaxProblem(tok.line, f"unknown protocol {name}")
        return [name]

    return parse_list(lex, one)


class HostParser:
    """Parses host terms, expanding static interface names and ``self`` via the host profile."""

    def __init__(self, host: HostProfile) -> None:
        self.host = host

    def parse(self, lex: Lexer) -> list[Address]:
        return parse_list(lex, self._one)

    def _one(self, lex: Lexer) -> list[Address]:
        negated = accept(lex, "!") is not None
        tok = lex.peek()
        if tok.value == "<" and tok.kind == "punct":
            lex.next()
            name = word(lex).value
            expect(lex, ">")
            return [Address("table", name=name, negated=negated)]
        if tok.value == "(" and tok.kind == "punct":
            lex.next()
            name = word(lex).value
            expect(lex, ")")
            ifname, _, modifier = name.partition(":")
            if not ifname[:1].isalpha():
                raise SyntaxProblem(tok.line, f"invalid interface name '{name}'")
            if modifier and any(m not in IF_MODIFIERS for m in modifier.split(":")):
                raise SyntaxProblem(tok.line, f"invalid interface modifier {modifier}")
            bits = None
            after = lex.peek()
            if after.kind == "word" and after.value.startswith("/") and is_number(after.value[1:]):
                bits = int(lex.next().value[1:])
            return [Address("dynamic", name=ifname, modifier=modifier, negated=negated, bits=bits)]
        text = word(lex).value
        if text in ("any", "no-route", "urpf-failed"):
            return [Address(text, negated=negated)]
        if text in self.host.hosts:
            return [Address("net", parse_network(a), name=text, negated=negated) for a in self.host.hosts[text]]
        if text == "self":
            return [Address("net", _host_net(a), name="self", negated=negated) for a in self.host.self_addresses()]
        net = parse_network(text)
        if net is not None and "/" not in text and lex.peek().value == "-":  # an address range
            lex.next()
            high = parse_network(word(lex).value)
            if high is None or high.version != net.version:
                raise SyntaxProblem(tok.line)
            return [Address("range", net, name=str(high.network_address), negated=negated)]
        if net is not None:
            scope = text.partition("%")[2].split("/")[0]
            return [Address("net", net, negated=negated, scope=scope)]
        base, _, bits = text.partition("/")
        if is_number(bits) and self.host.is_known(base.partition(":")[0]):
            nets = [ipaddress.ip_network(f"{a.ip}/{bits}", strict=False) for a in self.host.addresses(base)
                    if int(bits) <= a.max_prefixlen]
            return [Address("net", n, name=text, negated=negated) for n in nets]
        ifname, _, modifier = text.partition(":")
        if self.host.is_known(ifname) and (not modifier or modifier in IF_MODIFIERS):
            nets = []
            addresses = self.host.addresses(ifname)
            if modifier == "0":  # the first address of each family only
                addresses = [a for i, a in enumerate(addresses)
                             if all(b.version != a.version for b in addresses[:i])]
            if modifier == "peer":
                addresses = [p for i in self.host.members(ifname) for p in i.peer]
            for addr in addresses:
                if modifier == "network":
                    nets.append(addr.network)
                elif modifier == "broadcast":  # IPv4 only, and not on loopback or point-to-point
                    iface_is_lo = ifname.startswith("lo")
                    if addr.version == 4 and not iface_is_lo and addr.network.prefixlen < 31:
                        nets.append(_host_net(addr.network.broadcast_address))
                else:
                    nets.append(_host_net(addr))
            if not nets:
                raise host_problem(tok.line, f"no IP address found for {text}")
            return [Address("net", n, name=text, negated=negated) for n in nets]
        head, _, bits = text.partition("/")
        if is_number(bits) and parse_network(head) is not None:
            limit = 32 if ":" not in head else 128
            if int(bits) > 128:
                raise host_problem(tok.line, f"netmask is too large: /{bits}")
            if int(bits) > limit:  # pfctl reports this one per expanded rule
                return [Address("invalid", name=text, modifier=f"netmask {bits} invalid for IPv4 address",
                                negated=negated)]
        raise host_problem(tok.line, f"no IP address found for {text}")


SHORT_V4 = re.compile(r"^\d{1,3}(\.\d{1,3}){0,3}/\d{1,2}$")


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An address or network as pfctl reads it: ``10/8`` is 10.0.0.0/8, a scope is dropped."""
    if SHORT_V4.match(text):
        head, _, bits = text.partition("/")
        octets = head.split(".")
        text = ".".join(octets + ["0"] * (4 - len(octets))) + "/" + bits
    address, _, rest = text.partition("%")
    if rest:
        text = address + ("/" + rest.split("/", 1)[1] if "/" in rest else "")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _host_net(addr: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The /32 or /128 of an interface address (or of a plain address)."""
    return ipaddress.ip_network(getattr(addr, "ip", addr))


def parse_ports(lex: Lexer, proto_hint: str | None = None) -> list[PortRange]:
    def number(tok: Token) -> int:
        value = port_number(tok.value, proto_hint)
        if value is None:
            numeric = is_number(tok.value) or tok.value.lower().startswith("0x")
            raise SyntaxProblem(tok.line, f"illegal port value {tok.value}" if numeric else f"unknown port {tok.value}")
        return value

    def one(lx: Lexer) -> list[PortRange]:
        tok = lx.peek()
        if tok.kind == "punct" and tok.value in ("=", "!=", "<", "<=", ">", ">="):
            lx.next()
            return [PortRange(tok.value, number(word(lx)))]
        first = word(lx)
        if ":" in first.value:
            lo, _, hi = first.value.partition(":")
            return [PortRange(":", number(Token("word", lo, first.line)), number(Token("word", hi, first.line)))]
        low = number(first)
        op = accept(lx, "><", "<>", ":")
        if op is not None:
            return [PortRange(op.value, low, number(word(lx)))]
        return [PortRange("=", low)]

    return parse_list(lex, one)
