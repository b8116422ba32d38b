"""LSE-C / LSE-D: our torch SyncNet equals syncnet_python's reference code on the same inputs.

The reference is PyPI's ``syncnet-python`` 0.2.3 (installed with ``--no-deps`` by the test command);
its package ``__init__`` needs ffmpeg-python and scenedetect, so its two modules are loaded from
their files. No official weights exist here: random weights (BatchNorm statistics included) saved
in the official state-dict format stand in; equality on them checks every step of the computation.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _reference_modules():
    spec = importlib.util.find_spec("syncnet_python")
    if spec is None:
        pytest.fail("syncnet-python 0.2.3 is not installed: pip install --no-deps syncnet-python==0.2.3")
    root = Path(spec.submodule_search_locations[0])
    mods = {}
    for name in ("SyncNetModel", "SyncNetInstance"):
        s = importlib.util.spec_from_file_location(f"_ref_{name}", root / f"{name}.py")
        m = importlib.util.module_from_spec(s)
        sys.modules[s.name] = m
        s.loader.exec_module(m)
        mods[name] = m
    return mods["SyncNetModel"], mods["SyncNetInstance"]


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory) -> Path:
    """Random SyncNet weights in the official format: ``torch.save(S().state_dict())``."""
    model_mod, _ = _reference_modules()
    torch.manual_seed(0)
    net = model_mod.S()
    for m in net.modules():  # non-trivial BatchNorm statistics, so eval-mode BN is exercised
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    path = tmp_path_factory.mktemp("syncnet") / "syncnet_v2.model"
    torch.save(net.state_dict(), path)
    return path


N_FRAMES = 26


@pytest.fixture(scope="module")
def crops_and_audio(talking_clip, tmp_path_factory):
    """Our face crops of the first 26 frames (1.04 s) of the talking clip, written as the reference
    reads them: BGR JPEGs ``%06d.jpg`` and ``audio.wav`` (int16, 16 kHz) in one folder. 26 frames give
    21 windows: with batch size 20, one full batch and a partial one, as in a long video."""
    import cv2
    from scipy.io import wavfile

    from msi.io.audio import read_audio
    from msi.acquire import get_landmarks
    from msi.metrics.syncnet import crop_face, crop_track, face_boxes
    from msi.io.video import read_frames

    n = N_FRAMES
    lm = get_landmarks(talking_clip.video).landmarks[:n]
    frames = read_frames(talking_clip.video, limit=n)
    track = crop_track(face_boxes(lm))
    d = tmp_path_factory.mktemp("syncnet_tmp")
    for k, (f, t) in enumerate(zip(frames, track)):
        cv2.imwrite(str(d / f"{k + 1:06d}.jpg"), cv2.cvtColor(crop_face(f, *t), cv2.COLOR_RGB2BGR))
    audio = read_audio(talking_clip.video).samples[: n * 640]
    wavfile.write(str(d / "audio.wav"), 16000, audio)
    return d


@pytest.mark.slow
def test_lse_equals_syncnet_python(random_weights, crops_and_audio):
    import cv2
    from scipy.io import wavfile

    from msi.metrics.syncnet import load_syncnet, sync_scores

    model_mod, inst_mod = _reference_modules()
    ref = inst_mod.SyncNetInstance(model_mod.S(), device="cpu")
    ref.loadParameters(str(random_weights))
    opt = SimpleNamespace(tmp_dir=str(crops_and_audio), batch_size=20, vshift=15)
    ref_offset, ref_conf, ref_dist = ref.evaluate(opt)

    bgr = np.stack([cv2.imread(str(p)) for p in sorted(crops_and_audio.glob("*.jpg"))])
    _, audio = wavfile.read(crops_and_audio / "audio.wav")
    net = load_syncnet(random_weights)
    ours = sync_scores(net, bgr, audio, channel_order="bgr")
    assert ours.offset == ref_offset
    assert ours.lse_c == pytest.approx(ref_conf, rel=1e-5, abs=1e-6)
    assert ours.lse_d == pytest.approx(ref_dist, rel=1e-5, abs=1e-6)
    assert ours.windows == N_FRAMES - 5 > opt.batch_size
    # RGB input (PyAV's order) is flipped to the network's BGR: the same numbers, to the bit (on the
    # first 11 frames, 6 windows: the flip is per pixel, and 2 x 6 windows cost less than 21 again)
    short = {order: sync_scores(net, x[:11], audio[:11 * 640], channel_order=order)
             for order, x in (("bgr", bgr), ("rgb", bgr[..., ::-1]))}
    assert short["rgb"].windows == 6 and np.array_equal(short["rgb"].mean_dists, short["bgr"].mean_dists)
    assert short["rgb"].lse_c == short["bgr"].lse_c and short["rgb"].offset == short["bgr"].offset
    # LSE-C is median - min over the 31 mean distances, LSE-D the min
    md = ours.mean_dists
    assert len(md) == 31
    assert ours.lse_d == pytest.approx(md.min()) and ours.lse_c == pytest.approx(np.median(md) - md.min())


def test_crop_matches_syncnet_pipeline_geometry():
    """crop_face = run_pipeline's crop_video: pad by s(1+2cs) with 110, rows cy-s .. cy+s(1+2cs),
    columns cx +- s(1+cs), resized to 224 (checked on a frame of known pixel values)."""
    import cv2

    from msi.metrics.syncnet import crop_face

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, size=(240, 320, 3), dtype=np.uint8)
    cx, cy, s = 150.3, 110.7, 40.0
    bsi = int(s * 1.8)
    padded = np.pad(frame, ((bsi, bsi), (bsi, bsi), (0, 0)), constant_values=110)
    my, mx = cy + bsi, cx + bsi
    want = cv2.resize(padded[int(my - s):int(my + s * 1.8), int(mx - s * 1.4):int(mx + s * 1.4)], (224, 224))
    assert np.array_equal(crop_face(frame, cx, cy, s), want)
    # near the border the grey padding shows
    edge = crop_face(frame, 5.0, 5.0, 40.0)
    assert (edge[0, 0] == 110).all()


def test_crop_track_median_and_gaps():
    from msi.metrics.syncnet import crop_track

    boxes = np.tile([100.0, 50.0, 160.0, 130.0], (30, 1))
    boxes[10] += 40  # one outlier frame: removed by the 13-frame median
    boxes[20] = np.nan  # no face: takes the nearest face's box
    t = crop_track(boxes)
    assert np.allclose(t[10], [130, 90, 40]) and np.allclose(t[20], [130, 90, 40])


def test_bad_weights_are_one_line_errors(tmp_path, random_weights):
    from msi.metrics.syncnet import BadWeights, load_syncnet

    with pytest.raises(BadWeights, match="no such"):
        load_syncnet(tmp_path / "missing.model")
    (tmp_path / "junk.model").write_bytes(b"not a model")
    with pytest.raises(BadWeights, match="not a readable"):
        load_syncnet(tmp_path / "junk.model")
    torch.save({"conv.weight": torch.zeros(3)}, tmp_path / "other.model")
    with pytest.raises(BadWeights, match="not SyncNet v2"):
        load_syncnet(tmp_path / "other.model")
    # prefixed keys (a saved SyncNetInstance) and missing num_batches_tracked (old PyTorch) load
    state = torch.load(random_weights, weights_only=True)
    torch.save({f"__S__.{k}": v for k, v in state.items() if not k.endswith("num_batches_tracked")},
               tmp_path / "prefixed.model")
    a, b = load_syncnet(random_weights), load_syncnet(tmp_path / "prefixed.model")
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))


def test_too_short_for_syncnet(random_weights):
    from msi.errors import TooShort
    from msi.metrics.syncnet import load_syncnet, sync_scores

    with pytest.raises(TooShort, match="at least 6 frames"):
        sync_scores(load_syncnet(random_weights), np.zeros((5, 224, 224, 3), np.uint8), np.zeros(3200, np.int16))


def test_resample_indices():
    from msi.metrics.syncnet import resample_indices

    assert np.array_equal(resample_indices(10, 25.0), np.arange(10))
    idx = resample_indices(60, 30.0)  # 2 s at 30 fps -> 50 frames at 25 fps, nearest in time
    assert len(idx) == 50 and idx[0] == 0 and idx[-1] == round(49 * 30 / 25)
    assert math.isclose(np.diff(idx).mean(), 1.2, rel_tol=0.05)


@pytest.mark.slow
def test_video_at_30_fps_and_44k_is_resampled_for_the_user(talking_clip, tmp_path):
    """A 30 fps video with 44.1 kHz audio: frames go to 25 fps, audio to 16 kHz, and the result says so."""
    from msi.io.audio import read_audio
    from msi.metrics.syncnet import SyncNet, video_sync
    from msi.io.video import read_frames, write_video

    frames = read_frames(talking_clip.video, limit=18)  # 0.72 s at 25 fps, written as 0.6 s at 30 fps
    wave = read_audio(talking_clip.video, sample_rate=44100).samples[:int(0.6 * 44100)].astype(np.float32) / 32768
    path = write_video(tmp_path / "v30.mp4", frames, fps=30, audio=wave, sample_rate=44100)
    lm = np.zeros((18, 478, 2))
    lm[:, :, 0] = np.linspace(80, 180, 478)
    lm[:, :, 1] = np.linspace(60, 200, 478)  # a fixed face box
    torch.manual_seed(0)
    res = video_sync(path, SyncNet().eval(), lm, 30.0)
    assert res.windows == 15 - 5  # 18 frames at 30 fps = 15 at 25 fps
    assert any("25 fps" in n for n in res.notes) and any("44100 Hz to 16 kHz" in n for n in res.notes)
    assert -15 <= res.offset <= 15 and res.lse_c >= 0
