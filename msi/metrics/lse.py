"""LSE-C / LSE-D columns (Chung & Zisserman 2016; syncnet_python's evaluation): SyncNet loaded
once per process, and only when weights are given, so ``msi compare`` without them never imports
torch (:mod:`msi.metrics.syncnet` does, and is the only module that does)."""
from __future__ import annotations

import os
import threading

from msi.errors import MSIError
from msi.metrics.column import Column, Metric

_NETS: dict[tuple, object] = {}
_LOCK = threading.Lock()


def syncnet(weights):
    """SyncNet loaded once per process (weights path -> net); a loaded net passes through."""
    if not isinstance(weights, (str, os.PathLike)):
        return weights
    from msi.metrics.networks import _RUN

    key = (str(weights), _RUN["device"])
    with _LOCK:  # columns run in threads: two asking at once load it once
        return _load(key)


def _load(key: tuple):
    if key not in _NETS:
        try:
            from msi.metrics.syncnet import load_syncnet  # the only place torch enters msi
        except ImportError as exc:
            raise MSIError(f"LSE-C/LSE-D need PyTorch ({exc}); install it: pip install 'stableface[sync]'") from None
        from msi.metrics.networks import _RUN
        from msi.networks.device import place

        _NETS[key] = place(load_syncnet(key[0]), key[1])
    return _NETS[key]


def _columns(ctx) -> dict[str, float]:
    if ctx.options.lse_faces == "s3fd":  # syncnet_python's own detector, tracks and crops
        from msi.metrics.networks import network
        from msi.metrics.s3fd_faces import video_s3fd_sync

        s = video_s3fd_sync(ctx.path, network("s3fd", ctx.weights["s3fd"]), syncnet(ctx.syncnet_weights))
    else:
        from msi.metrics.networks import job_batcher
        from msi.metrics.syncnet import BATCH, sync_forward, video_sync

        net = syncnet(ctx.syncnet_weights)
        batcher = job_batcher(ctx, "syncnet", net, lambda windows: sync_forward(net, windows), BATCH)
        s = video_sync(ctx.path, net, ctx.landmarks, ctx.fps, ctx.frames(), batcher)
    ctx.notes.extend(s.notes)
    return {"lse_c": s.lse_c, "lse_d": s.lse_d, "lse_offset": float(s.offset)}


METRIC = Metric((Column("lse_c", "LSE-C", +1, ("weights", "audio"), help="SyncNet confidence (Sync-C), as syncnet_python"),
                 Column("lse_d", "LSE-D", -1, ("weights", "audio"), help="SyncNet distance (Sync-D), as syncnet_python"),
                 Column("lse_offset", "AV offset", 0, ("weights", "audio"), "{:.1f}", unit="frames at 25 fps",
                        help="SyncNet's AV offset, frames at 25 fps (negative = audio late, as syncnet_python)")),
                _columns)
