"""`stableface` commands check where they will write before any work (issue 24): one line, exit 2."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main


@pytest.fixture
def places(tmp_path) -> dict[str, Path]:
    (tmp_path / "a_file.txt").write_text("a file, not a folder\n")
    return {"proc": Path("/proc/stableface-out"), "under_a_file": tmp_path / "a_file.txt" / "out"}


@pytest.mark.parametrize("where", ["proc", "under_a_file"])
@pytest.mark.parametrize("command", ["prepare", "train", "synthesize", "synth-corpus", "bench table4"])
def test_unwritable_output_is_one_line_exit_2_before_any_work(command, where, places, pristine, tmp_path, run_cli,
                                                              one_line_error):
    bad = places[where]
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text("{}")
    argv = {"prepare": ["prepare", pristine, "--out", bad],
            "train": ["train", data, "--out", bad],
            "synthesize": ["synthesize", tmp_path / "no-run", "--audio", pristine, "--background", data,
                           "--out", f"{bad}.mp4"],
            "synth-corpus": ["synth-corpus", "--out", bad],
            "bench table4": ["bench", "table4", "--out", bad]}[command]
    code, out, err = run_cli(argv, main=main)
    one_line_error(code, err, "--out", "cannot write there", prog="stableface", exit_code=2, alone=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.txt", "data"]  # nothing else written
