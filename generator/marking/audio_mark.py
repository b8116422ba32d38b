"""Writing the audio mark into the speech (the scheme, its constants and the reading are in
:mod:`msi.provenance.audio_mark`, which the metric side imports without the generator).

Per 20 ms frame of mono speech: the run's keyed +-1 chips -> filtered by the frame's LPC envelope
(the filter's state carried from frame to frame) -> scaled to ``SNR_DB`` below the frame's power,
the gain interpolated sample by sample between frame centres (no steps at frame edges) -> added.
Speech at another rate than the mark's is resampled to it, marked, and the mark alone resampled
back and added, so the speech itself is not resampled.
"""
from __future__ import annotations

import math

import numpy as np

from msi.provenance import audio_mark as A
from msi.provenance.watermark import carried_bits, payload_bits


def chips(run_id: str) -> np.ndarray:
    """(PERIOD,) +-1 chip of each sample of a period for a run id (8 hex digits)."""
    lay = A.layout()
    return lay.pn * (1.0 - 2.0 * carried_bits(payload_bits(run_id))[lay.bit])


def mark_signal(wave: np.ndarray, run_id: str, snr_db: float = A.SNR_DB) -> np.ndarray:
    """The mark alone (float64, same length) for mono float speech at RATE."""
    from scipy.signal import lfilter

    x = np.asarray(wave, np.float64)
    w = chips(run_id)[np.arange(len(x)) % A.PERIOD]
    mark = np.zeros_like(x)
    gains = np.zeros(len(x) // A.FRAME + 1)
    zi = np.zeros(A.ORDER)
    for i, a0 in enumerate(range(0, len(x), A.FRAME)):
        a = A.lpc(x, a0)
        if a is None:  # silence: no mark, and the filter starts afresh after it
            zi = np.zeros(A.ORDER)
            continue
        shaped, zi = lfilter([1.0], a, w[a0:a0 + A.FRAME], zi=zi)
        p = float((shaped ** 2).mean())
        power = float((x[a0:a0 + A.FRAME] ** 2).mean())
        gains[i] = math.sqrt(power * 10 ** (-snr_db / 10) / p) if p > 0 else 0.0
        mark[a0:a0 + A.FRAME] = shaped
    centres = np.arange(len(gains)) * A.FRAME + A.FRAME / 2
    return mark * np.interp(np.arange(len(x)), centres, gains)


def embed(wave: np.ndarray, run_id: str, sample_rate: int = A.RATE, snr_db: float = A.SNR_DB) -> np.ndarray:
    """The marked copy (float32, same length, clipped to [-1, 1]) of mono float speech at ``sample_rate``."""
    x = np.asarray(wave, np.float64)
    if sample_rate == A.RATE:
        mark = mark_signal(x, run_id, snr_db)
    else:
        from scipy.signal import resample_poly

        g = math.gcd(int(sample_rate), A.RATE)
        m = mark_signal(resample_poly(x, A.RATE // g, sample_rate // g), run_id, snr_db)
        mark = resample_poly(m, sample_rate // g, A.RATE // g)[:len(x)]
        mark = np.pad(mark, (0, len(x) - len(mark)))
    return np.clip(x + mark, -1.0, 1.0).astype(np.float32)
