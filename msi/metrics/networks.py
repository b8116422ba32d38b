"""The feature networks of FID, FVD, CSIM, LPIPS and WER, loaded once per process and only when their weights
are given, so ``msi compare`` without those options imports neither torch nor onnxruntime
(:mod:`msi.networks` does). A loaded network passes through unchanged."""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, NamedTuple

from msi.errors import BadWeights

class Weights(NamedTuple):
    """A network's weights file, as ``msi compare`` takes it (its option is generated from this row)."""

    what: str  # what it is for (the column, in messages)
    option: str  # the option of ``msi compare`` that takes the file
    extra: str  # the package extra to install for its loader
    checkpoint: str  # the official file, as the option's help names it


#: The weights each network reads, by need (``msi.metrics.column.NEEDS``): a row here is an option of
#: ``msi compare`` and a need a column can name.
WEIGHTS = {
    "inception": Weights("FID", "--inception-weights", "fid", "pytorch-fid's InceptionV3 weights (pt_inception-2015-12-05-*.pth)"),
    "i3d": Weights("FVD", "--i3d-weights", "fid", "StyleGAN-V's TorchScript I3D (i3d_torchscript.pt)"),
    "arcface": Weights("CSIM", "--arcface-weights", "identity", "an insightface ArcFace ONNX model (e.g. w600k_r50.onnx)"),
    "lpips": Weights("LPIPS", "--lpips-weights", "fid", "torchvision's AlexNet or VGG16 state dict "
                     "(alexnet-owt-7be5be79.pth, vgg16-397923af.pth)"),
    "lipnet": Weights("WER", "--lipnet-weights", "fid", "LipNet-PyTorch's LipNet checkpoint (LipNet_unseen_loss_*.pt)"),
    "s3fd": Weights("LSE on S3FD crops", "--s3fd-weights", "sync", "syncnet_python's S3FD face detector (sfd_face.pth)"),
    "raft": Weights("the dynamic degree", "--raft-weights", "fid", "RAFT's raft-things.pth"),
    "amt": Weights("motion smoothness", "--amt-weights", "fid", "VBench's AMT-S checkpoint (amt-s.pth)"),
    "pips": Weights("FVMD", "--pips-weights", "fid", "FVMD's PIPs++ checkpoint (pips2_weights.pth)"),
    "synchformer": Weights("DeSync", "--synchformer-weights", "fid", "Synchformer's 24-01-04T16-39-21 checkpoint (synchformer_state_dict.pth, as MMAudio ships it)"),
}
#: Each network's loader, "module:function" (imported on first use).
LOADERS = {
    "inception": "msi.networks.inception:load_inception",
    "i3d": "msi.networks.i3d:load_i3d",
    "arcface": "msi.networks.arcface:load_arcface",
    "lpips": "msi.networks.lpips:load_lpips",
    "lipnet": "msi.networks.lipnet:load_lipnet",
    "s3fd": "msi.networks.s3fd:load_s3fd",
    "raft": "msi.networks.raft:load_raft",
    "amt": "msi.networks.amt:load_amt",
    "pips": "msi.networks.pips2:load_pips2",
    "synchformer": "msi.networks.synchformer:load_synchformer",
}
_NETS: dict[tuple[str, str], Any] = {}
_LOCK = threading.RLock()
#: This process's device and batch size (:func:`use_device`).
_RUN: dict[str, Any] = {"device": "cpu", "batch_size": None}


def _loader(kind: str) -> Callable[[str], Any]:
    what, extra = WEIGHTS[kind].what, WEIGHTS[kind].extra
    import importlib

    module, _, name = LOADERS[kind].partition(":")
    try:
        load = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise BadWeights(f"{what} needs {exc.name or 'an optional package'} ({exc}); "
                         f"install it: pip install 'stableface[{extra}]'") from None
    return load


def network(kind: str, weights: Any) -> Any:
    """The ``kind`` network (a key of :data:`WEIGHTS`) for ``weights``: a path, or a tuple of
    paths (None: the loader's default) for a network read from several files (LPIPS: trunk and
    linear layers), loaded once per process and placed on the process's device
    (:func:`use_device`); anything else is already a network."""
    files = weights if isinstance(weights, tuple) else (weights,)
    if not files or not all(isinstance(f, (str, os.PathLike)) or f is None for f in files) or files[0] is None:
        return weights
    key = (kind, tuple(None if f is None else str(f) for f in files), _RUN["device"])
    with _LOCK:  # columns run in threads: two asking at once load it once
        if key not in _NETS:
            from msi.networks.formats import EXPECTED, check_torch_file  # (msi.networks only with weights)

            if kind in EXPECTED:  # garbage is told before torch is imported
                for f in key[1]:
                    if f is not None:
                        check_torch_file(f, kind)
            from msi.networks.device import place

            net = _loader(kind)(*key[1])
            if kind == "arcface" and _RUN["device"].startswith("cuda"):
                net.use_cuda(_RUN["device"])
            _NETS[key] = place(net, _RUN["device"])
    return _NETS[key]


def use_device(device: str = "cpu", batch_size: int | None = None) -> None:
    """Where this process's networks run (a device :func:`msi.networks.device.resolve_device`
    returned) and how many frames, clips or pairs each forward takes (None: each network's own
    default). ``msi compare`` sets it in every process that computes columns."""
    _RUN.update(device=device, batch_size=batch_size)


def run_device() -> str:
    """The device this process's networks run on (:func:`use_device`)."""
    return _RUN["device"]


def batch_size(default: int) -> int:
    """The batch size of this run (``--batch-size``), else ``default``."""
    return _RUN["batch_size"] or default


def job_batcher(ctx: Any, kind: str, net: Any, forward: Callable[[list], Any], default: int) -> Any:
    """The batcher of ``kind``'s network ``net`` for a column of ``ctx`` (``ctx.batcher``: shared
    with the other videos of the job, :mod:`msi.networks.batching`), ``forward`` taking a list of
    inputs, batches of this run's batch size (:func:`batch_size` of ``default``)."""
    size = batch_size(default)
    return ctx.batcher((kind, id(net), size), forward, size)
