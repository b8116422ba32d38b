"""Image-quality metrics reported beside MSI: SSIM, PSNR (full reference) and CPBD (no reference).

Pure functions of arrays (uint8 frames in, numbers out); decoding videos is the caller's job
(:mod:`msi.comparison.compare`). StableFace (Ling et al., arXiv:2208.13717) reports SSIM and CPBD in its
Tables II and V; these are the standard definitions the talking-face literature uses.
"""
from __future__ import annotations

import math

import numpy as np

from msi.metrics.column import Column, Metric, paired_frames

#: SSIM constants of Wang et al. (2004): Gaussian window sigma 1.5, K1 = 0.01, K2 = 0.03.
SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5  # window radius = int(3.5 * 1.5 + 0.5) = 5 px: the 11x11 window of the paper
SSIM_K1, SSIM_K2 = 0.01, 0.03


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Mean structural similarity of two images (H, W) or (H, W, C); colour: mean over channels.

    SSIM(x, y) = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)), with Gaussian-
    weighted local statistics (σ = 1.5, 11×11 window), C1 = (0.01 L)², C2 = (0.03 L)², L =
    ``data_range``; averaged over the image minus a 5 px border (Wang, Bovik, Sheikh & Simoncelli,
    "Image quality assessment: from error visibility to structural similarity", IEEE TIP 2004).
    Equals ``skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255, channel_axis=-1)`` (tested).
    """
    import cv2

    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"SSIM needs images of one shape, got {x.shape} and {y.shape}")
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    if x.shape[-1] > 4:
        raise ValueError(f"SSIM takes at most 4 channels, got {x.shape[-1]}")
    # Separable Gaussian, radius int(3.5 * 1.5 + 0.5) = 5, edges mirrored with the edge pixel
    # repeated: scipy.ndimage.gaussian_filter(mode="reflect", truncate=3.5), as scikit-image uses,
    # to 1e-13, and faster.
    pad = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
    k = cv2.getGaussianKernel(2 * pad + 1, SSIM_SIGMA, cv2.CV_64F)

    def f(z):
        out = cv2.sepFilter2D(z, cv2.CV_64F, k, k, borderType=cv2.BORDER_REFLECT)
        return out.reshape(z.shape)  # OpenCV drops a trailing channel axis of 1

    ux, uy = f(x), f(y)
    vx = f(x * x) - ux * ux
    vy = f(y * y) - uy * uy
    vxy = f(x * y) - ux * uy
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(s[pad:-pad, pad:-pad].mean(axis=(0, 1)).mean())


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB: PSNR = 10 log10(L² / MSE), MSE over all pixels and
    channels, L = ``data_range``; ``inf`` for identical images (as scikit-image's
    ``peak_signal_noise_ratio``, tested)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"PSNR needs images of one shape, got {x.shape} and {y.shape}")
    mse = float(np.mean((x - y) ** 2))
    return math.inf if mse == 0 else float(10 * np.log10(data_range ** 2 / mse))


def aligned_pairs(n_method: int, fps_method: float, n_truth: int, fps_truth: float) -> np.ndarray:
    """Frame alignment for full-reference metrics: (K, 2) index pairs (method frame, truth frame).

    Frame k of the method is compared with the truth frame shown at the same time, round(k ·
    fps_truth / fps_method) (index by index when the rates agree), up to the shorter video.
    """
    k = np.arange(n_method)
    j = np.round(k * (fps_truth / fps_method)).astype(int) if fps_method != fps_truth else k
    keep = j < n_truth
    return np.stack([k[keep], j[keep]], axis=1)


def video_ssim_psnr(method: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Mean SSIM and mean PSNR over aligned frame pairs: (T, H, W[, C]) uint8 each, already
    aligned (same length, same size). Frames with PSNR = inf (identical) make the mean inf."""
    if len(method) != len(truth) or len(method) == 0:
        raise ValueError(f"need the same, non-zero number of frames (got {len(method)} and {len(truth)})")
    s = [ssim(m, t) for m, t in zip(method, truth)]
    p = [psnr(m, t) for m, t in zip(method, truth)]
    return float(np.mean(s)), float(np.mean(p))


# ----------------------------------------------------------------------------- CPBD

CPBD_THRESHOLD = 0.002  # fraction of Canny edge pixels that makes a 64x64 block an edge block
CPBD_BETA = 3.6  # slope of the probability-of-blur-detection psychometric function
CPBD_BLOCK = 64
CPBD_MAX_MARGIN = 100  # edge-width search stops after 101 steps each side
#: Just-noticeable blur width by block contrast (0..255): 5 px up to contrast 50, else 3 px.
CPBD_WIDTH_JNB = np.concatenate([5 * np.ones(51), 3 * np.ones(205)])


def _octave_sobel_edges(image: np.ndarray) -> np.ndarray:
    """Octave's ``edge(I, 'sobel')`` for vertical edges: squared horizontal Sobel response, zeroed at
    or below 2·sqrt(mean), then thinned to local maxima along rows or columns."""
    from scipy.ndimage import convolve

    h1 = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64) / 8.0
    s = convolve(image, h1.T) ** 2
    s[s <= 2 * np.sqrt(np.mean(s))] = 0
    zc = np.zeros((s.shape[0], 1))
    zr = np.zeros((1, s.shape[1]))
    x = (s > np.c_[zc, s[:, :-1]]) & (s > np.c_[s[:, 1:], zc])
    y = (s > np.r_[zr, s[:-1, :]]) & (s > np.r_[s[1:, :], zr])
    return x | y


def _first_stop(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, step: int, stop_if_ge: bool) -> np.ndarray:
    """Per edge pixel, the first margin m (0..100) at which the step d = I[outer] − I[inner] along
    the row (direction ``step``) is >= 0 (``stop_if_ge``) or <= 0, or the profile leaves the image."""
    w = image.shape[1]
    out = np.full(len(rows), CPBD_MAX_MARGIN, dtype=np.int64)
    idx = np.arange(len(rows))  # the profiles still open: most stop within a few pixels
    r, c = rows, cols
    for m in range(CPBD_MAX_MARGIN + 1):
        if len(idx) == 0:
            break
        inner = c + step * (1 + m)
        outer = c + step * (2 + m)
        outside = (outer < 0) | (outer >= w)
        d = image[r, np.clip(outer, 0, w - 1)] - image[r, np.clip(inner, 0, w - 1)]
        stop = outside | ((d >= 0) if stop_if_ge else (d <= 0))
        out[idx[stop]] = m
        keep = ~stop
        idx, r, c = idx[keep], r[keep], c[keep]
    return out


def cpbd(image: np.ndarray) -> float:
    """Cumulative probability of blur detection (CPBD) of a grayscale uint8 image; higher = sharper.

    Narvekar & Karam, "A no-reference image blur metric based on the cumulative probability of blur
    detection (CPBD)", IEEE TIP 2011. Canny edges pick 64×64 edge blocks (> 0.2 % edge pixels);
    at every Sobel edge pixel the edge width w is measured along the row (Marziliano et al. 2002);
    P(blur) = 1 − exp(−|w / w_JNB(contrast)|^3.6); CPBD = fraction of edges with P(blur) ≤ 0.63
    (histogram of P rounded to percent, bins 0..63). Vectorised re-implementation of the reference
    code as packaged in ``cpbd-py312`` 1.0.3, whose value it equals (tested; 0.3839 on
    scikit-image's astronaut, grayscale uint8).
    """
    from skimage.feature import canny

    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"CPBD needs a grayscale image (H, W), got shape {img.shape}")
    canny_edges = canny(img)
    sobel_edges = _octave_sobel_edges(img)
    gy, gx = np.gradient(img)
    widths = np.zeros(img.shape)
    # The reference measures no width when every angle is 0, i.e. when arctan2(gy, gx) is 0 (gy == 0,
    # gx > 0) wherever gx != 0.
    if np.any((gx != 0) & ((gy != 0) | (gx < 0))):
        # Angles only where a width is measured (inner Sobel edge pixels): the same values as the
        # reference's whole-image arctan2, at a fraction of its cost.
        inner = np.zeros(img.shape, dtype=bool)
        inner[1:-1, 1:-1] = True
        er, ec = np.nonzero(inner & sobel_edges)
        ex, ey = gx[er, ec], gy[er, ec]
        q = 45 * np.round(np.where(ex != 0, np.degrees(np.arctan2(ey, ex)), 0.0) / 45)
        # 180°: left side stops at d <= 0, right at d >= 0; 0°: the mirror image.
        for horizontal_dir, left_ge in ((180, False), (0, True)):
            sel = (np.abs(q) == 180) if horizontal_dir == 180 else (q == 0)
            r, c = er[sel], ec[sel]
            if len(r) == 0:
                continue
            left = _first_stop(img, r, c, -1, stop_if_ge=left_ge)
            right = _first_stop(img, r, c, +1, stop_if_ge=not left_ge)
            widths[r, c] = left + right + 2
    h, w = img.shape
    hist = np.zeros(101)
    total = 0
    for i in range(h // CPBD_BLOCK):
        for j in range(w // CPBD_BLOCK):
            rs = slice(CPBD_BLOCK * i, CPBD_BLOCK * (i + 1))
            cs = slice(CPBD_BLOCK * j, CPBD_BLOCK * (j + 1))
            if np.count_nonzero(canny_edges[rs, cs]) <= canny_edges[rs, cs].size * CPBD_THRESHOLD:
                continue
            bw = widths[rs, cs]
            bw = bw[bw != 0]
            block = img[rs, cs]
            jnb = CPBD_WIDTH_JNB[int(block.max() - block.min())]
            p = 1 - np.exp(-np.abs(bw / jnb) ** CPBD_BETA)
            hist += np.bincount(np.round(p * 100).astype(int), minlength=101)
            total += len(bw)
    if total > 0:
        hist = hist / total
    return float(hist[:64].sum())


def to_gray(frame: np.ndarray) -> np.ndarray:
    """RGB uint8 -> luma uint8 (ITU-R BT.601, OpenCV's RGB2GRAY); gray frames pass through."""
    if frame.ndim == 2:
        return frame
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(frame[..., :3]), cv2.COLOR_RGB2GRAY)


# ----------------------------------------------------------------------------- msi compare columns


def _columns(ctx) -> dict[str, float]:
    """CPBD of the video and, with a truth, SSIM and PSNR to it: one decoding pass of each."""
    from msi.errors import MSIError

    step = max(1, int(ctx.options.cpbd_step))
    truth = ctx.truth
    if truth is not None:
        try:
            truth.frame_rate
        except MSIError as exc:
            ctx.note(f"SSIM/PSNR skipped: {exc}")
            truth = None
    pairs = paired_frames(ctx, truth) if truth is not None else ((k, f, None) for k, f in enumerate(ctx.frames()))
    sharp, s_vals, p_vals = [], [], []
    for k, frame, t in pairs:
        if k % step == 0:
            sharp.append(cpbd(to_gray(frame)))
        if t is not None:
            if t.shape != frame.shape:
                t = _resize(t, frame.shape, ctx)
            s_vals.append(ssim(frame, t))
            p_vals.append(psnr(frame, t))
    out = {"cpbd": float(np.mean(sharp)) if sharp else math.nan}
    if s_vals:
        out.update(ssim=float(np.mean(s_vals)), psnr=float(np.mean(p_vals)))
    return out


def _resize(t: np.ndarray, shape: tuple, ctx) -> np.ndarray:
    import cv2

    ctx.note(f"truth frames {t.shape[1]}x{t.shape[0]} resized to {shape[1]}x{shape[0]} for SSIM/PSNR")
    t = cv2.resize(t, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return t if t.ndim == len(shape) else t[..., None]


METRIC = Metric((Column("cpbd", "CPBD", +1, help="no-reference sharpness (Narvekar & Karam 2011)"),
                 Column("ssim", "SSIM", +1, ("truth",), help="structural similarity to the ground-truth video"),
                 Column("psnr", "PSNR", +1, ("truth",), "{:.2f}", unit="dB",
                        help="PSNR to the ground-truth video, dB")), _columns)
