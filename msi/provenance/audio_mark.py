"""The audio mark: a second invisible mark, in a generated video's speech track, and how it is read.

Why a mark in the audio: the frame watermark (:mod:`msi.provenance.watermark`) lowers the MSI of
the video it marks, because the face tracker reads it as jitter; MSI is read from the frames only,
so a mark in the speech cannot move it.

The scheme: additive direct-sequence spread spectrum, shaped under the speech by linear
prediction. Each 20 ms frame (``FRAME``) of the mono speech at ``RATE`` gets a keyed +-1 sequence
filtered by the frame's LPC envelope (order ``ORDER``) and scaled to ``SNR_DB`` below the frame's
own power (the gain interpolated sample by sample): nothing in silence, more under loud vowels,
the speech's spectral shape (a simple masking model, not a psychoacoustic one). The reader
whitens the received audio with its own LPC (the envelope is the speech's, so the mark comes out
about white at -``SNR_DB`` of the residual), scales the residual to unit power over every 2 ms
(``LOCAL``), and correlates it with the sequence.

The payload is the frame mark's (:func:`~msi.provenance.watermark.payload_bits`): the tag
"stableface" (80 bits, the pilot) and the 32-bit run id + CRC-16 in RM(1, 5) code (256 bits).
One period of ``PERIOD`` samples (1.024 s) is cut into cells of ``CELL`` samples, each carrying
one bit (``PILOT`` of them the tag), interleaved by a key of its own (``KEY``); the period repeats
end to end, so any stretch of 1 s or more holds every cell whatever was cut from the start.

Detection: the scaled residual is folded modulo the period and every one of the ``PERIOD``
circular shifts is a candidate start (one FFT). At the best shift
``z = sum(s_k y_k) / sqrt(sum(y_k^2))`` over the pilot samples, ``s_k`` the expected chip. For
audio not marked with this key the chips are independent fair signs given the audio, so one shift
gives ``P(z >= t) <= exp(-t^2 / 2)`` (Hoeffding, conditionally on y) and the best of ``PERIOD``
shifts ``PERIOD * exp(-t^2 / 2)`` (union bound): ``found`` is ``z >= Z_FOUND`` (7.55: 7.5e-9 for an
unmarked track). The run id is decoded word by word (maximum likelihood) with a CRC-aided list of
``2 ** LIST_WORDS`` candidates: a wrong run id passes the CRC with chance <= 4 / 65536 = 6e-5.

Measured (research/audio_mark/README.md, 12 espeak-ng utterances of 4-6.5 s, AAC re-encoded at
64 kb/s each time): found with the right run id after H.264 crf 28, half size, 25 -> 30 fps, a 2 s
cut and all together (z >= 11.2), 48 kHz stereo and AAC 32 kb/s; no unmarked reading reached
``Z_FOUND`` (largest z 4.84 of 117; 5.34 over 2600 readings with other keys). Its limits: a speed
change of 0.1 % already loses it (the sync searches time shifts, not a time scale; so do pitch
shift and re-recording over the air); dubbed or replaced audio carries no mark; a muted video or
one without speech has nothing to read; music as loud as the speech leaves 5 of 12 found (10 dB
under it, 12 of 12); a telephone band loses a third of the run ids. It marks the audio, not the
picture: marked speech laid over a real video reads as generated. The key is public, like the
frame mark's. This module only reads; :mod:`generator.marking.audio_mark` writes.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from msi.io.audio import Audio, read_audio

from msi.provenance.watermark import (
    CARRIED_BITS,
    RM_M,
    RUN_ID_BITS,
    TAG,
    MarkReading,
    parse_payload,
    payload_bits,
    rm_encode,
)

#: Sample rate the mark is written and read at (the speech ``synthesize`` writes is 16 kHz mono).
RATE = 16000
#: Samples per analysis frame (20 ms): the LPC envelope and the gain are set per frame.
FRAME = 320
#: LPC order of the envelope the mark is shaped by (and the reader whitens with).
ORDER = 16
#: A frame whose windowed power (its autocorrelation at lag 0) is at most this is silent: no predictor.
SILENT = 1e-10
#: White noise added to each frame's power before its predictor is solved (a share of it): keeps
#: the system well conditioned.
CONDITIONING = 1e-4
#: The mark's power below each frame's speech power, dB (17 and 23 were measured too: 23 lost a
#: run id after a cut, 17 is louder).
SNR_DB = 20.0
#: Samples per period (1.024 s): every period carries the whole payload.
PERIOD = 16384
#: Samples per cell: 512 cells per period carry the CARRIED_BITS bits.
CELL = 32
#: Share of the cells that carry the tag (the pilot the detection correlates with).
PILOT = 0.35
#: Samples (2 ms) over which the reader scales the residual to unit power.
LOCAL = 33
#: Detection threshold: PERIOD * exp(-Z_FOUND^2 / 2) = 7.5e-9 for an unmarked track.
Z_FOUND = 7.55
#: Seed of the key (interleaving, chips): public, and not the frame mark's.
KEY = 0x5AB1EFACE + 1
#: The least reliable RM words also tried at their runner-up codeword (CRC-aided list).
LIST_WORDS = 2


@dataclass(frozen=True)
class Layout:
    """``bit``: the carried bit (:func:`~msi.provenance.watermark.carried_bits`) of each sample's
    cell in a period; ``pn``: the keyed +-1 chip of each sample."""

    bit: np.ndarray
    pn: np.ndarray


@lru_cache(maxsize=1)
def layout() -> Layout:
    n = PERIOD // CELL
    n_tag = 8 * len(TAG)
    pilot = int(round(PILOT * n))
    word = np.concatenate([np.arange(pilot) % n_tag, n_tag + np.arange(n - pilot) % (CARRIED_BITS - n_tag)])
    rng = np.random.default_rng(KEY)
    bit = np.repeat(rng.permutation(word), CELL)  # interleaved: a bit's cells spread over the period
    pn = (1 - 2 * rng.integers(0, 2, size=PERIOD)).astype(np.float64)
    return Layout(bit, pn)


def lpc(x: np.ndarray, a0: int) -> np.ndarray | None:
    """A(z) = [1, a1..aORDER] of the frame starting at sample ``a0`` of ``x`` (autocorrelation
    method on a Hann window half a frame wider each side), None if it is silent."""
    from scipy.linalg import solve_toeplitz

    seg = x[max(0, a0 - FRAME // 2):a0 + FRAME + FRAME // 2]
    w = seg * np.hanning(len(seg))
    r = np.correlate(w, w, "full")[len(w) - 1:len(w) + ORDER]
    if len(r) <= ORDER or r[0] <= SILENT:
        return None
    r[0] *= 1.0 + CONDITIONING
    return np.concatenate([[1.0], solve_toeplitz(r[:ORDER], -r[1:ORDER + 1])])


#: Frames whose predictors are computed together (at most about 3 MB of windowed audio at once).
BLOCK_FRAMES = 512


def levinson(r: np.ndarray) -> np.ndarray:
    """(m, ORDER+1) A(z) = [1, a1..aORDER] solving the Yule-Walker equations of each row of
    autocorrelations ``r`` (m, ORDER+1) by the Levinson-Durbin recursion, vectorized over rows
    (the solution :func:`lpc` gets from ``solve_toeplitz``, one frame at a time)."""
    a = np.zeros_like(r)
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, ORDER + 1):
        k = -(r[:, i] + (a[:, 1:i] * r[:, i - 1:0:-1]).sum(axis=1)) / err
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1:0:-1]
        a[:, i] = k
        err = err * (1.0 - k * k)
    return a


def predictors(x: np.ndarray) -> np.ndarray:
    """(frames, ORDER+1): :func:`lpc` of each frame of ``x``, zeros for a silent one. The frames
    whose window lies inside ``x`` are computed a block at a time (a frame at a time, with scipy's
    Toeplitz solve and filter, the reading took 23-44 ms per second of audio on 2 loaded cores; a
    block at a time 1.5-4.3 ms: docs/generator/marking.md); the first and the last by :func:`lpc`."""
    from numpy.lib.stride_tricks import sliding_window_view

    half, span = FRAME // 2, 2 * FRAME
    starts = np.arange(0, len(x), FRAME)
    out = np.zeros((len(starts), ORDER + 1))
    inner = (starts >= half) & (starts + FRAME + half <= len(x))
    for i in np.flatnonzero(~inner):
        a = lpc(x, int(starts[i]))
        if a is not None:
            out[i] = a
    windows = sliding_window_view(x, span) if len(x) >= span else None
    hann = np.hanning(span)
    idx = np.flatnonzero(inner)
    for b in range(0, len(idx), BLOCK_FRAMES):
        rows = idx[b:b + BLOCK_FRAMES]
        w = windows[starts[rows] - half] * hann
        r = np.stack([(w[:, :span - k] * w[:, k:]).sum(axis=1) for k in range(ORDER + 1)], axis=1)
        live = r[:, 0] > SILENT
        r[:, 0] *= 1.0 + CONDITIONING
        out[rows[live]] = levinson(r[live])
    return out


def whitened(wave: np.ndarray) -> np.ndarray:
    """The LPC residual of each frame (the frame's own predictor), scaled to unit local power."""
    from scipy.ndimage import uniform_filter1d

    x = np.asarray(wave, np.float64)
    a = predictors(x)
    n = len(a) * FRAME
    xp = np.concatenate([np.zeros(ORDER), x, np.zeros(n - len(x))])
    out = np.zeros((len(a), FRAME))
    for k in range(ORDER + 1):  # e[j] = sum_k a_k x[j - k], the samples before the first taken as 0
        out += a[:, k:k + 1] * xp[ORDER - k:ORDER - k + n].reshape(len(a), FRAME)
    out = out.ravel()[:len(x)]
    # Each sample divided by the residual's RMS over LOCAL samples around it: the pitch pulses of
    # voiced speech (the residual's loudest part, where the mark is a small share) count less. A
    # function of the audio only, so the null bound holds.
    local = np.sqrt(np.maximum(uniform_filter1d(out * out, LOCAL), 0.0))
    return np.where(local > 0, out / np.maximum(local, 1e-12), 0.0)


@lru_cache(maxsize=1)
def _codebook() -> tuple[np.ndarray, np.ndarray]:
    """RM(1, RM_M)'s 2^(RM_M+1) words (bits) and their codewords as +-1 (positive: a 0 bit)."""
    n = 1 << (RM_M + 1)
    words = ((np.arange(n)[:, None] >> np.arange(RM_M, -1, -1)) & 1).astype(np.uint8)
    return words, 1.0 - 2.0 * rm_encode(words.ravel()).reshape(n, 1 << RM_M)


def decode_run_id(tag_bits: np.ndarray, soft: np.ndarray) -> str | None:
    """The run id whose CRC holds, or None: the maximum-likelihood codeword of each RM word first,
    then the LIST_WORDS least reliable words (smallest margin to their runner-up) swapped for it."""
    words, signs = _codebook()
    score = soft.reshape(-1, 1 << RM_M) @ signs.T
    order = np.argsort(-score, axis=1)
    rows = np.arange(len(score))
    weak = np.argsort(score[rows, order[:, 0]] - score[rows, order[:, 1]])[:LIST_WORDS]
    for k in range(1 << LIST_WORDS):
        pick = order[:, 0].copy()
        for i, w in enumerate(weak):
            if k >> i & 1:
                pick[w] = order[w, 1]
        _, run_id, ok = parse_payload(np.concatenate([tag_bits, words[pick].ravel()]))
        if ok:
            return run_id
    return None


@dataclass(frozen=True)
class AudioMarkReading(MarkReading):
    """What reading a speech track found. ``z``: the detection score at the best start;
    ``p_value``: PERIOD * exp(-z^2 / 2), a bound on the chance of such a z for an unmarked track;
    ``seconds``: of audio read; ``start``: the sample where a period starts (mod PERIOD)."""

    seconds: float
    start: int


def read_wave(wave: np.ndarray) -> AudioMarkReading:
    """Read the mark from mono float speech at RATE: every start (mod PERIOD) is searched, the
    pilot scored, the run id decoded at the best start."""
    lay = layout()
    n_tag = 8 * len(TAG)
    expected = payload_bits("0" * (RUN_ID_BITS // 4))  # the tag part is what is known in advance
    on_tag = lay.bit < n_tag
    pilot = np.where(on_tag, lay.pn * (1.0 - 2.0 * expected[np.minimum(lay.bit, n_tag - 1)]), 0.0)
    e = whitened(wave)
    n = -(-len(e) // PERIOD) * PERIOD
    folded = np.pad(e, (0, n - len(e))).reshape(-1, PERIOD).sum(axis=0)
    # received sample j carries period position (j - start) mod PERIOD: for each start,
    # num = sum_j folded[j] * pilot[(j - start) % PERIOD]; den likewise on folded^2 and |pilot|
    F = np.fft.rfft
    num = np.fft.irfft(F(folded) * np.conj(F(pilot)), PERIOD)
    den = np.fft.irfft(F(folded ** 2) * np.conj(F(on_tag.astype(float))), PERIOD)
    z_all = num / np.sqrt(np.maximum(den, 1e-12))
    start = int(np.argmax(z_all))
    z = float(z_all[start]) if len(e) else 0.0
    found = bool(z >= Z_FOUND)
    y = np.roll(folded, -start)  # y[k]: the period's position k
    per_bit = np.bincount(lay.bit, weights=y * lay.pn, minlength=CARRIED_BITS)
    run_id = decode_run_id(expected[:n_tag], per_bit[n_tag:]) if found else None
    p = min(1.0, PERIOD * math.exp(-z * z / 2)) if z > 0 else 1.0
    return AudioMarkReading(found=found, z=round(z, 2), p_value=float(f"{p:.3g}"),
                            tag=TAG.decode() if found else None, run_id=run_id, payload_ok=run_id is not None,
                            seconds=round(len(wave) / RATE, 3), start=start)


def read_track(track: Audio) -> AudioMarkReading:
    """Read the mark from a decoded audio track (:func:`msi.io.audio.read_audio`'s int16 mono),
    which must be at RATE."""
    if track.sample_rate != RATE:
        raise ValueError(f"the audio mark is read at {RATE} Hz, not {track.sample_rate} Hz")
    return read_wave(track.samples.astype(np.float32) / 32768.0)


def read_video(path: str | os.PathLike) -> AudioMarkReading:
    """Read the mark from a file's first audio track (mixed to mono, resampled to RATE). Raises
    :class:`msi.io.audio.NoAudio` when it has none."""
    return read_track(read_audio(path, RATE))
