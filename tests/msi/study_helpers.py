"""Shared by the ``msi study`` tests: tiny method folders cut from the bundled real clip, a made
study, and ``msi study serve`` as a real process on loopback."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TRUTH = {"real": {"motion_stability": 4.4, "lip_sync": 4.0, "realness": 4.3},
         "shaken": {"motion_stability": 1.7, "lip_sync": 3.3, "realness": 2.2},
         "frozen": {"motion_stability": 3.7, "lip_sync": 1.7, "realness": 2.9}}


def make_methods(root: Path, utterances: int = 2, frames: int = 12, fps: float = 30.0) -> dict[str, Path]:
    """``real``, ``shaken`` (±2 px per frame) and ``frozen`` (first frame held) folders of
    ``utterances`` short clips (``frames`` frames, 0.4 s by default: the video-must-end rule is quick)."""
    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video
    from msi.plots.slices import shift_frame

    src = read_frames(sample_path("carphone_pristine.mp4"), limit=utterances * 30 + frames)
    rng = np.random.default_rng(0)
    dirs = {m: root / m for m in ("real", "shaken", "frozen")}
    for i in range(utterances):
        f = src[30 * i: 30 * i + frames]
        for m, d in dirs.items():
            d.mkdir(parents=True, exist_ok=True)
            g = f if m == "real" else [f[0]] * len(f) if m == "frozen" else [shift_frame(x, *rng.integers(-2, 3, 2)) for x in f]
            write_video(d / f"u{i}.mp4", g, fps=fps, crf=30, threads=1)
    return dirs


def make_study(*args) -> None:
    """``msi study make ARGS`` in this process (a module fixture's study: the command's exit code and
    its stderr checked as before, without a second interpreter's start-up)."""
    import contextlib
    import io

    from msi.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["study", "make", *map(str, args)])
    assert code == 0, err.getvalue()


def run_msi(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "msi", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout)


class Server:
    """``python -m msi study serve STUDY --port 0`` in its own process group; ``url`` and
    ``key`` are read from its first lines."""

    def __init__(self, study: Path, *extra: str) -> None:
        self.study, self.extra = study, extra
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "msi", "study", "serve", str(self.study), "--port", "0",
                                      *self.extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=ROOT, start_new_session=True)
        first = self.proc.stdout.readline()
        second = self.proc.stdout.readline()
        m = re.search(r"at (http://\S+/) ", first)
        assert m, (first, second, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.url = m.group(1)
        self.key = re.search(r"X-Owner-Key: (\S+)'", second).group(1)

    def links(self) -> dict[str, str]:
        lines = (self.study / "server" / "links.csv").read_text().splitlines()[1:]
        return dict(line.split(",", 1) for line in lines)

    def token(self, rater: str) -> str:
        return self.links()[rater].split("?t=", 1)[1]

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)

    def alive(self) -> bool:
        return self.proc.poll() is None


def wait_for(cond, timeout: float = 10.0, step: float = 0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out")
