"""``msi correlate``: agreement of metrics with human opinion scores (StableFace Table IV).

Reads a one-row-per-video table (CSV/TSV/JSON/Parquet), correlates every metric column with
every subjective column (Pearson r with 95% CI and p, Spearman, Kendall; pingouin), prints the
Table IV layout (subjective measures as rows, metrics as columns) and optionally writes the tidy
table, a scatter figure, and a bootstrap comparison of two metrics.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click
import pandas as pd

from msi.cli import cli_message
from msi.cli import options as opt
from msi.cli import outputs
from msi.correlate import (
    DEFAULT_METRICS,
    DEFAULT_SUBJECTIVE,
    METHODS,
    BadTable,
    clean_table,
    compare_correlations,
    correlate,
    find_key,
    wide,
)
from msi.errors import UsageError

OUT_FORMATS = (".csv", ".json", ".md")
METHOD_NAMES = {"pearson": "Pearson r", "spearman": "Spearman rho", "kendall": "Kendall tau-b"}


EPILOG = f"""\b
The table has one row per video: a key column (path/video/file/name), subjective score
columns (default: any of {', '.join(DEFAULT_SUBJECTIVE)}) and metric columns (default:
{', '.join(DEFAULT_METRICS)}). Rows with a missing value are dropped (counted on stderr).

\b
examples:
  msi correlate mos.csv
  msi correlate mos.csv --score --stats --out table4.md --plot scatter.png
  msi correlate mos.csv --metric var_acceleration_lip --compare msi_lip var_acceleration_lip --abs"""


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def read_table(path: str) -> pd.DataFrame:
    """Read the scores table by extension; one-line errors for missing or unparsable files."""
    from msi.io.paths import check_input_file

    p = check_input_file(path, BadTable)
    ext = p.suffix.lower()
    try:
        if ext == ".json":
            df = pd.read_json(p)
        elif ext == ".parquet":
            df = pd.read_parquet(p)
        elif ext in (".tsv", ".tab"):
            df = pd.read_csv(p, sep="\t")
        else:
            df = pd.read_csv(p)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BadTable(f"{p}: cannot read the table ({str(exc).splitlines()[0][:120]})") from None
    if df.empty:
        raise BadTable(f"{p}: the table has no rows")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def add_scores(df: pd.DataFrame, key: str | None, table_path: str, stats: bool, resample_fps: float | None,
               workers: int = 1) -> pd.DataFrame:
    """Score the videos of the key column with ``msi score`` (cached) and join the metrics.

    Paths are taken as given, or relative to the table's folder. A video that cannot be scored
    gets empty metric cells (so its row is dropped and counted later) and a warning on stderr.
    """
    from tqdm import tqdm

    from msi.score import score_many
    from msi.settings import Settings
    from msi.tracking.trackers import silence_native_logs

    if key is None:
        raise BadTable(f"--score needs a video path column (path/video/file/name or --key); columns are: "
                       f"{', '.join(df.columns)}")
    keys = df[key].astype(str)
    dup = keys[keys.duplicated()]
    if len(dup):
        raise BadTable(f"duplicate video rows in {key!r}: {', '.join(sorted(set(dup))[:5])}")
    silence_native_logs()
    base = Path(table_path).parent
    resolved = {}
    for k in keys:
        p = Path(k)
        resolved[str(base / p if not p.exists() and (base / p).exists() else p)] = k
    settings = Settings(stats=stats, resample_fps=resample_fps)
    rows = []
    with tqdm(total=len(resolved), desc="scoring", unit="video", file=sys.stderr) as bar:
        for r in score_many(list(resolved), settings, workers=workers):
            bar.update(1)
            if r.error:
                msg = r.error if r.error.startswith(r.path) else f"{resolved[r.path]}: {r.error}"
                bar.write(f"msi: warning: {cli_message(msg)} (row left out)", file=sys.stderr)
                rows.append({key: resolved[r.path]})
            else:
                rows.append({key: resolved[r.path], "msi_lip": r.msi_lip, "msi_jaw": r.msi_jaw, **r.stats})
    scored = pd.DataFrame(rows)
    clash = [c for c in scored.columns if c != key and c in df.columns]
    return df.drop(columns=clash).assign(**{key: keys}).merge(scored, on=key, how="left")


def _fmt(v: float, nd: int = 3) -> str:
    return "nan" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{nd}f}"


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def cell(row: pd.Series) -> str:
    return f"{_fmt(row['r'])} [{_fmt(row['ci_low'], 2)}, {_fmt(row['ci_high'], 2)}]{_stars(row['p_val'])}"


def layout(tidy: pd.DataFrame, method: str) -> pd.DataFrame:
    """Table IV layout of one method (:func:`msi.correlate.wide`) with cells 'r [ci_low, ci_high]'
    and significance stars."""
    return wide(tidy.assign(cell=tidy.apply(cell, axis=1)), method, value="cell")


def markdown(tidy: pd.DataFrame, n: int) -> str:
    parts = []
    for method in METHODS:
        if (tidy["method"] == method).any():
            t = layout(tidy, method)
            head = "| | " + " | ".join(t.columns) + " |\n|---|" + "---|" * len(t.columns) + "\n"
            body = "".join(f"| {i} | " + " | ".join(t.loc[i]) + " |\n" for i in t.index)
            parts.append(f"**{METHOD_NAMES[method]}** (95% CI; * p<0.05, ** p<0.01, *** p<0.001; n = {n})\n\n"
                         f"{head}{body}")
    return "\n".join(parts)


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]


@click.command("correlate", epilog=EPILOG)
@click.argument("table_path", metavar="TABLE")
@click.option("--subjective", "-s", multiple=True, metavar="COL",
              help="subjective score column (repeatable; comma-separated allowed)")
@click.option("--metric", "-m", multiple=True, metavar="COL",
              help="metric column (repeatable; comma-separated allowed). msi_lip and msi_jaw are included "
                   "when present")
@click.option("--key", default=None, metavar="COL", help="video key column (default: path/video/file/name)")
@click.option("--score", is_flag=True,
              help="compute msi_lip/msi_jaw for the videos in the key column (msi score, cached) and join "
                   "them on that column")
@opt.stats_option("with --score: also the Table IV baselines (<stat>_lip, <stat>_jaw) as metrics")
@opt.workers_option("with --score: score videos in N processes (default 1)", short=False)
@click.option("--save-scores", default=None, metavar="FILE.csv",
              help="with --score: also write the input table joined with the computed metrics")
@opt.resample_option("with --score: resample trajectories to this frame rate first (paper: 25)")
@click.option("--method", type=click.Choice(METHODS), default="pearson",
              help="correlation printed in the table (all three are in --out); default pearson")
@opt.out_option("write the tidy table: .csv, .json, or .md (Table IV layout per method)")
@opt.json_option()
@click.option("--plot", default=None, metavar="FILE", help="scatter + regression line per pair (.png/.pdf/.svg)")
@click.option("--compare", nargs=2, default=None, metavar="A B",
              help="bootstrap CI of r(A) - r(B) on the same videos, for each subjective column")
@click.option("--abs", "absolute", is_flag=True,
              help="with --compare: compare |r| (for baselines whose sign is opposite to MSI's)")
@click.option("--n-boot", type=int, default=5000, help="bootstrap resamples (default 5000)")
@click.option("--seed", type=int, default=0, help="bootstrap seed (default 0)")
def command(table_path: str, subjective: tuple[str, ...], metric: tuple[str, ...], key: str | None, score: bool,
            stats: bool, workers: int, save_scores: str | None, resample_fps: float | None, method: str,
            out: str | None, as_json: bool, plot: str | None, compare: tuple[str, str] | None, absolute: bool,
            n_boot: int, seed: int) -> int:
    """Agreement of metrics with human opinion scores (StableFace Table IV).

    Reads a one-row-per-video TABLE (.csv, .tsv, .json e.g. from msi score --json, or .parquet),
    correlates every metric column with every subjective column (Pearson r with 95% CI and p,
    Spearman, Kendall; pingouin), prints the Table IV layout (subjective measures as rows, metrics
    as columns) and optionally writes the tidy table, a scatter figure, and a bootstrap comparison
    of two metrics.
    """
    opt.check_suffix(out, "--out", OUT_FORMATS)
    opt.check_suffix(plot, "--plot", (".png", ".pdf", ".svg"))
    if save_scores and not score:
        raise UsageError("--save-scores needs --score")
    if save_scores and Path(save_scores).suffix.lower() != ".csv":
        raise UsageError(f"--save-scores {save_scores}: use a .csv file")
    if stats and not score:
        raise UsageError("--stats needs --score (it computes the baselines from the videos)")
    if n_boot < 100:
        raise UsageError(f"--n-boot must be at least 100, got {n_boot}")
    opt.check_resample(resample_fps)
    workers = opt.check_workers(workers)
    for path, flag in ((out, "--out"), (plot, "--plot"), (save_scores, "--save-scores")):
        outputs.check_file(path, flag)  # before any video is scored
    hint = outputs.CACHED_HINT if score else "rerun with a writable {flag}"
    df = read_table(table_path)
    key_col = find_key(df, key)
    metrics = _split(metric)
    if score:
        df = add_scores(df, key_col, table_path, stats, resample_fps, workers)
        if save_scores:
            try:
                df.to_csv(save_scores, index=False)
            except OSError as exc:
                raise outputs.write_failed(save_scores, exc, hint.format(flag="--save-scores")) from None
        if metrics is None:
            from msi.metrics.baselines import STATS

            metrics = [c for c in ["msi_lip", "msi_jaw"] + [f"{s}_{r}" for r in ("lip", "jaw") for s in STATS]
                       if c in df.columns]
    if metrics is not None:  # MSI always joins the named metrics when present
        metrics = list(dict.fromkeys([c for c in DEFAULT_METRICS if c in df.columns] + metrics))
    if compare:
        metrics = list(dict.fromkeys((metrics or [c for c in DEFAULT_METRICS if c in df.columns]) + list(compare)))
    table = clean_table(df, metrics, _split(subjective), key=key)
    if table.dropped:
        print(f"msi: warning: {table.notes[0]}; {len(table.data)} row(s) used", file=sys.stderr)
    tidy = correlate(table)

    comparisons = []
    if compare:
        a, b = compare
        for s in table.subjective:
            res = compare_correlations(table.data[a], table.data[b], table.data[s], method=method,
                                       n_boot=n_boot, absolute=absolute, seed=seed)
            comparisons.append({"subjective": s, "metric_a": a, "metric_b": b, "method": method,
                                "absolute": absolute, **res})

    if out:
        ext = Path(out).suffix.lower()
        try:
            if ext == ".csv":
                tidy.to_csv(out, index=False)
            elif ext == ".json":
                Path(out).write_text(json.dumps({"n": len(table.data), "dropped": table.dropped,
                                                 "correlations": _records(tidy),
                                                 "comparisons": comparisons}, indent=1) + "\n")
            else:
                text = markdown(tidy, len(table.data))
                if comparisons:
                    text += "\n" + "\n".join(_compare_line(c) for c in comparisons) + "\n"
                Path(out).write_text(text)
        except OSError as exc:
            raise outputs.write_failed(out, exc, hint.format(flag="--out")) from None
    if plot:
        from msi.plots.figures import save, scatter_figure

        try:
            save(scatter_figure(table.data, tidy, table.metrics, table.subjective,
                                title=f"Metrics vs opinion scores (n = {len(table.data)})"), plot)
        except (OSError, ValueError) as exc:
            raise outputs.write_failed(plot, exc, hint.format(flag="--plot")) from None

    if as_json:
        print(json.dumps({"n": len(table.data), "dropped": table.dropped, "correlations": _records(tidy),
                          "comparisons": comparisons}))
    else:
        print(f"{METHOD_NAMES[method]} [95% CI] of metric vs subjective score, n = {len(table.data)} videos "
              f"(* p<0.05, ** p<0.01, *** p<0.001)")
        print(layout(tidy, method).to_string())
        for c in comparisons:
            print(_compare_line(c))
    return 0


def _compare_line(c: dict) -> str:
    bars = "|r|" if c["absolute"] else "r"
    verdict = ("A correlates better" if c["ci_low"] > 0 else "B correlates better" if c["ci_high"] < 0
               else "no clear difference")
    return (f"{c['subjective']}: {bars}({c['metric_a']}) - {bars}({c['metric_b']}) = {c['delta']:+.3f} "
            f"[{c['ci_low']:+.3f}, {c['ci_high']:+.3f}] (bootstrap 95% CI, {c['n_boot']} resamples"
            + (f", {c['skipped']} degenerate ones skipped" if c["skipped"] else "")
            + f", p = {c['p_boot']:.3g}): {verdict}")

