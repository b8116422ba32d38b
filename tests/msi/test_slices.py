"""Space-time slices on the real sample video and on a copy shaken by known shifts."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from msi.io.samples import sample_path
from msi.plots.slices import (
    column_shifts,
    extract_slice,
    face_span,
    frame_line,
    line_through,
    resolve_position,
    shift_frame,
)
from msi.io.video import iter_frames, read_frames, write_video


def write_shaken(path: Path, frames: np.ndarray, lossless: bool) -> Path:
    """Encode with PyAV: lossless FFV1 RGB (.mkv) or ordinary yuv420p H.264 (.mp4)."""
    if lossless:
        return write_video(path, frames, fps=30, codec="ffv1", pix_fmt="bgr0")
    return write_video(path, frames, fps=30, codec="libx264", pix_fmt="yuv420p", crf=18)


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return read_frames(sample_path("carphone_pristine.mp4"))


@pytest.fixture(scope="module")
def shifts() -> np.ndarray:
    # known vertical jitter of -4..4 px per frame (frame 0 unshifted as the reference)
    s = np.random.default_rng(7).integers(-4, 5, size=120)
    s[0] = 0
    return s


def test_slice_has_shape_height_frames_3_and_is_the_source_column(frames):
    t, h, w, _ = frames.shape
    x = resolve_position(0.5, w)
    sl = extract_slice(iter_frames(sample_path("carphone_pristine.mp4")), x)
    assert sl.shape == (h, t, 3) and sl.dtype == np.uint8
    for i in range(t):
        np.testing.assert_array_equal(sl[:, i], frames[i, :, x])


def test_width_time_range_span_and_horizontal(frames):
    t, h, w, _ = frames.shape
    sl = extract_slice(frames, 50, width=3, time_range=(10, 40), span=(20, 100))
    assert sl.shape == (80, 30 * 3, 3)
    np.testing.assert_array_equal(sl[:, 3 * 5 : 3 * 5 + 3], frames[15, 20:100, 49:52])
    hz = extract_slice(frames, 72, orientation="horizontal", time_range=(None, 7))
    assert hz.shape == (w, 7, 3)
    np.testing.assert_array_equal(hz[:, 6], frames[6, 72, :])


def test_bad_positions_and_ranges_are_rejected(frames):
    with pytest.raises(ValueError, match="outside"):
        resolve_position(176, 176)
    with pytest.raises(ValueError, match="negative"):
        resolve_position(-0.2, 176)
    assert resolve_position(0.25, 176) == 44 and resolve_position(88, 176) == 88
    with pytest.raises(ValueError, match="fit"):
        frame_line(frames[0], 1, width=5)
    with pytest.raises(ValueError, match="no frames"):
        extract_slice(frames, 10, time_range=(500, None))
    with pytest.raises(ValueError, match="orientation"):
        extract_slice(frames, 10, orientation="diagonal")


def test_shift_frame_moves_content():
    img = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    out = shift_frame(img, dx=2, dy=-1)
    np.testing.assert_array_equal(out[0:4, 2:6], img[1:5, 0:4])
    assert (out[4] == 0).all() and (out[:, :2] == 0).all()


@pytest.mark.parametrize("lossless", [True, False], ids=["lossless-ffv1", "h264-yuv420p"])
def test_known_shake_shows_as_the_same_shift_in_the_slice(frames, shifts, tmp_path, lossless):
    x = 88  # through the face of the carphone speaker
    shaken = np.stack([shift_frame(f, 0, int(d)) for f, d in zip(frames, shifts)])
    path = tmp_path / ("shaken.mkv" if lossless else "shaken.mp4")
    write_shaken(path, shaken, lossless)
    ref = extract_slice(frames, x)
    moved = extract_slice(iter_frames(path), x)
    assert moved.shape == ref.shape
    if lossless:  # the decoded slice is exactly the shifted source column
        for i in (0, 17, 119):
            np.testing.assert_array_equal(moved[:, i], shaken[i, :, x])
    found = column_shifts(ref, moved, max_shift=8)
    agree = (found == shifts).mean()
    assert agree == 1.0 if lossless else agree >= 0.95
    # and the original, unshaken video shows no shift at all
    assert (column_shifts(ref, extract_slice(frames, x), max_shift=8) == 0).all()


def test_line_through_and_face_span_from_landmarks():
    pts = np.array([[[10.0, 20.0], [30.0, 60.0]], [[np.nan, np.nan], [20.0, 40.0]]])
    assert line_through(pts) == pytest.approx(20.0)
    assert line_through(pts, "horizontal") == pytest.approx(40.0)
    assert face_span(pts, size=100, margin=0.25) == (10, 71)
    assert np.isnan(line_through(np.full((2, 3, 2), np.nan)))
