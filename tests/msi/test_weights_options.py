"""Every weights option given a folder, a device, an empty or a missing file: one line naming the
option and the reason ("is a folder, not a file"), exit 1, before any video is decoded; and the
loaders themselves say the same, with the file they expected."""
from __future__ import annotations

import pytest

FLAGS = ("--syncnet-weights", "--inception-weights", "--i3d-weights", "--arcface-weights", "--lpips-weights",
         "--lpips-linear", "--lipnet-weights")


def test_weights_options_refuse_folders_before_any_video(tmp_path, run_cli, one_line_error):
    (tmp_path / "a").mkdir()  # a method folder without videos: refused later, so the check came first
    (tmp_path / "empty.pth").write_bytes(b"")
    for flag in FLAGS:
        extra = ["--lpips-weights", tmp_path / "empty.pth"] if flag == "--lpips-linear" else []
        code, _, err = run_cli(["compare", f"a={tmp_path / 'a'}", *extra, flag, tmp_path])
        wanted = (f"--lpips-weights {tmp_path / 'empty.pth'}: empty file (0 bytes)" if extra
                  else f"{flag} {tmp_path}: is a folder, not a file")
        one_line_error(code, err, wanted, exit_code=1)
    for path, reason in (("/dev/null", "not a regular file (a device)"), (tmp_path / "none.pth", "no such file")):
        code, _, err = run_cli(["compare", f"a={tmp_path / 'a'}", "--i3d-weights", path])
        one_line_error(code, err, f"--i3d-weights {path}: {reason}", exit_code=1)
    code, _, err = run_cli(["report", f"a={tmp_path / 'a'}", "--syncnet-weights", tmp_path, "--out", tmp_path / "r"])
    one_line_error(code, err, f"--syncnet-weights {tmp_path}: is a folder, not a file", exit_code=1)
    from generator.cli import main as stableface

    code, _, err = run_cli(["bench", "table5", "--out", tmp_path / "b", "--report-only", "--syncnet-weights", tmp_path],
                           main=stableface)
    one_line_error(code, err, f"--syncnet-weights {tmp_path}: is a folder, not a file", prog="stableface", exit_code=1)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("loader", ["msi.networks.i3d:load_i3d", "msi.networks.inception:load_inception",
                                    "msi.networks.arcface:load_arcface", "msi.networks.lpips:load_lpips",
                                    "msi.networks.lipnet:load_lipnet", "msi.metrics.syncnet:load_syncnet",
                                    "msi.networks.synchformer:load_synchformer"])
def test_loaders_say_a_folder_is_a_folder(tmp_path, loader):
    import importlib

    from msi.errors import BadWeights

    module, name = loader.split(":")
    with pytest.raises(BadWeights, match=r"is a folder, not a file \(expected .+\)"):
        getattr(importlib.import_module(module), name)(tmp_path)
