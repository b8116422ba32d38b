"""A weight-free lip-audio agreement proxy: does the mouth open when there is sound?

This is **not** Sync-C/LSE-C (that needs SyncNet's weights, :mod:`msi.metrics.syncnet`). It is a proxy
that works without any model: the Pearson correlation between the mouth-opening trajectory and
the audio loudness envelope, at the best of the shifts −15..15 frames. A mouth that moves with the
speech scores high; a frozen mouth, or one that moves out of step with the audio, scores near 0;
the best shift shows a constant audio delay. Pure numpy: arrays in, numbers out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from msi.metrics.column import Column, Metric
from msi.regions import LIP_OPENING, get_scheme

MAX_SHIFT = 15  # frames, the same search range as SyncNet's
MIN_OVERLAP = 10  # frames needed for a correlation at one shift


@dataclass
class LipAudioAgreement:
    r: float  # best-shift Pearson correlation, in [-1, 1] (NaN when undefined)
    offset: int  # at the best shift, in syncnet_python's sign: negative when the audio lags the video
    r_by_offset: np.ndarray = field(repr=False, default=None)  # (31,) r for offsets +15 .. -15


def mouth_opening(landmarks: np.ndarray, scheme: str = "mediapipe478") -> np.ndarray:
    """(T,) inner-lip gap / mouth width per frame: ‖p_upper − p_lower‖ / ‖p_left − p_right‖ in (x, y),
    dimensionless, so head scale and distance cancel. NaN where there is no face."""
    lm = np.asarray(landmarks, dtype=np.float64)[..., :2]
    u, d = LIP_OPENING[scheme]
    i, j = get_scheme(scheme).mouth_corners
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.linalg.norm(lm[:, u] - lm[:, d], axis=-1) / np.linalg.norm(lm[:, i] - lm[:, j], axis=-1)


def audio_envelope(samples: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """(n_frames,) loudness per video frame: RMS of the samples within ±half a frame of the frame's
    time k / fps (zero beyond the end of the audio)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    out = np.zeros(n_frames)
    for k in range(n_frames):
        a = max(0, int(round((k - 0.5) * sample_rate / fps)))
        b = min(len(x), int(round((k + 0.5) * sample_rate / fps)))
        if b > a:
            out[k] = np.sqrt(np.mean(x[a:b] ** 2))
    return out


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < MIN_OVERLAP:
        return float("nan")
    a, b = a[ok], b[ok]
    if np.ptp(a) <= 1e-12 * max(1.0, abs(a.mean())) or np.ptp(b) <= 1e-12 * max(1.0, abs(b.mean())):
        return float("nan")  # a constant signal: no correlation to speak of
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def lip_audio_agreement(opening: np.ndarray, envelope: np.ndarray, max_shift: int = MAX_SHIFT) -> LipAudioAgreement:
    """Best-shift correlation of mouth opening o_t and audio envelope e_t (same frame rate):

    r(s) = Pearson(o_t, e_{t+s}) over the frames where both exist, s = −max_shift..max_shift (s > 0:
    the sound of frame t comes s frames later); proxy = max_s r(s); offset = −argmax_s r(s), the sign
    syncnet_python uses for its AV offset. Documented as a proxy for lip sync, never as Sync-C.
    """
    o = np.asarray(opening, dtype=np.float64)
    e = np.asarray(envelope, dtype=np.float64)
    n = min(len(o), len(e))
    o, e = o[:n], e[:n]
    shifts = np.arange(max_shift, -max_shift - 1, -1)  # offsets +15..-15 = shifts -15..15
    shifts = -shifts
    # a shift as long as the clip leaves no overlap (and an empty slice, not one that wraps round)
    r = np.array([_pearson(o[max(0, -s):max(0, n - max(0, s))], e[max(0, s):max(0, n - max(0, -s))]) for s in shifts])
    if not np.isfinite(r).any():
        return LipAudioAgreement(float("nan"), 0, r)
    best = int(np.nanargmax(r))
    return LipAudioAgreement(float(r[best]), int(-shifts[best]), r)


def lip_audio_from_arrays(landmarks: np.ndarray, fps: float, samples: np.ndarray, sample_rate: int,
                          scheme: str = "mediapipe478", max_shift: int = MAX_SHIFT) -> LipAudioAgreement:
    """The proxy from a landmark track (T, N, 2|3) at ``fps`` and the mono audio aligned with frame 0."""
    o = mouth_opening(landmarks, scheme)
    e = audio_envelope(samples, sample_rate, fps, len(o))
    return lip_audio_agreement(o, e, max_shift)


def _columns(ctx) -> dict[str, float]:
    agree = lip_audio_from_arrays(ctx.landmarks, ctx.fps, ctx.audio.samples, ctx.audio.sample_rate)
    return {"lip_audio_r": agree.r, "lip_audio_offset": float(agree.offset)}


METRIC = Metric((Column("lip_audio_r", "Lip-audio r", +1, ("audio",),
                        help="weight-free proxy: best-shift correlation of mouth opening and loudness (NOT Sync-C)"),
                 Column("lip_audio_offset", "Proxy offset", 0, ("audio",), "{:.1f}", unit="frames",
                        help="the proxy's best shift in frames (syncnet_python's sign)")), _columns)
