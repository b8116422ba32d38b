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
eigendecompositions instead. Against fixed statistics (μ, Σ) (pytorch-fid's ``.npz``), n ≤ d
rows use the eigenvalues of the n × n matrix A Σ Aᵀ (:func:`frechet_to_stats`). All are exact (no
iterative ``sqrtm``), so a bootstrap over videos is affordable; the tests check them against
pytorch-fid's and StyleGAN-V's ``scipy.linalg.sqrtm`` computation within 1e-5 relative.
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


# ----------------------------------------------------------------------------- pytorch-fid's statistics files


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(μ, Σ) of feature rows (n, d) as pytorch-fid's ``calculate_activation_statistics``: the
    mean and the sample covariance (``np.cov(rowvar=False)``, n − 1)."""
    a = np.asarray(features, np.float64)
    return a.mean(0), np.cov(a, rowvar=False)


def frechet_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^½ from two Gaussians' parameters, for a
    reference given as statistics only (pytorch-fid's ``.npz``). tr (Σ₁Σ₂)^½ = tr (Σ₁^½ Σ₂ Σ₁^½)^½,
    from symmetric eigendecompositions (exact; pytorch-fid uses ``scipy.linalg.sqrtm``)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"statistics of shapes {mu1.shape}/{s1.shape} and {mu2.shape}/{s2.shape} do not match")
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ s2 @ root
    e = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(e, 0, None)).sum())


def _centring_basis(n: int) -> np.ndarray:
    """An orthonormal basis of the vectors of ``n`` entries that sum to zero ((n − 1) × n, the
    Helmert rows): centred rows projected on it lose the one zero eigenvalue centring makes, which
    a square root would otherwise turn into a 1e-8 error."""
    k = np.arange(1, n, dtype=np.float64)[:, None]
    cols = np.arange(n)[None, :]
    return np.where(cols < k, 1.0, np.where(cols == k, -k, 0.0)) / np.sqrt(k * (k + 1))


def frechet_to_stats(features: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    """d² of feature rows (n, d) (sample covariance, as pytorch-fid) against fixed statistics
    (μ, Σ). With centred rows A, the non-zero eigenvalues of Σ^½ Σ_a Σ^½ are those of
    A Σ Aᵀ / (n − 1): when n ≤ d an n × n eigendecomposition, with no d × d square root of Σ
    (for FID a 2048 × 2048 one, seconds, every run)."""
    a = np.asarray(features, np.float64)
    n, d = a.shape
    if n < 2:
        return math.nan
    mean = a.mean(0)
    A = a - mean
    if n - 1 > d:
        return frechet_from_stats(mean, A.T @ A / (n - 1), mu, sigma)
    s = np.asarray(sigma, np.float64)
    B = _centring_basis(n) @ A
    g = B @ ((s + s.T) / 2) @ B.T
    e = np.linalg.eigvalsh((g + g.T) / 2)
    tr_sqrt = float(np.sqrt(np.clip(e, 0, None)).sum() / math.sqrt(n - 1))
    mu = np.asarray(mu, np.float64)
    return float(np.sum((mean - mu) ** 2) + np.sum(A * A) / (n - 1) + np.trace(s) - 2 * tr_sqrt)


def save_stats(path, features: np.ndarray) -> None:
    """Write the statistics of feature rows as pytorch-fid does (``save_fid_stats``): an ``.npz``
    with ``mu`` (d,) and ``sigma`` (d, d)."""
    mu, sigma = feature_stats(features)
    # stored, not deflated (pytorch-fid's savez_compressed): a covariance's float64 mantissas barely
    # compress (32.2 MB against 33.6 MB at d = 2048) while deflating them took 8x the write's time;
    # np.load, pytorch-fid's reader, opens either
    np.savez(path, mu=mu, sigma=sigma)


def load_stats(path, dims: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(μ, Σ) from a pytorch-fid statistics file (``mu``, ``sigma``); ValueError naming what is
    wrong otherwise: not an ``.npz`` of arrays, shapes other than (d,) and (d, d), NaN or
    infinite entries, or (``dims`` given) features of another width than the network's."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("mu", "sigma") if k not in z.files]
            if missing:
                raise KeyError(missing[0])
            mu, sigma = np.asarray(z["mu"], np.float64), np.asarray(z["sigma"], np.float64)
    except KeyError as exc:
        raise ValueError(f"no {exc} array (pytorch-fid's statistics hold 'mu' and 'sigma')") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"not an .npz file ({type(exc).__name__})") from None
    except (ValueError, AttributeError, TypeError):  # numpy's "pickled (object) data", a plain .npy
        raise ValueError("not an .npz file of arrays (pytorch-fid's statistics hold 'mu' and 'sigma')") from None
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
        raise ValueError(f"mu {mu.shape} and sigma {sigma.shape} are not (d,) and (d, d)")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError("mu or sigma holds NaN or infinite values")
    if dims is not None and len(mu) != dims:
        raise ValueError(f"statistics of {len(mu)}-d features; the network's are {dims}-d")
    return mu, sigma


# ----------------------------------------------------------------------------- the registration


def _features(ctx) -> dict:
    from msi.metrics.networks import job_batcher, network
    from msi.networks.inception import BATCH, inception_features, inception_forward

    net = network("inception", ctx.weights["inception"])
    batcher = job_batcher(ctx, "inception", net, lambda fs: inception_forward(net, fs), BATCH)
    frames = itertools.islice(ctx.frames(), 0, None, max(1, ctx.options.fid_step))
    return {"fid": inception_features(net, frames, batcher=batcher)}


METRIC = Metric((Column("fid", "FID", -1, ("inception",), "{:.2f}",
                        help="Fréchet Inception distance of the method's frames to the reference's "
                             "(pytorch-fid's InceptionV3, one value per method, bootstrap CI over videos)"),),
                _features, level="set", reduce=fid, min_items=MIN_ITEMS, items="frames")
