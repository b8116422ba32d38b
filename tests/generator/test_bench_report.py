"""The bench's report beside the paper: shipped numbers, directions, power, variation, the motion chain."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from generator.reproduction.ablations import clip_mean
from generator.reproduction.tables import MOTION_RANGE, report
from msi.stats import minimum_detectable
from generator.reproduction.published import paper_direction, paper_table, verdict
from generator.reproduction.motion_chain import segment_bounds


def test_the_papers_table5_ships_with_the_package():
    t = paper_table("table5_ablation")
    assert set(t["variant"]) == {"full", "wo-fusion", "wo-smoothing", "wo-erosion", "wo-dependency", "baseline"}
    full1 = t[(t.variant == "full") & (t.testset == 1)].iloc[0]
    assert full1["msi_lip"] == pytest.approx(0.504) and full1["msi_jaw"] == pytest.approx(0.997)
    assert len(paper_table("table4_correlation")) == 2


def test_paper_directions_and_verdicts():
    t = paper_table("table5_ablation")
    sign, per_set = paper_direction(t, "baseline", "msi_lip")
    assert sign == "-" and per_set[1] == pytest.approx((0.378, 0.378 / 0.504))
    assert paper_direction(t, "wo-fusion", "msi_lip")[0] == "mixed"  # 0.510 > 0.504 on T1, 0.560 < 0.565 on T2
    assert paper_direction(t, "nonexistent", "msi_lip") == ("", {})
    assert verdict("-", -0.2, -0.05) == "reproduced"
    assert verdict("-", 0.01, 0.2) == "opposite"
    assert verdict("-", -0.1, 0.02) == "unresolved"
    assert verdict("-", np.nan, np.nan) == "unresolved"


def test_minimum_detectable_difference_is_the_power_formula():
    d = np.array([0.01, -0.02, 0.03, 0.0, 0.015])
    n = len(d)
    expected = (stats.t.ppf(0.975, n - 1) + stats.t.ppf(0.8, n - 1)) * d.std(ddof=1) / np.sqrt(n)
    assert minimum_detectable(d) == pytest.approx(expected)
    assert minimum_detectable(np.array([0.1])) != minimum_detectable(np.array([0.1]))  # NaN with one pair
    # more pairs of the same spread detect smaller differences
    assert minimum_detectable(np.tile(d, 4)) < minimum_detectable(d)


def test_segments_and_clip_means():
    assert segment_bounds(450, 3) == [(0, 150), (150, 300), (300, 450)]
    assert segment_bounds(10, 3) == [(0, 3), (3, 7), (7, 10)]
    row = clip_mean([{"clip": 0, "msi_lip": 0.5, "error": ""}, {"clip": 1, "msi_lip": np.nan, "error": "x"},
                     {"clip": 2, "msi_lip": 0.7, "error": ""}])
    assert row["msi_lip"] == pytest.approx(0.6) and row["error"] == "x" and "clip" not in row


def _runs(effect: float, seeds: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for v, shift, motion in (("full", 0.0, 1.0), ("baseline", effect, 0.6)):
        for s in range(seeds):
            clips = [{"clip": k, "msi_lip": 0.5 + shift + rng.normal(0, 0.01), "motion_ratio": motion} for k in range(3)]
            chain = [{"background": "own", "clip": k, "link": st, "msi_lip": 0.4, "msi_jaw": 0.6, "motion_ratio": 0.9}
                      for k in range(3) for st in ("mesh_predicted", "mesh_smoothed", "rendered", "encoded", "truth_encoded")]
            rows.append({"variant": v, "seed": s, **clip_mean(clips), "msi_jaw": 0.9, "error": "",
                         "clips": clips, "chain": chain})
    return pd.DataFrame(rows)


def test_report_shows_paper_direction_flags_motion_and_lists_every_section():
    md, summary, diffs = report(_runs(-0.1), ["full", "baseline"], "full", paper=paper_table("table5_ablation"))
    assert "| baseline | msi_lip | 0.378 (0.750) | 0.503 (0.890) |" in md
    line = next(x for x in md.splitlines() if x.startswith("| baseline | msi_lip | 0.378"))
    assert line.endswith("reproduced (paper -) |")
    assert f"**no** (0.60)" in md and MOTION_RANGE == (0.85, 1.15)  # the baseline's mouth moves too little
    assert "minimum detectable difference" in md and "Variation (standard deviations)" in md
    assert "| full (adaptive smoothing) | 0.400 / 0.600 / 0.90 |" in md  # the motion chain
    # the other direction: opposite
    md, _, _ = report(_runs(+0.1), ["full", "baseline"], "full", paper=paper_table("table5_ablation"))
    line = next(x for x in md.splitlines() if x.startswith("| baseline | msi_lip | 0.378"))
    assert line.endswith("opposite (paper -) |")
