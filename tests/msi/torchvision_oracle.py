"""Importing the reference packages of the oracle tests: torchvision's pure-Python models
(pytorch-fid, lpips; :func:`import_torchvision`), and a package's imports its compared steps never
use stubbed for the import (:func:`stubbed_modules`: fvmd, vbench, syncnet_python).

The torchvision wheel installed beside the CPU torch here cannot load its compiled ops; its import
then fails only on registering fake kernels for ``torchvision::nms``/``qnms``. Declaring those two
schemas (no kernel) lets the pure-Python models (Inception3, AlexNet, VGG: all the oracles use)
import unchanged. A CPU build of torchvision imports as it is.
"""
from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator

import torch

_LIBRARY: list = []  # the schema declarations, kept alive


def import_torchvision():
    """``torchvision``, imported (with the two schemas declared first where its ops cannot load)."""
    if not hasattr(torch.ops, "torchvision") or not hasattr(torch.ops.torchvision, "nms"):
        try:
            import torchvision  # noqa: F401
        except RuntimeError:
            for m in [m for m in sys.modules if m.split(".")[0] == "torchvision"]:
                del sys.modules[m]
            lib = torch.library.Library("torchvision", "FRAGMENT")
            lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
            lib.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
            _LIBRARY.append(lib)
    import torchvision

    return torchvision


@contextlib.contextmanager
def stubbed_modules(stubs: dict[str, types.ModuleType]) -> Iterator[None]:
    """``sys.modules`` holding ``stubs`` while the block runs (a reference's modules are imported
    from their files in it); the modules those names had before, or none, come back afterwards."""
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
