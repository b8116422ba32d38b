r"""The Motion Stability Index (MSI): a pure function of landmark trajectories.

Reference: J. Ling, X. Tan, L. Chen, R. Li, Y. Zhang, S. Zhao, L. Song, "StableFace: Analyzing
and Improving Motion Stability for Talking Face Generation", arXiv:2208.13717, Sec. III-D,
together with the public reference implementation of the metric.

Definition (paper constants in :mod:`msi.constants`):

1. Scale normalisation. With mouth corners :math:`c_1, c_2`, the mouth width is
   :math:`w = \frac1N \sum_{t<N} \lVert p_{c_1}(t) - p_{c_2}(t) \rVert` over the first
   :math:`N = 5` frames (that have a face). Every coordinate is multiplied by
   :math:`s = 0.25 \cdot 256 / w`, so the mouth is 64 px wide: the same as cropping a fixed box of
   4 mouth widths and resizing it to 256 x 256. Translation does not matter (only accelerations
   are used).
2. Accelerations per landmark and axis: :math:`a_t = p_{t+2} - 2 p_{t+1} + p_t`,
   :math:`t = 0 \dots T-3`.
3. Windows of :math:`L = 12` accelerations with hop :math:`L/2 = 6`. In window :math:`k`, for
   landmark :math:`i` of the region and axis :math:`d \in \{x, y\}`, the population variance
   :math:`\sigma^2_{k,i,d}` of the :math:`L` accelerations. The window value is

   .. math:: m_k = \frac12 \sum_{d \in \{x,y\}} \frac1M \sum_{i=1}^{M} \frac{1}{\sigma^2_{k,i,d} + 0.5}

4. :math:`\mathrm{MSI} = \frac1K \sum_k m_k`, separately for the lips and the jaw.

MSI lies in (0, 2]: 2 means no acceleration variance at all (perfectly smooth or constant
acceleration); jitter lowers it. It depends on the frame rate (paper: 25 fps).

Default windows are the full ones (``compat="paper"``). ``compat="reference"`` also averages the
trailing partial windows, as the public reference code does: a window starts every 6
accelerations while the start lies inside the sequence and is cut at its end (down to a single
sample, whose variance is 0). The reference code takes the mouth width over the first 10
frames; pass ``mouth_width_frames=10`` to match that too. A window whose accelerations touch a
frame without a face (NaN) is skipped and counted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from msi.constants import EPS, HOP, MOUTH_WIDTH_FRAMES, TARGET_MOUTH_WIDTH, WINDOW
from msi.errors import BadLandmarks, NoFace, TooShort
from msi.metrics.column import Column, Metric
from msi.metrics.resampling import to_frame_rate
from msi.regions import REGIONS, Scheme, get_scheme

COMPAT_MODES = ("paper", "reference")
#: Windows gathered per vectorised block in :func:`window_values` (memory bound, not a metric constant).
WINDOW_BLOCK = 256
#: Coordinates beyond this (input units) cannot be squared safely: an acceleration sums four of
#: them, its square must stay below float64's 1.8e308 after the mouth-width scaling. Frames holding
#: one are left out like frames without a face, and counted (not pixel coordinates of any video).
MAX_ABS_COORDINATE = 1e150
#: Frames per block where a per-frame test reads a long array (bounded temporaries, same result).
FRAME_BLOCK = 4096


# ----------------------------------------------------------------------------- step 1: the scale (mouth width)


def mouth_width(points: np.ndarray, corners: tuple[int, int], n_frames: int | None = MOUTH_WIDTH_FRAMES) -> float:
    """Mean corner-to-corner distance (x, y) over the first ``n_frames`` frames that have a face
    (the paper's MSI normaliser); ``n_frames=None``: the median over all frames with a face, which
    does not depend on the expression the video starts with (a rounded "oo" in the first frames
    narrows the mouth and inflates every normalised distance by up to a third, seen on the corpus)."""
    i, j = corners
    # the two corners in float64 before any arithmetic (a float32 store gives the same numbers)
    c = np.asarray(np.asarray(points)[:, [i, j], :2], dtype=np.float64)
    d = np.linalg.norm(c[:, 0] - c[:, 1], axis=-1)
    d = d[np.isfinite(d)]
    if d.size == 0:
        raise NoFace("no frame with a face: the mouth width cannot be measured")
    w = float(np.median(d)) if n_frames is None else float(d[:n_frames].mean())
    if not w > 0:
        raise BadLandmarks("mouth corners coincide (mouth width 0): wrong landmark scheme?")
    return w


def normalise_scale(
    points: np.ndarray,
    corners: tuple[int, int],
    n_frames: int = MOUTH_WIDTH_FRAMES,
    target_width: float = TARGET_MOUTH_WIDTH,
) -> tuple[np.ndarray, float]:
    """Scale all coordinates so the mouth width (see :func:`mouth_width`) becomes ``target_width``.

    Returns the scaled points and the scale factor.
    """
    scale = target_width / mouth_width(points, corners, n_frames)
    return np.asarray(points, dtype=np.float64) * scale, scale


def _width_and_scale(points: np.ndarray, sch: Scheme, normalise: bool, mouth_width_frames: int,
                     width: float | None = None) -> tuple[float, float]:
    """Mouth width (input units; NaN when not normalising) and the factor that makes it 64 px."""
    if not normalise:
        return float("nan"), 1.0
    if width is None:
        width = mouth_width(points, sch.mouth_corners, mouth_width_frames)
    return float(width), TARGET_MOUTH_WIDTH / width


def _scaled_columns(points: np.ndarray, cols: list[int], scale: float, a: int = 0, b: int | None = None) -> np.ndarray:
    """Frames ``a:b`` of columns ``cols`` in float64, multiplied by ``scale`` (step 1 of the definition)."""
    p = np.asarray(points[a:b][:, cols], dtype=np.float64)  # fancy indexing: a fresh array, scaled in place
    p *= scale
    return p


# ----------------------------------------------------------------------------- step 2: accelerations


def accelerations(points: np.ndarray) -> np.ndarray:
    """Second differences along time: ``a_t = p[t+2] - 2 p[t+1] + p[t]``; (T, ...) -> (T-2, ...)."""
    points = np.asarray(points, dtype=np.float64)
    # the same operations in the same order as p[2:] - 2 p[1:-1] + p[:-2], in one buffer
    # (an hour of lip points: one 70 MB array instead of three)
    acc = np.multiply(points[1:-1], 2.0)
    np.subtract(points[2:], acc, out=acc)
    np.add(acc, points[:-2], out=acc)
    return acc


def _region_accelerations(points: np.ndarray, sch: Scheme, region: str, scale: float) -> np.ndarray:
    """Accelerations (T-2, M, D) of one region's scaled coordinates (step 1 and 2 of the definition)."""
    p = np.asarray(points[:, list(sch.region(region))], dtype=np.float64)  # a copy: scaled in place
    p *= scale
    return accelerations(p)


def _accelerations_by_region(points: np.ndarray, sch: Scheme, scale: float) -> dict[str, np.ndarray]:
    """Region -> accelerations (T-2, M, D) of the scaled coordinates (step 1 and 2 of the definition)."""
    return {region: _region_accelerations(points, sch, region, scale) for region in REGIONS}


def region_accelerations(
    points: np.ndarray,
    fps: float,
    scheme: str | Scheme = "mediapipe478",
    *,
    resample_fps: float | None = None,
    normalise: bool = True,
    mouth_width_frames: int = MOUTH_WIDTH_FRAMES,
    width: float | None = None,
) -> dict[str, np.ndarray]:
    r"""The scale-normalised accelerations MSI is built from, per region: ``{"lip": (T'-2, M, 2), "jaw": ...}``.

    Steps 1 and 2 of the definition (module docstring; StableFace, Ling et al., arXiv:2208.13717,
    Sec. III-D), after an optional resampling to ``resample_fps`` (:mod:`msi.metrics.resampling`):
    :math:`a_t = s\,(p_{t+2} - 2 p_{t+1} + p_t)` with :math:`s = 64 / w` and :math:`w` the mouth
    width over the first ``mouth_width_frames`` frames with a face (or the given ``width``, in
    input pixels, e.g. a reference clip's). Units: mouth-width-normalised pixels per frame^2;
    only x and y. ``normalise=False`` leaves the coordinates unscaled. NaN frames give NaN rows.
    The windowed variance of these is what :func:`msi_from_landmarks` inverts.
    """
    sch = get_scheme(scheme) if isinstance(scheme, str) else scheme
    pts = check_landmarks(points, sch)[:, :, :2]
    pts, _ = to_frame_rate(pts, fps, resample_fps)
    _, scale = _width_and_scale(pts, sch, normalise, mouth_width_frames, width)
    return _accelerations_by_region(pts, sch, scale)


# ----------------------------------------------------------------------------- step 3: windows and the kernel


def window_starts(n_acc: int, window: int = WINDOW, hop: int = HOP, partial: bool = False) -> np.ndarray:
    """Start indices of the windows over ``n_acc`` accelerations.

    Full windows only: starts 0, hop, ... with start + window <= n_acc. With ``partial`` (the
    reference formulation): every start < n_acc, the last windows cut at the end.
    """
    if partial:
        return np.arange(0, max(n_acc, 0), hop)
    return np.arange(0, max(n_acc - window + 1, 0), hop)


def window_msi(windows: np.ndarray, eps: float = EPS) -> np.ndarray:
    r"""Step 3 of the definition, the MSI kernel: :math:`m_k = \operatorname{mean}_{i,d}\,
    1 / (\sigma^2_{k,i,d} + \varepsilon)` of windows (K, L, M, D) of accelerations, with the
    population variance (ddof=0) over each window's L samples; (K, L, M, D) -> (K,)."""
    var = windows.var(axis=1)
    return (1.0 / (var + eps)).mean(axis=(1, 2))


def window_values(
    acc: np.ndarray,
    window: int = WINDOW,
    hop: int = HOP,
    eps: float = EPS,
    partial: bool = False,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-window values ``mean over (landmarks, axes) of 1 / (var + eps)`` (:func:`window_msi`).

    ``acc`` is (A, M, D) accelerations of one region. ``valid`` (A,) marks accelerations whose
    three frames all have a face; a window containing an invalid one is skipped (value NaN).
    Returns ``(starts, lengths, values)``.
    """
    acc = np.asarray(acc, dtype=np.float64)
    if valid is None:
        valid = np.isfinite(acc.reshape(acc.shape[0], -1)).all(axis=1)
    return _windowed(len(acc), valid, lambda a, b: acc[a:b], window, hop, eps, partial)


def _windowed(n_acc: int, valid_acc: np.ndarray, acc_of, window: int, hop: int, eps: float,
              partial: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 3 and 4's windows over ``n_acc`` accelerations: ``(starts, lengths, values)``, the
    value NaN where a window holds an invalid acceleration. ``acc_of(a, b)`` gives accelerations
    ``a..b-1`` (M, D each): the windows are read :data:`WINDOW_BLOCK` at a time, so memory stays
    bounded for hour-long videos, and each window's value is computed alone (the block size
    changes no number)."""
    starts = window_starts(n_acc, window, hop, partial)
    lengths = np.minimum(starts + window, n_acc) - starts
    values = np.full(len(starts), np.nan)
    bad = np.concatenate([[0], np.cumsum(~np.asarray(valid_acc, dtype=bool))])
    ok = (bad[starts + lengths] - bad[starts]) == 0  # no acceleration touches a frame without a face
    full = ok & (lengths == window)
    if full.any():
        fs, out = starts[full], np.empty(int(full.sum()))
        for b in range(0, len(fs), WINDOW_BLOCK):
            blk = fs[b:b + WINDOW_BLOCK]
            a0 = int(blk[0])
            acc = acc_of(a0, int(blk[-1]) + window)
            out[b:b + WINDOW_BLOCK] = window_msi(acc[(blk - a0)[:, None] + np.arange(window)[None, :]], eps)
        values[full] = out
    for k in np.flatnonzero(ok & ~full):  # at most window/hop partial windows (compat="reference")
        s, n = int(starts[k]), int(lengths[k])
        values[k] = window_msi(acc_of(s, s + n)[None], eps)[0]
    return starts, lengths, values


def _region_window_values(points: np.ndarray, cols: list[int], scale: float, window: int, hop: int, eps: float,
                          partial: bool, valid_acc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`window_values` of the region's accelerations, each block of windows computed from
    the frames it covers: no (T, M, 2) array of the whole video. Each acceleration is the same
    arithmetic on the same numbers as ``accelerations(scaled points)``, so the result is identical."""
    def acc_of(a: int, b: int) -> np.ndarray:  # accelerations a..b-1 use frames a..b+1
        return accelerations(_scaled_columns(points, cols, scale, a, b + 2))

    return _windowed(max(len(points) - 2, 0), valid_acc, acc_of, window, hop, eps, partial)


# ----------------------------------------------------------------------------- step 4: MSI per region


@dataclass
class MSIValues:
    """MSI of one landmark sequence, with the per-window values (the timeline)."""

    msi: dict[str, float]  # region -> MSI (NaN when no window could be used)
    windows_used: int
    windows_skipped: int
    window_starts: np.ndarray  # first acceleration index of each window (= first frame)
    window_lengths: np.ndarray  # accelerations per window (12 except trailing partial ones)
    window_values: dict[str, np.ndarray]  # region -> per-window value (NaN where skipped)
    scale: float  # factor applied to the coordinates (1.0 when not normalised)
    mouth_width: float  # in input units, NaN when not normalised
    settings: dict = field(default_factory=dict)
    frames_too_large: int = 0  # frames left out: a coordinate beyond MAX_ABS_COORDINATE
    windows_too_large: int = 0  # windows skipped only because of those frames

    def too_large_note(self) -> str | None:
        """The warning for frames left out as too large, worded for a person (None if there were none)."""
        if not self.frames_too_large:
            return None
        return (f"coordinates too large to square (beyond {MAX_ABS_COORDINATE:g}) in {self.frames_too_large} "
                f"frames: {self.windows_too_large} windows skipped")

    @property
    def msi_lip(self) -> float:
        return self.msi["lip"]

    @property
    def msi_jaw(self) -> float:
        return self.msi["jaw"]


def msi_from_landmarks(
    points: np.ndarray,
    scheme: str | Scheme = "mediapipe478",
    *,
    compat: str = "paper",
    normalise: bool = True,
    mouth_width_frames: int = MOUTH_WIDTH_FRAMES,
    window: int = WINDOW,
    hop: int = HOP,
    eps: float = EPS,
) -> MSIValues:
    """MSI-Lip and MSI-Jaw of a landmark array ``points`` (T, N, 2|3), pixel coordinates.

    Only x and y are used. Frames without a face are NaN rows. See the module docstring for the
    formula; ``compat="reference"`` adds the trailing partial windows of the reference code;
    ``normalise=False`` skips the mouth-width scaling (landmarks already in a 256 x 256 crop).
    No I/O, no tracker: arrays in, numbers out.
    """
    if compat not in COMPAT_MODES:
        raise ValueError(f"compat must be one of {COMPAT_MODES}, got {compat!r}")
    sch = get_scheme(scheme) if isinstance(scheme, str) else scheme
    points = _checked(points, sch)[:, :, :2]
    partial = compat == "reference"
    n_frames = points.shape[0]
    min_frames = 3 if partial else window + 2
    if n_frames < min_frames:
        raise TooShort(
            f"{n_frames} frame(s): at least {min_frames} are needed for one window of {window} accelerations"
        )
    used_idx = sorted(set(sch.lip) | set(sch.jaw) | set(sch.mouth_corners))
    valid_frame = frame_valid(points, used_idx)
    if not valid_frame.any():
        raise NoFace("no face in any frame")
    huge = too_large_frames(points, used_idx if len(used_idx) < points.shape[1] else None) & valid_frame  # inf/NaN: no face, said elsewhere
    n_huge = windows_huge = 0
    if huge.any():  # a copy only then: the usual array is left as it is
        n_huge = int(huge.sum())
        if not (valid_frame & ~huge).any():
            raise BadLandmarks(f"coordinates too large to square (beyond {MAX_ABS_COORDINATE:g}) in every frame "
                               "with a face: not pixel coordinates?")
        acc_ok = lambda v: v[2:] & v[1:-1] & v[:-2]  # noqa: E731
        windows_huge = (_windows_ok(acc_ok(valid_frame), window, hop, partial)
                        - _windows_ok(acc_ok(valid_frame & ~huge), window, hop, partial))
        points = points.copy()
        points[huge] = np.nan
        valid_frame = valid_frame & ~huge
    width, scale = _width_and_scale(points, sch, normalise, mouth_width_frames)
    valid_acc = valid_frame[2:] & valid_frame[1:-1] & valid_frame[:-2]
    values: dict[str, np.ndarray] = {}
    starts = lengths = None
    for region in REGIONS:  # one region, one block of windows at a time (memory)
        starts, lengths, values[region] = _region_window_values(points, list(sch.region(region)), scale, window,
                                                                hop, eps, partial, valid_acc)
    used = np.isfinite(values["lip"])
    msi = {r: float(values[r][used].mean()) if used.any() else float("nan") for r in REGIONS}
    return MSIValues(
        msi=msi,
        windows_used=int(used.sum()),
        windows_skipped=int((~used).sum()),
        window_starts=starts,
        window_lengths=lengths,
        window_values=values,
        scale=float(scale),
        mouth_width=float(width),
        settings=dict(scheme=sch.name, compat=compat, normalise=normalise, mouth_width_frames=mouth_width_frames,
                      window=window, hop=hop, eps=eps),
        frames_too_large=n_huge,
        windows_too_large=windows_huge,
    )


# ----------------------------------------------------------------------------- the input: its shape, its frames with a face


def check_landmarks(points: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Validate a landmark array (T, N, 2|3) against a scheme; one-line errors."""
    try:
        points = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadLandmarks("landmarks are not numeric") from None
    if points.ndim != 3 or points.shape[2] not in (2, 3):
        raise BadLandmarks(f"landmarks must be shaped (frames, points, 2 or 3), got {points.shape}")
    n = points.shape[1]
    needed = max(max(scheme.lip), max(scheme.jaw), max(scheme.mouth_corners)) + 1
    if n != scheme.n_points and not (scheme.name == "mediapipe478" and n == 468):
        raise BadLandmarks(
            f"{n} points per frame do not match scheme {scheme.name} ({scheme.n_points} points; "
            f"use scheme={'ibug68' if n == 68 else 'mediapipe478'}?)" if n in (68, 468, 478)
            else f"{n} points per frame do not match scheme {scheme.name} ({scheme.n_points} points)"
        )
    assert n >= needed
    return points


def _checked(points, sch: Scheme) -> np.ndarray:
    """:func:`check_landmarks` without the float64 copy of a float32/float64 array (an hour of a
    compact float32 store would double): every computation below converts the columns it reads to
    float64 first, so the numbers are those of converting everything."""
    arr = np.asarray(points)
    if arr.dtype in (np.float32, np.float64) and arr.ndim == 3:
        check_landmarks(arr[:1], sch)  # the shape and the point count, with the same messages
        return arr
    return check_landmarks(arr, sch)


def frame_valid(points: np.ndarray, columns=None) -> np.ndarray:
    """(T,) True where every coordinate of the frame (of ``columns``, default all) is finite (a
    face was found). Read in blocks of frames: no copy of the whole array."""
    p = np.asarray(points)
    out = np.empty(len(p), bool)
    for a in range(0, len(p), FRAME_BLOCK):
        b = p[a:a + FRAME_BLOCK] if columns is None else p[a:a + FRAME_BLOCK][:, columns]
        out[a:a + FRAME_BLOCK] = np.isfinite(b.reshape(len(b), -1)).all(axis=1)
    return out


def too_large_frames(points: np.ndarray, columns=None) -> np.ndarray:
    """(T,) True where some x, y coordinate of the frame (of ``columns``, default all) exceeds
    :data:`MAX_ABS_COORDINATE`. Read in blocks of frames: no copy of the whole array."""
    p = np.asarray(points)
    out = np.empty(len(p), bool)
    with np.errstate(invalid="ignore"):  # NaN rows: no face, not too large
        for a in range(0, len(p), FRAME_BLOCK):
            b = p[a:a + FRAME_BLOCK, ..., :2] if columns is None else p[a:a + FRAME_BLOCK][:, columns, :2]
            # the limit as a float64 scalar: float32 landmarks (msi track's .npz) are compared in float64,
            # not the limit cast to float32 (inf, and numpy's overflow warning)
            out[a:a + FRAME_BLOCK] = (np.abs(b.reshape(len(b), -1)) > np.float64(MAX_ABS_COORDINATE)).any(axis=1)
    return out


def _windows_ok(valid_acc: np.ndarray, window: int, hop: int, partial: bool) -> int:
    """Windows whose accelerations are all valid (as :func:`window_values` counts them)."""
    starts = window_starts(len(valid_acc), window, hop, partial)
    lengths = np.minimum(starts + window, len(valid_acc)) - starts
    bad = np.concatenate([[0], np.cumsum(~valid_acc)])
    return int(((bad[starts + lengths] - bad[starts]) == 0).sum())


# ----------------------------------------------------------------------------- msi compare columns


def _columns(ctx) -> dict[str, float]:
    """``msi score``'s MSI of the video (same settings, same landmark cache)."""
    return {"msi_lip": ctx.score.msi_lip, "msi_jaw": ctx.score.msi_jaw}


METRIC = Metric((Column("msi_lip", "MSI-Lip", +1, help="Motion Stability Index of the lips (msi.metrics.stability)"),
                 Column("msi_jaw", "MSI-Jaw", +1, help="Motion Stability Index of the jaw")), _columns)
