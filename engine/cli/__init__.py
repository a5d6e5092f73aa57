"""The ``salesnet`` command line.

Exit codes scripts can rely on: 0 success, 1 invalid input or a failed check (the message names
the file, row, rule or scenario; no traceback), 2 usage error, 3 internal error (a bug: please
report it; set ``SALESNET_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import os
import sys
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
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
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


@click.group(cls=SalesnetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="salesnet")
def cli() -> None:
    """salesnet: plan a sales network — tiering, reps, budget, partners, territories."""


def _register() -> None:
    from engine.cli import align as align_commands
    from engine.cli import batch as batch_command
    from engine.cli import compare as compare_command
    from engine.cli import data as data_commands
    from engine.cli import data_import
    from engine.cli import payouts as payouts_command
    from engine.cli import plan as plan_command
    from engine.cli import rules as rules_commands
    from engine.cli import schema as schema_commands

    data_commands.data.add_command(data_import.import_)
    cli.add_command(data_commands.data)
    cli.add_command(align_commands.align)
    cli.add_command(batch_command.batch)
    cli.add_command(compare_command.compare_command)
    cli.add_command(rules_commands.rules)
    cli.add_command(payouts_command.payouts)
    cli.add_command(plan_command.plan)
    cli.add_command(schema_commands.schema)


_register()


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
