"""``ask-zero pf ...``: the pf engine on its own (contracts in DESIGN.md)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from askzero.cli.defines import macro_defines
from askzero.errors import SourceError
from askzero.pf.evaluate import FastEvaluator
from askzero.pf import load_host, parse_flow, parse_pf, plain_resolver, rooted_resolver


def ruleset_options(command):
    """The options every command that loads a ruleset takes."""
    command = click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
                           help="Define a macro, as pfctl -D does.")(command)
    command = click.option("--root", metavar="DIR",
                           help="Read absolute paths under DIR (a copy of a host's files).")(command)
    return click.option("--host", "host_file", metavar="FILE",
                        help="Host profile (TOML); default: this machine.")(command)


def _load(path: str, host_file: str | None, root: str | None, defines: tuple[str, ...] = ()):
    if host_file:
        host = load_host(Path(host_file))
    else:  # as pfctl does: the interfaces of the machine it runs on
        from askzero.pf.localhost import local_host

        host = local_host()
    if path == "-":
        tmp = Path(tempfile.mkdtemp(prefix="askzero-")) / "stdin"
        tmp.write_text(sys.stdin.read(), encoding="utf-8")
        base = plain_resolver(Path.cwd())

        def resolve(p: str) -> tuple[Path, str]:
            return (tmp, "stdin") if p == "-" else base(p)
        return parse_pf("-", host, resolve, macro_defines(defines)), host
    if not Path(root or ".", path.lstrip("/") if root else path).is_file():
        raise SourceError(path, "no such file")
    resolver = rooted_resolver(Path(root)) if root else plain_resolver(Path.cwd())
    return parse_pf(path, host, resolver, macro_defines(defines)), host


@click.group()
def pf() -> None:
    """Parse, check and evaluate pf rulesets."""


@pf.command("show")
@click.option("--numbered", is_flag=True, help="Print as pfctl -gvvsr after loading: @N numbers, skip steps.")
@ruleset_options
@click.argument("path")
def show_cmd(path: str, numbered: bool, host_file: str | None, root: str | None, defines: tuple[str, ...]) -> None:
    """Print the ruleset as pfctl -o none -nv does (errors: NAME:LINE: message, exit 1)."""
    from askzero.errors import ConfigError
    from askzero.pf.show import render, render_numbered

    try:
        config, host = _load(path, host_file, root, defines)
    except ConfigError as exc:
        partial = getattr(exc, "partial", None)
        if partial is not None and not numbered and not getattr(exc, "at_load", False):
            click.echo(render(partial, rules=False), nl=False)
        raise
    click.echo(render_numbered(config.main, host) if numbered else render(config), nl=False)


@pf.command("check")
@ruleset_options
@click.argument("path")
def check_cmd(path: str, host_file: str | None, root: str | None, defines: tuple[str, ...]) -> None:
    """Report the ruleset's errors (none: exit 0)."""
    _load(path, host_file, root, defines)


@pf.command("test")
@ruleset_options
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.argument("path")
@click.argument("flow")
def test_cmd(path: str, flow: str, host_file: str | None, root: str | None, defines: tuple[str, ...], as_json: bool) -> None:
    """Evaluate one packet, written in pf's words, against the ruleset at PATH."""
    packet = parse_flow(flow)
    config, host = _load(path, host_file, root, defines)
    verdict = FastEvaluator(config, host).evaluate(packet)
    if as_json:
        from askzero.cli.main import emit_json

        emit_json(verdict.to_dict())
        return
    if verdict.decision == "rule" and verdict.rule is not None:
        r = verdict.rule
        click.echo(f"{verdict.action} by rule {r.ref} ({r.rule.source}): {r.to_dict()['text']}")
    elif verdict.decision == "skip":
        click.echo(f"pass: set skip ({verdict.skip_source})")
    else:
        click.echo("pass: no rule matches (default)")
    for m in verdict.trace:
        click.echo(f"  matched {m.ref:<8} {m.rule.source}  {m.to_dict()['text']}")
    for t in verdict.tables:
        if t.entry is not None:
            d = t.to_dict()
            click.echo(f"  table <{d['table']}> entry {d['entry']} ({d['file']}:{d['line']})")
    for text in [*map(str, verdict.translations), *verdict.uncertain]:
        click.echo(f"  {text}")


@pf.command("lint")
@ruleset_options
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.argument("path")
def lint_cmd(path: str, host_file: str | None, root: str | None, defines: tuple[str, ...], as_json: bool) -> None:
    """Review a ruleset: shadowed and redundant rules, open sensitive services, and more."""
    from askzero.pf.lint import lint

    config, _ = _load(path, host_file, root, defines)
    findings = lint(config)
    if as_json:
        from askzero.cli.main import emit_json

        emit_json({"findings": [f.to_dict() for f in findings]})
        return
    for finding in findings:
        click.echo(str(finding))
        if finding.rule:
            click.echo(f"    {finding.rule}")


@pf.command("diff")
@ruleset_options
@click.option("--json", "as_json", is_flag=True, help="Print the changed classes as JSON.")
@click.argument("old")
@click.argument("new")
def diff_cmd(old: str, new: str, host_file: str | None, root: str | None, defines: tuple[str, ...],
             as_json: bool) -> None:
    """Which traffic changes decision between rulesets OLD and NEW, with the rules responsible."""
    from askzero.pf.diff import diff

    before, host = _load(old, host_file, root, defines)
    after, _ = _load(new, host_file, root, defines)
    classes = diff(before, after, host)
    if as_json:
        from askzero.cli.main import emit_json

        emit_json({"changes": [c.to_dict() for c in classes]})
        return
    if not classes:
        click.echo("no probed traffic changes decision")
    for c in classes:
        def side(v):
            rule = v.rule
            return f"{v.action} by rule {rule.ref} ({rule.rule.source})" if rule else f"{v.action} ({v.decision})"
        click.echo(f"{side(c.old)} -> {side(c.new)}: {c.count} probe flows, e.g. {c.examples[0]}")


@pf.command("explain-log")
@ruleset_options
@click.option("--record", "records", type=int, multiple=True, help="Record number (1-based); default: all.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanations as JSON.")
@click.argument("path")
@click.argument("pflog")
def explain_log_cmd(path: str, pflog: str, host_file: str | None, root: str | None, defines: tuple[str, ...],
                    records: tuple[int, ...], as_json: bool) -> None:
    """Tie pflog records (a pcap file as pflogd writes it) to the rules and lines that logged them."""
    from askzero.logs.pflog import read_pflog
    from askzero.pf.pflogmap import explain_record

    config, host = _load(path, host_file, root, defines)
    evaluator = FastEvaluator(config, host)
    out = []
    for record in read_pflog(Path(pflog)):
        if records and record.index not in records:
            continue
        explanation = explain_record(config, evaluator, record)
        if as_json:
            out.append({"record": record.index, "packet": record.to_tcpdump(), **explanation.to_dict()})
            continue
        rule = explanation.rule
        where = f"{rule.source}: {explanation.to_dict()['rule']['text']}" if rule else "no such rule in this ruleset"
        click.echo(f"record {record.index}: rule {explanation.ref} -> {where}")
        if not explanation.consistent:
            click.echo(f"  warning: the ruleset on disk decides this packet by rule {explanation.verdict.pflog_ref}"
                       f" ({explanation.verdict.action}); it has changed since the packet was logged")
    if as_json:
        from askzero.cli.main import emit_json

        emit_json({"records": out})
