"""FVD: the Fréchet distance between Gaussians fitted to I3D features of 16-frame clips
(Unterthiner et al. 2018, "Towards accurate generative models of video: a new metric &
challenges", arXiv:1812.01717), computed as StyleGAN-V does it (Skorokhodov et al. 2022,
``src/metrics/frechet_video_distance.py``):

    FVD = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)

with μ, Σ the mean and the *population* covariance (StyleGAN-V's ``FeatureStats.get_mean_cov``:
Σ = E[xxᵀ] − μμᵀ, divided by n, not n − 1) of the 400-d features of StyleGAN-V's TorchScript I3D
(:mod:`msi.networks.i3d`: clips of 16 consecutive frames, ``rescale=True, resize=True,
return_features=True``). Clips: every non-overlapping 16-frame clip of each video from frame 0
(StyleGAN-V takes one clip per video, at a random offset for real videos and at 0 for generated
ones: with the tens of videos of a talking-face test set that would be too few clips for a
400-d covariance; this is the documented deviation). A video shorter than one clip adds none.
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric
from msi.metrics.fid import MIN_ITEMS, frechet_distance


def fvd(clip_features: np.ndarray, reference_features: np.ndarray) -> float:
    """FVD of clip features (n₁, d) against the reference's (n₂, d), StyleGAN-V's way."""
    return frechet_distance(clip_features, reference_features, ddof=0)


def _features(ctx) -> dict:
    from msi.metrics.networks import job_batcher, network
    from msi.networks.i3d import BATCH, CLIP_FRAMES, clips_of, i3d_features, i3d_forward

    count = [0]

    def counted():
        for f in ctx.frames():
            count[0] += 1
            yield f

    net = network("i3d", ctx.weights["i3d"])
    batcher = job_batcher(ctx, "i3d", net, lambda cs: i3d_forward(net, cs), BATCH)
    feats = i3d_features(net, clips_of(counted()), batcher=batcher)
    if len(feats) == 0:
        ctx.note(f"FVD: {count[0]} frames, shorter than one {CLIP_FRAMES}-frame clip: not in the FVD")
    return {"fvd": feats}


METRIC = Metric((Column("fvd", "FVD", -1, ("i3d",), "{:.2f}",
                        help="Fréchet video distance of the method's 16-frame clips to the reference's "
                             "(StyleGAN-V's I3D, one value per method, bootstrap CI over videos)"),),
                _features, level="set", reduce=fvd, min_items=MIN_ITEMS, items="clips")
