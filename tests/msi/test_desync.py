"""DeSync: our Synchformer and input pipeline equal FastVideo 0.2.1's ``audio.desync`` metric
(``fastvideo/eval/metrics/audio/desync/metric.py`` with its vendored av-benchmark Synchformer) on
the same real clip, with random weights saved as the official checkpoint is (the state dict of
``Synchformer()``: same keys), the video trunk 1 block deep instead of 12 with MLPs 768 wide
instead of 3072, and the audio trunk 1 layer deep instead of 12 (the reference reads these from its
own configs: MotionFormer's config file, which this test writes, and the ``ASTConfig`` its AST is
built from, which this test gives ``num_hidden_layers``; ours reads them from the checkpoint), so
the test takes seconds, not minutes.

How the reference runs here (all its arithmetic is its own code):
* fastvideo, torchaudio, librosa, transformers, timm, einops, omegaconf are installed
  ``--no-deps``; fastvideo's package ``__init__`` files import its whole generation stack, so the
  packages on the DeSync path are loaded from their files under empty package modules;
* torchaudio's native extension is built for another torch and cannot load: ``torchaudio._extension``
  is replaced by a module saying it is absent. The DeSync path (``MelSpectrogram``, ``Resample``) is
  pure torch and never calls it;
* ``ensure_checkpoint`` (the hub download) returns the test's weights file; MotionFormer's config
  file (downloaded on first use) is written beside a copy of the module's path;
* timm imports torchvision, whose compiled ops do not match this torch (see torchvision_oracle).
The audio is the reference's own WAV extraction (``fastvideo.eval.io.audio``) read by librosa; the
frames reach both sides from our decoder. Tolerance: the offset logits within 1e-5 of the largest
(float32 sums in another order; 1.2e-6 measured), the DeSync values and the offset grid equal.
"""
from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

DEPTH = 1
MLP_RATIO = 1  # MotionFormer's blocks and its pooling layer: MLP_RATIO x 768 hidden units
AUDIO_DEPTH = 1
SECONDS = 5.2  # 130 frames at 25 fps: 15 segments, so the first and last 14 differ
# The clip is written at half Synchformer's rate: both sides resample its 65 frames to 130 by nearest
# frame (each twice; at 25 fps that step is skipped, untested), while msi compare's other columns (the
# face tracking, CPBD, ...) read 65 frames, not 130. Same offsets as at 25 fps (17 and 11), the
# runner-up logit 7.1 % and 2.7 % below the largest (measured; the two sides' logits differ by 1.2e-6
# of the largest, so either argmax has a margin of over 10^4 times that).
FPS = 12.5

_CFG = """TRAIN:
  DATASET: Ssv2
DATA:
  TRAIN_CROP_SIZE: 224
VIT:
  PATCH_SIZE: 16
  PATCH_SIZE_TEMP: 2
  CHANNELS: 3
  EMBED_DIM: 768
  DEPTH: {depth}
  NUM_HEADS: 12
  MLP_RATIO: {mlp_ratio}
  QKV_BIAS: True
  VIDEO_INPUT: True
  TEMPORAL_RESOLUTION: 8
  USE_MLP: True
  DROP: 0.0
  POS_DROPOUT: 0.0
  DROP_PATH: 0.2
  HEAD_DROPOUT: 0.0
  HEAD_ACT: tanh
  ATTN_LAYER: divided
MODEL:
  NUM_CLASSES: 174
"""  # facebookresearch/Motionformer configs/SSV2/divided_224_16x4.yaml, the keys VisionTransformer reads


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """(fastvideo's desync metric module, its audio I/O module, a dict the weights path goes in, its
    Synchformer class), the package modules kept until the module's tests end."""
    spec = importlib.util.find_spec("fastvideo")
    if spec is None:
        pytest.fail("fastvideo is not installed: pip install --no-deps fastvideo==0.2.1 (see the README)")
    root = Path(spec.submodule_search_locations[0])
    from torchvision_oracle import import_torchvision

    import_torchvision()
    where = {}
    ext = types.ModuleType("torchaudio._extension")  # the native extension: absent (never called here)
    ext._IS_TORCHAUDIO_EXT_AVAILABLE = False
    ext._IS_ALIGN_AVAILABLE = False
    ext.fail_if_no_align = lambda f: f
    models = types.ModuleType("fastvideo.eval.models")
    models.ensure_checkpoint = lambda name, url: where["weights"]
    stubs = {"torchaudio._extension": ext, "fastvideo.eval.models": models}
    for name in ("fastvideo", "fastvideo.eval", "fastvideo.eval.io", "fastvideo.eval.metrics",
                 "fastvideo.eval.metrics.audio", "fastvideo.eval.metrics.audio.desync", "fastvideo.third_party",
                 "fastvideo.third_party.synchformer", "fastvideo.third_party.eval",
                 "fastvideo.third_party.eval.synchformer", "fastvideo.third_party.eval.synchformer.hf_src"):
        stubs[name] = types.ModuleType(name)
        stubs[name].__path__ = [str(root.joinpath(*name.split(".")[1:]))]
    cfg_dir = tmp_path_factory.mktemp("motionformer")
    (cfg_dir / "divided_224_16x4.yaml").write_text(_CFG.format(depth=DEPTH, mlp_ratio=MLP_RATIO))
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    mods = {}
    try:
        import torchaudio  # noqa: F401  (with its extension absent)

        for name in ("fastvideo.eval.types", "fastvideo.eval.metrics.base", "fastvideo.eval.registry",
                     "fastvideo.third_party.synchformer.motionformer", "fastvideo.third_party.eval.synchformer.synchformer",
                     "fastvideo.eval.io.audio", "fastvideo.eval.metrics.audio.desync.metric"):
            s = importlib.util.spec_from_file_location(name, root.joinpath(*name.split(".")[1:]).with_suffix(".py"))
            mods[name] = importlib.util.module_from_spec(s)
            if name.endswith(".motionformer"):  # its config is looked for beside the module's file
                mods[name].__file__ = str(cfg_dir / "motionformer.py")
            sys.modules[name] = mods[name]
            if name.endswith("synchformer.synchformer"):
                pkg = sys.modules["fastvideo.third_party.eval.synchformer"]
            s.loader.exec_module(mods[name])
            if name.endswith("synchformer.synchformer"):
                # AST's config is built in its constructor (`ASTConfig()`): the same config, fewer layers
                ast = sys.modules["fastvideo.third_party.eval.synchformer.ast"]
                ast.ASTConfig = functools.partial(ast.ASTConfig, num_hidden_layers=AUDIO_DEPTH)
                pkg.Synchformer, pkg.make_class_grid = mods[name].Synchformer, mods[name].make_class_grid
        # fastvideo imports the model inside setup(): the package modules stay until the tests end
        yield (mods["fastvideo.eval.metrics.audio.desync.metric"], mods["fastvideo.eval.io.audio"], where,
               mods["fastvideo.third_party.eval.synchformer.synchformer"].Synchformer)
    finally:
        for k in [k for k in sys.modules if k.split(".")[0] == "fastvideo"]:  # all it loaded
            sys.modules.pop(k, None)
        for k, v in saved.items():
            if k == "torchaudio._extension":
                continue  # torchaudio keeps the module it was imported with
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


@pytest.fixture(scope="module")
def weights(reference, tmp_path_factory):
    """Random Synchformer weights (every parameter, norms included) saved as the official state dict."""
    torch.manual_seed(0)
    net = reference[3]()
    state = net.state_dict()
    head = ("transformer.", "vproj.", "aproj.")  # last in the state dict: the trunks' draws come first
    for k, v in state.items():
        if v.dtype.is_floating_point and not k.startswith(head):
            base = 1.0 if k.endswith(".weight") and ("norm" in k or ".ln" in k) else 0.0
            v.copy_(base + 0.05 * torch.randn_like(v))
    # the projections and the offset transformer drawn from a seed of their own, under which the clip's first
    # and last windows get different offsets, neither 0 nor at the grid's ends (17 and 11: 1.4 s and 0.2 s;
    # the runner-up logit 6 % of the largest below each: found by trying seeds 0-279 on our side)
    g = torch.Generator().manual_seed(279)
    for k, v in state.items():
        if k.startswith(head):
            base = 1.0 if k.endswith(".weight") and ("norm" in k or ".ln" in k) else 0.0
            v.copy_(base + 0.05 * torch.randn(v.shape, generator=g))
    path = tmp_path_factory.mktemp("synchformer") / "synchformer_state_dict.pth"
    torch.save(state, path)
    reference[2]["weights"] = str(path)
    return path


@pytest.fixture(scope="module")
def clip(pristine_frames, tmp_path_factory):
    """The real carphone frames (forth and back) for 5.2 s at 12.5 fps with espeak-ng speech at 22.05 kHz (AAC)."""
    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("desync_clip")
    words = "Stable faces do not jitter when they speak, and the sound stays with the lips."
    subprocess.run(["espeak-ng", "-w", str(d / "speech.wav"), words], check=True)
    from scipy.io import wavfile

    rate, raw = wavfile.read(d / "speech.wav")
    n = int(SECONDS * FPS)
    frames = np.concatenate([pristine_frames, pristine_frames[::-1]])[:n]
    speech = np.resize(raw.astype(np.float32) / 32768, int(SECONDS * rate))
    return write_video(d / "m" / "clip.mp4", frames, fps=FPS, audio=speech, sample_rate=rate, threads=1)


@pytest.mark.slow
def test_desync_equals_fastvideo(reference, weights, clip, run_cli, tmp_path, monkeypatch):
    """FastVideo's DeSyncMetric.compute on the clip (frames from our decoder, its own WAV
    extraction), against ``msi compare --synchformer-weights`` on the same file: both windows'
    offset logits and the DeSync cell."""
    import pandas as pd

    from msi.io.video import probe, read_frames
    from msi.networks.synchformer import Synchformer

    metric, audio_io, _, _ = reference
    torch.set_num_threads(1)
    ref = metric.DeSyncMetric()
    ref.setup()
    logits = {"ref": [], "ours": []}
    ref_compare = ref._model.compare_v_a
    monkeypatch.setattr(ref._model, "compare_v_a", lambda v, a: logits["ref"].append(ref_compare(v, a)) or logits["ref"][-1])
    video = torch.from_numpy(read_frames(clip)).permute(0, 3, 1, 2).float() / 255.0
    expected = ref.compute({"video": video, "audio": str(audio_io.extract_audio_track(clip, output_dir=tmp_path)),
                            "fps": float(probe(clip).fps)})

    own = Synchformer.offset_logits
    monkeypatch.setattr(Synchformer, "offset_logits",
                        lambda self, v, a: logits["ours"].append(own(self, v, a)) or logits["ours"][-1])
    out = tmp_path / "rows.csv"
    code, _, err = run_cli(["compare", f"m={clip.parent}", "--synchformer-weights", weights, "--out", out, "-q"])
    assert code == 0, err
    got = pd.read_csv(out)["desync"].tolist()

    assert expected.score is not None, expected.details
    assert len(logits["ref"]) == len(logits["ours"]) == 2
    assert not torch.allclose(logits["ref"][0], logits["ref"][1])  # the first and last 14 segments differ
    assert expected.details["front_desync_s"] != expected.details["back_desync_s"]  # both grid lookups count
    assert float(probe(clip).fps) == FPS  # the resampling to 25 fps runs on both sides
    for r, o in zip(logits["ref"], logits["ours"]):
        top2 = r.flatten().topk(2).values
        print("largest logit difference / largest logit:", float((o - r).abs().max() / r.abs().max()),
              "argmax", int(r.argmax()), int(o.argmax()), "runner-up below the largest by",
              float((top2[0] - top2[1]) / top2[0].abs()))
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-5, atol=1e-5 * float(r.abs().max()))
    assert got == [expected.score]
    from msi.metrics.desync import offset_grid

    np.testing.assert_array_equal(offset_grid(), ref._grid.numpy())  # to the bit


def test_the_clip_range_leaves_an_empty_cell_and_a_warning(pristine):
    """carphone is 4.0 s: inside 3-10 s, but 11 segments at 25 fps (14 needed); a 2 s cut is outside 3-10 s."""
    from msi.metrics.desync import METRIC, resample_indices

    class Ctx:
        path = str(pristine)
        frame_rate = 30000 / 1001

        def __init__(self, n):
            self.n, self.notes, self.weights = n, [], {"synchformer": None}

        def frames(self):
            from msi.io.video import iter_frames

            for k, f in enumerate(iter_frames(self.path)):
                if k < self.n:
                    yield f

        def note(self, text):
            self.notes.append(text)

    short = Ctx(60)
    assert METRIC.compute(short) == {} and "2.00 s clip" in short.notes[0] and "3–10 s" in short.notes[0]
    assert len(resample_indices(120, 30000 / 1001)) == 100  # the reference's round(4.004 s x 25)


def test_fewer_than_14_segments_is_a_reason_not_a_value(pristine_frames):
    from msi.metrics.desync import desync

    why = desync(None, list(pristine_frames[:40]), 25.0, np.zeros(25600, np.float32), 16000)
    assert why.startswith("4 video and 4 audio segments, Synchformer reads 14")
