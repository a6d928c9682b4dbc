"""``-D NAME=VALUE``, as pfctl and bgpd take it: shared by the pf and bgp commands."""

from __future__ import annotations

import click


def macro_defines(values: tuple[str, ...]) -> dict[str, str]:
    """The macros given with ``-D``, split at the first ``=``; they win over the file's own."""
    macros = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint="-D")
        macros[name] = text
    return macros
