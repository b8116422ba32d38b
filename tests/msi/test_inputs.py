"""Input expansion (files, folders, globs) and landmark file round trips."""
from __future__ import annotations

import numpy as np
import pytest

from msi.errors import BadLandmarks
from msi.io.landmarks import load_landmarks, save_landmarks
from msi.io.inputs import expand_inputs


def test_folders_recursive_globs_and_missing(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.mp4", "a/b/y.MOV", "a/b/notes.txt", "z.mkv"):
        (tmp_path / name).write_bytes(b"0")
    got = expand_inputs([str(tmp_path / "a"), str(tmp_path / "*.mkv"), str(tmp_path / "nope.mp4"),
                         str(tmp_path / "a" / "x.mp4")])
    assert got == [str(tmp_path / "a" / "b" / "y.MOV"), str(tmp_path / "a" / "x.mp4"),
                   str(tmp_path / "z.mkv"), str(tmp_path / "nope.mp4")]  # de-duplicated, missing kept


@pytest.mark.parametrize("ext", ["npy", "npz", "csv"])
def test_landmark_round_trip_with_missing_frames(tmp_path, ext):
    rng = np.random.default_rng(0)
    lm = rng.uniform(0, 100, (20, 68, 2))
    lm[5] = np.nan
    p = save_landmarks(tmp_path / f"lm.{ext}", lm, fps=25.0)
    back, fps = load_landmarks(p, n_points=68)
    assert back.shape == lm.shape
    assert np.allclose(back, lm, atol=1e-6, equal_nan=True)
    assert fps == (25.0 if ext == "npz" else None)


def test_bad_landmark_files(tmp_path):
    (tmp_path / "bad.csv").write_text("x0,y0\n1,abc\n")
    with pytest.raises(BadLandmarks, match="non-numeric"):
        load_landmarks(tmp_path / "bad.csv")
    (tmp_path / "odd.csv").write_text("1,2,3,4,5\n")
    with pytest.raises(BadLandmarks, match="columns"):
        load_landmarks(tmp_path / "odd.csv", n_points=68)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(BadLandmarks):
        load_landmarks(tmp_path / "junk.npy")
