"""Retrain only audio2expression with changed settings, put it into a finished run, then its stage
table (issue 19).

    python benchmarks/generator_a2e_variant.py RUN DATA OUT '{"train": {"a2e_opening": 3.0}}' [--seed 0]

OUT/a2e trains audio2expression alone (the ``tiny`` config with the override, renderer and joint
epochs 0, seed ``--seed``), as the first stage of a fresh run would. OUT is then RUN with that
audio2expression: the renderer, smoothing and discriminator stay RUN's, which never read
audio2expression (stages 2 and 3 train on the tracked expressions), so OUT is what a full run of the
changed config gives, up to the sequences its later stages draw (seeded by the step, which moves
when the first stage's length changes). Last, ``generator_stability.py OUT DATA --out OUT/stab``.
The override is JSON: config section -> fields.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("override", type=json.loads, help='JSON, e.g. \'{"train": {"a2e_opening": 3}}\'')
    p.add_argument("--seed", type=int, default=0, help="the seed audio2expression trains with")
    a = p.parse_args(argv)

    from generator.checkpoint import load_checkpoint
    from generator.config import from_dict, get_config, to_dict
    from generator.train import save_atomic, train

    torch.set_num_threads(1)
    cfg = get_config("tiny")
    cfg.train = dataclasses.replace(cfg.train, seed=a.seed, threads=1)
    for section, fields in a.override.items():
        setattr(cfg, section, dataclasses.replace(getattr(cfg, section), **fields))
    only = dataclasses.replace(cfg)
    only.train = dataclasses.replace(cfg.train, render_epochs=0, joint_epochs=0)
    t0 = time.time()
    train(a.data, a.out / "a2e", only, progress=False)
    print(json.dumps({"a2e_train_seconds": round(time.time() - t0, 1)}), flush=True)

    run, new = load_checkpoint(a.run / "checkpoint.pt"), load_checkpoint(a.out / "a2e" / "checkpoint.pt")
    model = {k: (new["model"][k] if k.split(".", 1)[0] == "a2e" else v) for k, v in run["model"].items()}
    saved = from_dict(run["config"])
    saved.a2e, saved.train = from_dict(new["config"]).a2e, dataclasses.replace(
        from_dict(new["config"]).train, render_epochs=saved.train.render_epochs, joint_epochs=saved.train.joint_epochs)
    save_atomic({**run, "model": model, "config": to_dict(saved)}, a.out / "checkpoint.pt")
    return subprocess.call([sys.executable, str(Path(__file__).with_name("generator_stability.py")),
                            str(a.out), str(a.data), "--out", str(a.out / "stab")])


if __name__ == "__main__":
    sys.exit(main())
