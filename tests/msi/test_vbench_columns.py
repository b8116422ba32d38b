"""VBench's dynamic degree and motion smoothness: our RAFT, AMT-S and scoring equal ``vbench``
0.1.5's ``DynamicDegree`` (its RAFT from ``vbench/third_party/RAFT``, ``InputPadder``,
``get_score``, ``set_params``, ``check_move``) and ``MotionSmoothness.motion_score`` (its AMT-S
from ``vbench/third_party/amt``, padding, interpolation and ``vfi_score``) on the same real clip,
with random weights saved in the official formats.

vbench is installed with ``--no-deps``: its package ``__init__`` and ``vbench.utils`` need decord
(and more) for reading videos and prompts, and ``omegaconf`` reads AMT's YAML config; none of these
steps use them, so those names are stubbed for the import (AMT-S is built with the parameters of
``cfgs/AMT-S.yaml``) and the modules are loaded from their files. Frames reach both sides from our
decoder (VBench reads with OpenCV: a documented deviation)."""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


class _EasyDict(dict):
    """easydict's EasyDict as VBench uses it (attribute access to keys)."""

    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k) from None

    def __setattr__(self, k, v):
        self[k] = v


@pytest.fixture(scope="module")
def vbench():
    spec = importlib.util.find_spec("vbench")
    if spec is None:
        pytest.fail("vbench 0.1.5 is not installed: pip install --no-deps vbench==0.1.5")
    root = Path(spec.submodule_search_locations[0])
    from torchvision_oracle import stubbed_modules

    pkg = types.ModuleType("vbench")
    pkg.__path__ = [str(root)]
    utils = types.ModuleType("vbench.utils")
    utils.load_dimension_info = None
    easydict = types.ModuleType("easydict")
    easydict.EasyDict = _EasyDict
    omegaconf = types.ModuleType("omegaconf")
    omegaconf.OmegaConf = None
    stubs = {"vbench": pkg, "vbench.utils": utils, "easydict": easydict, "omegaconf": omegaconf}
    mods = {}
    with stubbed_modules(stubs):
        for name, path in (("vbench.dynamic_degree", root / "dynamic_degree.py"),
                           ("vbench.motion_smoothness", root / "motion_smoothness.py"),
                           ("_ref_amt_s", root / "third_party" / "amt" / "networks" / "AMT-S.py")):
            s = importlib.util.spec_from_file_location(name, path)
            mods[name] = importlib.util.module_from_spec(s)
            sys.modules[s.name] = mods[name]
            s.loader.exec_module(mods[name])
    dd = mods["vbench.dynamic_degree"]
    dd.motion_smoothness = mods["vbench.motion_smoothness"]
    dd.AMTS = mods["_ref_amt_s"].Model
    return dd


@pytest.fixture(scope="module")
def raft_weights(vbench, tmp_path_factory):
    """Random RAFT weights (BatchNorm statistics too) saved as ``raft-things.pth`` is: a state
    dict of the DataParallel model (``module.`` prefix)."""
    torch.manual_seed(0)
    net = vbench.RAFT(_EasyDict(small=False, mixed_precision=False, alternate_corr=False))
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("raft") / "raft-things.pth"
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, path)
    return path


@pytest.fixture(scope="module")
def clip(pristine_frames, tmp_path_factory):
    """7 real carphone frames at 24 fps, cut to 130 x 124 around the face (padded to 136 x 128 for
    RAFT, 144 x 128 for AMT; the coarsest correlation level then has 2 x 2 cells: at 1 x 1 both
    networks divide by zero): VBench samples every 3rd (3 frames, 2 pairs)."""
    from msi.io.video import write_video

    frames = [np.ascontiguousarray(f[10:134, 23:153]) for f in pristine_frames[:7]]
    return write_video(tmp_path_factory.mktemp("vbench") / "m" / "clip.mp4", frames, fps=24, threads=1)


@pytest.mark.slow
def test_dynamic_degree_equals_vbench(vbench, raft_weights, clip):
    from msi.io.video import read_frames
    from msi.metrics.dynamic_degree import is_dynamic, pair_scores, sample_interval
    from msi.networks.raft import load_raft

    ref = vbench.DynamicDegree(_EasyDict(model=str(raft_weights), small=False, mixed_precision=False,
                                         alternate_corr=False), "cpu")
    frames = read_frames(clip)
    step = sample_interval(24.0)
    assert step == 3
    sampled = frames[::step]
    tensors = ref.extract_frame([torch.from_numpy(f).permute(2, 0, 1).float()[None] for f in frames], step)
    assert len(tensors) == len(sampled) == 3
    ref.set_params(frame=tensors[0], count=len(tensors))
    theirs = []
    with torch.no_grad():  # the loop of DynamicDegree.infer, its scores kept
        for a, b in zip(tensors[:-1], tensors[1:]):
            padder = vbench.InputPadder(a.shape)
            a, b = padder.pad(a, b)
            _, flow_up = ref.model(a, b, iters=20, test_mode=True)
            theirs.append(ref.get_score(a, flow_up))
    ours = pair_scores(load_raft(raft_weights), sampled)
    assert np.isfinite(ours).all() and min(ours) > 0
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    short = min(sampled[0].shape[:2])
    assert is_dynamic(ours, len(sampled), short) == ref.check_move(theirs)
    # the threshold rule itself, on scores either side of it (124 px short side: 2.90625 px; 3 frames: 1 pair)
    assert ref.params == {"thres": 6.0 * 124 / 256, "count_num": 1}
    for scores in ([3.0, 0], [2.9, 2.90625], [0, 3]):
        assert is_dynamic(scores, 3, short) == ref.check_move(scores)
    assert is_dynamic([3.0], 3, short) and not is_dynamic([2.90625], 3, short)


@pytest.fixture(scope="module")
def amt_weights(vbench, tmp_path_factory):
    """Random AMT-S weights (PReLU slopes varied too) saved as ``amt-s.pth`` is: {"state_dict": ...}."""
    torch.manual_seed(1)
    net = vbench.AMTS(corr_radius=3, corr_lvls=4, num_flows=3)  # cfgs/AMT-S.yaml's parameters
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.PReLU):
                m.weight.uniform_(0.05, 0.4)
        # the layers that emit flows, features and residuals scaled down: small flows, so the
        # prediction is a picture (random full-size flows warp everything off the frame)
        for d in (net.decoder4, net.decoder3, net.decoder2, net.decoder1):
            d.convblock[2].weight.mul_(0.05)
        for u in (net.update4, net.update3, net.update2):
            u.flow_head[2].weight.mul_(0.05)
            u.feat_head[2].weight.mul_(0.05)
        net.comb_block[2].weight.mul_(0.05)
    path = tmp_path_factory.mktemp("amt") / "amt-s.pth"
    torch.save({"state_dict": net.state_dict()}, path)
    return path


@pytest.mark.slow
def test_motion_smoothness_equals_vbench(vbench, amt_weights, clip, tmp_path):
    import cv2

    from msi.io.video import read_frames
    from msi.metrics.motion_smoothness import interpolated, motion_smoothness
    from msi.networks.amt import load_amt

    frames = read_frames(clip)  # frames 1, 3, 5 predicted from 0, 2, 4, 6
    for k, f in enumerate(frames):  # VBench reads a folder of frames too: lossless PNGs here
        cv2.imwrite(str(tmp_path / f"{k:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    ref = object.__new__(vbench.motion_smoothness.MotionSmoothness)
    ref.device, ref.niters = "cpu", 1
    ref.initialization()
    ref.model = vbench.AMTS(corr_radius=3, corr_lvls=4, num_flows=3)
    ref.model.load_state_dict(torch.load(amt_weights, map_location="cpu")["state_dict"])
    ref.model.eval()
    theirs = ref.motion_score(str(tmp_path))
    net = load_amt(amt_weights)
    preds = interpolated(net, list(frames[0::2]))
    assert len(preds) == 3 and all(p.std() > 5 for p in preds)  # pictures, not a clamped constant
    ours = motion_smoothness(net, list(frames))
    assert 0 < ours < 1
    assert ours == pytest.approx(theirs, rel=1e-5)
