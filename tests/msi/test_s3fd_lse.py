"""``--lse-faces s3fd``: LSE-C/D on syncnet_python's own S3FD detections, tracks and crops equal
syncnet_python's pipeline and ``evaluate`` on the same real clip.

The reference is PyPI's ``syncnet-python`` 0.2.3 (``--no-deps``): its ``S3FDNet``/``S3FD`` detector,
``SyncNetPipeline._track`` and ``._crop``, and ``SyncNetInstance.evaluate``. No official weights
exist here: random S3FD and SyncNet weights saved in the official state-dict format stand in (the
S3FD score head of one map is biased towards "face", so that random weights detect something to
track). What cannot run here is replaced, and only that: the ffmpeg binary (the pipeline's 25 fps
AVI, JPEG frames, audio cuts and XVID crops; the modules ``ffmpeg`` and ``scenedetect`` are
imported by the pipeline's file but only used by those steps, so they are stubbed for the import),
and ``cv2.VideoWriter`` in ``_crop``, replaced by a list that keeps the crops it is given (the
crops before syncnet_python's lossy XVID step, a documented deviation). The clip is 16 frames of
the real carphone video with espeak-ng speech, at 25 fps."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

#: 16 frames, one track of them all (24 frames and a 15-frame minimum before: the same one track; each
#: side's S3FD and SyncNet time is per frame, and the checks are equalities, not margins)
N_FRAMES = 16
MIN_TRACK = 10


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _root() -> Path:
    spec = importlib.util.find_spec("syncnet_python")
    if spec is None:
        pytest.fail("syncnet-python 0.2.3 is not installed: pip install --no-deps syncnet-python==0.2.3")
    return Path(spec.submodule_search_locations[0])


def _load(name: str, path: Path, package: bool = False):
    kw = {"submodule_search_locations": [str(path.parent)]} if package else {}
    s = importlib.util.spec_from_file_location(name, path, **kw)
    m = importlib.util.module_from_spec(s)
    sys.modules[name] = m
    s.loader.exec_module(m)
    return m


@pytest.fixture(scope="module")
def reference():
    """syncnet_python's S3FD package, SyncNet model and instance, and its pipeline module (its
    ``ffmpeg``/``scenedetect`` imports stubbed: the steps that use them need the ffmpeg binary)."""
    root = _root()
    from torchvision_oracle import stubbed_modules

    s3fd = _load("_ref_s3fd", root / "detectors" / "s3fd" / "__init__.py", package=True)
    model = _load("_ref_SyncNetModel", root / "SyncNetModel.py")
    inst = _load("_ref_SyncNetInstance", root / "SyncNetInstance.py")
    stubs = {"ffmpeg": types.ModuleType("ffmpeg"), "scenedetect": types.ModuleType("scenedetect"),
             "scenedetect.video_manager": types.ModuleType("scenedetect.video_manager")}
    for attr in ("ContentDetector", "SceneManager", "StatsManager"):
        setattr(stubs["scenedetect"], attr, None)
    stubs["scenedetect.video_manager"].VideoManager = None
    with stubbed_modules(stubs):
        pkg = types.ModuleType("_ref_syncnet_pkg")  # the pipeline's relative imports resolve here
        pkg.__path__ = [str(root)]
        sys.modules["_ref_syncnet_pkg"] = pkg
        sys.modules["_ref_syncnet_pkg.detectors"] = types.ModuleType("_ref_syncnet_pkg.detectors")
        sys.modules["_ref_syncnet_pkg.detectors.s3fd"] = s3fd
        sys.modules["_ref_syncnet_pkg.detectors.s3fd.nets"] = sys.modules["_ref_s3fd.nets"]
        sys.modules["_ref_syncnet_pkg.SyncNetInstance"] = inst
        sys.modules["_ref_syncnet_pkg.SyncNetModel"] = model
        pipe = _load("_ref_syncnet_pkg.syncnet_pipeline", root / "syncnet_pipeline.py")
    return SimpleNamespace(s3fd=s3fd, nets=sys.modules["_ref_s3fd.nets"], model=model, inst=inst, pipe=pipe)


@pytest.fixture(scope="module")
def weights(reference, tmp_path_factory):
    """Random S3FD and SyncNet weights, saved as ``torch.save(net.state_dict())`` (the official format)."""
    torch.manual_seed(0)
    det = reference.nets.S3FDNet(device="cpu")
    with torch.no_grad():  # map 3 (stride 32, 128 px anchors) leans to "face": scores near 0.98
        det.conf[3].weight.mul_(0.01)
        det.conf[3].bias.copy_(torch.tensor([0.0, 4.0]))
    sync = reference.model.S()
    for m in sync.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    d = tmp_path_factory.mktemp("s3fd_weights")
    torch.save(det.state_dict(), d / "sfd_face.pth")
    torch.save(sync.state_dict(), d / "syncnet_v2.model")
    return d / "sfd_face.pth", d / "syncnet_v2.model"


@pytest.fixture(scope="module")
def clip(pristine_frames, tmp_path_factory):
    """16 real carphone frames at 25 fps with espeak-ng speech (H.264 + AAC)."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("s3fd_clip")
    subprocess.run(["espeak-ng", "-w", str(d / "speech.wav"), "Stable faces do not jitter when they speak."],
                   check=True)
    rate, raw = wavfile.read(d / "speech.wav")
    speech = resample_poly(raw.astype(np.float32) / 32768, 16000, rate)
    speech = np.pad(speech, (0, max(0, N_FRAMES * 640 - len(speech))))[:N_FRAMES * 640]
    return write_video(d / "method" / "clip.mp4", pristine_frames[:N_FRAMES], fps=25, audio=speech,
                       sample_rate=16000, threads=1)


def _reference_lse(reference, weights, clip, tmp_path, monkeypatch):
    """syncnet_python on the clip: S3FD.detect_faces on every frame (read back as the pipeline
    does, BGR -> RGB), _track, _crop (its crops kept), evaluate on each track."""
    import cv2
    from scipy.io import wavfile

    from msi.io.audio import read_audio
    from msi.io.video import read_frames

    det_net = reference.nets.S3FDNet(device="cpu")
    det_net.load_state_dict(torch.load(weights[0], map_location="cpu"))
    detector = reference.s3fd.S3FD(net=det_net, device="cpu")
    frames_dir = tmp_path / "frames"
    frames_dir.mkdir()
    paths = []
    for k, f in enumerate(read_frames(clip)):  # lossless PNGs in place of the pipeline's JPEGs
        paths.append(str(frames_dir / f"{k + 1:06d}.png"))
        cv2.imwrite(paths[-1], cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    detections = []
    for i, fp in enumerate(paths):
        boxes = detector.detect_faces(cv2.cvtColor(cv2.imread(fp), cv2.COLOR_BGR2RGB), conf_th=0.9, scales=[0.25])
        detections.append([{"frame": i, "bbox": b[:-1].tolist(), "conf": float(b[-1])} for b in boxes])
    pipe = object.__new__(reference.pipe.SyncNetPipeline)
    pipe.cfg = reference.pipe.PipelineConfig(min_track=MIN_TRACK, ffmpeg_bin="true")  # /bin/true: the cuts
    tracks = pipe._track([lst.copy() for lst in detections])

    written: list[np.ndarray] = []

    class Keep:  # in place of cv2.VideoWriter: the crops syncnet_python would encode as XVID
        def __init__(self, path, *args):
            Path(path).touch()

        def write(self, img):
            written.append(img.copy())

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoWriter", Keep)
    samples = read_audio(clip, 16000).samples
    model = reference.model.S()
    inst = reference.inst.SyncNetInstance(model, device="cpu")
    inst.loadParameters(str(weights[1]))
    out = []
    for i, t in enumerate(tracks):
        written.clear()
        pipe._crop(t, paths, str(tmp_path / "speech.wav"), tmp_path / "cropped" / f"{i:05d}")
        crops = np.stack(written)
        d = tmp_path / f"eval{i}"
        d.mkdir()
        for k, c in enumerate(crops):  # PNG bytes under evaluate's *.jpg names: the crops exactly
            ok, png = cv2.imencode(".png", c)
            (d / f"{k + 1:06d}.jpg").write_bytes(png.tobytes())
        a = int(round(t["frame"][0] / 25 * 16000))
        b = int(round((t["frame"][-1] + 1) / 25 * 16000))
        wavfile.write(str(d / "audio.wav"), 16000, samples[a:b])
        off, conf, dist = inst.evaluate(SimpleNamespace(tmp_dir=str(d), batch_size=20, vshift=15))
        out.append({"frames": np.asarray(t["frame"]), "boxes": np.asarray(t["bbox"]), "crops": crops,
                    "offset": int(off), "conf": float(conf), "dist": float(dist)})
    return detections, out


@pytest.mark.slow
def test_detections_tracks_crops_and_lse_equal_syncnet_python(reference, weights, clip, tmp_path, monkeypatch):
    from msi.io.video import read_frames
    from msi.metrics.s3fd_faces import track_crops, video_s3fd_sync
    from msi.metrics.syncnet import load_syncnet
    from msi.networks import s3fd
    from msi.networks.s3fd import load_s3fd

    ref_dets, ref = _reference_lse(reference, weights, clip, tmp_path, monkeypatch)
    det = load_s3fd(weights[0])
    frames = read_frames(clip)
    seen = []  # every frame's detections as the pipeline makes them (not detected a second time)
    detect = s3fd.detect_faces
    monkeypatch.setattr(s3fd, "detect_faces", lambda *a, **k: seen.append(detect(*a, **k)) or seen[-1])
    res = video_s3fd_sync(str(clip), det, load_syncnet(weights[1]), min_track=MIN_TRACK)
    assert len(seen) == N_FRAMES
    for ours, ref_k in zip(seen, ref_dets):  # detections frame by frame: boxes and scores
        theirs = np.array([[*d["bbox"], d["conf"]] for d in ref_k]).reshape(-1, 5)
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)
    assert all(len(seen[k]) for k in (0, N_FRAMES // 2, N_FRAMES - 1))
    assert len(res.tracks) == len(ref) >= 1
    for t, r in zip(res.tracks, ref):
        assert list(t.frames) == list(r["frames"])
        np.testing.assert_allclose(t.boxes, r["boxes"], rtol=1e-5, atol=1e-3)
        # the crops syncnet_python writes, RGB here and BGR there
        assert np.array_equal(track_crops(frames, t)[..., ::-1], r["crops"])
    for p, r in zip(res.per_track, ref):
        assert p.offset == r["offset"]
        assert p.lse_c == pytest.approx(r["conf"], rel=1e-5, abs=1e-6)
        assert p.lse_d == pytest.approx(r["dist"], rel=1e-5, abs=1e-6)
    assert res.lse_c == pytest.approx(max(r["conf"] for r in ref), rel=1e-5, abs=1e-6)
    assert res.lse_d == pytest.approx(min(r["dist"] for r in ref), rel=1e-5, abs=1e-6)


def test_track_walk_by_hand():
    """Boxes A (frames 0-3) and a far box B in frame 1: one track of A's 4 frames (B starts the
    second, too short); a gap over ``max_missed`` frames ends a track."""
    from msi.metrics.s3fd_faces import track_faces

    a = [0, 0, 200, 200]
    b = [300, 300, 500, 500]
    dets = [np.array([a]), np.array([a, b]), np.array([a]), np.array([a])]
    tracks = track_faces(dets, min_track=3, min_face_size=100)
    assert len(tracks) == 1 and list(tracks[0].frames) == [0, 1, 2, 3]
    gap = [np.array([a])] * 4 + [np.zeros((0, 4))] * 30 + [np.array([a])] * 4
    assert [list(t.frames) for t in track_faces(gap, min_track=3, min_face_size=100, max_missed=25)] == \
        [[0, 1, 2, 3], [34, 35, 36, 37]]
    assert track_faces(dets, min_track=3, min_face_size=250) == []  # faces too small


def test_bad_s3fd_weights_are_one_line_naming_the_network(run_cli, one_line_error, tmp_path, pristine):
    """A wrong file for --s3fd-weights: one line naming what it looks like, exit 1, before any
    video is read; the detector's file alone implies --lse-faces s3fd."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.mp4").symlink_to(pristine)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a torch file")
    sync = tmp_path / "syncnet_v2.model"
    torch.save({"netcnnaud.0.weight": torch.zeros(1)}, sync)
    m = f"m={tmp_path / 'm'}"
    one_line_error(*run_cli(["compare", m, "--s3fd-weights", junk])[::2], "junk.pth", "S3FD", exit_code=1)
    one_line_error(*run_cli(["compare", m, "--lse-faces", "s3fd", "--s3fd-weights", sync])[::2],
                   "not S3FD weights", "looks like syncnet_python's SyncNet", exit_code=1)
    one_line_error(*run_cli(["compare", m, "--lse-faces", "s3fd"])[::2], "--lse-faces s3fd needs --s3fd-weights")
