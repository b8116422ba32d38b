"""M-LMD, F-LMD and AKD on the 68-point convention, and every landmark distance in the truth's
pixels: the map's points sit where the markup says, and through ``msi compare`` on the real
carphone clip a video against itself is 0, a copy shifted by known pixels is that shift, and a
half-size copy is scored at the truth's scale (not off by half the face's position)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

SHIFT = (3, 4)  # px: every landmark 5 px off
N_FRAMES = 20


def test_map_points_sit_in_their_regions():
    from msi.regions import IBUG68_MOUTH, MP_FACE_OVAL, MP_IBUG68, MP_LIPS_INNER, MP_LIPS_OUTER

    assert len(MP_IBUG68) == 68 and IBUG68_MOUTH == tuple(range(48, 68))
    lips = set(MP_LIPS_OUTER + MP_LIPS_INNER)
    assert all(set(MP_IBUG68[p]) <= lips for p in IBUG68_MOUTH)  # the mouth is on the lip contour
    assert all(set(MP_IBUG68[p]) <= set(MP_FACE_OVAL) for p in range(17))  # the jaw on the face oval
    # corners: 48/54 are the mesh's mouth corners, 60/64 the inner ones
    assert MP_IBUG68[48] == (61,) and MP_IBUG68[54] == (291,) and MP_IBUG68[60] == (78,) and MP_IBUG68[64] == (308,)


def test_distances_by_hand():
    from msi.metrics.lmd68 import landmark_distances, parse_size

    rng = np.random.default_rng(0)
    truth = rng.uniform(20, 150, size=(5, 68, 2))
    pred = truth.copy()
    pred[:, 48:] += [3.0, 4.0]  # the mouth 5 px off, the rest exact
    d = landmark_distances(pred, truth, (200, 100))
    assert d["m_lmd"] == pytest.approx(5.0) and d["f_lmd"] == pytest.approx(5.0 * 20 / 68)
    # AKD in a 256 x 256 frame: x scaled by 1.28, y by 2.56
    assert d["akd"] == pytest.approx(math.hypot(3 * 1.28, 4 * 2.56) * 20 / 68)
    half = landmark_distances(pred, truth, (200, 100), size=(100, 50))  # --lmd-size 100x50
    assert half["m_lmd"] == pytest.approx(2.5) and half["akd"] == pytest.approx(d["akd"])
    assert parse_size("256") == (256, 256) and parse_size("320x240") == (320, 240)
    for bad in ("0", "ax3", "12x"):
        with pytest.raises(ValueError):
            parse_size(bad)


@pytest.fixture(scope="module")
def compared(pristine_frames, tmp_path_factory):
    """carphone (20 frames, 176 x 144) as the truth, and as four methods: ``real`` (itself),
    ``shifted`` (every frame moved 3 px right and 4 px down, edges replicated), ``half`` (88 x 72)
    and ``wide`` (stretched to 220 x 144). Rows from ``msi compare --truth``."""
    import cv2

    from msi.cli import main
    from msi.io.video import write_video

    tmp = tmp_path_factory.mktemp("lmd68")
    frames = pristine_frames[:N_FRAMES]
    shift = np.float32([[1, 0, SHIFT[0]], [0, 1, SHIFT[1]]])
    methods = {
        "real": frames,
        "shifted": [cv2.warpAffine(f, shift, f.shape[1::-1], borderMode=cv2.BORDER_REPLICATE) for f in frames],
        "half": [cv2.resize(f, (88, 72), interpolation=cv2.INTER_AREA) for f in frames],
        "wide": [cv2.resize(f, (220, 144), interpolation=cv2.INTER_CUBIC) for f in frames],
    }
    # lossless (crf 0) so the shifted copy holds the same pixels, moved
    write_video(tmp / "truth" / "clip.mp4", frames, fps=25, threads=1, crf=0)
    for m, fr in methods.items():
        write_video(tmp / m / "clip.mp4", fr, fps=25, threads=1, crf=0)
    out = tmp / "rows.json"
    code = main(["compare"] + [f"{m}={tmp / m}" for m in methods] + ["--truth", str(tmp / "truth"), "--out", str(out),
                                                                    "--cache-dir", str(tmp / "cache"), "-q"])
    assert code == 0
    rows = {r["method"]: r for r in json.loads(out.read_text())}
    return rows


@pytest.mark.slow
def test_itself_is_zero_and_a_shift_is_that_shift(compared):
    real, shifted = compared["real"], compared["shifted"]
    assert real["m_lmd"] == 0 and real["f_lmd"] == 0 and real["akd"] == 0 and real["nlmd"] == 0
    shift = math.hypot(*SHIFT)  # 5 px
    # the tracker sees the same face 5 px away: its mesh follows within a few tenths of a pixel
    assert shifted["m_lmd"] == pytest.approx(shift, abs=0.5)
    assert shifted["f_lmd"] == pytest.approx(shift, abs=0.5)
    # AKD's 256 x 256 frame: x by 256/176, y by 256/144
    assert shifted["akd"] == pytest.approx(math.hypot(3 * 256 / 176, 4 * 256 / 144), abs=0.8)


@pytest.mark.slow
def test_half_size_is_scored_at_the_truths_scale(compared):
    real, half, wide = compared["real"], compared["half"], compared["wide"]
    # before: a half-size video's landmarks were compared in half-size pixels (NLMD +1.9 mouth widths)
    assert half["nlmd"] < 0.1 and half["m_lmd"] < 1.5
    assert any("mapped from 88x72 to the truth's 176x144" in w for w in half["warnings"].split(" | "))
    assert not any("aspect ratio" in w for w in half["warnings"].split(" | "))
    assert wide["nlmd"] < 0.1  # stretched back onto the truth's frame
    assert any("aspect ratio 220x144 differs from the truth's 176x144" in w for w in wide["warnings"].split(" | "))
    assert "mapped" not in real["warnings"]


def test_bad_lmd_size_is_one_line(run_cli, one_line_error, pristine):
    code, _, err = run_cli(["compare", f"a={pristine.parent}", "--lmd-size", "12x"])
    one_line_error(code, err, "--lmd-size", "expected N or WxH")
