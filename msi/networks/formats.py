"""Which network a state dict is, told by its keys: so a weights file given to the wrong option
is named in the one-line error ("this looks like torchvision's AlexNet"), not just refused."""
from __future__ import annotations

from typing import Mapping

#: (a key only that format has, what it is); the first match wins.
SIGNATURES: tuple[tuple[str, str], ...] = (
    ("update_block.gru.convz1.weight", "RAFT's raft-things.pth (--raft-weights)"),
    ("module.update_block.gru.convz1.weight", "RAFT's raft-things.pth (--raft-weights)"),
    ("delta_block.first_block_conv.conv.weight", "FVMD's PIPs++ (--pips-weights)"),
    ("comb_block.0.weight", "VBench's AMT-S (--amt-weights)"),
    ("transformer.off_head.weight", "Synchformer (--synchformer-weights)"),
    ("L2Norm3_3.weight", "syncnet_python's S3FD face detector (--s3fd-weights)"),
    ("gru1.weight_ih_l0", "LipNet-PyTorch's LipNet (--lipnet-weights)"),
    ("lin0.model.1.weight", "LPIPS linear layers (--lpips-linear)"),
    ("Mixed_5b.branch1x1.conv.weight", "pytorch-fid's InceptionV3 (--inception-weights)"),
    ("features.0.weight", "torchvision's AlexNet or VGG (--lpips-weights)"),
    ("netcnnaud.0.weight", "syncnet_python's SyncNet (--syncnet-weights)"),
    ("__S__.netcnnaud.0.weight", "syncnet_python's SyncNet (--syncnet-weights)"),
)


#: What each newer network's weights file is (for messages), by its need (``msi.metrics.networks``).
EXPECTED = {
    "s3fd": "syncnet_python's S3FD face detector (sfd_face.pth)",
    "raft": "RAFT's raft-things.pth",
    "amt": "VBench's AMT-S checkpoint (amt-s.pth)",
    "pips": "FVMD's PIPs++ checkpoint (pips2_weights.pth)",
    "synchformer": "Synchformer's 24-01-04T16-39-21 checkpoint (synchformer_state_dict.pth)",
}
#: How a file torch can load begins: a zip archive (``torch.save``, TorchScript) or a pickle.
TORCH_MAGIC = (b"PK\x03\x04", b"\x80")


def check_torch_file(path: str, kind: str) -> None:
    """:class:`msi.errors.BadWeights` for a missing file, or one that no torch loader can read
    (neither a zip archive nor a pickle): told at once, before torch is imported (which takes
    seconds on a busy machine)."""
    import os

    from msi.errors import BadWeights

    if not os.path.isfile(path):
        raise BadWeights(f"{path}: no such file (expected {EXPECTED[kind]})")
    with open(path, "rb") as f:
        head = f.read(4)
    if not any(head.startswith(m) for m in TORCH_MAGIC):
        raise BadWeights(f"{path}: not a PyTorch file (neither a zip archive nor a pickle; expected "
                         f"{EXPECTED[kind]})")


def read_state(path, expected: str, wrappers: tuple[str, ...] = (), strip: str = "") -> tuple[str, dict]:
    """(the path as text, the state dict) of a checkpoint file: the first of ``wrappers`` a dict
    holds it under (``{"state_dict": ...}``), else the dict itself, with ``strip`` taken off the
    front of its keys (``module.`` of DataParallel); a one-line :class:`BadWeights` naming
    ``expected`` for a missing file, one torch cannot read, or one that holds no dict."""
    import os

    import torch

    from msi.errors import BadWeights

    p = str(path)
    if not os.path.isfile(p):
        raise BadWeights(f"{p}: no such file (expected {expected})")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # not a torch file, a TorchScript archive, a damaged zip
        raise BadWeights(f"{p}: not a readable checkpoint ({type(exc).__name__}; expected {expected})") from None
    state = ckpt
    if isinstance(ckpt, dict):
        state = next((ckpt[w] for w in wrappers if w in ckpt), ckpt)
    if not isinstance(state, dict):
        raise BadWeights(f"{p}: expected a checkpoint dict, found {type(ckpt).__name__} (expected {expected})")
    return p, {k.removeprefix(strip): v for k, v in state.items()} if strip else state


def guess(state: Mapping[str, object]) -> str:
    """" (this looks like X)" for a state dict of a network we know, else ""."""
    for key, what in SIGNATURES:
        if key in state:
            return f" (this looks like {what})"
    return ""


def fill_state(net, state: Mapping[str, object], path, name: str):
    """``net`` (a torch module) with its parameters from the checkpoint's ``state`` dict, in eval
    mode; a one-line :class:`BadWeights` naming ``path`` when a parameter is missing (and which
    known network the file looks like) or has another shape than ``name``'s."""
    from msi.errors import BadWeights

    own = net.state_dict()
    missing = [k for k in own if k not in state]
    if missing:
        raise BadWeights(f"{path}: not {name} weights ({len(missing)} of {len(own)} parameters missing, e.g. "
                         f"{missing[0]}){guess(state)}")
    for k in own:
        if tuple(state[k].shape) != tuple(own[k].shape):
            raise BadWeights(f"{path}: parameter {k} has shape {tuple(state[k].shape)}, {name} has "
                             f"{tuple(own[k].shape)}")
    net.load_state_dict({k: state[k] for k in own})
    return net.eval()
