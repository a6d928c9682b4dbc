"""The options of a filter rule, after its addresses: flags, state, tags, translations...

A mixin of the pf.conf parser: each method reads one option with pfctl's checks and
wording, and leaves the rule as pfctl would print it.
"""

from __future__ import annotations

from askzero.pf.services import is_number

import hashlib
import re

from askzero.pf.host import HostProfile
from askzero.pf.lexer import Lexer, Token
from askzero.pf.model import PortRange, Rule, Translation
from askzero.pf.terms import HostParser, SyntaxProblem, accept, expect, parse_list, parse_ports, word

TRANSLATIONS = ("nat-to", "rdr-to", "binat-to", "af-to", "route-to", "reply-to", "dup-to", "divert-to")
DIVERTS = ("divert-to", "divert-reply", "divert-packet")
POOL_OPTIONS = ("bitmask", "random", "source-hash", "round-robin", "least-states", "static-port", "sticky-address")


TIMEOUTS = ("tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait", "tcp.closed",
            "tcp.tsdiff", "udp.first", "udp.single", "udp.multiple", "icmp.first", "icmp.error", "other.first",
            "other.single", "other.multiple", "frag", "interval", "adaptive.start", "adaptive.end", "src.track")
STATE_OPTION_ORDER = ("max", "no-sync", "pflow", "sloppy", "source-track", "max-src-states", "max-src-nodes",
                      "max-src-conn", "max-src-conn-rate", "overload", "if-bound", "floating", *TIMEOUTS)


NUMERIC_STATE_OPTIONS = {"max", "max-src-nodes", "max-src-states", "max-src-conn", *TIMEOUTS}


def check_state_options(options: list[str], line: int) -> None:
    """Reject what pfctl's grammar rejects: unknown options and malformed numbers."""
    for option in options:
        key, *args = option.split()
        if key in NUMERIC_STATE_OPTIONS:
            ok = len(args) == 1 and is_number(args[0])
        elif key == "max-src-conn-rate":
            ok = len(args) == 1 and all(is_number(p) for p in args[0].split("/", 1)) and "/" in args[0]
        elif key == "source-track":
            ok = args in ([], ["rule"], ["global"])
        elif key == "overload":
            ok = 1 <= len(args) <= 3 and args[0].startswith("<")
        else:
            ok = key in ("no-sync", "pflow", "sloppy", "if-bound", "floating") and not args
        if not ok:
            raise SyntaxProblem(line)


def normalize_state_options(options: list[str]) -> tuple[str, ...]:
    """State options as pfctl prints them: its order, and the settings it implies."""
    keys = {o.split()[0]: o for o in options}
    if "max" in keys and "adaptive.start" not in keys and "adaptive.end" not in keys:
        limit = int(keys["max"].split()[1], 0)
        keys["adaptive.start"] = f"adaptive.start {limit * 6 // 10}"
        keys["adaptive.end"] = f"adaptive.end {limit * 12 // 10}"
    track = keys.get("source-track")
    if track == "source-track":  # bare: global, unless max-src-nodes needs per-rule tracking
        keys["source-track"] = "source-track rule" if "max-src-nodes" in keys else "source-track global"
    elif track is None and any(k in keys for k in ("max-src-conn", "max-src-conn-rate", "max-src-nodes")):
        keys["source-track"] = "source-track rule"
    if "max-src-conn-rate" in keys and "src.track" not in keys:
        keys["src.track"] = f"src.track {keys['max-src-conn-rate'].split('/')[-1]}"
    rank = {k: i for i, k in enumerate(STATE_OPTION_ORDER)}
    return tuple(keys[k] for k in sorted(keys, key=lambda k: rank.get(k, len(rank))))


TOS_NAMES = {"lowdelay": 0x10, "throughput": 0x08, "reliability": 0x04}


def _tos(tok: Token) -> str:
    """A tos value as pfctl prints it: names and numbers become 0xNN."""
    text = tok.value
    try:
        value = TOS_NAMES[text] if text in TOS_NAMES else int(text, 0)
    except ValueError:
        raise SyntaxProblem(tok.line, f"illegal tos value {text}") from None
    return f"0x{value:02x}"

class RuleOptions:
    """Option parsing shared by filter rules, anchors and antispoof."""

    host: HostProfile
    hosts: HostParser

    def _owner(self, lex: Lexer, key: str) -> str:
        """``user``/``group`` as pfctl prints it: ``= 0``, ``>= 1000``, names resolved."""
        op = accept(lex, "=", "!=", "<", "<=", ">", ">=")
        tok = word(lex)
        ids = self.host.users if key == "user" else self.host.groups
        if is_number(tok.value):
            value = int(tok.value)
        elif tok.value in ids:
            value = ids[tok.value]
        else:
            raise SyntaxProblem(tok.line, f"unknown {key} {tok.value}")
        return f"{op.value if op else '='} {value}"

    def _scrub(self, lex: Lexer) -> tuple[str, ...]:
        """``scrub (no-df min-ttl 4 max-mss 1440 random-id reassemble tcp)`` with pfctl's checks."""
        line = lex.peek().line
        words = self._paren_words(lex)
        seen: set[str] = set()
        i = 0
        while i < len(words):
            key = words[i]
            if key in seen:
                raise SyntaxProblem(line, f"{key} cannot be respecified")
            seen.add(key)
            if key in ("min-ttl", "max-mss", "reassemble", "set-tos"):
                if i + 1 >= len(words):
                    raise SyntaxProblem(line)
                value = words[i + 1]
                limit = {"min-ttl": 255, "max-mss": 65535}.get(key)
                if limit is not None and (not is_number(value) or int(value) > limit):
                    raise SyntaxProblem(line, f"illegal {key} value {value}")
                i += 2
            elif key in ("no-df", "random-id"):
                i += 1
            else:
                raise SyntaxProblem(line)
        return tuple(words)

    @staticmethod
    def _icmp_item(lex: Lexer) -> list[tuple[str, str | None]]:
        name = word(lex).value
        code = word(lex).value if accept(lex, "code") else None
        return [(name, code)]

    def _options(self, lex: Lexer, rule: Rule, rule_protos: list | None = None) -> list[tuple[str | None, str | None]]:
        """Options after the addresses; returns the icmp-type list, which expands like hosts."""
        rule_protos = [p for p in (rule_protos or []) if p]
        icmp_types: list[tuple[str | None, str | None]] = [(None, None)]
        other: list[str] = []
        translations: list[Translation] = []
        while True:
            tok = lex.peek()
            if tok.kind in ("nl", "eof") or (tok.kind == "punct" and tok.value in ("{", "}")):
                break
            lex.next()
            key = tok.value
            if key == "flags":
                value = word(lex).value
                if value != "any" and ("/" not in value or value.endswith("/")):
                    raise SyntaxProblem(tok.line)
                if value != "any" and rule_protos and "tcp" not in rule_protos:
                    raise SyntaxProblem(tok.line, "flags only apply to tcp")
                rule.flags = None if value == "any" else tuple(value.split("/", 1) + [""])[:2]  # type: ignore[assignment]
                if value == "any":
                    other.append("flags any")
            elif key in ("icmp-type", "icmp6-type"):
                icmp_types = parse_list(lex, self._icmp_item)
                rule.icmp6 = key == "icmp6-type"
            elif key in ("keep", "modulate", "synproxy"):
                expect(lex, "state")
                rule.state = key
                if lex.peek().value == "(":
                    options = self._state_options(lex)
                    check_state_options(options, tok.line)
                    if "source-track global" in options and any(o.startswith("max-src-nodes") for o in options):
                        raise SyntaxProblem(tok.line, "'max-src-nodes' is incompatible with 'source-track global'")
                    rule.state_options = normalize_state_options(options)
            elif key == "no":
                expect(lex, "state")
                rule.state = "no"
            elif key == "tos":
                rule.tos = _tos(word(lex))
            elif key in ("tag", "label", "rtable", "queue", "max-pkt-rate", "prio"):
                value_tok = word(lex)
                value = value_tok.value
                if key in ("tag", "label") and value_tok.kind == "word" and is_number(value):
                    raise SyntaxProblem(tok.line)
                if key == "tag" and len(value) > 63:
                    raise SyntaxProblem(tok.line, "tag too long, max 63 chars")
                if key == "tag":
                    rule.tag = value
                elif key == "label":
                    rule.label = value
                else:
                    other.append(f"{key} {value}")
            elif key == "tagged":
                value_tok = word(lex)
                if value_tok.kind == "word" and is_number(value_tok.value):
                    raise SyntaxProblem(tok.line)
                rule.tagged = value_tok.value
            elif key == "!" and lex.peek().value in ("tagged", "received-on"):
                if lex.next().value == "tagged":
                    rule.tagged, rule.tagged_negated = word(lex).value, True
                else:
                    rule.received_on, rule.received_on_negated = word(lex).value, True
            elif key == "received-on":
                rule.received_on = word(lex).value
            elif key == "probability":
                text = word(lex).value
                try:
                    value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
                except ValueError:
                    raise SyntaxProblem(tok.line) from None
                rule.probability = value
                rule.probability_text = f"{value * 100:g}%"
            elif key in ("user", "group"):
                # a repeated option adds to the front of the list, as pfctl builds it
                found = parse_list(lex, lambda lx: [self._owner(lx, key)])
                setattr(rule, f"{key}s", tuple(found) + getattr(rule, f"{key}s"))
            elif key == "scrub":
                rule.scrub = self._scrub(lex)
            elif key in DIVERTS and (any(t.kind in DIVERTS for t in translations)
                                     or any(o.split()[0] in DIVERTS for o in other)):
                raise SyntaxProblem(tok.line, "more than one divert option")
            elif key in TRANSLATIONS:
                translations.append(self._translation(lex, key))
                kinds = {t.kind for t in translations}
                if "af-to" in kinds and kinds & {"route-to", "reply-to", "dup-to"}:
                    raise SyntaxProblem(tok.line, "af-to cannot be used together with route-to, reply-to, dup-to")
                if key == "divert-to" and rule.af and all(a.af not in (None, rule.af) for a in translations[-1].candidates):
                    raise SyntaxProblem(tok.line, "divert-to address family mismatch")
            elif key == "divert-packet":
                expect(lex, "port")
                other.append(f"divert-packet port {word(lex).value}")
            elif key == "divert-reply":
                if rule.direction == "in":
                    raise SyntaxProblem(tok.line, "divert-reply used with incoming rule")
                other.append(key)
            elif key in ("allow-opts", "once", "fragment"):
                other.append(key)
            elif key == "set":
                rule.set_options += tuple(self._set_options(lex))
            else:
                raise SyntaxProblem(tok.line)
        rule.translations = tuple(translations)
        rule.other = tuple(other)
        return icmp_types

    def _translation(self, lex: Lexer, kind: str) -> Translation:
        family = ""
        if kind == "af-to":
            family = word(lex).value
            if family not in ("inet", "inet6"):
                raise SyntaxProblem(lex.peek().line)
            expect(lex, "from")
        addresses = self.hosts.parse(lex)
        destination = None
        if kind == "af-to":
            if accept(lex, "to"):
                destination = self.hosts.parse(lex)[0]
            for first in (addresses[0], destination):  # pfctl looks at the first of each list
                if first is not None and first.af is not None and first.af != family:
                    raise SyntaxProblem(lex.peek().line, "af-to addresses must be in the target address family")
        if kind == "binat-to" and any(a.negated or a.kind in ("no-route", "urpf-failed") for a in addresses):
            raise SyntaxProblem(lex.peek().line)
        port = None
        if accept(lex, "port"):
            tok = lex.peek()
            if tok.kind == "word" and tok.value.endswith(":*"):  # as wide as the rule's range
                lex.next()
                port = parse_ports(Lexer(tok.value[:-2], {}))[0]
                port = PortRange(":", port.low, -1)
            else:
                port = parse_ports(lex)[0]
        options = []
        while lex.peek().value in POOL_OPTIONS:
            option = lex.next().value
            nxt = lex.peek()
            if option == "source-hash" and nxt.kind in ("word", "string") and nxt.value not in POOL_OPTIONS \
                    and nxt.value not in TRANSLATIONS:
                key = lex.next().value
                if key.lower().startswith("0x"):
                    key = key.lower()
                else:  # pfctl hashes a text key with MD5
                    key = "0x" + hashlib.md5(key.encode()).hexdigest()
                option = f"source-hash {key}"
            options.append(option)
        return Translation(kind, addresses[0], port, tuple(options), tuple(addresses), family, destination)

    def _state_options(self, lex: Lexer) -> list[str]:
        """``(max 10, no-sync, tcp.first 2)``: comma-separated options, each printed as written."""
        expect(lex, "(")
        options, current = [], []
        while True:
            tok = lex.next()
            if tok.kind in ("nl", "eof"):
                raise SyntaxProblem(tok.line)
            if tok.value == "(" and current:  # a nested list: prio(5, 2)
                current[-1] += f"({', '.join(self._until_paren(lex))})"
                continue
            if tok.value in (",", ")"):
                if current:
                    options.append(re.sub(r"< (\S+) >", r"<\1>", " ".join(current)))
                current = []
                if tok.value == ")":
                    return options
            else:
                current.append(tok.value)

    def _set_options(self, lex: Lexer) -> list[str]:
        """``set prio 2``, ``set tos lowdelay`` or ``set (prio 2, tos 0x10)``."""
        if lex.peek().value == "(":
            items = self._state_options(lex)
        else:
            key = word(lex).value
            if key == "prio" and lex.peek().value == "(":
                values = self._paren_words(lex)
                items = [f"prio({', '.join(values)})"]
            else:
                values = [word(lex).value]
                items = [f"{key} {values[0]}"]
            if key == "prio":
                for value in values:
                    if not is_number(value.lstrip("-")):
                        raise SyntaxProblem(lex.peek().line)
                    if not 0 <= int(value) <= 7:
                        raise SyntaxProblem(lex.peek().line, "prio must be 0 - 7")
        out = []
        for item in items:
            key, _, value = item.partition(" ")
            out.append(f"tos {_tos(Token('word', value, lex.peek().line))}" if key == "tos" else item)
        return out

    def _paren_words(self, lex: Lexer) -> list[str]:
        expect(lex, "(")
        return self._until_paren(lex)

    @staticmethod
    def _until_paren(lex: Lexer) -> list[str]:
        words = []
        while not accept(lex, ")"):
            tok = lex.next()
            if tok.kind in ("nl", "eof"):
                raise SyntaxProblem(tok.line)
            if tok.value != ",":
                words.append(tok.value)
        return words
