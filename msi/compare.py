"""Compare methods: one folder of videos per method -> the objective columns of StableFace's
Table III (Ling et al., arXiv:2208.13717) with 95% confidence intervals and paired tests.

``video_metrics`` scores one video (every column, NaN where not computable); ``compare_methods``
scores every video of every method (in parallel, landmark cache shared with ``msi score``) into a
tidy per-video DataFrame; ``summarize`` turns it into a tidy per-(method, metric) table: n, mean,
95% CI, and a Wilcoxon signed-rank test against the reference method on the videos that pair up by
file name. ``format_table`` renders it as Markdown, CSV, JSON or LaTeX.

Columns are declared once, in :mod:`msi.metrics.registry` (:data:`COLUMNS` is its table):
``video_metrics`` builds one :class:`msi.metrics.column.VideoContext` per video and runs every
registered metric on it.
"""
from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from msi.errors import MSIError, UsageError
from msi.io.remote import display_path, redact_text  # string work: fsspec loads only for a URL
from msi.metrics.column import Column, CompareSettings, Metric, VideoContext  # noqa: F401  (Column: re-exported)
from msi.metrics.lse import syncnet as _syncnet
from msi.metrics.registry import COLUMNS, SET_METRICS, TABLE_COLUMNS, VIDEO_METRICS

#: Bumped whenever a column's definition changes, so stored rows (``stableface bench`` results)
#: know they must be scored again.  2: ``mouth_motion`` in median mouth widths (was: the mean
#: width over the first 5 frames, which let the first frames' expression set the unit).
METRICS_VERSION = 2

#: Errors of one metric that stop the whole run (they are the user's, not the video's).
FATAL_KINDS = ("bad_weights",)


# ----------------------------------------------------------------------------- one video


def _empty_row(path: str) -> dict:
    return {"path": str(path), **{c: math.nan for c in COLUMNS}, "frames": 0, "fps": math.nan,
            "truth": None, "error": None, "error_kind": None, "warnings": []}


def video_context(path: str | os.PathLike, settings, cache: bool | str = True,
                  options: CompareSettings = CompareSettings(), syncnet_weights=None,
                  truth: VideoContext | None = None, weights: dict | None = None) -> VideoContext:
    """The context the columns of one video are computed from: tracking (cached, as ``msi
    score``), the score, the audio and the frames, each loaded on first use."""
    from msi.io.audio import read_audio
    from msi.io.video import iter_frames, probe
    from msi.score import get_landmarks, score_landmarks

    return VideoContext(str(path), settings=settings, options=options, syncnet_weights=syncnet_weights, truth=truth,
                        weights=weights,
                        track=lambda: get_landmarks(path, settings, cache=cache),
                        score=lambda lm: score_landmarks(lm.landmarks, lm.fps, settings, path=str(path)),
                        audio=lambda: read_audio(path), frames=lambda: iter_frames(path),
                        frame_rate=lambda: probe(path).fps)


def video_metrics(path: str | os.PathLike, truth: str | os.PathLike | None = None, syncnet_weights=None,
                  settings=None, cache: bool | str = True, compare_settings: CompareSettings = CompareSettings(),
                  weights: dict | None = None) -> dict:
    """Every column of :data:`COLUMNS` for one video (NaN where not computable), plus ``frames``,
    ``fps``, ``truth`` and ``warnings``. Raises :class:`MSIError` when the video itself cannot be
    scored (missing, unreadable, no face); problems of one column (no audio track, a bad truth
    video) become a NaN and a warning.

    ``truth``: the ground-truth video for SSIM, PSNR and NLMD; ``syncnet_weights``: a path to
    ``syncnet_v2.model`` (or a loaded ``msi.syncnet.SyncNet``) for LSE-C/LSE-D; ``weights``:
    {"inception" | "i3d" | "arcface": path or loaded network} for FID, FVD (their per-video
    features, under ``row["features"]``: see :func:`compare_methods`) and CSIM.
    """
    from msi.score import Settings

    settings = settings or Settings()
    truth_ctx = video_context(truth, settings, cache, compare_settings) if truth is not None else None
    ctx = video_context(path, settings, cache, compare_settings, syncnet_weights, truth_ctx, weights)
    row = _empty_row(display_path(path))
    res = ctx.score  # the video's own failure (unreadable, no face) is the row's error
    row.update(frames=res.frames, fps=res.fps)
    ctx.notes.extend(list(ctx.tracked.warnings) + list(res.warnings))
    for metric in VIDEO_METRICS:
        row.update(run_metric(metric, ctx))
    features = {k: v for m in SET_METRICS for k, v in run_metric(m, ctx).items()}
    if features:
        row["features"] = features
    if truth is not None:
        row["truth"] = display_path(truth)
    row["warnings"] = ctx.notes
    return row


def run_metric(metric: Metric, ctx: VideoContext) -> dict:
    """One metric's values on ``ctx``; {} (NaN cells) when a need is missing or its input is
    unusable, with a warning saying why (a missing truth or weights is not worth one)."""
    if not all(ctx.has(n) for n in metric.needs if n != "audio"):
        return {}
    if "audio" in metric.needs:
        try:
            ctx.audio
        except MSIError as exc:
            ctx.note(f"audio columns skipped: {_strip(exc, ctx.path)}")
            return {}
    try:
        return dict(metric.compute(ctx))
    except MSIError as exc:
        if exc.kind in FATAL_KINDS:
            raise
        ctx.note(f"{metric.title} skipped: {_strip(exc, ctx.path)}")
        return {}


def _strip(exc: Exception, path) -> str:
    msg = str(exc)
    return msg[len(str(path)) + 2:] if msg.startswith(f"{path}: ") else msg


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


def set_features(path: str | os.PathLike, weights: dict, settings=None, cache: bool | str = True,
                 options: CompareSettings = CompareSettings()) -> dict:
    """The set-level metrics' features of one reference (truth) video, without tracking it:
    {"path", "features": {column: rows}, "warnings": [...], "error": None or the one-line reason}."""
    from msi.score import Settings

    ctx = video_context(path, settings or Settings(), cache, options, weights=weights)
    shown = display_path(path)
    try:
        features = {k: v for m in SET_METRICS for k, v in run_metric(m, ctx).items()}
    except MSIError as exc:
        return {"path": shown, "features": {}, "warnings": ctx.notes, "error": redact_text(_strip(exc, shown))}
    return {"path": shown, "features": features, "warnings": ctx.notes, "error": None}


def _job(args: tuple) -> dict:
    method, name, path, truth, weights, settings, cache, csettings, nets = args
    if method is None:  # a truth video: only the set-level metrics' features (FID, FVD)
        row = set_features(path, nets, settings, cache, csettings)
        row.update(method=None, name=name)
        return row
    shown = display_path(path)  # a URL without its userinfo and query string
    try:
        row = video_metrics(path, truth, weights, settings, cache, csettings, nets)
    except MSIError as exc:
        row = _empty_row(shown)
        row.update(error=redact_text(_strip(exc, shown)), error_kind=exc.kind)
    except Exception as exc:  # one bad video never sinks the batch; the message stays one line
        row = _empty_row(shown)
        first = str(exc).splitlines()[0] if str(exc) else ""
        row.update(error=redact_text(f"unexpected {type(exc).__name__}: {first}"), error_kind="internal")
    row.update(method=method, name=name)
    return row


def iter_compare(methods: dict[str, Path], truth_dir: Path | None = None, syncnet_weights=None, settings=None,
                 workers: int = 1, cache: bool | str = True,
                 compare_settings: CompareSettings = CompareSettings(), weights: dict | None = None) -> Iterator[dict]:
    """Per-video rows (dicts) of every method, in completion order. Never raises for one video.
    ``weights``: {"inception" | "i3d" | "arcface": path or network}; with FID/FVD weights and a
    ``truth_dir`` the truth videos' rows (``method`` None: their features only) come too."""
    from msi.metrics.networks import network

    truths = list_videos(truth_dir) if truth_dir else {}
    if syncnet_weights is not None and isinstance(syncnet_weights, (str, os.PathLike)):
        _syncnet(syncnet_weights)  # bad weights fail once, before any work
    nets = {k: (str(v) if isinstance(v, (str, os.PathLike)) else v) for k, v in (weights or {}).items() if v is not None}
    for kind, w in nets.items():
        network(kind, w)  # bad weights fail once, before any work
    jobs = []
    for method, folder in methods.items():
        for name, path in list_videos(folder).items():
            jobs.append((method, name, str(path), str(truths[name]) if name in truths else None,
                         str(syncnet_weights) if isinstance(syncnet_weights, (str, os.PathLike)) else syncnet_weights,
                         settings, cache, compare_settings, nets))
    if any(n in nets for m in SET_METRICS for n in m.needs):
        jobs += [(None, name, str(path), None, None, settings, cache, compare_settings, nets)
                 for name, path in truths.items()]
    from msi.parallel import imap_jobs

    yield from imap_jobs(_job, jobs, workers)


def compare_methods(methods: dict[str, Path], truth_dir: Path | None = None, syncnet_weights=None,
                    settings=None, workers: int = 1, cache: bool | str = True,
                    compare_settings: CompareSettings = CompareSettings(), weights: dict | None = None,
                    reference: str | None = None, resamples: int | None = None):
    """Tidy per-video DataFrame: method, name, path, every column of :data:`COLUMNS`, frames, fps,
    truth, error, error_kind, warnings; sorted by method (in the order given) and name.

    With FID/FVD weights in ``weights``, ``df.attrs["set_metrics"]`` holds one row per (method,
    set-level metric) against the reference set: the truth videos with ``truth_dir``, else the
    ``reference`` method (default: the first) (:func:`set_metric_rows`)."""
    rows = list(iter_compare(methods, truth_dir, syncnet_weights, settings, workers, cache, compare_settings,
                             weights))
    return rows_frame(rows, methods, truth_dir, reference, resamples)


def rows_frame(rows: list[dict], methods: dict[str, Path], truth_dir: Path | None = None,
               reference: str | None = None, resamples: int | None = None):
    """:func:`compare_methods`'s frame of the rows :func:`iter_compare` yielded (all of them, or
    those that finished before an interrupt)."""
    import pandas as pd

    truth_rows = sorted((r for r in rows if r["method"] is None), key=lambda r: r["name"])
    rows = [r for r in rows if r["method"] is not None]
    features = {(r["method"], r["name"]): r.pop("features") for r in rows if "features" in r}
    df = pd.DataFrame(rows, columns=["method", "name", "path", *COLUMNS, "frames", "fps", "truth", "error",
                                     "error_kind", "warnings"])
    order = {m: i for i, m in enumerate(methods)}
    df = df.sort_values(["method", "name"], key=lambda s: s.map(order) if s.name == "method" else s,
                        ignore_index=True)
    if features:
        truth = {r["name"]: r["features"] for r in truth_rows if not r["error"]} if truth_dir else None
        notes = [f"{r['path']}: {w}" for r in truth_rows for w in r["warnings"]]
        notes += [f"{r['path']}: {r['error']}" for r in truth_rows if r["error"]]
        df.attrs["set_metrics"] = set_metric_rows(features, list(methods), reference or next(iter(methods)), truth,
                                                  resamples)
        df.attrs["set_warnings"] = notes
    return df


def set_metric_rows(features: dict, methods: list[str], reference: str, truth: dict | None = None,
                    resamples: int | None = None) -> list[dict]:
    """One row per (method, set-level metric) that was computed: method, metric, n (videos
    pooled), items (frames or clips), value, ci_low, ci_high (bootstrap over videos,
    :func:`msi.metrics.fid.bootstrap_set_metric`) and warning (why the cell is empty, or "").
    ``features``: {(method, video name): {column: rows}}; the reference set is ``truth`` ({video
    name: {column: rows}}) when given, else the ``reference`` method's videos (whose own cells stay
    empty)."""
    from msi.metrics.fid import BOOTSTRAP_RESAMPLES, bootstrap_set_metric

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
                if truth is None and method == reference:
                    row.update(n=0, items=0)  # the reference itself
                elif row["items"] < metric.min_items or n_ref < metric.min_items:
                    row["warning"] = (f"{col.label} skipped: {row['items']} {metric.items} of the method, "
                                      f"{n_ref} of the reference (needs at least {metric.min_items} each)")
                else:
                    row["value"], row["ci_low"], row["ci_high"] = bootstrap_set_metric(mine, ref, metric.reduce,
                                                                                       resamples)
                out.append(row)
    return out


# ----------------------------------------------------------------------------- statistics


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and its t-based confidence interval: mean ± t_{(1+level)/2, n−1} · s / √n (s: sample
    standard deviation); (mean, low, high, n) over the finite values; the interval is NaN for n < 2."""
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, 1
    h = float(stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - h, m + h, n


def paired_wilcoxon(a, b) -> tuple[float, int]:
    """Two-sided Wilcoxon signed-rank p of paired values (pairs with both finite); (p, n pairs).
    p is NaN with fewer than 2 pairs or when every difference is zero (nothing to rank)."""
    from scipy import stats

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(len(x))
    if n < 2 or np.all(x == y):
        return math.nan, n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(x, y).pvalue), n


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


def read_paper_table(path: str | os.PathLike):
    """A table of published numbers to print beside ours: CSV with a ``method`` column and any of
    the metric columns of :data:`COLUMNS` (e.g. ``method,msi_lip,msi_jaw,lse_c``), one row per
    method. Nothing is shipped: the user transcribes the paper's values."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such paper table")
    try:
        t = pd.read_csv(p)
    except Exception as exc:  # parser errors of any kind: one line
        raise UsageError(f"{p}: not a readable CSV ({type(exc).__name__})") from None
    if "method" not in t.columns:
        raise UsageError(f"{p}: needs a 'method' column (found: {', '.join(map(str, t.columns))})")
    known = [c for c in t.columns if c in TABLE_COLUMNS]
    if not known:
        raise UsageError(f"{p}: no metric column; use any of {', '.join(TABLE_COLUMNS)}")
    return t[["method", *known]]


# ----------------------------------------------------------------------------- rendering


def shown_columns(summary) -> list[str]:
    """Metric columns with at least one value (LSE without weights, SSIM without truth are left out)."""
    return [c for c in TABLE_COLUMNS if (summary.loc[summary["metric"] == c, "n"] > 0).any()]


def _cell(r, fmt: str, with_n: bool, with_p: bool) -> str:
    if r["n"] == 0:
        return "–"
    s = fmt.format(r["mean"])
    if np.isfinite(r["ci_low"]):
        s += f" [{fmt.format(r['ci_low'])}, {fmt.format(r['ci_high'])}]"
    if with_n:
        s += f" (n={r['n']})"
    if with_p and np.isfinite(r["p_wilcoxon"]):
        s += f" p={r['p_wilcoxon']:.3g}"
    return s


def wide_table(summary, paper=None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the human table: one row per method, one cell per metric
    "mean [95% CI] (n=…) p=…"; the paper's rows (if given) below, marked "(paper)"."""
    cols = shown_columns(summary)
    if paper is not None:
        cols += [c for c in paper.columns if c in TABLE_COLUMNS and c not in cols]
    arrow = {1: " ↑", -1: " ↓", 0: ""}
    header = ["method", *[TABLE_COLUMNS[c].label + arrow[TABLE_COLUMNS[c].better] for c in cols], "failed"]
    rows = []
    for method, sub in summary.groupby("method", sort=False):
        by = sub.set_index("metric")
        cells = [_cell(by.loc[c], TABLE_COLUMNS[c].fmt, True, True) if c in by.index else "–" for c in cols]
        rows.append([str(method), *cells, str(int(sub["n_failed"].iloc[0]))])
    if paper is not None:
        for _, r in paper.iterrows():
            rows.append([f"{r['method']} (paper)",
                         *[TABLE_COLUMNS[c].fmt.format(r[c]) if c in paper.columns and np.isfinite(r[c]) else "–"
                           for c in cols], ""])
    return header, rows


def format_table(summary, fmt: str = "md", paper=None, per_video=None) -> str:
    """The summary as ``md`` (Markdown table), ``latex`` (tabular), ``csv`` or ``json`` (tidy rows,
    with the per-video rows under "videos" in JSON)."""
    import json

    if fmt == "csv":
        return summary.to_csv(index=False)
    if fmt == "json":
        doc = {"summary": json.loads(summary.to_json(orient="records"))}
        if per_video is not None:
            doc["videos"] = json.loads(per_video.to_json(orient="records"))
        if paper is not None:
            doc["paper"] = json.loads(paper.to_json(orient="records"))
        return json.dumps(doc, indent=1)
    header, rows = wide_table(summary, paper)
    if fmt == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        def esc(s: str) -> str:
            return (s.replace("\\", "\\textbackslash{}").replace("&", "\\&").replace("%", "\\%").replace("_", "\\_")
                    .replace("#", "\\#").replace("↑", "$\\uparrow$").replace("↓", "$\\downarrow$")
                    .replace("–", "--"))

        lines = ["\\begin{tabular}{l" + "c" * (len(header) - 1) + "}", "\\toprule",
                 " & ".join(esc(h) for h in header) + " \\\\", "\\midrule"]
        lines += [" & ".join(esc(c) for c in r) + " \\\\" for r in rows]
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown table format {fmt!r}")


def plot_summary(summary, path: str | os.PathLike) -> Path:
    """One panel per metric: each method's mean with its 95% CI as an error bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = shown_columns(summary)
    n = len(cols)
    ncol = min(4, n)
    nrow = math.ceil(n / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
    methods = list(dict.fromkeys(summary["method"]))
    for ax, c in zip(axes.flat, cols):
        sub = summary[summary["metric"] == c].set_index("method").reindex(methods)
        m = sub["mean"].to_numpy(float)
        err = np.vstack([m - sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float) - m])
        ax.errorbar(np.arange(len(methods)), m, yerr=np.nan_to_num(err), fmt="o", capsize=4)
        ax.set_xticks(np.arange(len(methods)), methods, rotation=30, ha="right")
        arrow = {1: " (↑ better)", -1: " (↓ better)", 0: ""}[TABLE_COLUMNS[c].better]
        ax.set_title(TABLE_COLUMNS[c].label + arrow, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
