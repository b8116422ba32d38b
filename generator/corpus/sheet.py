"""A contact sheet of a synthetic clip: frames that show the articulations, and their mouths."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from msi.regions import MP_MOUTH_CORNERS

SHEET_CATEGORIES = (
    ("rest", None),
    ("open", lambda m: m[:, 0]),
    ("p b m", lambda m: -m[:, 0]),
    ("rounded", lambda m: m[:, 2]),
    ("spread", lambda m: m[:, 1] - m[:, 2]),
    ("open", lambda m: m[:, 0]),
)
_BILABIAL = ("p", "b", "m")


def pick_frames(truth: dict, n_min_gap: int = 3) -> list[tuple[int, str]]:
    """Frames that show the articulations: rest, open vowel, lips closed on p/b/m, rounded, spread."""
    mouth = np.asarray(truth["mouth"])
    t = np.arange(len(mouth)) / float(truth["fps"])
    idx = np.searchsorted(truth["phoneme_start"], t, side="right") - 1
    ph = np.where(idx >= 0, np.asarray(truth["phonemes"])[np.clip(idx, 0, None)], "_")
    chosen: list[tuple[int, str]] = []
    for name, score in SHEET_CATEGORIES:
        if score is None:
            chosen.append((0, name))
            continue
        val = score(mouth).astype(float)
        if name == "p b m":
            val[~np.isin(ph, _BILABIAL)] = -np.inf
        for k, _ in chosen:
            val[max(0, k - n_min_gap) : k + n_min_gap + 1] = -np.inf
        if np.isfinite(val).any():
            chosen.append((int(np.argmax(val)), name))
    return [(k, f"{name}: /{ph[k]}/") for k, name in chosen]


def contact_sheet(video: Path, truth: Path, out_png: Path, tile: int = 192) -> Path:
    """A PNG of a few frames (top row) and their mouths (bottom row), labelled with the phoneme."""
    import cv2

    from msi.io.video import read_frames

    frames = read_frames(video)
    d = dict(np.load(truth))
    picks = pick_frames(d)
    lm = d["landmarks"]
    corners = list(MP_MOUTH_CORNERS)
    mw = float(np.linalg.norm(d["face_landmarks"][corners[0], :2] - d["face_landmarks"][corners[1], :2]))
    top, bottom = [], []
    for k, label in picks:
        im = cv2.resize(frames[k], (tile, tile), interpolation=cv2.INTER_AREA)
        c = lm[k, corners, :2].mean(0)
        half = int(round(0.9 * mw))
        y0, x0 = int(round(c[1] - 0.8 * half)), int(round(c[0] - half))
        crop = frames[k][max(0, y0) : y0 + int(1.6 * half), max(0, x0) : x0 + 2 * half]
        mouth = cv2.resize(crop, (tile, int(tile * 0.8)), interpolation=cv2.INTER_CUBIC)
        cv2.rectangle(im, (0, 0), (tile, 20), (0, 0, 0), -1)
        cv2.putText(im, f"{k / float(d['fps']):.2f}s {label}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (255, 255, 255), 1, cv2.LINE_AA)
        top.append(im)
        bottom.append(mouth)
    sheet = np.concatenate([np.concatenate(top, 1), np.concatenate(bottom, 1)], 0)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_png), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return out_png
