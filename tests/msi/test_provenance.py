"""The metric side reads whether a video declares itself generated (`declared_generated`):
from the invisible watermark or a valid C2PA manifest; a real clip declares nothing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from msi.io.video import write_video
from msi.provenance.declared import check_video, declared_generated


@pytest.fixture(scope="module")
def marked_clip(tmp_path_factory, pristine_frames):
    """30 frames of the real carphone face with the stableface mark (written as synthesize does)."""
    from generator.marking.watermark import embed

    p = tmp_path_factory.mktemp("prov") / "marked.mp4"
    write_video(p, embed(pristine_frames[:30], "0badc0de"), fps=25, crf=18, threads=1)
    return p


def test_declared_generated_reads_the_mark_and_nothing_in_a_real_clip(marked_clip, pristine):
    r = check_video(marked_clip)
    assert r["declared_generated"] and r["declared_by"] == ["watermark"] and r["c2pa"]["state"] == "absent"
    assert r["watermark"]["run_id"] == "0badc0de"
    assert declared_generated(marked_clip) is True
    assert declared_generated(pristine) is False
    assert declared_generated("https://example.org/v.mp4") is None  # not read over the network for a column


@pytest.mark.slow
def test_msi_score_json_has_the_field(marked_clip, pristine, run_cli):
    from msi.cli import main

    code, out, _ = run_cli(["score", str(marked_clip), str(pristine), "--json", "--quiet"], main=main)
    rows = {r["path"]: r for r in json.loads(out)}
    assert code == 0
    assert rows[str(marked_clip)]["declared_generated"] is True
    assert rows[str(pristine)]["declared_generated"] is False
    assert np.isfinite(rows[str(pristine)]["msi_lip"])


def test_msi_report_lists_the_methods_whose_videos_declare_themselves_generated():
    from msi.report.build import warnings_of
    from msi.report.plan import Cell, Plan, Utterance

    def cell(method, name, declared):
        return Cell(method, {"path": f"{method}/{name}.mp4", "declared_generated": declared, "warnings": []},
                    f"{method}-{name}")

    utts = [Utterance(n, n, [cell("ours", n, True), cell("real", n, False if n != "c" else None)]) for n in "abc"]
    lines = warnings_of(Plan(["ours", "real"], utts), {})
    assert lines == ["ours: 3 of 3 videos declare themselves AI-generated (C2PA manifest or watermark): a, b, c"]


@pytest.mark.slow
def test_msi_compare_reads_the_mark_from_its_shared_decode(marked_clip, pristine_frames, tmp_path):
    """compare's column: the marked video declares itself, the unmarked copy of the same frames
    does not, and each video is still decoded once (the mark is read from the columns' decode)."""
    import collections
    import shutil
    from pathlib import Path

    import msi.io.video as video_io
    from msi.comparison.compare import compare_methods

    for method, src in (("marked", marked_clip), ("plain", None)):
        (tmp_path / method).mkdir()
        if src is None:
            write_video(tmp_path / method / "clip.mp4", pristine_frames[:30], fps=25, crf=18, threads=1)
        else:
            (tmp_path / method / "clip.mp4").write_bytes(Path(src).read_bytes())
    methods = {m: tmp_path / m for m in ("marked", "plain")}
    cache = str(tmp_path / "cache")
    compare_methods(methods, cache=cache)  # tracks: the landmark cache is warm below
    shutil.rmtree(tmp_path / "cache" / "features")  # the columns and the flags: computed again below
    opened = collections.Counter()
    real = video_io.iter_frames

    def counted(path, *a, **k):
        opened[Path(path).parent.name] += 1
        return real(path, *a, **k)

    video_io.iter_frames = counted
    try:
        df = compare_methods(methods, cache=cache)
        assert dict(opened) == {"marked": 1, "plain": 1}
        opened.clear()
        again = compare_methods(methods, cache=cache)  # every flag from the feature cache, its own video's
    finally:
        video_io.iter_frames = real
    for d in (df, again):
        assert dict(zip(d["method"], d["declared_generated"])) == {"marked": True, "plain": False}
    assert not opened
