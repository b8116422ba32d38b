"""``msi compare NAME=DIR ...``: one table for several methods (StableFace Table III's objective columns)."""
from __future__ import annotations

import os

import click

from msi.cli import options as opt
from msi.cli import outputs
from msi.errors import EXIT_FAILED, EXIT_OK, Interrupted, UsageError
from msi.metrics.networks import WEIGHTS
from msi.metrics.registry import TABLE_COLUMNS

FORMATS = ("md", "csv", "json", "latex")
#: What each need of a column asks of the user: a network's weights are its WEIGHTS row's option.
_NEED_FLAG = {"truth": "--truth", "weights": "--syncnet-weights", "audio": "an audio track",
              **{kind: row.option for kind, row in WEIGHTS.items()}}
#: What a weights option's help says besides its checkpoint and the other needs of its columns.
_OPTION_NOTES = {"s3fd": "implies --lse-faces s3fd"}


def columns_help() -> str:
    """One line per registered column: its name (as in CSV/JSON and --paper), help and needs."""
    width = max(map(len, TABLE_COLUMNS))
    lines = ["\b", "columns (name: what; needs):"]
    for c in TABLE_COLUMNS.values():
        needs = f" [{', '.join(_NEED_FLAG[n] for n in c.needs)}]" if c.needs else ""
        lines.append(f"  {c.name:<{width}}  {c.help}{needs}")
    return "\n".join(lines)


EPILOG = columns_help() + """

\b
Videos pair up by file name (path relative to each folder, without the extension): across methods
for the paired Wilcoxon test against --reference, and with --truth for SSIM, PSNR and NLMD.
Each cell: mean [95% CI] (n = videos used) p = Wilcoxon signed-rank p vs the reference.
LSE-C/LSE-D need --syncnet-weights (syncnet_python's syncnet_v2.model; nothing is downloaded).
FID and FVD (one value per method against --truth, else against --reference, with a bootstrap
95% CI over videos) and CSIM need the weights files given with their options; see
docs/quality-networks.md for the files and the exact protocol.
LPIPS needs --lpips-weights (torchvision's AlexNet or VGG16 file; the linear layers are the
installed lpips package's, or --lpips-linear) and --truth. WER needs --lipnet-weights
(LipNet-PyTorch's checkpoint) and a transcript per video: --transcripts CSV (name,transcript) or
folder (NAME.txt / NAME.align), else a .txt/.align file beside the video or its truth.
--lse-faces s3fd --s3fd-weights sfd_face.pth scores LSE on syncnet_python's own S3FD tracks and
crops (tracks of more than 4 s). VBench's motion smoothness and dynamic degree need --amt-weights
(amt-s.pth) and --raft-weights (raft-things.pth); FVMD (one value per method) needs --pips-weights
(pips2_weights.pth). DeSync needs --synchformer-weights (synchformer_state_dict.pth, the
24-01-04T16-39-21 checkpoint) and 3-10 s clips with audio. M-LMD/F-LMD/AKD (68-point markup, pixels) need --truth only.
--sensitivity re-encodes every video along a ladder (H.264 CRF 18/28/35, half size, 25 fps) and
shows how far each column moves; cells whose difference to the reference is within that
column's encoding effect are marked ≈ (docs/compare.md).
"Lip-audio r" is a weight-free proxy (best-shift correlation of mouth opening and audio
loudness), not Sync-C. Offsets use syncnet_python's sign: negative = the audio lags the video.

\b
exit codes: 0 every video scored, 1 some videos failed (error rows, the rest is scored),
2 bad command line, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM (the finished videos' rows
are in --out either way).

\b
examples:
  msi compare real=data/real nvp=out/nvp ours=out/ours --truth data/real
  msi compare real=gt wav2lip=w2l --syncnet-weights syncnet_v2.model --format latex
  msi compare a=runs/a b=runs/b --plot methods.png --out videos.csv --workers 2"""


def _weights_help(kind: str) -> str:
    """A weights option's help: the official checkpoint, what it is for, what else its columns need."""
    row = WEIGHTS[kind]
    others = sorted({_NEED_FLAG[n] for c in TABLE_COLUMNS.values() if kind in c.needs for n in c.needs if n != kind})
    notes = ([f"needs {', '.join(others)}"] if others else []) + ([_OPTION_NOTES[kind]] if kind in _OPTION_NOTES else [])
    return f"{row.checkpoint} for {row.what}" + (f" ({'; '.join(notes)})" if notes else "")


def _weights_param(kind: str) -> str:
    """The name click gives the value of ``kind``'s option (``--i3d-weights``: ``i3d_weights``)."""
    return WEIGHTS[kind].option.lstrip("-").replace("-", "_")


def weights_options(f):
    """One ``--NAME-weights FILE`` option per row of ``msi.metrics.networks.WEIGHTS``, in its order."""
    for kind in reversed(WEIGHTS):
        f = click.option(WEIGHTS[kind].option, _weights_param(kind), default=None, metavar="FILE",
                         help=_weights_help(kind))(f)
    return f


def device_options(f):
    """``--device`` and ``--batch-size``: where the feature networks run, and how many frames each
    forward takes (``msi compare`` and ``msi report``)."""
    f = click.option("--batch-size", type=int, default=None, metavar="N",
                     help="frames (FID), clips (FVD), frame pairs (LPIPS), faces (CSIM) or windows (LSE) per "
                          "network forward (default: each network's own, 16/8/8/32/20); on a GPU the videos of "
                          "one utterance share batches")(f)
    return click.option("--device", default="auto", metavar="auto|cpu|cuda|cuda:N|mps", show_default=True,
                        help="where the feature networks run (FID, FVD, LPIPS, CSIM, LSE, WER); auto: CUDA "
                             "when PyTorch sees one, else the CPU")(f)


def check_device(device: str, batch_size: int | None, networks: bool = True) -> str:
    """The device, resolved before any video is read (a missing one: one line, exit 2);
    ``networks``: whether any network will run (else ``auto`` never imports torch)."""
    from msi.comparison.device import resolve_device

    if batch_size is not None and batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    return resolve_device(device, networks)


@click.command("compare", epilog=EPILOG)
@click.argument("methods", nargs=-1, required=True, metavar="NAME=DIR...")
@click.option("--reference", default=None, metavar="NAME",
              help="method the others are tested against (paired Wilcoxon; default: the first)")
@click.option("--truth", default=None, metavar="DIR", help="ground-truth videos, paired by file name (SSIM, PSNR, NLMD)")
@click.option("--syncnet-weights", default=None, metavar="FILE",
              help="SyncNet weights in syncnet_python's format (syncnet_v2.model) for LSE-C and LSE-D")
@click.option("--lse-faces", type=click.Choice(["mesh", "s3fd"]), default="mesh",
              help="LSE's face crops: around our face mesh (default), or syncnet_python's own (S3FD detection, "
                   "tracks of more than 4 s, its smoothing and crop; needs --s3fd-weights)")
@weights_options
@click.option("--fid-reference", default=None, metavar="STATS.npz",
              help="FID against pytorch-fid's statistics file (mu, sigma; as pytorch-fid --save-stats writes it) "
                   "instead of the truth's or the reference method's frames")
@click.option("--fid-stats-out", default=None, metavar="DIR",
              help="write each method's (and the truth's) FID statistics in pytorch-fid's .npz format to DIR")
@click.option("--lpips-linear", default=None, metavar="FILE",
              help="LPIPS v0.1 linear layers (default: the installed lpips package's weights/v0.1/alex|vgg.pth)")
@click.option("--lpips-region", type=click.Choice(["frame", "face"]), default="frame",
              help="LPIPS on the full frame (default) or inside the truth's face box")
@click.option("--transcripts", default=None, metavar="CSV|DIR",
              help="WER's transcripts: a CSV with columns name,transcript or a folder of NAME.txt/NAME.align "
                   "(default: a .txt/.align file beside each video or its truth)")
@click.option("--sensitivity", is_flag=True,
              help="also re-encode every video along the ladder and show how far each column moves; "
                   "cells within that movement are marked ≈")
@click.option("--ladder", default=None, metavar="NAMES",
              help="rungs for --sensitivity, comma-separated (default all: crf18,crf28,crf35,half,fps25)")
@click.option("--sensitivity-plot", default=None, metavar="FILE",
              help="with --sensitivity: each column's movement beside the method differences (.png/.pdf/.svg)")
@click.option("--sensitivity-out", default=None, metavar="FILE",
              help="with --sensitivity: the tidy sensitivity rows (.csv or .json)")
@click.option("--bootstrap", "resamples", type=int, default=None, metavar="N",
              help="bootstrap resamples of the videos for the FID/FVD intervals (default 200; 0: none)")
@click.option("--paper", default=None, metavar="FILE",
              help="published numbers to print beside ours: CSV with a 'method' column and metric columns "
                   "(named as in the column list below)")
@click.option("--plot", default=None, metavar="FILE", help="draw every method's mean and 95% CI per metric (.png/.pdf/.svg)")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", help="table format on stdout (default md)")
@opt.out_option("also write the per-video rows to FILE (.csv, .json or .parquet)", short=False)
@click.option("--nlmd", "nlmd_normalise", type=click.Choice(["mouth_width", "none"]), default="mouth_width",
              help="NLMD normalisation: by the truth's mouth width (default), or none (mouth LMD in pixels)")
@click.option("--lmd-size", default=None, metavar="N|WxH",
              help="M-LMD/F-LMD in pixels of an N x N (or W x H) frame (default: the truth's size)")
@click.option("--cpbd-step", type=int, default=1, metavar="N", help="CPBD on every N-th frame (default 1: all)")
@click.option("--fid-step", type=int, default=1, metavar="N", help="FID on every N-th frame of each video (default 1: all)")
@click.option("-q", "--quiet", is_flag=True, help="no warnings on stderr")
@opt.resample_option("resample the landmark trajectories to this frame rate before MSI (e.g. 25)")
@opt.tracking_options()
@opt.workers_option("score N videos in parallel")
@opt.cache_options(cache_dir=True)
@device_options
@opt.cluster_option()
def command(methods, reference, truth, syncnet_weights, lse_faces, fid_reference, fid_stats_out,
            lpips_linear, lpips_region, transcripts, sensitivity, ladder,
            sensitivity_plot, sensitivity_out, resamples,
            paper, plot, fmt, out, nlmd_normalise, lmd_size, cpbd_step, fid_step, quiet, resample_fps, max_side, max_faces,
            no_face_check, workers, no_cache, cache_dir, device, batch_size, cluster, **files) -> int:
    """Compare methods: MSI-Lip/Jaw, LSE-C/D, a lip-audio proxy, CPBD, and SSIM/PSNR/NLMD
    against ground truth, per method with 95% CIs over videos."""
    from pathlib import Path

    weights = {kind: files[_weights_param(kind)] for kind in WEIGHTS}  # by need: the file given, or None

    opt.check_resample(resample_fps)
    opt.check_suffix(out, "--out", (".csv", ".json", ".parquet"))
    opt.check_suffix(plot, "--plot", (".png", ".pdf", ".svg"))
    if cpbd_step < 1:
        raise UsageError("--cpbd-step must be at least 1")
    if fid_step < 1:
        raise UsageError("--fid-step must be at least 1")
    if lmd_size is not None:
        from msi.metrics.lmd68 import parse_size

        try:
            lmd_size = parse_size(lmd_size)
        except ValueError as exc:
            raise UsageError(f"--lmd-size {exc}") from None
    if resamples is not None and resamples < 0:
        raise UsageError("--bootstrap must be 0 or more")
    if weights["s3fd"]:  # the detector's file means its crops; a wrong file is named first (exit 1)
        lse_faces = "s3fd"
        if not syncnet_weights:
            from msi.metrics.networks import network

            network("s3fd", weights["s3fd"])
    if lse_faces == "s3fd" and not (weights["s3fd"] and syncnet_weights):
        raise UsageError("--lse-faces s3fd needs --s3fd-weights (sfd_face.pth) and --syncnet-weights")
    if lpips_linear and not weights["lpips"]:
        raise UsageError("--lpips-linear needs --lpips-weights (the trunk)")
    opt.check_weights(syncnet_weights=syncnet_weights, **files, lpips_linear=lpips_linear)  # the trunk before its linear layers
    for flag, given in (("--fid-reference", fid_reference), ("--fid-stats-out", fid_stats_out)):
        if given is not None and not weights["inception"]:
            raise UsageError(f"{flag} needs --inception-weights (FID's network)")
    fid_stats = None
    if fid_reference is not None:
        from msi.metrics.fid import load_stats
        from msi.networks.inception import FEATURES

        try:
            fid_stats = load_stats(fid_reference, dims=FEATURES)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--fid-reference {fid_reference}: {exc}") from None
    for flag, given in (("--ladder", ladder), ("--sensitivity-plot", sensitivity_plot),
                        ("--sensitivity-out", sensitivity_out)):
        if given is not None and not sensitivity:
            raise UsageError(f"{flag} needs --sensitivity")
    opt.check_suffix(sensitivity_plot, "--sensitivity-plot", (".png", ".pdf", ".svg"))
    opt.check_suffix(sensitivity_out, "--sensitivity-out", (".csv", ".json"))
    outputs.check_file(sensitivity_plot, "--sensitivity-plot")
    outputs.check_file(sensitivity_out, "--sensitivity-out")
    if sensitivity:
        from msi.comparison.sensitivity import parse_ladder

        rungs = parse_ladder(ladder)
    workers = opt.check_workers(workers)
    device = check_device(device, batch_size, any((syncnet_weights, *weights.values())))
    opt.check_cluster(cluster, workers)
    outputs.check_file(out, "--out")  # before any video is tracked
    outputs.check_file(plot, "--plot")
    from msi.comparison.compare import iter_compare, parse_methods, rows_frame, summarize
    from msi.metrics.column import CompareSettings
    from msi.report.tables import format_table, read_paper_table

    dirs = parse_methods(methods)
    reference = reference or next(iter(dirs))
    if reference not in dirs:
        raise UsageError(f"--reference {reference}: not one of the methods ({', '.join(dirs)})")
    from msi.io.remote import is_folder, is_url

    if sensitivity and any(is_url(d) for d in dirs.values()):
        raise UsageError("--sensitivity re-encodes videos: it needs local folders, not a store's URL")

    if truth is not None and not (is_folder(truth) if is_url(truth) else Path(truth).is_dir()):
        raise UsageError(f"--truth {truth}: not a folder")
    paper_table = read_paper_table(paper) if paper else None
    from msi.comparison.compare import list_videos

    videos = {n: list_videos(d) for n, d in dirs.items()}
    empty = [n for n, v in videos.items() if not v]
    if empty:
        raise UsageError(f"no videos in the folder of {', '.join(empty)}")
    if transcripts is not None:
        import os

        from msi.metrics.wer import unmatched_transcripts

        transcripts = os.path.abspath(transcripts)  # workers resolve it from their own folder
        stray = unmatched_transcripts(transcripts, [k for v in videos.values() for k in v])  # UsageError if unreadable
        if stray and not quiet:
            shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
            click.echo(f"msi: warning: --transcripts: {len(stray)} transcript(s) match no video: {shown}", err=True)

    from msi.settings import Settings

    settings = Settings(resample_fps=resample_fps, **opt.tracking_settings(max_side, max_faces, no_face_check))
    truth_dir = (truth if is_url(truth) else Path(truth)) if truth else None
    cache = opt.cache_setting(no_cache, cache_dir)
    csettings = CompareSettings(cpbd_step=cpbd_step, nlmd_normalise=nlmd_normalise, fid_step=fid_step,
                                lpips_region=lpips_region, transcripts=transcripts, lmd_size=lmd_size,
                                lse_faces=lse_faces)
    nets = {**weights, "lpips": (weights["lpips"], lpips_linear) if weights["lpips"] else None}

    def run(folders):  # the ladder of --sensitivity reruns the same comparison on re-encoded copies
        from msi.comparison.compare import compare_methods

        return compare_methods(folders, truth_dir, syncnet_weights, settings, workers, cache, csettings,
                               weights=nets, reference=reference, resamples=resamples, device=device,
                               batch_size=batch_size, fid_reference=fid_stats, cluster=cluster)

    from msi.comparison.provenance import provenance, run_provenance
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()  # MediaPipe's C++ log lines, as msi score keeps them away (they split the one line of a stop)
    made_by = provenance(TABLE_COLUMNS.values(), settings, csettings, device, nets, syncnet_weights, fid_reference)
    stream = iter_compare(dirs, truth_dir, syncnet_weights, settings, workers, cache, csettings, weights=nets,
                          device=device, batch_size=batch_size, cluster=cluster)
    done: list[dict] = []
    import sys

    from tqdm import tqdm

    # per video, with an ETA, as msi score shows it; only on a terminal (in logs it would be noise)
    bar = tqdm(total=sum(map(len, videos.values())), unit="video", desc="msi compare", file=sys.stderr,
               disable=True if quiet else None, dynamic_ncols=True)
    import time

    written_at = time.monotonic()
    try:
        for row in stream:
            done.append(row)
            if row["method"] is not None:
                bar.update(1)
                if out and time.monotonic() - written_at > 1.0:  # finished rows on disk as they come:
                    _keep(done, dirs, truth_dir, out, cache, run_provenance(made_by), bar.total)  # even SIGKILL keeps them
                    written_at = time.monotonic()
    except KeyboardInterrupt:
        bar.close()  # Ctrl-C or SIGTERM: the finished videos' rows go to --out
        raise Interrupted(_keep(done, dirs, truth_dir, out, cache, run_provenance(made_by))) from None
    finally:
        bar.close()
        stream.close()  # terminates the worker processes when stopped early
    if fid_stats_out:
        from msi.comparison.compare import write_fid_stats

        try:
            for p in write_fid_stats(done, fid_stats_out):
                if not quiet:
                    click.echo(f"msi compare: FID statistics (pytorch-fid's format): {p}", err=True)
        except OSError as exc:
            raise outputs.write_failed(fid_stats_out, exc) from None
    per_video = rows_frame(done, dirs, truth_dir, reference, resamples, fid_stats)
    per_video["provenance"] = run_provenance(made_by)
    for _, r in per_video.iterrows():
        if isinstance(r["error"], str):
            click.echo(f"msi: error: {r['path']}: {r['error']}", err=True)
        elif not quiet:
            for w in r["warnings"]:
                click.echo(f"msi: warning: {r['path']}: {w}", err=True)
    if not quiet:  # the set-level metrics' (FID, FVD): a reference video's problem, a cell left empty
        for w in per_video.attrs.get("set_warnings", []):
            click.echo(f"msi: warning: {w}", err=True)
        for r in per_video.attrs.get("set_metrics", []):
            if r["warning"]:
                click.echo(f"msi: warning: {r['method']}: {r['warning']}", err=True)
    summary = summarize(per_video, reference)
    marks, sens = None, None
    if sensitivity:
        sens, marks, summary = _sensitivity(dirs, per_video, summary, run, rungs, reference, workers,
                                            opt.cache_setting(no_cache, cache_dir), quiet)
    click.echo(format_table(summary, fmt, paper_table, per_video, marks, made_by), nl=False)
    if sens is not None and fmt == "md":
        from msi.comparison.sensitivity import LEGEND, format_sensitivity

        click.echo(f"\n{LEGEND}\n\nEncoding sensitivity (mean change over videos, 95% CI):\n")
        click.echo(format_sensitivity(sens, summary, reference), nl=False)
    hint = (outputs.NO_CACHE_HINT if no_cache else outputs.CACHED_HINT)
    for path, flag, write in ((out, "--out", lambda: _write_rows(per_video, out)),
                              (plot, "--plot", lambda: _plot(summary, plot)),
                              (sensitivity_out, "--sensitivity-out", lambda: _write_sensitivity(sens, sensitivity_out)),
                              (sensitivity_plot, "--sensitivity-plot",
                               lambda: _plot_sensitivity(sens, summary, reference, sensitivity_plot))):
        if path:
            try:
                write()
            except (OSError, ValueError, ImportError) as exc:  # disk full, no parquet engine, ...
                raise outputs.write_failed(path, exc, hint.format(flag=flag)) from None
    return EXIT_FAILED if per_video["error"].notna().any() else EXIT_OK


def _sensitivity(dirs, per_video, summary, run, rungs, reference, workers, cache, quiet):
    """The ladder's pass: (sensitivity rows, cell marks, summary + ``within_encoding_effect``)."""
    from msi.comparison.sensitivity import MARK, flags, run_ladder, sensitivity_table

    by_rung, notes = run_ladder(dirs, per_video, run, rungs, workers, cache, progress=not quiet)
    for rung, df in by_rung.items():
        for _, r in df.iterrows():
            if isinstance(r["error"], str):
                notes.append(f"{rung}: {r['path']}: {r['error']}")
    if not quiet:
        for n in notes:
            click.echo(f"msi: warning: sensitivity: {n}", err=True)
    sens = sensitivity_table(per_video, by_rung, rungs)
    flagged = flags(summary, sens, reference)
    marks = {k: MARK for k, v in flagged.items() if v}
    summary = summary.assign(within_encoding_effect=[flagged.get((m, c)) for m, c in zip(summary["method"],
                                                                                         summary["metric"])])
    return sens, marks, summary


def _write_sensitivity(sens, out: str) -> None:
    if out.endswith(".csv"):
        sens.to_csv(out, index=False)
    else:
        sens.to_json(out, orient="records", indent=1)


def _plot_sensitivity(sens, summary, reference, path: str) -> None:
    from msi.comparison.sensitivity import plot_sensitivity

    plot_sensitivity(sens, summary, reference, path)


def _keep(done: list[dict], dirs: dict, truth_dir, out: str | None, cache: bool | str, made_by: str = "",
          total: int | None = None) -> str:
    """Write the rows of the videos that finished before an interrupt to ``out``; the one line
    saying so (:func:`msi.cli.outputs.kept_line`)."""
    from msi.comparison.compare import list_videos, rows_frame

    # truth rows carry only features; the set metrics (FID, FVD) need every video: not computed
    rows = [{k: v for k, v in r.items() if k != "features"} for r in done if r["method"] is not None]
    if total is None:
        total = sum(len(list_videos(d)) for d in dirs.values())
    failed = None
    if out and rows:
        try:
            _write_rows(rows_frame(rows, dirs, truth_dir).assign(provenance=made_by), out)
        except (OSError, ValueError, ImportError) as exc:
            failed = outputs.write_failed(out, exc)
    return outputs.kept_line(len(rows), total, "video", [out], failed, cache)


def _plot(summary, path: str) -> None:
    from msi.plots.compare import plot_summary

    plot_summary(summary, path)


def _write_rows(df, out: str) -> None:
    from pathlib import Path

    p = Path(out)
    tmp = p.with_name(p.name + ".tmp")  # renamed when complete: never half a file under the name
    rows = df.assign(warnings=df["warnings"].map(" | ".join))
    try:
        if p.suffix == ".csv":
            rows.to_csv(tmp, index=False)
        elif p.suffix == ".json":
            rows.to_json(tmp, orient="records", indent=1)
        else:
            rows.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
