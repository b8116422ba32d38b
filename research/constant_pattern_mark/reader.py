"""PROTOTYPE, not the library's mark (that is msi/provenance/watermark.py): a constant-pattern
watermark tried as a replacement for the DWT-DCT mark and not kept (docs/generator/marking.md,
"Why the mark's effect on MSI stays", gives the measurements). Kept so that
research/marking_msi_sensitivity.py reruns. The text below is the design as written.

The invisible watermark: its layout, its payload, and how it is read (a fixed pattern, spread
spectrum with informed chips).

What the mark is. One fixed pattern per run, added to every frame alike: it changes the colour
(the BT.601 chroma U and V) and leaves the luma unchanged, it does not depend on the picture, and
it is the same in every frame. A video's motion is therefore untouched (the face tracker sees the
same luma, and nothing in the frames moves that did not move before); a mark that changes with
the picture (the DWT-DCT dither marks) adds frame-to-frame changes where the face moves, which the
tracker reads as jitter.

Where it lives. Each frame is resized to ``GRID`` x ``GRID`` pixels (area filter: a rescaled copy
is read on the same grid), its U and V planes transformed by an orthonormal 2-D DCT, and the
coefficients of order ``ORDERS`` (u + v; frequencies up to about ``ORDERS[1] / (2 GRID)`` cycles
per grid pixel, low enough to survive a half-size rescale, 4:2:0 chroma subsampling and H.264 at
crf 28) carry it: each holds ``+AMPLITUDE`` or ``-AMPLITUDE`` times its keyed sign ``s_k`` (a
chip). The writer builds the pattern once on the grid, resizes it to the frame and adds it to R, G
and B as the chroma change it is (:mod:`generator.marking.watermark`).

How it is read. The frames' grid planes are averaged (every frame carries the whole mark, so a
frame-rate change or a cut leaves whole copies of it and the picture's changes average out), one
DCT taken, and each chip's value multiplied by its sign, ``x_k = s_k c_k``. The picture's own
coefficients are large and heavy-tailed next to the mark's, so each ``x_k`` is clipped at
``T = median |x|`` (a Huber weight that depends on the magnitudes only).

Detection: the ``PILOT`` share of the chips carry the known tag ``stableface`` (its 80 bits, each
as the sign of several chips). On their clipped values ``y_k`` times the tag's sign,
``z = sum(y) / sqrt(sum(y^2))``. For an unmarked video the signs ``s_k`` are independent of the
picture, so given the magnitudes each ``y_k`` is symmetric about 0, and ``P(z >= t) <= exp(-t^2 / 2)``
(Efron, "Student's t-test under symmetry conditions", JASA 64, 1969; Hoeffding) whatever the
picture and however many frames are averaged; ``found`` is ``z >= Z_FOUND`` (6: p <= 1.5e-8).

The payload: the tag (the pilot), a 32-bit run id (the first 8 hex digits of the checkpoint's
SHA-256) and a CRC-16/CCITT of the tag and the run id: ``PAYLOAD_BITS`` = 128 as before. The run
id and the CRC (48 bits) are coded in 8 words of 6 bits by the first-order Reed-Muller code
RM(1, 5) (32 coded bits per word, minimum distance 16), whose 256 coded bits are spread over the
remaining chips (each the sign of several chips, keyed interleaving over both planes). Reading
sums each coded bit's clipped chips (soft values) and decodes each word by maximum likelihood (its
correlation with all 64 codewords, one Hadamard transform); the CRC rejects a run id read with an
error (``payload_ok``). This module only reads; :mod:`generator.marking.watermark` writes.

Why our own code: the maintained DWT-DCT library (``invisible-watermark``, used for Stable
Diffusion's outputs) depends on ``opencv-python``, a second OpenCV beside mediapipe's
``opencv-contrib-python``; its marks also change with the picture (above) and are read on the
frame's own grid, so a rescale loses them. This is written on numpy, SciPy's DCT and OpenCV's
resize.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np

#: Side of the grid every frame is resized to before the transform (the mark's own grid).
GRID = 64
#: DCT orders (u + v) of the coefficients that carry chips (inclusive range), in both U and V.
ORDERS = (3, 20)
#: Planes that carry chips (0 = Y, 1 = U, 2 = V of BT.601).
PLANES = (1, 2)
#: What the writer adds to a chip, in the orthonormal DCT of the grid's plane (8-bit levels): at
#: least AMPLITUDE in the chip's direction; more, up to CAP, where that brings the first frame's
#: chip to MARGIN (a chip that would need more is left at AMPLITUDE). See docs/generator/marking.md.
AMPLITUDE = 2.0
MARGIN = 8.0
CAP = 24.0
#: Share of the chips that carry the known tag (detection); the rest carry the coded run id.
PILOT = 0.4
TAG = b"stableface"
RUN_ID_BITS = 32
CRC_BITS = 16
PAYLOAD_BITS = 8 * len(TAG) + RUN_ID_BITS + CRC_BITS
#: Reed-Muller RM(1, RM_M): words of RM_M + 1 bits, 2 ** RM_M coded bits each.
RM_M = 5
#: Detection threshold on the z-score (p <= exp(-18) = 1.5e-8 for an unmarked video).
Z_FOUND = 6.0
#: Frames read by default (spread evenly over the video when it has more).
READ_FRAMES = 100
#: Seed of the key (signs, interleaving): public, as the mark is meant to be read by anyone.
KEY = 0x5AB1EFACE
#: BT.601 Y, U, V of RGB (rows), and its inverse (RGB of Y, U, V).
RGB_TO_YUV = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
YUV_TO_RGB = np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]])


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
    """(2^m, 2^m) matrix of (-1)^popcount(a & j): row a is RM(1, m)'s codeword of linear part a, as signs."""
    n = 1 << RM_M
    a = np.arange(n)
    parity = np.array([[bin(i & j).count("1") & 1 for j in a] for i in a])
    return 1 - 2 * parity


def rm_encode(bits: np.ndarray) -> np.ndarray:
    """RM(1, RM_M) code of a bit array whose length is a multiple of RM_M + 1: each word
    (a0, a1..am) -> 2^m coded bits a0 xor <a, j>."""
    words = np.asarray(bits, np.uint8).reshape(-1, RM_M + 1)
    lin = words[:, 1:] @ (1 << np.arange(RM_M - 1, -1, -1))
    signs = _hadamard()[lin] * (1 - 2 * words[:, :1].astype(int))
    return ((1 - signs) // 2).astype(np.uint8).ravel()


def rm_decode(soft: np.ndarray) -> np.ndarray:
    """Maximum-likelihood decoding of RM(1, RM_M) words from soft values (positive: a 0 bit)."""
    n = 1 << RM_M
    corr = np.asarray(soft, np.float64).reshape(-1, n) @ _hadamard().T
    lin = np.abs(corr).argmax(axis=1)
    a0 = (corr[np.arange(len(lin)), lin] < 0).astype(np.uint8)
    lin_bits = (lin[:, None] >> np.arange(RM_M - 1, -1, -1)) & 1
    return np.concatenate([a0[:, None], lin_bits.astype(np.uint8)], axis=1).ravel()


#: Coded bits of the run id and its CRC.
CODED_BITS = (RUN_ID_BITS + CRC_BITS) // (RM_M + 1) * (1 << RM_M)


@dataclass(frozen=True)
class Layout:
    """Where the chips go: ``plane`` (0 = U, 1 = V), ``rows``, ``cols`` index the grid's DCT,
    ``sign`` the chip's keyed sign, ``pilot`` whether it carries the tag, ``bit`` the tag bit (pilot)
    or the coded bit (the others) it carries."""

    plane: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    sign: np.ndarray
    pilot: np.ndarray
    bit: np.ndarray


@lru_cache(maxsize=1)
def layout() -> Layout:
    lo, hi = ORDERS
    pos = [(p, u, v) for p in PLANES for u in range(GRID) for v in range(GRID) if lo <= u + v <= hi]
    plane, rows, cols = (np.array(x) for x in zip(*pos))
    n = len(pos)
    n_pilot = int(round(PILOT * n))
    n_tag = 8 * len(TAG)
    rng = np.random.default_rng(KEY)
    order = rng.permutation(n)  # interleaved: a bit's chips spread over both planes and all orders
    pilot = np.zeros(n, bool)
    pilot[order[:n_pilot]] = True
    bit = np.empty(n, int)
    bit[order[:n_pilot]] = np.arange(n_pilot) % n_tag
    bit[order[n_pilot:]] = np.arange(n - n_pilot) % CODED_BITS
    sign = rng.choice([-1.0, 1.0], n)
    return Layout(plane, rows, cols, sign, pilot, bit)


def chip_bits(run_id: str) -> np.ndarray:
    """Per chip of :func:`layout`, the bit (0 / 1) it carries for a run id."""
    lay = layout()
    bits = payload_bits(run_id)
    n_tag = 8 * len(TAG)
    coded = rm_encode(bits[n_tag:])
    return np.where(lay.pilot, bits[:n_tag][np.minimum(lay.bit, n_tag - 1)], coded[lay.bit])


def grid_planes(frame: np.ndarray) -> np.ndarray:
    """(3, GRID, GRID) float64: the Y, U and V planes of an RGB uint8 frame (H, W, 3) on the mark's
    grid (area filter down, bicubic up); a gray frame (H, W) has U = V = 0."""
    import cv2

    f = np.asarray(frame, np.float32)
    h, w = f.shape[:2]
    interp = cv2.INTER_AREA if min(h, w) > GRID else cv2.INTER_CUBIC
    small = cv2.resize(f, (GRID, GRID), interpolation=interp).astype(np.float64)
    if small.ndim == 2:
        return np.stack([small, np.zeros_like(small), np.zeros_like(small)])
    return np.einsum("cr,hwr->chw", RGB_TO_YUV, small)


def dct2(planes: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Orthonormal 2-D DCT-II of each plane of a (P, GRID, GRID) stack (or its inverse)."""
    from scipy.fft import dctn, idctn

    return (idctn if inverse else dctn)(planes, axes=(-2, -1), norm="ortho")


def coefficients(planes: np.ndarray) -> np.ndarray:
    """The chip coefficients of (3, GRID, GRID) Y, U, V planes, in :func:`layout` order."""
    lay = layout()
    return dct2(planes)[lay.plane, lay.rows, lay.cols]


def soft_values(coefs: np.ndarray) -> np.ndarray:
    """Per chip: its coefficient times its sign, clipped at its plane's median magnitude and
    divided by it (positive reads a 0 bit, negative a 1 bit; symmetric about 0 when unmarked)."""
    lay = layout()
    x = coefs * lay.sign
    out = np.zeros_like(x)
    for p in PLANES:
        on = lay.plane == p
        t = float(np.median(np.abs(x[on])))
        if t > 0:
            out[on] = np.clip(x[on], -t, t) / t
    return out


@dataclass(frozen=True)
class WatermarkReading:
    """What reading a video's frames found. ``z``: the detection score (about standard normal for
    an unmarked video); ``p_value``: a bound on its tail for an unmarked video; ``found``:
    z >= Z_FOUND; ``tag``: "stableface" when found; ``run_id``: the run id when its CRC holds
    (``payload_ok``), else None."""

    found: bool
    z: float
    p_value: float
    tag: str | None
    run_id: str | None
    payload_ok: bool
    frames: int

    def to_dict(self) -> dict:
        return asdict(self)


def read_planes(planes_sum: np.ndarray, frames: int) -> WatermarkReading:
    """The reading from the grid planes (:func:`grid_planes`) summed over ``frames`` frames."""
    lay = layout()
    y = soft_values(coefficients(planes_sum / max(frames, 1)))
    n_tag = 8 * len(TAG)
    tag_bits = _bits(TAG)
    x = y[lay.pilot] * (1.0 - 2.0 * tag_bits[lay.bit[lay.pilot]])
    norm = math.sqrt(float((x * x).sum()))
    z = float(x.sum() / norm) if frames and norm > 0 else 0.0
    coded = np.bincount(lay.bit[~lay.pilot], weights=y[~lay.pilot], minlength=CODED_BITS)
    bits = np.concatenate([tag_bits, rm_decode(coded)])
    tag, run_id, ok = parse_payload(bits)
    p = math.exp(-z * z / 2) if z > 0 else 1.0  # Efron's bound on a self-normalized symmetric sum
    found = bool(frames and z >= Z_FOUND)
    ok = found and ok
    return WatermarkReading(found=found, z=round(z, 2), p_value=float(f"{p:.3g}"), tag=TAG.decode() if found else None,
                            run_id=run_id if ok else None, payload_ok=ok, frames=frames)


def read_frames(frames: Iterable[np.ndarray]) -> WatermarkReading:
    """Read the mark from RGB frames (any size; every frame carries the whole mark)."""
    total = np.zeros((3, GRID, GRID))
    n = 0
    for f in frames:
        total += grid_planes(f)
        n += 1
    return read_planes(total, n)


def read_video(path: str | os.PathLike, max_frames: int = READ_FRAMES, spread: bool = True) -> WatermarkReading:
    """Read the mark from a video file: up to ``max_frames`` frames, spread over the whole video
    (which is then decoded whole) or, with ``spread=False``, its first ones (decoding stops
    there). Frames are decoded at most at four times the grid's side, which the reading resizes to anyway."""
    from itertools import islice

    from msi.io.video import iter_frames, probe

    n = probe(path).n_frames if spread else 0
    stride = max(1, -(-n // max_frames)) if n > 0 else 1
    frames = iter_frames(path, max_side=4 * GRID)
    return read_frames(islice(islice(frames, 0, None, stride), max_frames))


def checkpoint_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file (hex), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
