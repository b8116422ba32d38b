"""LPIPS: our torchvision-free network against the ``lpips`` package's own forward pass, with
random weights in the official formats (torchvision's AlexNet / VGG16 state dicts, lpips's v0.1
linear-layer files); the column end to end through ``msi compare``; bad weight files."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # a shared 2-core machine: OpenMP's spinning threads cost many-fold

REL = 1e-5


def torchvision_models():
    """torchvision's models and the ``lpips`` package (torchvision as :mod:`torchvision_oracle` imports it)."""
    from torchvision_oracle import import_torchvision

    import_torchvision()
    import lpips
    import torchvision.models as tv
    from torchvision.models.vgg import cfgs, make_layers

    return tv, make_layers, cfgs, lpips


def rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


@pytest.fixture(scope="module")
def trunk_files(tmp_path_factory) -> dict[str, Path]:
    """Random trunks in torchvision's file format: AlexNet's whole state dict (``features.*`` and
    ``classifier.*``, as alexnet-owt-7be5be79.pth); VGG16's ``features.*`` as torchvision builds
    them (``make_layers(cfgs["D"])``: the classifier's 120 M parameters are left out of the file to
    keep the test small; our loader ignores them either way)."""
    tv, make_layers, cfgs, _ = torchvision_models()
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("lpips")
    out = {"alex": d / "alexnet-random.pth", "vgg": d / "vgg16-random.pth"}
    torch.save(tv.alexnet(weights=None).state_dict(), out["alex"])
    torch.save({f"features.{k}": v for k, v in make_layers(cfgs["D"]).state_dict().items()}, out["vgg"])
    return out


@pytest.fixture(scope="module")
def linear_files(tmp_path_factory) -> dict[str, Path]:
    """Random linear layers in lpips's v0.1 file format (keys lin<k>.model.1.weight, (1, C, 1, 1),
    non-negative as lpips's training keeps them)."""
    d = tmp_path_factory.mktemp("lpips_lin")
    g = torch.Generator().manual_seed(1)
    out = {}
    for net, chns in (("alex", (64, 192, 384, 256, 256)), ("vgg", (64, 128, 256, 512, 512))):
        out[net] = d / f"{net}.pth"
        torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g) for k, c in enumerate(chns)},
                   out[net])
    return out


def reference_lpips(net: str, trunk: Path, linear: Path):
    """The lpips package's own ``LPIPS`` with our random trunk and linear layers loaded in."""
    tv, make_layers, cfgs, lpips = torchvision_models()
    ref = lpips.LPIPS(pretrained=True, net=net, pnet_rand=True, model_path=str(linear), verbose=False)
    state = torch.load(trunk, weights_only=True)
    if net == "alex":
        features = tv.alexnet(weights=None).features
    else:
        features = make_layers(cfgs["D"])
    features.load_state_dict({k[len("features."):]: v for k, v in state.items() if k.startswith("features.")})
    for s in range(1, 6):
        for name, module in getattr(ref.net, f"slice{s}").named_children():
            module.load_state_dict(features[int(name)].state_dict())
    return ref.eval()


@pytest.mark.slow
@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_equals_the_lpips_package(net, trunk_files, linear_files, pristine_frames):
    from msi.metrics.lpips import lpips_distance, to_input
    from msi.networks.lpips import load_lpips

    ours = load_lpips(trunk_files[net], linear_files[net])
    ref = reference_lpips(net, trunk_files[net], linear_files[net])
    # the middle quarter of the frames (72 x 88, the face): a quarter of the convolutions of the full
    # 144 x 176 frame; still 4 x 5 positions after VGG's fourth pooling, averaged by both
    f = np.ascontiguousarray(pristine_frames[:6, 36:108, 44:132])
    a = f[:4]
    b = np.stack([f[5], np.clip(f[1].astype(int) + 20, 0, 255), f[2][:, ::-1], f[3]]).astype(np.uint8)
    with torch.no_grad():
        expected = ref(to_input(a), to_input(b)).flatten().numpy()
        # lpips's documented input path: images in [-1, 1] from lpips.im2tensor
        from lpips import im2tensor

        one = ref(im2tensor(a[0]), im2tensor(b[0])).item()
    got = lpips_distance(ours, a, b)
    assert rel_err(got, expected) < REL, (got, expected)
    assert got[-1] == pytest.approx(0.0, abs=1e-7)  # a frame against itself
    assert got[0] == pytest.approx(one, rel=REL)


@pytest.mark.slow
def test_loader_reads_the_packaged_linear_layers(trunk_files):
    """Without a linear-layer file, the installed lpips package's own v0.1 file is read (found
    without importing lpips); where lpips is not installed this skips, visibly (CI installs it)."""
    from msi.networks.lpips import load_lpips, packaged_linear

    shipped = packaged_linear("alex")
    if shipped is None:
        pytest.skip("the lpips package (its weights/v0.1/alex.pth) is not installed")
    net = load_lpips(trunk_files["alex"])
    ref = torch.load(shipped, map_location="cpu", weights_only=True)
    assert torch.equal(net.lins[4].weight, ref["lin4.model.1.weight"])


@pytest.mark.slow
def test_loader_refuses_wrong_files(trunk_files, linear_files, tmp_path):
    from msi.errors import BadWeights
    from msi.networks.lpips import load_lpips

    with pytest.raises(BadWeights, match="features.0.weight of shape"):
        bad = tmp_path / "bad.pth"
        torch.save({"features.0.weight": torch.zeros(3, 3, 1, 1)}, bad)
        load_lpips(bad, linear_files["alex"])
    with pytest.raises(BadWeights, match=r"lin1.model.1.weight has shape \(1, 192, 1, 1\), expected \(1, 128, 1, 1\)"):
        load_lpips(trunk_files["vgg"], linear_files["alex"])  # AlexNet's linear layers on VGG
    with pytest.raises(BadWeights, match="looks like LPIPS linear layers"):
        load_lpips(linear_files["alex"], linear_files["alex"])  # the two files swapped
    with pytest.raises(BadWeights, match="no such file"):
        load_lpips(tmp_path / "missing.pth")


@pytest.mark.slow
def test_lpips_column_through_msi_compare(trunk_files, linear_files, pristine, pristine_frames, tmp_path, run_cli,
                                          one_line_error):
    """Real frames through the decoder and frame pairing: the truth's own re-encode is closer to
    it than a blurred copy, on the full frame and in the face box; bad weights stop the run."""
    import cv2

    from msi.io.video import write_video

    frames = pristine_frames[:16]  # MSI's 14-frame window fits: compare scores every column
    for method, fr in (("copy", frames), ("blur", [cv2.GaussianBlur(f, (9, 9), 3) for f in frames])):
        write_video(tmp_path / method / "clip.mp4", fr, fps=25, threads=1)
    write_video(tmp_path / "truth" / "clip.mp4", frames, fps=25, crf=0, threads=1)
    values = {}
    for region in ("frame", "face"):  # CPBD, no column under test here, on each clip's first frame only
        code, out, err = run_cli(["compare", f"copy={tmp_path / 'copy'}", f"blur={tmp_path / 'blur'}",
                                  "--truth", tmp_path / "truth", "--lpips-weights", trunk_files["alex"],
                                  "--lpips-linear", linear_files["alex"], "--lpips-region", region,
                                  "--cpbd-step", 16, "--format", "json"])
        assert code == 0, err
        import json

        rows = {r["method"]: r for r in json.loads(out)["summary"] if r["metric"] == "lpips"}
        values[region] = (rows["copy"]["mean"], rows["blur"]["mean"])
        assert 0 <= rows["copy"]["mean"] < rows["blur"]["mean"], rows
    assert values["frame"] != values["face"]
    code, out, err = run_cli(["compare", f"copy={tmp_path / 'copy'}", "--truth", tmp_path / "truth",
                              "--lpips-weights", linear_files["alex"]])
    one_line_error(code, err, "not torchvision's AlexNet or VGG16", "looks like LPIPS linear layers", exit_code=1)
    assert out == ""
    assert not math.isnan(values["face"][0])
