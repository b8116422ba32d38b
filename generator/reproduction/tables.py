"""The bench's tables as markdown: Table V and Fig. 9 with their intervals, the paper beside ours,
Fig. 9 on the paper's reasons, the variation between seeds and clips, the motion chain, the
adaptive weights per run and what the invisible mark moves. Pure: a DataFrame of finished runs (``generator.reproduction.runs``) in,
text out; statistics from ``msi.stats``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from generator.reproduction.ablations import EFFECT_COLUMNS, LABELS, METRICS
from generator.reproduction.marks import DEFAULT_MARK, marks_phrase
from generator.reproduction.runs import slug
from msi.stats import format_cell, minimum_detectable, paired_differences, summarize_groups

#: Fig. 9 judged on the paper's reasons for adaptive smoothing, not on MSI alone: (column, label, the
#: paper's direction of variant - adaptive, what it means). ``fast_motion_gap`` is |fast_motion - 1|.
FIG9_REASONS = (
    ("msi_lip", "MSI-Lip", "-", "adaptive steadier (what MSI sees; it also rewards over-smoothing)"),
    ("accel_error", "acceleration error", "+", "adaptive's lip accelerations closer to the truth's"),
    ("fast_motion_gap", "fast motion, distance from 1", "+", "adaptive keeps the fastest syllables' speed (no over-smoothing)"),
    ("lip_audio_r", "lip-audio r", "-", "adaptive in better sync (the proxy)"),
    ("lse_c", "LSE-C", "-", "adaptive in better sync (SyncNet)"),
)


#: A variant whose mouth moves outside this range of the truth's motion is flagged: its MSI then
#: measures missing (or extra) motion as much as jitter.
MOTION_RANGE = (0.85, 1.15)
#: Links of ``generator.reproduction.motion_chain`` shown per variant in the chain table.
CHAIN_ROWS = ("mesh_predicted", "mesh_smoothed", "rendered", "encoded")


def report(runs: pd.DataFrame, variants: list[str], reference: str, truth: dict | None = None,
           paper: pd.DataFrame | None = None, mark: str = DEFAULT_MARK) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Markdown (the table with mean ± CI per cell and the motion flag, the paired differences with
    their half-width and minimum detectable difference, the paper beside ours with a direction
    column, the variation between seeds and between clips, and the motion chain), the tidy summary,
    and the paired differences. ``paper``: the paper's table (``generator.reproduction.published``);
    ``mark``: the ``generator.reproduction.marks.MARKS`` setting the generated videos carry."""
    # MSI is always shown (a dash when no run could be scored); the rest only when computable.
    metrics = [m for m in METRICS if m in ("msi_lip", "msi_jaw") or (m in runs and runs[m].notna().any())]
    runs = runs.reindex(columns=list(dict.fromkeys([*runs.columns, *metrics, "error"])))
    summary = summarize_groups(runs, metrics)
    diffs = paired_differences(runs, metrics, reference=reference)
    head = ["variant", "runs", "failed"] + metrics + ["motion matched"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lo_ok, hi_ok = MOTION_RANGE
    for v in variants:
        s = summary[summary["variant"] == v].set_index("metric")
        if s.empty:
            continue
        cells = [format_cell(s.at[m, "mean"], s.at[m, "ci_low"], s.at[m, "ci_high"]) for m in metrics]
        mine = runs[runs["variant"] == v]
        failed = int((mine["error"].fillna("") != "").sum())
        ratio = s.at["motion_ratio", "mean"] if "motion_ratio" in s.index else np.nan
        flag = "yes" if lo_ok <= ratio <= hi_ok else ("—" if not np.isfinite(ratio) else f"**no** ({ratio:.2f})")
        lines.append(f"| {LABELS.get(v, v)} | {len(mine)} | {failed} | " + " | ".join(cells) + f" | {flag} |")
    if truth:
        lines.append("| ground truth | 1 | 0 | " + " | ".join(
            f"{truth[m]:.3f}" if np.isfinite(truth.get(m, np.nan)) else "—" for m in metrics) + " | |")
    md = "\n".join(lines)
    md += (f"\n\n`motion matched`: the variant's mouth motion is {lo_ok:g}-{hi_ok:g} x the truth's; outside it, "
           "MSI also measures missing (or extra) motion, not only jitter.")
    if len(diffs):
        md += _paired_section(runs, diffs, variants, metrics, reference)
        if paper is not None and "variant" in paper.columns:
            md += _paper_section(paper, diffs, summary, variants, reference)
    if set(variants) >= {"fixed", "global", reference}:
        md += _reasons_section(runs, variants, reference)
    md += _variation_section(runs, variants)
    md += _chain_section(runs, variants)
    md += _weights_section(runs, variants)
    md += mark_effect_section(runs, variants, mark)
    return md, summary, diffs


def mark_effect(runs: pd.DataFrame) -> pd.DataFrame:
    """What the invisible mark moves, one row per (variant, seed, column) of the runs scored
    both ways (``unmarked_clips``, ``generator.reproduction.ablations.evaluate_run``): the column's
    mean over clips unmarked and marked (clips where both are finite), their difference (marked -
    unmarked) and the relative difference. Empty when no run was scored unmarked (``--no-mark``, or
    runs made before the bench measured it)."""
    names = ["variant", "seed", "column", "clips", "unmarked", "marked", "change", "relative_change"]
    rows = []
    if "unmarked_clips" not in runs:
        return pd.DataFrame(rows, columns=names)
    for _, run in runs.iterrows():
        plain, marked = run.get("unmarked_clips"), run.get("clips")
        if not isinstance(plain, list) or not isinstance(marked, list):
            continue
        by_clip = {c["clip"]: c for c in marked}
        for col in EFFECT_COLUMNS:
            pairs = np.array([(float(u.get(col, np.nan)), float(by_clip.get(u["clip"], {}).get(col, np.nan)))
                              for u in plain], dtype=float).reshape(-1, 2)
            pairs = pairs[np.isfinite(pairs).all(axis=1)]
            if not len(pairs):
                continue  # e.g. LPIPS without its weights, or no face drawn yet
            u, m = pairs.mean(axis=0)
            rows.append({"variant": run["variant"], "seed": int(run["seed"]), "column": col, "clips": len(pairs),
                         "unmarked": u, "marked": m, "change": m - u,
                         "relative_change": (m - u) / abs(u) if u != 0 else np.nan})
    return pd.DataFrame(rows, columns=names)


def mark_effect_section(runs, variants, mark: str = DEFAULT_MARK) -> str:
    """Per column: unmarked and marked means over the runs, the change with its 95% t-interval over
    runs, the mean relative change and the mean absolute relative change (a run's noise included).
    ``mark``: the ``MARKS`` setting the runs' videos carry (it names the mark)."""
    from msi.stats import mean_ci

    mine = runs[runs["variant"].isin(variants)] if "variant" in runs else runs.iloc[:0]
    eff = mark_effect(mine)
    what = f"What {marks_phrase(mark)} moves"
    if eff.empty:
        scored_both = "unmarked_clips" in mine and mine["unmarked_clips"].map(lambda c: isinstance(c, list)).any()
        return (f"\n\n{what}: no column could be scored on both the marked and the "
                "unmarked copy (a model trained this little may draw no face)." if scored_both else "")
    lines = [f"\n\n{what}: each run's test clips scored as written (marked) and the same "
             f"frames and speech written unmarked, both against the unmarked truth; over {eff[['variant', 'seed']].drop_duplicates().shape[0]} "
             "runs (every variant and seed; per run the mean over its clips): the change marked − unmarked, mean "
             "[95% CI over runs], and the relative change, mean and mean of its absolute value:\n",
             "| column | unmarked | marked | change [95% CI] | relative change: mean, mean abs |", "|---|---|---|---|---|"]
    for col in EFFECT_COLUMNS:
        e = eff[eff["column"] == col]
        if e.empty:
            continue
        m, lo, hi, n = mean_ci(e["change"])
        ci = f" [{lo:+.4f}, {hi:+.4f}]" if np.isfinite(lo) else ""
        rel = e["relative_change"].to_numpy(dtype=float)
        lines.append(f"| {col} | {e['unmarked'].mean():.4f} | {e['marked'].mean():.4f} | {m:+.4f}{ci} | "
                     f"{100 * np.nanmean(rel):+.2f} %, {100 * np.nanmean(np.abs(rel)):.2f} % |")
    return "\n".join(lines)


def _reasons_section(runs, variants, reference) -> str:
    """Fig. 9 on the paper's reasons: each column's paired difference (variant - adaptive) over seeds,
    with a direction column against the paper's claim that adaptive smoothing is the better one."""
    from generator.reproduction.published import verdict

    runs = runs.copy()
    runs["fast_motion_gap"] = (runs["fast_motion"] - 1).abs() if "fast_motion" in runs else np.nan
    cols = [(c, label, sign, why) for c, label, sign, why in FIG9_REASONS if c in runs and runs[c].notna().any()]
    diffs = paired_differences(runs, [c for c, *_ in cols], reference=reference)
    lines = [f"\n\nFig. 9 on the paper's reasons (Sec. 3.2: a fixed kernel over-smooths fast movement or "
             f"under-smooths jitter), paired against {LABELS.get(reference, reference)} over seeds: variant − "
             "adaptive, mean [95% CI], and whether it goes the paper's way:\n",
             "| variant | column | variant | adaptive | variant − adaptive [95% CI] | paper's side | direction |",
             "|---|---|---|---|---|---|---|"]
    for v in variants:
        if v == reference:
            continue
        for c, label, sign, why in cols:
            d = diffs[(diffs["variant"] == v) & (diffs["metric"] == c)]
            if d.empty or not np.isfinite(d["mean_diff"].iloc[0]):
                continue
            r = d.iloc[0]
            # the means over the seeds both have: the pairs the difference is taken over
            mine, ref = (runs[runs["variant"] == x].set_index("seed")[c] for x in (v, reference))
            common = mine.index.intersection(ref.index)
            mine, ref = mine.loc[common].mean(), ref.loc[common].mean()
            ci = f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]" if np.isfinite(r["ci_low"]) else ""
            lines.append(f"| {LABELS.get(v, v)} | {label} | {_num(mine)} | {_num(ref)} | {r['mean_diff']:+.3f}{ci} | "
                         f"{sign}: {why} | {verdict(sign, r['ci_low'], r['ci_high'])} |")
    return "\n".join(lines) if len(lines) > 3 else ""  # no pair with a value: no table


def _weights_section(runs, variants) -> str:
    """Per run, the expression gain and how the adaptive weights vary with the mouth's speed
    (``generator.reproduction.adaptation``)."""
    if "weights" not in runs:
        return ""
    rows = ["\n\nThe expression gain and the smoothing weights, per run (``generator.reproduction.adaptation``): the "
            "gain fitted after smoothing, and, for adaptive smoothing on the test split's predicted expressions, the "
            "centre weight's mean ± spread over frames and its Pearson r with the expression speed and with the "
            "mouth's opening speed (> 0: less smoothing where the mouth moves fast):\n",
            "| variant | seed | gain | centre weight | r(centre, expression speed) | r(centre, mouth speed) |",
            "|---|---|---|---|---|---|"]
    for v in variants:
        for _, run in runs[runs["variant"] == v].sort_values("seed").iterrows():
            w = run["weights"]
            if not isinstance(w, dict):
                continue
            gain = f"{w['gain']:.3f}" if w.get("gain") is not None else "—"
            cells = ["—", "—", "—"]
            if w.get("mode") == "adaptive" and "predicted" in w:
                p, m = w["predicted"], w.get("mouth", {})
                cells = [f"{p['centre_mean']:.3f} ± {p['centre_spread']:.3f}", _num(p["corr_centre_speed"], ".2f"),
                         _num(m.get("corr_centre_speed", np.nan), ".2f")]
            rows.append(f"| {LABELS.get(v, v)} | {int(run['seed'])} | {gain} | " + " | ".join(cells) + " |")
    return "\n".join(rows) if len(rows) > 3 else ""


def _num(x: float, fmt: str = ".3f") -> str:
    return format(x, fmt) if np.isfinite(x) else "—"


def _paired_section(runs, diffs, variants, metrics, reference) -> str:
    md = (f"\n\nPaired difference against {LABELS.get(reference, reference)} (same seed, same shared stages), "
          "mean [95% CI], p (paired t-test):\n\n")
    dl = ["| variant | " + " | ".join(metrics) + " |", "|" + "---|" * (len(metrics) + 1)]
    for v in variants:
        d = diffs[diffs["variant"] == v].set_index("metric")
        if d.empty:
            continue
        dl.append(f"| {LABELS.get(v, v)} | " + " | ".join(_diff_cell(d, m) for m in metrics) + " |")
    md += "\n".join(dl)
    # MSI-Lip: the paired interval's half-width, and the smallest difference these seeds detect
    ref = runs[runs["variant"] == reference].set_index("seed")["msi_lip"]
    rows = ["| variant | pairs | MSI-Lip half-width | minimum detectable difference (80% power) |", "|---|---|---|---|"]
    for v in variants:
        if v == reference:
            continue
        mine = runs[runs["variant"] == v].set_index("seed")["msi_lip"]
        common = mine.index.intersection(ref.index)
        dv = (mine.loc[common] - ref.loc[common]).to_numpy(dtype=float)
        d = diffs[(diffs["variant"] == v) & (diffs["metric"] == "msi_lip")]
        half = float((d["ci_high"] - d["ci_low"]).iloc[0] / 2) if len(d) else np.nan
        mdd = minimum_detectable(dv)
        rows.append(f"| {LABELS.get(v, v)} | {len(common)} | {_num(half)} | {_num(mdd)} |")
    return md + "\n\n" + "\n".join(rows)


def _paper_section(paper, diffs, summary, variants, reference) -> str:
    from generator.reproduction.published import CITATION, paper_direction, verdict

    lines = [f"\n\nThe paper beside ours ({CITATION}, Table V; MSI depends on the tracker, so read ratios to "
             "full and directions, not absolute values):\n",
             "| variant | metric | paper T1 (/ full) | paper T2 (/ full) | ours (/ full) | ours − full [95% CI] | direction |",
             "|---|---|---|---|---|---|---|"]
    for metric in ("msi_lip", "msi_jaw"):
        ours_full = summary[(summary["variant"] == reference) & (summary["metric"] == metric)]["mean"]
        for v in variants:
            if v == reference:
                continue
            sign, per_set = paper_direction(paper, slug(v), metric, reference)
            cells = [f"{per_set[t][0]:.3f} ({per_set[t][1]:.3f})" if t in per_set else "—" for t in (1, 2)]
            mine = summary[(summary["variant"] == v) & (summary["metric"] == metric)]["mean"]
            ratio = float(mine.iloc[0] / ours_full.iloc[0]) if len(mine) and len(ours_full) else np.nan
            d = diffs[(diffs["variant"] == v) & (diffs["metric"] == metric)]
            if d.empty:
                continue
            r = d.iloc[0]
            if not np.isfinite(r["mean_diff"]):
                lines.append(f"| {LABELS.get(v, v)} | {metric} | {cells[0]} | {cells[1]} | — | — | — (paper {sign}) |")
                continue
            call = verdict(sign, r["ci_low"], r["ci_high"]) if sign else "no paper number"
            ci = f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]" if np.isfinite(r["ci_low"]) else ""
            lines.append(f"| {LABELS.get(v, v)} | {metric} | {cells[0]} | {cells[1]} | "
                         f"{mine.iloc[0]:.3f} ({ratio:.3f}) | {r['mean_diff']:+.3f}{ci} | {call} (paper {sign}) |")
    return "\n".join(lines)


def _variation_section(runs, variants) -> str:
    """Between seeds (the std of the per-seed clip means) and between clips (the std over one seed's
    clips, averaged over seeds), for MSI-Lip and the motion ratio."""
    if "clips" not in runs:
        return ""
    rows = ["\n\nVariation (standard deviations): between seeds of the clip means, and between the clips of "
            "one seed (mean over seeds):\n", "| variant | MSI-Lip, seeds | MSI-Lip, clips | motion ratio, seeds | "
            "motion ratio, clips |", "|---|---|---|---|---|"]
    for v in variants:
        mine = runs[runs["variant"] == v]
        if mine.empty:
            continue
        cells = []
        for m in ("msi_lip", "motion_ratio"):
            seeds = mine[m].to_numpy(dtype=float)
            within = [np.nanstd([c.get(m, np.nan) for c in clips], ddof=1) for clips in mine["clips"]
                      if isinstance(clips, list) and len(clips) > 1]
            finite = seeds[np.isfinite(seeds)]
            within = [w for w in within if np.isfinite(w)]
            cells += [_num(np.std(finite, ddof=1)) if len(finite) > 1 else "—",
                      _num(np.mean(within)) if within else "—"]
        rows.append(f"| {LABELS.get(v, v)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _chain_cell(st: pd.DataFrame, link: str) -> str:
    """One link's MSI-Lip / MSI-Jaw / motion ratio (means over seeds and clips), or a dash."""
    if link not in st.index:
        return "—"
    return " / ".join(_num(st.at[link, c], f) for c, f in (("msi_lip", ".3f"), ("msi_jaw", ".3f"), ("motion_ratio", ".2f")))


def _chain_section(runs, variants) -> str:
    """MSI-Lip / MSI-Jaw / motion ratio at every link of the motion chain, mean over seeds and clips,
    per variant."""
    if "chain" not in runs:
        return ""
    rows = ["\n\nWhere jitter enters and leaves (``generator.reproduction.motion_chain``, re-enactment; mean over seeds "
            "and clips): MSI-Lip / MSI-Jaw / motion ratio of the meshes from the predicted expressions, after "
            "smoothing, the rendered frames before encoding and the encoded video:\n",
            "| variant | " + " | ".join(CHAIN_ROWS) + " | truth video |", "|" + "---|" * (len(CHAIN_ROWS) + 2)]
    for v in variants:
        links = [r for lst in runs.loc[runs["variant"] == v, "chain"] if isinstance(lst, list) for r in lst]
        if not links:
            continue
        st = pd.DataFrame(links).groupby("link").mean(numeric_only=True)
        cells = [_chain_cell(st, k) for k in (*CHAIN_ROWS, "truth_encoded")]
        rows.append(f"| {LABELS.get(v, v)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _diff_cell(d: pd.DataFrame, m: str) -> str:
    if m not in d.index or not np.isfinite(d.at[m, "mean_diff"]):
        return "—"
    lo, hi, p = d.at[m, "ci_low"], d.at[m, "ci_high"], d.at[m, "p"]
    ci = f" [{lo:+.3f}, {hi:+.3f}]" if np.isfinite(lo) else ""
    pv = f", p={p:.2g}" if np.isfinite(p) else ""
    return f"{d.at[m, 'mean_diff']:+.3f}{ci}{pv}"
