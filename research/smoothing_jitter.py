"""Does the adaptive smoothing module learn to follow the mouth when it is given jitter to remove?

    python research/smoothing_jitter.py BENCH_DIR SEED NAME '{"smoothing": {"train_jitter": 0.5}}'

Starts from a ``stableface bench`` folder's shared renderer stage of SEED (``BENCH_DIR/runs/shared/
renderer__seedSEED``: audio2expression and the renderer trained, no smoothing yet), trains the joint
stage of the bench's ``full`` variant with the JSON overrides (sections of ``generator.config``; a
top-level ``"mode"`` picks another smoothing mode), on one thread, and reports:

* the adaptive weights on the test split's predicted expressions (``generator.reproduction.
  adaptation.weights_report``): centre weight, its spread, r with the expression and mouth speed;
* the motion chain (re-enactment, the whole test split as one clip): MSI-Lip, motion ratio, r with
  the truth's opening and the lip-audio proxy of the predicted meshes, the smoothed meshes and the
  encoded video.

Writes ``research_runs/smoothing/NAME__sSEED/exp.json`` and prints it.

    python research/smoothing_jitter.py plot OUT.png DATA_DIR LABEL=RUN_DIR [LABEL=RUN_DIR ...]

draws each run's centre weight against the mouth's speed (``generator.reproduction.adaptation.
plot_weights``; ``docs/img/smoothing_jitter_weights.png``).
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path


def plot(argv: list[str]) -> int:
    from generator.reproduction.adaptation import plot_weights, weights_trace

    out, data, runs = Path(argv[0]), Path(argv[1]), [a.split("=", 1) for a in argv[2:]]
    print(plot_weights({label: weights_trace(run, data, "test") for label, run in runs}, out))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["plot"]:
        return plot(argv[1:])
    from generator.reproduction.ablations import BENCH_CONFIGS, model_config
    from generator.reproduction.adaptation import weights_report
    from generator.reproduction.motion_chain import chain_landmarks, chain_table
    from generator.train import fork, train

    bench, seed, name, overrides = Path(argv[0]), int(argv[1]), argv[2], json.loads(argv[3])
    model = model_config(BENCH_CONFIGS["bench"], {"smoothing": overrides.pop("mode", "adaptive")}, seed)
    for section, fields in overrides.items():
        setattr(model, section, dataclasses.replace(getattr(model, section), **fields))
    model.train = dataclasses.replace(model.train, threads=1)
    run, data = Path("research_runs/smoothing") / f"{name}__s{seed}", bench / "data"
    t0 = time.time()
    if not (run / "checkpoint.pt").is_file():
        fork(bench / "runs" / "shared" / f"renderer__seed{seed}", run, model, ("a2e", "renderer", "discriminator"))
    train(data, run, model, progress=False)
    trained = time.time() - t0
    table = chain_table(chain_landmarks(run, data, "test", run / "eval", backgrounds=("own",), segments=1))
    rows = table[table["link"].isin(["mesh_predicted", "mesh_smoothed", "encoded"])]
    out = {"name": name, "seed": seed, "train_s": round(trained), "weights": weights_report(run, data, "test"),
           "chain": rows[["link", "msi_lip", "motion_ratio", "r_truth", "lip_audio_r"]].to_dict(orient="records")}
    (run / "exp.json").write_text(json.dumps(out, indent=1, default=float))
    print(json.dumps(out, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
