"""Compare methods: one folder of videos per method -> the objective columns of StableFace's
Table III (Ling et al., arXiv:2208.13717) with 95% confidence intervals and paired tests.

``compare_methods`` scores every video of every method (in parallel, landmark cache shared with
``msi score``; one video's columns: :func:`msi.comparison.video_columns.video_metrics`) into a tidy
per-video DataFrame; ``summarize`` turns it into a tidy per-(method, metric) table: n, mean,
95% CI, and a Wilcoxon signed-rank test against the reference method on the videos that pair up
by file name (:mod:`msi.stats`). Set-level columns (FID, FVD) get one value per method with a
bootstrap interval over videos (:func:`set_metric_rows`). Rendering is elsewhere:
:mod:`msi.report.tables` (Markdown, LaTeX, CSV, JSON) and :mod:`msi.plots.compare` (the figure).

Columns are declared once, in :mod:`msi.metrics.registry`.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Iterator

from msi.errors import UsageError
from msi.metrics.column import CompareSettings
from msi.metrics.lse import syncnet as _syncnet
from msi.metrics.registry import COLUMNS, SET_METRICS
from msi.stats import BOOTSTRAP_RESAMPLES, bootstrap_set_metric, mean_ci, paired_wilcoxon
from msi.comparison.jobs import utterance_rows

# ----------------------------------------------------------------------------- many videos


def parse_methods(specs: Iterable[str]) -> dict[str, Path]:
    """``name=DIR`` (or a bare ``DIR``, named after it) -> {name: folder}, in the order given."""
    out: dict[str, Path] = {}
    for spec in specs:
        name, sep, d = spec.partition("=")
        if not sep:
            name, d = Path(spec).name, spec
        if not name:
            raise UsageError(f"method {spec!r}: expected NAME=DIR")
        if name in out:
            raise UsageError(f"method {name!r} given twice")
        from msi.io.remote import display_path, is_folder, is_url

        if is_url(d):  # a bucket prefix (msi.io.remote): its videos are streamed from the store
            if not is_folder(d):
                raise UsageError(f"method {name}: {display_path(d)} is not a folder on its store")
            out[name] = d
            continue
        p = Path(d)
        if not p.is_dir():
            raise UsageError(f"method {name}: {d} is not a folder")
        out[name] = p
    return out


def list_videos(folder: Path) -> dict[str, Path]:
    """Videos in ``folder`` (recursive), keyed by their path relative to it without the extension:
    the name videos pair up by across methods and with the truth."""
    from msi.io.remote import is_url
    from msi.io.video import VIDEO_EXTENSIONS

    if is_url(folder):
        from msi.io.remote import list_folder

        return list_folder(folder, VIDEO_EXTENSIONS)
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)
    return {str(p.relative_to(folder).with_suffix("")): p for p in files}


def utterance_jobs(methods: dict[str, Path], truth_dir: Path | None = None, syncnet_weights=None, settings=None,
                   cache: bool | str = True, compare_settings: CompareSettings = CompareSettings(),
                   weights: dict | None = None, device: str = "cpu", batch_size: int | None = None,
                   threads: int | None = None) -> list[tuple]:
    """The jobs of :func:`iter_compare`: one per video name (utterance), holding every method's
    video of that name and its truth, so that each truth is decoded once per run."""
    truths = list_videos(truth_dir) if truth_dir else {}
    nets = {k: (str(v) if isinstance(v, (str, os.PathLike)) else v) for k, v in (weights or {}).items() if v is not None}
    truth_features = any(n in nets for m in SET_METRICS for n in m.needs)
    sync = str(syncnet_weights) if isinstance(syncnet_weights, (str, os.PathLike)) else syncnet_weights
    by_name: dict[str, dict[str, str]] = {}
    for method, folder in methods.items():
        for name, path in list_videos(folder).items():
            by_name.setdefault(name, {})[method] = str(path)
    if truth_features:  # a truth no method has still joins the reference set
        for name in truths:
            by_name.setdefault(name, {})
    return [(name, videos, str(truths[name]) if name in truths else None, sync, settings, cache, compare_settings,
             nets, truth_features and name in truths, device, batch_size, threads)
            for name, videos in sorted(by_name.items())]


def iter_compare(methods: dict[str, Path], truth_dir: Path | None = None, syncnet_weights=None, settings=None,
                 workers: int = 1, cache: bool | str = True,
                 compare_settings: CompareSettings = CompareSettings(), weights: dict | None = None,
                 device: str = "auto", batch_size: int | None = None, cluster: str | None = None) -> Iterator[dict]:
    """Per-video rows (dicts) of every method, in completion order. Never raises for one video.
    ``device``: where the networks run (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``;
    :func:`msi.comparison.device.resolve_device`: a device that is not there raises
    :class:`msi.errors.UsageError` before any video is read); ``batch_size``: frames (clips,
    pairs) per forward, default each network's own; ``cluster``: a Dask scheduler address or
    ``local:N`` (:mod:`msi.comparison.cluster`) instead of local ``workers``.
    ``weights``: {"inception" | "i3d" | "arcface": path or network}; with FID/FVD weights and a
    ``truth_dir`` the truth videos' rows (``method`` None: their features only) come too.

    One job per utterance (video name): every method's video of that name and its truth, each
    decoded once, every column reading that one decode."""
    from msi.metrics.networks import network, use_device
    from msi.comparison.device import resolve_device

    device = resolve_device(device, networks=bool(syncnet_weights is not None
                                                  or any(w is not None for w in (weights or {}).values())))
    if batch_size is not None and batch_size < 1:
        raise UsageError(f"batch size must be at least 1, got {batch_size}")
    use_device(device, batch_size)
    if syncnet_weights is not None and isinstance(syncnet_weights, (str, os.PathLike)):
        _syncnet(syncnet_weights)  # bad weights fail once, before any work
    for kind, w in (weights or {}).items():
        if w is not None:
            network(kind, str(w) if isinstance(w, (str, os.PathLike)) else w)  # bad weights fail once, before any work
    from msi.comparison.device import threads_per_worker

    parallel = workers
    if cluster:
        from msi.cluster import parse_address

        parallel = parse_address(cluster)[1] or 1  # a remote cluster's hosts have their own cores
    threads = threads_per_worker(parallel) if parallel > 1 else None
    jobs = utterance_jobs(methods, truth_dir, syncnet_weights, settings, cache, compare_settings, weights, device,
                          batch_size, threads)
    if cluster:
        from msi.comparison.cluster import compare_cluster

        stream = compare_cluster(jobs, cluster)
    else:
        from msi.parallel import imap_jobs

        stream = imap_jobs(utterance_rows, jobs, workers, parent_works=True)  # it has imported already
    try:
        for rows in stream:
            yield from rows
    finally:
        stream.close()  # worker processes terminated, pending cluster tasks cancelled


def compare_methods(methods: dict[str, Path], truth_dir: Path | None = None, syncnet_weights=None,
                    settings=None, workers: int = 1, cache: bool | str = True,
                    compare_settings: CompareSettings = CompareSettings(), weights: dict | None = None,
                    reference: str | None = None, resamples: int | None = None, device: str = "auto",
                    batch_size: int | None = None, fid_reference=None, cluster: str | None = None):
    """Tidy per-video DataFrame: method, name, path, every column of :data:`COLUMNS`, frames, fps,
    truth, error, error_kind, warnings; sorted by method (in the order given) and name.

    With FID/FVD weights in ``weights``, ``df.attrs["set_metrics"]`` holds one row per (method,
    set-level metric) against the reference set: the truth videos with ``truth_dir``, else the
    ``reference`` method (default: the first) (:func:`set_metric_rows`); FID's reference may
    instead be pytorch-fid's statistics (``fid_reference``: an ``.npz`` path or (μ, Σ))."""
    rows = list(iter_compare(methods, truth_dir, syncnet_weights, settings, workers, cache, compare_settings,
                             weights, device, batch_size, cluster))
    return rows_frame(rows, methods, truth_dir, reference, resamples, fid_reference)


def rows_frame(rows: list[dict], methods: dict[str, Path], truth_dir: Path | None = None,
               reference: str | None = None, resamples: int | None = None, fid_reference=None):
    """:func:`compare_methods`'s frame of the rows :func:`iter_compare` yielded (all of them, or
    those that finished before an interrupt)."""
    import pandas as pd

    truth_rows = sorted((r for r in rows if r["method"] is None), key=lambda r: r["name"])
    rows = [r for r in rows if r["method"] is not None]
    features = {(r["method"], r["name"]): r.pop("features") for r in rows if "features" in r}
    df = pd.DataFrame(rows, columns=["method", "name", "path", *COLUMNS, "frames", "fps", "truth", "error",
                                     "error_kind", "warnings", "declared_generated"])
    order = {m: i for i, m in enumerate(methods)}
    df = df.sort_values(["method", "name"], key=lambda s: s.map(order) if s.name == "method" else s,
                        ignore_index=True)
    if features:
        truth = {r["name"]: r["features"] for r in truth_rows if not r["error"]} if truth_dir else None
        notes = [f"{r['path']}: {w}" for r in truth_rows for w in r["warnings"]]
        notes += [f"{r['path']}: {r['error']}" for r in truth_rows if r["error"]]
        df.attrs["set_metrics"] = set_metric_rows(features, list(methods), reference or next(iter(methods)), truth,
                                                  resamples, fid_reference)
        df.attrs["set_warnings"] = notes
    return df


def set_metric_rows(features: dict, methods: list[str], reference: str, truth: dict | None = None,
                    resamples: int | None = None, fid_reference=None) -> list[dict]:
    """One row per (method, set-level metric) that was computed: method, metric, n (videos
    pooled), items (frames or clips), value, ci_low, ci_high (bootstrap over videos,
    :func:`msi.stats.bootstrap_set_metric`) and warning (why the cell is empty, or "").
    ``features``: {(method, video name): {column: rows}}; the reference set is ``truth`` ({video
    name: {column: rows}}) when given, else the ``reference`` method's videos (whose own cells stay
    empty). ``fid_reference``: FID against pytorch-fid's statistics instead (an ``.npz`` path or
    (μ, Σ), :func:`msi.metrics.fid.frechet_from_stats`; the interval resamples the method's videos)."""
    from msi.metrics.fid import load_stats

    if isinstance(fid_reference, (str, os.PathLike)):
        from msi.networks.inception import FEATURES

        fid_reference = load_stats(fid_reference, dims=FEATURES)
    resamples = BOOTSTRAP_RESAMPLES if resamples is None else resamples
    out: list[dict] = []
    for metric in SET_METRICS:
        for col in metric.columns:
            by_method: dict[str, list] = {}
            for (m, _), f in sorted(features.items()):
                if col.name in f:
                    by_method.setdefault(m, []).append(f[col.name])
            ref = [f[col.name] for _, f in sorted(truth.items()) if col.name in f] if truth is not None \
                else by_method.get(reference, [])
            ref = [r for r in ref if len(r)]
            n_ref = int(sum(map(len, ref)))
            for method in methods:
                if method not in by_method:
                    continue  # not computed (no weights, or every video of the method failed)
                mine = [r for r in by_method[method] if len(r)]
                row = {"method": method, "metric": col.name, "n": len(mine), "items": int(sum(map(len, mine))),
                       "value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "warning": ""}
                if col.name == "fid" and fid_reference is not None:
                    if row["items"] < metric.min_items:
                        row["warning"] = (f"{col.label} skipped: {row['items']} {metric.items} of the method "
                                          f"(needs at least {metric.min_items})")
                    else:
                        row["value"], row["ci_low"], row["ci_high"] = _against_stats(mine, fid_reference, resamples)
                elif truth is None and method == reference:
                    row.update(n=0, items=0)  # the reference itself
                elif row["items"] < metric.min_items or n_ref < metric.min_items:
                    row["warning"] = (f"{col.label} skipped: {row['items']} {metric.items} of the method, "
                                      f"{n_ref} of the reference (needs at least {metric.min_items} each)")
                else:
                    row["value"], row["ci_low"], row["ci_high"] = bootstrap_set_metric(mine, ref, metric.reduce,
                                                                                       resamples)
                out.append(row)
    return out


def _against_stats(items: list, stats: tuple, resamples: int) -> tuple[float, float, float]:
    """FID of the pooled rows of ``items`` (one array per video) against fixed statistics, with
    the percentile interval over bootstrap draws of the videos (as :func:`bootstrap_set_metric`)."""
    import numpy as np

    from msi.metrics.fid import frechet_to_stats
    from msi.stats import CONFIDENCE

    value = frechet_to_stats(np.concatenate(items), *stats)
    if resamples <= 0 or len(items) < 2:
        return value, math.nan, math.nan
    rng = np.random.default_rng(0)
    draws = [frechet_to_stats(np.concatenate([items[i] for i in rng.integers(0, len(items), len(items))]), *stats)
             for _ in range(resamples)]
    lo, hi = np.nanpercentile(draws, [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)])
    return value, float(lo), float(hi)


def write_fid_stats(rows: list[dict], folder) -> list[Path]:
    """pytorch-fid statistics (``mu``, ``sigma``) of each method's pooled FID features, and of
    the truth's, as ``folder/<method>.npz`` (``truth.npz``), from :func:`iter_compare`'s rows;
    the files written."""
    import numpy as np

    from msi.metrics.fid import save_stats

    pooled: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: (str(r["method"]), r["name"])):
        f = (r.get("features") or {}).get("fid")
        if f is not None and len(f) and not r.get("error"):
            pooled.setdefault(r["method"] or "truth", []).append(f)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in pooled.items():
        rows = np.concatenate(rows)
        if len(rows) >= 2:
            save_stats(out / f"{name}.npz", rows)
            written.append(out / f"{name}.npz")
    return written


# ----------------------------------------------------------------------------- statistics


def summarize(per_video, reference: str | None = None, level: float = 0.95):
    """Tidy summary: one row per (method, metric) with n (videos used), n_failed, mean, ci_low,
    ci_high, and vs the ``reference`` method: p_wilcoxon and n_pairs (videos paired by name)."""
    import pandas as pd

    df = per_video
    methods = list(dict.fromkeys(df["method"]))
    ref = df[df["method"] == reference].set_index("name") if reference is not None else None
    rows = []
    for method in methods:
        sub = df[df["method"] == method]
        failed = int(sub["error"].notna().sum())
        for col in COLUMNS:
            m, lo, hi, n = mean_ci(sub[col].to_numpy(dtype=float), level)
            p, n_pairs = math.nan, 0
            if ref is not None and method != reference:
                joined = sub.set_index("name")[[col]].join(ref[[col]].rename(columns={col: "ref"}), how="inner")
                p, n_pairs = paired_wilcoxon(joined[col], joined["ref"])
            rows.append({"method": method, "metric": col, "n": n, "n_failed": failed, "mean": m,
                         "ci_low": lo, "ci_high": hi, "p_wilcoxon": p, "n_pairs": n_pairs})
        for r in per_video.attrs.get("set_metrics", []):  # FID, FVD: one value per method, bootstrap CI
            if r["method"] == method:
                ok = math.isfinite(r["value"])
                rows.append({"method": method, "metric": r["metric"], "n": r["n"] if ok else 0, "n_failed": failed,
                             "mean": r["value"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                             "p_wilcoxon": math.nan, "n_pairs": 0})
    return pd.DataFrame(rows)


