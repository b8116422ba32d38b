"""Retrain only the renderer of a finished run with changed settings, then its stage table (issue 19).

    python benchmarks/generator_renderer_variant.py RUN DATA OUT '{"loss": {"probe_weight": 3.0}}' [--seed 0]

OUT starts from RUN's audio2expression (``generator.train.fork``), its step count set back to the
end of that stage, so the renderer and joint stages train as a fresh run of the changed ``tiny``
config would (their sequences are seeded by the step); then ``generator_stability.py OUT DATA
--out OUT/stab`` prints the stage table. The override is JSON: config section -> fields.
Measured with it (seed 0, README tiny recipe): the lips' ×30 weight and the mouth-opening probe
(``docs/generator/models.md``, "What was tried").
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
    p.add_argument("override", type=json.loads, help='JSON, e.g. \'{"loss": {"lip_weight": 30}}\'')
    p.add_argument("--seed", type=int, default=0, help="the seed RUN was trained with")
    a = p.parse_args(argv)

    from generator.checkpoint import load_checkpoint
    from generator.config import get_config
    from generator.train import TrainData, fork, save_atomic, stage_plan, train

    torch.set_num_threads(1)
    cfg = get_config("tiny")
    cfg.train = dataclasses.replace(cfg.train, seed=a.seed)
    for section, fields in a.override.items():
        setattr(cfg, section, dataclasses.replace(getattr(cfg, section), **fields))
    fork(a.run, a.out, cfg, ("a2e",))
    data = TrainData.load(a.data)
    plan = stage_plan(cfg, data.train, data.val)
    state = load_checkpoint(a.out / "checkpoint.pt")
    state["step"] = sum(n for stage, n in plan if stage == "a2e")  # RUN may be finished
    save_atomic(state, a.out / "checkpoint.pt")
    t0 = time.time()
    train(a.data, a.out, cfg, progress=False)
    print(json.dumps({"train_seconds": round(time.time() - t0, 1)}), flush=True)
    return subprocess.call([sys.executable, str(Path(__file__).with_name("generator_stability.py")),
                            str(a.out), str(a.data), "--out", str(a.out / "stab")])


if __name__ == "__main__":
    sys.exit(main())
