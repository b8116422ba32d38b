"""The feature networks of FID, FVD and CSIM, loaded once per process and only when their weights
are given, so ``msi compare`` without those options imports neither torch nor onnxruntime
(:mod:`msi.networks` does). A loaded network passes through unchanged."""
from __future__ import annotations

import os
from typing import Any, Callable

from msi.errors import BadWeights

#: The weights each network reads: {need: (what it is for, the option, the extra to install)}.
WEIGHTS = {
    "inception": ("FID", "--inception-weights", "fid"),
    "i3d": ("FVD", "--i3d-weights", "fid"),
    "arcface": ("CSIM", "--arcface-weights", "identity"),
}
_NETS: dict[tuple[str, str], Any] = {}


def _loader(kind: str) -> Callable[[str], Any]:
    what, _, extra = WEIGHTS[kind]
    try:
        if kind == "inception":
            from msi.networks.inception import load_inception as load
        elif kind == "i3d":
            from msi.networks.i3d import load_i3d as load
        else:
            from msi.networks.arcface import load_arcface as load
    except ImportError as exc:
        raise BadWeights(f"{what} needs {exc.name or 'an optional package'} ({exc}); "
                         f"install it: pip install 'stableface[{extra}]'") from None
    return load


def network(kind: str, weights: Any) -> Any:
    """The ``kind`` network ("inception", "i3d", "arcface") for ``weights`` (a path: loaded once
    per process; anything else: already a network)."""
    if not isinstance(weights, (str, os.PathLike)):
        return weights
    key = (kind, str(weights))
    if key not in _NETS:
        _NETS[key] = _loader(kind)(str(weights))
    return _NETS[key]
