"""WER: the word error rate of a lip reader on the generated mouth, StableFace's Table II column
(LipNet on GRID; Assael et al. 2016, arXiv:1611.01599), as LipNet-PyTorch measures it.

    WER = (S + D + I) / N

the word-level Levenshtein distance between the decoded sentence and the transcript (S
substitutions, D deletions, I insertions) over the transcript's N words (LipNet-PyTorch's
``MyDataset.wer``: ``editdistance.eval`` on word lists). Per video; per method the mean over
videos with its interval, as every per-video column.

The pipeline, each step a pure function here:

1. :func:`mouth_crop`: LipNet-PyTorch's crop (``scripts/extract_lip.py``, ``demo.py``). The 51
   iBUG-68 points 17–67 (brows, nose, eyes, mouth) are mapped onto :data:`TEMPLATE` (its
   ``get_position(256)``: a mean face with 25% padding on a 256 × 256 canvas) by the least-squares
   similarity of :func:`procrustes` (its ``transformation_from_points``); the frame is warped to
   256 × 256 (``cv2.warpAffine``, bilinear, black border), a 160 × 80 box is cut around the
   template's mouth centre, and resized to 128 × 64 with Lanczos (its ``dataset.py``).
   Our tracker's MediaPipe mesh gives the 51 points through :data:`MP_IBUG51`.
2. :mod:`msi.networks.lipnet`: class scores per frame (BGR input, at 25 fps).
3. :func:`ctc_greedy`: LipNet-PyTorch's ``ctc_arr2txt``: the best class per frame, repeats
   merged, blanks dropped, double spaces merged, stripped.
4. :func:`wer` against the transcript (:func:`normalise_transcript`).
"""
from __future__ import annotations

import csv
import functools
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from msi.errors import UsageError
from msi.metrics.column import Column, Metric

#: LipNet-PyTorch's ``get_position`` mean face (x, y in [0, 1] before padding): iBUG-68 points 17-67.
_TX = (0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
       0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
       0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
       0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
       0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
       0.42689)
_TY = (0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915,
       0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326,
       0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423,
       0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
       0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182,
       0.831803, 0.824182)
CANVAS = 256
PADDING = 0.25
#: The template on the 256 × 256 canvas: (51, 2) pixels.
TEMPLATE = ((np.stack([_TX, _TY], 1) + PADDING) / (2 * PADDING + 1)) * CANVAS
#: The box cut around the template's mouth centre (the mean of its last 20 points), then resized.
BOX_W, BOX_H = 160, 80
OUT_W, OUT_H = 128, 64
#: MediaPipe mesh indices of iBUG-68 points 17-67 (brows 17-26, nose 27-35, eyes 36-47, outer
#: lips 48-59, inner lips 60-67), the widely used MediaPipe -> 68-point correspondence.
MP_IBUG51 = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
             168, 197, 5, 4, 75, 97, 2, 326, 305,
             33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
             61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
             78, 82, 13, 312, 308, 317, 14, 87)
#: The 51 points per landmark scheme.
POINTS = {"mediapipe478": MP_IBUG51, "ibug68": tuple(range(17, 68))}
#: The lip reader's letters: CTC class 1 + i is VOCABULARY[i], class 0 the blank.
VOCABULARY = " ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Transcript files looked for beside a video (and in a transcripts folder): plain text, GRID's
#: ``.align`` (``start end word`` lines; ``sil``/``sp`` dropped, as LipNet-PyTorch reads them).
SIDECARS = (".txt", ".align")


# ----------------------------------------------------------------------------- the crop


def procrustes(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """2 × 3 similarity s·R·p + t taking ``points`` (N, 2) onto ``target`` (N, 2) in the least-
    squares sense, as ``transformation_from_points``: both centred, each divided by the standard
    deviation of all its coordinates, R = (U Vᵀ)ᵀ from the SVD of P₁ᵀP₂, s = σ₂/σ₁ (no check for
    a reflection, as there)."""
    p1 = np.asarray(points, np.float64)
    p2 = np.asarray(target, np.float64)
    c1, c2 = p1.mean(0), p2.mean(0)
    q1, q2 = p1 - c1, p2 - c2
    s1, s2 = q1.std(), q2.std()
    u, _, vt = np.linalg.svd((q1 / s1).T @ (q2 / s2))
    r = (u @ vt).T
    return np.hstack([(s2 / s1) * r, (c2 - (s2 / s1) * r @ c1)[:, None]])


def mouth_crop(frame: np.ndarray, points51: np.ndarray) -> np.ndarray:
    """LipNet's 128 × 64 mouth crop (64, 128, C) of ``frame`` given its 51 iBUG points 17-67."""
    import cv2

    m = procrustes(points51, TEMPLATE)
    face = cv2.warpAffine(np.ascontiguousarray(frame), m, (CANVAS, CANVAS))
    x, y = TEMPLATE[-20:].mean(0).astype(np.int32)
    box = face[y - BOX_H // 2:y + BOX_H // 2, x - BOX_W // 2:x + BOX_W // 2]
    return cv2.resize(box, (OUT_W, OUT_H), interpolation=cv2.INTER_LANCZOS4)


# ----------------------------------------------------------------------------- decoding and WER


def ctc_greedy(scores: np.ndarray, vocabulary: str = VOCABULARY) -> str:
    """Best path of per-frame class scores (T, 1 + len(vocabulary)), class 0 the blank: repeats
    merged, blanks dropped, a space after a space dropped, the ends stripped."""
    best = np.asarray(scores).argmax(-1)
    out: list[str] = []
    prev = -1
    for n in best:
        n = int(n)
        if n != prev and n >= 1:
            ch = vocabulary[n - 1]
            if not (ch == " " and out and out[-1] == " "):
                out.append(ch)
        prev = n
    return "".join(out).strip()


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance of two sequences (unit costs)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def wer(hypothesis: str, reference: str) -> float:
    """Word error rate: word-level edit distance / the reference's word count (NaN for none)."""
    ref = reference.split()
    return edit_distance(hypothesis.split(), ref) / len(ref) if ref else math.nan


def normalise_transcript(text: str) -> str:
    """Upper case, only the lip reader's letters and single spaces (LipNet reads A-Z and space)."""
    kept = "".join(c if c.isalpha() or c.isspace() else "" for c in text.upper())
    return " ".join("".join(c for c in w if "A" <= c <= "Z") for w in kept.split()).strip()


# ----------------------------------------------------------------------------- transcripts


def read_transcript_file(path: str | os.PathLike) -> str:
    """A ``.txt`` (the sentence) or GRID ``.align`` file (``start end word`` lines) as text."""
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    if p.suffix == ".align":
        words = [ln.split()[2] for ln in text.splitlines() if len(ln.split()) >= 3]
        text = " ".join(w for w in words if w.lower() not in ("sil", "sp"))
    return normalise_transcript(text)


@functools.lru_cache(maxsize=4)
def read_transcripts(source: str) -> dict[str, str]:
    """{name: transcript} from a CSV (columns ``name`` and ``transcript``; the name as videos pair
    up: the path relative to the method's folder, without the extension) or a folder of
    ``NAME.txt`` / ``NAME.align`` files. :class:`UsageError` for anything else."""
    p = Path(source)
    if p.is_dir():
        out = {}
        for f in sorted(p.rglob("*")):
            if f.suffix in SIDECARS and f.is_file():
                out.setdefault(str(f.relative_to(p).with_suffix("")), read_transcript_file(f))
        return out
    if not p.is_file():
        raise UsageError(f"{p}: no such transcripts file or folder")
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
            fields = [f.strip() for f in (rows[0].keys() if rows else [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{p}: not a readable CSV ({type(exc).__name__})") from None
    if not rows or "name" not in fields or "transcript" not in fields:
        raise UsageError(f"{p}: transcripts CSV needs the columns name,transcript (found: {', '.join(fields) or 'none'})")
    return {r["name"].strip(): normalise_transcript(r["transcript"] or "") for r in rows}


def _stem(path: str) -> str:
    return str(Path(path).with_suffix("")).replace(os.sep, "/")


def find_transcript(path: str, truth: str | None, source: str | None) -> str | None:
    """The transcript of the video at ``path``: from ``source`` (:func:`read_transcripts`) the entry
    whose name ends the video's path (without extension), else a sidecar ``.txt``/``.align`` beside
    the video, else beside the ``truth`` video."""
    if source is not None:
        stem = _stem(path)
        hits = [t for n, t in read_transcripts(source).items() if stem == n or stem.endswith("/" + n.strip("/"))]
        if hits:
            return hits[0]
    for video in (path, truth):
        if video is None:
            continue
        for ext in SIDECARS:
            side = Path(video).with_suffix(ext)
            if side.is_file():
                return read_transcript_file(side)
    return None


def unmatched_transcripts(source: str, names: Sequence[str]) -> list[str]:
    """The names in ``source`` that match none of the videos' ``names`` (as :func:`find_transcript`
    matches them)."""
    stems = [n.replace(os.sep, "/") for n in names]
    return [n for n in read_transcripts(source)
            if not any(s == n or s.endswith("/" + n.strip("/")) or n.endswith("/" + s) for s in stems)]


# ----------------------------------------------------------------------------- the registration


def lip_crops(frames, landmarks: np.ndarray, scheme: str, fps: float) -> tuple[np.ndarray, int]:
    """BGR mouth crops (T', 64, 128, 3) at 25 fps (frames picked by time when the video is at
    another rate) and how many frames had no face (skipped, as LipNet-PyTorch's demo skips them)."""
    idx = list(POINTS[scheme])
    step = fps / 25.0 if fps > 0 else 1.0
    want = set(int(round(k * step)) for k in range(int(len(landmarks) / step) + 1)) if abs(step - 1) > 1e-3 else None
    crops, faceless = [], 0
    for k, frame in enumerate(frames):
        if k >= len(landmarks):
            break
        if want is not None and k not in want:
            continue
        pts = np.asarray(landmarks[k], np.float64)[idx, :2]
        if not np.isfinite(pts).all():
            faceless += 1
            continue
        crops.append(mouth_crop(frame, pts)[..., ::-1])  # RGB -> BGR: the network read cv2.imread's frames
    return (np.stack(crops) if crops else np.zeros((0, OUT_H, OUT_W, 3), np.uint8)), faceless


def _column(ctx) -> dict[str, float]:
    from msi.metrics.networks import network
    from msi.networks.lipnet import read_lips

    truth_path = ctx.truth.path if ctx.truth is not None else None
    text = find_transcript(ctx.path, truth_path, ctx.options.transcripts)
    if text is None:
        ctx.note("WER: no transcript (looked in the transcripts given and for a .txt/.align beside the video "
                 "and its truth)")
        return {}
    if not text:
        ctx.note("WER: the transcript has no words")
        return {}
    crops, faceless = lip_crops(ctx.frames(), ctx.landmarks, ctx.scheme, ctx.fps)
    if faceless:
        ctx.note(f"WER: {faceless} frame(s) without a face skipped")
    if not math.isclose(ctx.fps, 25.0, rel_tol=1e-3):
        ctx.note(f"WER: video at {ctx.fps:.3g} fps read at LipNet's 25 fps (frames picked by time)")
    if len(crops) < 2:
        ctx.note("WER: fewer than 2 frames with a face")
        return {}
    said = ctc_greedy(read_lips(network("lipnet", ctx.weights["lipnet"]), crops))
    return {"wer": wer(said, text)}


METRIC = Metric((Column("wer", "WER (LipNet)", -1, ("lipnet",), "{:.3f}",
                        help="word error rate of LipNet (LipNet-PyTorch's weights, GRID vocabulary) reading the "
                             "mouth, against the video's transcript"),),
                _column)
