"""``msi report``'s work: per-video rows (from ``msi compare`` or its ``--out`` file) -> a report
folder, written atomically.

The folder is built in a temporary sibling (``.NAME.partial-*``) and renamed into place only
when complete, so an interrupted or failed run leaves no half report (and an older report at
the same place stays until the new one replaces it). A folder is only ever replaced if it holds
:data:`MARKER` (it is a report).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from msi.errors import OutputError, UsageError
from msi.report.collect import VideoJob, video_assets
from msi.report.plan import Plan, plan_report
from msi.report.previews import PREVIEW_SIDE

#: The file that marks a folder as a report (only such a folder is ever replaced).
MARKER = ".msi-report"
#: Face coverage below which a video is listed under the warnings.
LOW_COVERAGE = 0.9
#: Relative frame-rate difference between the videos of one utterance that is listed.
FPS_TOLERANCE = 1e-3
ROW_COLUMNS = ("method", "name", "path")


def check_out(out: str | os.PathLike) -> Path:
    """The report folder: UsageError if it exists and is not an earlier report, or cannot be written."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise UsageError(f"--out {p}: exists and is not a folder")
    if p.is_dir() and any(p.iterdir()) and not (p / MARKER).is_file():
        raise UsageError(f"--out {p}: a folder that is not an msi report; give a new or empty folder")
    parent = p.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryDirectory(dir=parent, prefix=f".{p.name}.check-").cleanup()
    except OSError as exc:
        raise UsageError(f"--out {p}: cannot write there ({exc.strerror or type(exc).__name__})") from None
    return p


def read_rows(path: str | os.PathLike):
    """The per-video rows ``msi compare --out`` wrote (.csv, .json or .parquet), warnings as lists."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"--rows {p}: no such file")
    try:
        df = {".csv": pd.read_csv, ".json": pd.read_json, ".parquet": pd.read_parquet}[p.suffix.lower()](p)
    except KeyError:
        raise UsageError(f"--rows {p}: use the .csv, .json or .parquet file written by msi compare --out") from None
    except Exception as exc:  # parser errors of any kind: one line
        raise UsageError(f"--rows {p}: not readable ({(str(exc).splitlines() or [type(exc).__name__])[0][:120]})") from None
    missing = [c for c in ROW_COLUMNS if c not in df.columns]
    if missing:
        raise UsageError(f"--rows {p}: not msi compare's per-video rows (no {', '.join(missing)} column)")
    if df.empty:
        raise UsageError(f"--rows {p}: holds no video")
    df["name"] = df["name"].astype(str)
    from msi.metrics.registry import COLUMNS

    for col in COLUMNS:  # rows of an older msi compare: columns it did not have are empty
        if col not in df.columns:
            df[col] = float("nan")
    for col in ("error", "truth"):
        if col not in df.columns:
            df[col] = None
        df[col] = df[col].map(lambda v: v if isinstance(v, str) and v else None)
    def located(v):  # a relative path is msi compare's working folder's; else try beside the rows file
        q = Path(str(v))
        return str(p.parent / q) if not q.is_absolute() and not q.exists() and (p.parent / q).exists() else v

    from msi.io.remote import is_url

    for col in ("path", "truth"):
        df[col] = df[col].map(lambda v: v if v is None or is_url(v) else located(v))
    if "warnings" not in df.columns:
        df["warnings"] = ""
    df["warnings"] = df["warnings"].map(  # msi compare --out joins them with " | "
        lambda w: [s for s in w.split(" | ") if s] if isinstance(w, str) else list(w) if isinstance(w, list) else [])
    return df


def score_methods(methods: dict, truth_dir=None, syncnet_weights=None, settings=None, workers: int = 1,
                  cache: bool | str = True, progress: bool = True, device: str = "auto", batch_size: int | None = None,
                  cluster: str | None = None):
    """``msi compare``'s per-video rows of every method (:func:`msi.comparison.compare.iter_compare`, the same
    folder expansion and columns; ``device``, ``batch_size``, ``cluster`` as there), with a progress
    bar over the videos on stderr."""
    import pandas as pd
    from tqdm import tqdm

    from msi.comparison.compare import iter_compare, list_videos

    total = sum(len(list_videos(d)) for d in methods.values())
    kw = {"cluster": cluster} if cluster else {}
    stream = iter_compare(methods, truth_dir, syncnet_weights, settings, workers, cache, device=device,
                          batch_size=batch_size, **kw)
    rows = [r for r in tqdm(stream, total=total,
                            desc="msi report: scoring", unit="video", file=sys.stderr, disable=not progress or None)
            if isinstance(r.get("method"), str)]  # a method's videos (not set-level rows)
    order = {m: i for i, m in enumerate(methods)}
    df = pd.DataFrame(rows)
    from msi.comparison.provenance import provenance, run_provenance
    from msi.metrics.registry import TABLE_COLUMNS
    from msi.comparison.device import resolve_device

    made_by = provenance(TABLE_COLUMNS.values(), settings, device=resolve_device(device, syncnet_weights is not None),
                         syncnet_weights=syncnet_weights)
    df["provenance"] = run_provenance(made_by)
    return df.sort_values(["method", "name"], key=lambda c: c.map(order) if c.name == "method" else c,
                          ignore_index=True)


def warnings_of(plan: Plan, assets: dict[str, dict]) -> list[str]:
    """The summary page's warnings: errors, missing files, each row's warnings (frozen mouth,
    coverage, ...), low face coverage and frame rates that differ within an utterance."""
    out = [f"{m}: no video named {n} (a gap in the report)" for m, n in plan.missing]
    for u in plan.utterances:
        rates = {}
        for c in u.cells:
            if c.row is None:
                continue
            a = assets.get(c.key, {})
            if c.error or a.get("error"):
                out.append(f"{c.method}: {u.name}: error: {c.error or a['error']}")
                continue
            out += [f"{c.method}: {u.name}: {w}" for w in (c.row.get("warnings") or [])]
            cov = a.get("face_coverage")
            if cov is not None and cov < LOW_COVERAGE:
                out.append(f"{c.method}: {u.name}: face found in {100 * cov:.0f}% of the frames")
            for k in ("analysis_error", "preview_error", "slice_error"):
                if a.get(k):
                    out.append(f"{c.method}: {u.name}: {k.split('_')[0]}: {a[k]}")
            if a.get("fps"):
                rates[c.method] = a["fps"]
        t = assets.get(u.truth_key, {}) if u.truth else {}
        if t.get("fps"):
            rates["truth"] = t["fps"]
        if t.get("error"):
            out.append(f"truth: {u.name}: error: {t['error']}")
        if rates and max(rates.values()) - min(rates.values()) > FPS_TOLERANCE * max(rates.values()):
            out.append(f"{u.name}: frame rates differ (" + ", ".join(f"{k} {v:g}" for k, v in rates.items())
                       + " fps): the videos are synchronised by time")
    out += declared_lines(plan)
    return sorted(dict.fromkeys(out), key=_urgency)


def declared_lines(plan: Plan) -> list[str]:
    """One line per method whose videos declare themselves AI-generated (``declared_generated``:
    a C2PA manifest, the stableface watermark or its audio mark, :mod:`msi.provenance`)."""
    seen: dict[str, list[str]] = {}
    for u in plan.utterances:
        for c in u.cells:
            if c.row is not None and c.row.get("declared_generated") in (True, "True", "true", 1):
                seen.setdefault(c.method, []).append(u.name)
    return [f"{m}: {len(names)} of {sum(1 for u in plan.utterances if any(c.method == m for c in u.cells))} videos "
            f"declare themselves AI-generated (C2PA manifest, watermark or audio mark): {', '.join(names[:5])}"
            + (", ..." if len(names) > 5 else "") for m, names in seen.items()]


#: Warnings listed first (a gap or error, a still mouth, a lost face, mismatched rates), in this order.
URGENT = ("error:", "a gap in the report", "mouth motion", "face found in", "frame rates differ")


def _urgency(text: str) -> int:
    return next((i for i, k in enumerate(URGENT) if k in text), len(URGENT))


@dataclass
class Written:
    """What :func:`build_report` wrote: the folder, and "path: reason" of every video shown as an error cell."""

    path: Path
    errors: list[str] = field(default_factory=list)


def build_report(rows, out: str | os.PathLike, *, settings=None, cache: bool | str = True, workers: int = 1,
                 reference: str | None = None, truths: dict[str, str] | None = None, preview_side: int = PREVIEW_SIDE,
                 portable: bool = False, title: str = "msi report", progress: bool = True) -> Written:
    """Write the report of ``rows`` (``msi compare``'s per-video DataFrame) to the folder ``out``
    (replacing an earlier report there only once the new one is complete)."""
    from msi.settings import Settings

    out = check_out(out)
    settings = settings or Settings()
    plan = plan_report(rows, truths)
    tmp = Path(tempfile.mkdtemp(dir=out.resolve().parent, prefix=f".{out.name}.partial-"))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would make the renamed report private
        for d in ("u", "assets", "previews", "slices"):
            (tmp / d).mkdir()
        jobs = [VideoJob(key, path, str(tmp), str(out), settings, cache, preview_side, portable)
                for key, path in plan.videos().items()]
        assets = {}
        from msi.parallel import imap_jobs
        from tqdm import tqdm

        for a in tqdm(imap_jobs(video_assets, jobs, workers), total=len(jobs), unit="video", file=sys.stderr,
                      desc="msi report: timelines, slices, previews", disable=not progress or None):
            assets[a["key"]] = a
        _write_pages(tmp, plan, rows, assets, reference, title, settings)
        (tmp / MARKER).write_text("msi report folder: it may be replaced by the next msi report --out here\n")
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    errors = [f"{c.row['path']}: {c.error}" for u in plan.utterances for c in u.cells if c.error]
    errors += [f"{a['path']}: {a['error']}" for a in assets.values() if a.get("error")]
    return Written(out, errors)


def _write_pages(tmp: Path, plan: Plan, rows, assets: dict, reference: str | None, title: str, settings) -> None:
    from msi.comparison.compare import summarize
    from msi.plots.compare import plot_summary
    from msi.metrics.registry import shown_columns
    from msi.report.tables import wide_table
    from msi.report.pages import summary_page, utterance_data, utterance_page

    for name in ("report.js", "report.css"):
        (tmp / "assets" / name).write_bytes(resources.files("msi.report").joinpath("assets", name).read_bytes())
    reference = reference or plan.methods[0]
    summary = summarize(rows, reference)
    header, table = wide_table(summary)
    cols = shown_columns(summary)
    by = summary.set_index(["method", "metric"])["mean"]
    means = [[_finite(by.get((r[0], c))) for c in cols] for r in table]
    figure = None
    if cols:
        plot_summary(summary, tmp / "methods.png")
        figure = "methods.png"
    s = settings
    line = (f"Reference (Wilcoxon): {reference}. Tracker {s.tracker}, windows {s.compat}"
            + (f", resampled to {s.resample_fps:g} fps" if s.resample_fps else "") + ".")
    made = [p for p in dict.fromkeys(rows["provenance"]) if isinstance(p, str) and p] if "provenance" in rows else []
    if made:  # what produced the numbers (msi.comparison.provenance): package, tracker, weights, device, options
        (tmp / "provenance.json").write_text(json.dumps(json.loads(made[0]), indent=1), encoding="utf-8")
        line += " What produced each number (package, tracker, weights' SHA-256, device, options): provenance.json."

    (tmp / "index.html").write_text(summary_page(title, plan, header, table, means, assets,
                                                 warnings_of(plan, assets), figure, line), encoding="utf-8")
    slugs = [u.slug for u in plan.utterances]
    for i, u in enumerate(plan.utterances):
        page = utterance_page(title, u, utterance_data(u, assets), slugs[i - 1] if i else None,
                              slugs[i + 1] if i + 1 < len(slugs) else None)
        (tmp / "u" / f"{u.slug}.html").write_text(page, encoding="utf-8")


def _finite(x) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _swap_in(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an earlier report there is moved aside first and removed after."""
    old = None
    try:
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.resolve().parent, prefix=f".{out.name}.old-"))
            os.rename(out, old / "report")
        os.rename(tmp, out)
    except OSError as exc:
        if old is not None and not out.exists() and (old / "report").exists():
            os.rename(old / "report", out)  # the earlier report back in place
        raise OutputError(f"cannot write the report to {out} ({exc.strerror or type(exc).__name__})") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
