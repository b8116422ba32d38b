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
    from generator.data.dataset import load_clip
    from generator.inference import load_run, predict_expressions
    from generator.models.losses import mesh_opening
    from generator.models.smoothing import adaptation

    run = load_run(run_dir)
    # the expression gain fitted after smoothing (None without one): it undoes smoothing's loss of amplitude
    out: dict = {"mode": run.cfg.smoothing.mode, "gain": run.calibration["gain"] if run.calibration else None}
    if run.model.smoothing is None:
        return out
    clip = load_clip(data_dir)
    part = clip.split(split)
    std = run.ident.exp_std
    with torch.no_grad():
        pred = predict_expressions(run, np.asarray(clip.audio_features[part]))
        e = pred / std
        w = run.model.smoothing.weights(e[None])[0]
        pose = [torch.as_tensor(np.asarray(x[part], np.float32))[None] for x in (clip.rotation, clip.translation, clip.scale)]
        opening = mesh_opening(run.model.meshes(pred[None], run.ident, *pose, smooth=False)[0]).double()
    out["predicted"] = {k: round(v, 4) for k, v in adaptation(w, e).items()}
    out["mouth"] = {k: round(v, 4) for k, v in adaptation(w, e, speed=mouth_speed(opening)).items()}
    out["mean_kernel"] = [round(float(x), 4) for x in w.mean(0)]
    return out


def mouth_speed(opening: torch.Tensor) -> torch.Tensor:
    """(T,) |o(t+1) - o(t-1)| / 2 (one-sided at the ends) of a mouth-opening track."""
    from generator.models.smoothing import local_speed

    return local_speed(opening[:, None])
