"""CSIM: identity similarity, the cosine of ArcFace embeddings (Deng et al. 2019, CVPR) of the
generated and the reference face, as talking-face papers report it (e.g. SadTalker, Zhang et al.
2023; Hallo).

    CSIM = (1/K) Σ_k  e_k · r_k / (‖e_k‖ ‖r_k‖)

e_k: the ArcFace embedding of frame k's face, r_k: that of the truth's frame at the same time
(or of one reference image for every k), over the K frames where both have a face. Faces are
aligned as insightface's ``face_align.norm_crop``: the similarity transform (Umeyama, scikit-image's
``SimilarityTransform.estimate``) that maps five landmarks onto ArcFace's 112 × 112 template,
applied with ``cv2.warpAffine`` (bilinear, black border). The five points come from our tracker:
eye centres (the midpoint of each eye's two corners), nose tip and mouth corners, in image order
(left eye, right eye, nose, left mouth corner, right mouth corner). Pure functions: arrays in,
numbers out; the network is in :mod:`msi.networks.arcface`.
"""
from __future__ import annotations

import math

import numpy as np

from msi.metrics.column import Column, Metric
from msi.regions import MP_EYES, MP_MOUTH_CORNERS

#: ArcFace's 5-point template on the 112 × 112 crop (insightface ``face_align.arcface_dst``).
ARCFACE_TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                             [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)
#: Landmark indices of the five points per scheme: (eye corners, eye corners, nose tip, mouth corners).
FIVE_POINTS = {
    "mediapipe478": (MP_EYES[0][0], MP_EYES[1][0], (1,), (MP_MOUTH_CORNERS[0],), (MP_MOUTH_CORNERS[1],)),
    "ibug68": ((36, 39), (42, 45), (30,), (48,), (54,)),
}


def five_points(landmarks: np.ndarray, scheme: str = "mediapipe478") -> np.ndarray:
    """(…, 5, 2) ArcFace points from landmarks (…, P, ≥2): each is the mean of its indices."""
    lm = np.asarray(landmarks, np.float64)[..., :2]
    return np.stack([lm[..., list(idx), :].mean(-2) for idx in FIVE_POINTS[scheme]], -2).astype(np.float32)


def alignment_matrix(points: np.ndarray, size: int = 112) -> np.ndarray:
    """The 2 × 3 similarity transform taking the five ``points`` onto the template scaled to
    ``size`` (insightface ``estimate_norm``: size a multiple of 112, or of 128 with an 8/128 x shift)."""
    from skimage.transform import SimilarityTransform

    if size % 112 == 0:
        dst = ARCFACE_TEMPLATE * (size / 112.0)
    else:
        dst = ARCFACE_TEMPLATE * (size / 128.0)
        dst[:, 0] += 8.0 * size / 128.0
    t = SimilarityTransform()
    t.estimate(np.asarray(points, np.float32), dst)
    return t.params[0:2, :]


def align_face(frame: np.ndarray, points: np.ndarray, size: int = 112) -> np.ndarray:
    """The aligned face (size, size, 3) of ``frame`` (same channel order out as in)."""
    import cv2

    return cv2.warpAffine(frame, alignment_matrix(points, size), (size, size), borderValue=0.0)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (N, d) arrays (b may be one row for all)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def csim(embeddings: np.ndarray, reference: np.ndarray) -> float:
    """Mean cosine of paired embeddings (K, d) with the reference's (K, d) or (d,); NaN for K = 0."""
    if len(embeddings) == 0:
        return math.nan
    return float(np.mean(cosine(embeddings, reference)))


# ----------------------------------------------------------------------------- the registration


def _columns(ctx) -> dict[str, float]:
    """CSIM of the video against the truth video, frames paired by time, faces in both."""
    from msi.metrics.column import paired_frames
    from msi.metrics.networks import job_batcher, network
    from msi.networks.arcface import BATCH

    net = network("arcface", ctx.weights["arcface"])
    batcher = job_batcher(ctx, "arcface", net, lambda fs: net.embed(np.stack(fs), len(fs)), BATCH)
    truth = ctx.truth
    lm, tl = ctx.landmarks, truth.landmarks
    ratio = truth.frame_rate / ctx.fps if ctx.fps > 0 else 1.0
    pairs: list[tuple] = []  # (the face's ticket, the truth face's ticket)
    for k, frame, tframe in paired_frames(ctx, truth):
        j = int(round(k * ratio))
        if tframe is None or k >= len(lm) or j >= len(tl):
            continue
        pk, pj = five_points(lm[k], ctx.scheme), five_points(tl[j], ctx.scheme)
        if not (np.isfinite(pk).all() and np.isfinite(pj).all()):
            continue  # no face in one of the two frames
        pairs.append((batcher.submit(align_face(frame, pk, net.input_size)),
                      batcher.submit(align_face(tframe, pj, net.input_size))))
    if not pairs:
        ctx.note("CSIM: no frame with a face in both the video and the truth")
        return {}
    faces = np.stack([batcher.result(f) for f, _ in pairs])
    refs = np.stack([batcher.result(r) for _, r in pairs])
    return {"csim": float(np.mean(cosine(faces, refs)))}


METRIC = Metric((Column("csim", "CSIM", +1, ("arcface", "truth"),
                        help="identity similarity: mean cosine of ArcFace embeddings of the video's and the "
                             "truth's aligned faces, frames paired by time"),),
                _columns)
