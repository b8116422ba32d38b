"""Placing the feature networks on the run's device (:mod:`msi.comparison.device` chose it):
torch modules moved with ``net.to``, their inputs sent where their weights are."""
from __future__ import annotations

from typing import Any


def place(net: Any, device: str) -> Any:
    """A loaded network on ``device``: torch modules moved (``net.to``); anything else (an ONNX
    session) as it is."""
    if device == "cpu" or not hasattr(net, "to"):
        return net
    return net.to(device)


def device_of(net: Any) -> Any:
    """The torch device a module's first parameter or buffer lives on (the CPU for none)."""
    import torch

    for t in (*net.parameters(), *net.buffers()):
        return t.device
    return torch.device("cpu")
