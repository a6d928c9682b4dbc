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
from askzero.errors import SourceError, UsageError


def _defines(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, eq, value = item.rpartition("=")
        if not eq or not name:
            raise UsageError(f"-D expects NAME=VALUE, not {item!r}")
        out[name] = value
    return out


def load(path: str, root: str | None = None, defines: tuple[str, ...] = ()) -> BgpConfig:
    """Parse PATH (``-`` for standard input) as bgpd would; raise ConfigError on errors."""
    macros = _defines(defines)
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
