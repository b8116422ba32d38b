"""The visible label: its corner keeps off the face, its size follows the frame, and when no corner
is free the caller is told how much of the face it covers."""
from __future__ import annotations

import numpy as np

from generator.marking import label as L


def test_the_label_takes_the_first_corner_free_of_the_face_and_says_so():
    free = L.place(256, 256, np.zeros((256, 256), bool))
    assert free.corner == L.CORNERS[0] == "bottom-right" and free.face_overlap == 0
    assert free.text_px == round(L.TEXT_HEIGHT * 256) and free.x0 + free.w <= 256 and free.y0 + free.h <= 256
    face = np.zeros((256, 256), bool)
    face[128:, :] = True  # a face filling the lower half: only the top corners are free
    p = L.place(256, 256, face)
    assert p.corner == "top-right" and not face[p.y0:p.y0 + p.h, p.x0:p.x0 + p.w].any()
    covered = L.place(256, 256, np.ones((256, 256), bool))  # nowhere free: smallest label, overlap reported
    assert covered.text_px == L.MIN_TEXT_PX and covered.face_overlap == 1.0


def test_face_mask_is_the_hull_of_the_mesh_scaled_to_the_frame():
    ring = np.stack([32 + 8 * np.cos(np.linspace(0, 2 * np.pi, 478)), 32 + 8 * np.sin(np.linspace(0, 2 * np.pi, 478)),
                     np.zeros(478)], axis=1)[None]  # a circle of radius 8 in a 64 px frame
    m = L.face_mask(ring, 256, 64)
    assert m[128, 128] and not m[10, 10] and not m[250, 250]
    radius = np.sqrt(m.sum() / np.pi)
    assert abs(radius - (32 + L.FACE_PAD * 256)) < 4  # 32 px scaled, padded by FACE_PAD of the side


def test_drawing_puts_white_text_on_a_darkened_box_and_leaves_the_rest():
    frame = np.full((128, 128, 3), 128, np.uint8)
    p = L.place(128, 128, None)
    out = L.draw(frame, p)
    box = out[p.y0:p.y0 + p.h, p.x0:p.x0 + p.w]
    assert box.max() > 220 and np.median(box) < 128 * (1 - L.BOX_OPACITY) + 5
    outside = out.copy()
    outside[p.y0:p.y0 + p.h, p.x0:p.x0 + p.w] = 128
    assert (outside == 128).all()
