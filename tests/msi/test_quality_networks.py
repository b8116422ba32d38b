"""FID, FVD and CSIM (issue 22): each against its reference implementation's own computation on
the same inputs, with random weights saved in the official file format (pytorch-fid's state dict,
a TorchScript module with StyleGAN-V's I3D call signature, an ONNX model in insightface's ArcFace
input/output format); the set-level columns end to end through ``msi compare`` on real carphone
copies (a blurred copy must score a worse FID and FVD than the truth's own re-encode); damaged
weight files; too few frames or clips; no torch or onnxruntime without these options."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

# one thread: OpenMP's spinning threads slow a shared 2-core machine many-fold (measured 9x)
torch.set_num_threads(1)

REL = 1e-5
FEATURES_I3D = 400


def rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def pytorch_fid():
    """pytorch-fid's modules (torchvision as :mod:`torchvision_oracle` imports it)."""
    from torchvision_oracle import import_torchvision

    import_torchvision()
    import pytorch_fid.fid_score as fid_score
    import pytorch_fid.inception as inception

    return inception, fid_score


class RandomI3D(torch.nn.Module):
    """StyleGAN-V's I3D call signature (``forward(x, rescale, resize, return_features)``, x uint8
    (B, 3, T, H, W)) with small random layers: scale to [-1, 1], trilinear resize to 224, 400-d
    features before the logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv3d(3, 16, (3, 7, 7), stride=(2, 8, 8))
        self.features = torch.nn.Linear(16 * 4, FEATURES_I3D)
        self.logits = torch.nn.Linear(FEATURES_I3D, 400)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        x = x.float()
        if rescale:
            x = x / 127.5 - 1.0
        if resize:
            x = F.interpolate(x, size=(x.shape[2], 224, 224), mode="trilinear", align_corners=False)
        h = torch.relu(self.conv(x))
        h = F.adaptive_avg_pool3d(h, (1, 2, 2)).flatten(1)
        f = self.features(h)
        return f if return_features else self.logits(f).softmax(-1)


@pytest.fixture(scope="module")
def i3d_file(tmp_path_factory) -> Path:
    torch.manual_seed(2)
    path = tmp_path_factory.mktemp("weights") / "i3d_torchscript.pt"
    torch.jit.script(RandomI3D().eval()).save(str(path))
    return path


@pytest.fixture(scope="module")
def arcface_file(tmp_path_factory) -> Path:
    """A random ONNX model in insightface's ArcFace format: input ``input.1`` (N, 3, 112, 112)
    float32, one output (N, 512); node names as torch exports them (no leading Sub/Mul: the
    (x − 127.5) / 127.5 input)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    init = [numpy_helper.from_array(rng.normal(0, 0.05, (16, 3, 8, 8)).astype(np.float32), "w1"),
            numpy_helper.from_array(rng.normal(0, 0.05, 16).astype(np.float32), "b1"),
            numpy_helper.from_array(rng.normal(0, 0.02, (16 * 14 * 14, 512)).astype(np.float32), "w2"),
            numpy_helper.from_array(rng.normal(0, 0.02, 512).astype(np.float32), "b2")]
    nodes = [helper.make_node("Conv", ["input.1", "w1", "b1"], ["c1"], name="Conv_0", strides=[8, 8]),
             helper.make_node("Relu", ["c1"], ["r1"], name="Relu_1"),
             helper.make_node("Flatten", ["r1"], ["f1"], name="Flatten_2", axis=1),
             helper.make_node("Gemm", ["f1", "w2", "b2"], ["683"], name="Gemm_3")]
    graph = helper.make_graph(nodes, "arcface_random",
                              [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
                              [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", 512])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = tmp_path_factory.mktemp("weights") / "w600k_r50-random.onnx"
    onnx.save(model, path)
    return path


# ----------------------------------------------------------------------------- oracles


FD_DIMS = 256
#: CPBD, no column under test here, on every 16th frame (each clip's first): on every frame it was
#: the largest column of `msi compare`'s time here (a quarter of its column time, next to FID)
CPBD_STEP = 16


@pytest.mark.slow
def test_fid_equals_pytorch_fid(inception_file, pristine_frames, distorted, tmp_path, monkeypatch):
    """pytorch-fid's own pipeline (PNG files -> ImagePathDataset -> its InceptionV3 built from
    torchvision and its FID patches -> calculate_activation_statistics -> calculate_frechet_distance)
    against ours (decoded frames -> our InceptionV3 -> our exact Fréchet distance)."""
    from PIL import Image

    from msi.io.video import read_frames
    from msi.metrics.fid import fid
    from msi.networks.inception import inception_features, load_inception

    inception, fid_score = pytorch_fid()
    monkeypatch.setattr(inception, "load_state_dict_from_url", lambda *a, **k: torch.load(inception_file))
    sets = {"a": pristine_frames[:3], "b": read_frames(distorted)[40:43]}
    ref_model = inception.InceptionV3([inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()
    ours_model = load_inception(inception_file)
    ref_stats, ours_feats = {}, {}
    for name, frames in sets.items():
        files = []
        for i, f in enumerate(frames):
            files.append(tmp_path / f"{name}{i}.png")
            Image.fromarray(f).save(files[-1])
        act = fid_score.get_activations(files, ref_model, batch_size=2, dims=2048, device="cpu", num_workers=0)
        ours_feats[name] = inception_features(ours_model, frames, batch=3)  # other batches: same numbers
        assert rel_err(ours_feats[name], act) < REL
        # the distance on the first 256 of the 2048 features: the formula does not depend on the
        # dimension, and scipy's sqrtm of a 2048 x 2048 product costs most of this test's time
        act = act[:, :FD_DIMS]
        ref_stats[name] = (np.mean(act, axis=0), np.cov(act, rowvar=False))
    ref = fid_score.calculate_frechet_distance(*ref_stats["a"], *ref_stats["b"])
    ours = fid(ours_feats["a"][:, :FD_DIMS], ours_feats["b"][:, :FD_DIMS])
    assert ref > 0 and abs(ours - ref) / ref < REL, (ours, ref)


def stylegan_v_fvd(detector, real_clips: np.ndarray, gen_clips: np.ndarray, batch_size: int = 8) -> float:
    """A transcription of StyleGAN-V's FVD path (``metric_utils.compute_feature_stats_for_dataset``
    with ``temporal_detector=True``, ``FeatureStats(capture_mean_cov=True)``, and
    ``frechet_video_distance.compute_fvd``): clips [b, t, c, h, w] uint8 -> permute(0, 2, 1, 3, 4)
    -> detector(images, rescale=True, resize=True, return_features=True); mean and covariance
    accumulated in float64; scipy's sqrtm."""
    import scipy.linalg

    def stats(clips):
        raw_mean = raw_cov = None
        n = 0
        for i in range(0, len(clips), batch_size):
            images = torch.from_numpy(clips[i:i + batch_size]).permute(0, 1, 4, 2, 3)  # dataset items [t, c, h, w]
            images = images.permute(0, 2, 1, 3, 4).contiguous()  # [batch_size, c, t, h, w]
            with torch.no_grad():
                x = detector(images, rescale=True, resize=True, return_features=True)
            x64 = np.asarray(x.numpy(), dtype=np.float32).astype(np.float64)
            raw_mean = x64.sum(0) if raw_mean is None else raw_mean + x64.sum(0)
            raw_cov = x64.T @ x64 if raw_cov is None else raw_cov + x64.T @ x64
            n += len(x64)
        mean = raw_mean / n
        return mean, raw_cov / n - np.outer(mean, mean)

    mu_real, sigma_real = stats(real_clips)
    mu_gen, sigma_gen = stats(gen_clips)
    m = np.square(mu_gen - mu_real).sum()
    s, _ = scipy.linalg.sqrtm(np.dot(sigma_gen, sigma_real), disp=False)
    return float(np.real(m + np.trace(sigma_gen + sigma_real - s * 2)))


def test_fvd_equals_stylegan_v(i3d_file, pristine_frames, distorted):
    """Our clip cutting, batching, TorchScript call and Fréchet distance against StyleGAN-V's."""
    from msi.io.video import read_frames
    from msi.metrics.fvd import fvd
    from msi.networks.i3d import clips_of, i3d_features, load_i3d

    real = pristine_frames[:80]
    gen = read_frames(distorted)[:80]
    net = load_i3d(i3d_file)
    ours = fvd(i3d_features(net, clips_of(iter(gen)), batch=3), i3d_features(net, clips_of(iter(real))))
    cut = lambda fr: fr[: len(fr) // 16 * 16].reshape(-1, 16, *fr.shape[1:])  # noqa: E731
    ref = stylegan_v_fvd(torch.jit.load(str(i3d_file)).eval(), cut(real), cut(gen))
    assert ref > 0 and abs(ours - ref) / ref < REL, (ours, ref)


@pytest.fixture(scope="module")
def tracked(pristine, distorted):
    from msi.acquire import get_landmarks
    from msi.settings import Settings

    return {p: get_landmarks(p, Settings()) for p in (pristine, distorted)}


@pytest.mark.slow
def test_csim_equals_insightface(arcface_file, pristine, distorted, tracked):
    """insightface's ``face_align.norm_crop`` + ``ArcFaceONNX.get_feat`` + ``compute_sim`` on the
    same five points against ours, frame by frame, and the CSIM column through the real decoder,
    tracker and frame pairing."""
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.utils import face_align

    from msi.comparison.video_columns import video_context
    from msi.io.video import read_frames
    from msi.metrics import csim as identity
    from msi.networks.arcface import load_arcface
    from msi.settings import Settings

    ref_model = ArcFaceONNX(model_file=str(arcface_file))
    ours = load_arcface(arcface_file)
    assert (ours.input_mean, ours.input_std, ours.input_size) == (ref_model.input_mean, ref_model.input_std, 112)
    gen, truth = read_frames(distorted), read_frames(pristine)
    lg, lt = tracked[distorted].landmarks, tracked[pristine].landmarks
    sims, e_ours, e_ref = [], [], []
    for k in range(len(gen)):
        pg, pt = identity.five_points(lg[k]), identity.five_points(lt[k])
        if not (np.isfinite(pg).all() and np.isfinite(pt).all()):
            continue  # no face in one of them: not in CSIM
        assert pg[0, 0] < pg[1, 0] and pg[3, 0] < pg[4, 0]  # image order: left eye, right eye, ...
        a, b = [ref_model.get_feat(face_align.norm_crop(f[..., ::-1].copy(), p))[0]  # insightface: BGR in
                for f, p in ((gen[k], pg), (truth[k], pt))]
        sims.append(ref_model.compute_sim(a, b))
        if len(e_ref) < 8:
            e_ref.append(a)
            e_ours.append(ours.embed(identity.align_face(gen[k], pg)[None])[0])
    assert rel_err(e_ours, e_ref) < REL
    settings = Settings()
    ctx = video_context(distorted, settings, truth=video_context(pristine, settings), weights={"arcface": arcface_file})
    value = identity.METRIC.compute(ctx)["csim"]
    assert abs(value - np.mean(sims)) / abs(np.mean(sims)) < REL, (value, np.mean(sims))
    assert -1 <= value <= 1


# ----------------------------------------------------------------------------- msi compare end to end


@pytest.fixture(scope="module")
def methods(tmp_path_factory, pristine_frames) -> Path:
    """carphone (two 16-frame clips: one FVD clip and, at ``--fid-step 16``, one FID frame each) as
    the truth and as three methods: ``real`` (the truth re-encoded), ``blurred`` (Gaussian blur,
    σ = 2 px), ``short`` (15 frames: less than one FVD clip). On 16 frames FID was 54 / 244 (real /
    blurred), FVD 1.3e-4 / 1.1e-2, CSIM 0.994 / 0.914."""
    import cv2

    from msi.io.video import write_video

    root = tmp_path_factory.mktemp("qn")
    clips = {"a": pristine_frames[:16], "b": pristine_frames[48:64]}
    for name, fr in clips.items():
        for method, frames in (("truth", fr), ("real", fr),
                               ("blurred", [cv2.GaussianBlur(f, (0, 0), 2.0) for f in fr]), ("short", fr[:15])):
            (root / method).mkdir(exist_ok=True)
            write_video(root / method / f"{name}.mp4", np.asarray(frames), fps=25, crf=4 if method == "truth" else 18,
                        threads=1)
    return root


@pytest.mark.slow
def test_compare_ranks_blur_worse(methods, inception_file, i3d_file, arcface_file, run_cli):
    """FID, FVD and CSIM in ``msi compare``: a blurred copy scores a worse FID and FVD than the
    truth's own re-encode; set-level cells with a bootstrap CI over videos; too few clips: an
    empty cell and warnings that say why."""
    import json

    code, out, err = run_cli(["compare", *(f"{m}={methods / m}" for m in ("real", "blurred", "short")),
                              "--truth", methods / "truth", "--inception-weights", inception_file,
                              "--i3d-weights", i3d_file, "--arcface-weights", arcface_file,
                              "--fid-step", 16, "--bootstrap", 20, "--cpbd-step", CPBD_STEP, "--format", "json"])
    assert code == 0, err
    summary = {(r["method"], r["metric"]): r for r in json.loads(out)["summary"]}
    fid = {m: summary[(m, "fid")] for m in ("real", "blurred", "short")}
    fvd = {m: summary[(m, "fvd")] for m in ("real", "blurred", "short")}
    assert fid["blurred"]["mean"] > fid["real"]["mean"] > 0, fid
    assert fvd["blurred"]["mean"] > fvd["real"]["mean"] > 0, fvd
    assert fid["real"]["n"] == 2 and fid["real"]["ci_low"] <= fid["real"]["mean"] <= fid["real"]["ci_high"]
    assert fvd["short"]["n"] == 0 and fvd["short"]["mean"] is None  # 0 clips: empty cell
    assert "shorter than one 16-frame clip" in err and "FVD skipped: 0 clips" in err, err
    assert summary[("real", "csim")]["mean"] > summary[("blurred", "csim")]["mean"]
    code, out, err = run_cli(["compare", *(f"{m}={methods / m}" for m in ("real", "blurred")),
                              "--inception-weights", inception_file, "--fid-step", 16, "--bootstrap", 0,
                              "--cpbd-step", CPBD_STEP])
    assert code == 0, err
    header, real, blurred = out.splitlines()[0], out.splitlines()[2], out.splitlines()[3]
    col = [h.strip() for h in header.split("|")].index("FID ↓")
    assert real.split("|")[col].strip() == "–" and blurred.split("|")[col].strip() != "–"  # vs --reference real


@pytest.mark.slow
def test_damaged_weights_one_line(methods, inception_file, i3d_file, tmp_path, run_cli, one_line_error):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00not a model\x17" * 40)
    state = torch.load(inception_file)
    state["Mixed_5b.branch1x1.conv.weight"] = torch.zeros(3, 3, 1, 1)
    wrong = tmp_path / "pt_inception-wrong.pth"
    torch.save(state, wrong)
    real = f"real={methods / 'real'}"
    for option, path, needles in (("--inception-weights", junk, ("not a readable PyTorch state dict", "pt_inception")),
                                  ("--inception-weights", wrong, ("Mixed_5b.branch1x1.conv.weight", "shape (3, 3, 1, 1)",
                                                                  "pt_inception-2015-12-05")),
                                  ("--inception-weights", tmp_path / "missing.pth", ("no such file",)),
                                  ("--i3d-weights", inception_file, ("not a TorchScript module", "i3d_torchscript.pt")),
                                  ("--arcface-weights", junk, ("not an ONNX model", "w600k_r50.onnx")),
                                  ("--arcface-weights", i3d_file, ("not an ONNX model",))):
        code, _, err = run_cli(["compare", real, option, path])
        one_line_error(code, err, *needles, exit_code=1)


def test_too_few_frames_is_an_empty_cell():
    """Fewer pooled frames than a Fréchet distance needs: NaN and a warning naming the counts."""
    from msi.comparison.compare import set_metric_rows

    rng = np.random.default_rng(0)
    feats = {("a", "v1"): {"fid": rng.normal(size=(1, 8)), "fvd": rng.normal(size=(3, 8))},
             ("b", "v1"): {"fid": rng.normal(size=(5, 8)), "fvd": rng.normal(size=(4, 8))}}
    rows = {(r["method"], r["metric"]): r for r in set_metric_rows(feats, ["a", "b"], "b", resamples=0)}
    assert math.isnan(rows[("a", "fid")]["value"]) and "1 frames of the method" in rows[("a", "fid")]["warning"]
    assert math.isfinite(rows[("a", "fvd")]["value"]) and not rows[("a", "fvd")]["warning"]
    assert math.isnan(rows[("b", "fid")]["value"]) and not rows[("b", "fid")]["warning"]  # the reference itself


def test_bootstrap_resamples_videos():
    """The interval comes from resampling whole videos; identical sets give 0 and a tight interval."""
    from msi.metrics.fid import frechet_distance
    from msi.stats import bootstrap_set_metric

    rng = np.random.default_rng(1)
    a = [rng.normal(size=(20, 4)) for _ in range(6)]
    b = [x + 3.0 for x in (rng.normal(size=(20, 4)) for _ in range(6))]
    v, lo, hi = bootstrap_set_metric(a, b, frechet_distance, resamples=50)
    assert lo < v < hi and v > 30  # the 3-per-axis mean shift: ≈ 36
    v0, lo0, hi0 = bootstrap_set_metric(a, a, frechet_distance, resamples=0)
    assert abs(v0) < 1e-9 and math.isnan(lo0)


@pytest.mark.slow
def test_compare_without_weights_imports_neither(methods, imports_after):
    """``msi compare`` without the network options (and ``import msi``) loads neither torch nor onnxruntime."""
    code, mods, err = imports_after("msi", ["compare", f"real={methods / 'real'}", "--format", "csv", "-q",
                                            "--cpbd-step", str(CPBD_STEP)])
    assert code == 0, err
    assert not [m for m in mods if m.split(".")[0] in ("torch", "onnxruntime", "onnx")], mods
    assert not [m for m in mods if m.startswith("msi.networks")], mods
