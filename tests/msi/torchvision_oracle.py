"""Importing torchvision's pure-Python models for the oracle tests (pytorch-fid, lpips).

The torchvision wheel installed beside the CPU torch here cannot load its compiled ops; its import
then fails only on registering fake kernels for ``torchvision::nms``/``qnms``. Declaring those two
schemas (no kernel) lets the pure-Python models (Inception3, AlexNet, VGG: all the oracles use)
import unchanged. A CPU build of torchvision imports as it is.
"""
from __future__ import annotations

import sys

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
