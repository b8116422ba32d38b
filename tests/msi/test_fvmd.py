"""FVMD: our PIPs++, grid, motion histograms and Fréchet distance equal the ``fvmd`` package's
(1.0.0, installed ``--no-deps``): its ``Pips`` network on real carphone frames with random weights
saved in its checkpoint format, its ``run_tracking`` grid, ``calc_velocity``/``calc_acceleration``,
``calc_hist`` and ``calculate_fd_given_vectors``.

What cannot run here: CUDA (the package calls ``.cuda()`` and builds its grid on ``cuda``): those
calls are pointed at the CPU for the test. The package's modules are loaded from their files with
its logging, command-line and plotting imports (loguru, fire, tensorboardX, prettytable and
``fvmd.utils.improc``, which needs scikit-learn and matplotlib) stubbed: the steps compared do not
use them. The full protocol (400 points, 16 frames at 256 x 256, 16 iterations) takes minutes per
clip on a CPU, so the network is compared on a smaller configuration (the same code path: 9
points, 8 frames at 128 x 128, 5 iterations, the last one halved) and the histograms and the
distance on tracks of the full size."""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def ref():
    spec = importlib.util.find_spec("fvmd")
    if spec is None:
        pytest.fail("fvmd 1.0.0 is not installed: pip install --no-deps fvmd==1.0.0")
    root = Path(spec.submodule_search_locations[0])
    from torchvision_oracle import import_torchvision, stubbed_modules

    import_torchvision()  # keypoint_tracking imports torchvision (this env's wheel needs a hand)

    def stub(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        return m

    pkg = stub("fvmd")
    pkg.__path__ = [str(root)]
    stubs = {"fvmd": pkg, "loguru": stub("loguru", logger=None), "fire": stub("fire", Fire=None),
             "tensorboardX": stub("tensorboardX", SummaryWriter=None), "prettytable": stub("prettytable", PrettyTable=None),
             "fvmd.utils.improc": stub("fvmd.utils.improc")}
    with stubbed_modules(stubs):
        import fvmd.utils  # noqa: F401  (the real, empty subpackages)
        import fvmd.nets  # noqa: F401

        sys.modules["fvmd.utils"].improc = stubs["fvmd.utils.improc"]
        mods = {}
        for name in ("utils/basic", "utils/samp", "utils/misc", "nets/pips2", "keypoint_tracking",
                     "extract_motion_features", "frechet_distance"):
            full = "fvmd." + name.replace("/", ".")
            s = importlib.util.spec_from_file_location(full, root / f"{name}.py")
            mods[name] = importlib.util.module_from_spec(s)
            sys.modules[full] = mods[name]
            s.loader.exec_module(mods[name])
            parent, _, leaf = full.rpartition(".")
            setattr(sys.modules[parent], leaf, mods[name])
    return types.SimpleNamespace(**{k.split("/")[-1]: v for k, v in mods.items()})


@pytest.fixture
def on_cpu(monkeypatch, ref):
    """The package's ``.cuda()`` calls and its grid's ``cuda`` device, pointed at the CPU."""
    monkeypatch.setattr(torch.Tensor, "cuda", lambda self, *a, **k: self)
    grid = ref.basic.meshgrid2d
    monkeypatch.setattr(ref.basic, "meshgrid2d", lambda *a, **k: grid(*a, **{**k, "device": "cpu"}))


@pytest.fixture(scope="module")
def weights(ref, tmp_path_factory):
    """Random PIPs++ weights saved as FVMD's ``pips2_weights.pth``: {"model_state_dict": ...}."""
    torch.manual_seed(0)
    net = ref.pips2.Pips(stride=8)
    with torch.no_grad():
        net.delta_block.dense.weight.mul_(0.1)  # moderate updates: tracks stay near the frame
    path = tmp_path_factory.mktemp("pips") / "pips2_weights.pth"
    torch.save({"model_state_dict": net.state_dict()}, path)
    return path


@pytest.mark.slow
def test_pips2_tracks_equal_the_package(ref, weights, on_cpu, pristine_frames):
    from PIL import Image

    from msi.networks.pips2 import load_pips2

    frames = [np.asarray(Image.fromarray(f).resize((128, 128), Image.BILINEAR)) for f in pristine_frames[:8]]
    rgbs = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)[None].float()
    g = torch.linspace(20, 108, 3)
    xy0 = torch.stack(torch.meshgrid(g, g, indexing="xy"), -1).reshape(1, 1, 9, 2).repeat(1, 8, 1, 1)
    theirs_net = ref.pips2.Pips(stride=8)
    theirs_net.load_state_dict(torch.load(weights, map_location="cpu")["model_state_dict"])
    theirs_net.eval()
    with torch.no_grad():
        preds, _, _, _ = theirs_net(xy0.clone(), rgbs, iters=5, feat_init=None, beautify=True)
        ours = load_pips2(weights)(xy0.clone(), rgbs, 5)
    theirs = preds[-1]
    assert torch.isfinite(ours).all() and (ours[:, 1:] - xy0[:, 1:]).abs().max() > 0.1  # the points moved
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-4)
    assert torch.equal(ours[:, 0], xy0[:, 0])  # frame 0 stays where it started


@pytest.mark.slow  # the package's histogram loops
def test_grid_histograms_and_distance_equal_the_package(ref, on_cpu):
    from msi.metrics.fvmd import fvmd, grid_points, histograms, motion_vectors

    # the grid run_tracking builds (a stand-in model hands its start points back)
    def echo(trajs, rgbs, **kw):
        return [trajs], None, None, None

    start = ref.keypoint_tracking.run_tracking(echo, torch.zeros(1, 16, 3, 256, 256), N=400, iters=1)
    np.testing.assert_array_equal(grid_points(), start[0, 0].numpy())
    # tracks of the full size (16 frames, 400 points): random walks from the grid
    rng = np.random.default_rng(0)

    def clips(scale, n=4):
        steps = rng.normal(0, scale, size=(n, 16, 400, 2)).astype(np.float32)
        steps[:, 0] = 0
        return grid_points()[None, None] + np.cumsum(steps, axis=1)

    sets = {}
    for name, scale in (("gt", 1.0), ("gen", 3.0)):
        tracks = clips(scale)
        t = torch.from_numpy(tracks)
        v = ref.keypoint_tracking.calc_velocity(t)
        a = ref.keypoint_tracking.calc_acceleration(t)  # the package passes the tracks here
        theirs = np.concatenate([ref.extract_motion_features.calc_hist(v.numpy()).reshape(len(t), -1),
                                 ref.extract_motion_features.calc_hist(a.numpy()).reshape(len(t), -1)], 1)
        mine = [motion_vectors(tr) for tr in tracks]
        np.testing.assert_array_equal(np.stack([m[0] for m in mine]), v.numpy())
        np.testing.assert_array_equal(np.stack([m[1] for m in mine]), a.numpy())
        ours = np.array([np.concatenate([histograms(vv), histograms(aa)]) for vv, aa in mine])
        assert ours.shape == (4, 1024) and ours.sum() > 0
        np.testing.assert_array_equal(ours, theirs)
        sets[name] = ours
    # the distance on the velocity histograms of the first 8 cubes (64 values: a 1024 x 1024 matrix
    # square root takes tens of seconds here, and the arithmetic does not depend on the size)
    gen, gt = sets["gen"][:, :64], sets["gt"][:, :64]
    value = fvmd(gen, gt)
    assert value > 0
    assert value == pytest.approx(ref.frechet_distance.calculate_fd_given_vectors(gt, gen), rel=1e-5)
