r"""M-LMD, F-LMD and AKD: landmark distances to the truth on the 68-point convention, in pixels,
as talking-face and face-animation papers print them (weight-free).

For frames paired by time (:func:`msi.metrics.quality.aligned_pairs`) where both videos have a
face, with the 68 points :math:`l_{t,p}` of the iBUG 300-W markup,

.. math:: \text{LMD}_P = \frac{1}{T\,|P|} \sum_t \sum_{p \in P} \lVert \hat l_{t,p} - l_{t,p} \rVert_2

* **M-LMD**: P = the 20 mouth points 48–67 (Chen, Li, Maddox, Duan & Xu, "Lip movements
  generation at a glance", ECCV 2018; the mouth LMD of Wav2Lip-era tables);
* **F-LMD**: P = all 68 points, the whole face (Ji et al., EAMM, SIGGRAPH 2022; Gan et al., EAT,
  ICCV 2023);
* **AKD**: P = all 68 points in a 256 × 256 frame: FOMM's average keypoint distance (Siarohin et
  al., "First order motion model for image animation", NeurIPS 2019), whose videos and so whose
  pixels are 256 × 256 (the truth's frame is scaled to 256 × 256, whatever ``--lmd-size``).

Pixels: of the truth's frame (the video's landmarks are first mapped into it,
:mod:`msi.metrics.truth_frame`), or of a W × H frame with ``--lmd-size`` (both scaled to it).
The papers run a 68-point detector (dlib, face-alignment); here the 68 points are read off our
MediaPipe mesh through :data:`msi.regions.MP_IBUG68` (a documented correspondence, points that
sit between two mesh vertices are their midpoint). That is the deviation: the same places on the
face, not the same detector, so values match the papers' in scale but not digit for digit.
"""
from __future__ import annotations

import numpy as np

from msi.errors import MSIError
from msi.metrics.column import Column, Metric
from msi.metrics.lmd import lmd
from msi.regions import IBUG68_MOUTH, MP_IBUG68

#: FOMM's frame size: AKD's pixels.
AKD_SIZE = (256, 256)


def ibug68(landmarks: np.ndarray, scheme: str = "mediapipe478") -> np.ndarray:
    """(T, 68, 2) iBUG-68 points of a landmark track (T, N, 2|3 pixels): read off the mesh through
    :data:`msi.regions.MP_IBUG68` (a pair's midpoint), or the track itself for ``ibug68``."""
    lm = np.asarray(landmarks, dtype=np.float64)[..., :2]
    if scheme == "ibug68":
        return lm
    if scheme != "mediapipe478":
        raise ValueError(f"no 68-point map for landmark scheme {scheme!r}")
    first = [p[0] for p in MP_IBUG68]
    last = [p[-1] for p in MP_IBUG68]
    return (lm[:, first] + lm[:, last]) / 2


def landmark_distances(pred68: np.ndarray, truth68: np.ndarray, truth_size: tuple[int, int],
                       size: tuple[int, int] | None = None) -> dict[str, float]:
    """M-LMD, F-LMD (in pixels of a ``size`` frame, default the truth's) and AKD (256 × 256) of
    two 68-point tracks in the truth's pixels, already paired frame by frame."""
    from msi.metrics.truth_frame import scale_to

    size = tuple(size) if size else tuple(truth_size)
    a, b = scale_to(pred68, truth_size, size), scale_to(truth68, truth_size, size)
    ka, kb = scale_to(pred68, truth_size, AKD_SIZE), scale_to(truth68, truth_size, AKD_SIZE)
    return {"m_lmd": lmd(a, b, IBUG68_MOUTH), "f_lmd": lmd(a, b), "akd": lmd(ka, kb)}


def parse_size(text: str) -> tuple[int, int]:
    """``"256"`` or ``"256x256"`` -> (W, H); ValueError for anything else."""
    w, sep, h = str(text).lower().partition("x")
    try:
        size = (int(w), int(h) if sep else int(w))
    except ValueError:
        raise ValueError(f"{text!r}: expected N or WxH in pixels (e.g. 256 or 256x256)") from None
    if min(size) < 1:
        raise ValueError(f"{text!r}: the size must be positive")
    return size


def _columns(ctx) -> dict[str, float]:
    from msi.metrics.quality import aligned_pairs
    from msi.metrics.truth_frame import in_truth_frame

    lm, tl = in_truth_frame(ctx), ctx.truth.landmarks
    ij = aligned_pairs(len(lm), ctx.fps, len(tl), ctx.truth.fps)
    if len(ij) == 0:
        raise MSIError("no frame pairs up with the truth")
    pred = ibug68(lm[ij[:, 0]], ctx.scheme)
    truth = ibug68(np.asarray(tl)[ij[:, 1]], ctx.truth.scheme)
    return landmark_distances(pred, truth, ctx.truth.frame_size, ctx.options.lmd_size)


METRIC = Metric((Column("m_lmd", "M-LMD", -1, ("truth",), unit="px",
                        help="mouth landmark distance to the truth, 68-point mouth (48-67), px at the truth's "
                             "size or --lmd-size"),
                 Column("f_lmd", "F-LMD", -1, ("truth",), unit="px",
                        help="face landmark distance to the truth, all 68 points, px at the truth's size or --lmd-size"),
                 Column("akd", "AKD", -1, ("truth",), unit="px at 256x256",
                        help="average keypoint distance (FOMM): all 68 points, px of a 256x256 frame")),
                _columns)
