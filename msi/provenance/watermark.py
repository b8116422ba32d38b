"""The invisible watermark: its layout, its payload, and how it is read (DWT-DCT with dither QIM).

Where the mark lives. Each frame's luma is resized to ``CANONICAL`` x ``CANONICAL`` pixels (so a
rescaled copy is read on the same grid), transformed by a two-level 2-D wavelet transform
(``WAVELET``, periodic borders), and the level-2 approximation band (64 x 64: the lowest quarter of
each axis's frequencies, which survives a half-size rescale and H.264) is transformed by an
orthonormal 2-D DCT over the whole band (``BLOCK`` = 64: one block; 8 x 8 blocks left a visible
32-pixel grid in the picture), whose 589 coefficients of order ``ORDERS`` (3 <= u + v <= 33, up
to about 0.065 cycles per pixel of the 256 grid) carry the bits. Every frame carries the whole
payload, so a frame-rate conversion or a cut leaves whole copies of it; reading averages the frames.

How a bit is written (dither quantization index modulation, Chen & Wornell, IEEE Trans. IT 47(4),
2001): coefficient ``c`` carrying bit ``b`` is moved to the nearest point of the lattice
``d + b * STEP / 2 + STEP * Z``, ``d`` a keyed dither in [0, STEP). Reading takes
``s = cos(2 pi (c - d) / STEP)``: +1 on a 0-lattice, -1 on a 1-lattice, and for an unmarked frame
a value of mean 0 and variance 1/2 whatever the picture is (the dither is uniform and independent
of the content), which makes the detection score a z-score with a known null distribution.

The payload (``PAYLOAD_BITS`` = 128): the ASCII tag ``stableface`` (80 bits), a 32-bit run id
(the first 8 hex digits of the checkpoint's SHA-256), and a CRC-16/CCITT of both. ``PILOT``
(35 %) of the coefficients carry the tag (a known pilot: about 2.6 copies of each of its bits per
frame). The run id and the CRC (48 bits) are coded in 8 words of 6 bits by the first-order
Reed-Muller code RM(1, 5) (32 coded bits per word, minimum distance 16: a coding gain of up to
10 log10(6/32 * 16) = 4.8 dB over repeating each bit as often), and the 256 coded bits carried by
the other 65 % (about 1.5 copies each per frame; with half and half, the run id of 1 of 10 corpus
clips was lost after half size + crf 28). The copies are spread over the band by a keyed interleaving; each
carried bit is read from the sum of its copies' soft values over all frames read, each word decoded
by maximum likelihood (its correlation with all 64 codewords: one Hadamard transform), and the CRC
rejects a run id read with an error.

Detection: on the frame-averaged soft values ``x_k`` of the tag's coefficients, each multiplied by
+1 / -1 by the tag's bit, ``z = sum(x) / sqrt(sum(x^2))``. For an unmarked video each ``x_k`` is
symmetric about 0 and independent of the others (the dithers are), so ``P(z >= t) <= exp(-t^2 / 2)``
(Efron, "Student's t-test under symmetry conditions", JASA 64, 1969) whatever the picture and
however many frames are averaged; ``found`` is ``z >= Z_FOUND`` (6: p <= 1.5e-8), and the run id
is reported only when its CRC holds (``payload_ok``). This module only reads;
:mod:`generator.marking.watermark` writes.

Why our own code: the maintained DWT-DCT library (``invisible-watermark``, used for Stable
Diffusion's outputs) depends on ``opencv-python``, a second OpenCV beside mediapipe's
``opencv-contrib-python``; its marks are also read on the frame's own grid, so a rescale loses
them. This is written on PyWavelets and numpy.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np

#: Side of the grid every frame's luma is resized to before the transform (the mark's own grid).
CANONICAL = 256
WAVELET = "db4"
LEVELS = 2
BLOCK = 64
#: DCT orders (u + v) of the coefficients that carry bits (inclusive range).
ORDERS = (3, 33)
#: Quantization step of the dither QIM, in units of the level-2 band's coefficients (which are
#: 4 x the pixel scale for an orthonormal wavelet): see docs/generator/marking.md for its cost.
STEP = 128.0
TAG = b"stableface"
RUN_ID_BITS = 32
CRC_BITS = 16
PAYLOAD_BITS = 8 * len(TAG) + RUN_ID_BITS + CRC_BITS
#: Share of the carrying coefficients that carry the tag (the pilot the detection correlates with).
PILOT = 0.35
#: Reed-Muller RM(1, RM_M) for the run id and its CRC: words of RM_M + 1 bits, 2 ** RM_M coded bits each.
RM_M = 5
#: Bits the coefficients carry: the tag's, then the coded run id's and CRC's.
CARRIED_BITS = 8 * len(TAG) + (RUN_ID_BITS + CRC_BITS) // (RM_M + 1) * (1 << RM_M)
#: Detection threshold on the z-score (p <= exp(-18) = 1.5e-8 for an unmarked video).
Z_FOUND = 6.0
#: Frames read by default (spread evenly over the video when it has more).
READ_FRAMES = 100
#: Seed of the key (dither, interleaving): public, as the mark is meant to be read by anyone.
KEY = 0x5AB1EFACE


def crc16(bits: np.ndarray) -> np.ndarray:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of a bit array, as 16 bits, MSB first."""
    reg = 0xFFFF
    for b in np.asarray(bits, np.uint8):
        top = ((reg >> 15) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFF
        if top:
            reg ^= 0x1021
    return np.array([(reg >> (15 - i)) & 1 for i in range(16)], np.uint8)


def run_id_of(checkpoint_sha256: str) -> str:
    """The 8 hex digits (32 bits) of a run's checkpoint hash that the mark carries."""
    return checkpoint_sha256[:RUN_ID_BITS // 4].lower()


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, np.uint8))


def payload_bits(run_id: str) -> np.ndarray:
    """The 128 payload bits for a run id of 8 hex digits: tag, run id, CRC-16 of both."""
    if len(run_id) != RUN_ID_BITS // 4 or any(c not in "0123456789abcdef" for c in run_id.lower()):
        raise ValueError(f"run id {run_id!r} is not {RUN_ID_BITS // 4} hex digits")
    body = np.concatenate([_bits(TAG), _bits(bytes.fromhex(run_id))])
    return np.concatenate([body, crc16(body)])


def parse_payload(bits: np.ndarray) -> tuple[str, str, bool]:
    """(tag text, run id hex, CRC valid) of 128 read bits."""
    bits = np.asarray(bits, np.uint8)
    n_tag = 8 * len(TAG)
    tag = np.packbits(bits[:n_tag]).tobytes().decode("latin-1")
    run = np.packbits(bits[n_tag:n_tag + RUN_ID_BITS]).tobytes().hex()
    ok = bool(np.array_equal(crc16(bits[:n_tag + RUN_ID_BITS]), bits[n_tag + RUN_ID_BITS:]))
    return tag, run, ok


@lru_cache(maxsize=1)
def _hadamard() -> np.ndarray:
    """(2^m, 2^m) signs (-1)^popcount(a & j): row a is RM(1, m)'s codeword of linear part a."""
    a = np.arange(1 << RM_M)
    parity = np.array([[bin(i & j).count("1") & 1 for j in a] for i in a])
    return 1 - 2 * parity


def rm_encode(bits: np.ndarray) -> np.ndarray:
    """RM(1, RM_M) code of a bit array whose length is a multiple of RM_M + 1: each word
    (a0, a1..am) -> the 2^m bits a0 xor <a, j>, j = 0 .. 2^m - 1."""
    words = np.asarray(bits, np.uint8).reshape(-1, RM_M + 1)
    lin = words[:, 1:].astype(int) @ (1 << np.arange(RM_M - 1, -1, -1))
    signs = _hadamard()[lin] * (1 - 2 * words[:, :1].astype(int))
    return ((1 - signs) // 2).astype(np.uint8).ravel()


def rm_decode(soft: np.ndarray) -> np.ndarray:
    """Maximum-likelihood decoding of RM(1, RM_M) words from soft values (positive: a 0 bit)."""
    corr = np.asarray(soft, np.float64).reshape(-1, 1 << RM_M) @ _hadamard().T
    lin = np.abs(corr).argmax(axis=1)
    a0 = (corr[np.arange(len(lin)), lin] < 0).astype(np.uint8)
    lin_bits = ((lin[:, None] >> np.arange(RM_M - 1, -1, -1)) & 1).astype(np.uint8)
    return np.concatenate([a0[:, None], lin_bits], axis=1).ravel()


def carried_bits(payload: np.ndarray) -> np.ndarray:
    """The CARRIED_BITS bits the coefficients carry for 128 payload bits: the tag, then the run id
    and CRC in RM(1, RM_M) code."""
    n_tag = 8 * len(TAG)
    return np.concatenate([np.asarray(payload[:n_tag], np.uint8), rm_encode(payload[n_tag:])])


@dataclass(frozen=True)
class Layout:
    """Where the bits go: ``rows``, ``cols`` index the 64 x 64 band's DCT-of-blocks array, ``bit``
    the carried bit (:func:`carried_bits`) each coefficient carries, ``dither`` its lattice offset."""

    rows: np.ndarray
    cols: np.ndarray
    bit: np.ndarray
    dither: np.ndarray


@lru_cache(maxsize=1)
def layout() -> Layout:
    band = CANONICAL >> LEVELS
    lo, hi = ORDERS
    pos = [(u, v) for u in range(BLOCK) for v in range(BLOCK) if lo <= u + v <= hi]
    rows, cols = [], []
    for by in range(0, band, BLOCK):
        for bx in range(0, band, BLOCK):
            for u, v in pos:
                rows.append(by + u)
                cols.append(bx + v)
    n = len(rows)
    n_tag = 8 * len(TAG)
    pilot = int(round(PILOT * n))  # the known tag (detection); the others the coded run id and CRC
    word = np.concatenate([np.arange(pilot) % n_tag, n_tag + np.arange(n - pilot) % (CARRIED_BITS - n_tag)])
    rng = np.random.default_rng(KEY)
    bit = rng.permutation(word)  # interleaved: a bit's copies spread over the frame
    dither = rng.uniform(0, STEP, n)
    return Layout(np.array(rows), np.array(cols), bit, dither)


def luma(frame: np.ndarray) -> np.ndarray:
    """BT.601 luma (float32) of an RGB uint8 frame (H, W, 3), or the frame itself if gray."""
    f = np.asarray(frame, np.float32)
    if f.ndim == 2:
        return f
    return f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114


def to_canonical(y: np.ndarray) -> np.ndarray:
    """A luma plane resized to CANONICAL x CANONICAL (area filter down, bicubic up)."""
    import cv2

    if y.shape == (CANONICAL, CANONICAL):
        return y
    interp = cv2.INTER_AREA if min(y.shape) > CANONICAL else cv2.INTER_CUBIC
    return cv2.resize(y, (CANONICAL, CANONICAL), interpolation=interp)


def block_dct(band: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Orthonormal 2-D DCT-II of each BLOCK x BLOCK block of a square band (or its inverse)."""
    from scipy.fft import dctn, idctn

    n = band.shape[0] // BLOCK
    blocks = band.reshape(n, BLOCK, n, BLOCK).transpose(0, 2, 1, 3)
    out = (idctn if inverse else dctn)(blocks, axes=(2, 3), norm="ortho")
    return out.transpose(0, 2, 1, 3).reshape(band.shape)


def analysis(y_canonical: np.ndarray):
    """The wavelet coefficients of a canonical luma plane (pywt.wavedec2 list)."""
    import pywt

    return pywt.wavedec2(np.asarray(y_canonical, np.float64), WAVELET, mode="periodization", level=LEVELS)


def coefficients(frame: np.ndarray) -> np.ndarray:
    """The mark-carrying coefficients of one frame, in :func:`layout` order."""
    lay = layout()
    band = analysis(to_canonical(luma(frame)))[0]
    return block_dct(band)[lay.rows, lay.cols]


def soft_values(coefs: np.ndarray) -> np.ndarray:
    """Per coefficient: +1 on a 0-bit lattice point, -1 on a 1-bit one, mean 0 when unmarked."""
    return np.cos(2 * np.pi * (coefs - layout().dither) / STEP)


@dataclass(frozen=True)
class MarkReading:
    """What reading a mark found (the frame watermark's and the audio mark's readings share it).
    ``z``: the detection score; ``p_value``: a bound on its tail for an unmarked input; ``found``:
    z >= the mark's threshold; ``tag``: "stableface" when found; ``run_id``: the run id when its
    CRC holds (``payload_ok``), else None."""

    found: bool
    z: float
    p_value: float
    tag: str | None
    run_id: str | None
    payload_ok: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class WatermarkReading(MarkReading):
    """What reading a video's frames found (``z`` about standard normal for an unmarked video),
    over ``frames`` frames."""

    frames: int


def read_soft(soft_sum: np.ndarray, frames: int) -> WatermarkReading:
    """The reading from the soft values summed over ``frames`` frames."""
    lay = layout()
    mean = soft_sum / max(frames, 1)
    expected = payload_bits("0" * (RUN_ID_BITS // 4))  # the tag part is what is known in advance
    n_tag = 8 * len(TAG)
    on_tag = lay.bit < n_tag
    sign = 1.0 - 2.0 * expected[lay.bit[on_tag]]
    x = mean[on_tag] * sign
    norm = math.sqrt(float((x * x).sum()))
    z = float(x.sum() / norm) if frames and norm > 0 else 0.0
    per_bit = np.bincount(lay.bit, weights=mean, minlength=CARRIED_BITS)
    # The tag is the pilot: its presence is what z measures (a far stronger test than reading its 80
    # bits one by one, which fails on copies where z is still 10), so the CRC checks the run id
    # against the known tag.
    bits = np.concatenate([expected[:n_tag], rm_decode(per_bit[n_tag:])])
    _, run_id, ok = parse_payload(bits)
    p = math.exp(-z * z / 2) if z > 0 else 1.0  # Efron's bound on a self-normalized symmetric sum
    found = bool(frames and z >= Z_FOUND)
    ok = found and ok
    return WatermarkReading(found=found, z=round(z, 2), p_value=float(f"{p:.3g}"), tag=TAG.decode() if found else None,
                            run_id=run_id if ok else None, payload_ok=ok, frames=frames)


def read_frames(frames: Iterable[np.ndarray]) -> WatermarkReading:
    """Read the mark from RGB frames (any size; every frame carries the whole payload)."""
    total = np.zeros(len(layout().bit))
    n = 0
    for f in frames:
        total += soft_values(coefficients(f))
        n += 1
    return read_soft(total, n)


def read_video(path: str | os.PathLike, max_frames: int = READ_FRAMES, spread: bool = True) -> WatermarkReading:
    """Read the mark from a video file: up to ``max_frames`` frames, spread over the whole video
    (which is then decoded whole) or, with ``spread=False``, its first ones (decoding stops
    there). Frames are decoded at most at twice the canonical side, which the reading resizes to anyway."""
    from msi.io.video import probe, sample_frames

    n = probe(path).n_frames if spread else 0
    stride = max(1, -(-n // max_frames)) if n > 0 else 1
    return read_frames(sample_frames(path, max_frames, stride, max_side=2 * CANONICAL))


def checkpoint_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file (hex), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
