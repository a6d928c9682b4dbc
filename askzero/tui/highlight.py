"""A small syntax highlighter for pf.conf and bgpd.conf, and the cited-lines view.

No grammar exists for these two formats, and an operator reading evidence needs only the
landmarks: comments, keywords, macros, tables and strings. Markdown (the knowledge texts) is
styled by tree-sitter; other files are shown plain.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rich.text import Text

from askzero.tui.treesitter import markdown_spans

PF_KEYWORDS = frozenset("""
pass block match anchor load table set antispoof for in out on from to port proto quick log all
any inet inet6 tcp udp icmp icmp6 icmp-type icmp6-type code keep modulate synproxy state no flags
scrub persist const counters file skip self egress route-to reply-to dup-to rdr-to nat-to binat-to
af-to divert-to divert-packet tag tagged label user group rtable received-on probability max-mss
random-id no-df reassemble once drop return return-rst return-icmp return-icmp6 urpf-failed
no-route queue prio tos allow-opts include optimization ruleset-optimization block-policy
loginterface limit timeout state-policy hostid debug reassemble fingerprints syncookies
""".split())
BGP_KEYWORDS = frozenset("""
AS router-id listen on neighbor group remote-as descr announce allow deny match from to prefix
prefixlen prefix-set as-set origin-set roa-set network inet inet6 static connected rtlabel
community large-community ext-community set localpref med nexthop self reject blackhole quick
source-as transit-as peer-as any ebgp ibgp local-address passive multihop holdtime depend
enforce neighbor-as rde evaluate route-collector fib-update socket include log updates max-prefix
restart tcp md5sig password ipsec ike esp ah rib no-evaluate ovs invalid valid not-found
""".split())
ACTIONS = {"pass": "bold green", "allow": "bold green", "block": "bold red", "deny": "bold red"}
KEYWORD_STYLE = "bold #5f87d7"
STYLES = {
    "comment": "italic #808080",
    "string": "#d7af5f",
    "macro": "#d75fd7",
    "table": "#5fd7d7",
    "number": "#87af87",
}
# one scan per line: the first alternative that matches at a position wins
_TOKEN = re.compile(r"""
    (?P<comment>\#.*$)
  | (?P<string>"[^"]*"?)
  | (?P<macro>\$[A-Za-z_][\w]*)
  | (?P<table><[!]?[\w.-]+>)
  | (?P<word>[A-Za-z][\w.-]*)
  | (?P<number>\b\d[\d./:]*)
""", re.X)
_DEFINITION = re.compile(r"^\s*([A-Za-z_]\w*)\s*=")  # a macro definition: name = "value"

HIGHLIGHT_STYLE = "on #3a3a5f"
MARKER = "▶"


def language_for(path: str) -> str | None:
    """Which highlighter a file gets: by name, since site files keep their OpenBSD names."""
    name = PurePosixPath(path).name
    if name.startswith("pf.conf") or name.endswith(".pf") or ("/pf/" in path and name.endswith(".conf")):
        return "pf"
    if name.startswith("bgpd.conf"):
        return "bgp"
    if name.endswith(".md"):
        return "markdown"
    return None


def highlight_line(line: str, language: str | None) -> Text:
    """One source line as styled text (plain when the language is unknown)."""
    text = Text(line)
    if language not in ("pf", "bgp"):
        return text
    keywords = PF_KEYWORDS if language == "pf" else BGP_KEYWORDS
    definition = _DEFINITION.match(line)
    if definition and not line.lstrip().startswith("#"):
        text.stylize(STYLES["macro"], definition.start(1), definition.end(1))
    for m in _TOKEN.finditer(line):
        kind = m.lastgroup or ""
        if kind == "word":
            word = m.group()
            style = ACTIONS.get(word) or (KEYWORD_STYLE if word in keywords else None)
            if style:
                text.stylize(style, m.start(), m.end())
        else:
            text.stylize(STYLES[kind], m.start(), m.end())
    return text


def cited_view(lines: list[str], first: int, cited: set[int], language: str | None) -> Text:
    """Numbered lines starting at line ``first``, the cited ones marked and on a background."""
    width = len(str(first + len(lines) - 1))
    out = Text(no_wrap=True, overflow="ellipsis")
    # tabs expanded here: the gutter in front would shift the terminal's tab stops
    plain = [line.rstrip("\n").expandtabs(8) for line in lines]
    tree_spans = markdown_spans(plain) if language == "markdown" else None
    for offset, line in enumerate(plain):
        number = first + offset
        hit = number in cited
        gutter = Text(f"{MARKER if hit else ' '}{number:>{width}} │ ", style="bold yellow" if hit else "#808080")
        body = highlight_line(line, language)
        for start, end, style in tree_spans[offset] if tree_spans else ():
            body.stylize(style, start, end)
        row = Text.assemble(gutter, body)
        if hit:
            row.stylize(HIGHLIGHT_STYLE)
        out.append_text(row)
        out.append("\n")
    out.rstrip()
    return out


def cited_markdown(lines: list[str], first: int, cited: set[int]) -> str:
    """The same view for a markdown export: a fenced block, cited lines marked with >>."""
    width = len(str(first + len(lines) - 1))
    body = "\n".join(f"{'>>' if first + i in cited else '  '} {first + i:>{width}}  {line.rstrip().expandtabs(8)}"
                     for i, line in enumerate(lines))
    return f"```\n{body}\n```"
