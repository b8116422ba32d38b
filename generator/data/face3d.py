"""The 3D face representation: identity shape, expression PCA and a similarity pose.

StableFace (Ling et al., arXiv:2208.13717, Sec. III-A, Fig. 2) describes each frame by DECA/
FLAME parameters: identity shape, expression (53 coefficients in the paper's setting) and
head pose, and renders them as a face-shape image. DECA and FLAME cannot be obtained here, so
this module builds the same factorisation from the MediaPipe 3D face mesh (478 points) of
one person's clip:

* pose: per frame a similarity transform (R, t, s), found by Umeyama alignment on the
  rigid upper-face vertices (``topology.RIGID_REGION``) between the frame's mesh X_t and
  the clip's mean shape M, so that ``X_t ~= s_t R_t A_t + t_t`` with ``A_t`` the aligned mesh;
* identity shape: M, the mean aligned mesh (generalised Procrustes analysis over the
  training frames, centred at the origin, scaled to the frames' mean size so ``s ~= 1``);
* expression: e_t = C (vec(A_t) - vec(M)) with C the first K principal components
  (K = 53) of the aligned meshes' deviations from M on the training split, restricted to
  ``EXPRESSION_REGION`` (mouth and jaw: the paper's 53 *mouth-related* expression
  parameters, what audio can predict). Components are zero elsewhere, so eyes, brows and
  blinks stay at the identity shape and come from the background frames and the pose;
* reconstruction: ``X_hat = s R (M + reshape(C^T e)) + t`` (:func:`reconstruct`).

All functions are pure (arrays in, arrays out). :func:`reconstruct` accepts numpy arrays or
torch tensors (differentiable), batched over any leading dimensions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from generator.data.topology import N_VERTICES, RIGID_REGION

N_EXP = 53  # the paper's expression size (FLAME expression in DECA uses 50 + 3 jaw pose)


def _expression_region() -> np.ndarray:
    from msi.regions import MP_JAW
    from generator.data.topology import MOUTH_REGION

    return np.union1d(MOUTH_REGION, np.asarray(MP_JAW, dtype=np.int64))


#: Vertices the expression may move: the lower face around the mouth (topology.MOUTH_REGION,
#: lips + 5 edge rings) and the jaw line (msi.regions.MP_JAW), 260 of the 478 vertices.
EXPRESSION_REGION: np.ndarray = _expression_region()


@dataclass(frozen=True)
class PCA:
    """Expression basis: ``mean`` (3V,), ``components`` (K, 3V) orthonormal rows (zero rows
    beyond the data's rank), ``explained_variance`` (K,)."""

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray

    @property
    def rank(self) -> int:
        return int((np.abs(self.components).sum(axis=1) > 0).sum())

    def as_dict(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "components": self.components, "explained_variance": self.explained_variance}


def umeyama(
    src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares similarity transform with ``dst ~= s * R @ src + t`` (Umeyama, PAMI 1991).

    ``src``, ``dst``: (..., N, D) point sets (batched over leading dims); ``weights``: (N,)
    or (..., N) non-negative point weights (e.g. 1 on the rigid vertices, 0 elsewhere).
    Returns ``R`` (..., D, D) proper rotation, ``t`` (..., D), ``s`` (...,).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    w = np.ones(src.shape[:-1]) if weights is None else np.broadcast_to(np.asarray(weights, float), src.shape[:-1])
    w = w / w.sum(axis=-1, keepdims=True)
    mu_s = (w[..., None] * src).sum(axis=-2)
    mu_d = (w[..., None] * dst).sum(axis=-2)
    xs, xd = src - mu_s[..., None, :], dst - mu_d[..., None, :]
    var_s = (w * (xs**2).sum(axis=-1)).sum(axis=-1)
    cov = np.einsum("...n,...ni,...nj->...ij", w, xd, xs)  # sum_n w_n dst_n src_n^T
    u, d, vt = np.linalg.svd(cov)
    sign = np.ones(d.shape)
    sign[..., -1] = np.sign(np.linalg.det(u) * np.linalg.det(vt))  # no reflections
    rot = u @ (sign[..., :, None] * vt)
    scale = (d * sign).sum(axis=-1) / var_s
    trans = mu_d - scale[..., None] * np.einsum("...ij,...j->...i", rot, mu_s)
    return rot, trans, scale


def rigid_weights(n_vertices: int = N_VERTICES) -> np.ndarray:
    """Alignment weights: 1 on ``RIGID_REGION``, 0 elsewhere."""
    w = np.zeros(n_vertices)
    w[RIGID_REGION] = 1.0
    return w


def align(
    landmarks: np.ndarray, shape: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pose of each frame relative to ``shape`` and the pose-free (aligned) meshes.

    ``landmarks`` (T, V, 3), ``shape`` (V, 3). Returns ``aligned`` (T, V, 3), ``rotation``
    (T, 3, 3), ``translation`` (T, 3), ``scale`` (T,) with
    ``landmarks ~= scale * aligned @ rotation.T + translation``.
    """
    w = rigid_weights(shape.shape[0]) if weights is None else weights
    rot, trans, scale = umeyama(shape[None], landmarks, w)  # landmarks ~= s R shape + t
    # Invert the pose on the whole mesh: aligned = R^T (X - t) / s.
    aligned = np.einsum("tji,tnj->tni", rot, landmarks - trans[:, None, :]) / scale[:, None, None]
    return aligned, rot, trans, scale


def mean_shape(landmarks: np.ndarray, weights: np.ndarray | None = None, iterations: int = 10) -> np.ndarray:
    """Identity shape by generalised Procrustes analysis: the mean of the meshes aligned to it.

    Centred at the origin (over the alignment vertices) and scaled to the frames' mean RMS
    radius, so a frame's pose scale is ~1 and its translation is where the face is.
    """
    w = rigid_weights(landmarks.shape[1]) if weights is None else np.asarray(weights, float)
    wn = w / w.sum()

    def normalise(m: np.ndarray, radius: float) -> np.ndarray:
        m = m - (wn[:, None] * m).sum(axis=0)
        return m * radius / np.sqrt((wn * (m**2).sum(axis=1)).sum())

    centred = landmarks - (wn[None, :, None] * landmarks).sum(axis=1, keepdims=True)
    radius = float(np.sqrt((wn[None] * (centred**2).sum(axis=2)).sum(axis=1)).mean())
    shape = normalise(landmarks[0], radius)
    for _ in range(iterations):
        aligned = align(landmarks, shape, w)[0]
        new = normalise(aligned.mean(axis=0), radius)
        if np.abs(new - shape).max() < 1e-6 * radius:
            return new
        shape = new
    return shape


def fit_pca(aligned: np.ndarray, n_components: int = N_EXP, shape: np.ndarray | None = None,
            region: np.ndarray | None = None) -> PCA:
    """Principal components of the aligned meshes' deviations from ``shape`` (default: their mean).

    ``aligned`` (T, V, 3). ``region``: vertex indices the components may move (e.g.
    ``EXPRESSION_REGION``); deviations elsewhere are ignored and the components are zero there.
    None: the whole mesh. If the data has fewer than ``n_components`` dimensions (short
    clips), the remaining components are zero rows with zero variance, so the expression
    size stays ``n_components`` and those coefficients are always 0.
    """
    x = aligned.reshape(len(aligned), -1).astype(np.float64)
    mean = x.mean(axis=0) if shape is None else np.asarray(shape, np.float64).reshape(-1)
    xc = x - mean
    if region is not None:
        keep = np.zeros(aligned.shape[1], bool)
        keep[np.asarray(region)] = True
        xc = xc * np.repeat(keep, aligned.shape[2])[None]
    # Eigen-decomposition of the smaller of the Gram (n x n) and covariance (3V x 3V) matrices:
    # the same components as an SVD of xc, and several times faster than LAPACK's SVD here.
    if len(xc) <= xc.shape[1]:
        lam, u = np.linalg.eigh(xc @ xc.T)
        lam, u = lam[::-1], u[:, ::-1]
        keep = lam > max(lam[0], 0.0) * 1e-10 if lam.size else lam > 0
        vt = (u[:, keep].T @ xc) / np.sqrt(lam[keep])[:, None]
    else:
        lam, v = np.linalg.eigh(xc.T @ xc)
        lam, vt = lam[::-1], v[:, ::-1].T
        keep = lam > max(lam[0], 0.0) * 1e-10
        vt = vt[keep]
    lam = lam[keep]
    k = min(n_components, len(lam))
    comps = np.zeros((n_components, x.shape[1]))
    comps[:k] = vt[:k]
    ev = np.zeros(n_components)
    ev[:k] = lam[:k] / max(len(x) - 1, 1)
    return PCA(mean.astype(np.float32), comps.astype(np.float32), ev.astype(np.float32))


def project(aligned: np.ndarray, shape: np.ndarray, pca: PCA | Mapping[str, Any]) -> np.ndarray:
    """Expression coefficients of aligned meshes: ``e = C (vec(A) - vec(M))``, (..., K)."""
    comps = np.asarray(_get(pca, "components"), np.float64)
    dev = (np.asarray(aligned, np.float64) - shape).reshape(*aligned.shape[:-2], -1)
    return dev @ comps.T


def reconstruct(shape: Any, expression: Any, pca: Any, rotation: Any, translation: Any, scale: Any) -> Any:
    """Mesh from the representation: ``s R (M + reshape(C^T e)) + t`` -> (..., V, 3).

    ``shape`` (V, 3) or (..., V, 3); ``expression`` (..., K); ``pca`` a :class:`PCA`, a
    mapping with ``components`` (e.g. the loaded ``pca.npz``) or the (K, 3V) components
    array itself; ``rotation`` (..., 3, 3); ``translation`` (..., 3); ``scale`` (...,).
    numpy in -> numpy out; if ``expression`` (or any argument) is a torch tensor the whole
    computation runs in torch on that tensor's device and is differentiable.
    """
    comps = pca if not (isinstance(pca, PCA) or hasattr(pca, "keys")) else _get(pca, "components")
    args = (shape, expression, rotation, translation, scale)
    torch_ref = next((a for a in args + (comps,) if _is_torch(a)), None)
    if torch_ref is not None:
        import torch

        dtype = torch_ref.dtype if torch_ref.is_floating_point() else torch.float32
        conv = lambda a: torch.as_tensor(np.asarray(a) if not _is_torch(a) else a, dtype=dtype, device=torch_ref.device)  # noqa: E731
    else:
        conv = lambda a: np.asarray(a, dtype=np.result_type(np.asarray(expression).dtype, np.float32))  # noqa: E731
    shape, expression, rotation, translation, scale, comps = map(conv, args + (comps,))
    deform = (expression @ comps).reshape(*expression.shape[:-1], -1, 3)
    canonical = shape + deform
    return scale[..., None, None] * (canonical @ rotation.swapaxes(-1, -2)) + translation[..., None, :]


def reconstruction_error(landmarks: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    """Mean Euclidean distance over vertices per frame, (T,) in the landmarks' units."""
    return np.linalg.norm(np.asarray(landmarks) - np.asarray(reconstructed), axis=-1).mean(axis=-1)


def fit_representation(landmarks: np.ndarray, train: slice, n_exp: int = N_EXP) -> dict[str, Any]:
    """Shape, pose, expression and PCA of a clip's crop-pixel meshes (T, 478, 3), the PCA fitted on
    the ``train`` frames and restricted to ``EXPRESSION_REGION`` (mouth and jaw); also the aligned meshes."""
    shape = mean_shape(landmarks[train])
    aligned, rot, trans, scale = align(landmarks, shape)
    pca = fit_pca(aligned[train], n_exp, shape=shape, region=EXPRESSION_REGION)  # mouth + jaw
    expr = project(aligned, shape, pca)
    return {"shape": shape, "rotation": rot, "translation": trans, "scale": scale, "expression": expr,
            "pca": pca, "aligned": aligned}


def reconstruction_report(landmarks: np.ndarray, rep: dict, splits: dict[str, list[int]]) -> dict:
    """Per split: mean / 95th-percentile vertex error of the reconstructed mesh (crop pixels) and
    the mean error relative to the mouth width (between the mouth corners), over all vertices and
    over ``EXPRESSION_REGION``; the PCA's rank and explained variance ratio on the training split."""
    from msi.regions import MP_MOUTH_CORNERS

    rec = reconstruct(rep["shape"], rep["expression"], rep["pca"], rep["rotation"], rep["translation"], rep["scale"])
    err = np.linalg.norm(rec - landmarks, axis=-1)  # (T, V)
    i, j = MP_MOUTH_CORNERS
    mouth = float(np.linalg.norm(landmarks[:, i] - landmarks[:, j], axis=-1).mean())
    out = {"units": "crop pixels", "mouth_width_px": round(mouth, 3)}
    region = err[:, EXPRESSION_REGION]  # what the expression models (mouth + jaw)
    for name, (a, b) in splits.items():
        e, r = err[a:b], region[a:b]
        out[name] = {"mean_px": round(float(e.mean()), 4), "p95_px": round(float(np.percentile(e, 95)), 4),
                     "relative_to_mouth_width": round(float(e.mean()) / mouth, 5),
                     "region_mean_px": round(float(r.mean()), 4),
                     "region_relative_to_mouth_width": round(float(r.mean()) / mouth, 5)}
    total = rep["aligned"][slice(*splits["train"])] - rep["shape"]
    total_var = float((total.reshape(len(total), -1) ** 2).sum() / max(len(total) - 1, 1))
    out["pca_rank"] = rep["pca"].rank
    out["explained_variance_ratio"] = round(float(rep["pca"].explained_variance.sum()) / max(total_var, 1e-12), 6)
    return out


def _get(obj: Any, name: str) -> Any:
    return obj[name] if hasattr(obj, "keys") else getattr(obj, name)


def _is_torch(a: Any) -> bool:
    return type(a).__module__.startswith("torch")
