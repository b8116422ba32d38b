"""Where the feature networks run: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, checked before any
video is read, and how many torch threads each worker process may use.

``auto`` is CUDA when torch sees one, else the CPU (as pytorch-fid's ``--device`` default). A
device that is not there is the user's error. Numbers are computed in float32 on every device,
without autocast (docs/quality-networks.md). Placing a loaded network is
:mod:`msi.networks.device`'s (imported only when a network runs).
"""
from __future__ import annotations

import os
import re

from msi.errors import UsageError

#: What ``--device`` accepts.
CHOICES = "auto|cpu|cuda|cuda:N|mps"
_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:\d+|mps)$")


def resolve_device(spec: str | None, networks: bool = True) -> str:
    """``spec`` -> the device networks run on ("cpu", "cuda:0", "mps", ...); :class:`UsageError`
    (one line) when it is malformed or not on this machine. Torch is imported only when the
    answer depends on it (``auto``, ``cuda``, ``mps``), and ``auto`` without torch is the CPU.
    ``networks=False`` (no network will run): ``auto`` is the CPU without importing torch; an
    explicit device is still checked."""
    spec = (spec or "auto").strip().lower()
    if not _PATTERN.match(spec):
        raise UsageError(f"--device {spec}: expected one of {CHOICES}")
    if spec == "cpu" or (spec == "auto" and not networks):
        return "cpu"
    try:
        import torch
    except ImportError:
        if spec == "auto":
            return "cpu"
        raise UsageError(f"--device {spec}: PyTorch is not installed") from None
    if spec == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if spec == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise UsageError("--device mps: this PyTorch sees no Apple GPU (MPS)")
        return "mps"
    if not torch.cuda.is_available():
        raise UsageError(f"--device {spec}: this PyTorch sees no CUDA device (torch {torch.__version__}, "
                         f"built {'with' if torch.backends.cuda.is_built() else 'without'} CUDA)")
    index = int(spec.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise UsageError(f"--device {spec}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return f"cuda:{index}"


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Torch threads for each of ``workers`` processes so that workers x threads never exceed
    the cores (at least one each)."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, workers))
