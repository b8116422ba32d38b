"""Fit the expression gain (``TrainConfig.a2e_gain``) to a finished run, then its stage table (issue 19).

    python benchmarks/generator_gain_variant.py RUN DATA OUT [--mode mesh|video] [--reference val|train+val]
        [--centre mean|closed]

OUT is RUN's checkpoint with ``a2e_gain`` set to ``--mode`` (default "mesh", ``tiny()``'s) and
``a2e_gain_reference`` to ``--reference`` and ``a2e_gain_centre`` to ``--centre`` (defaults: ``tiny()``'s);
``stableface train`` resumes it at its last step, where it fits the gain on the validation split
and saves it. Nothing else changes: the gain is fitted after the last step and draws no random
numbers, so OUT is what a fresh run of RUN's config with that ``a2e_gain`` gives. Last,
``generator_stability.py OUT DATA --out OUT/stab``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from variant_common import stage_table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--mode", default="mesh", choices=["mesh", "video"])
    p.add_argument("--reference", choices=["val", "train+val"], help="TrainConfig.a2e_gain_reference (default: tiny()'s)")
    p.add_argument("--centre", choices=["mean", "closed"], help="TrainConfig.a2e_gain_centre (default: tiny()'s)")
    a = p.parse_args(argv)

    from generator.checkpoint import load_checkpoint
    from generator.config import from_dict, to_dict
    from generator.train import save_atomic, train

    torch.set_num_threads(1)
    state = load_checkpoint(a.run / "checkpoint.pt")
    cfg = from_dict(state["config"])
    cfg.train.a2e_gain, cfg.train.threads = a.mode, 1
    if a.reference:
        cfg.train.a2e_gain_reference = a.reference
    if a.centre:
        cfg.train.a2e_gain_centre = a.centre
    state.pop("calibration", None)
    a.out.mkdir(parents=True, exist_ok=True)
    save_atomic({**state, "config": to_dict(cfg)}, a.out / "checkpoint.pt")
    train(a.data, a.out, cfg, progress=False)
    cal = load_checkpoint(a.out / "checkpoint.pt")["calibration"]
    print(json.dumps({"gain": round(cal["gain"], 4), "mesh_gain": round(cal["mesh_gain"], 4),
                      "video": cal.get("video"), **{k: round(v, 5) for k, v in cal["opening_std"].items()}}), flush=True)
    return stage_table(a.out, a.data)


if __name__ == "__main__":
    sys.exit(main())
