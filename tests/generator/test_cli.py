"""The ``stableface`` command layer: lazy subcommands, light --help, one-line errors, library
messages that name settings (never flags) and a CLI that names the flags."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import COMMANDS, cli_message, main

HEAVY = ("mediapipe", "torch", "matplotlib")  # what a --help must not import
ROOT = Path(__file__).resolve().parents[2]


def test_prepare_help_imports_no_torch_mediapipe_or_matplotlib(imports_after):
    rc, mods, _ = imports_after("generator", ["prepare", "--help"])
    assert rc == 0
    assert not [m for m in mods if m.split(".")[0] in HEAVY], mods
    assert "generator.cli.prepare" in mods and "generator.cli.train" not in mods
    assert "generator.data.prepare" not in mods  # the library is loaded when the command runs


def test_every_subcommand_has_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name} " in out
        assert main([name, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"Usage: stableface {name} ")


def test_python_m_generator_runs_the_same_command():
    p = subprocess.run([sys.executable, "-m", "generator", "synth-corpus", "--help"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0 and "--msi-sweep" in p.stdout


@pytest.mark.parametrize("argv, needle", [(["prepar"], "No such command"), (["prepare", "v.mp4"], "--out"),
                                          (["train", "d", "--out", "r", "--config", "huge"], "--config"),
                                          (["synth-corpus", "--out", "c", "--size", "big"], "--size")])
def test_usage_errors_are_one_line_and_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stableface: error: ") and "\n" not in err and needle in err, err


def test_cli_message_names_the_flags():
    assert cli_message("x.mp4: the video has no audio track; give the speech with audio=FILE") == \
        "x.mp4: the video has no audio track; give the speech with --audio FILE"
    assert cli_message("size=4 is not between 16 and 2048 pixels") == "--size 4 is not between 16 and 2048 pixels"
    assert cli_message("give the same kind with audio_features=FILE.npy") == \
        "give the same kind with --audio-features FILE.npy"


def _error_strings(path: Path) -> list[tuple[int, str]]:
    """The literal text of every ``GeneratorError(...)`` raised in a module (f-string parts too)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "GeneratorError":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    out.append((node.lineno, sub.value))
    return out


def test_library_messages_never_name_a_flag():
    library = [p for p in (ROOT / "generator").rglob("*.py") if "cli" not in p.relative_to(ROOT).parts]
    found = [(p.name, line, text) for p in library for line, text in _error_strings(p)]
    assert len(found) > 30  # the scan sees the library's errors
    assert not [f for f in found if re.search(r"--[a-z]", f[2])]


def test_generator_errors_share_the_projects_root():
    from generator.errors import GeneratorError
    from msi.errors import MSIError, StableFaceError

    assert issubclass(GeneratorError, StableFaceError) and not issubclass(GeneratorError, MSIError)
    assert GeneratorError("x").exit_code == 1 and GeneratorError.kind == "generator"
