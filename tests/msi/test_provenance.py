"""The metric side reads whether a video declares itself generated (`declared_generated`):
from the invisible watermark, the audio mark in its speech or a valid C2PA manifest; a real clip
declares nothing."""
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


@pytest.fixture(scope="module")
def speech_clips(tmp_path_factory, pristine_frames):
    """The real carphone face with real espeak-ng speech (AAC), as two methods' folders: ``audio``
    (the speech carries the audio mark; frames unmarked, no manifest) and ``plain`` (the same
    frames and speech, unmarked)."""
    import subprocess

    from generator.data.audio import load_audio
    from generator.marking.audio_mark import embed
    from msi.provenance import audio_mark

    d = tmp_path_factory.mktemp("speech-clips")
    subprocess.run(["espeak-ng", "-w", str(d / "s.wav"), "Good morning, the weather is fine today."], check=True)
    speech = load_audio(d / "s.wav", audio_mark.RATE)
    frames = pristine_frames[np.arange(int(len(speech) / audio_mark.RATE * 25)) % len(pristine_frames)]
    for method, audio in (("audio", embed(speech, "a0d10c0e")), ("plain", speech)):
        (d / method).mkdir()
        write_video(d / method / "clip.mp4", frames, fps=25, crf=18, audio=audio, sample_rate=audio_mark.RATE,
                    threads=1)
    return d


def test_the_audio_mark_alone_declares_and_is_read_before_the_frames(speech_clips, monkeypatch):
    import msi.provenance.declared as D

    r = check_video(speech_clips / "audio" / "clip.mp4", mark_frames=10)
    assert r["declared_generated"] and r["declared_by"] == ["audio_mark"] and r["audio_mark"]["run_id"] == "a0d10c0e"
    assert not r["watermark"]["found"] and r["c2pa"]["state"] == "absent"  # the frames declare nothing
    plain = check_video(speech_clips / "plain" / "clip.mp4", mark_frames=10)
    assert not plain["declared_generated"] and plain["declared_by"] == [] and "no_audio" not in plain["audio_mark"]
    assert declared_generated(speech_clips / "plain" / "clip.mp4") is False
    # msi score's order: the audio mark before the frames (no frame decoded once the speech declares)
    monkeypatch.setattr(D, "read_video", lambda *a, **k: pytest.fail("frames decoded after the audio mark declared"))
    assert declared_generated(speech_clips / "audio" / "clip.mp4") is True


def test_an_audio_track_that_cannot_be_decoded_leaves_the_column_unknown_unless_the_frames_declare(
        speech_clips, marked_clip, monkeypatch):
    import msi.provenance.declared as D
    from msi.errors import UnreadableVideo

    def broken(path, *a, **k):
        raise UnreadableVideo(f"{path}: cannot decode the audio")

    monkeypatch.setattr(D, "read_audio", broken)
    assert declared_generated(speech_clips / "plain" / "clip.mp4") is None
    assert declared_generated(marked_clip) is True  # the frame mark still declares


@pytest.mark.slow
def test_msi_score_json_has_the_field(marked_clip, pristine, run_cli):
    from msi.cli import main

    code, out, _ = run_cli(["score", str(marked_clip), str(pristine), "--json", "--quiet"], main=main)
    rows = {r["path"]: r for r in json.loads(out)}
    assert code == 0
    assert rows[str(marked_clip)]["declared_generated"] is True
    assert rows[str(pristine)]["declared_generated"] is False
    assert np.isfinite(rows[str(pristine)]["msi_lip"])


def test_msi_score_reads_the_marks_once_and_shares_the_flag_with_compare(marked_clip, tmp_path, monkeypatch):
    """A cached rerun of ``msi score`` reads the flag from the feature cache, not the marks again
    (their decode was most of a cached run), and ``msi compare`` reads the entry score wrote."""
    import msi.provenance.declared as D
    from msi.comparison.compare import compare_methods
    from msi.metrics.column import CompareSettings
    from msi.score import score_video

    folder = tmp_path / "m"
    folder.mkdir()
    clip = folder / "clip.mp4"
    clip.write_bytes(marked_clip.read_bytes())
    cache = str(tmp_path / "cache")
    read = []
    real = D.declared_generated
    monkeypatch.setattr(D, "declared_generated", lambda path, *a, **k: read.append(path) or real(path, *a, **k))
    first = score_video(clip, cache=cache)
    again = score_video(clip, cache=cache)
    assert (first.declared_generated, again.declared_generated) == (True, True)
    assert read == [clip] and again.cached
    df = compare_methods({"m": folder}, cache=cache, compare_settings=CompareSettings(cpbd_step=30))
    assert df["declared_generated"].tolist() == [True] and read == [clip]
    unmarked = score_video(clip, cache=False)  # no cache: the marks are read
    assert unmarked.declared_generated is True and read == [clip, clip]


def test_msi_report_lists_the_methods_whose_videos_declare_themselves_generated():
    from msi.report.build import warnings_of
    from msi.report.plan import Cell, Plan, Utterance

    def cell(method, name, declared):
        return Cell(method, {"path": f"{method}/{name}.mp4", "declared_generated": declared, "warnings": []},
                    f"{method}-{name}")

    utts = [Utterance(n, n, [cell("ours", n, True), cell("real", n, False if n != "c" else None)]) for n in "abc"]
    lines = warnings_of(Plan(["ours", "real"], utts), {})
    assert lines == ["ours: 3 of 3 videos declare themselves AI-generated (C2PA manifest, watermark or audio mark): "
                     "a, b, c"]


@pytest.mark.slow
def test_msi_compare_reads_the_mark_from_its_shared_decode(marked_clip, pristine_frames, tmp_path):
    """compare's column: the marked video declares itself, the unmarked copy of the same frames
    does not, and each video is still decoded once (the mark is read from the columns' decode)."""
    import collections
    import shutil
    from pathlib import Path

    import msi.io.video as video_io
    from msi.comparison.compare import compare_methods
    from msi.metrics.column import CompareSettings

    only_first = CompareSettings(cpbd_step=30)  # CPBD, no column under test here, on frame 0 only
    for method, src in (("marked", marked_clip), ("plain", None)):
        (tmp_path / method).mkdir()
        if src is None:
            write_video(tmp_path / method / "clip.mp4", pristine_frames[:30], fps=25, crf=18, threads=1)
        else:
            (tmp_path / method / "clip.mp4").write_bytes(Path(src).read_bytes())
    methods = {m: tmp_path / m for m in ("marked", "plain")}
    cache = str(tmp_path / "cache")
    compare_methods(methods, cache=cache, compare_settings=only_first)  # tracks: the landmark cache is warm below
    shutil.rmtree(tmp_path / "cache" / "features")  # the columns and the flags: computed again below
    opened = collections.Counter()
    real = video_io.iter_frames

    def counted(path, *a, **k):
        opened[Path(path).parent.name] += 1
        return real(path, *a, **k)

    video_io.iter_frames = counted
    try:
        df = compare_methods(methods, cache=cache, compare_settings=only_first)
        assert dict(opened) == {"marked": 1, "plain": 1}
        opened.clear()
        # every flag from the feature cache, its own video's
        again = compare_methods(methods, cache=cache, compare_settings=only_first)
    finally:
        video_io.iter_frames = real
    for d in (df, again):
        assert dict(zip(d["method"], d["declared_generated"])) == {"marked": True, "plain": False}
    assert not opened


@pytest.mark.slow
def test_a_video_marked_only_in_its_speech_declares_itself_in_score_compare_and_report(speech_clips, pristine,
                                                                                      run_cli, monkeypatch):
    """``msi score --json``, ``msi compare``'s rows and ``msi report``'s page: the audio-marked
    video declares itself, the same frames and speech unmarked do not, a video without audio is
    False (not None); compare decodes each video's audio once (the mark reads the audio its audio
    columns read). Every command uses the session's cache: carphone's landmarks are there when the
    score test above ran (not tracked a second time here), the speech clips' after ``msi score``."""
    import collections
    from pathlib import Path

    import msi.io.audio as audio_io
    import msi.provenance.audio_mark as am
    import msi.provenance.declared as D
    from msi.cli import main
    from msi.comparison.compare import compare_methods

    marked, plain = speech_clips / "audio" / "clip.mp4", speech_clips / "plain" / "clip.mp4"
    code, out, _ = run_cli(["score", marked, plain, pristine, "--json", "--quiet"], main=main)
    rows = {r["path"]: r for r in json.loads(out)}
    assert code == 0 and np.isfinite(rows[str(marked)]["msi_lip"])
    assert [rows[str(p)]["declared_generated"] for p in (marked, plain, pristine)] == [True, False, False]

    decoded = collections.Counter()
    real = audio_io.read_audio

    def counted(path, *a, **k):
        decoded[Path(path).parent.name] += 1
        return real(path, *a, **k)

    for module in (audio_io, D, am):  # every name the audio is decoded by
        monkeypatch.setattr(module, "read_audio", counted)
    methods = {m: speech_clips / m for m in ("audio", "plain")}
    df = compare_methods(methods)  # landmarks from the cache; columns and flags computed
    assert dict(zip(df["method"], df["declared_generated"])) == {"audio": True, "plain": False}
    assert dict(decoded) == {"audio": 1, "plain": 1}
    monkeypatch.undo()

    code, _, _ = run_cli(["report", f"audio={methods['audio']}", f"plain={methods['plain']}", "--out",
                          speech_clips / "report", "-q"], main=main)
    page = (speech_clips / "report" / "index.html").read_text()
    assert code == 0 and "audio: 1 of 1 videos declare themselves AI-generated" in page
    assert "plain: 1 of 1 videos declare" not in page


@pytest.mark.parametrize("name", ["RATE", "FRAME", "ORDER", "SILENT", "CONDITIONING", "PERIOD", "CELL", "PILOT",
                                  "LOCAL", "Z_FOUND", "KEY"])
def test_compares_cached_flag_is_computed_again_when_the_audio_marks_reading_changes(name, monkeypatch):
    """The feature cache keys the column on what its value depends on: each constant the audio
    mark's reading uses (and, as before the audio mark counted, the frame mark's)."""
    import msi.provenance.audio_mark as am
    from msi.provenance.declared import declared_key

    before = declared_key()
    monkeypatch.setattr(am, name, getattr(am, name) + 1)
    assert declared_key() != before
