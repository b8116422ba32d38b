"""build_clip end to end: real espeak-ng speech, the real photo, PyAV mp4, and real MediaPipe tracking
of the written videos for the jitter / MSI validation."""
from __future__ import annotations

import json

import av
import numpy as np
import pytest
from scipy.io import wavfile

from generator.cli import main
from generator.corpus.build import build_clip
from msi.constants import TARGET_MOUTH_WIDTH
from msi.metrics.stability import accelerations, msi_from_landmarks
from msi.regions import get_scheme
from msi.tracking.trackers import track_video

SIZE, SECONDS, SEED, FPS = 128, 4.0, 3, 25
SIGMAS = (0.0, 0.5, 1.0, 2.0)
LIP = list(get_scheme("mediapipe478").lip)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    return {s: build_clip(out, seconds=SECONDS, seed=SEED, jitter=s, size=SIZE) for s in SIGMAS}


@pytest.fixture(scope="module")
def tracked(clips):
    return {s: track_video(p.video).landmarks for s, p in clips.items()}


def _excess_acc_var(lm: np.ndarray, clean: np.ndarray) -> float:
    """Mean over lip landmarks and x, y of var(acceleration), minus the clean clip's, MSI units."""
    w = np.linalg.norm(clean[:5, 61, :2] - clean[:5, 291, :2], axis=-1).mean()
    var = lambda a: accelerations(a[:, LIP, :2] * TARGET_MOUTH_WIDTH / w).var(axis=0).mean()  # noqa: E731
    return float(var(lm) - var(clean))


@pytest.mark.slow
def test_files_and_streams(clips):
    p = clips[0.0]
    with av.open(str(p.video)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and (v.width, v.height) == (SIZE, SIZE)
        assert float(v.average_rate) == FPS
        assert a.codec_context.name == "aac" and a.rate == 16000 and a.channels == 1
        n_video = sum(1 for _ in c.decode(video=0))
    with av.open(str(p.video)) as c:
        n_audio = sum(f.samples for f in c.decode(audio=0))
        audio_duration = float(c.streams.audio[0].duration * c.streams.audio[0].time_base)
    assert n_video == int(SECONDS * FPS)
    # Audio and video durations agree within one frame (in the mp4 and the wav); decoding adds at
    # most the padding of the last 1024-sample AAC frame.
    assert abs(audio_duration - n_video / FPS) <= 1 / FPS
    assert 0 <= n_audio - SECONDS * 16000 < 1024
    sr, wav = wavfile.read(p.wav)
    assert sr == 16000 and wav.ndim == 1 and len(wav) == int(SECONDS * 16000)
    assert np.abs(wav).max() > 3000  # speech, not silence


@pytest.mark.slow
def test_tracked_mouth_follows_the_truth_and_the_audio(clips, tracked):
    """What MediaPipe sees in the mp4 is the articulation, in sync with the audio track."""
    d = np.load(clips[0.0].truth)
    opening = d["mouth"][:, 0]
    lm = tracked[0.0]
    gap = lm[:, 14, 1] - lm[:, 13, 1]  # inner-lip opening seen by the tracker
    assert np.corrcoef(gap, opening)[0, 1] > 0.85
    # The mp4's audio starts with the video: it matches the wav sample for sample at offset 0 ...
    with av.open(str(clips[0.0].video)) as c:
        audio = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    sr, wav = wavfile.read(clips[0.0].wav)
    wav = wav.astype(np.float32) / 32767
    xc = np.correlate(audio[: len(wav) + 800], wav[: len(wav) - 800], mode="valid")
    assert int(np.argmax(xc)) == 0
    assert np.corrcoef(audio[: len(wav)], wav)[0, 1] > 0.95
    # ... and is loud on the truth's vowels, quiet before its first phoneme.
    rms = lambda s, e: np.sqrt(np.mean(audio[int(s * sr) : int(e * sr)] ** 2))  # noqa: E731
    names, st, en = d["phonemes"], d["phoneme_start"], d["phoneme_end"]
    open_vowels = ("a", "A:", "i:", "u:", "E", "eI", "oU", "V", "aI", "O:")
    vowels = [rms(a, b) for p, a, b in zip(names, st, en) if p in open_vowels]
    assert st[0] > 0.15  # silent lead-in before the first phoneme
    assert len(vowels) > 5 and np.median(vowels) > 10 * rms(0.01, st[0] - 0.01)


@pytest.mark.slow
def test_ground_truth_contents(clips):
    d = np.load(clips[0.0].truth)
    n = int(SECONDS * FPS)
    assert d["mouth"].shape == (n, 3) and d["pose"].shape == (n, 5) and d["jitter"].shape == (n, 2)
    assert d["landmarks"].shape == (n, 478, 3) and d["face_landmarks"].shape == (478, 3)
    assert len(d["phonemes"]) == len(d["phoneme_start"]) == len(d["phoneme_end"]) > 10
    assert np.all(np.diff(d["phoneme_start"]) >= 0) and d["phoneme_end"].max() <= SECONDS + 1e-9
    assert (d["jitter"] == 0).all() and float(d["jitter_sigma"]) == 0
    assert d["blink"].shape == (n,) and 0 <= d["blink"].min() and d["blink"].max() <= 1
    assert len(d["sentences"]) >= 1 and str(d["sentences"][0]).strip()
    # The mouth really moves with the speech: it opens and closes.
    assert d["mouth"][:, 0].max() > 0.5 and d["mouth"][:, 0].min() < 0.05
    # Slow head motion: pose changes, but smoothly (small accelerations).
    assert np.ptp(d["pose"][:, 0]) > np.radians(0.5)
    assert np.abs(accelerations(d["pose"][:, 3:])).max() < 0.05


@pytest.mark.slow
def test_same_seed_same_arrays_different_seed_differs(clips, tmp_path):
    again = build_clip(tmp_path, seconds=SECONDS, seed=SEED, jitter=1.0, size=SIZE)
    a, b = np.load(clips[1.0].truth), np.load(again.truth)
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), k
    other = np.load(build_clip(tmp_path, seconds=1.0, seed=SEED + 1, size=64).truth)
    assert not np.array_equal(other["phonemes"], a["phonemes"][: len(other["phonemes"])]) or \
        not np.array_equal(other["pose"], a["pose"][: len(other["pose"])])


@pytest.mark.slow
def test_jitter_is_the_only_difference_between_sigmas(clips):
    clean = np.load(clips[0.0].truth)
    jit = np.load(clips[2.0].truth)
    for k in ("mouth", "pose", "blink", "phoneme_start"):
        assert np.array_equal(clean[k], jit[k])
    px = float(jit["jitter_px_per_unit"])
    assert jit["jitter"].std() == pytest.approx(2.0 * px, rel=0.15)
    # Lip landmarks move by the jitter (up to the small head rotation applied after it).
    d = jit["landmarks"][:, LIP, :2] - clean["landmarks"][:, LIP, :2]
    assert np.abs(d - jit["jitter"][:, None, :]).max() < 0.1 * px * 2.0 + 0.02


@pytest.mark.slow
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_jitter_raises_acceleration_by_6_sigma2_ground_truth(clips, sigma):
    """Three i.i.d. terms in a_t = p[t+1] - 2 p[t] + p[t-1]: variance 6 sigma^2 more."""
    clean = np.load(clips[0.0].truth)["landmarks"]
    lm = np.load(clips[sigma].truth)["landmarks"]
    assert _excess_acc_var(lm, clean) == pytest.approx(6 * sigma**2, rel=0.25)


@pytest.mark.slow
@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_jitter_raises_acceleration_by_6_sigma2_tracked(tracked, sigma):
    """The same, measured by MediaPipe on the decoded mp4 (128 px, H.264)."""
    assert np.isfinite(tracked[sigma]).all() and np.isfinite(tracked[0.0]).all()
    assert _excess_acc_var(tracked[sigma], tracked[0.0]) == pytest.approx(6 * sigma**2, rel=0.35)


@pytest.mark.slow
def test_msi_falls_as_jitter_rises(clips, tracked):
    truth = [msi_from_landmarks(np.load(clips[s].truth)["landmarks"]).msi_lip for s in SIGMAS]
    seen = [msi_from_landmarks(tracked[s]).msi_lip for s in SIGMAS]
    print("MSI-lip ground truth", np.round(truth, 3), "tracked", np.round(seen, 3))
    assert all(a > b for a, b in zip(truth, truth[1:]))
    assert all(a > b for a, b in zip(seen, seen[1:]))
    assert truth[0] > 2 * truth[1] and seen[0] > 1.3 * seen[1]


@pytest.mark.slow
def test_cli_builds_a_resumable_corpus(tmp_path, capsys):
    out = tmp_path / "corpus"
    sheet = tmp_path / "sheet.png"
    args = ["synth-corpus", "--out", str(out), "--minutes", str(3.0 / 60), "--clip-seconds", "2",
            "--size", "64", "--seed", "5", "--no-progress", "--contact-sheet", str(sheet)]
    assert main(args) == 0
    import cv2

    img = cv2.imread(str(sheet))
    assert img is not None and img.shape[0] > 192 and img.shape[1] >= 3 * 192
    summary = json.loads(capsys.readouterr().out)
    index = json.loads((out / "corpus.json").read_text())
    assert summary["clips"] == 2 and [c["seconds"] for c in index["clips"]] == [2.0, 1.0]
    for c in index["clips"]:
        assert (out / c["video"]).stat().st_size > 0 and (out / c["truth"]).exists()
    assert not list(out.glob("*.part.*"))
    mtime = (out / "clip_0000.npz").stat().st_mtime_ns
    assert main(args) == 0  # rerun: finished clips are kept, not rebuilt
    assert (out / "clip_0000.npz").stat().st_mtime_ns == mtime
    capsys.readouterr()
    assert main([*args, "--jitter", "1"]) == 1  # other settings: refuse to mix clips
    assert "other settings" in capsys.readouterr().err


@pytest.mark.parametrize("bad, message", [(["--size", "63"], "--size"), (["--jitter", "-1"], "--jitter"),
                                          (["--face", "/nonexistent.png"], "no such image"),
                                          (["--face", "GREY"], "no face found"),
                                          (["--face", "TEXT"], "not a readable image")])
def test_cli_bad_input_one_line(tmp_path, capsys, bad, message, stableface_error):
    import cv2

    if "GREY" in bad:
        cv2.imwrite(str(tmp_path / "grey.png"), np.full((200, 200, 3), 128, np.uint8))
        bad = ["--face", str(tmp_path / "grey.png")]
    if "TEXT" in bad:
        (tmp_path / "notes.png").write_text("not an image")
        bad = ["--face", str(tmp_path / "notes.png")]
    code = main(["synth-corpus", "--out", str(tmp_path / "c"), "--minutes", "0.02", "--no-progress", *bad])
    stableface_error(code, capsys.readouterr().err, message)


@pytest.mark.slow
def test_cli_msi_sweep(tmp_path, capsys):
    """`--msi-sweep`: clips at each jitter level, scored by msi.score on the mp4, CSV + JSON lines.
    1.5 s clips (37 frames): measured excess acceleration variance 22.2 at sigma 2 (2 s clips: 20.0),
    within the bounds 12-36 below; MSI-Lip tracked 0.734 -> 0.054, truth 1.18 -> 0.050."""
    import pandas as pd

    out = tmp_path / "sweep"
    code = main(["synth-corpus", "--out", str(out), "--msi-sweep", "2", "--sweep-seeds", "1", "--clip-seconds", "1.5",
                 "--size", "128", "--seed", "4", "--no-progress", "--sweep-plot", str(tmp_path / "sweep.png")])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    df = pd.read_csv(out / "msi_sweep.csv")
    assert len(rows) == len(df) == 2 and list(df["sigma"]) == [0.0, 2.0]
    assert (df["face_coverage"] == 1).all()
    clean, jittered = df.iloc[0], df.iloc[1]
    assert jittered["msi_lip_tracked"] < clean["msi_lip_tracked"] and jittered["msi_lip_truth"] < clean["msi_lip_truth"]
    assert jittered["excess_tracked"] == pytest.approx(24.0, rel=0.5)
    assert (tmp_path / "sweep.png").stat().st_size > 10_000


@pytest.mark.slow
def test_given_sentences_and_a_face_array(tmp_path):
    """``sentences`` are spoken in order (cycled); ``face`` may be an RGB array (here mirrored)."""
    from skimage.data import astronaut

    face = np.ascontiguousarray(astronaut()[:, ::-1])
    p = build_clip(tmp_path, seconds=3.0, seed=0, size=64, face=face,
                   sentences=["Bob bought a boat.", "Who knew?"])
    d = np.load(p.truth)
    assert list(d["sentences"][:3]) == ["Bob bought a boat.", "Who knew?", "Bob bought a boat."]
    assert d["phonemes"][d["phonemes"] != "_"][0] == "b"
    # Mirrored photo: the face (its mouth) is mirrored in the crop too.
    ref = np.load(build_clip(tmp_path, seconds=0.2, seed=0, size=64, name="ref").truth)["face_landmarks"]
    assert d["face_landmarks"][13, 0] == pytest.approx(64 - ref[13, 0], abs=2.5)
