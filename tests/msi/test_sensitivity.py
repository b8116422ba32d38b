"""Encoding sensitivity: the ladder's encodes (size, rate, audio, cache), the arithmetic of the
movement table and of the flags on hand-made numbers, and the pass end to end through
``msi compare --sensitivity`` on real carphone copies."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest


def test_ladder_names_and_resampling():
    from msi.errors import UsageError
    from msi.comparison.sensitivity import LADDER, parse_ladder, resample_indices

    assert [r.name for r in LADDER] == ["crf18", "crf28", "crf35", "half", "fps25"]
    assert [r.name for r in parse_ladder("half, crf35,half")] == ["half", "crf35"]
    with pytest.raises(UsageError, match="unknown rung crf99"):
        parse_ladder("crf18,crf99")
    # 30 fps -> 25 fps over the same second: 25 frames, each the one on screen at k/25 s
    idx = resample_indices(30, 30.0, 25.0)
    assert len(idx) == 25 and idx[0] == 0 and idx[5] == 6 and idx[-1] == 28
    assert list(resample_indices(4, 12.5, 25.0)) == [0, 0, 1, 1, 2, 2, 3, 3]  # slower: frames repeat
    assert LADDER[4].applies(30.0) and not LADDER[4].applies(25.0) and LADDER[0].applies(25.0)


def _rows(values: dict[str, list[float]], col: str = "msi_lip") -> pd.DataFrame:
    """Per-video rows of two methods x two videos with ``col`` set (the rest NaN)."""
    from msi.metrics.registry import COLUMNS

    rows = []
    for method, vals in values.items():
        for name, v in zip(("v0", "v1"), vals):
            rows.append({"method": method, "name": name, **{c: math.nan for c in COLUMNS}, col: v, "error": None})
    return pd.DataFrame(rows)


@pytest.mark.slow  # msi.comparison.compare's imports (scipy, pandas): ~3 s
def test_movement_effect_and_flags_by_hand():
    """Given: a (1.0, 2.0), b (1.1, 2.3). Re-encoded: a (0.8, 1.9), b (1.1, 2.0).
    Δ = -0.2, -0.1, 0.0, -0.3: mean -0.15; |Δ| mean 0.15 = the encoding effect. Method means
    1.5 (a, the reference) and 1.7 (b): |difference| 0.2 > 0.15, not flagged; with b at
    (1.1, 2.1) the difference is 0.1 < 0.15: flagged."""
    from msi.comparison.compare import summarize
    from msi.comparison.sensitivity import LADDER, encoding_effect, flags, format_sensitivity, sensitivity_table

    given = _rows({"a": [1.0, 2.0], "b": [1.1, 2.3]})
    rung = _rows({"a": [0.8, 1.9], "b": [1.1, 2.0]})
    table = sensitivity_table(given, {"crf35": rung}, LADDER)
    r = table.set_index("metric").loc["msi_lip"]
    assert r["n"] == 4 and r["delta"] == pytest.approx(-0.15) and r["abs_delta"] == pytest.approx(0.15)
    assert r["delta_low"] < r["delta"] < r["delta_high"]
    assert list(table["metric"]) == ["msi_lip"]  # columns without values have no row
    assert encoding_effect(table)["msi_lip"] == (pytest.approx(0.15), "crf35")
    assert flags(summarize(given, "a"), table, "a") == {("b", "msi_lip"): False}
    close = _rows({"a": [1.0, 2.0], "b": [1.1, 2.1]})
    assert flags(summarize(close, "a"), table, "a") == {("b", "msi_lip"): True}
    md = format_sensitivity(table, summarize(close, "a"), "a")
    assert "| MSI-Lip | -0.150 [" in md and "0.150 (crf35)" in md and "every difference within" in md


def test_set_level_columns_move_per_method():
    from msi.comparison.sensitivity import LADDER, sensitivity_table

    given, rung = _rows({"a": [1, 2], "b": [1, 2]}), _rows({"a": [1, 2], "b": [1, 2]})
    given.attrs["set_metrics"] = [{"method": "a", "metric": "fid", "value": 10.0},
                                  {"method": "b", "metric": "fid", "value": 20.0}]
    rung.attrs["set_metrics"] = [{"method": "a", "metric": "fid", "value": 13.0},
                                 {"method": "b", "metric": "fid", "value": 19.0}]
    fid = sensitivity_table(given, {"half": rung}, LADDER).set_index("metric").loc["fid"]
    assert fid["level"] == "set" and fid["n"] == 2 and fid["delta"] == pytest.approx(1.0)
    assert fid["abs_delta"] == pytest.approx(2.0)


@pytest.mark.slow
def test_encodes_keep_audio_halve_size_reach_25_fps_and_are_cached(pristine_frames, tmp_path):
    from msi.io.audio import read_audio
    from msi.io.video import probe, write_video
    from msi.comparison.sensitivity import LADDER, encode_ladder

    t = np.arange(int(16000 * 36 / 30)) / 16000
    src = write_video(tmp_path / "in" / "clip.mp4", pristine_frames[:36], fps=30, audio=0.3 * np.sin(2 * np.pi * 220 * t),
                      threads=1)
    src25 = write_video(tmp_path / "in" / "clip25.mp4", pristine_frames[:10], fps=25, threads=1)
    rungs = {r.name: r for r in LADDER}
    methods = {"m": {"clip": src, "clip25": src25}}
    enc, notes = encode_ladder(methods, [rungs["half"], rungs["fps25"]], tmp_path / "enc", progress=False)
    assert notes == []
    half, fps25 = probe(enc["half"]["m"]["clip"]), probe(enc["fps25"]["m"]["clip"])
    assert (half.width, half.height) == (88, 72)  # carphone is 176 x 144
    assert fps25.fps == pytest.approx(25.0) and fps25.n_frames == 30  # 36 frames at 30 fps = 1.2 s
    assert "clip25" not in enc["fps25"]["m"] and "clip25" in enc["half"]["m"]  # already at 25 fps
    assert read_audio(enc["half"]["m"]["clip"]).samples.std() > 1000  # the tone survived
    stamp = {p: (tmp_path / "enc" / p).stat().st_mtime_ns for p in (tmp_path / "enc").iterdir()}
    again, _ = encode_ladder(methods, [rungs["half"], rungs["fps25"]], tmp_path / "enc", progress=False)
    assert again == enc
    assert stamp == {p: (tmp_path / "enc" / p).stat().st_mtime_ns for p in (tmp_path / "enc").iterdir()}


@pytest.mark.slow
def test_sensitivity_through_msi_compare(pristine_frames, tmp_path, run_cli, monkeypatch):
    """Two methods that differ a lot (a copy and a shaken copy): MSI-Lip's difference is far above
    its encoding effect (no mark); the table, the tidy rows and the figure come out. A rerun reads
    every rung's encodes and columns from the caches: no column runs."""
    import cv2

    from msi.io.video import write_video

    # 28 frames, two MSI windows: shaken's MSI-Lip difference over its encoding effect measured
    # 0.182 / 0.034 = 5.4 here (5.9 on 40 frames)
    frames = pristine_frames[:28]
    rng = np.random.default_rng(0)
    shaken = [cv2.warpAffine(f, np.float32([[1, 0, dx], [0, 1, dy]]), f.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
              for f, (dx, dy) in zip(frames, rng.integers(-3, 4, size=(len(frames), 2)))]
    for m, fr in (("real", frames), ("shaken", shaken)):
        write_video(tmp_path / m / "clip.mp4", fr, fps=25, threads=1)
    argv = ["compare", f"real={tmp_path / 'real'}", f"shaken={tmp_path / 'shaken'}", "--sensitivity", "--ladder",
            "crf35,half,fps25", "--sensitivity-out", tmp_path / "s.json", "--cache-dir", tmp_path / "cache",
            "--cpbd-step", "7"]  # CPBD, which nothing here checks, on 4 of the 28 frames
    code, out, err = run_cli([*argv, "--sensitivity-plot", tmp_path / "s.png"])
    assert code == 0, err
    assert "fps25: no video needs it" in err
    assert "Encoding sensitivity" in out and "| MSI-Lip |" in out and "Δ H.264 CRF 35" in out
    rows = json.loads((tmp_path / "s.json").read_text())
    assert {r["rung"] for r in rows} == {"crf35", "half"}
    lip = {r["rung"]: r for r in rows if r["metric"] == "msi_lip"}
    assert lip["half"]["n"] == 2 and math.isfinite(lip["half"]["abs_delta"])
    table_row = next(ln for ln in out.splitlines() if ln.startswith("| shaken |"))
    assert "≈" not in table_row.split("|")[2]  # MSI-Lip: shaking moves it far more than encoding
    assert (tmp_path / "s.png").stat().st_size > 10_000
    assert len(list((tmp_path / "cache" / "encodes").glob("*.mp4"))) == 4

    # a rerun: every rung's copies are cached encodes whose columns the feature cache holds (keyed by
    # their content), so no column runs and the rows are the same
    import msi.comparison.video_columns as vc

    calls, run_metric = [], vc.run_metric
    monkeypatch.setattr(vc, "run_metric", lambda m, ctx: calls.append(m) or run_metric(m, ctx))
    code, again, err = run_cli(argv)  # without the figure (drawn above): its stdout and tidy rows are the same
    monkeypatch.undo()
    assert code == 0 and not calls, (err, calls)
    assert json.loads((tmp_path / "s.json").read_text()) == rows and again == out
    code, _, err = run_cli(["compare", f"real={tmp_path / 'real'}", "--ladder", "half"])
    assert code == 2 and "--ladder needs --sensitivity" in err
