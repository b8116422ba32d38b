"""FID: the Fréchet distance between Gaussians fitted to two sets of network features (Heusel et
al. 2017, "GANs trained by a two time-scale update rule converge to a local Nash equilibrium",
NeurIPS; pytorch-fid's ``calculate_frechet_distance``), and its bootstrap over videos.

    d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)

Over frames with pytorch-fid's InceptionV3 pool3 features (:mod:`msi.networks.inception`) it is
FID; over 16-frame clips with StyleGAN-V's I3D features it is FVD (:mod:`msi.metrics.fvd`). Pure
functions: arrays in, numbers out.

tr (Σ₁Σ₂)^½ is computed exactly without a d × d matrix square root: with centred features
A (n₁ × d) and B (n₂ × d), Σ₁ = AᵀA / c₁ and Σ₂ = BᵀB / c₂, the non-zero eigenvalues of Σ₁Σ₂ are
the squared singular values of A Bᵀ / √(c₁c₂), so tr (Σ₁Σ₂)^½ = ‖A Bᵀ‖_* / √(c₁c₂) (nuclear
norm). When both sets are larger than d it uses tr (Σ₁^½ Σ₂ Σ₁^½)^½ from symmetric
eigendecompositions instead. Both are exact (no iterative ``sqrtm``), so a bootstrap over videos
is affordable; the tests check them against pytorch-fid's and StyleGAN-V's ``scipy.linalg.sqrtm``
computation within 1e-5 relative.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from msi.metrics.column import Column, Metric

#: Fewest items (frames for FID, clips for FVD) per set for a value at all.
MIN_ITEMS = 2


def trace_sqrt_product(a: np.ndarray, b: np.ndarray, ddof: int = 1) -> float:
    """tr (Σ_a Σ_b)^½ of the covariances of feature rows ``a`` and ``b`` (``ddof``: 1 = sample
    covariance as ``np.cov``, pytorch-fid; 0 = population covariance, StyleGAN-V's FeatureStats)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    ca, cb = len(a) - ddof, len(b) - ddof
    A = a - a.mean(0)
    B = b - b.mean(0)
    d = a.shape[1]
    if min(len(a), len(b)) <= d:
        s = np.linalg.svd(A @ B.T, compute_uv=False)
        return float(s.sum() / math.sqrt(ca * cb))
    sa = A.T @ A / ca
    sb = B.T @ B / cb
    w, v = np.linalg.eigh(sa)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ sb @ root
    e = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(e, 0, None)).sum())


def frechet_distance(a: np.ndarray, b: np.ndarray, ddof: int = 1) -> float:
    """d² between Gaussians fitted to feature rows ``a`` (n₁, d) and ``b`` (n₂, d):
    ‖μ_a − μ_b‖² + tr Σ_a + tr Σ_b − 2 tr (Σ_a Σ_b)^½ (see the module docstring)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets of shapes {a.shape} and {b.shape} do not match")
    if min(len(a), len(b)) <= ddof:
        return math.nan
    mean = float(np.sum((a.mean(0) - b.mean(0)) ** 2))
    tr_a = float(np.sum((a - a.mean(0)) ** 2) / (len(a) - ddof))
    tr_b = float(np.sum((b - b.mean(0)) ** 2) / (len(b) - ddof))
    return mean + tr_a + tr_b - 2 * trace_sqrt_product(a, b, ddof)


def fid(frames_features: np.ndarray, reference_features: np.ndarray) -> float:
    """FID of frame features against the reference's, pytorch-fid's way (sample covariance)."""
    return frechet_distance(frames_features, reference_features, ddof=1)


# ----------------------------------------------------------------------------- the registration


def _features(ctx) -> dict:
    from msi.metrics.networks import batch_size, network
    from msi.networks.inception import BATCH, inception_features

    frames = itertools.islice(ctx.frames(), 0, None, max(1, ctx.options.fid_step))
    return {"fid": inception_features(network("inception", ctx.weights["inception"]), frames, batch_size(BATCH))}


METRIC = Metric((Column("fid", "FID", -1, ("inception",), "{:.2f}",
                        help="Fréchet Inception distance of the method's frames to the reference's "
                             "(pytorch-fid's InceptionV3, one value per method, bootstrap CI over videos)"),),
                _features, level="set", reduce=fid, min_items=MIN_ITEMS, items="frames")
