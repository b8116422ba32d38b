"""What produced each column of a comparison: package version, tracker, weights files, device and
the options that change the number. ``msi compare --format json`` prints it under "provenance",
``--out`` stores it with every row (column ``provenance``), and ``msi report --rows`` refuses rows
whose provenance differs (rows made with other weights or options never share a table).
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

#: The options of :class:`msi.metrics.column.CompareSettings` each column depends on.
COLUMN_OPTIONS = {"cpbd": ("cpbd_step",), "nlmd": ("nlmd_normalise",), "fid": ("fid_step",),
                  "lpips": ("lpips_region",), "wer": ("transcripts",)}
#: The score settings every landmark-based column depends on (besides the tracker's own).
SCORE_OPTIONS = ("scheme", "compat", "mouth_width_frames", "resample_fps", "variant")


def weights_digest(weights: Any) -> Any:
    """SHA-256 of a weights file (or each of a tuple of them); the type's name for a network passed
    as an object."""
    from msi.comparison.feature_cache import weights_sha256

    if weights is None:
        return None
    digest = weights_sha256(weights)
    if digest is None:
        return f"<{type(weights).__name__} object>"
    return digest[0] if len(digest) == 1 else digest


def provenance(columns: Iterable, settings=None, options=None, device: str = "cpu", weights: dict | None = None,
               syncnet_weights: Any = None, fid_reference: str | os.PathLike | None = None) -> dict[str, dict]:
    """{column name: {"package", "metrics_version", "tracker", "device", "weights", "options"}} for
    ``columns`` (:class:`msi.metrics.column.Column` s). Weights are listed by SHA-256."""
    import msi
    from msi.metrics.column import METRICS_VERSION
    from msi.metrics.column import CompareSettings
    from msi.settings import Settings

    settings = settings or Settings()
    options = options or CompareSettings()
    try:
        from msi.tracking.trackers import tracker_identity

        tracker = tracker_identity(settings.tracker)
    except Exception:  # noqa: BLE001 - an unknown tracker name: the name itself
        tracker = settings.tracker
    nets = {k: v for k, v in (weights or {}).items() if v is not None}
    if syncnet_weights is not None:
        nets["weights"] = syncnet_weights
    digests = {k: weights_digest(v) for k, v in nets.items()}
    score = {k: getattr(settings, k) for k in SCORE_OPTIONS}
    tracking = {"max_side": settings.max_side, "max_faces": settings.max_faces, "verify_face": settings.verify_face}
    out = {}
    for col in columns:
        used = {("syncnet" if n == "weights" else n): digests[n] for n in col.needs if n in digests}
        opts = {k: getattr(options, k) for k in COLUMN_OPTIONS.get(col.name, ())}
        if col.name == "fid" and fid_reference is not None:
            from msi.io.cache import sha256_of

            opts["fid_reference_sha256"] = sha256_of(fid_reference)
        out[col.name] = {"package": f"stableface {msi.__version__}", "metrics_version": METRICS_VERSION,
                         "tracker": tracker, "tracking": tracking, "device": device if used else "cpu",
                         "weights": used, "options": {**score, **opts}}
    return json.loads(json.dumps(out, default=str))


def same_provenance(rows) -> str | None:
    """None when every row's ``provenance`` (where present) is the same; else a one-line reason."""
    seen = {p for p in rows if isinstance(p, str) and p}
    if len(seen) <= 1:
        return None
    a, b = (json.loads(p) for p in sorted(seen)[:2])
    diff = sorted(c for c in set(a) | set(b) if a.get(c) != b.get(c))
    return f"rows made with other weights or options ({len(seen)} provenances; they differ in {', '.join(diff[:5])})"


def run_provenance(per_column: dict[str, dict]) -> str:
    """The run's provenance for one row (``--out``'s ``provenance`` column): package, tracker,
    device, every weights file's SHA-256 and every option, as compact JSON."""
    weights: dict = {}
    options: dict = {}
    first = next(iter(per_column.values()), {})
    device = "cpu"
    for p in per_column.values():
        weights.update(p["weights"])
        options.update(p["options"])
        if p["weights"]:
            device = p["device"]
    run = {"package": first.get("package"), "metrics_version": first.get("metrics_version"),
           "tracker": first.get("tracker"), "tracking": first.get("tracking"), "device": device,
           "weights": dict(sorted(weights.items())), "options": dict(sorted(options.items()))}
    return json.dumps(run, sort_keys=True, separators=(",", ":"))
