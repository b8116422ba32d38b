"""msi slice-plot and msi plot end to end: real video, real tracker, real figure files."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from msi.plots.figures import SlicePanel, slice_figure
from msi.plots.slices import extract_slice


def test_slice_plot_png_has_figure_size_and_shows_the_slice(pristine, pristine_frames, tmp_path, run_cli):
    out = tmp_path / "s.png"
    code, stdout, err = run_cli(["slice-plot", str(pristine), "--x", "0.5", "--out", str(out), "--dpi", "100"])
    assert code == 0, err
    info = json.loads(stdout)["videos"][0]
    assert info["position"] == 88 and info["frames"] == 120 and info["orientation"] == "vertical"
    # the same figure built directly has exactly the file's pixel size
    sl = extract_slice(pristine_frames, 88)
    fig = slice_figure([SlicePanel("carphone_pristine", pristine_frames[0], sl, 88, info["fps"])])
    w_in, h_in = fig.get_size_inches()
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (round(w_in * 100), round(h_in * 100))
        rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
    # the slice panel (right part) is a picture, not a blank canvas
    right = rgb[int(0.2 * rgb.shape[0]) : int(0.8 * rgb.shape[0]), int(0.45 * rgb.shape[1]) : int(0.95 * rgb.shape[1])]
    assert right.std() > 20
    # twice the dpi: twice the pixels
    code, _, _ = run_cli(["slice-plot", str(pristine), "--x", "0.5", "--out", str(tmp_path / "s2.png"), "--dpi", "200"])
    with Image.open(tmp_path / "s2.png") as im2:
        assert abs(im2.size[0] - 2 * round(w_in * 100)) <= 1


@pytest.mark.slow
def test_slice_plot_two_videos_mouth_line_pdf_svg(pristine, distorted, tmp_path, run_cli):
    code, stdout, err = run_cli(["slice-plot", str(pristine), str(distorted), "--label", "real", "--label", "fake",
                                 "--out", str(tmp_path / "s.pdf"), "--crop-face", "--width", "2", "--start", "0.5",
                                 "--end", "2"])
    assert code == 0, err
    vids = json.loads(stdout)["videos"]
    assert [v["label"] for v in vids] == ["real", "fake"]
    # default line: through the mouth of the carphone speaker (face centre around x = 90 of 176)
    assert 70 <= vids[0]["position"] <= 110
    lo, hi = vids[0]["span"]
    assert 0 <= lo < hi <= 144 and hi - lo < 144  # cropped to the face
    assert vids[0]["start_frame"] == 15 and vids[0]["frames"] == 45
    assert (tmp_path / "s.pdf").read_bytes()[:5] == b"%PDF-"
    code, stdout, _ = run_cli(["slice-plot", str(pristine), "--y", "0.5", "--out", str(tmp_path / "s.svg")])
    assert code == 0 and json.loads(stdout)["videos"][0]["orientation"] == "horizontal"
    assert b"<svg" in (tmp_path / "s.svg").read_bytes()[:2000]


@pytest.mark.slow
def test_slice_plot_bad_input(pristine, bunny, tmp_path, run_cli, one_line_error):
    png = str(tmp_path / "x.png")
    one_line_error(*run_cli(["slice-plot", str(tmp_path / "none.mp4"), "--x", "5", "--out", png])[::2],
                   "no such file")
    one_line_error(*run_cli(["slice-plot", str(pristine), "--x", "500", "--out", png])[::2], "outside the frame")
    one_line_error(*run_cli(["slice-plot", str(pristine), "--label", "a", "--label", "b", "--x", "5", "--out", png])[::2], "--label")
    one_line_error(*run_cli(["slice-plot", str(pristine), "--x", "5", "--out", str(tmp_path / "x.gif")])[::2],
                   ".png")
    one_line_error(*run_cli(["slice-plot", str(pristine), "--x", "5", "--start", "9", "--out", png])[::2],
                   "no frames")
    # a cartoon has no human face to put the default line through
    one_line_error(*run_cli(["slice-plot", str(bunny), "--out", png])[::2], "face in frames", "--x")


@pytest.mark.slow
def test_plot_video_timeline_and_worst_windows(pristine, tmp_path, run_cli):
    from msi.score import score_video

    out = tmp_path / "t.png"
    code, stdout, err = run_cli(["plot", str(pristine), "--out", str(out), "--worst", "2"])
    assert code == 0, err
    rec = json.loads(stdout)
    ref = score_video(pristine)  # cached landmarks: same numbers
    assert rec["msi_lip"] == pytest.approx(ref.msi_lip, rel=1e-12)
    tl = ref.timeline[~ref.timeline["skipped"]]
    lowest = (tl["msi_lip"] + tl["msi_jaw"]).idxmin()
    assert len(rec["worst_windows"]) == 2 and rec["worst_windows"][0]["window"] == int(tl.loc[lowest, "window"])
    w0, w1 = rec["worst_windows"]
    assert w0["end_s"] <= w1["start_s"] or w1["end_s"] <= w0["start_s"]  # distinct places
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size[0] >= 1000 and im.size[1] >= 800
    # the same clip from a timeline table: only the MSI panel, same worst windows
    tl_path = tmp_path / "windows.csv"
    df = ref.timeline.copy()
    df.insert(0, "path", str(pristine))
    df.to_csv(tl_path, index=False)
    code, stdout, err = run_cli(["plot", str(tl_path), "--out", str(tmp_path / "t2.png"), "--worst", "2"])
    assert code == 0, err
    assert [w["window"] for w in json.loads(stdout)["worst_windows"]] == [w0["window"], w1["window"]]
    with Image.open(tmp_path / "t2.png") as im:
        assert im.size[1] < 700  # one panel instead of three


@pytest.mark.slow
def test_plot_bad_input(pristine, bunny, tmp_path, run_cli, one_line_error):
    png = str(tmp_path / "x.png")
    one_line_error(*run_cli(["plot", str(tmp_path / "none.mp4"), "--out", png])[::2], "no such file")
    one_line_error(*run_cli(["plot", str(pristine), "--out", str(tmp_path / "x.jpg")])[::2], ".png")
    two = pd.DataFrame({"path": ["a.mp4", "b.mp4"], "window": [0, 0], "start_s": [0, 0], "end_s": [0.5, 0.5],
                        "msi_lip": [0.3, 0.2], "msi_jaw": [0.3, 0.2], "skipped": [False, False]})
    two.to_csv(tmp_path / "two.csv", index=False)
    one_line_error(*run_cli(["plot", str(tmp_path / "two.csv"), "--out", png])[::2], "--path", "a.mp4")
    one_line_error(*run_cli(["plot", str(bunny), "--out", png])[::2], "face")
