"""The ``ask-zero`` command: a thin shell over the core.

Exit codes are those of askzero.errors: 0 ok, 1 ruleset/config errors, 2 usage, 3 site,
4 source file, 5 model, 6 download.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from askzero import __version__
from askzero.errors import AskZeroError, ConfigError


# subcommands by name, imported only when used: a question never pays for the others
LAZY_COMMANDS = {
    "pf": "askzero.cli.pf_cmd:pf",
    "bgp": "askzero.cli.bgp_cmd:bgp",
    "logs": "askzero.cli.logs_cmd:logs",
    "index": "askzero.cli.search_cmd:index",
    "search": "askzero.cli.search_cmd:search",
    "postmortem": "askzero.cli.report_cmd:postmortem",
    "audit": "askzero.cli.report_cmd:audit",
    "tui": "askzero.tui.command:tui",
    "models": "askzero.cli.models_cmd:models",
}


class QuestionGroup(click.Group):
    """A group whose first argument, when it is not a command, is a question; its
    subcommands load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in LAZY_COMMANDS:
            import importlib

            module, attr = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple:
        if args and args[0] not in self.commands and args[0] not in LAZY_COMMANDS and not args[0].startswith("-"):
            return "ask", self.commands["ask"], args
        return super().resolve_command(ctx, args)


@click.group(cls=QuestionGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--site", "site_spec", metavar="S", help="demo, a site file, or a directory (default: this host).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
@click.option("--no-llm", is_flag=True, help="Render the answer from evidence alone, without a model.")
@click.option("--model", metavar="NAME", help="Model from models.txt (default: the first).")
@click.option("-c", "--continue", "cont", is_flag=True,
              help="Continue the last conversation: what the question leaves out comes from the last one.")
@click.option("--no-history", is_flag=True, help="Do not record this question in the history.")
@click.option("--tools", "tools", type=click.Choice(["auto", "rules", "model"]), default="auto",
              help="Who chooses the tools: the rules, or the model (auto: the model unless it is the "
                   "embedded default, which is too small to choose reliably).")
@click.version_option(__version__, prog_name="ask-zero")
@click.pass_context
def cli(ctx: click.Context, site_spec: str | None, as_json: bool, no_llm: bool, model: str | None,
        cont: bool, no_history: bool, tools: str) -> None:
    """ask-zero: ask about this site's pf rules, logs, intel and compliance, offline.

    \b
      ask-zero --site demo "Why is 203.0.113.7 blocked?"
      ask-zero --site demo -c "and on port 22?"
      ask-zero --model http://127.0.0.1:8080/v1 "Which BGP sessions flapped today?"
      ask-zero pf test --host host.toml /etc/pf.conf "in on em0 proto tcp from 203.0.113.7 port 40000 to 192.0.2.10 port 22"
    """
    ctx.obj = {"site": site_spec, "json": as_json, "no_llm": no_llm, "model": model,
               "continue": cont, "no_history": no_history, "tools": tools}
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@cli.command("ask")
@click.argument("question", nargs=-1, required=True)
@click.pass_obj
def ask_cmd(opts: dict[str, Any], question: tuple[str, ...]) -> None:
    """Answer a question about the site, with citations."""
    from askzero.cli.ask import run_question

    run_question(" ".join(question), opts)


@cli.command("history")
@click.option("-n", "limit", type=int, default=20, show_default=True, help="How many turns.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.pass_obj
def history_cmd(opts: dict[str, Any], limit: int, as_json: bool) -> None:
    """The questions asked so far, newest last (ask-zero -c continues the last one)."""
    from askzero.assistant.history import turns

    rows = turns(limit)
    if as_json or opts.get("json"):
        emit_json({"turns": rows})
        return
    for row in rows:
        click.echo(f"{row['asked_at']}  #{row['conversation']}  [{row['site']}] {row['question']}")
        if row["summary"]:
            click.echo(f"    {row['summary'][:160]}")




def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn ask-zero errors into messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="ask-zero", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except ConfigError as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        return exc.exit_code
    except AskZeroError as exc:
        click.echo(f"ask-zero: {exc}", err=True)
        return exc.exit_code
    return 0


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
