"""pf.conf parser: statements into a typed, expanded ruleset with source positions.

Errors are collected over the whole file, one per statement, with pfctl's wording, and
raised together as one ``ConfigError``.
"""

from __future__ import annotations

from dataclasses import replace

from askzero.errors import ConfigError, ParseIssue
from askzero.pf.host import HostProfile
from askzero.pf.expand import expand_label_macros, expand_rule
from askzero.pf.options import RuleOptions
from askzero.pf.lexer import Lexer, LexError
from askzero.pf.queues import check_queues, parse_queue
from askzero.sources import Resolver
from askzero.pf.model import ANY, Address, PfConfig, Rule, Ruleset, Source, Table, TableEntry, Translation
from askzero.pf.tables import TableSyntaxError, parse_entry, read_table_file
from askzero.pf.terms import (
    HostParser,
    SyntaxProblem,
    accept,
    expect,
    parse_interfaces,
    parse_list,
    parse_ports,
    parse_protocols,
    word,
)

MAX_INCLUDE_DEPTH = 16
MAX_ANCHOR_DEPTH = 64  # pfctl's limit on nested anchors
KEYWORDS = {"pass", "block", "match", "anchor", "antispoof", "table", "set", "include", "load", "queue"}


class PfParser(RuleOptions):
    def __init__(self, host: HostProfile, resolve: Resolver, macros: dict[str, str] | None = None) -> None:
        self.host = host
        self.resolve = resolve
        self.hosts = HostParser(host)
        self.config = PfConfig(main=Ruleset(), macros=dict(macros or {}))
        self.fixed_macros = set(macros or {})
        self.issues: list[ParseIssue] = []
        self._automatic = 0  # pfctl's counter for __automatic_N tables
        self._statement_end = 0  # the line on which the statement being expanded ends

    # -- files and statements -------------------------------------------------------

    def parse_file(self, path: str, ruleset: Ruleset | None = None, depth: int = 0) -> bool:
        """Parse one file; a file that cannot be read is reported as pfctl warns (False)."""
        real, display = self.resolve(path)
        try:
            text = real.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self.issues.append(ParseIssue("", 0, f"pfctl: {path}: {exc.strerror}"))
            return False
        self.config.files.append(display)
        self.parse_text(text, display, ruleset or self.config.main, depth)
        return True

    def parse_text(self, text: str, display: str, ruleset: Ruleset, depth: int = 0) -> None:
        try:
            lex = Lexer(text, self.config.macros)
        except LexError as exc:
            self.issues.append(ParseIssue(display, exc.line, exc.message))
            return
        self._statements(lex, display, ruleset, depth, closing=False)

    def _statements(self, lex: Lexer, display: str, ruleset: Ruleset, depth: int, closing: bool) -> None:
        while True:
            try:
                tok = lex.peek()
                if tok.kind == "eof":
                    if closing:  # an anchor's "{" never closed
                        self.issues.append(ParseIssue(display, lex.last_line, "syntax error"))
                    return
                if tok.kind == "nl":
                    lex.next()
                    continue
                if closing and tok.value == "}" and tok.kind == "punct":
                    lex.next()
                    return
                self._statement(lex, display, ruleset, depth)
            except (SyntaxProblem, LexError) as exc:
                if getattr(exc, "bare", ""):
                    self.issues.append(ParseIssue("", 0, exc.bare))  # type: ignore[union-attr]
                self.issues.append(ParseIssue(display, exc.line, exc.message))
                if exc.message == "string too long":
                    self.issues.append(ParseIssue(display, exc.line, "syntax error"))
                try:
                    lex.skip_to_eol()
                except LexError:
                    return

    def _statement(self, lex: Lexer, display: str, ruleset: Ruleset, depth: int) -> None:
        lex.used_macros.clear()
        tok = lex.next_raw() if lex.peek().kind == "word" else lex.next()
        src = Source(display, tok.line)
        nxt = lex.peek()
        if tok.kind == "word" and tok.value not in KEYWORDS and nxt.value == "=" and nxt.kind == "punct":
            lex.next()
            self._macro(lex, tok.value)
            return
        if tok.kind == "word" and "$" in tok.value:
            raise SyntaxProblem(tok.line)
        keyword = tok.value
        if keyword in ("pass", "block", "match", "anchor", "antispoof"):
            build = {"anchor": self._anchor, "antispoof": self._antispoof}.get(keyword)
            rules = build(lex, src, ruleset, depth) if build else self._rule(lex, keyword, src, ruleset, depth)
            macros = tuple(dict.fromkeys(lex.used_macros))
            for offset, rule in enumerate(rules):
                expand_label_macros(rule, len(ruleset.rules) + offset)
                rule.macros, rule.expansion = macros, (offset + 1, len(rules))
            ruleset.rules.extend(rules)
            if not ruleset.path:
                self.config.echo.extend(("rule", r) for r in rules)
        elif keyword == "table":
            self._table(lex, src, ruleset)
        elif keyword == "set":
            self._set(lex, src)
        elif keyword == "include":
            self._end(lex, self._include(lex, src, ruleset, depth))
        elif keyword == "load":
            self._load_anchor(lex, src, ruleset, depth)
        elif keyword == "queue":
            queue = parse_queue(lex, src)
            self.config.queues.append(queue)
            self.config.echo.append(("queue", queue.text()))
        else:
            raise SyntaxProblem(tok.line)

    def _end(self, lex: Lexer, _: object = None) -> None:
        tok = lex.peek()
        if tok.kind not in ("nl", "eof") and not (tok.kind == "punct" and tok.value == "}"):
            raise SyntaxProblem(tok.line)

    def _macro(self, lex: Lexer, name: str) -> None:
        parts = []
        while lex.peek().kind in ("string", "word"):
            parts.append(lex.next().value)
        if not parts:
            raise SyntaxProblem(lex.peek().line)
        self._end(lex)
        value = " ".join(parts)
        self.config.echo.append(("macro", (name, value)))
        if name not in self.fixed_macros:  # -D on the command line wins over the file
            self.config.macros[name] = value

    def _include(self, lex: Lexer, src: Source, ruleset: Ruleset, depth: int) -> None:
        path = word(lex).value
        if depth >= MAX_INCLUDE_DEPTH:
            raise SyntaxProblem(src.line, "include depth limit reached")
        if not self.parse_file(path, ruleset, depth + 1):
            raise SyntaxProblem(src.line, f"failed to include file {path}")

    def _set(self, lex: Lexer, src: Source) -> None:
        option = word(lex).value
        echo = self.config.echo
        if option == "skip":
            expect(lex, "on")
            for name, _ in parse_interfaces(lex):
                self.config.skip.append((name, src))
        elif option == "block-policy":
            self.config.block_policy = word(lex).value
            if self.config.block_policy not in ("drop", "return"):
                raise SyntaxProblem(src.line)
            echo.append(("option", f"set block-policy {self.config.block_policy}"))
        elif option in ("timeout", "limit"):
            items = parse_list(lex, self._key_value)
            for key, value in items:
                self.config.options[f"{option} {key}"] = value
                echo.append(("option", f"set {option} {key} {value}"))
        elif option == "reassemble":
            value = word(lex).value
            no_df = accept(lex, "no-df") is not None
            self.config.options[option] = value
            echo.append(("option", f"set reassemble {value} {'no-df' if no_df else ''}"))
        elif option == "hostid":
            tok = word(lex)
            try:
                value = int(tok.value, 0)
            except ValueError:
                raise SyntaxProblem(tok.line) from None
            if value == 0:
                raise SyntaxProblem(tok.line, "hostid must be non-zero")
            echo.append(("option", f"set hostid 0x{value:08x}"))
        else:
            values = []
            while lex.peek().kind not in ("nl", "eof"):
                values.append(lex.next().value)
            self.config.options[option] = " ".join(values)
            echo.append(("option", f"set {option} {' '.join(values)}"))
        self._end(lex)

    @staticmethod
    def _key_value(lex: Lexer) -> list[tuple[str, str]]:
        return [(word(lex).value, word(lex).value)]

    # -- tables -----------------------------------------------------------------------

    def _table(self, lex: Lexer, src: Source, ruleset: Ruleset) -> None:
        expect(lex, "<")
        name = word(lex).value
        expect(lex, ">")
        table = Table(name, src, anchor=ruleset.path)
        flags, files = [], []
        while True:
            tok = lex.peek()
            if tok.value in ("persist", "const", "counters") and tok.kind == "word":
                flags.append(lex.next().value)
            elif tok.value == "file" and tok.kind == "word":
                lex.next()
                path = word(lex).value
                files.append(self._table_file(path, table))
                table.layout.append(("file", path))
            elif tok.value == "{" and tok.kind == "punct":
                inline = self._inline_entries(lex, src)
                table.entries.extend(inline)
                if table.layout and table.layout[-1][0] == "inline":
                    table.layout[-1][1].extend(inline)  # type: ignore[attr-defined]
                else:
                    table.layout.append(("inline", inline))
            else:
                break
        self._end(lex)
        table.flags, table.files = tuple(flags), tuple(files)
        if name in ruleset.tables:
            raise SyntaxProblem(src.line, f"table <{name}> redefined")
        ruleset.tables[name] = table
        if not ruleset.path:
            self.config.echo.append(("table", table))

    def _inline_entries(self, lex: Lexer, src: Source) -> list:
        def one(lx: Lexer) -> list[str]:
            negated = accept(lx, "!") is not None
            return [("!" if negated else "") + word(lx).value]

        entries = []
        for text in parse_list(lex, one):
            try:
                net, negated = parse_entry(text)
                entries.append(TableEntry(net, negated, src))
            except ValueError:
                nets = self.hosts.parse(Lexer(text.lstrip("!"), {}))
                entries.extend(TableEntry(a.net, text.startswith("!"), src) for a in nets if a.net)
        return entries

    def _table_file(self, path: str, table: Table) -> str:
        real, display = self.resolve(path)
        try:
            text = real.read_text(encoding="utf-8", errors="replace")
        except OSError:
            raise SyntaxProblem(table.source.line, f"cannot load \"{path}\": No such file or directory") from None
        try:
            table.entries.extend(read_table_file(text, display, self._resolve_name))
        except TableSyntaxError as exc:
            self.issues.append(ParseIssue("", 0, f"no IP address found for {exc.message}"))
            raise SyntaxProblem(table.source.line, f'file "{path}" contains bad data') from None
        return display

    def _resolve_name(self, name: str) -> list | None:
        """A table file's host name, interface name or short form, as pfctl's host() reads it."""
        try:
            return [a.net for a in self.hosts.parse(Lexer(name, {})) if a.net is not None]
        except (SyntaxProblem, LexError):
            return None

    # -- rules ------------------------------------------------------------------------

    def _rule(self, lex: Lexer, action: str, src: Source, ruleset: Ruleset, depth: int = 0) -> list[Rule]:
        base = Rule(action=action, source=src, path=ruleset.path)
        if action == "block":
            mode = accept(lex, "drop", "return", "return-rst", "return-icmp", "return-icmp6")
            base.block_mode = mode.value if mode else self.config.block_policy
            if mode and lex.peek().value == "(":
                base.return_codes = tuple(self._paren_words(lex))
        interfaces, protos, srcs, sports, dsts, dports = self._criteria(lex, base)
        icmp_types = self._options(lex, base, protos)
        self._end(lex)
        self._statement_end = max(lex.last.line, lex.peek().line if lex.peek().kind == "nl" else 0)
        return self._expand(base, interfaces, protos, srcs, sports, dsts, dports, icmp_types)

    def _criteria(self, lex: Lexer, rule: Rule) -> tuple:
        direction = accept(lex, "in", "out")
        rule.direction = direction.value if direction else None
        for _ in range(2):  # pfctl takes "log quick" and "quick log"
            if not rule.log and accept(lex, "log"):
                rule.log = True
                if accept(lex, "("):
                    rule.log_options = tuple(self._until_paren(lex))
            elif not rule.quick and accept(lex, "quick"):
                rule.quick = True
        interfaces: list[tuple[str | None, bool]] = [(None, False)]
        if accept(lex, "on"):
            interfaces = parse_interfaces(lex)  # type: ignore[assignment]
        af = accept(lex, "inet", "inet6")
        rule.af = af.value if af else None
        protos: list[str | None] = [None]
        if accept(lex, "proto"):
            protos = parse_protocols(lex)  # type: ignore[assignment]
        srcs, sports, dsts, dports = [ANY], [None], [ANY], [None]
        if accept(lex, "all") is None:
            if accept(lex, "from"):
                if lex.peek().value != "port":
                    srcs = self.hosts.parse(lex)
                if accept(lex, "port"):
                    sports = parse_ports(lex)
            if accept(lex, "to"):
                if lex.peek().value != "port":
                    dsts = self.hosts.parse(lex)
                if accept(lex, "port"):
                    dports = parse_ports(lex)
        return interfaces, protos, srcs, sports, dsts, dports

    def _expand(self, base: Rule, interfaces: list, protos: list, srcs: list, sports: list, dsts: list,
                dports: list, icmp_types: list | None = None) -> list[Rule]:
        rules, problems = expand_rule(base, interfaces, protos, srcs, sports, dsts, dports, icmp_types,
                                      pool=self._pool_table)
        # pfctl reports these once the whole statement is read: at the line where it ends
        line = self._statement_end if self._statement_end > base.source.line else base.source.line
        self.issues.extend(ParseIssue("", 0, m[1:]) if m.startswith("\0") else
                           ParseIssue(base.source.file, line, m) for m in problems)
        return rules

    def _pool_table(self, tr: Translation, rule: Rule) -> Translation:
        """A pool of several addresses is loaded as a table of its own, as pfctl does."""
        name = f"__automatic_{self._automatic}"
        self._automatic += 1
        entries = [TableEntry(a.net, False, rule.source) for a in tr.candidates if a.net is not None]
        table = Table(name, rule.source, ("const",), entries, anchor=rule.path, layout=[("inline", entries)])
        self.config.main.tables[name] = table
        self.config.echo.append(("table", table))
        return replace(tr, address=Address("table", name=name), candidates=())

    # -- antispoof and anchors --------------------------------------------------------------

    def _antispoof(self, lex: Lexer, src: Source, ruleset: Ruleset, depth: int = 0) -> list[Rule]:
        """pfctl's expansion: per address, block it arriving on other interfaces, and block the
        interface's own address as a source (not on loopback); ``(if)`` uses its network."""
        rule = Rule(action="block", source=src, path=ruleset.path, direction="in", block_mode="drop")
        for _ in range(2):
            if not rule.log and accept(lex, "log"):
                rule.log = True
            elif not rule.quick and accept(lex, "quick"):
                rule.quick = True
        expect(lex, "for")

        def one(lx: Lexer) -> list[tuple[str, bool]]:
            if accept(lx, "("):
                name = word(lx).value
                expect(lx, ")")
                return [(name, True)]
            return [(word(lx).value, False)]

        interfaces = parse_list(lex, one)
        af = accept(lex, "inet", "inet6")
        family_wanted = af.value if af else None
        self._options(lex, rule)
        self._end(lex)
        rules = []
        for ifname, dynamic in interfaces:
            if dynamic:
                net = Address("dynamic", name=ifname, modifier="network")
                rules.append(replace(rule, interface=ifname, interface_negated=True, af=family_wanted, src=net))
                if not ifname.startswith("lo"):
                    rules.append(replace(rule, af=family_wanted, src=Address("dynamic", name=ifname)))
                continue
            for iface in self.host.members(ifname):
                for addr in iface.addresses:
                    family = "inet" if addr.version == 4 else "inet6"
                    if (family_wanted and family_wanted != family) or (addr.version == 6 and addr.ip.is_link_local):
                        continue
                    rules.append(replace(rule, interface=ifname, interface_negated=True, af=family,
                                         src=Address("net", addr.network)))
                    if iface.driver != "lo":
                        host_net = Address("net", addr.network.__class__(addr.ip))
                        rules.append(replace(rule, af=family, src=host_net))
        return rules

    def _anchor(self, lex: Lexer, src: Source, ruleset: Ruleset, depth: int) -> list[Rule]:
        name = ""
        if lex.peek().kind == "string" or (lex.peek().kind == "word" and lex.peek().value not in ("in", "out", "on", "inet", "inet6", "proto", "from", "to", "all", "quick", "log")):
            name = lex.next().value
        base = Rule(action="anchor", source=src, path=ruleset.path, anchor_name=name)
        criteria = self._criteria(lex, base)
        icmp_types = self._options(lex, base)
        if accept(lex, "{"):
            if name.endswith("*"):
                raise SyntaxProblem(src.line, "inline anchors cannot be wildcards")
            if ruleset.path.count("/") + 1 >= MAX_ANCHOR_DEPTH:
                raise SyntaxProblem(src.line, "anchors too deep")
            child = self._child(ruleset, name or f"_{len(ruleset.children) + 1}")
            self._statements(lex, src.file, child, depth, closing=True)
            base.anchor, base.inline = child, True
        elif not name:
            raise SyntaxProblem(src.line, "anchors without a name must be inline")
        else:
            base.anchor = self._child(ruleset, name.rstrip("/*").rstrip("/")) if not name.endswith("*") else None
        self._end(lex)
        rules = self._expand(base, *criteria, icmp_types)
        return rules

    @staticmethod
    def _child(parent: Ruleset, name: str) -> Ruleset:
        if name in parent.children:
            return parent.children[name]
        path = f"{parent.path}/{name}" if parent.path else name
        child = Ruleset(path=path, parent=parent)
        parent.children[name] = child
        return child

    def _load_anchor(self, lex: Lexer, src: Source, ruleset: Ruleset, depth: int) -> None:
        expect(lex, "anchor")
        name = word(lex).value
        expect(lex, "from")
        path = word(lex).value
        self._end(lex)
        target = ruleset
        for part in name.split("/"):
            target = self._child(target, part)
        self.parse_file(path, target, depth + 1)


def number_rules(ruleset: Ruleset) -> None:
    """Give every rule its kernel number (@N), restarting at 0 in each anchor."""
    for number, rule in enumerate(ruleset.rules):
        rule.number = number
    for child in ruleset.children.values():  # every anchor, including those only a wildcard reaches
        number_rules(child)


def parse_pf(path: str, host: HostProfile, resolve: Resolver, macros: dict[str, str] | None = None) -> PfConfig:
    """Parse a pf.conf and everything it includes; raise ConfigError with every error found."""
    parser = PfParser(host, resolve, macros)
    parser.parse_file(path)
    late = [] if parser.issues else [ParseIssue("", 0, m) for m in check_queues(parser.config.queues)]
    if parser.issues or late:
        error = ConfigError(parser.issues or late)
        error.partial = parser.config  # type: ignore[attr-defined]  (what pfctl echoes anyway)
        error.at_load = bool(late)  # type: ignore[attr-defined]  (printed after the echo)
        raise error
    number_rules(parser.config.main)
    return parser.config
