"""Do the adaptive smoothing weights follow the mouth's speed?

The paper's case for adaptive smoothing (Ling et al., arXiv:2208.13717, Sec. 3.2) is that its
per-frame weights smooth less where the face moves fast and more where it is still. For one
trained run and a split of its clip, the weights are computed as synthesis computes them, from the
expressions audio2expression predicts from the split's audio, and read against two speeds
(:func:`generator.models.smoothing.adaptation`):

* the expression speed ||e_(t+1) - e_(t-1)|| / 2 (in units of each component's std: what the
  module sees);
* the mouth speed |o(t+1) - o(t-1)| / 2 of the mouth opening o (mouth widths) of the predicted,
  unsmoothed meshes (``generator.models.losses.mesh_opening``): what the paper talks about.

``corr_centre_speed`` > 0 means the module keeps more of the frame itself (smooths less) where
the mouth moves fast; a fixed or global kernel has no spread and no correlation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def weights_report(run_dir: str | Path, data_dir: str | Path, split: str = "test") -> dict:
    """{"mode", "gain", "predicted": adaptation on the expression speed, "mouth": adaptation on the
    mouth speed, "mean_kernel"}; only "mode" and "gain" when the run has no smoothing module."""
    from generator.models.smoothing import adaptation

    trace = weights_trace(run_dir, data_dir, split)
    out: dict = {"mode": trace["mode"], "gain": trace["gain"]}
    if "weights" not in trace:
        return out
    w, e = trace["weights"], trace["expressions"]
    out["predicted"] = {k: round(v, 4) for k, v in adaptation(w, e).items()}
    out["mouth"] = {k: round(v, 4) for k, v in adaptation(w, e, speed=trace["mouth_speed"]).items()}
    out["mean_kernel"] = [round(float(x), 4) for x in w.mean(0)]
    return out


def weights_trace(run_dir: str | Path, data_dir: str | Path, split: str = "test") -> dict:
    """Per frame of the split, as synthesis computes them: {"mode", "gain", and with a smoothing
    module "weights" (T, K), "expressions" (T, n_exp, in units of each component's std),
    "mouth_speed" (T,)}."""
    from generator.data.dataset import load_clip
    from generator.inference import load_run, predict_expressions
    from generator.models.losses import mesh_opening

    run = load_run(run_dir)
    # the expression gain fitted after smoothing (None without one): it undoes smoothing's loss of amplitude
    out: dict = {"mode": run.cfg.smoothing.mode, "gain": run.calibration["gain"] if run.calibration else None}
    if run.model.smoothing is None:
        return out
    clip = load_clip(data_dir)
    part = clip.split(split)
    with torch.no_grad():
        pred = predict_expressions(run, np.asarray(clip.audio_features[part]))
        e = pred / run.ident.exp_std
        pose = [torch.as_tensor(np.asarray(x[part], np.float32))[None] for x in (clip.rotation, clip.translation, clip.scale)]
        opening = mesh_opening(run.model.meshes(pred[None], run.ident, *pose, smooth=False)[0]).double()
        out.update(weights=run.model.smoothing.weights(e[None])[0], expressions=e, mouth_speed=mouth_speed(opening))
    return out


def plot_weights(traces: dict[str, dict], path: str | Path) -> Path:
    """Centre weight against the mouth's speed, one panel per run (``{label: weights_trace(...)}``),
    with each run's Pearson r: does the module smooth less where the mouth moves fast?"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from msi.stats import pearson

    traces = {k: t for k, t in traces.items() if "weights" in t}
    fig, axes = plt.subplots(1, max(1, len(traces)), figsize=(3.6 * max(1, len(traces)), 3.2), squeeze=False,
                             sharey=True)
    for ax, (label, t) in zip(axes[0], traces.items()):
        w = t["weights"].double()
        centre = w[:, (w.shape[1] - 1) // 2].numpy()
        speed = t["mouth_speed"].numpy()
        r = pearson(centre, speed)  # NaN where the centre weight never moves
        ax.scatter(speed, centre, s=5, alpha=0.5)
        ax.set_title(f"{label}\nr = {r:.2f}", fontsize=9)
        ax.set_xlabel("mouth speed (mouth widths / frame)")
    axes[0][0].set_ylabel("centre weight (1: no smoothing)")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def mouth_speed(opening: torch.Tensor) -> torch.Tensor:
    """(T,) |o(t+1) - o(t-1)| / 2 (one-sided at the ends) of a mouth-opening track."""
    from generator.models.smoothing import local_speed

    return local_speed(opening[:, None])
