"""``stableface prepare`` end to end on a short synthetic clip, resuming, and every bad input."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from scipy.io import wavfile

from generator.data import audio, face3d, prepare, track
from generator.cli import main
from generator.data.dataset import ARRAY_FILES, load_clip

SECONDS, SIZE = 4.0, 64


@pytest.fixture(scope="module")
def tiny(tiny_clip):
    """A prepared 4-second synthetic clip (astronaut face speaking espeak-ng speech)."""
    return tiny_clip


@pytest.fixture(scope="module")
def source_video(tiny):
    return next((tiny.parent / "source").glob("*.mp4"))


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    # 1.6 s (39 frames: every split above its minimum): what the speech bounds is tracked, twice in
    # test_audio_from_a_separate_file_and_own_features (a 2.5 s sentence: 62 frames)
    subprocess.run(["espeak-ng", "-w", str(path), "Hello, this is a test."], check=True)
    return path


def cli(capsys, *argv, quiet=True):
    code = main(["prepare", *map(str, argv), *(["--quiet"] if quiet else [])])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- the prepared clip


@pytest.mark.slow
def test_manifest(tiny):
    m = json.loads((tiny / "manifest.json").read_text())
    assert m["format"] == "stableface-data/1"
    s = m["settings"]
    assert (s["size"], s["fps"], s["sample_rate"], s["n_exp"], s["audio_features"]) == (SIZE, 25.0, 16000, 53, "logmel80")
    assert m["n_frames"] == int(SECONDS * 25)
    assert {"numpy", "mediapipe", "av", "torch"} <= set(m["versions"])
    assert m["source"]["video"]["path"].endswith(".mp4")
    assert len(m["crop"]) == 3 and m["crop"][2] > 0
    assert m["frames_without_face"] == 0 and m["warnings"] == []


@pytest.mark.slow
def test_arrays_have_consistent_lengths_and_types(tiny):
    clip = load_clip(tiny)
    t = clip.n_frames
    assert clip.frames.shape == (t, SIZE, SIZE, 3) and clip.frames.dtype == np.uint8
    assert isinstance(clip.frames, np.memmap)
    w = clip.manifest["settings"]["audio_window"]
    assert clip.audio_features.shape == (t, w, 80) and clip.audio_features.dtype == np.float32
    assert np.isfinite(clip.audio_features).all()
    assert clip.landmarks.shape == (t, 478, 3) and clip.landmarks.dtype == np.float32
    assert clip.rotation.shape == (t, 3, 3) and clip.translation.shape == (t, 3) and clip.scale.shape == (t,)
    assert clip.shape.shape == (478, 3) and clip.expression.shape == (t, 53)
    assert clip.pca["components"].shape == (53, 1434) and clip.pca["mean"].shape == (1434,)
    assert clip.mouth_masks.shape == (t, SIZE, SIZE) and set(np.unique(clip.mouth_masks)) <= {0, 1}
    sr, wave = wavfile.read(clip.audio_path)
    assert sr == 16000 and wave.ndim == 1
    assert len(wave) / sr == pytest.approx(t / 25.0, abs=1 / 16000)  # audio lasts exactly the frames
    np.testing.assert_allclose(np.linalg.det(clip.rotation), 1.0, atol=1e-4)


@pytest.mark.slow
def test_splits_are_disjoint_contiguous_and_cover_the_clip(tiny):
    clip = load_clip(tiny)
    parts = [clip.split(name) for name in ("train", "val", "test")]
    assert parts[0].start == 0 and parts[-1].stop == clip.n_frames
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    sizes = [p.stop - p.start for p in parts]
    assert sizes == [50, 20, 30]  # 50 / 20 / 30 %
    covered = np.concatenate([np.arange(clip.n_frames)[p] for p in parts])
    assert np.array_equal(covered, np.arange(clip.n_frames))
    with pytest.raises(KeyError):
        clip.split("holdout")


@pytest.mark.slow
def test_crop_is_fixed_and_landmarks_sit_on_the_face(tiny):
    """The crop maps the prepared landmarks back onto the synthetic clip's ground-truth mesh."""
    clip = load_clip(tiny)
    truth = np.load(next((tiny.parent / "source").glob("*.npz")))["landmarks"]
    x0, y0, side = clip.manifest["crop"]
    back = clip.landmarks[..., :2] * side / SIZE + np.array([x0, y0])
    mouth = np.linalg.norm(truth[:, 61, :2] - truth[:, 291, :2], axis=-1).mean()
    err = np.linalg.norm(back - truth[..., :2], axis=-1).mean()
    assert err < 0.1 * mouth
    assert (clip.landmarks[..., :2] > 0).all() and (clip.landmarks[..., :2] < SIZE).all()
    # The face is in the frames: the mouth-mask region differs from the crop's border.
    f = clip.frames[0].astype(float)
    inside = f[clip.mouth_masks[0].astype(bool)].mean(axis=0)
    assert np.abs(inside - f[:4].reshape(-1, 3).mean(axis=0)).max() > 5


@pytest.mark.slow
def test_mouth_masks_follow_the_mouth(tiny):
    clip = load_clip(tiny)
    lips = np.floor(clip.landmarks[:, [61, 291, 0, 17], :2]).astype(int)
    t = np.arange(clip.n_frames)[:, None]
    assert clip.mouth_masks[t, lips[..., 1], lips[..., 0]].all()
    area = clip.mouth_masks.reshape(clip.n_frames, -1).sum(axis=1)
    assert area.min() > 0.03 * SIZE * SIZE


@pytest.mark.slow
def test_expression_pose_and_reconstruction(tiny):
    clip = load_clip(tiny)
    m = clip.manifest
    # The expression of the identity shape is zero.
    np.testing.assert_allclose(face3d.project(clip.shape[None], clip.shape, clip.pca), 0.0, atol=1e-5)
    rec = face3d.reconstruct(clip.shape, clip.expression, clip.pca, clip.rotation, clip.translation, clip.scale)
    err = face3d.reconstruction_error(clip.landmarks, rec)
    train = clip.split("train")
    assert err[train].mean() == pytest.approx(m["reconstruction_error"]["train"]["mean_px"], abs=2e-3)
    mouth = m["reconstruction_error"]["mouth_width_px"]
    assert err[train].mean() < 0.005 * mouth
    for name in ("val", "test"):
        assert m["reconstruction_error"][name]["mean_px"] < 0.05 * mouth
    # The synthetic face talks: the expression varies over time, most in the first component.
    assert clip.expression[:, 0].std() > 0 and clip.expression.std(axis=0).argmax() < 5


@pytest.mark.slow
def test_pose_and_expression_follow_the_ground_truth(tiny):
    """The synthetic clip knows its head motion and mouth; the representation must recover them."""
    from scipy.spatial.transform import Rotation

    clip = load_clip(tiny)
    truth = np.load(next((tiny.parent / "source").glob("*.npz")))
    pose, mouth = truth["pose"], truth["mouth"]  # (yaw, pitch, roll, tx, ty), (opening, width, rounding)
    assert list(truth["pose_params"][[0, 2, 3]]) == ["yaw", "roll", "tx"]
    yaw, _, roll = Rotation.from_matrix(clip.rotation.astype(np.float64)).as_euler("yxz").T
    # (measured: yaw 0.84-0.99, roll 0.93-0.95, tx 0.99; pitch, 1 degree std, is lost in tracking noise)
    assert np.corrcoef(pose[:, 0], yaw)[0, 1] > 0.7
    assert np.corrcoef(pose[:, 2], roll)[0, 1] > 0.8
    assert np.corrcoef(pose[:, 3], clip.translation[:, 0])[0, 1] > 0.95
    # Alignment on the rigid upper face keeps speech out of the pose ...
    assert abs(np.corrcoef(clip.scale, mouth[:, 0])[0, 1]) < 0.4
    # ... and in the expression: a linear read-out of the mouth opening from 10 coefficients,
    # fitted on the training frames, predicts the test frames.
    x = np.c_[clip.expression[:, :10], np.ones(clip.n_frames)]
    train, test = clip.split("train"), clip.split("test")
    beta = np.linalg.lstsq(x[train], mouth[train, 0], rcond=None)[0]
    resid = x[test] @ beta - mouth[test, 0]
    assert 1 - (resid**2).sum() / ((mouth[test, 0] - mouth[test, 0].mean()) ** 2).sum() > 0.8  # measured 0.92-0.97


@pytest.mark.slow
def test_audio_features_are_in_sync_with_the_mouth(tiny):
    """Speech energy at each frame's window centre rises and falls with the true mouth opening,
    best aligned within 2 frames (an audio/video offset would move the peak)."""
    clip = load_clip(tiny)
    opening = np.load(next((tiny.parent / "source").glob("*.npz")))["mouth"][:, 0]
    w = clip.audio_features.shape[1]
    energy = np.asarray(clip.audio_features[:, w // 2 - 2 : w // 2 + 2]).mean(axis=(1, 2))
    e, m = (energy - energy.mean()) / energy.std(), (opening - opening.mean()) / opening.std()
    lags = np.arange(-8, 9)
    corr = [np.mean(e[max(0, k) : len(e) + min(0, k)] * m[max(0, -k) : len(m) + min(0, -k)]) for k in lags]
    assert abs(lags[int(np.argmax(corr))]) <= 2
    assert max(corr) > 0.3


@pytest.mark.slow
def test_rerun_is_a_no_op(tiny, monkeypatch):
    before = {f: (tiny / f).stat().st_mtime_ns for f in ARRAY_FILES + ("manifest.json",)}

    def no_tracking(*a, **k):
        raise AssertionError("tracked again")

    monkeypatch.setattr("msi.tracking.trackers.open_tracker", no_tracking)
    m = json.loads((tiny / "manifest.json").read_text())
    video = m["source"]["video"]["path"]
    again = prepare.prepare(prepare.PrepareConfig(video=video, out=tiny, size=SIZE), progress=False)
    assert again == m
    assert before == {f: (tiny / f).stat().st_mtime_ns for f in before}


@pytest.mark.slow
def test_cli_prints_the_manifest_as_json(tiny, source_video, capsys):
    code, out, err = cli(capsys, source_video, "--out", tiny, "--size", SIZE)
    assert code == 0 and err == ""
    assert json.loads(out) == json.loads((tiny / "manifest.json").read_text())


@pytest.mark.slow
def test_interrupted_run_resumes_from_its_checkpoints(tiny, source_video, speech, tmp_path, monkeypatch):
    from msi.tracking.trackers import DEFAULT_TRACKER, LandmarkerTracker

    assert DEFAULT_TRACKER == "landmarker"  # the backend whose calls are counted
    # the clip's video with ``speech`` (1.6 s: the speech bounds the frames tracked, 39 of its 100) in chunks
    # of 16, stopped in the second: 46 frames tracked in all (the clip's own 4 s audio, chunks of 40: 119)
    monkeypatch.setattr(track, "CHUNK", 16)
    calls = {"n": 0, "stop_at": 24}
    real = LandmarkerTracker.detect

    def counting(self, frame):
        calls["n"] += 1
        if calls["n"] == calls["stop_at"]:
            raise KeyboardInterrupt
        return real(self, frame)

    monkeypatch.setattr(LandmarkerTracker, "detect", counting)
    out = tmp_path / "data"
    cfg = prepare.PrepareConfig(video=source_video, out=out, size=SIZE, audio=speech)
    with pytest.raises(KeyboardInterrupt):
        prepare.prepare(cfg, progress=False)
    assert not (out / "manifest.json").exists()
    assert (out / ".partial" / "track_00000.npy").is_file()
    calls.update(n=0, stop_at=-1)
    prepare.prepare(cfg, progress=False)
    n = int(len(wavfile.read(speech)[1]) / wavfile.read(speech)[0] * 25)
    assert n == load_clip(out).n_frames == 39 and calls["n"] == n - 16  # the first chunk was not tracked again
    assert not (out / ".partial").exists()
    resumed, fresh = to_source(load_clip(out)), to_source(load_clip(tiny))[:n]
    np.testing.assert_allclose(resumed[:16], fresh[:16], atol=1e-3)  # the checkpoint, as tracked
    # Later chunks start a fresh tracker, so they may differ by a little tracking noise only.
    assert np.abs(resumed[16:] - fresh[16:]).mean() < 1.0  # source pixels (mouth ~48 px wide)


def to_source(clip) -> np.ndarray:
    """Landmarks back in source-video pixels (the crop depends on all frames' meshes)."""
    x0, y0, side = clip.manifest["crop"]
    return clip.landmarks * (side / clip.size) + np.array([x0, y0, 0.0])


@pytest.mark.slow
def test_audio_from_a_separate_file_and_own_features(tiny, source_video, speech, tmp_path, capsys):
    feats = np.random.default_rng(0).normal(size=(300, 29)).astype(np.float32)  # 6 s at 50 / s
    np.save(tmp_path / "ds.npy", feats)
    code, out, err = cli(capsys, source_video, "--audio", speech, "--out", tmp_path / "d", "--size", 32,
                         "--audio-features", tmp_path / "ds.npy", "--audio-features-rate", 50, "--audio-window", 8)
    assert code == 0, err
    m = json.loads(out)
    n_speech = int(len(wavfile.read(speech)[1]) / wavfile.read(speech)[0] * 25)
    assert m["n_frames"] == min(100, n_speech)
    clip = load_clip(tmp_path / "d")
    assert clip.audio_features.shape == (m["n_frames"], 8, 29)
    assert clip.manifest["settings"]["audio_features"].endswith("ds.npy")
    # A rerun with other settings redoes the directory instead of keeping the old one.
    code, out, err = cli(capsys, source_video, "--audio", speech, "--out", tmp_path / "d", "--size", 48)
    assert code == 0, err
    clip = load_clip(tmp_path / "d")
    assert clip.frames.shape[1:] == (48, 48, 3) and clip.manifest["settings"]["audio_features"] == "logmel80"
    assert clip.audio_features.shape[2] == 80


def write_av(path, frames, fps, wave, sr, audio_start):
    """An mp4 whose audio stream starts ``audio_start`` seconds after its first video frame."""
    import av
    from fractions import Fraction

    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        aus = c.add_stream("aac", rate=sr)
        aus.layout = "mono"
        for f in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        start = int(round(audio_start * sr))
        for i in range(0, len(wave), 1024):
            chunk = np.pad(wave[i : i + 1024], (0, max(0, i + 1024 - len(wave))))
            frame = av.AudioFrame.from_ndarray(chunk[None].astype(np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = sr, start + i, Fraction(1, sr)
            for p in aus.encode(frame):
                c.mux(p)
        for p in aus.encode():
            c.mux(p)
    return path


@pytest.mark.slow
def test_audio_that_starts_late_is_put_on_the_video_clock(tiny, tmp_path):
    """A 1 kHz burst 0.5 s into an audio stream that starts 0.3 s after the video belongs at 0.8 s."""
    sr = 16000
    wave = np.zeros(3 * sr, np.float32)
    burst = np.arange(int(0.05 * sr))
    wave[int(0.5 * sr) + burst] = 0.5 * np.sin(2 * np.pi * 1000 * burst / sr)
    video = write_av(tmp_path / "late.mp4", np.asarray(load_clip(tiny).frames[:75]), 25, wave, sr, 0.3)
    assert audio.stream_offset(video) > 0.2
    m = prepare.prepare(prepare.PrepareConfig(video=video, out=tmp_path / "d", size=32), progress=False)
    _, out = wavfile.read(tmp_path / "d" / "audio.wav")
    onset = np.flatnonzero(np.abs(out) > 0.1 * 32767)[0] / sr
    assert onset == pytest.approx(0.8, abs=0.01)
    assert m["audio_offset_s"] == pytest.approx(audio.stream_offset(video))


# ---------------------------------------------------------------- bad input: one line, exit 1


def test_video_without_audio_needs_audio_flag(pristine, tmp_path, capsys, stableface_error):
    code, out, err = cli(capsys, pristine, "--out", tmp_path / "x")
    stableface_error(code, err, "no audio track; give the speech with --audio FILE")


def test_missing_and_unreadable_files(tmp_path, speech, capsys, stableface_error):
    code, _, err = cli(capsys, tmp_path / "nope.mp4", "--audio", speech, "--out", tmp_path / "x")
    stableface_error(code, err, "no such file")
    (tmp_path / "junk.mp4").write_bytes(b"\x00\x01 definitely not a video " * 100)
    code, _, err = cli(capsys, tmp_path / "junk.mp4", "--audio", speech, "--out", tmp_path / "x")
    stableface_error(code, err, "not a readable video")
    code, _, err = cli(capsys, speech, "--out", tmp_path / "x")  # audio only: no video stream
    stableface_error(code, err, "no video stream")
    code, _, err = cli(capsys, tmp_path / "junk.mp4", "--audio", tmp_path / "none.wav", "--out", tmp_path / "x")
    stableface_error(code, err, "no such audio file")


@pytest.mark.slow
def test_too_short_for_a_split(tiny, speech, tmp_path, capsys, stableface_error):
    from msi.io.video import write_video

    clip = load_clip(tiny)
    short = write_video(tmp_path / "short.mp4", np.asarray(clip.frames[:10]), fps=25)
    code, _, err = cli(capsys, short, "--audio", speech, "--out", tmp_path / "x")
    stableface_error(code, err, "too short to split: 10 frames")


def test_no_face(speech, tmp_path, capsys, stableface_error):
    from msi.io.video import write_video

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (30, 64, 64, 3), dtype=np.uint8)  # noise, no face
    video = write_video(tmp_path / "noface.mp4", frames, fps=25)
    code, _, err = cli(capsys, video, "--audio", speech, "--out", tmp_path / "x")
    stableface_error(code, err, "no face found in any of its 30 frames")


@pytest.mark.slow
def test_cartoon_face_is_not_a_human_face(bunny, speech, tmp_path, capsys, stableface_error):
    """Big Buck Bunny: the tracker follows the cartoon face in a few frames; with the coverage check
    relaxed so it lets them through, MediaPipe's face detector still refuses the cartoon. ``speech``
    bounds the frames tracked to its first 39 (of 132 with the clip's own soundtrack; the tracker
    follows something in 10 % of either)."""
    code, _, err = cli(capsys, bunny, "--audio", speech, "--out", tmp_path / "x", "--max-missing", "0.99", "--size", 64)
    stableface_error(code, err, "no human face")


@pytest.mark.slow
def test_bad_options(tiny, source_video, tmp_path, capsys, stableface_error):
    code, _, err = cli(capsys, source_video, "--out", tmp_path / "x", "--size", 4)
    stableface_error(code, err, "--size 4 is not between 16 and 2048")
    code, _, err = cli(capsys, source_video, "--out", tmp_path / "x", "--splits", "0.5,abc")
    stableface_error(code, err, "--splits must be three numbers")
    assert main(["prepare", str(source_video)]) == 2  # a usage error: --out is missing
    capsys.readouterr()
