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


def test_each_weights_option_is_its_table_row(run_cli):
    """`msi compare`'s weights options are generated from msi.metrics.networks.WEIGHTS: each row's
    option is listed with its official checkpoint and what it is for, and each is a need a column
    can name (msi compare --help shows the option beside the column)."""
    from msi.metrics.column import NEEDS
    from msi.metrics.networks import WEIGHTS

    code, out, _ = run_cli(["compare", "--help"])
    assert code == 0
    text = " ".join(out.split())  # click wraps the help: compare it unwrapped
    for kind, row in WEIGHTS.items():
        assert f"{row.option} FILE {row.checkpoint} for {row.what}" in text, kind
        assert kind in NEEDS
    assert "--csim-weights" not in text
    assert "frames paired by time [--arcface-weights, --truth]" in text  # csim's needs, beside it
    assert "for CSIM (needs --truth)" in text  # and its weights' other need, beside the option


@pytest.fixture
def toy_row(monkeypatch):
    """WEIGHTS with one more row, and msi compare rebuilt from it (rebuilt again without it after)."""
    import importlib

    import msi.cli.compare
    from msi.metrics import networks

    monkeypatch.setitem(networks.WEIGHTS, "toy", networks.Weights("the toy column", "--toy-weights", "fid",
                                                                   "the Toy Lab's toy.pth"))
    yield importlib.reload(msi.cli.compare)
    monkeypatch.undo()
    importlib.reload(msi.cli.compare)


def test_a_weights_row_is_all_an_option_needs(toy_row, tmp_path, run_cli, one_line_error):
    """A row added to WEIGHTS is an option of msi compare: listed with its checkpoint, checked like the
    others before any video is read, and its value given to the command."""
    code, out, _ = run_cli(["compare", "--help"])
    assert code == 0 and "--toy-weights FILE the Toy Lab's toy.pth for the toy column" in " ".join(out.split())
    (tmp_path / "a").mkdir()
    code, _, err = run_cli(["compare", f"a={tmp_path / 'a'}", "--toy-weights", tmp_path])
    one_line_error(code, err, f"--toy-weights {tmp_path}: is a folder, not a file", exit_code=1)
    ctx = toy_row.command.make_context("compare", ["a=x", "--toy-weights", "toy.pth"])
    assert ctx.params["toy_weights"] == "toy.pth"


#: A network's option given another network's checkpoint, then garbage: (option, the other file's
#: state dict, what the refusal says of it, the checkpoint the garbage refusal names).
WRONG_FILES = [
    ("--raft-weights", {"L2Norm3_3.weight": (256,)}, ("not RAFT weights", "looks like syncnet_python's S3FD"),
     "raft-things.pth"),
    ("--amt-weights", {"module.update_block.gru.convz1.weight": (1,)},
     ("not AMT-S weights", "looks like RAFT's raft-things.pth"), "amt-s.pth"),
    ("--pips-weights", {"state_dict": {"comb_block.0.weight": (1,)}}, ("not PIPs++ weights",), "pips2_weights.pth"),
    ("--synchformer-weights", {"update_block.gru.convz1.weight": (1,)},
     ("not Synchformer weights", "looks like RAFT's raft-things.pth"), "synchformer_state_dict.pth"),
]


@pytest.mark.parametrize("option, other, said, checkpoint", WRONG_FILES, ids=[r[0] for r in WRONG_FILES])
def test_another_networks_file_or_garbage_is_one_line(option, other, said, checkpoint, run_cli, one_line_error,
                                                      tmp_path, pristine):
    """Another network's checkpoint is named, garbage is refused naming the file it expected: one
    line, exit 1, before any video is read."""
    import torch

    def tensors(d: dict) -> dict:
        return {k: tensors(v) if isinstance(v, dict) else torch.zeros(v) for k, v in d.items()}

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.mp4").symlink_to(pristine)
    wrong = tmp_path / "other.pth"
    torch.save(tensors(other), wrong)
    one_line_error(*run_cli(["compare", f"m={tmp_path / 'm'}", option, wrong])[::2], *said, exit_code=1)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\0" * 64)
    one_line_error(*run_cli(["compare", f"m={tmp_path / 'm'}", option, junk])[::2], "junk.pth", checkpoint,
                   exit_code=1)
