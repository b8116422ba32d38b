"""The audio mark: written into real espeak-ng speech by generator.marking, muxed with a synthetic
corpus clip's frames by ``write_video`` as ``synthesize`` does, read back by msi.provenance from
the file and from re-encoded copies (PyAV: FFmpeg's scale and fps filters, libx264, FFmpeg's AAC
at 64 kb/s)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from generator.marking.audio_mark import embed
from msi.io.audio import read_audio
from msi.io.video import read_frames, write_video
from msi.provenance import audio_mark as A

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # a folder of scripts, not installed
from reencode import transcode  # noqa: E402  (the marking benchmark's re-encodes, the same code)

RUN_ID = "c0ffee42"
SENTENCE = "The quick brown fox jumps over the lazy dog, and then it runs back home across the field."


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> np.ndarray:
    """A real espeak-ng utterance (5.2 s) at the mark's rate."""
    from generator.data.audio import load_audio

    p = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(p), SENTENCE], check=True)
    return load_audio(p, A.RATE)


@pytest.fixture(scope="module")
def files(speech, tmp_path_factory) -> Path:
    """The utterance marked and unmarked, each muxed with a synthetic corpus clip's frames
    (128 px, 25 fps, looped to the speech's length) as ``synthesize`` writes them (crf 18, AAC)."""
    from generator.corpus.build import build_clip

    d = tmp_path_factory.mktemp("audio-mark")
    video = read_frames(build_clip(d / "clip", seconds=2.0, seed=3, size=128).video)
    frames = video[np.arange(int(round(len(speech) / A.RATE * 25))) % len(video)]
    write_video(d / "marked.mp4", frames, fps=25, crf=18, audio=embed(speech, RUN_ID), sample_rate=A.RATE, threads=1)
    write_video(d / "plain.mp4", frames, fps=25, crf=18, audio=speech, sample_rate=A.RATE, threads=1)
    return d


def test_the_payload_is_read_back_exactly_from_the_written_file_and_unmarked_speech_reads_none(files, speech):
    r = A.read_video(files / "marked.mp4")
    assert r.found and r.payload_ok and r.run_id == RUN_ID and r.tag == "stableface"
    assert r.z > 2 * A.Z_FOUND and r.p_value < 1e-30 and abs(r.seconds - len(speech) / A.RATE) < 0.1
    plain = A.read_video(files / "plain.mp4")
    assert not plain.found and plain.run_id is None and plain.z < 5.5  # 5.34: the largest of 2600 null readings
    other = read_audio(files / "marked.mp4", A.RATE).samples.astype(np.float32) / 32768.0
    assert not A.read_wave(np.random.default_rng(0).permutation(other)).found  # the same sound, its order lost


def test_the_readers_block_whitening_is_the_frame_by_frame_lpc_residual(speech):
    """The reader's predictors (Levinson-Durbin over blocks of frames) against scipy's Toeplitz
    solve one frame at a time (``lpc``), and its residual against scipy's lfilter per frame, on
    real speech with silence cut in (silent frames: no predictor) and a tail shorter than a frame."""
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import lfilter

    x = np.concatenate([speech, np.zeros(3 * A.FRAME, np.float32), speech[:A.FRAME * 7 + 123]]).astype(np.float64)
    starts = range(0, len(x), A.FRAME)
    expected = [A.lpc(x, a0) for a0 in starts]
    got = A.predictors(x)
    assert sum(a is None for a in expected) >= 3 and len(got) == len(expected)
    for a, g in zip(expected, got):
        assert np.allclose(g, 0.0 if a is None else a, rtol=1e-6, atol=1e-9)
    residual = np.zeros_like(x)
    for a0, a in zip(starts, expected):
        if a is not None:
            ctx = max(0, a0 - A.ORDER)
            residual[a0:a0 + A.FRAME] = lfilter(a, [1.0], x[ctx:a0 + A.FRAME])[a0 - ctx:]
    e = A.whitened(x)
    local = np.sqrt(np.maximum(uniform_filter1d(residual ** 2, A.LOCAL), 0.0))
    # of unit power: 3e-6 the largest rounding difference seen (near-silent frames, ill-conditioned)
    assert np.allclose(e, np.where(local > 0, residual / np.maximum(local, 1e-12), 0.0), atol=1e-4)


def test_the_mark_sits_20_db_under_the_speech_and_follows_its_loudness(speech):
    marked = embed(speech, RUN_ID)
    mark = marked.astype(np.float64) - speech
    assert marked.shape == speech.shape and marked.dtype == np.float32
    snr = 10 * np.log10((speech.astype(np.float64) ** 2).sum() / (mark ** 2).sum())
    assert abs(snr - A.SNR_DB) < 1.0
    frame = np.abs(speech[:len(speech) // A.FRAME * A.FRAME].reshape(-1, A.FRAME)).max(axis=1)
    per_frame = np.abs(mark[:len(frame) * A.FRAME].reshape(-1, A.FRAME)).max(axis=1)
    # nothing added in digital silence (below a 16-bit sample's step) away from speech: the gain
    # ramps over half a frame from a voiced neighbour
    quiet = (frame == 0) & (np.roll(frame, 1) == 0) & (np.roll(frame, -1) == 0)
    assert quiet.sum() > 10 and per_frame[quiet].max() < 2 ** -15
    loud = frame > np.quantile(frame, 0.75)
    assert per_frame[loud].mean() > 5 * per_frame[(frame > 0) & (frame < np.quantile(frame, 0.25))].mean()


def test_speech_at_another_rate_is_marked_at_its_own_rate_and_read_after_resampling(speech):
    from scipy.signal import resample_poly

    wave = resample_poly(speech, 441, 160).astype(np.float32)  # 44.1 kHz
    marked = embed(wave, RUN_ID, sample_rate=44100)
    assert len(marked) == len(wave)
    r = A.read_wave(resample_poly(marked, 160, 441))
    assert r.found and r.run_id == RUN_ID
    assert not A.read_wave(resample_poly(wave, 160, 441)).found


def test_the_mark_survives_the_issues_reencodes(files, tmp_path):
    """crf 28, half size and 25 -> 30 fps together, then the same plus a 2 s cut: every copy's
    audio decoded and re-encoded by AAC at 64 kb/s."""
    copy = tmp_path / "crf28_half_30fps.mp4"
    transcode(files / "marked.mp4", copy, audio_kbps=64, crf=28, filters=[("scale", "64:64"), ("fps", "30")])
    cut = tmp_path / "cut2s.mp4"
    transcode(copy, cut, audio_kbps=64, crf=28, start=2.0)
    with av.open(str(copy)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.width, v.height, float(v.average_rate)) == (64, 64, 30.0) and a.bit_rate <= 70000
    for path in (copy, cut):
        r = A.read_video(path)
        assert r.found and r.payload_ok and r.run_id == RUN_ID, (path.name, r)
    r_cut = A.read_video(cut)
    assert abs(r_cut.seconds - (A.read_video(copy).seconds - 2.0)) < 0.1  # 2 s really cut,
    assert r_cut.start == -2 * A.RATE % A.PERIOD  # and the sync found where the periods now start
    plain = tmp_path / "plain_cut.mp4"
    transcode(files / "plain.mp4", plain, audio_kbps=64, crf=28, filters=[("scale", "64:64"), ("fps", "30")], start=2.0)
    assert not A.read_video(plain).found


def test_bigbuckbunny_reads_no_mark(bunny):
    r = A.read_video(bunny)
    assert not r.found and r.run_id is None and r.seconds > 5


def test_check_reports_the_audio_mark_and_no_audio_track(files, pristine, run_cli):
    from generator.cli import main

    code, out, _ = run_cli(["check", files / "marked.mp4", pristine, "--frames", "5", "--json"], main=main)
    marked, silent = json.loads(out)
    assert code == 0 and marked["audio_mark"]["found"] and marked["audio_mark"]["run_id"] == RUN_ID
    assert marked["declared_generated"] and marked["declared_by"] == ["audio_mark"]  # its frames carry no mark
    assert silent["audio_mark"] == {"found": False, "no_audio": True} and "error" not in silent
    assert silent["declared_generated"] is False and silent["declared_by"] == []
    code, out, _ = run_cli(["check", files / "marked.mp4", pristine, "--frames", "5"], main=main)
    first, second = out.strip().splitlines()
    assert code == 0 and f"| audio mark found: stableface run {RUN_ID}, z " in first
    assert first.startswith(f"{files / 'marked.mp4'}: AI-generated (declared by audio_mark) | C2PA absent | ")
    assert second.endswith("| audio mark: no audio track")
