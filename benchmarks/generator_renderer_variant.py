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

import json
import sys
import time

import torch

from variant_common import parse, stage_table, tiny_with


def main(argv: list[str] | None = None) -> int:
    a = parse(__doc__.splitlines()[0], '{"loss": {"lip_weight": 30}}', "the seed RUN was trained with", argv)

    from generator.checkpoint import load_checkpoint
    from generator.train import TrainData, fork, save_atomic, stage_plan, train

    torch.set_num_threads(1)
    cfg = tiny_with(a.override, a.seed)
    fork(a.run, a.out, cfg, ("a2e",))
    data = TrainData.load(a.data)
    plan = stage_plan(cfg, data.train, data.val)
    state = load_checkpoint(a.out / "checkpoint.pt")
    state["step"] = sum(n for stage, n in plan if stage == "a2e")  # RUN may be finished
    save_atomic(state, a.out / "checkpoint.pt")
    t0 = time.time()
    train(a.data, a.out, cfg, progress=False)
    print(json.dumps({"train_seconds": round(time.time() - t0, 1)}), flush=True)
    return stage_table(a.out, a.data)


if __name__ == "__main__":
    sys.exit(main())
