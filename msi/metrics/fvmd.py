r"""FVMD: the Fréchet video motion distance (Liu et al., "Fréchet video motion distance: a metric
for evaluating motion consistency in videos", 2024; its authors' ``fvmd`` package), one value per
method, from PIPs++ point tracks with the user's ``pips2_weights.pth`` (:mod:`msi.networks.pips2`).

The ``fvmd`` package's protocol, step by step:

* clips: every run of 16 consecutive frames (stride 1) of each video, each frame resized to
  256 × 256 (bilinear, PIL);
* a 20 × 20 grid of points, 8 px from the borders, tracked through the clip by PIPs++ (16
  iterations, the last quarter's updates halved);
* velocities v_t = p_t − p_{t−1} (0 at t = 0) and what the package calls accelerations,
  p_t − p_{t−1} again with t = 0 and 1 set to 0 (its ``calc_acceleration`` is given the tracks,
  not the velocities: kept, so the numbers are the package's);
* for each, cubes of 4 frames × 5 × 5 grid points (4 × 4 × 4 cubes per clip) and in each cube an
  8-bin histogram of directions (``arctan2(x, y)``) weighted by the quantised log magnitude
  ⌈log2(1 + min(|v|, 255))⌉ / 8: 512 values for velocities and 512 for accelerations per clip;
* FVMD = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 ((Σ₁ + εI)(Σ₂ + εI))^½), ε = 1e-5, over the clips' 1024-d
  vectors of the method and of the reference (sample covariances, ``np.cov``).

Lower is better; a bootstrap interval over videos as FID/FVD. Deviation: frames come from our
decoder (PyAV), the package reads image files.
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric

CLIP = 16
SIZE = 256
GRID = 20  # points per side: 400
ITERS = 16
CELL = 5
CUBE_FRAMES = 4
ANGLE_BINS = 8
MAGNITUDE_BINS = 256
EPS = 1e-5


def grid_points(h: int = SIZE, w: int = SIZE, n: int = GRID) -> np.ndarray:
    """(n², 2) x, y of the package's grid: n × n points from 8 px to side − 8 px."""
    g = np.linspace(0.0, n - 1, n, dtype=np.float32)
    gy, gx = np.meshgrid(g, g, indexing="ij")
    y = 8 + gy.reshape(-1) / np.float32(n - 1) * (h - 16)
    x = 8 + gx.reshape(-1) / np.float32(n - 1) * (w - 16)
    return np.stack([x, y], -1).astype(np.float32)


def motion_vectors(tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Velocities and the package's accelerations (S, N, 2) of a track (S, N, 2)."""
    v = np.zeros_like(tracks)
    v[1:] = tracks[1:] - tracks[:-1]
    a = np.zeros_like(tracks)
    a[2:] = tracks[2:] - tracks[1:-1]
    return v, a


def histograms(vectors: np.ndarray) -> np.ndarray:
    """(4·4·4·8,) direction histograms of one clip's vectors (S, N, 2) over 4 × 5 × 5 cubes."""
    s, n, _ = vectors.shape
    side = int(round(np.sqrt(n)))
    ms, mh, mw = s // CUBE_FRAMES, side // CELL, side // CELL
    v = vectors.reshape(s, side, side, 2)[:ms * CUBE_FRAMES, :mh * CELL, :mw * CELL]
    v = v.reshape(ms, CUBE_FRAMES, mh, CELL, mw, CELL, 2).transpose(0, 2, 4, 1, 3, 5, 6)
    v = v.reshape(-1, CUBE_FRAMES * CELL * CELL, 2)
    angle = np.arctan2(v[..., 0], v[..., 1])
    bins = np.clip((angle + np.pi) // (2 * np.pi / ANGLE_BINS), 0, ANGLE_BINS - 1).astype(int)
    mag = np.clip(np.linalg.norm(v, axis=-1), 0, MAGNITUDE_BINS - 1) + 1
    mag = np.ceil(np.clip(np.log2(mag), 0, int(np.log2(MAGNITUDE_BINS)))) / np.log2(MAGNITUDE_BINS)
    out = np.zeros((len(v), ANGLE_BINS))
    rows = np.repeat(np.arange(len(v)), v.shape[1])
    np.add.at(out, (rows, bins.ravel()), mag.ravel())  # unbuffered, in order: the package's sums exactly
    return out.reshape(-1)


def clip_features(net, frames: list[np.ndarray]) -> np.ndarray:
    """(n clips, 1024) FVMD vectors of a video's RGB ``uint8`` frames (every 16-frame run)."""
    import torch
    from PIL import Image

    small = [np.asarray(Image.fromarray(f).resize((SIZE, SIZE), Image.BILINEAR)) for f in frames]
    xy = torch.from_numpy(grid_points())[None, None].repeat(1, CLIP, 1, 1)
    rows = []
    with torch.inference_mode():
        for i in range(0, len(small) - CLIP + 1):
            rgbs = torch.from_numpy(np.stack(small[i:i + CLIP])).permute(0, 3, 1, 2)[None].float()
            tracks = net(xy, rgbs, ITERS)[0].numpy()
            v, a = motion_vectors(tracks)
            rows.append(np.concatenate([histograms(v), histograms(a)]))
    return np.array(rows).reshape(len(rows), -1)


def fvmd(features: np.ndarray, reference: np.ndarray) -> float:
    """FVMD of clip vectors (n₁, d) against the reference's (n₂, d), the package's way."""
    from scipy import linalg

    m1, m2 = features.mean(0), reference.mean(0)
    s1, s2 = np.atleast_2d(np.cov(features, rowvar=False)), np.atleast_2d(np.cov(reference, rowvar=False))
    off = np.eye(s1.shape[0]) * EPS
    covmean, _ = linalg.sqrtm((s1 + off).dot(s2 + off), disp=False)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    d = m1 - m2
    return float(d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def _features(ctx) -> dict:
    from msi.metrics.networks import network

    frames = list(ctx.frames())
    if len(frames) < CLIP:
        ctx.note(f"FVMD: {len(frames)} frames, shorter than one {CLIP}-frame clip: not in the FVMD")
        return {"fvmd": np.zeros((0, 1024))}
    return {"fvmd": clip_features(network("pips", ctx.weights["pips"]), frames)}


METRIC = Metric((Column("fvmd", "FVMD", -1, ("pips",), "{:.1f}",
                        help="Fréchet video motion distance of the method's 16-frame clips to the reference's "
                             "(PIPs++ tracks, fvmd's histograms; one value per method, bootstrap CI over videos)"),),
                _features, level="set", reduce=fvmd, min_items=2, items="clips")
