"""Pure parts of real-world scoring: following one face, panel grids, frame timestamps."""
from __future__ import annotations

import numpy as np
import pytest

from msi.errors import UsageError
from msi.tracking.face_choice import FaceFollower, FollowedFace, first_choice, parse_face
from msi.tracking.panels import expand_panels, panel_boxes, panel_names, parse_grid, split_panel_path
from msi.io.timestamps import analyse_timestamps, resample_by_time


def face(cx: float, cy: float, w: float = 40.0, n: int = 478) -> np.ndarray:
    """A face-sized cloud of landmarks centred at (cx, cy), width w."""
    rng = np.random.default_rng(int(cx * 7 + cy))
    pts = rng.uniform(-0.5, 0.5, (n, 3)) * [w, w * 1.2, w]
    pts[:2] *= 1  # keep shape
    pts[0, :2], pts[1, :2] = [-w / 2, -w * 0.6], [w / 2, w * 0.6]  # exact box
    return pts + [cx, cy, 0]


def test_follower_keeps_one_face_when_the_order_and_sizes_swap():
    left, right = (100, 80), (300, 80)
    f = FaceFollower("largest")
    picks = []
    for t in range(20):
        a, b = face(*left, w=40 + (t % 2) * 2), face(*right, w=41 - (t % 2) * 2)  # sizes alternate
        faces = np.stack([a, b] if t % 3 else [b, a])  # detector order changes too
        k = f(faces)
        picks.append(faces[k][:, 0].mean() < 200)
    assert len(set(picks)) == 1  # always the same person ("largest per frame" would flip)
    assert any("2 faces in 20/20 frames" in w for w in f.warnings())


def test_follower_rules_and_a_lost_face():
    faces = np.stack([face(300, 80), face(100, 80, w=60), face(200, 80, w=30)])
    assert first_choice(faces, "largest") == 1
    assert first_choice(faces, "left") == 1 and first_choice(faces, "right") == 0
    assert first_choice(faces, "center", (400, 160)) == 2
    assert first_choice(faces, 2) == 2 and first_choice(faces, 4) is None
    f = FaceFollower("right")
    assert f(faces) == 0
    assert f(np.stack([face(100, 80)])) is None  # only the other person left: not taken for ours
    assert f(np.empty((0, 478, 3))) is None
    assert f(np.stack([face(100, 80), face(305, 82)])) == 1  # ours is back
    assert any("not found in 1 frame" in w for w in f.warnings())


def test_followed_face_is_the_follower_as_a_pipeline_step():
    frames = [np.stack([face(300, 80), face(100, 80, w=60)]), np.empty((0, 478, 3)),
              np.stack([face(100, 80)]), np.stack([face(100, 80), face(304, 81)])]
    follower, followed = FaceFollower("right"), FollowedFace(iter(frames), "right")
    rows = list(followed)
    assert len(rows) == len(frames) and all(r.shape == (478, 3) for r in rows)
    for faces, row in zip(frames, rows):
        k = follower(faces)
        assert np.array_equal(row, faces[k]) if k is not None else np.isnan(row).all()
    assert np.isnan(rows[1]).all() and np.isnan(rows[2]).all() and not np.isnan(rows[3]).any()
    assert followed.notes == follower.warnings() and any("not found in 1 frame" in w for w in followed.notes)


def test_parse_face():
    assert parse_face("Left") == "left" and parse_face("2") == 2 and parse_face(None) == "largest"
    for bad in ("0", "up", "-1"):
        with pytest.raises(UsageError):
            parse_face(bad)


def test_panel_grid_boxes_and_names(tmp_path):
    assert parse_grid("3x1") == (3, 1) and parse_grid("2X2") == (2, 2)
    for bad in ("3", "1x1", "ax2", "0x3"):
        with pytest.raises(UsageError):
            parse_grid(bad)
    boxes = panel_boxes(529, 144, 3, 1)
    assert [b.as_list() for b in boxes] == [[0, 0, 176, 144], [176, 0, 177, 144], [353, 0, 176, 144]]
    assert [b.as_list() for b in panel_boxes(100, 60, 2, 2)] == [[0, 0, 50, 30], [50, 0, 50, 30],
                                                                 [0, 30, 50, 30], [50, 30, 50, 30]]
    assert panel_names(3) == ["1", "2", "3"] and panel_names(2, ["gt", "ours"]) == ["gt", "ours"]
    for labels in (["a"], ["a", "a"], ["a", "b#c"]):
        with pytest.raises(UsageError):
            panel_names(2, labels)
    assert expand_panels(["v.mp4", "lm.npy", "w.mp4#2"], "2x1", ["gt", "ours"]) == \
        ["v.mp4#gt", "v.mp4#ours", "lm.npy", "w.mp4#2"]
    real = tmp_path / "a#b.mp4"
    real.write_bytes(b"x")
    assert split_panel_path(str(real)) == (str(real), None)  # a real file name with '#'
    assert split_panel_path("x.mp4#gt") == ("x.mp4", "gt")


def test_timestamps_regular_gap_duplicate_variable():
    t = np.arange(50) / 25.0
    assert analyse_timestamps(t, 25.0).regular
    assert analyse_timestamps(np.full(50, np.nan), 25.0).regular  # unknown: nothing to go by
    g = analyse_timestamps(np.r_[t[:20], t[32:]], 30.0)
    assert not g.regular and g.fps == 25.0 and g.dropped == 12 and g.gaps[0][0] == pytest.approx(0.76)
    d = analyse_timestamps(np.r_[t[:10], t[9:]], 25.0)
    assert d.duplicated == 1 and d.dropped == 0
    rng = np.random.default_rng(0)
    v = analyse_timestamps(np.cumsum(rng.choice([0.025, 0.04, 0.055], 60)), 25.0)
    assert v.uneven > 0 and any("variable frame rate" in w for w in v.warnings())


def test_resample_by_time_exact_on_regular_nan_in_gaps():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 4, 2))
    t = np.arange(50) / 25.0
    assert np.array_equal(resample_by_time(x, t, 25.0), x)  # equally spaced: the same numbers
    keep = np.r_[0:20, 32:50]
    out = resample_by_time(x[keep], t[keep], 25.0)
    assert out.shape == x.shape
    assert np.isnan(out[20:32]).all() and np.array_equal(out[:20], x[:20]) and np.array_equal(out[32:], x[32:])
    dup = resample_by_time(np.r_[x[:10], x[9:10] + 5, x[10:]], np.r_[t[:10], t[9], t[10:]], 25.0)
    assert np.array_equal(dup, x)  # the repeated timestamp's frame is dropped
    half = resample_by_time(x, t + 0.02, 25.0)  # a shifted clock: samples fall on frames
    assert np.array_equal(half, x)
    mid = resample_by_time(x[::2], t[::2], 25.0)  # 12.5 fps read at 25: midpoints interpolated
    assert np.allclose(mid[1], (x[0] + x[2]) / 2)
    up = resample_by_time(x[keep], t[keep], 50.0)  # a higher target rate: gaps judged on the input
    assert np.isfinite(up[:39]).all() and np.isnan(up[41:63]).all() and np.isfinite(up[64:]).all()
