"""``ask-zero models``: list, verify and pull the local language models.

A thin shell over :mod:`askzero.models.store`; errors are raised as AskZeroError and turned
into exit codes by the main CLI (5 for a missing or corrupt model, 6 for a failed download).
"""

from __future__ import annotations

import json
from typing import Any

import click

from askzero.errors import ModelError
from askzero.models import store


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2))


def _size(status: store.ModelStatus) -> str:
    if status.path is None:
        return "-"
    n = float(status.path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1000
    return "-"


def _state(status: store.ModelStatus) -> str:
    if not status.installed:
        return "not installed"
    if status.verified is True:
        return "installed, verified"
    if status.verified is False:
        return "installed, CORRUPT"
    return "installed"


@click.group("models")
def models() -> None:
    """List, verify and pull the local language models (see models.txt)."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """Show every model in the registry and whether it is installed."""
    statuses = store.list_models()
    if as_json:
        _echo_json({"models": [s.to_dict() for s in statuses]})
        return
    rows = [("NAME", "STATE", "SIZE", "WHERE")]
    for s in statuses:
        name = s.spec.name + (" (default)" if s.default else "")
        where = str(s.path) if s.path else s.spec.source
        rows.append((name, _state(s), _size(s), where))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])


@models.command("verify")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def verify_cmd(name: str | None, as_json: bool) -> None:
    """Check the SHA-256 of the installed model files (all, or NAME)."""
    results = store.verify(name, raise_on_mismatch=False, progress=not as_json)
    bad = [r for r in results if not r.ok]
    if as_json:
        _echo_json({"ok": not bad, "results": [r.to_dict() for r in results]})
    elif not results:
        click.echo("no model is installed; run `ask-zero models pull NAME`")
    else:
        for r in results:
            mark = "ok  " if r.ok else "FAIL"
            note = " (recorded at first pull)" if r.pinned else ""
            click.echo(f"{mark}  {r.name}  {r.path}  sha256 {r.actual}{note}")
    if bad:
        raise ModelError(store.mismatch_message(bad))


@models.command("pull")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def pull_cmd(name: str, as_json: bool) -> None:
    """Fetch model NAME, check its SHA-256, and install it."""
    result = store.pull(name, progress=not as_json)
    if as_json:
        _echo_json(result.to_dict())
        return
    click.echo(f"installed {result.name}: {result.path} (sha256 {result.sha256}, via {result.via})")
    if result.pinned:
        click.echo(
            f"note: no sha256 is published for {result.name} in models.txt; the hash above was "
            "recorded and will be checked from now on. Compare it with the model's download page."
        )
