"""The ``msi`` command layer: lazy subcommands, light --help, and run_group's exit-code policy.

run_group is exercised on a small real click group (no mocks): the same function runs both
``msi`` and ``stableface``.
"""
from __future__ import annotations

import subprocess
import sys

import click
import pytest

from msi.cli import SUBCOMMANDS, cli_message
from msi.cli.lazy import LazyGroup, run_group
from msi.errors import NoFace, UsageError

HEAVY = ("mediapipe", "torch", "matplotlib")


def test_score_help_imports_no_mediapipe_torch_or_matplotlib(imports_after):
    rc, mods, _ = imports_after("msi", ["score", "--help"])
    assert rc == 0
    assert not [m for m in mods if m.split(".")[0] in HEAVY], mods
    assert "msi.cli.score" in mods and "msi.cli.plot" not in mods and "msi.cli.correlate" not in mods


def test_top_level_help_imports_no_subcommand(imports_after):
    rc, mods, _ = imports_after("msi", ["--help"])
    assert rc == 0
    assert not [m for m in mods if m.split(".")[0] in HEAVY], mods
    assert not [m for m in mods if m.startswith("msi.cli.") and m.split(".")[-1] in
                {n.replace("-", "_") for n in SUBCOMMANDS}], mods


def test_every_subcommand_loads_and_has_help(run_cli):
    code, out, _ = run_cli(["--help"])
    assert code == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in out
        code, text, err = run_cli([name, "--help"])
        assert code == 0, err
        assert text.startswith(f"Usage: msi {name} ")
    from msi import __version__

    assert run_cli(["--version"])[:2] == (0, f"msi {__version__}\n")


def test_usage_errors_are_one_line_and_exit_2(run_cli, one_line_error):
    for argv, needle in ((["scor"], "No such command"), (["score", "--bogus"], "--bogus"),
                         (["score", "x.mp4", "--compat", "nope"], "--compat"), (["plot"], "VIDEO_OR_RESULT"),
                         (["score", "x.mp4", "--workers", "two"], "--workers")):
        code, _, err = run_cli(argv)
        one_line_error(code, err, needle, exit_code=2, alone=True)
    code, _, err = run_cli([])  # bare `msi`: the help, as a usage error
    assert code == 2 and "Commands:" in err


def test_library_setting_hints_read_as_flags():
    assert cli_message("x (resample_fps=25 to compare)") == "x (--resample-fps 25 to compare)"
    assert cli_message("no human face; verify_face=False to score it anyway") == \
        "no human face; --no-face-check to score it anyway"
    assert cli_message("use scheme=ibug68?") == "use --scheme ibug68?"


# ----------------------------------------------------------------------------- run_group policy


@click.group("demo", cls=LazyGroup)
def demo() -> None:
    """A group of commands that fail in every way run_group maps."""


@demo.command("ok")
@click.option("--code", type=int, default=None)
def ok(code: int | None):
    print("fine")
    return code


@demo.command("spam")
def spam():
    for i in range(1_000_000):
        print(f"line {i}")


@demo.command("fail")
@click.argument("kind")
def fail(kind: str):
    if kind == "noface":
        raise NoFace("clip.mp4: no face (verify_face=False to go on)")
    if kind == "usage":
        raise UsageError("--thing must be positive")
    if kind == "interrupt":
        raise KeyboardInterrupt
    raise RuntimeError("a bug is a traceback, not a one-line error")


def test_run_group_exit_codes(capsys):
    assert run_group(demo, "demo", ["ok"]) == 0
    assert run_group(demo, "demo", ["ok", "--code", "1"]) == 1
    capsys.readouterr()
    assert run_group(demo, "demo", ["fail", "noface"], translate=cli_message) == NoFace.exit_code == 1
    assert capsys.readouterr().err == "demo: error: clip.mp4: no face (--no-face-check to go on)\n"
    assert run_group(demo, "demo", ["fail", "usage"]) == 2
    assert capsys.readouterr().err == "demo: error: --thing must be positive\n"
    assert run_group(demo, "demo", ["fail", "interrupt"]) == 130
    assert capsys.readouterr().err == "demo: interrupted\n"
    assert run_group(demo, "demo", ["nope"]) == 2
    assert capsys.readouterr().err.startswith("demo: error: No such command 'nope'")
    with pytest.raises(RuntimeError):  # programming errors are not hidden
        run_group(demo, "demo", ["fail", "bug"])


def test_closed_pipe_exits_0():
    """`msi ... | head`: the reader leaves early; exit 0 and nothing on stderr (a real pipe)."""
    from pathlib import Path

    # imported by file name, as pytest imports it: a `tests` package installed by another project
    # (fastvideo ships one) would win over this folder, which has no __init__.py
    code = ("import sys; from test_msi_cli import demo; from msi.cli.lazy import run_group; "
            "sys.exit(run_group(demo, 'demo', ['spam']))")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=Path(__file__).resolve().parent)
    assert p.stdout.readline() == b"line 0\n"
    p.stdout.close()  # the reader leaves
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0 and err == "", err


def test_a_missing_optional_package_is_one_line_and_our_own_is_a_traceback(capsys):
    """A command whose import of an optional package fails (a real import of a package that does
    not exist) ends with one line naming it and the install hint; a missing module of ours is a bug
    and still raises."""
    import click

    from msi.cli.lazy import LazyGroup, run_group

    @click.group(cls=LazyGroup)
    def demo():
        pass

    @demo.command("needs")
    def needs():
        import stableface_no_such_package.sub  # noqa: F401

    @demo.command("ours")
    def ours():
        import generator.no_such_module  # noqa: F401

    assert run_group(demo, "demo", ["needs"], install_hint="pip install 'stableface[generator]'") == 1
    assert capsys.readouterr().err == ("demo: error: this command needs the Python package 'stableface_no_such_package', "
                                       "which is not installed (pip install 'stableface[generator]')\n")
    with pytest.raises(ModuleNotFoundError):
        run_group(demo, "demo", ["ours"])
