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

import dataclasses
import json
import sys
import time

import torch

from variant_common import parse, stage_table, tiny_with


def main(argv: list[str] | None = None) -> int:
    a = parse(__doc__.splitlines()[0], '{"train": {"a2e_opening": 3}}', "the seed audio2expression trains with", argv)

    from generator.checkpoint import load_checkpoint
    from generator.config import from_dict, to_dict
    from generator.train import save_atomic, train

    torch.set_num_threads(1)
    cfg = tiny_with(a.override, a.seed, threads=1)
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
    return stage_table(a.out, a.data)


if __name__ == "__main__":
    sys.exit(main())
