"""Table V and Fig. 9 of StableFace (Ling et al., arXiv:2208.13717), regenerated with seeds.

For each variant (one component switched off, or a smoothing mode) and each seed: train the
StableFace models on the same prepared data, re-enact the held-out test split from its audio,
and score the generated video against the truth with the metrics of ``msi compare``. Every
finished run is stored by :class:`generator.reproduction.runs.RunStore`, so a killed bench resumes
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

from generator.reproduction.marks import DEFAULT_MARK, MARKS, marks_phrase
from generator.reproduction.runs import RunStore, format_duration, slug

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
           "lip_audio_r", "cpbd", "accel_error", "fast_motion")

#: Columns whose change by the invisible mark the bench measures (marked render - the same
#: frames and speech unmarked, both against the unmarked truth): the frame columns the frame
#: watermark can move (LPIPS only when its weights are given) and the table's columns read from the
#: speech, which the audio mark can move (LSE only with SyncNet weights).
EFFECT_COLUMNS = ("msi_lip", "msi_jaw", "ssim", "psnr", "lpips", "lip_audio_r", "lse_c", "lse_d")

#: Settings of ``tiny()`` beyond the paper, set back to the paper's for the bench: Table V compares
#: the paper's variants with the paper's audio2expression (no gain), adversarial weight and plain L1
#: (no opening balance).
PAPER_SETTINGS = {"train": {"a2e_gain": "none", "a2e_gain_reference": "val"},
                  "loss": {"adversarial": 1.0, "opening_balance": 0.0}}


@dataclass(frozen=True)
class BenchConfig:
    """How big one run is. ``model`` names a generator preset (``generator.config``)."""

    name: str
    model: str = "tiny"
    clip_seconds: float = 60.0  # synthetic corpus clip (astronaut + espeak-ng speech)
    size: int = 64  # prepared frame size
    # audio2expression's gain (TrainConfig.a2e_gain): "none" (the paper) or "mesh" (beyond the paper, for
    # every variant alike: the MSE prediction's shrinkage undone, so that the mouth moves as much as the truth's)
    gain: str = "none"
    # SmoothingConfig.train_jitter for every variant with a smoothing module (beyond the paper: 0 there):
    # jitter for the module to remove in the joint stage, without which it only learns to smooth less
    smoothing_jitter: float = 0.0
    epochs: tuple[int, int, int] | None = None  # (a2e, render, joint); None: the preset's
    max_steps: int | None = None  # hard cap on training steps (quick smoke runs)
    # The held-out test split (the last 30 %: other sentences than training) is scored as this many
    # consecutive clips, so the tables can show the variation between clips beside that between seeds.
    segments: int = 3
    # The invisible marks the generated test videos carry, a setting of ``MARKS`` (the visible label
    # is always off: it would cover part of the frame the columns read): by default the audio mark,
    # which the frame columns cannot see; "frame" measures the frame watermark's effect on the
    # renders. With any mark the same frames and speech are also written unmarked and scored, to
    # measure what the mark moves. "none" (``--no-mark``): unmarked, as before the marks existed.
    mark: str = DEFAULT_MARK

    def __post_init__(self) -> None:
        if self.mark not in MARKS:
            from generator.errors import GeneratorError

            raise GeneratorError(f"mark {self.mark!r}: not one of {', '.join(MARKS)}")


#: ``mark`` as a bench.json written when it was a bool says it: True was the frame watermark.
LEGACY_MARKS = {True: "frame", False: "none"}


BENCH_CONFIGS = {
    # CI smoke run: minutes for the whole grid; numbers are meaningless. An 8 s clip, so that the test
    # split's 2.4 s of speech carry the audio mark readably (z 11.3 with the run id; the 1.2 s of a 4 s
    # clip gave z 6.6-7.5, under the threshold of 7.55).
    "quick": BenchConfig("quick", clip_seconds=8.0, size=64, epochs=(2, 2, 1), max_steps=10, segments=1),
    # The default: the README recipe's model (tiny128) and clip (60 s: 30 s of training, an 18 s test
    # split scored as 3 clips of 6 s) with fewer epochs, and the expression gain that makes the mouth
    # move as much as the truth's. The seeds of one grid share the stages their variants have in
    # common (``shared_start``).
    "bench": BenchConfig("bench", model="tiny128", size=128, epochs=(40, 12, 3), gain="mesh", smoothing_jitter=0.5),
    # The earlier default (docs/bench/table5_64px): 64 px, the paper's settings; every variant's
    # mouth moved only 0.65-0.77 as much as the truth's.
    "bench64": BenchConfig("bench64", epochs=(40, 12, 3)),
    "tiny": BenchConfig("tiny"),
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
        prepare(PrepareConfig(video=video, out=data, size=cfg.size), progress=progress)  # default margin
    return data


def model_config(cfg: BenchConfig, ablation: dict, seed: int):
    from generator.config import apply_ablations, get_config

    model = apply_ablations(get_config(cfg.model), **ablation)
    for section, fields in PAPER_SETTINGS.items():
        setattr(model, section, dataclasses.replace(getattr(model, section), **fields))
    train = dataclasses.replace(model.train, seed=seed, threads=0)  # threads: follow the free cores (generator.cpu)
    if cfg.gain != "none":  # towards the speaker's motion: every frame outside the test split
        train = dataclasses.replace(train, a2e_gain=cfg.gain, a2e_gain_reference="train+val")
    model.smoothing = dataclasses.replace(model.smoothing, train_jitter=cfg.smoothing_jitter)
    if cfg.epochs:
        a, r, j = cfg.epochs
        train = dataclasses.replace(train, a2e_epochs=a, render_epochs=r, joint_epochs=j)
    model.train = train
    return model


def _renderer_stage_shared(model, full) -> bool:
    """Does this variant train the same renderer stage as ``full``? (It differs only in smoothing,
    which the renderer stage does not use: stage 2 renders the unsmoothed shapes.)"""
    from generator.config import to_dict

    a, b = to_dict(model), to_dict(full)
    a.pop("smoothing"), b.pop("smoothing")
    return a == b


def shared_start(data: Path, work: Path, cfg: BenchConfig, model, seed: int) -> tuple[Path, tuple[str, ...]]:
    """The shared run a variant of this seed starts from, trained once per seed (under a lock, so
    bench processes sharing the folder wait for each other): audio2expression alone for every
    variant (it does not depend on the renderer's modules), and the renderer stage too for the
    variants that differ from ``full`` only in smoothing. Returns (run folder, modules taken)."""
    import fcntl

    from generator.data.dataset import load_clip
    from generator.train import fork, stage_plan, train

    full = model_config(cfg, {}, seed)
    clip = load_clip(data)
    plan = stage_plan(full, clip.split("train"), clip.split("val"))
    cap = cfg.max_steps or sum(n for _, n in plan)
    shared = work / "runs" / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    stages = [("a2e", min(plan[0][1], cap), ("a2e",))]
    if _renderer_stage_shared(model, full):
        stages.append(("renderer", min(plan[0][1] + plan[1][1], cap), ("a2e", "renderer", "discriminator")))
    previous = None
    for name, steps, parts in stages:
        run = shared / f"{name}__seed{seed}"
        with open(shared / f"{name}__seed{seed}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process trains it, the others wait and reuse it
            if previous is not None and not (run / "checkpoint.pt").is_file():
                fork(previous, run, full, ("a2e",))
            train(data, run, full, max_steps=steps, progress=False)
        previous, taken = run, parts
    return previous, taken


def run_one(data: Path, work: Path, name: str, ablation: dict, seed: int, cfg: BenchConfig,
            evaluate: Callable[[Path, Path], dict]) -> dict:
    """Train one variant with one seed (from the stages it shares with the seed's other variants),
    re-enact the test split and score each of its clips."""
    from generator.train import fork, train

    run = run_dir(work, name, seed)
    model = model_config(cfg, ablation, seed)
    t0 = time.perf_counter()
    if not (run / "checkpoint.pt").is_file():
        src, parts = shared_start(data, work, cfg, model, seed)
        fork(src, run, model, parts)
    result = train(data, run, model, max_steps=cfg.max_steps, progress=False)
    row = {"steps": int(result["step"]), **evaluate_run(run, data, work, cfg, evaluate)}
    row["elapsed_s"] = round(time.perf_counter() - t0, 1)
    return row


def evaluate_run(run: Path, data: Path, work: Path, cfg: BenchConfig, evaluate: Callable[[Path, Path], dict]) -> dict:
    """The test split re-enacted and written as ``cfg.segments`` clips (``run/eval/own_K.mp4``, with
    the marks ``cfg.mark`` names; the truth as ``work/truth/truth_K.mp4``), each scored by
    ``evaluate``; the row holds the mean over clips, the per-clip rows (``clips``), the motion chain's
    table (``chain``, ``generator.reproduction.motion_chain``) and, when marked, the
    :data:`EFFECT_COLUMNS` of the same frames and speech written unmarked (``run/eval/own_K_unmarked.mp4``)
    per clip (``unmarked_clips``)."""
    from generator.reproduction.motion_chain import chain_landmarks, chain_table

    tracks = chain_landmarks(run, data, "test", run / "eval", backgrounds=("own",), segments=cfg.segments,
                             truth_dir=work / "truth", cache=True, mark=cfg.mark,
                             unmarked_copies=bool(MARKS[cfg.mark]))
    from generator.reproduction.adaptation import weights_report

    clips = [{"clip": k, **evaluate(video, truth)}
             for k, (video, truth) in enumerate(zip(tracks["videos"]["own"], tracks["truth_videos"]))]
    row = {**clip_mean(clips), "clips": clips, "chain": chain_table(tracks).to_dict(orient="records"),
           "weights": weights_report(run, data, "test")}
    if tracks["unmarked_videos"]:
        row["unmarked_clips"] = score_unmarked(list(zip(tracks["unmarked_videos"]["own"], tracks["truth_videos"])),
                                               evaluate)
    return row


def score_unmarked(pairs: list[tuple[Path, Path]], evaluate: Callable[[Path, Path], dict]) -> list[dict]:
    """The :data:`EFFECT_COLUMNS` of each unmarked copy (``pairs``: (video, truth) per clip)."""
    return [{"clip": k, **{c: got.get(c, float("nan")) for c in EFFECT_COLUMNS}}
            for k, got in enumerate(evaluate(video, truth) for video, truth in pairs)]


def clip_mean(clips: list[dict]) -> dict:
    """The mean over clips of every numeric column (NaN-aware); text columns joined."""
    df = pd.DataFrame(clips).drop(columns="clip", errors="ignore")
    row = {c: float(np.nanmean(df[c].to_numpy(dtype=float))) if df[c].notna().any() else float("nan")
           for c in df.select_dtypes("number").columns}
    for c in df.columns.difference(list(row)):
        row[c] = "; ".join(sorted({str(x) for x in df[c] if isinstance(x, str) and x}))
    return row


def run_grid(out: Path, variants: dict[str, dict], seeds: int, cfg: BenchConfig,
             evaluate: Callable[[Path, Path], dict], log=None, train: bool = True) -> pd.DataFrame:
    """Every (variant, seed) not yet in ``out``; one progress line per run with the time left.
    ``train=False``: only the runs already finished (scored again where stale), nothing trained."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    store = RunStore(out)
    data = prepare_data(out, cfg)
    check_same_setup(out, cfg, data)
    plan = [(v, s) for s in range(seeds) for v in variants]
    _rescore_stale(out, store, plan, evaluate, log)
    todo = [(v, s) for v, s in plan if not store.done(v, s)] if train else []
    if not train and (left := sum(not store.done(v, s) for v, s in plan)):
        log(f"--report-only: {len(plan) - left} of {len(plan)} runs finished in {out}; the tables show those")
    if train and len(todo) < len(plan):
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
    if df.empty:
        from generator.errors import GeneratorError

        raise GeneratorError(f"{out}: no finished run yet, nothing to report")
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


def _what_runs(key: str, value, cfg: BenchConfig | None = None):
    """The part of a bench.json entry that decides what is trained: for the model preset, through
    ``from_dict`` (a field added since, absent from an old file, reads as its default, which keeps the
    old behaviour), without ``train.threads`` (how to run, not what), without ``PAPER_SETTINGS`` (the
    bench sets its own, ``model_config``) and without the preset's epochs when the bench config sets
    its own (``BenchConfig.epochs``)."""
    if key != "model" or not isinstance(value, dict):
        return value
    from generator.config import from_dict, to_dict

    model = to_dict(from_dict(value))
    drop = {"train": ("threads",) + (("a2e_epochs", "render_epochs", "joint_epochs") if cfg is not None and cfg.epochs else ())}
    for section, names in [*drop.items(), *PAPER_SETTINGS.items()]:
        for name in names:
            model[section].pop(name, None)
    return model


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
        if isinstance(saved.get("config"), dict):  # a field added since reads as its default (the old behaviour)
            saved["config"]["mark"] = saved_mark(out, saved["config"], cfg.mark)
            defaults = json.loads(json.dumps(dataclasses.asdict(BenchConfig(cfg.name))))
            saved["config"] = {**{k: v for k, v in defaults.items() if k not in ("epochs",)}, **saved["config"]}
        for key in ("config", "data", "model"):
            if key == "config" and isinstance(saved.get(key), dict) and saved[key]["mark"] != cfg.mark:
                was = saved[key]["mark"]
                raise GeneratorError(f"{out}: holds runs whose videos carry {_said(was)}, as mark={was} asks, not "
                                     f"{_said(cfg.mark)}, as mark={cfg.mark} asks; rerun with mark={was}, or give a "
                                     "new output folder")
            if _what_runs(key, saved.get(key), cfg) != _what_runs(key, setup[key], cfg):
                shown = (f"({saved.get(key)} here, {setup[key]} now)" if key != "model"
                         else f"(generator.config.{cfg.model}() changed since these runs)")
                raise GeneratorError(f"{out}: holds runs made with another {what[key]} {shown}; "
                                     "give a new output folder")
        return
    path.write_text(json.dumps(setup, indent=1) + "\n")


def saved_mark(out: Path, config: dict, default: str) -> str:
    """The ``mark`` setting of a saved bench.json's ``config``, as a name of :data:`MARKS`: a bool
    (written when the setting was one) through :data:`LEGACY_MARKS`; absent (written before the
    setting: the bench marked its videos from some version on) told by the folder's first test
    video, ``default`` when none is there yet."""
    mark = config.get("mark")
    if "mark" not in config:
        marked = videos_marked(out)
        return default if marked is None else LEGACY_MARKS[marked]
    return LEGACY_MARKS[mark] if isinstance(mark, bool) else str(mark)


def _said(mark: str) -> str:
    return marks_phrase(mark) if mark in MARKS else "an unknown mark"

def videos_marked(out: Path) -> bool | None:
    """Do the generated test videos in ``out`` carry the invisible frame watermark (the only mark
    the bench wrote before the setting existed)? None when no test video is there yet."""
    from msi.provenance.watermark import read_video

    video = next(iter(sorted((out / "runs").glob("*/eval/own_0.mp4"))), None)
    return None if video is None else read_video(video).found


def _rescore_stale(out: Path, store: RunStore, plan: list[tuple[str, int]], evaluate, log) -> None:
    """Finished runs scored before a metric column existed, or before a column's definition changed
    (``msi.metrics.column.METRICS_VERSION``), are scored again from their stored test video (no
    retraining), so one table never mixes rows scored two ways."""
    from msi.metrics.column import METRICS_VERSION

    from generator.reproduction.adaptation import weights_report

    for variant, seed in plan:
        row = store.load(variant, seed)
        videos = clip_videos(out, variant, seed)
        if row is None or not videos:
            continue
        checkpoint = run_dir(out, variant, seed) / "checkpoint.pt"
        if "gain" not in row.get("weights", {}) and checkpoint.is_file():  # finished before these were reported
            row["weights"] = weights_report(checkpoint.parent, out / "data", "test")
            row.pop("variant", None), row.pop("seed", None)
            store.save(variant, seed, row)
        missing = set(METRICS) - set(row)
        if not missing and row.get("metrics_version") == METRICS_VERSION:
            continue
        log(f"rescoring {variant} seed {seed}: " + ("new metric columns" if missing else "metric definitions changed"))
        clips = [{"clip": k, **evaluate(video, truth)} for k, (video, truth) in enumerate(videos)]
        row.update(clip_mean(clips), clips=clips)
        unmarked = [(v.with_name(v.stem + "_unmarked.mp4"), t) for v, t in videos]
        if "unmarked_clips" in row and all(v.is_file() for v, _ in unmarked):  # scored the same way as the marked
            row["unmarked_clips"] = score_unmarked(unmarked, evaluate)
        row.pop("variant", None), row.pop("seed", None)
        store.save(variant, seed, row)


def clip_videos(out: Path, variant: str, seed: int) -> list[tuple[Path, Path]]:
    """(generated, truth) video of each scored clip of a finished run, in clip order."""
    pairs, k = [], 0
    while (video := run_dir(out, variant, seed) / "eval" / f"own_{k}.mp4").is_file():
        pairs.append((video, out / "truth" / f"truth_{k}.mp4"))
        k += 1
    return pairs


def run_dir(work: Path, variant: str, seed: int) -> Path:
    """Where one run's checkpoint and generated test video live."""
    return work / "runs" / f"{slug(variant)}__seed{seed}"
