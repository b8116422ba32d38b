"""A click group whose subcommands are imported only when used, and the top-level error policy.

Shared by ``msi`` (:mod:`msi.cli`) and ``stableface`` (:mod:`generator.cli`). The pattern is
click's documented ``LazyGroup`` ("Lazily Loading Subcommands"), with one addition: each
registry entry carries its one-line help, so ``msi --help`` lists the subcommands without
importing any of them, and ``msi score --help`` imports only ``msi.cli.score``.

Usage::

    COMMANDS = {"score": ("msi.cli.score:command", "one-line help"), ...}

    @click.group(cls=LazyGroup, lazy_subcommands=COMMANDS)
    def cli(): ...

    def main(argv=None) -> int:
        return run_group(cli, "msi", argv)

A subcommand's callback returns its exit code (an int, or None for 0). ``run_group`` maps:
:class:`msi.errors.StableFaceError` -> one line ``<prog>: error: <message>`` and its
``exit_code``; a click usage error -> one line ``<prog>: error: ...`` and 2; Ctrl-C -> 130 and
SIGTERM -> 143 (:mod:`msi.cli.signals`: one line, ``<prog>: interrupted`` or ``<prog>: stopped by
SIGTERM``, followed by what the command kept when it raised :class:`msi.errors.Interrupted`);
a closed stdout pipe (``msi score ... | head``) -> 0; an optional package the command needs and
this install lacks (``torch`` for the generator) -> one line naming it and how to install it, and 1.
"""
from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence

import click

from msi.cli import signals
from msi.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Interrupted, StableFaceError

#: Help screens: short options too, and lines up to 100 columns.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: click >= 8.2 raises this for a group called without a subcommand (older click exits 0 itself).
_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Interrupted(Exception):
    """Ctrl-C, carried past click's own handler (which would print 'Aborted!' and exit 1);
    ``kept``: what the command said it kept (:class:`msi.errors.Interrupted`)."""

    def __init__(self, kept: str = "") -> None:
        super().__init__(kept)
        self.kept = kept


class _PipeClosed(Exception):
    """stdout's reader left, carried past click's own handler (which would exit 1)."""


class LazyGroup(click.Group):
    """A group whose subcommands live in other modules and are imported on first use.

    ``lazy_subcommands`` maps a command name to ``("package.module:attribute", "one-line help")``.
    Adding a subcommand is one module defining a ``click.Command`` plus one registry line.
    """

    def __init__(self, *args, lazy_subcommands: Mapping[str, tuple[str, str]] | None = None, **kwargs) -> None:
        kwargs.setdefault("context_settings", CONTEXT_SETTINGS)
        super().__init__(*args, **kwargs)
        self.lazy_subcommands: dict[str, tuple[str, str]] = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.lazy_subcommands) + [c for c in super().list_commands(ctx) if c not in self.lazy_subcommands]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        target = self.lazy_subcommands[cmd_name][0]
        module_name, _, attr = target.partition(":")
        cmd = getattr(importlib.import_module(module_name), attr or "command")
        if not isinstance(cmd, click.Command):
            raise TypeError(f"{target} is not a click command")  # a programming error, not a user's
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands with their registry help, importing none of them."""
        rows = [(name, help_) for name, (_, help_) in self.lazy_subcommands.items()]
        rows += [(name, cmd.get_short_help_str(formatter.width)) for name, cmd in self.commands.items()
                 if name not in self.lazy_subcommands and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str):
        """Complete subcommand names from the registry without importing the modules."""
        from click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=help_) for name, (_, help_) in self.lazy_subcommands.items()
                 if name.startswith(incomplete)]
        if incomplete.startswith("-"):
            items += click.Command.shell_complete(self, ctx, incomplete)
        return items

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise _Interrupted(exc.kept if isinstance(exc, Interrupted) else "") from None
        except BrokenPipeError:
            raise _PipeClosed() from None


#: Our own top-level packages: one of them missing is never an optional dependency.
_OWN_PACKAGES = ("msi", "generator")


def run_group(group: click.Group, prog: str, argv: Sequence[str] | None = None,
              translate: Callable[[str], str] | None = None, interrupted: str = "interrupted",
              install_hint: str = "") -> int:
    """Run ``group`` on ``argv`` (default ``sys.argv[1:]``) and return the exit code; never raises
    for a user's mistake (see the module docstring for the mapping). ``prog`` names the command in
    help, usage and error lines, and sets the shell-completion variable ``_<PROG>_COMPLETE``.
    ``translate`` rewrites a library error message for the command line (e.g. a setting's name
    into its flag); ``interrupted`` is what Ctrl-C prints after ``<prog>: `` (e.g. a hint that a
    rerun resumes; SIGTERM prints "stopped by SIGTERM" in place of its word "interrupted").
    ``install_hint`` follows the name of a missing optional package (e.g. the extra to install)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with signals.stop_on_signals(prog):
            rv = group.main(args=args, prog_name=prog, standalone_mode=False)
    except StableFaceError as exc:
        print(f"{prog}: error: {translate(str(exc)) if translate else exc}", file=sys.stderr)
        return int(exc.exit_code)
    except _NO_ARGS as exc:  # the bare command: its help, as a usage error
        print(exc.ctx.get_help() if exc.ctx is not None else exc.format_message(), file=sys.stderr)
        return EXIT_USAGE
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else prog
        print(f"{prog}: error: {exc.format_message()} (see '{where} --help')", file=sys.stderr)
        return EXIT_USAGE
    except click.ClickException as exc:  # e.g. click.BadParameter raised by a callback, a file error
        print(f"{prog}: error: {exc.format_message()}", file=sys.stderr)
        return int(exc.exit_code)
    except (_Interrupted, click.exceptions.Abort, KeyboardInterrupt) as exc:
        kept = getattr(exc, "kept", "")
        if kept and translate:
            kept = translate(kept)
        signum = signals.stopped_by()
        print(f"{prog}: {signals.headline(interrupted, signum)}" + (f"; {kept}" if kept else ""), file=sys.stderr)
        signals.quiet_teardown(exc)  # objects the interrupt left half-built go with its traceback
        return signals.exit_code(signum)
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if not root or root in _OWN_PACKAGES:
            raise  # a module of ours missing is a broken install or a bug, not the user's mistake
        hint = f" ({install_hint})" if install_hint else ""
        print(f"{prog}: error: this command needs the Python package '{root}', which is not installed{hint}",
              file=sys.stderr)
        return EXIT_FAILED
    except _PipeClosed:  # e.g. `msi score ... | head`: the reader left, that is fine
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at the final flush
        except (OSError, ValueError):
            pass
        return EXIT_OK
    return EXIT_OK if rv is None else int(rv)
