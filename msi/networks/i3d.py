"""The I3D of FVD (Unterthiner et al. 2018, "Towards accurate generative models of video: a new
metric & challenges", arXiv:1812.01717), as the common PyTorch FVD code runs it: StyleGAN-V's
TorchScript ``i3d_torchscript.pt`` (Skorokhodov et al. 2022, ``src/metrics/frechet_video_distance.py``
and ``metric_utils.py``), a port of the tf.hub Kinetics-400 I3D.

StyleGAN-V's call, reproduced here: clips of 16 consecutive frames as ``uint8`` tensors
(B, 3, 16, H, W), ``detector(clips, rescale=True, resize=True, return_features=True)``: the
module itself scales [0, 255] to [-1, 1] and resizes to 224 × 224, and returns the 400-d
features before the softmax. Clips go through it ``BATCH`` at a time (StyleGAN-V:
``NUM_FRAMES_IN_BATCH[256] // 16`` = 8).
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator

import numpy as np
import torch

from msi.errors import BadWeights
from msi.io.paths import check_weights_file
from msi.networks.batching import Batcher
from msi.networks.inception import batches

#: What the weights file is (for messages).
EXPECTED = "StyleGAN-V's TorchScript I3D (i3d_torchscript.pt)"
#: StyleGAN-V's FVD protocol: frames per clip, and the detector's keyword arguments.
CLIP_FRAMES = 16
DETECTOR_KWARGS = {"rescale": True, "resize": True, "return_features": True}
#: Clips per forward pass (StyleGAN-V: 128 frames // 16).
BATCH = 8
_ARGS = ("rescale", "resize", "return_features")


def load_i3d(path: str | os.PathLike) -> torch.jit.ScriptModule:
    """The TorchScript I3D from ``path`` (``torch.jit.load``, on the CPU, in eval mode);
    :class:`BadWeights` naming the expected file when it is missing, not TorchScript or has
    another call signature."""
    p = check_weights_file(path, EXPECTED)  # missing, a folder, a device, empty: one line
    try:
        net = torch.jit.load(p, map_location="cpu")
    except Exception as exc:  # not a TorchScript archive (a state dict, a pickle, a damaged zip)
        raise BadWeights(f"{p}: not a TorchScript module ({type(exc).__name__}; expected {EXPECTED})") from None
    try:
        names = [a.name for a in net.forward.schema.arguments]
    except Exception:
        names = []
    if not all(a in names for a in _ARGS):
        raise BadWeights(f"{p}: a TorchScript module whose forward takes ({', '.join(names[1:])}), "
                         f"not (x, rescale, resize, return_features) (expected {EXPECTED})")
    return net.eval()


def clips_of(frames: Iterable[np.ndarray], clip_frames: int = CLIP_FRAMES) -> Iterator[np.ndarray]:
    """Consecutive non-overlapping clips (clip_frames, H, W, 3) from frame 0 on; a last partial
    clip is dropped (StyleGAN-V drops videos shorter than a clip)."""
    return (clip for clip in batches(frames, clip_frames) if len(clip) == clip_frames)


@torch.inference_mode()
def i3d_forward(net, clips: list[np.ndarray]) -> np.ndarray:
    """Features (B, d, float32) of ``uint8`` clips (T, H, W, 3) of one size, one call of
    ``net(x, rescale=True, resize=True, return_features=True)`` with x (B, 3, T, H, W) ``uint8``."""
    from msi.networks.device import device_of

    dev = device_of(net)  # the clips go where the network is (msi.networks.device)
    x = torch.from_numpy(np.stack(clips)).to(dev).permute(0, 4, 1, 2, 3).contiguous()  # [B, c, t, h, w]
    y = net(x, **DETECTOR_KWARGS)
    if not isinstance(y, torch.Tensor) or y.ndim != 2 or y.shape[0] != len(clips):
        raise BadWeights(f"the I3D returned {getattr(y, 'shape', type(y).__name__)} for {len(clips)} clips, "
                         f"not (clips, features) (expected {EXPECTED})")
    return y.float().cpu().numpy()


def i3d_features(net, clips: Iterable[np.ndarray], batch: int = BATCH, batcher: Batcher | None = None) -> np.ndarray:
    """Features (n_clips, d, float32) of ``uint8`` clips (T, H, W, 3), ``batch`` clips per
    :func:`i3d_forward`, or in the batches of ``batcher`` (shared with other videos':
    :mod:`msi.networks.batching`), clips of one size per batch."""
    batcher = batcher or Batcher(lambda cs: i3d_forward(net, cs), batch)
    rows = batcher.map(clips, group=np.shape)
    return np.stack(rows) if rows else np.zeros((0, 0), np.float32)
