"""Encoding sensitivity: how far each column of ``msi compare`` moves when the same videos are
encoded differently, and which method differences are smaller than that.

Every video of every method is re-encoded along :data:`LADDER` (H.264 at three CRFs, half size,
25 fps where it is not; the video as given is the baseline), each version is scored with every
column exactly as the original, and per column and rung the change over videos is summarised:

    Δ_v = x_v(rung) − x_v(as given),   mean Δ and mean |Δ| over videos, each with its t interval

(:func:`msi.stats.mean_ci`; set-level columns such as FID have one value per method, so their Δ
is over methods). A column's **encoding effect** is its largest mean |Δ| over the rungs. A method's
difference to the reference on a column that is smaller than that effect could be the encoder's
doing, not the method's: :func:`flags` marks it. The truth videos are never re-encoded: they are
the reference the full-reference columns measure against.

Re-encodes are written with PyAV (:func:`msi.io.video.write_video`: libx264, yuv420p, x264's
``veryfast`` preset, one thread so the bytes are reproducible; audio re-encoded as AAC, mono
16 kHz, the rate every audio column reads), in parallel, and cached by content like landmarks.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from msi.errors import UsageError
from msi.stats import mean_ci

#: Bumped when an encode's recipe changes, so cached encodes are made again.
ENCODE_VERSION = 1
#: The rate the "fps" rung brings videos to (GRID's, SyncNet's and LipNet's).
TARGET_FPS = 25.0


@dataclass(frozen=True)
class Rung:
    """One re-encoding: libx264 at ``crf``, frames scaled by ``scale`` (to even sizes, area
    interpolation), resampled to ``fps`` (the frame on screen at each new time) when it is set and the video is
    at another rate."""

    name: str
    label: str
    crf: int = 18
    scale: float = 1.0
    fps: float | None = None

    def applies(self, fps: float) -> bool:
        return self.fps is None or not math.isclose(fps, self.fps, rel_tol=1e-3)


#: The documented ladder, in order (``msi compare --ladder`` picks a subset by name).
LADDER: tuple[Rung, ...] = (
    Rung("crf18", "H.264 CRF 18", 18),  # visually near-lossless: what careful papers ship
    Rung("crf28", "H.264 CRF 28", 28),  # x264's default is 23; 28 is a typical web upload
    Rung("crf35", "H.264 CRF 35", 35),  # heavy compression, visible blocks
    Rung("half", "half size, CRF 18", 18, scale=0.5),
    Rung("fps25", "25 fps, CRF 18", 18, fps=TARGET_FPS),
)
#: The baseline every rung is compared with.
GIVEN = "given"


def parse_ladder(spec: str | None) -> tuple[Rung, ...]:
    """Rungs by comma-separated names (None: the whole ladder)."""
    if spec is None:
        return LADDER
    names = [s.strip() for s in spec.split(",") if s.strip()]
    by = {r.name: r for r in LADDER}
    bad = [n for n in names if n not in by]
    if bad or not names:
        raise UsageError(f"--ladder {spec!r}: unknown rung {', '.join(bad) or '(none)'}; use any of {', '.join(by)}")
    return tuple(by[n] for n in dict.fromkeys(names))


# ----------------------------------------------------------------------------- encoding


def encode_key(content_hash: str, rung: Rung) -> str:
    blob = json.dumps({"v": ENCODE_VERSION, "content": content_hash, "rung": asdict(rung)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


def resample_indices(n: int, fps: float, target: float) -> np.ndarray:
    """Source frame of each output frame when ``n`` frames at ``fps`` are shown at ``target``: the
    frame on screen at that time, ⌊k · fps / target⌋, over the same duration."""
    m = max(1, int(round(n * target / fps)))
    return np.minimum(np.floor(np.arange(m) * fps / target + 1e-9).astype(int), n - 1)


def encode(src: str | os.PathLike, rung: Rung, out: str | os.PathLike) -> Path:
    """Write ``src`` re-encoded as ``rung`` to ``out`` (atomically: a temporary file renamed)."""
    import cv2

    from msi.errors import MSIError
    from msi.io.audio import read_audio
    from msi.io.video import iter_frames, probe, write_video

    info = probe(src)
    frames: Iterable[np.ndarray] = iter_frames(src)
    fps = info.fps
    if rung.fps is not None and rung.applies(fps):
        allf = list(frames)  # the container's frame count is an estimate: count the decoded ones
        keep = resample_indices(len(allf), fps, rung.fps)
        frames, fps = (allf[i] for i in keep), rung.fps
    if rung.scale != 1.0:
        w = max(2, int(round(info.width * rung.scale / 2)) * 2)
        h = max(2, int(round(info.height * rung.scale / 2)) * 2)
        frames = (cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames)
    elif info.width % 2 or info.height % 2:  # yuv420p needs even sides: pad by one edge pixel
        frames = (np.pad(f, ((0, info.height % 2), (0, info.width % 2), (0, 0)), mode="edge") for f in frames)
    try:
        a = read_audio(src)
        audio, rate = a.samples.astype(np.float32) / 32768.0, a.sample_rate
    except MSIError:  # no audio track: the copy has none either
        audio, rate = None, 16000
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".mp4", prefix=".enc-", dir=out.parent)
    os.close(fd)
    try:
        write_video(tmp, frames, fps=fps, crf=rung.crf, audio=audio, sample_rate=rate, threads=1)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _encode_job(job: tuple) -> tuple:
    """(job, path or None, error or None): never raises (a batch keeps its finished encodes)."""
    src, rung, folder = job
    try:
        from msi.io.cache import file_sha256
        from msi.io.video import probe

        if not rung.applies(probe(src).fps):
            return job, None, None  # already at the rung's rate: nothing to encode
        out = Path(folder) / f"{encode_key(file_sha256(src), rung)}.mp4"
        if not out.is_file():
            encode(src, rung, out)
        return job, str(out), None
    except Exception as exc:  # one line per video; the others go on
        first = (str(exc).splitlines() or [""])[0]
        return job, None, f"{type(exc).__name__}: {first}" if not first.startswith(str(src)) else first


def encodes_folder(cache: bool | str) -> tuple[Path, bool]:
    """Where encodes are kept: the landmark cache's folder + ``encodes`` (True), the given folder
    + ``encodes``, or a temporary folder removed after the run (False): (folder, temporary)."""
    if cache is False:
        return Path(tempfile.mkdtemp(prefix="msi-encodes-")), True
    from msi.io.cache import default_cache_dir

    base = default_cache_dir() if cache is True else Path(cache)
    return base / "encodes", False


def encode_ladder(methods: dict[str, dict[str, Path]], rungs: Sequence[Rung], folder: Path, workers: int = 1,
                  progress: bool = True) -> tuple[dict[str, dict[str, dict[str, str]]], list[str]]:
    """Every video of every method encoded as every rung (cached in ``folder``, in parallel):
    ({rung: {method: {name: encoded path}}}, warnings). ``methods``: {method: {name: path}}."""
    from tqdm import tqdm

    from msi.parallel import imap_jobs

    jobs = [(str(p), r, str(folder)) for r in rungs for m in methods.values() for p in m.values()]
    where = {(str(p), r.name): (m, n) for r in rungs for m, v in methods.items() for n, p in v.items()}
    out: dict[str, dict[str, dict[str, str]]] = {r.name: {} for r in rungs}
    notes: list[str] = []
    bar = tqdm(imap_jobs(_encode_job, jobs, workers), total=len(jobs), desc="msi compare: re-encoding", unit="video",
               file=sys.stderr, disable=not progress or None)
    for (src, rung, _), path, error in bar:
        method, name = where[(src, rung.name)]
        if error:
            notes.append(f"{rung.name}: {src}: not re-encoded ({error})")
        elif path:
            out[rung.name].setdefault(method, {})[name] = path
    return out, notes


def link_tree(root: Path, videos: dict[str, dict[str, str]]) -> dict[str, Path]:
    """{method: folder} under ``root`` holding each encoded video under its name (symbolic links,
    copies where links are not allowed), so videos pair up by name as the originals do."""
    dirs = {}
    for method, named in videos.items():
        d = root / method
        for name, path in named.items():
            dst = d / f"{name}.mp4"
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(path, dst)
            except OSError:
                shutil.copyfile(path, dst)
        dirs[method] = d
    return dirs


# ----------------------------------------------------------------------------- the pass


def run_ladder(methods: dict[str, Path], baseline, compare: Callable[[dict[str, Path]], object],
               rungs: Sequence[Rung] = LADDER, workers: int = 1, cache: bool | str = True,
               progress: bool = True) -> tuple[dict, list[str]]:
    """Per-video rows of every rung: {rung name: DataFrame like ``baseline``} (``compare(dirs)``
    is the same ``msi.comparison.compare.compare_methods`` call that made ``baseline``, on the re-encoded
    folders), and warnings. Rungs no video needs (25 fps clips and the fps rung) are left out."""
    from msi.comparison.compare import list_videos

    listed = {m: list_videos(d) for m, d in methods.items()}
    folder, temporary = encodes_folder(cache)
    links = Path(tempfile.mkdtemp(prefix="msi-ladder-"))
    try:
        encoded, notes = encode_ladder(listed, rungs, folder, workers, progress)
        out = {}
        for r in rungs:
            if not encoded[r.name]:
                notes.append(f"{r.name}: no video needs it (all at {TARGET_FPS:g} fps)" if r.fps else
                             f"{r.name}: no video could be re-encoded")
                continue
            if progress:
                print(f"msi compare: scoring the {r.label} copies", file=sys.stderr)
            out[r.name] = compare(link_tree(links / r.name, encoded[r.name]))
        return out, notes
    finally:
        shutil.rmtree(links, ignore_errors=True)
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _set_values(per_video) -> dict[tuple[str, str], float]:
    return {(r["method"], r["metric"]): r["value"] for r in per_video.attrs.get("set_metrics", [])}


def sensitivity_table(baseline, rungs: dict, rung_order: Sequence[Rung] = LADDER):
    """Tidy rows, one per (rung, column) with a value: rung, label, metric, level ("video" or
    "set"), n, delta (mean Δ), delta_low, delta_high, abs_delta (mean |Δ|), abs_low, abs_high."""
    import pandas as pd

    from msi.metrics.registry import COLUMNS, SET_COLUMNS

    rows = []
    key = ["method", "name"]
    labels = {r.name: r.label for r in rung_order}
    for rname, df in rungs.items():
        joined = df.merge(baseline, on=key, how="inner", suffixes=("", "_given"))
        deltas = {c: (joined[c].astype(float) - joined[f"{c}_given"].astype(float)).to_numpy() for c in COLUMNS}
        base_set, rung_set = _set_values(baseline), _set_values(df)
        for c in SET_COLUMNS:
            deltas[c] = np.array([rung_set[k] - base_set[k] for k in rung_set if k[1] == c and k in base_set], float)
        for c, d in deltas.items():
            m, lo, hi, n = mean_ci(d)
            if n == 0:
                continue
            am, alo, ahi, _ = mean_ci(np.abs(d))
            rows.append({"rung": rname, "label": labels.get(rname, rname), "metric": c,
                         "level": "set" if c in SET_COLUMNS else "video", "n": n, "delta": m, "delta_low": lo,
                         "delta_high": hi, "abs_delta": am, "abs_low": alo, "abs_high": ahi})
    return pd.DataFrame(rows, columns=["rung", "label", "metric", "level", "n", "delta", "delta_low", "delta_high",
                                       "abs_delta", "abs_low", "abs_high"])


def encoding_effect(table) -> dict[str, tuple[float, str]]:
    """{column: (its largest mean |Δ| over the rungs, that rung)}."""
    out: dict[str, tuple[float, str]] = {}
    for _, r in table.iterrows():
        if np.isfinite(r["abs_delta"]) and r["abs_delta"] > out.get(r["metric"], (-1.0, ""))[0]:
            out[r["metric"]] = (float(r["abs_delta"]), r["rung"])
    return out


def method_differences(summary, reference: str) -> dict[tuple[str, str], float]:
    """{(method, column): |mean − the reference's mean|} from ``msi.comparison.compare.summarize``'s table."""
    s = summary.set_index(["method", "metric"])["mean"]
    out = {}
    for (method, metric), v in s.items():
        if method != reference and (reference, metric) in s.index:
            d = abs(float(v) - float(s[(reference, metric)]))
            if np.isfinite(d):
                out[(method, metric)] = d
    return out


def flags(summary, table, reference: str) -> dict[tuple[str, str], bool]:
    """{(method, column): True when its difference to the reference is smaller than the column's
    encoding effect}, for every method difference and column with an encoding effect."""
    effect = encoding_effect(table)
    return {k: d < effect[k[1]][0] for k, d in method_differences(summary, reference).items() if k[1] in effect}


#: The mark a flagged cell gets in the comparison table.
MARK = " ≈"
LEGEND = ("≈: the difference to the reference is smaller than this column's encoding effect "
          "(the largest mean change under re-encoding, msi compare --sensitivity)")


def format_sensitivity(table, summary, reference: str) -> str:
    """Markdown: one row per column; per rung "mean Δ [CI]"; then the encoding effect, the
    largest method difference and what that means."""
    from msi.metrics.registry import TABLE_COLUMNS

    if table.empty:
        return "(no column could be compared across encodings)\n"
    rungs = list(dict.fromkeys(table["rung"]))
    labels = dict(zip(table["rung"], table["label"]))
    effect = encoding_effect(table)
    diffs = method_differences(summary, reference)
    header = ["column", *[f"Δ {labels[r]}" for r in rungs], "encoding effect", f"largest difference to {reference}",
              "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for metric in [c for c in TABLE_COLUMNS if c in set(table["metric"])]:
        fmt = TABLE_COLUMNS[metric].fmt
        sub = table[table["metric"] == metric].set_index("rung")
        cells = []
        for r in rungs:
            if r not in sub.index:
                cells.append("–")
                continue
            x = sub.loc[r]
            s = ("+" if x["delta"] >= 0 else "") + fmt.format(x["delta"])
            if np.isfinite(x["delta_low"]):
                s += f" [{fmt.format(x['delta_low'])}, {fmt.format(x['delta_high'])}]"
            cells.append(s)
        e, at = effect[metric]
        md = [d for (m, c), d in diffs.items() if c == metric]
        big = max(md) if md else math.nan
        n_small = sum(d < e for d in md)
        if not md:
            verdict = "–"
        elif n_small == 0:
            verdict = "every method differs by more"
        elif n_small == len(md):
            verdict = "**every difference within the encoding effect**"
        else:
            verdict = f"**{n_small} of {len(md)} differences within it**"
        lines.append("| " + " | ".join([TABLE_COLUMNS[metric].label, *cells, f"{fmt.format(e)} ({at})",
                                        fmt.format(big) if md else "–", verdict]) + " |")
    return "\n".join(lines) + "\n"


def plot_sensitivity(table, summary, reference: str, path: str | os.PathLike) -> Path:
    """One panel per column: each rung's mean |Δ| with its 95% interval (grey bars), and each
    method's |difference| to the reference (coloured points): a point under the tallest bar is a
    difference the encoder alone could make."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from msi.metrics.registry import TABLE_COLUMNS

    metrics = [c for c in TABLE_COLUMNS if c in set(table["metric"])]
    rungs = list(dict.fromkeys(table["rung"]))
    diffs = method_differences(summary, reference)
    methods = [m for m in dict.fromkeys(summary["method"]) if m != reference]
    n = len(metrics)
    ncol = min(4, max(n, 1))
    nrow = max(1, math.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.7 * nrow), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    effect = encoding_effect(table)
    for ax, metric in zip(axes.flat, metrics):
        sub = table[table["metric"] == metric].set_index("rung").reindex(rungs)
        m = sub["abs_delta"].to_numpy(float)
        err = np.vstack([m - sub["abs_low"].to_numpy(float), sub["abs_high"].to_numpy(float) - m])
        x = np.arange(len(rungs))
        ax.bar(x, m, color="0.75", yerr=np.nan_to_num(np.clip(err, 0, None)), capsize=3, label="re-encoding |Δ|")
        ax.axhline(effect[metric][0], color="0.4", lw=0.8, ls="--")
        xm = len(rungs) + 0.5
        for i, method in enumerate(methods):
            d = diffs.get((method, metric))
            if d is not None:
                ax.plot(xm + 0.35 * i, d, "o", color=colours[i % len(colours)], label=f"|{method} − {reference}|")
        ax.set_xticks([*x, xm + 0.35 * (len(methods) - 1) / 2], [*rungs, "methods"], rotation=35, ha="right",
                      fontsize=8)
        ax.set_title(TABLE_COLUMNS[metric].label, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False)
    fig.suptitle("How far each column moves under re-encoding (bars, mean |Δ| over videos, 95% CI) "
                 "vs the methods' differences (points); dashed: the encoding effect", fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
