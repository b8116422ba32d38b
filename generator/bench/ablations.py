"""Table V and Fig. 9 of StableFace (Ling et al., arXiv:2208.13717), regenerated with seeds.

For each variant (one component switched off, or a smoothing mode) and each seed: train the
StableFace models on the same prepared data, re-enact the held-out test split from its audio,
and score the generated video against the truth with the metrics of ``msi compare``. Every
finished run is stored by :class:`generator.bench.runs.RunStore`, so a killed bench resumes
where it stopped. Cells are mean ± 95% t-interval over seeds; differences are paired by seed.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from generator.bench.runs import RunStore, format_duration, slug
from generator.bench.stats import format_cell, paired_differences, summarise

#: Table V: the full model, each component removed, and the baseline with all four removed.
TABLE5 = {
    "full": {},
    "w/o fusion": {"no_audio_fusion": True},
    "w/o smoothing": {"no_smoothing": True},
    "w/o erosion": {"no_erosion": True},
    "w/o dependency": {"no_dependency": True},
    "baseline": {"baseline": True},
}
#: Fig. 9: the three smoothing modes, all started from the same kernel (see SmoothingConfig).
#: The adaptive variant IS the full model of Table V, so it shares its name (and its runs, when
#: both benches use one folder); tables show it as LABELS["full"].
FIG9 = {"fixed": {"smoothing": "fixed"}, "global": {"smoothing": "global"}, "full": {}}
LABELS = {"full": "full (adaptive smoothing)"}

#: Columns reported, in order (shown only when computable: LSE needs SyncNet weights). The
#: per-video columns are ``msi compare``'s; ``motion_ratio`` is the generated mouth's motion
#: over the truth's.
METRICS = ("msi_lip", "msi_jaw", "mouth_motion", "motion_ratio", "ssim", "psnr", "nlmd", "lse_c", "lse_d",
           "lip_audio_r", "cpbd")


@dataclass(frozen=True)
class BenchConfig:
    """How big one run is. ``model`` names a generator preset (``generator.config``)."""

    name: str
    model: str = "tiny"
    clip_seconds: float = 20.0  # synthetic corpus clip (astronaut + espeak-ng speech)
    size: int = 64  # prepared frame size
    epochs: tuple[int, int, int] | None = None  # (a2e, render, joint); None: the preset's
    max_steps: int | None = None  # hard cap on training steps (quick smoke runs)


BENCH_CONFIGS = {
    # CI smoke run: minutes for the whole grid; numbers are meaningless.
    "quick": BenchConfig("quick", clip_seconds=4.0, size=64, epochs=(2, 2, 1), max_steps=10),
    # The default: 6 variants x 3 seeds within 2 h on a 2-core CPU (measured, see README).
    "bench": BenchConfig("bench", clip_seconds=20.0, size=64, epochs=(20, 20, 4)),
    "tiny": BenchConfig("tiny", clip_seconds=60.0, size=64),
    "paper": BenchConfig("paper", model="paper", clip_seconds=180.0, size=256),
}


def prepare_data(out: Path, cfg: BenchConfig, progress: bool = False) -> Path:
    """The synthetic clip and its prepared data, built once in ``out`` and reused by every run."""
    from generator.corpus.build import build_clip
    from generator.data.dataset import is_prepared
    from generator.data.prepare import PrepareConfig, prepare

    data = out / "data"
    if not is_prepared(data):
        video = out / "source" / "clip_s0_j0.mp4"  # kept with the results: the bench's input
        if not video.is_file():
            video = Path(build_clip(out / "source", seconds=cfg.clip_seconds, seed=0, size=256).video)
        prepare(PrepareConfig(video=video, out=data, size=cfg.size), progress=progress)
    return data


def model_config(cfg: BenchConfig, ablation: dict, seed: int):
    from generator.config import apply_ablations, get_config

    model = apply_ablations(get_config(cfg.model), **ablation)
    train = dataclasses.replace(model.train, seed=seed, threads=1)
    if cfg.epochs:
        a, r, j = cfg.epochs
        train = dataclasses.replace(train, a2e_epochs=a, render_epochs=r, joint_epochs=j)
    model.train = train
    return model


def run_one(data: Path, work: Path, name: str, ablation: dict, seed: int, cfg: BenchConfig,
            evaluate: Callable[[Path, Path], dict]) -> dict:
    """Train one variant with one seed, re-enact the test split and score it."""
    from generator.synthesize import synthesize
    from generator.train import train

    run = run_dir(work, name, seed)
    t0 = time.perf_counter()
    result = train(data, run, model_config(cfg, ablation, seed), max_steps=cfg.max_steps, progress=False)
    video, truth = run / "test.mp4", work / "truth_test.mp4"
    synthesize(run, video, background=data, reenact="test", truth_out=truth, progress=False)
    row = {"steps": int(result["step"]), **evaluate(video, truth)}
    row["elapsed_s"] = round(time.perf_counter() - t0, 1)
    return row


def run_grid(out: Path, variants: dict[str, dict], seeds: int, cfg: BenchConfig,
             evaluate: Callable[[Path, Path], dict], log=None) -> pd.DataFrame:
    """Every (variant, seed) not yet in ``out``; one progress line per run with the time left."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    store = RunStore(out)
    data = prepare_data(out, cfg)
    check_same_setup(out, cfg, data)
    plan = [(v, s) for s in range(seeds) for v in variants]
    _rescore_stale(out, store, plan, evaluate, log)
    todo = [(v, s) for v, s in plan if not store.done(v, s)]
    if len(todo) < len(plan):
        log(f"resuming: {len(plan) - len(todo)}/{len(plan)} runs already in {out}")
    for variant, seed in todo:
        if store.done(variant, seed) or not store.claim(variant, seed):
            continue  # finished or being run by another bench process on this folder
        try:
            row = run_one(data, out, variant, variants[variant], seed, cfg, evaluate)
            store.save(variant, seed, row)
        finally:
            store.release(variant, seed)
        left = sum(not store.done(v, s) for v, s in plan)
        log(f"[{len(plan) - left}/{len(plan)}] {variant} seed {seed}: {row['elapsed_s']:.0f} s, "
            f"MSI-Lip {row.get('msi_lip', float('nan')):.3f}; about {format_duration(store.eta(left))} left")
    df = store.frame()
    return df[df["variant"].isin(list(variants)) & (df["seed"] < seeds)]


#: The prepared arrays training reads; their bytes identify the data a run was trained on.
DATA_FILES = ("frames.npy", "landmarks.npy", "expression.npy", "audio_features.npy")


def data_fingerprint(data: Path) -> str:
    """SHA-256 of the prepared arrays (the corpus clip and its preparation are deterministic, so a
    fresh checkout rebuilds the same bytes unless the corpus, tracker or preparation changed)."""
    import hashlib

    h = hashlib.sha256()
    for name in DATA_FILES:
        with open(data / name, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    return h.hexdigest()[:16]


def check_same_setup(out: Path, cfg: BenchConfig, data: Path) -> None:
    """A folder holds runs of one configuration on one data set: resuming with another would mix
    incomparable rows in one table, so it is refused with a one-line error."""
    import json

    from generator.config import get_config, to_dict
    from generator.errors import GeneratorError

    setup = {"config": dataclasses.asdict(cfg), "data": data_fingerprint(data),
             "model": to_dict(get_config(cfg.model))}  # the preset every variant starts from
    setup["config"]["epochs"] = list(cfg.epochs) if cfg.epochs else None
    setup = json.loads(json.dumps(setup))  # compare as stored (tuples become lists)
    path = out / "bench.json"
    what = {"config": "configuration", "data": "data set", "model": "model preset"}
    if path.is_file():
        saved = json.loads(path.read_text())
        for key in ("config", "data", "model"):
            if saved.get(key) != setup[key]:
                shown = (f"({saved.get(key)} here, {setup[key]} now)" if key != "model"
                         else f"(generator.config.{cfg.model}() changed since these runs)")
                raise GeneratorError(f"{out}: holds runs made with another {what[key]} {shown}; "
                                     "give a new output folder")
        return
    path.write_text(json.dumps(setup, indent=1) + "\n")


def _rescore_stale(out: Path, store: RunStore, plan: list[tuple[str, int]], evaluate, log) -> None:
    """Finished runs scored before a metric column existed, or before a column's definition changed
    (``msi.compare.METRICS_VERSION``), are scored again from their stored test video (no
    retraining), so one table never mixes rows scored two ways."""
    from msi.compare import METRICS_VERSION

    for variant, seed in plan:
        row = store.load(variant, seed)
        video = run_dir(out, variant, seed) / "test.mp4"
        if row is None or not video.is_file():
            continue
        missing = set(METRICS) - set(row)
        if not missing and row.get("metrics_version") == METRICS_VERSION:
            continue
        log(f"rescoring {variant} seed {seed}: " + ("new metric columns" if missing else "metric definitions changed"))
        row.update(evaluate(video, out / "truth_test.mp4"))
        row.pop("variant", None), row.pop("seed", None)
        store.save(variant, seed, row)


def report(runs: pd.DataFrame, variants: list[str], reference: str, truth: dict | None = None,
           paper: pd.DataFrame | None = None) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Markdown table (mean ± CI per cell, n runs), the tidy summary, and paired differences."""
    # MSI is always shown (a dash when no run could be scored); the rest only when computable.
    metrics = [m for m in METRICS if m in ("msi_lip", "msi_jaw") or (m in runs and runs[m].notna().any())]
    runs = runs.reindex(columns=list(dict.fromkeys([*runs.columns, *metrics, "error"])))
    summary = summarise(runs, metrics)
    diffs = paired_differences(runs, metrics, reference=reference)
    head = ["variant", "runs", "failed"] + metrics
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in variants:
        s = summary[summary["variant"] == v].set_index("metric")
        if s.empty:
            continue
        cells = [format_cell(s.at[m, "mean"], s.at[m, "ci_low"], s.at[m, "ci_high"]) for m in metrics]
        mine = runs[runs["variant"] == v]
        failed = int((mine["error"].fillna("") != "").sum())
        lines.append(f"| {LABELS.get(v, v)} | {len(mine)} | {failed} | " + " | ".join(cells) + " |")
    if truth:
        lines.append("| ground truth | 1 | 0 | " + " | ".join(
            f"{truth[m]:.3f}" if np.isfinite(truth.get(m, np.nan)) else "—" for m in metrics) + " |")
    md = "\n".join(lines)
    if len(diffs):
        md += f"\n\nPaired difference against {LABELS.get(reference, reference)} (same seed), mean [95% CI], p (paired t-test):\n\n"
        dl = ["| variant | " + " | ".join(metrics) + " |", "|" + "---|" * (len(metrics) + 1)]
        for v in variants:
            d = diffs[diffs["variant"] == v].set_index("metric")
            if d.empty:
                continue
            dl.append(f"| {LABELS.get(v, v)} | " + " | ".join(_diff_cell(d, m) for m in metrics) + " |")
        md += "\n".join(dl)
    if paper is not None:
        md += "\n\nThe paper's table (from the file given with --paper):\n\n" + paper.to_markdown(index=False)
    return md, summary, diffs


def _diff_cell(d: pd.DataFrame, m: str) -> str:
    if m not in d.index or not np.isfinite(d.at[m, "mean_diff"]):
        return "—"
    lo, hi, p = d.at[m, "ci_low"], d.at[m, "ci_high"], d.at[m, "p"]
    ci = f" [{lo:+.3f}, {hi:+.3f}]" if np.isfinite(lo) else ""
    pv = f", p={p:.2g}" if np.isfinite(p) else ""
    return f"{d.at[m, 'mean_diff']:+.3f}{ci}{pv}"


def run_dir(work: Path, variant: str, seed: int) -> Path:
    """Where one run's checkpoint and generated test video live."""
    return work / "runs" / f"{slug(variant)}__seed{seed}"
