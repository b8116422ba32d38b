"""Progress of training/synthesis: a bar only on a terminal, one line every N steps in logs."""
from __future__ import annotations

import io
import os

import pytest

import generator.progress as P


def test_log_gets_one_line_every_n_steps():
    out = io.StringIO()
    bar = P.progress(120, "train", file=out, every=50)
    assert isinstance(bar, P.LineProgress)
    for step in range(120):
        bar.update(1)
        bar.set_postfix(stage="a2e", loss=f"{1 / (step + 1):.4f}")
    bar.close()
    lines = out.getvalue().splitlines()
    assert [ln.split()[2] for ln in lines] == ["50/120", "100/120", "120/120"]
    assert "\r" not in out.getvalue() and "loss=" in lines[-1]


def test_bar_on_a_terminal_silence_when_disabled():
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as tty:
        bar = P.progress(10, "render", file=tty)
        assert type(bar).__name__ == "tqdm"
        bar.close()
    os.close(master)
    out = io.StringIO()
    bar = P.progress(10, "render", enabled=False, file=out)
    for _ in range(10):
        bar.update(1)
    bar.close()
    assert out.getvalue() == ""


@pytest.mark.slow
def test_training_log_has_lines_not_bar_redraws(tiny_clip, tmp_path, capsys, monkeypatch):
    """`stableface train` with stderr in a file (as under pytest): plain step lines only."""
    import generator.train as T
    from generator.config import PRESETS

    monkeypatch.setattr(P, "LOG_EVERY", 2)
    cfg = PRESETS["tiny"]()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 1, 0, 0
    total = T.train(tiny_clip, tmp_path / "run", cfg, max_steps=5, progress=True)["step"]
    err = capsys.readouterr().err
    steps = [int(ln.split()[2].split("/")[0]) for ln in err.splitlines() if ln.startswith("train: step ")]
    assert total >= 3 and steps == sorted(set(list(range(2, total + 1, 2)) + [total]))
    assert "\r" not in err and "it/s]" not in err
