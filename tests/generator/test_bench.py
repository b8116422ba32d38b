"""``stableface bench``: real (tiny) training runs, a kill in the middle, a resume that loses no
finished run, and the known-jitter Table IV on real corpus clips."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from generator.reproduction.ablations import BENCH_CONFIGS, TABLE5, run_grid
from generator.reproduction.tables import report
from generator.reproduction.runs import RunStore


def test_variant_names_are_file_safe(tmp_path):
    store = RunStore(tmp_path)
    store.save("w/o fusion", 0, {"msi_lip": 0.5})
    assert store.done("w/o fusion", 0) and store.path("w/o fusion", 0).parent == tmp_path / "results"


class _Killed(BaseException):
    pass


@pytest.fixture
def bench_out(tiny_clip, tmp_path):
    """A bench folder whose data is the session's tiny clip: what ``prepare_data`` builds for a 4 s clip
    (``build_clip`` of 4 s, seed 0, 256 px, prepared at 64 px), copied in so the bench takes it as built.
    The quick preset's own 8 s clip, which the audio mark needs, is built in test_bench_marks.py."""
    import shutil

    shutil.copytree(tiny_clip, tmp_path / "data")
    return tmp_path


@pytest.mark.slow
def test_bench_resumes_after_a_kill_without_redoing_finished_runs(bench_out):
    from generator.reproduction.evaluate import evaluate_video
    from generator.errors import GeneratorError

    tmp_path = bench_out
    # the quick preset on the 4 s tiny clip, unmarked: the marks are test_bench_marks.py's
    cfg = dataclasses.replace(BENCH_CONFIGS["quick"], clip_seconds=4.0, max_steps=3, mark="none")
    variants = {k: TABLE5[k] for k in ("full", "w/o smoothing")}
    lines: list[str] = []

    def dying_log(msg: str) -> None:
        lines.append(msg)
        if msg.startswith("[1/"):
            raise _Killed  # the process dies right after its first run was stored

    with pytest.raises(_Killed):
        run_grid(tmp_path, variants, 1, cfg, evaluate_video, log=dying_log)
    store = RunStore(tmp_path)
    first = store.path("full", 0)
    assert store.done("full", 0) and not store.done("w/o smoothing", 0)
    before = first.stat().st_mtime_ns, first.read_text()

    lines.clear()
    runs = run_grid(tmp_path, variants, 1, cfg, evaluate_video, log=lines.append)
    assert lines[0].startswith("resuming: 1/2 runs")
    assert (first.stat().st_mtime_ns, first.read_text()) == before  # not trained again
    assert sorted(runs["variant"]) == ["full", "w/o smoothing"]
    row = json.loads(store.path("w/o smoothing", 0).read_text())
    assert row["steps"] == 3 and "msi_lip" in row and "motion_ratio" in row
    assert row["weights"] == {"mode": "none", "gain": None}  # no smoothing module, the paper's gain (none)
    full_weights = json.loads(first.read_text())["weights"]
    assert full_weights["mode"] == "adaptive" and set(full_weights) >= {"gain", "predicted", "mouth", "mean_kernel"}
    # each run's test video and the shared truth, unmarked and without an unmarked copy (mark none)
    assert [p.parent.parent.name for p in sorted(tmp_path.rglob("own_0.mp4"))] == ["full__seed0", "wo-smoothing__seed0"]
    assert (tmp_path / "truth" / "truth_0.mp4").is_file() and not list(tmp_path.rglob("*_unmarked.mp4"))
    assert "unmarked_clips" not in row
    # A metric column added after a run finished: the stored video is scored again, not retrained.
    stale = {k: v for k, v in json.loads(first.read_text()).items() if k not in ("mouth_motion", "variant", "seed")}
    store.save("full", 0, stale)
    lines.clear()
    runs = run_grid(tmp_path, variants, 1, cfg, evaluate_video, log=lines.append)
    assert lines[0] == "rescoring full seed 0: new metric columns"
    assert "mouth_motion" in json.loads(first.read_text()) and len(runs) == 2
    # A column whose definition changed (msi.metrics.column.METRICS_VERSION): scored again too.
    old = json.loads(first.read_text())
    old.pop("variant"), old.pop("seed")
    store.save("full", 0, {**old, "metrics_version": 1, "mouth_motion": -1.0})
    lines.clear()
    run_grid(tmp_path, variants, 1, cfg, evaluate_video, log=lines.append)
    assert lines[0] == "rescoring full seed 0: metric definitions changed"
    rescored = json.loads(first.read_text())
    assert rescored["metrics_version"] > 1 and rescored["mouth_motion"] != -1.0
    np.testing.assert_equal(rescored["mouth_motion"], old["mouth_motion"])  # NaN when 3 steps draw no face
    # Runs of another model preset (generator.config changed since): refused, not mixed.
    setup = json.loads((tmp_path / "bench.json").read_text())
    setup["model"]["erosion"]["dilate"] += 1
    (tmp_path / "bench.json").write_text(json.dumps(setup))
    with pytest.raises(GeneratorError, match="another model preset"):
        run_grid(tmp_path, variants, 1, cfg, evaluate_video, log=lines.append)
    setup["model"]["erosion"]["dilate"] -= 1
    (tmp_path / "bench.json").write_text(json.dumps(setup))
    # Resuming the folder with another configuration would mix incomparable runs: refused.

    with pytest.raises(GeneratorError, match="another configuration"):
        run_grid(tmp_path, variants, 1, dataclasses.replace(cfg, max_steps=4), evaluate_video, log=lines.append)
    # --report-only: the tables from what is finished; a second seed is not trained
    lines.clear()
    runs = run_grid(tmp_path, variants, 2, cfg, evaluate_video, log=lines.append, train=False)
    assert lines == ["--report-only: 2 of 4 runs finished in " + str(tmp_path) + "; the tables show those"]
    assert sorted(p.name for p in (tmp_path / "results").glob("*.json")) == ["full__seed0.json", "wo-smoothing__seed0.json"]
    md, summary, diffs = report(runs, list(variants), "full")
    assert "| full (adaptive smoothing) | 1 |" in md and "| w/o smoothing | 1 |" in md
    assert set(summary["metric"]) >= {"msi_lip", "msi_jaw"}


def test_the_mark_effect_table_names_its_columns_and_pairs_clips():
    """marked - unmarked per run (mean over the clips where both are finite), summarised over runs;
    LPIPS only where it was computed; runs without unmarked scores (``--no-mark``) left out."""
    import pandas as pd

    from generator.reproduction.tables import mark_effect

    nan = float("nan")

    def clips(lip, ssim, lpips=nan):
        return [{"clip": k, "msi_lip": lip[k], "msi_jaw": 1.0, "ssim": ssim, "psnr": 30.0, "lpips": lpips} for k in range(2)]

    runs = pd.DataFrame([
        {"variant": "full", "seed": 0, "msi_lip": 0.85, "clips": clips([0.8, 0.9], 0.9),
         "unmarked_clips": clips([1.0, nan], 0.95, 0.1)},
        {"variant": "full", "seed": 1, "msi_lip": 0.9, "clips": clips([0.9, 0.9], 0.9, 0.2),
         "unmarked_clips": clips([1.0, 1.0], 0.95, 0.1)},
        {"variant": "baseline", "seed": 0, "msi_lip": 0.7, "clips": clips([0.7, 0.7], 0.9), "unmarked_clips": nan},
    ]).assign(msi_jaw=1.0, motion_ratio=1.0, error="")
    eff = mark_effect(runs)
    assert list(eff.columns) == ["variant", "seed", "column", "clips", "unmarked", "marked", "change", "relative_change"]
    lip = eff[eff["column"] == "msi_lip"].set_index("seed")
    assert set(eff["variant"]) == {"full"} and lip.at[0, "clips"] == 1  # clip 1 of seed 0 has no unmarked MSI
    assert lip.at[0, "change"] == pytest.approx(-0.2) and lip.at[1, "relative_change"] == pytest.approx(-0.1)
    assert list(eff.loc[eff["column"] == "lpips", "seed"]) == [1]  # seed 0's marked clips have no LPIPS
    md, _, _ = report(runs, ["full", "baseline"], "full", mark="frame")
    section = md[md.index("What the invisible frame watermark moves"):]
    assert "What the audio mark moves: each run" in report(runs, ["full", "baseline"], "full")[0]  # the default
    assert "over 2 runs" in section and "| msi_lip | 1.0000 | 0.8500 | -0.1500 [" in section
    assert "| lpips |" in section and "| ssim |" in section
    assert mark_effect(runs.drop(columns="unmarked_clips")).empty


@pytest.mark.slow
def test_table4_msi_tracks_known_jitter(tmp_path):
    """Clips with random hidden jitter levels: MSI must fall as the known jitter rises. 1.5 s clips
    (37 frames: three 12-frame MSI windows each): the clip synthesis and tracking cost is per frame.
    Measured, Spearman of MSI to the known stability: MSI-Lip 1.0 (the five levels in exact inverse
    order), MSI-Jaw 0.9 (one neighbouring pair swapped, jitter 0.82 and 0.89), against the bounds 0.8
    and 0.5 below (2 s clips: 1.0 and 1.0)."""
    from generator.reproduction.table4 import build_and_score, markdown, table

    scores = build_and_score(tmp_path, n_clips=5, seconds=1.5, max_jitter=2.0, log=lambda m: None)
    assert len(scores) == 5 and scores["jitter"].between(0, 2).all()
    tidy, layout = table(scores)
    assert list(layout.index) == ["known jitter in place of MOS (Pearson r)"]
    r = tidy[(tidy.method == "spearman")].set_index("metric")["r"]
    assert r["msi_lip"] > 0.8 and r["msi_jaw"] > 0.5  # higher MSI = less jitter = more known stability
    assert np.isfinite(layout.to_numpy(dtype=float)).all()
    md = markdown(tidy)
    assert md.splitlines()[0] == "| metric | pearson | spearman | kendall |" and "| msi_lip | +" in md


def test_a_preset_saved_before_a_field_existed_still_matches():
    """bench.json's model preset: a field added since (absent from an old file) reads as its default,
    and the thread count and expression gain (the bench sets its own) are not compared; a changed training setting still differs."""
    from generator.reproduction.ablations import BENCH_CONFIGS, _what_runs
    from generator.config import get_config, to_dict

    now = json.loads(json.dumps(to_dict(get_config("tiny"))))
    old = json.loads(json.dumps(now))
    # the file of a bench made before them (tiny() has a2e_gain "mesh" since; the bench sets "none"),
    # with options since removed from the library at the values where they changed nothing
    del old["train"]["a2e_gain"]
    old["train"]["a2e_opening"], old["train"]["a2e_split"], old["loss"]["probe_weight"] = 0.0, "train", 0.0
    # and the settings since derived: each per-frame embedding's fixed size, the data's audio window
    old["a2e"]["max_frames"], old["a2e"]["window"], old["dependency"]["max_frames"] = 512, 16, 64
    del old["train"]["a2e_gain_reference"]  # read back as "val"; tiny() has "train+val"
    old["train"]["threads"] = 1
    assert now["train"]["a2e_gain"] == "mesh" and now["train"]["a2e_gain_reference"] == "train+val"
    assert _what_runs("model", old) == _what_runs("model", now)
    old["train"]["render_epochs"] += 1
    assert _what_runs("model", old) != _what_runs("model", now)
    # ... unless the bench config sets the epochs itself (the "bench" config: 40, 12, 3)
    assert _what_runs("model", old, BENCH_CONFIGS["bench"]) == _what_runs("model", now, BENCH_CONFIGS["bench"])
    old["train"]["lr_renderer"] *= 2
    assert _what_runs("model", old, BENCH_CONFIGS["bench"]) != _what_runs("model", now, BENCH_CONFIGS["bench"])
    assert _what_runs("data", "abc") == "abc"


def test_the_bench_trains_with_the_papers_settings():
    """Table V compares the paper's variants with the paper's adversarial weight and plain L1; the
    expression gain is the bench config's, the same for every variant (bench: the speaker's motion;
    bench64: none, the paper's); a preset that changes them still matches old runs."""
    from generator.reproduction.ablations import BENCH_CONFIGS, FIG9, TABLE5, _what_runs, model_config
    from generator.config import paper, tiny, to_dict

    assert tiny().train.a2e_gain == "mesh"
    for name, gain, reference in (("bench", "mesh", "train+val"), ("bench64", "none", "val")):
        for ablation in [*TABLE5.values(), *FIG9.values()]:
            m = model_config(BENCH_CONFIGS[name], ablation, seed=1)
            assert (m.train.a2e_gain, m.train.a2e_gain_reference) == (gain, reference)
            assert m.loss.adversarial == paper().loss.adversarial
            assert m.loss.opening_balance == paper().loss.opening_balance == 0.0
    assert paper().train.a2e_gain == "none"
    changed = tiny()
    changed.loss.adversarial, changed.loss.opening_balance = 7.0, 0.5
    now = json.loads(json.dumps(to_dict(tiny())))
    assert _what_runs("model", json.loads(json.dumps(to_dict(changed)))) == _what_runs("model", now)


def test_a_folder_from_before_the_mark_setting_is_told_by_its_videos(tmp_path):
    """bench.json written before the ``mark`` setting: its first generated test video says whether the
    runs were marked (the frame watermark, the only mark then), so an unmarked folder (the committed
    Table V) resumes only with --no-mark; one written when the setting was a bool maps True to
    "frame" and False to "none"; a new folder records the setting's name."""
    from generator.errors import GeneratorError
    from generator.marking.watermark import embed
    from generator.reproduction.ablations import DATA_FILES, check_same_setup
    from msi.io.video import write_video

    cfg = BENCH_CONFIGS["quick"]
    assert cfg.mark == "audio"  # the default
    none, frame = (dataclasses.replace(cfg, mark=m) for m in ("none", "frame"))
    data = tmp_path / "data"
    data.mkdir()
    for name in DATA_FILES:
        np.save(data / name, np.zeros(3))
    check_same_setup(tmp_path, none, data)  # writes bench.json
    bench_json = tmp_path / "bench.json"
    setup = json.loads(bench_json.read_text())
    assert setup["config"]["mark"] == "none"

    def saved(mark) -> None:
        if mark is None:
            setup["config"].pop("mark", None)
        else:
            setup["config"]["mark"] = mark
        bench_json.write_text(json.dumps(setup))

    saved(None)
    check_same_setup(tmp_path, cfg, data)  # no test video yet: nothing to tell, nothing to refuse
    video = tmp_path / "runs" / "full__seed0" / "eval" / "own_0.mp4"
    video.parent.mkdir(parents=True)
    frames = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    write_video(video, frames, fps=25, crf=18)
    check_same_setup(tmp_path, none, data)
    refusal = "carry no invisible mark, as mark=none asks, not the audio mark, as mark=audio asks; rerun with mark=none"
    with pytest.raises(GeneratorError, match=refusal):
        check_same_setup(tmp_path, cfg, data)
    write_video(video, list(embed(frames, "0badf00d")), fps=25, crf=18)  # the same folder, its videos marked
    check_same_setup(tmp_path, frame, data)
    with pytest.raises(GeneratorError, match="carry the invisible frame watermark, as mark=frame asks, not no "):
        check_same_setup(tmp_path, none, data)
    # bench.json written when ``mark`` was a bool (whatever the videos say: the file is believed)
    saved(False)
    check_same_setup(tmp_path, none, data)
    with pytest.raises(GeneratorError, match=refusal):
        check_same_setup(tmp_path, cfg, data)
    saved(True)
    check_same_setup(tmp_path, frame, data)
    for other in (cfg, none):
        with pytest.raises(GeneratorError, match="carry the invisible frame watermark, as mark=frame asks"):
            check_same_setup(tmp_path, other, data)
    saved("both")
    with pytest.raises(GeneratorError, match="the invisible frame watermark and the audio mark, as mark=both asks"):
        check_same_setup(tmp_path, frame, data)
    with pytest.raises(GeneratorError, match="not one of audio, frame, both, none"):
        dataclasses.replace(cfg, mark="loud")


def test_the_bench_command_refuses_two_mark_settings(tmp_path, run_cli, one_line_error):
    """``--no-mark`` is ``--mark none``: the two contradicting is a one-line error before anything runs."""
    from generator.cli import main

    code, _, err = run_cli(["bench", "table5", "--out", tmp_path / "b", "--no-mark", "--mark", "frame"], main=main)
    one_line_error(code, err, "--no-mark and --mark frame", prog="stableface")
    assert not (tmp_path / "b").exists()
    code, _, err = run_cli(["bench", "table5", "--out", tmp_path / "b", "--mark", "loud"], main=main)
    one_line_error(code, err, "--mark", prog="stableface", exit_code=2)


@pytest.mark.slow
def test_the_bench_command_names_the_mark_settings_of_a_refused_folder(tmp_path, run_cli, one_line_error):
    """A folder of another mark setting is refused in one line naming both as flags (the default
    ``--mark audio`` on a folder of unmarked runs)."""
    from generator.cli import main
    from generator.reproduction.ablations import DATA_FILES
    from generator.data.dataset import ARRAY_FILES
    from generator.reproduction.ablations import check_same_setup

    out = tmp_path / "c"  # a folder of unmarked runs (its data set stands in: only its bytes are compared)
    (out / "data").mkdir(parents=True)
    for name in (*ARRAY_FILES, "audio.wav", "manifest.json"):
        (out / "data" / name).write_bytes(b"")
    for name in DATA_FILES:
        np.save(out / "data" / name, np.zeros(3))
    check_same_setup(out, dataclasses.replace(BENCH_CONFIGS["quick"], mark="none"), out / "data")
    code, _, err = run_cli(["bench", "table5", "--out", out, "--quick", "--report-only"], main=main)
    one_line_error(code, err, "as --no-mark asks, not the audio mark, as --mark audio asks; rerun with --no-mark",
                   prog="stableface")


@pytest.mark.slow
def test_the_bench_scoring_adds_lpips_when_its_weights_are_given(tmp_path, pristine_frames):
    """``--lpips-weights`` reaches the bench's scoring: the LPIPS column of a blurred copy against its
    truth is a positive number with the trunk's file (a random AlexNet in torchvision's layout; the
    linear layers are the installed lpips package's), NaN without it."""
    import cv2
    import torch

    from generator.reproduction.evaluate import evaluate_video
    from msi.io.video import write_video
    from msi.networks.lpips import BACKBONES, LPIPSNet

    torch.manual_seed(0)
    trunk = LPIPSNet(BACKBONES["alex"]).features.state_dict()
    torch.save({f"features.{k}": v for k, v in trunk.items()}, tmp_path / "alexnet.pth")
    frames = pristine_frames[:20]
    write_video(tmp_path / "truth.mp4", frames, fps=25, crf=0, threads=1)
    write_video(tmp_path / "blur.mp4", [cv2.GaussianBlur(f, (9, 9), 3) for f in frames], fps=25, threads=1)
    with_weights = evaluate_video(tmp_path / "blur.mp4", tmp_path / "truth.mp4", lpips_weights=str(tmp_path / "alexnet.pth"))
    without = evaluate_video(tmp_path / "blur.mp4", tmp_path / "truth.mp4")
    assert with_weights["error"] == "" and with_weights["lpips"] > 0 and np.isnan(without["lpips"])
