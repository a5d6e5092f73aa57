"""The ``salesnet`` command line.

Exit codes scripts can rely on: 0 success, 1 invalid input or a failed check (the message names
the file, row, rule or scenario; no traceback), 2 usage error, 3 internal error (a bug: please
report it; set ``SALESNET_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Any

import click

from engine import __version__
from engine.errors import SalesnetError

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class SalesnetGroup(click.Group):
    """A click group that turns salesnet errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SalesnetError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # the reader went away (`salesnet ... | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_INVALID)
        except KeyboardInterrupt as stop:  # Ctrl-C: 130; SIGTERM to a batch: 143 (128 + 15)
            from engine.batch.runner import Terminated

            terminated = isinstance(stop, Terminated)
            click.echo("terminated" if terminated else "interrupted", err=True)
            ctx.exit(143 if terminated else 130)
        except OSError as error:  # a file that can't be read or written: the user's to fix
            where = f" {error.filename!r}" if error.filename else ""
            click.echo(f"error: cannot access{where}: {error.strerror or error}", err=True)
            ctx.exit(EXIT_INVALID)
        except Exception as error:  # a bug, not bad input
            if os.environ.get("SALESNET_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                "(this is a bug in salesnet; run with SALESNET_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


#: Command → (module, attribute): a command's module is imported only when it is used, so
#: ``salesnet --version`` or ``salesnet data describe`` do not pay for the optimizer's imports.
COMMANDS = {
    "align": ("engine.cli.align", "align"),
    "batch": ("engine.cli.batch", "batch"),
    "compare": ("engine.cli.compare", "compare_command"),
    "data": ("engine.cli.data", "data"),
    "payouts": ("engine.cli.payouts", "payouts"),
    "plan": ("engine.cli.plan", "plan"),
    "rules": ("engine.cli.rules", "rules"),
    "schema": ("engine.cli.schema", "schema"),
}


class _RootGroup(SalesnetGroup):
    """The ``salesnet`` group: its commands load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="salesnet")
def cli() -> None:
    """salesnet: plan a sales network — tiering, reps, budget, partners, territories."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        result = cli.main(args=argv, prog_name="salesnet", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code or 0)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE if isinstance(error, click.UsageError) else EXIT_INVALID
    return result if isinstance(result, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
