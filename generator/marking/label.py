"""The visible "AI-generated" label: drawn in the corner of the frame that the face never covers.

Size and opacity (the same for every video, in units of the frame's height):

- the text's cap height is ``TEXT_HEIGHT`` (5 %) of the frame height, at least ``MIN_TEXT_PX``
  (8 px), in OpenCV's Hershey sans-serif with anti-aliased strokes;
- the text is white at ``TEXT_OPACITY`` (90 %), on a black box at ``BOX_OPACITY`` (55 %) that
  pads it by 40 % of the text height, ``MARGIN`` (2 %) from the frame's edges.

The corner: every frame's face (the convex hull of its 478-point mesh, dilated by ``FACE_PAD``
of the side) is painted into one mask, and the first corner of ``CORNERS`` whose box meets no face
pixel takes the label. When none is free the label shrinks (down to ``MIN_TEXT_PX``); when even
that covers some face, the placement covering the fewest face pixels is used and the caller is
told the share of the label's box on the face.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEXT = "AI-generated"
TEXT_HEIGHT = 0.05
MIN_TEXT_PX = 8
TEXT_OPACITY = 0.9
BOX_OPACITY = 0.55
MARGIN = 0.02
FACE_PAD = 0.03
#: Tried in this order: the bottom corners first (a chin is narrower than a forehead's hair line).
CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")


@dataclass(frozen=True)
class Placement:
    """Where the label goes: ``corner``, its box ``x0, y0, w, h`` (pixels), its text height, and
    the fraction of the label box that lies on the face (0 when a corner was free)."""

    corner: str
    x0: int
    y0: int
    w: int
    h: int
    text_px: int
    face_overlap: float


def _text_size(text_px: int) -> tuple[float, int, tuple[int, int]]:
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = text_px / cv2.getTextSize("H", font, 1.0, 1)[0][1]
    thickness = max(1, int(round(text_px / 10)))
    (w, h), _ = cv2.getTextSize(TEXT, font, scale, thickness)
    return scale, thickness, (w, h)


def face_mask(landmarks: np.ndarray, side: int, source_side: int) -> np.ndarray:
    """Union over frames of the face hulls: ``landmarks`` (T, 478, >=2) in pixels of a
    ``source_side`` frame, drawn on a ``side`` x ``side`` mask (bool), dilated by FACE_PAD."""
    import cv2

    mask = np.zeros((side, side), np.uint8)
    xy = np.asarray(landmarks, np.float64)[..., :2] * (side / source_side)
    for pts in xy:
        ok = np.isfinite(pts).all(axis=1)
        if ok.sum() >= 3:
            cv2.fillConvexPoly(mask, cv2.convexHull(np.round(pts[ok]).astype(np.int32)), 1)
    pad = max(1, int(round(FACE_PAD * side)))
    mask = cv2.dilate(mask, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8))
    return mask.astype(bool)


def _box(corner: str, w: int, h: int, frame_w: int, frame_h: int) -> tuple[int, int]:
    m = max(1, int(round(MARGIN * frame_h)))
    x0 = m if corner.endswith("left") else frame_w - m - w
    y0 = m if corner.startswith("top") else frame_h - m - h
    return x0, y0


def place(frame_w: int, frame_h: int, face: np.ndarray | None = None) -> Placement:
    """Choose the label's corner and size for frames of this size, given the face ``face`` mask
    (frame_h, frame_w) bool (None: no face known, the first corner)."""
    text_px = max(MIN_TEXT_PX, int(round(TEXT_HEIGHT * frame_h)))
    best = None
    while True:
        _, _, (tw, th) = _text_size(text_px)
        pad = max(1, int(round(0.4 * text_px)))
        w, h = min(tw + 2 * pad, frame_w), min(th + 2 * pad + 1, frame_h)
        for corner in CORNERS:
            x0, y0 = _box(corner, w, h, frame_w, frame_h)
            overlap = float(face[y0:y0 + h, x0:x0 + w].mean()) if face is not None else 0.0
            if overlap == 0:
                return Placement(corner, x0, y0, w, h, text_px, 0.0)
            if best is None or overlap * w * h < best.face_overlap * best.w * best.h:  # fewest face pixels
                best = Placement(corner, x0, y0, w, h, text_px, overlap)
        if text_px <= MIN_TEXT_PX:
            return best
        text_px = max(MIN_TEXT_PX, int(text_px * 0.8))


def label_layer(p: Placement) -> tuple[np.ndarray, np.ndarray]:
    """The label as a colour (h, w, 3) float32 and an opacity (h, w, 1) float32 patch."""
    import cv2

    scale, thickness, (tw, th) = _text_size(p.text_px)
    text = np.zeros((p.h, p.w), np.uint8)
    x = max(0, (p.w - tw) // 2)
    y = (p.h + th) // 2
    cv2.putText(text, TEXT, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_AA)
    t = text.astype(np.float32)[..., None] / 255.0
    alpha = BOX_OPACITY + (TEXT_OPACITY - BOX_OPACITY) * t  # box everywhere, text on top of it
    colour = np.repeat(255.0 * t * TEXT_OPACITY / np.maximum(alpha, 1e-6), 3, axis=2).astype(np.float32)
    return colour, alpha.astype(np.float32)


def draw(frame: np.ndarray, p: Placement, layer: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The frame (H, W, 3) uint8 with the label drawn at ``p`` (a new array)."""
    colour, alpha = layer if layer is not None else label_layer(p)
    out = np.array(frame, copy=True)
    region = out[p.y0:p.y0 + p.h, p.x0:p.x0 + p.w].astype(np.float32)
    out[p.y0:p.y0 + p.h, p.x0:p.x0 + p.w] = np.clip(np.round(region * (1 - alpha) + colour * alpha), 0, 255)
    return out


def labelled(frames, p: Placement):
    """The frames with the label, one at a time."""
    layer = label_layer(p)
    for f in frames:
        yield draw(np.asarray(f), p, layer)
