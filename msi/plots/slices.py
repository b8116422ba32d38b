"""Space-time slices: one fixed pixel line taken from every frame and laid side by side in time.

StableFace (Ling et al., arXiv:2208.13717), Fig. 1 and Fig. 7, shows jitter this way: a
vertical line through the mouth is cut out of each frame and the cuts are stacked along the
time axis. A still or smoothly moving face gives smooth edges; jitter gives jagged ones, and a
frame shifted by ``d`` pixels moves the edges of its column by exactly ``d`` rows.

Everything here is pure numpy (frames in, arrays out). Time is always axis 1 of a slice, so
slices of several videos share a time axis when drawn one under the other.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

ORIENTATIONS = ("vertical", "horizontal")


def resolve_position(pos: float, size: int) -> int:
    """A line position given as a pixel index (``>= 1`` or an int) or a fraction of ``size`` (``0 <= pos < 1``).

    ``0.5`` is the centre; ``88`` is pixel 88. Raises ``ValueError`` outside the frame.
    """
    if isinstance(pos, (int, np.integer)) or pos >= 1:
        px = int(round(float(pos)))
    elif 0 <= pos < 1:
        px = int(np.floor(pos * size))
    else:
        raise ValueError(f"line position {pos} is negative")
    if not 0 <= px < size:
        raise ValueError(f"line position {pos} is outside the frame (0..{size - 1})")
    return px


def frame_line(frame: np.ndarray, pos: int, width: int = 1, orientation: str = "vertical") -> np.ndarray:
    """The ``width`` pixel lines of one frame starting at ``pos - width // 2``, as (L, width, C).

    Vertical: columns ``x`` of an (H, W, C) frame -> (H, width, C). Horizontal: rows ``y`` ->
    (W, width, C) (the row turned upright, so time can run along axis 1 for both).
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    if width < 1:
        raise ValueError(f"slice width must be >= 1, got {width}")
    img = frame if orientation == "vertical" else np.swapaxes(frame, 0, 1)
    if img.ndim == 2:
        img = img[..., None]
    size = img.shape[1]
    start = pos - width // 2
    if start < 0 or start + width > size:
        raise ValueError(f"a {width}-pixel slice at {pos} does not fit in {size} pixels")
    return img[:, start : start + width]


def extract_slice(
    frames: Iterable[np.ndarray],
    pos: int,
    width: int = 1,
    orientation: str = "vertical",
    time_range: tuple[int | None, int | None] | None = None,
    span: tuple[int, int] | None = None,
) -> np.ndarray:
    """Space-time slice of a frame sequence (StableFace Fig. 1/7, arXiv:2208.13717).

    ``slice[:, t*width + k] = frame_t[:, pos - width//2 + k]`` for a vertical slice (rows for a
    horizontal one). With ``width=1`` the result is (H, T, C) and column ``t`` is exactly the
    source column of frame ``t``; wider slices give each frame ``width`` adjacent columns,
    (H, T*width, C), which makes short clips easier to read.

    ``frames`` is an array (T, H, W, C) or any iterable of (H, W, C) frames (a decoder, so long
    videos are never held in memory). ``time_range=(start, stop)`` keeps frames
    ``start <= t < stop`` (Python slice semantics, ``None`` = open end). ``span=(lo, hi)`` keeps
    rows ``lo:hi`` along the line (a crop to the face).
    """
    start, stop = time_range or (None, None)
    start = 0 if start is None else int(start)
    if start < 0 or (stop is not None and stop <= start):
        raise ValueError(f"bad time range {time_range}")
    cols = []
    for t, frame in enumerate(frames):
        if t < start:
            continue
        if stop is not None and t >= stop:
            break
        # copy: a view would keep every whole frame alive (long videos would fill memory)
        cols.append(frame_line(np.asarray(frame), pos, width, orientation).copy())
    if not cols:
        raise ValueError(f"no frames in time range {time_range}")
    out = np.concatenate(cols, axis=1)
    if span is not None:
        lo, hi = max(0, int(span[0])), min(out.shape[0], int(span[1]))
        if hi <= lo:
            raise ValueError(f"empty crop span {span}")
        out = out[lo:hi]
    return out


def line_through(points: np.ndarray, orientation: str = "vertical") -> float:
    """Pixel position of the line through the centre of a point set (NaN rows ignored).

    ``points`` is (T, N, >=2) landmarks (e.g. the lip region over the first frames); the result is
    the mean x (vertical line) or mean y (horizontal line) over all finite points. NaN when none.
    """
    p = np.asarray(points, dtype=np.float64)[..., :2].reshape(-1, 2)
    p = p[np.isfinite(p).all(axis=1)]
    if not len(p):
        return float("nan")
    return float(p[:, 0 if orientation == "vertical" else 1].mean())


def face_span(points: np.ndarray, size: int, orientation: str = "vertical", margin: float = 0.25) -> tuple[int, int]:
    """Rows (vertical slice) or columns (horizontal) covered by the face, with a relative margin.

    ``points`` is (T, N, >=2) landmarks of the whole face; the span is the finite points' extent
    along the line, widened by ``margin`` of that extent on each side and clipped to ``[0, size)``.
    """
    p = np.asarray(points, dtype=np.float64)[..., :2].reshape(-1, 2)
    p = p[np.isfinite(p).all(axis=1)]
    if not len(p):
        raise ValueError("no finite landmarks to find the face extent")
    c = p[:, 1 if orientation == "vertical" else 0]
    lo, hi = c.min(), c.max()
    pad = margin * (hi - lo)
    return max(0, int(np.floor(lo - pad))), min(size, int(np.ceil(hi + pad)) + 1)


def shift_frame(frame: np.ndarray, dx: int, dy: int, fill: int = 0) -> np.ndarray:
    """Translate a frame by whole pixels (content moves right by ``dx``, down by ``dy``).

    Uncovered pixels get ``fill``. Used to make jittered copies of a video with known per-frame
    shifts, whose slices must show those shifts exactly.
    """
    h, w = frame.shape[:2]
    out = np.full_like(frame, fill)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = frame[ys, xs]
    return out


def column_shifts(reference: np.ndarray, moved: np.ndarray, max_shift: int = 10) -> np.ndarray:
    """Per-frame displacement along the line between two slices of equal shape, (T,) ints.

    For each time column ``t`` the integer ``d`` in ``[-max_shift, max_shift]`` that minimises the
    mean squared grey-level difference ``mean_y (moved[y + d, t] - reference[y, t])^2`` over the
    rows both cover. A frame shifted down by ``d`` pixels gives ``d`` in its column: the check that
    jitter shows in a slice, and a way to measure it against a stable reference.
    """
    if reference.shape != moved.shape:
        raise ValueError(f"slices differ in shape: {reference.shape} vs {moved.shape}")
    ref = np.asarray(reference, dtype=np.float64)
    mov = np.asarray(moved, dtype=np.float64)
    if ref.ndim == 3:
        ref, mov = ref.mean(axis=-1), mov.mean(axis=-1)
    h = ref.shape[0]
    if h <= 2 * max_shift:
        raise ValueError(f"max_shift {max_shift} too large for slices {h} pixels long")
    shifts = np.arange(-max_shift, max_shift + 1)
    errs = np.empty((len(shifts), ref.shape[1]))
    for i, d in enumerate(shifts):
        a = ref[max(0, -d) : h - max(0, d)]
        b = mov[max(0, d) : h - max(0, -d)]
        errs[i] = ((a - b) ** 2).mean(axis=0)
    return shifts[np.argmin(errs, axis=0)]
