"""``stableface bench``'s invisible marks on a real (tiny) run: the generated test videos carry the
audio mark with the run's id and are scored unmarked too; ``--mark frame`` and ``--no-mark``;
a folder of one mark setting refuses another. (Resuming, rescoring and the other refusals are
test_bench.py's, on a shorter clip: apart from this file, as the two run on the two workers.)"""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from generator.reproduction.ablations import BENCH_CONFIGS, TABLE5, evaluate_run, run_dir, run_grid


@pytest.mark.slow
def test_the_bench_marks_its_videos_and_scores_them_unmarked_too(tmp_path):
    from generator.errors import GeneratorError
    from generator.marking.label import TEXT, labelled, place
    from generator.reproduction.evaluate import evaluate_video
    from msi.io.video import read_frames, write_video
    from msi.provenance import audio_mark, watermark

    # the quick preset's 8 s clip: its test split's 2.4 s of speech are what the audio mark needs to be read.
    # One training step (every one of the quick preset's first steps trains audio2expression: the renderer
    # is as untrained at 1 step as at 3), one variant: the marks are written and read the same for any.
    cfg = dataclasses.replace(BENCH_CONFIGS["quick"], max_steps=1)
    assert cfg.mark == "audio"  # the default
    variants = {"full": TABLE5["full"]}
    lines: list[str] = []
    runs = run_grid(tmp_path, variants, 1, cfg, evaluate_video, log=lines.append)
    assert list(runs["variant"]) == ["full"] and lines[0].startswith("[1/1] full seed 0")
    # By default the bench's generated videos carry the audio mark with the run's id (the label off, no
    # frame watermark), and their frames are the unmarked copy's, bit for bit: the frame columns cannot move
    generated, truths = sorted(tmp_path.rglob("own_0.mp4")), sorted(tmp_path.rglob("truth_0.mp4"))
    unmarked = sorted(tmp_path.rglob("own_0_unmarked.mp4"))
    assert len(generated) == 1 and truths and [p.with_name("own_0_unmarked.mp4") for p in generated] == unmarked
    for video in generated:
        run_id = watermark.run_id_of(watermark.checkpoint_sha256(video.parent.parent / "checkpoint.pt"))
        heard = audio_mark.read_video(video)
        assert heard.found and heard.run_id == run_id, (video, heard)
        assert not watermark.read_video(video).found
        plain = video.with_name("own_0_unmarked.mp4")
        assert not audio_mark.read_video(plain).found
        np.testing.assert_array_equal(read_frames(video), read_frames(plain))
    for video in truths:
        assert not watermark.read_video(video).found and not audio_mark.read_video(video).found
    first = tmp_path / "results" / "full__seed0.json"
    row = json.loads(first.read_text())  # the unmarked copies scored per clip, for the mark's effect
    assert [c["clip"] for c in row["unmarked_clips"]] == [c["clip"] for c in row["clips"]]
    assert set(row["unmarked_clips"][0]) == {"clip", "msi_lip", "msi_jaw", "ssim", "psnr", "lpips", "lip_audio_r",
                                             "lse_c", "lse_d"}
    # the folder holds audio-marked runs: another mark setting is refused, naming both
    with pytest.raises(GeneratorError, match="carry the audio mark, as mark=audio asks, not the invisible frame "
                                             "watermark, as mark=frame asks; rerun with mark=audio"):
        run_grid(tmp_path, variants, 1, dataclasses.replace(cfg, mark="frame"), evaluate_video, log=lines.append)
    # --mark frame: the same run's test split rendered with the frame watermark (the old default), its
    # unmarked copy without; no label drawn; and --no-mark: no mark and no unmarked copy beside it

    def rendered(mark: str):
        run = tmp_path / mark / "run"
        shutil.copytree(run_dir(tmp_path, "full", 0), run, ignore=shutil.ignore_patterns("eval"))
        return run, evaluate_run(run, tmp_path / "data", tmp_path / mark, dataclasses.replace(cfg, mark=mark),
                                 evaluate_video)

    frame_run, row = rendered("frame")
    video, plain = frame_run / "eval" / "own_0.mp4", frame_run / "eval" / "own_0_unmarked.mp4"
    seen = watermark.read_video(video)
    assert seen.found and seen.run_id == watermark.run_id_of(watermark.checkpoint_sha256(frame_run / "checkpoint.pt"))
    assert not watermark.read_video(plain).found and not audio_mark.read_video(video).found
    assert "unmarked_clips" in row and not np.array_equal(read_frames(video), read_frames(plain))
    frames = read_frames(plain)
    write_video(tmp_path / "labelled.mp4", labelled(frames, place(frames.shape[2], frames.shape[1], None)), fps=25)
    assert _label_drawn(tmp_path / "labelled.mp4", plain)  # the check sees a label where there is one
    assert not _label_drawn(video, plain), TEXT  # the mark differs by a few levels, a label by ~100
    plain_run, row = rendered("none")
    assert "unmarked_clips" not in row and not list((plain_run / "eval").glob("*_unmarked.mp4"))
    assert not watermark.read_video(plain_run / "eval" / "own_0.mp4").found
    assert not audio_mark.read_video(plain_run / "eval" / "own_0.mp4").found


def _label_drawn(video, reference) -> bool:
    """Does ``video`` differ from ``reference`` (the same frames) by a visible label's box in a corner?"""
    from msi.io.video import read_frames

    a, b = (read_frames(p).astype(float) for p in (video, reference))
    h, w = a.shape[1:3]
    corners = [(slice(0, h // 6), slice(0, w // 3)), (slice(0, h // 6), slice(-w // 3, None)),
               (slice(-h // 6, None), slice(0, w // 3)), (slice(-h // 6, None), slice(-w // 3, None))]
    return any(np.abs(a[:, y, x] - b[:, y, x]).mean() > 20 for y, x in corners)
