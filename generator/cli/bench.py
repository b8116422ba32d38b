"""``stableface bench``: Table V, Fig. 9 and a ground-truth Table IV, with seeds and 95% CIs.

    stableface bench table5 --out DIR [--seeds 3] [--config bench|bench64|tiny|paper|quick] [--quick] [--report-only]
                                      [--mark audio|frame|both|none | --no-mark]
    stableface bench fig9   --out DIR [--seeds 3] [--config ...]
    stableface bench table4 --out DIR [--clips 24] [--seconds 8] [--max-jitter 2]

table5 and fig9 can share one DIR: fig9's adaptive smoothing is table5's full model, so its runs
are reused. Every finished run stays in DIR (``DIR/results/*.json``); rerunning the same command continues
where a killed one stopped, on this machine or another (commit or copy DIR).

The generated test videos carry the audio mark in their speech (``--mark audio``, the default): MSI,
SSIM, PSNR and LPIPS are read from the frames, so the bench keeps its numbers, where the frame
watermark lowers the renders' MSI-Lip by 16 % and MSI-Jaw by 28 % (``--mark frame`` measures it;
``both`` writes the two). No visible label: it would cover part of the frame the columns read. With
any mark, the same frames and speech are also written unmarked and scored: ``NAME_mark_effect.csv``
and a section of ``NAME.md`` say what the mark moves (nothing, for the audio mark: the video
stream is the same). ``--no-mark`` (``--mark none``) writes them unmarked, as the committed tables
were made; a folder holds runs of one mark setting only.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from generator.errors import GeneratorError
from msi.errors import Interrupted
from msi.cli.options import weights_callback
from msi.cli.outputs import check_folder

CONFIGS = ("quick", "bench", "bench64", "tiny", "paper")


def _common(f):
    from generator.reproduction.marks import DEFAULT_MARK, MARKS

    f = click.option("--no-mark", is_flag=True,
                     help="the same as --mark none: generated test videos without any invisible mark (the "
                          "committed tables were made so)")(f)
    f = click.option("--mark", "mark", type=click.Choice(tuple(MARKS)), default=None,
                     help=f"the invisible marks the generated test videos carry [default: {DEFAULT_MARK}]: audio (in "
                          "the speech; the frame columns cannot see it), frame (the frame watermark: it lowers the "
                          "renders' MSI, and the bench measures by how much), both, none; with any mark the same "
                          "frames and speech are also scored unmarked (NAME_mark_effect.csv)")(f)
    f = click.option("--lpips-weights", default=None, metavar="FILE", callback=weights_callback,
                     help="LPIPS trunk (torchvision's AlexNet or VGG16 state dict): adds the LPIPS column to the "
                          "mark's effect")(f)
    f = click.option("--trust-checkpoint", is_flag=True,
                     help="resume runs whose checkpoint.pt holds Python objects beyond tensors (an old or "
                          "foreign format): only for a folder you trust, such a file can run code when loaded")(f)
    f = click.option("--syncnet-weights", default=None, metavar="FILE", callback=weights_callback,
                     help="SyncNet state dict (syncnet_v2.model): adds LSE-C/LSE-D columns")(f)
    f = click.option("--paper", "paper_csv", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="CSV of published numbers to print beside ours (columns variant, testset and metric "
                          "names as in msi compare); default: the paper's Table V, shipped with this project")(f)
    f = click.option("--report-only", is_flag=True,
                     help="write the tables from the runs already finished in --out; train nothing")(f)
    f = click.option("--quick", is_flag=True, help="minutes-long smoke run (same as --config quick --seeds 2)")(f)
    f = click.option("--config", "config_name", type=click.Choice(CONFIGS), default="bench", show_default=True,
                     help="size of each run: bench (the README recipe at 128 px, fewer epochs), bench64 (the earlier 64 px bench), tiny, paper, quick")(f)
    f = click.option("--seeds", type=click.IntRange(1, 100), default=3, show_default=True, help="seeds per variant")(f)
    f = click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
                     help="folder of finished runs (resumed if it exists)")(f)
    return f


@click.group("bench", help="Table V, Fig. 9 and a ground-truth Table IV, regenerated with seeds and 95% CIs. "
             "Every finished run stays in --out; rerunning the same command continues.")
def command() -> None:
    pass


def _grid(name: str, out: Path, variants: dict, reference: str, seeds: int, config_name: str, quick: bool,
          syncnet_weights: str | None, paper_csv: str | None, title: str, trust_checkpoint: bool = False,
          report_only: bool = False, mark: str | None = None, no_mark: bool = False,
          lpips_weights: str | None = None) -> int:
    """Run (or resume) one grid and write ``NAME.md``, ``NAME_runs.csv``, ``NAME_summary.csv``,
    ``NAME_paired.csv`` and ``NAME_mark_effect.csv`` into ``out``; table5 and fig9 may share one
    folder (and its full runs)."""
    import dataclasses

    from generator.reproduction.ablations import BENCH_CONFIGS, run_grid
    from generator.reproduction.marks import DEFAULT_MARK, MARKS, marks_phrase
    from generator.reproduction.tables import mark_effect, report
    from generator.reproduction.evaluate import evaluate_video

    if quick:
        config_name, seeds = "quick", min(seeds, 2)
    if no_mark and mark not in (None, "none"):
        raise GeneratorError(f"--no-mark and --mark {mark} contradict each other: give one")
    cfg = dataclasses.replace(BENCH_CONFIGS[config_name], mark="none" if no_mark else mark or DEFAULT_MARK)
    check_folder(out, "--out")  # before any run

    def evaluate(video: Path, truth: Path) -> dict:
        return evaluate_video(video, truth, syncnet_weights=syncnet_weights, lpips_weights=lpips_weights)

    from generator.checkpoint import trusting

    try:
        with trusting(trust_checkpoint):  # the runs in --out are resumed from their checkpoints
            runs = run_grid(out, variants, seeds, cfg, evaluate, train=not report_only)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say what the rerun will not redo
        raise Interrupted(_runs_kept(out, variants, seeds, exc)) from None
    from generator.reproduction.ablations import clip_mean
    from generator.reproduction.published import paper_table

    truth = clip_mean([evaluate_video(p, None, syncnet_weights=syncnet_weights)
                       for p in sorted((out / "truth").glob("truth_*.mp4"))])
    paper = _read_paper(paper_csv) if paper_csv else (paper_table("table5_ablation") if name == "table5" else None)
    md, summary, diffs = report(runs, list(variants), reference, truth=truth, paper=paper, mark=cfg.mark)
    header = (f"# {title}\n\nconfig `{cfg.name}` ({cfg.model} model, {cfg.clip_seconds:g} s clip at {cfg.size} px, "
              f"test split scored as {cfg.segments} clip(s)), {seeds} seed(s); cells: mean over clips, then mean ± "
              "half-width of the 95% t-interval over seeds. Generated videos "
              + (f"carry {marks_phrase(cfg.mark)} (`--mark {cfg.mark}`; no visible label; its effect: the last "
                 "section).\n\n" if MARKS[cfg.mark] else "carry no invisible mark (`--no-mark`).\n\n"))
    if len(runs) < len(variants) * seeds:  # --report-only before the grid is complete
        header += (f"**{len(runs)} of {len(variants) * seeds} runs finished so far**: a variant's `runs` column says how "
                   "many seeds its cells hold; rerunning the command continues the grid.\n\n")
    (out / f"{name}.md").write_text(header + md + "\n")
    runs.to_csv(out / f"{name}_runs.csv", index=False)
    summary.to_csv(out / f"{name}_summary.csv", index=False)
    diffs.to_csv(out / f"{name}_paired.csv", index=False)
    written = [f"{name}_runs.csv", f"{name}_summary.csv", f"{name}_paired.csv"]
    if MARKS[cfg.mark]:
        mark_effect(runs).to_csv(out / f"{name}_mark_effect.csv", index=False)
        written.append(f"{name}_mark_effect.csv")
    click.echo(header + md)
    click.echo(f"\nwrote {out / name}.md, {', '.join(written)}", err=True)
    return 0


@command.command("table5", short_help="Table V: the full model, each component removed, the baseline")
@_common
def table5(out, seeds, config_name, quick, report_only, paper_csv, syncnet_weights, trust_checkpoint, mark,
           lpips_weights, no_mark) -> int:
    """Table V: full model, each component removed, and the baseline; mean ± 95% CI over seeds."""
    from generator.reproduction.ablations import TABLE5

    return _grid("table5", out, TABLE5, "full", seeds, config_name, quick, syncnet_weights, paper_csv,
                 "Table V (ablations), regenerated", trust_checkpoint, report_only, mark, no_mark, lpips_weights)


@command.command("fig9", short_help="Fig. 9: fixed, global and adaptive smoothing, with slice pictures")
@_common
def fig9(out, seeds, config_name, quick, report_only, paper_csv, syncnet_weights, trust_checkpoint, mark,
         lpips_weights, no_mark) -> int:
    """Fig. 9: fixed, global and adaptive smoothing (same starting kernel), plus slice pictures."""
    from generator.reproduction.ablations import FIG9

    code = _grid("fig9", out, FIG9, "full", seeds, config_name, quick, syncnet_weights, paper_csv,
                 "Fig. 9 (smoothing modes), regenerated", trust_checkpoint, report_only, mark, no_mark, lpips_weights)
    try:
        png = _slices(out, list(FIG9))  # full = adaptive
        click.echo(f"slices: {png}", err=True)
    except GeneratorError as exc:  # the tables are written; the picture is a companion
        click.echo(f"stableface: warning: no slice picture: {exc}", err=True)
    png = _weights_plot(out, seeds)
    if png is not None:
        click.echo(f"adaptive weights: {png}", err=True)
    return code


def _weights_plot(out: Path, seeds: int) -> Path | None:
    """``out/fig9_weights.png``: the finished adaptive runs' centre weight against the mouth's speed, one
    panel per seed whose checkpoint is here (a folder copied without checkpoints draws none)."""
    from generator.reproduction.ablations import run_dir
    from generator.reproduction.adaptation import plot_weights, weights_trace

    from generator.reproduction.runs import RunStore

    store = RunStore(out)
    runs = {f"adaptive, seed {s}": run_dir(out, "full", s) for s in range(seeds) if store.done("full", s)}
    runs = {k: r for k, r in runs.items() if (r / "checkpoint.pt").is_file()}
    if not runs:
        return None
    return plot_weights({k: weights_trace(r, out / "data", "test") for k, r in runs.items()}, out / "fig9_weights.png")


def _runs_kept(out: Path, variants: dict, seeds: int, exc: KeyboardInterrupt) -> str:
    """The one line of an interrupted grid: the runs finished in ``out`` (each one file, written
    atomically) and what the run in progress kept (its training checkpoint, if it got that far)."""
    from generator.reproduction.runs import RunStore

    store = RunStore(out)
    done = sum(store.done(v, s) for s in range(seeds) for v in variants)
    line = f"{done} of {len(variants) * seeds} runs finished, kept in {out / 'results'}"
    if str(exc):  # e.g. "training stopped at step 40 of 400, saved in .../checkpoint.pt"
        line += f"; the run in progress: {exc}"
    return line


def _read_paper(path: str):
    """A user's table of published numbers: CSV with ``variant`` and ``testset`` columns."""
    import pandas as pd

    try:
        t = pd.read_csv(path)
    except Exception as exc:  # parser errors of any kind: one line
        raise GeneratorError(f"{path}: not a readable CSV ({type(exc).__name__})") from None
    missing = {"variant", "testset"} - set(t.columns)
    if missing:
        raise GeneratorError(f"{path}: needs the columns {', '.join(sorted(missing))} (found: {', '.join(map(str, t.columns))})")
    return t


def _slices(out: Path, variants: list[str], seed: int = 0) -> Path:
    """``msi slice-plot`` of the ground truth and each variant's first re-enacted test clip (one seed),
    stacked on a common time axis (paper Fig. 7 style), written to ``out/fig9_slices.png``."""
    from generator.reproduction.ablations import run_dir
    from msi.cli import main as msi_main

    videos = [out / "truth" / "truth_0.mp4"] + [run_dir(out, v, seed) / "eval" / "own_0.mp4" for v in variants]
    args = ["slice-plot", *map(str, videos)]
    from generator.reproduction.ablations import LABELS

    for label in ["ground truth", *(LABELS.get(v, v) for v in variants)]:
        args += ["--label", label]
    png = out / "fig9_slices.png"
    if msi_main(args + ["--out", str(png)]) != 0:
        raise GeneratorError("msi slice-plot could not draw the slices (see the message above)")
    return png


@command.command("table4", short_help="Table IV with known jitter in place of human opinion scores")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--clips", type=click.IntRange(4, 10_000), default=24, show_default=True)
@click.option("--seconds", type=click.FloatRange(2, 600), default=8.0, show_default=True, help="length of each clip")
@click.option("--max-jitter", type=click.FloatRange(0, 20), default=2.0, show_default=True,
              help="jitter levels are drawn uniformly from [0, this] (MSI units)")
@click.option("--seed", type=int, default=0, show_default=True)
def table4(out, clips, seconds, max_jitter, seed) -> int:
    """Table IV with known jitter in place of MOS: Pearson/Spearman/Kendall of each metric."""
    from generator.reproduction.table4 import build_and_score, markdown, table

    check_folder(out, "--out")  # before any clip is built
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()  # MediaPipe's C++ log lines, as msi score keeps them away
    try:
        scores = build_and_score(out, clips, seconds, max_jitter, seed=seed)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the built clips and their landmarks are reused
        built = sum((out / "clips" / f"clip{i:03d}.mp4").is_file() for i in range(clips))
        raise Interrupted(f"{built} of {clips} clips built in {out / 'clips'}, their landmarks in {out / 'cache'}; "
                          "a rerun builds and tracks only the rest") from None
    tidy, layout = table(scores)
    scores.to_csv(out / "scores.csv", index=False)
    tidy.to_csv(out / "correlations.csv", index=False)
    md = ("# Table IV with known jitter in place of MOS\n\n"
          f"{clips} synthetic clips of {seconds:g} s, jitter ~ U[0, {max_jitter:g}] (MSI units), seed {seed}; "
          "correlation of each metric with the known stability (-jitter), 95% CI (Fisher z). MSI should be "
          "positive, the plain statistics (instability measures) negative: compare magnitudes.\n\n"
          + markdown(tidy) + "\n")
    (out / "table.md").write_text(md)
    click.echo(md)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(command())
