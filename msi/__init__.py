"""Motion Stability Index (MSI) for talking-face videos.

StableFace: Analyzing and Improving Motion Stability for Talking Face Generation
(Ling et al., arXiv:2208.13717), Sec. III-D.

The public API, for a notebook or a script (each name is imported on first use, so
``import msi`` stays instant and loads neither the tracker nor pandas)::

    import msi

    r = msi.score_video("talking.mp4")                    # tracked (cached), then scored
    r.msi_lip, r.msi_jaw, r.mouth_motion, r.warnings

    r = msi.score_landmarks(landmarks, fps=25)            # a (T, 478, 2|3) MediaPipe array
    v = msi.msi_from_landmarks(landmarks, "mediapipe478")  # the metric alone: MSIValues

    per_video = msi.compare_methods({"real": "data/real", "ours": "out/ours"})
    table = msi.summarize(per_video, reference="real")     # tidy: method, metric, mean, CI, p

============================  ==========================================================
``score_video``               one video or landmark file -> :class:`ScoreResult`
``score_landmarks``           a landmark array -> :class:`ScoreResult`
``score_many``                many inputs, in parallel; failures become rows with ``error``
``get_landmarks``             a video's landmarks (tracked or from the cache)
``msi_from_landmarks``        MSI-Lip / MSI-Jaw from landmarks (the pure formula)
``Settings``                  every knob of a score (defaults: the paper's)
``ScoreResult``               what a score returns
``compare_methods``           folders of videos per method -> tidy per-video DataFrame
``summarize``                 per-video rows -> tidy per-(method, metric) summary
``correlate``                 metrics vs opinion scores (Table IV), tidy
============================  ==========================================================
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that holds it (one documented path per name).
_API = {
    "score_video": "msi.score",
    "score_landmarks": "msi.score",
    "score_many": "msi.score",
    "ScoreResult": "msi.score",
    "get_landmarks": "msi.acquire",
    "Settings": "msi.settings",
    "msi_from_landmarks": "msi.metrics.stability",
    "compare_methods": "msi.comparison.compare",
    "summarize": "msi.comparison.compare",
    "correlate": "msi.correlate",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module 'msi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
