"""``ask-zero bgp ...``: the bgpd.conf engine on its own (contracts in DESIGN.md).

Errors are raised as ``ConfigError`` (one ``NAME:LINE: message`` per issue, bgpd's wording,
exit status 1); the main CLI prints them. ``-`` reads standard input, cited as ``stdin``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from askzero.bgp import BgpConfig, parse_bgp, parse_bgp_text, plain_resolver, print_config, rooted_resolver
from askzero.cli.defines import macro_defines
from askzero.errors import SourceError


def load(path: str, root: str | None = None, defines: tuple[str, ...] = ()) -> BgpConfig:
    """Parse PATH (``-`` for standard input) as bgpd would; raise ConfigError on errors."""
    macros = macro_defines(defines)
    resolver = rooted_resolver(Path(root)) if root else plain_resolver(Path.cwd())
    if path == "-":
        return parse_bgp_text(sys.stdin.read(), "stdin", resolver, macros)
    real, _ = resolver(path)
    if not real.is_file():
        raise SourceError(path, "no such file")
    return parse_bgp(path, resolver, macros)


def _emit(data: object) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def config_options(command):
    """The options of every command that reads a bgpd.conf."""
    command = click.option("--json", "as_json", is_flag=True,
                           help="Print a summary of the configuration as JSON.")(command)
    command = click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
                           help="Define a macro, as bgpd -D does.")(command)
    return click.option("--root", metavar="DIR",
                        help="Read absolute include paths under DIR (a copy of a host's files).")(command)


@click.group()
def bgp() -> None:
    """Parse, check and print OpenBGPD configurations."""


@bgp.command("show")
@config_options
@click.argument("path")
def show_cmd(path: str, root: str | None, defines: tuple[str, ...], as_json: bool) -> None:
    """Print the configuration at PATH exactly as `bgpd -nv -f PATH` does."""
    config = load(path, root, defines)
    if as_json:
        _emit(config.to_dict())
        return
    click.echo(print_config(config), nl=False)


@bgp.command("check")
@config_options
@click.argument("path")
def check_cmd(path: str, root: str | None, defines: tuple[str, ...], as_json: bool) -> None:
    """Report the configuration's errors; none: print `configuration OK` and exit 0."""
    config = load(path, root, defines)
    if as_json:
        _emit({"ok": True, **config.to_dict()})
        return
    click.echo("configuration OK", err=True)


@bgp.command("test")
@click.option("--root", metavar="DIR",
              help="Read absolute include paths under DIR (a copy of a host's files).")
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Define a macro, as bgpd -D does.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision, trace and sets as JSON.")
@click.argument("path")
@click.argument("update")
def test_cmd(path: str, update: str, root: str | None, defines: tuple[str, ...], as_json: bool) -> None:
    """Run one UPDATE through the filter rules of the bgpd.conf at PATH.

    \b
    UPDATE, in bgpd.conf's words (quote descriptions with spaces):
      from|to NEIGHBOR prefix ADDR/LEN
        [as-path ASN ... [{ ASN ... }]]   leftmost is the neighbor; { } an AS_SET
        [community A:B|NO_EXPORT|... ...] [large-community A:B:C ...]
        [ext-community TYPE VALUE ...]    e.g. ext-community rt 64500:100
        [nexthop ADDR] [ovs valid|invalid|not-found] [avs valid|invalid|unknown]
        [localpref N] [med N] [rib NAME]
    NEIGHBOR is an address or a neighbor description; `from` is received from it,
    `to` is sent to it. A rule that looks at something not given is reported as
    uncertain, with the assumption made (e.g. no communities, empty AS path).

    \b
    Example:
      ask-zero bgp test /etc/bgpd.conf \\
        "from upstream prefix 198.51.100.0/24 as-path 64500 64501 community 64500:100"

    The last matching allow/deny rule decides, a matching quick rule ends the walk,
    sets of every matching rule accumulate, and nothing matching means deny
    (bgpd.conf(5) FILTER). JSON keys: decision, rule (file, line, text), trace,
    set, uncertain (plus attributes, notes, decision_certain).
    """
    from askzero.bgp.evaluate import describe, evaluate
    from askzero.bgp.update import parse_update

    parsed = parse_update(update)
    config = load(path, root, defines)
    result = evaluate(config, parsed)
    if as_json:
        _emit(result.to_dict())
        return
    click.echo("\n".join(describe(result)))
