"""``msi report NAME=DIR ... --out report/``: a self-contained HTML report (``index.html`` plus
assets) that plays every method's video of each utterance in sync beside its per-window MSI,
mouth opening and vertical slice; or the same from the rows ``msi compare --out`` wrote."""
from __future__ import annotations

import click

from msi.cli import options as opt
from msi.cli.compare import check_device, device_options
from msi.errors import EXIT_FAILED, EXIT_OK, Interrupted, UsageError

EPILOG = """\b
The folder is written atomically (built beside --out, renamed into place when complete); an
earlier report at --out is replaced, any other non-empty folder is refused. Open index.html in
a browser (file:// works, nothing is loaded from the network). Videos Chromium plays as they are
(H.264/AAC MP4, VP8/VP9 WebM) and no larger than --preview-size are linked, not copied; others
get an H.264/AAC preview. Landmarks come from the cache msi compare fills, so a report after a
compare tracks nothing again.

\b
exit codes: 0 every video shown, 1 some videos failed (error cells, the rest is shown),
2 bad command line, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM (no report written either
way; the landmarks tracked so far stay in the cache).

\b
examples:
  msi report real=data/real ours=out/ours --truth data/real --out report/
  msi compare a=runs/a b=runs/b --out rows.csv && msi report --rows rows.csv --out report/
  msi report real=gt w2l=wav2lip --portable --workers 2 --out report/"""


@click.command("report", epilog=EPILOG)
@click.argument("methods", nargs=-1, metavar="[NAME=DIR...]")
@click.option("--rows", default=None, metavar="FILE",
              help="per-video rows written by msi compare --out (.csv/.json/.parquet) instead of scoring NAME=DIR")
@click.option("--out", "out", required=True, metavar="DIR", help="report folder to write (index.html + assets)")
@click.option("--truth", default=None, metavar="DIR", help="ground-truth videos, paired by file name")
@click.option("--reference", default=None, metavar="NAME", help="method the others are tested against (default: the first)")
@click.option("--syncnet-weights", default=None, metavar="FILE", help="SyncNet weights for LSE-C/LSE-D (as msi compare)")
@click.option("--preview-size", type=int, default=None, metavar="PX",
              help="long side of transcoded previews, and the largest video linked as it is (default 256)")
@click.option("--portable", is_flag=True, help="transcode every video into the report (a folder that can be moved)")
@click.option("--title", default="msi report", help="title of the pages")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar")
@opt.resample_option("resample the landmark trajectories to this frame rate before MSI (e.g. 25)")
@opt.tracking_options()
@opt.workers_option("work on N videos in parallel")
@opt.cache_options(cache_dir=True)
@device_options
@opt.cluster_option()
def command(methods, rows, out, truth, reference, syncnet_weights, preview_size, portable, title, quiet,
            resample_fps, max_side, max_faces, no_face_check, workers, no_cache, cache_dir, device, batch_size,
            cluster) -> int:
    """Self-contained HTML report: every method's videos in sync, per-window MSI, mouth opening
    against the truth, worst windows one click away, vertical slices; the compare table on top."""
    import sys
    from pathlib import Path

    from msi.report.build import check_out
    from msi.report.previews import PREVIEW_SIDE

    if bool(methods) == bool(rows):
        raise UsageError("give either NAME=DIR... (scored like msi compare) or --rows FILE, not both")
    opt.check_resample(resample_fps)
    workers = opt.check_workers(workers)
    device = check_device(device, batch_size, syncnet_weights is not None)
    opt.check_cluster(cluster, workers)
    preview_size = PREVIEW_SIDE if preview_size is None else preview_size
    if preview_size < 16:
        raise UsageError(f"--preview-size must be at least 16 px, got {preview_size}")
    check_out(out)  # before any video is tracked
    opt.check_weights(syncnet_weights=syncnet_weights)
    from msi.io.remote import is_folder, is_url  # folder URLs, as msi compare takes them

    if truth is not None and not (is_folder(truth) if is_url(truth) else Path(truth).is_dir()):
        raise UsageError(f"--truth {truth}: not a folder")
    truth_dir = (truth if is_url(truth) else Path(truth)) if truth else None
    from msi.comparison.compare import list_videos
    from msi.settings import Settings

    settings = Settings(resample_fps=resample_fps, **opt.tracking_settings(max_side, max_faces, no_face_check))
    cache = opt.cache_setting(no_cache, cache_dir)
    truths = {n: str(p) for n, p in list_videos(truth_dir).items()} if truth_dir else None
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()  # MediaPipe's C++ log lines, as msi score keeps them away
    if rows:
        from msi.report.build import read_rows

        per_video = read_rows(rows)
        if "provenance" in per_video:  # rows of other weights or options never share a table
            from msi.comparison.provenance import same_provenance

            if (mixed := same_provenance(per_video["provenance"])) is not None:
                raise UsageError(f"--rows {rows}: {mixed}")
        names = list(dict.fromkeys(per_video["method"]))
    else:
        from msi.comparison.compare import parse_methods
        from msi.report.build import score_methods

        dirs = parse_methods(methods)
        names = list(dirs)
        empty = [n for n, d in dirs.items() if not list_videos(d)]
        if empty:
            raise UsageError(f"no videos in the folder of {', '.join(empty)}")
        if reference is not None and reference not in dirs:
            raise UsageError(f"--reference {reference}: not one of the methods ({', '.join(dirs)})")
        if quiet:
            print(f"msi report: scoring {sum(len(list_videos(d)) for d in dirs.values())} videos "
                  "(msi compare's columns) ...", file=sys.stderr)
        try:
            per_video = score_methods(dirs, truth_dir, syncnet_weights, settings, workers, cache, progress=not quiet,
                                      device=device, batch_size=batch_size, cluster=cluster)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the report is written whole or not at all
            raise Interrupted(_kept(out, cache)) from None
    if reference is not None and reference not in names:
        raise UsageError(f"--reference {reference}: not one of the methods ({', '.join(map(str, names))})")
    from msi.report.build import build_report

    try:
        written = build_report(per_video, out, settings=settings, cache=cache, workers=workers, reference=reference,
                               truths=truths, preview_side=preview_size, portable=portable, title=title,
                               progress=not quiet)
    except KeyboardInterrupt:
        raise Interrupted(_kept(out, cache)) from None
    for e in written.errors:  # error cells of the report; the rest is in it
        click.echo(f"msi: error: {e}", err=True)
    click.echo(f"msi report: wrote {written.path / 'index.html'}", err=True)
    return EXIT_FAILED if written.errors else EXIT_OK


def _kept(out: str, cache: bool | str) -> str:
    """The interrupted report's one line: nothing at ``out`` changed; the tracked landmarks are kept."""
    where = "the cache" if cache is True else f"the cache at {cache}"
    return (f"no report written to {out} (the report is written whole or not at all)"
            + (f"; the landmarks tracked so far are in {where}: a rerun tracks only the rest" if cache else ""))
