"""VBench's dynamic degree: our RAFT and scoring equal ``vbench`` 0.1.5's ``DynamicDegree`` (its
RAFT from ``vbench/third_party/RAFT``, ``InputPadder``, ``get_score``, ``set_params`` and
``check_move``) on the same real clip, with random weights saved in the official format.

vbench is installed with ``--no-deps``: its package ``__init__`` and ``vbench.utils`` need decord
(and more) for reading videos and prompts, which these steps do not use, so the package and those
two names are stubbed for the import and the modules are loaded from their files. Frames reach
both sides from our decoder (VBench reads with OpenCV: a documented deviation)."""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: two threads of small convolutions wait on each other on a shared 2-core machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


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
    pkg = types.ModuleType("vbench")
    pkg.__path__ = [str(root)]
    utils = types.ModuleType("vbench.utils")
    utils.load_dimension_info = None
    easydict = types.ModuleType("easydict")
    easydict.EasyDict = _EasyDict
    stubs = {"vbench": pkg, "vbench.utils": utils, "easydict": easydict}
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        s = importlib.util.spec_from_file_location("vbench.dynamic_degree", root / "dynamic_degree.py")
        dd = importlib.util.module_from_spec(s)
        sys.modules[s.name] = dd
        s.loader.exec_module(dd)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
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
    """10 real carphone frames at 24 fps, at 90 x 70 (padded to 96 x 72 for RAFT; small, so the
    test is cheap): VBench samples every 3rd (4 frames, 3 pairs)."""
    import cv2

    from msi.io.video import write_video

    frames = [cv2.resize(f, (90, 70), interpolation=cv2.INTER_AREA) for f in pristine_frames[:10]]
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
    assert len(tensors) == len(sampled) == 4
    ref.set_params(frame=tensors[0], count=len(tensors))
    theirs = []
    with torch.no_grad():  # the loop of DynamicDegree.infer, its scores kept
        for a, b in zip(tensors[:-1], tensors[1:]):
            padder = vbench.InputPadder(a.shape)
            a, b = padder.pad(a, b)
            _, flow_up = ref.model(a, b, iters=20, test_mode=True)
            theirs.append(ref.get_score(a, flow_up))
    ours = pair_scores(load_raft(raft_weights), sampled)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    short = min(sampled[0].shape[:2])
    assert is_dynamic(ours, len(sampled), short) == ref.check_move(theirs)
    # the threshold rule itself, on scores either side of it (70 px short side: 1.640625 px; 4 frames: 1 pair)
    assert ref.params == {"thres": 6.0 * 70 / 256, "count_num": 1}
    for scores in ([1.7, 0, 0], [1.6, 1.640625, 0], [0, 0, 2]):
        assert is_dynamic(scores, 4, short) == ref.check_move(scores)
    assert is_dynamic([1.7], 4, short) and not is_dynamic([1.640625], 4, short)


def test_bad_raft_weights_are_one_line(run_cli, one_line_error, tmp_path, pristine):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.mp4").symlink_to(pristine)
    other = tmp_path / "sfd.pth"
    torch.save({"L2Norm3_3.weight": torch.zeros(256)}, other)
    one_line_error(*run_cli(["compare", f"m={tmp_path / 'm'}", "--raft-weights", other])[::2],
                   "not RAFT weights", "looks like syncnet_python's S3FD", exit_code=1)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\0" * 64)
    one_line_error(*run_cli(["compare", f"m={tmp_path / 'm'}", "--raft-weights", junk])[::2], "junk.pth",
                   "raft-things.pth", exit_code=1)
