"""A prototype watermark in a video's speech track (not part of the library; see README.md).

Scheme: additive direct-sequence spread spectrum, shaped under the speech by linear prediction.
Why this one: a multiplicative mark on the short-time spectrum (tried first, +-1-2 dB per 64 ms x
187 Hz cell) drowns in the speech's own cell-to-cell variation (1.8 nats after detrending: z <= 4
on 6 s even unprocessed); echo hiding is weak under AAC and its cepstral detector has no clean
null distribution. Here each 20 ms frame of mono speech at ``RATE`` gets a keyed +-1 sequence
filtered by the frame's LPC envelope (order ``ORDER``) and scaled to ``SNR_DB`` below the frame's
own power: nothing in silence, more under loud vowels, the speech's spectral shape (a simple
masking model). The reader whitens the received audio with its own LPC (the envelope is the
speech's, so the mark comes out about white at -SNR_DB of the residual), scales the residual to
unit power over every 2 ms (``LOCAL``), and correlates it with the sequence.

Payload: the video mark's (msi.provenance.watermark): the tag "stableface" (80 bits, the pilot)
and the 32-bit run id + CRC-16 in RM(1, 5) code (256 bits). One period of ``PERIOD`` samples
(1.024 s) is cut into cells of ``CELL`` samples, each carrying one bit (``PILOT`` of them the tag),
interleaved by a key; the period repeats end to end, so any stretch >= 1 s holds every cell
whatever was cut from the start.

Reading: the scaled residual is folded modulo the period; every one of the ``PERIOD`` circular
shifts is a candidate start (one FFT). Detection at the best shift:
``z = sum(s_k y_k) / sqrt(sum(y_k^2))`` over the pilot samples, ``s_k`` the expected chip. For
audio not marked with this key the chips are independent fair signs given the audio, so one
shift gives ``P(z >= t) <= exp(-t^2 / 2)`` (Hoeffding, conditionally on y) and the best of
``PERIOD`` shifts ``PERIOD * exp(-t^2 / 2)`` (union bound): ``Z_FOUND`` = 7.55 gives 7.5e-9 <= 1e-8.
The run id is then decoded word by word (maximum likelihood) with a short CRC-aided list
(``LIST_WORDS``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from scipy.linalg import solve_toeplitz
from scipy.ndimage import uniform_filter1d
from scipy.signal import lfilter

from msi.provenance.watermark import (
    CARRIED_BITS,
    RM_M,
    RUN_ID_BITS,
    TAG,
    carried_bits,
    parse_payload,
    payload_bits,
    rm_encode,
)

RATE = 16000
FRAME = 320  # 20 ms: LPC and gain are set per frame
ORDER = 16
SNR_DB = 20.0  # mark power below each frame's speech power
PERIOD = 16384  # samples per period (1.024 s)
CELL = 32  # samples per cell: 512 cells per period carry the 336 carried bits
HOLD = 1  # samples per chip
PILOT = 0.35
LOCAL = 33  # samples (2 ms) over which the reader scales the residual
Z_FOUND = 7.55  # PERIOD * exp(-Z_FOUND^2 / 2) = 7.5e-9
KEY = 0x5AB1EFACE + 1  # a key of its own, not the video mark's
LIST_WORDS = 2  # the least reliable RM words also tried at their second-best codeword (CRC-aided)


@dataclass(frozen=True)
class Layout:
    bit: np.ndarray  # (PERIOD,) carried bit of each sample's cell
    pn: np.ndarray  # (PERIOD,) keyed +-1 per sample


@lru_cache(maxsize=1)
def layout() -> Layout:
    n = PERIOD // CELL
    n_tag = 8 * len(TAG)
    pilot = int(round(PILOT * n))
    word = np.concatenate([np.arange(pilot) % n_tag, n_tag + np.arange(n - pilot) % (CARRIED_BITS - n_tag)])
    rng = np.random.default_rng(KEY)
    bit = np.repeat(rng.permutation(word), CELL)
    pn = np.repeat(1 - 2 * rng.integers(0, 2, size=PERIOD // HOLD), HOLD).astype(np.float64)
    return Layout(bit, pn)


def chips(run_id: str) -> np.ndarray:
    """(PERIOD,) +-1 chip of each sample of a period for a run id."""
    lay = layout()
    return lay.pn * (1.0 - 2.0 * carried_bits(payload_bits(run_id))[lay.bit])


def _lpc(frame: np.ndarray) -> np.ndarray | None:
    """A(z) coefficients [1, a1..aORDER] of a frame (autocorrelation method), None if silent."""
    x = frame * np.hanning(len(frame))
    r = np.correlate(x, x, "full")[len(x) - 1:len(x) + ORDER]
    if r[0] <= 1e-10:
        return None
    r[0] *= 1.0 + 1e-4  # a little white noise: keeps the system well conditioned
    a = solve_toeplitz(r[:ORDER], -r[1:ORDER + 1])
    return np.concatenate([[1.0], a])


def embed(wave: np.ndarray, run_id: str, snr_db: float = SNR_DB) -> np.ndarray:
    """The marked copy of mono float speech at RATE (same length, clipped to [-1, 1])."""
    x = np.asarray(wave, np.float64)
    c = chips(run_id)
    w = c[np.arange(len(x)) % PERIOD]
    mark = np.zeros_like(x)
    gains = np.zeros(len(x) // FRAME + 1)
    zi = np.zeros(ORDER)
    for i, a0 in enumerate(range(0, len(x), FRAME)):
        seg = x[a0:a0 + FRAME]
        a = _lpc(x[max(0, a0 - FRAME // 2):a0 + FRAME + FRAME // 2])
        if a is None:
            zi = np.zeros(ORDER)
            continue
        shaped, zi = lfilter([1.0], a, w[a0:a0 + FRAME], zi=zi)
        p = float((shaped ** 2).mean())
        gains[i] = math.sqrt(float((seg ** 2).mean()) * 10 ** (-snr_db / 10) / p) if p > 0 else 0.0
        mark[a0:a0 + FRAME] = shaped
    # gain interpolated sample by sample between frame centres: no steps at frame edges
    centres = np.arange(len(gains)) * FRAME + FRAME / 2
    mark *= np.interp(np.arange(len(x)), centres, gains)
    return np.clip(x + mark, -1.0, 1.0).astype(np.float32)


def whitened(wave: np.ndarray) -> np.ndarray:
    """LPC residual of each frame (the frame's own predictor), scaled to unit local power."""
    x = np.asarray(wave, np.float64)
    out = np.zeros_like(x)
    for a0 in range(0, len(x), FRAME):
        a = _lpc(x[max(0, a0 - FRAME // 2):a0 + FRAME + FRAME // 2])
        if a is None:
            continue
        ctx = x[max(0, a0 - ORDER):a0 + FRAME]
        e = lfilter(a, [1.0], ctx)[a0 - max(0, a0 - ORDER):]
        out[a0:a0 + len(e)] = e
    # Each sample divided by the residual's RMS over LOCAL samples around it: the pitch pulses of
    # voiced speech (the residual's loudest part, where the mark is a small share) count less;
    # +10-15 % z over a per-frame scale on re-encoded copies. A function of the audio only, so
    # the null bound holds.
    local = np.sqrt(np.maximum(uniform_filter1d(out * out, LOCAL), 0.0))
    return np.where(local > 0, out / np.maximum(local, 1e-12), 0.0)


@lru_cache(maxsize=1)
def _codebook() -> tuple[np.ndarray, np.ndarray]:
    """RM(1, RM_M)'s 2^(RM_M+1) words (bits) and their codewords as +-1 (positive: a 0 bit)."""
    n = 1 << (RM_M + 1)
    words = ((np.arange(n)[:, None] >> np.arange(RM_M, -1, -1)) & 1).astype(np.uint8)
    return words, 1.0 - 2.0 * rm_encode(words.ravel()).reshape(n, 1 << RM_M)


def decode_run_id(tag_bits: np.ndarray, soft: np.ndarray) -> str | None:
    """The run id whose CRC holds: the maximum-likelihood word of each RM code word first, then
    the LIST_WORDS least reliable words (smallest margin to their runner-up) swapped for their
    runner-up, 2^LIST_WORDS candidates in all (a wrong run id passes the CRC with chance
    <= 2^LIST_WORDS / 2^16 = 6e-5)."""
    words, signs = _codebook()
    score = soft.reshape(-1, 1 << RM_M) @ signs.T
    order = np.argsort(-score, axis=1)
    margin = score[np.arange(len(score)), order[:, 0]] - score[np.arange(len(score)), order[:, 1]]
    weak = np.argsort(margin)[:LIST_WORDS]
    for k in range(1 << LIST_WORDS):
        pick = order[:, 0].copy()
        for i, w in enumerate(weak):
            if k >> i & 1:
                pick[w] = order[w, 1]
        _, rid, ok = parse_payload(np.concatenate([tag_bits, words[pick].ravel()]))
        if ok:
            return rid
    return None


@dataclass(frozen=True)
class AudioMarkReading:
    found: bool
    z: float
    p_bound: float  # PERIOD * exp(-z^2 / 2): bound on the chance of this z for unmarked audio
    run_id: str | None
    payload_ok: bool
    seconds: float
    start: int  # sample of the received audio where the period starts (mod PERIOD)

    def to_dict(self) -> dict:
        return asdict(self)


def read(wave: np.ndarray) -> AudioMarkReading:
    """Search every start (mod PERIOD), score the pilot, decode the run id at the best one."""
    lay = layout()
    n_tag = 8 * len(TAG)
    expected = payload_bits("0" * (RUN_ID_BITS // 4))
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
    z = float(z_all[start])
    found = bool(z >= Z_FOUND)
    y = np.roll(folded, -start)  # y[k] = the period's position k
    per_bit = np.bincount(lay.bit, weights=y * lay.pn, minlength=CARRIED_BITS)
    rid = decode_run_id(expected[:n_tag], per_bit[n_tag:]) if found else None
    ok = rid is not None
    p = min(1.0, PERIOD * math.exp(-z * z / 2)) if z > 0 else 1.0
    return AudioMarkReading(found, round(z, 2), float(f"{p:.3g}"), rid if ok else None, ok,
                            round(len(wave) / RATE, 3), start)


def snr_db(clean: np.ndarray, marked: np.ndarray) -> tuple[float, float]:
    """(SNR, segmental SNR) of the mark in dB: segments of 20 ms, those within 40 dB of the
    loudest, each clipped to [-10, 35] dB (the usual segmental SNR)."""
    x = np.asarray(clean, np.float64)
    e = np.asarray(marked, np.float64) - x
    snr = 10 * math.log10((x ** 2).sum() / max((e ** 2).sum(), 1e-30))
    n = len(x) // FRAME
    px = (x[:n * FRAME].reshape(n, FRAME) ** 2).sum(1)
    pe = (e[:n * FRAME].reshape(n, FRAME) ** 2).sum(1)
    keep = px >= px.max() * 1e-4
    s = np.clip(10 * np.log10(px[keep] / np.maximum(pe[keep], 1e-30)), -10, 35)
    return round(snr, 2), round(float(s.mean()), 2)
