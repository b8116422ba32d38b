"""SIGTERM (a scheduler's stop) to the long ``stableface`` commands, as a real subprocess: one line
saying what was kept, exit 143, no traceback, nothing half written, and a rerun (in this process)
that continues.
(``stableface train`` is covered in test_train_pipeline.py.)"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]  # `python -m generator` from here imports this checkout


def _env(tmp: Path) -> dict:
    return {**os.environ, "MSI_CACHE_DIR": str(tmp / "msi-cache"), "GLOG_minloglevel": "2",
            "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}


def _start(args: list, tmp: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "generator", *map(str, args)], cwd=ROOT, env=_env(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def rerun(run_cli, tmp_path, monkeypatch):
    """The rerun after the stop, in this process with the stopped process's environment: the
    signal handling is the subprocess's to show; the rerun continues from what it kept, and a
    second interpreter start-up (torch, mediapipe) adds only seconds."""
    from generator.cli import main

    for k, v in _env(tmp_path).items():
        if os.environ.get(k) != v:
            monkeypatch.setenv(k, v)
    return lambda args: run_cli(args, main=main)


def _the_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("stableface: ")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.slow
def test_bench_table4_stopped_after_2_of_4_clips_keeps_them_and_the_rerun_continues(tmp_path, rerun):
    out = tmp_path / "t4"
    args = ["bench", "table4", "--out", out, "--clips", "4", "--seconds", "2"]
    p = _start(args, tmp_path)
    seen = []
    for line in p.stderr:  # one progress line per clip built and scored
        seen.append(line)
        if line.startswith("[2/4]"):
            break
    assert seen and seen[-1].startswith("[2/4]"), seen
    os.kill(p.pid, signal.SIGTERM)
    _, rest = p.communicate(timeout=120)
    assert p.returncode == 143
    built = sorted(f.name for f in (out / "clips").glob("clip*.mp4"))
    assert built[:2] == ["clip000.mp4", "clip001.mp4"] and len(built) in (2, 3)  # the third may be built, not scored
    assert _the_line(rest) == (f"stableface: stopped by SIGTERM (rerun the same command to continue); {len(built)} of 4 "
                               f"clips built in {out / 'clips'}, their landmarks in {out / 'cache'}; a rerun builds "
                               "and tracks only the rest")
    assert not (out / "scores.csv").exists()
    kept = {f: f.stat().st_mtime_ns for f in (out / "clips").glob("clip00[01].mp4")}
    code, _, err = rerun(args)
    assert code == 0, err
    assert len(pd.read_csv(out / "scores.csv")) == 4
    assert all(f.stat().st_mtime_ns == t for f, t in kept.items())  # not built again


def test_an_interrupted_grid_says_which_runs_are_kept(tmp_path):
    """The bench's line: the runs finished in --out, and where the run in progress stopped."""
    from generator.reproduction.runs import RunStore
    from generator.cli.bench import _runs_kept
    from msi.errors import Interrupted

    store = RunStore(tmp_path)
    store.save("full", 0, {"steps": 3, "msi_lip": 0.5})
    variants = {"full": {}, "w/o smoothing": {}}
    line = _runs_kept(tmp_path, variants, 2, Interrupted("training stopped at step 2 of 3, saved in x/checkpoint.pt"))
    assert line == (f"1 of 4 runs finished, kept in {tmp_path / 'results'}; the run in progress: training stopped at "
                    "step 2 of 3, saved in x/checkpoint.pt")
    store.save("w/o smoothing", 1, {"steps": 3})
    assert _runs_kept(tmp_path, variants, 2, KeyboardInterrupt()).startswith("2 of 4 runs finished")


@pytest.fixture(scope="module")
def short_run(tiny_clip, tmp_path_factory) -> Path:
    """A run trained for a few steps: enough to synthesize with."""
    import torch

    from generator.config import tiny
    from generator.train import train

    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("short-run")
    train(tiny_clip, run, tiny(), max_steps=2, progress=False)
    return run


@pytest.fixture(scope="module")
def speech_1s(tiny_clip, tmp_path_factory) -> Path:
    """The clip's speech track, its first second (25 frames to render, not 100): the same samples,
    copied by the standard library's wave module."""
    import wave

    src = next((tiny_clip.parent / "source").glob("*.wav"))
    out = tmp_path_factory.mktemp("speech") / "speech_1s.wav"
    with wave.open(str(src)) as r, wave.open(str(out), "wb") as w:
        w.setparams(r.getparams())
        w.writeframes(r.readframes(r.getframerate()))
    return out


@pytest.mark.slow
def test_synthesize_stopped_while_writing_leaves_the_earlier_video_and_no_partial_file(short_run, tiny_clip,
                                                                                        speech_1s, tmp_path, rerun):
    speech = speech_1s
    out = tmp_path / "out.mp4"
    out.write_bytes(b"an earlier, complete video")
    partial = tmp_path / ".out.partial.mp4"
    # written at 1024 px: seconds of marking and encoding to stop in, once the partial file is there (25
    # frames at 1024 px are as many pixels as the 100 frames at 512 px it was, 16 s at 256 px; measured
    # on a loaded machine, left to finish: the video was complete 11.1 s after its partial file appeared,
    # 10.6 s with the 4 s speech at 512 px), for a quarter of the frames to render here and in the rerun
    p = _start(["synthesize", short_run, "--audio", speech, "--background", tiny_clip, "--out", out,
                "--out-size", "1024", "--quiet"], tmp_path)
    end = time.monotonic() + 300
    while not partial.exists():  # the known point: the video is being written
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < end
        time.sleep(0.005)
    os.kill(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143
    assert _the_line(err) == (f"stableface: stopped by SIGTERM (rerun the same command to continue); nothing written "
                              f"to {out} (a video is written whole or not at all)")
    assert out.read_bytes() == b"an earlier, complete video" and not partial.exists()
    assert not list(tmp_path.glob(".*partial*"))
    # the rerun writes the video, under its name
    code, _, err = rerun(["synthesize", short_run, "--audio", speech, "--background", tiny_clip, "--out", out, "--quiet"])
    assert code == 0, err
    from msi.io.video import probe

    assert np.isfinite(probe(out).fps) and not partial.exists()
