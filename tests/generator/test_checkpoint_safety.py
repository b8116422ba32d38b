"""Checkpoints load weights-only (issue 24): a pickle that runs code is refused in one line through
the real `stableface` command and runs nothing; a real training checkpoint loads and resumes
weights-only; an old-format file loads only with --trust-checkpoint.

The first test runs `python -m generator` as a process; the others call the same command's
``main`` in-process (what they check is the loading, not the process: a fresh interpreter per
call cost ~3 CPU-seconds of imports each)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch


class _Evil:
    """Unpickling this calls os.system(cmd): what a shared run folder could hide."""

    def __init__(self, cmd: str) -> None:
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def stableface_process(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *map(str, argv)], capture_output=True, text=True,
                          timeout=300)


def stableface(*argv) -> subprocess.CompletedProcess:
    """``stableface ARGV`` in this process: ``generator.cli.main``, the entry point of the console
    script and of ``python -m generator``, with its stdout and stderr captured."""
    import contextlib
    import io

    from generator.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return subprocess.CompletedProcess(["stableface", *map(str, argv)], code, out.getvalue(), err.getvalue())


@pytest.fixture
def evil_run(tmp_path):
    """A run folder with a config.json and a checkpoint.pt whose pickle creates a marker file."""
    run, marker = tmp_path / "run", tmp_path / "PWNED"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": {}, "plan": []}))
    torch.save({"step": 1, "model": {}, "config": _Evil(f"touch {marker}")}, run / "checkpoint.pt")
    return run, marker


def test_synthesize_refuses_a_checkpoint_that_runs_code(evil_run, tmp_path, stableface_error):
    run, marker = evil_run
    p = stableface_process("synthesize", run, "--audio", tmp_path / "speech.wav", "--background", tmp_path,
                           "--out", tmp_path / "out.mp4")
    stableface_error(p.returncode, p.stderr, "checkpoint.pt: refused", "could run code", "--trust-checkpoint")
    assert not marker.exists()
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.slow
def test_train_refuses_to_resume_from_a_checkpoint_that_runs_code(evil_run, tmp_path, stableface_error):
    run, marker = evil_run
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text("{}")  # train reads the checkpoint before the data
    p = stableface("train", data, "--out", run, "--config", "tiny")
    stableface_error(p.returncode, p.stderr, "refused", "--trust-checkpoint")
    assert not marker.exists()


def test_trust_checkpoint_is_the_explicit_way_to_the_full_unpickler(evil_run, tmp_path, stableface_error):
    """The flag does what it says (the pickle runs), and what it loaded is still checked."""
    run, marker = evil_run
    p = stableface("synthesize", run, "--audio", tmp_path / "speech.wav", "--background", tmp_path,
                   "--out", tmp_path / "out.mp4", "--trust-checkpoint")
    assert marker.exists()
    stableface_error(p.returncode, p.stderr, "not a stableface checkpoint")


@pytest.mark.slow
@pytest.mark.parametrize("content", [b"", b"not a torch file at all\n", None])
def test_damaged_checkpoints_are_one_line(tmp_path, content, stableface_error, evil_run):
    run = tmp_path / "run2"
    run.mkdir()
    if content is None:  # a real checkpoint cut in half
        data = (evil_run[0] / "checkpoint.pt").read_bytes()
        content = data[: len(data) // 2]
    (run / "checkpoint.pt").write_bytes(content)
    p = stableface("synthesize", run, "--audio", tmp_path / "a.wav", "--background", tmp_path, "--out", tmp_path / "o.mp4")
    stableface_error(p.returncode, p.stderr, "checkpoint.pt")


def test_saving_a_python_object_fails_at_the_save(tmp_path):
    from generator.checkpoint import save_checkpoint

    with pytest.raises(TypeError, match=r"state\['config'\]\['where'\] is a pathlib"):
        save_checkpoint({"step": 1, "model": {}, "config": {"where": Path("x")}}, tmp_path / "c.pt")
    assert not (tmp_path / "c.pt").exists()


@pytest.mark.slow
def test_a_real_checkpoint_loads_weights_only_resumes_and_old_ones_need_trust(tiny_clip, tmp_path, stableface_error):
    """Two real training steps: the checkpoint (model, Adam states, config, identity) is weights-only
    loadable; `stableface train` resumes from it. The same state with a Python object in it (the
    old format) is refused, loads with --trust-checkpoint and is rewritten safe by the resumed run."""
    from generator.checkpoint import load_checkpoint
    from generator.config import tiny
    from generator.inference import load_run
    from generator.train import train

    torch.set_num_threads(1)
    cfg = tiny()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 1, 1, 0
    run = tmp_path / "run"
    assert train(tiny_clip, run, cfg, max_steps=2, progress=False)["step"] == 2
    state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["step"] == 2 and state["optimizers"]["a2e"]["state"]  # Adam moments are in it
    assert load_checkpoint(run / "checkpoint.pt")["step"] == 2
    assert load_run(run).step == 2

    args = ["train", tiny_clip, "--out", run, "--config", "tiny", "--epochs", "1,1,0", "--threads", "1", "--quiet"]
    p = stableface(*args, "--max-steps", "3")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["step"] == 3

    old = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    old["data_dir"] = Path(tiny_clip)  # a Python object: what a full pickle may carry
    torch.save(old, run / "checkpoint.pt")
    p = stableface(*args, "--max-steps", "4")
    stableface_error(p.returncode, p.stderr, "refused", "pathlib", "--trust-checkpoint")
    p = stableface(*args, "--max-steps", "4", "--trust-checkpoint")
    assert p.returncode == 0, p.stderr
    assert torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)["step"] == 4  # safe again


def _bench_folder_with_evil_runs(tmp_path: Path) -> tuple[Path, Path]:
    """A bench --out folder as another machine left it: prepared data, and a half-trained run of
    every Table V variant (seed 0) whose checkpoint.pt pickles a command."""
    from generator.reproduction.ablations import TABLE5, run_dir
    from generator.data.dataset import ARRAY_FILES

    out, marker = tmp_path / "bench", tmp_path / "PWNED"
    (out / "data").mkdir(parents=True)
    (out / "data" / "manifest.json").write_text("{}")
    for name in (*ARRAY_FILES, "audio.wav"):
        (out / "data" / name).write_bytes(b"x")  # the bench resumes a run before it reads the data
    for variant in TABLE5:
        run = run_dir(out, variant, 0)
        run.mkdir(parents=True)
        torch.save({"step": 1, "model": {}, "config": _Evil(f"touch {marker}")}, run / "checkpoint.pt")
    return out, marker


@pytest.mark.slow
def test_bench_refuses_to_resume_from_a_checkpoint_that_runs_code_unless_trusted(tmp_path, stableface_error):
    out, marker = _bench_folder_with_evil_runs(tmp_path)
    p = stableface("bench", "table5", "--out", out, "--seeds", 1)
    stableface_error(p.returncode, p.stderr, "checkpoint.pt: refused", "could run code", "--trust-checkpoint")
    assert not marker.exists()
    p = stableface("bench", "table5", "--out", out, "--seeds", 1, "--trust-checkpoint")
    assert marker.exists()  # the flag reaches the bench's resume: the full unpickler ran
    stableface_error(p.returncode, p.stderr, "not a stableface checkpoint")
