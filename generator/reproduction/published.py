"""The paper's published numbers, shipped as data, and how ours read beside them.

The CSV files in ``generator/reproduction/paper/`` are transcribed from J. Ling, X. Tan, L. Chen, R. Li,
Y. Zhang, S. Zhao, L. Song, "StableFace: Analyzing and Improving Motion Stability for Talking Face
Generation", arXiv:2208.13717 (Tables II-V; see ``paper/README.md`` there). Figures, not code.

Absolute MSI depends on the landmark tracker (the paper's is a proprietary 669-point one), so a
comparison reads **directions and ratios to the full model**, never absolute values:

* the paper's direction of a component: sign(paper(variant) - paper(full)), per test set;
* ours: the paired 95% interval of ours(variant) - ours(full) over seeds. ``reproduced`` when it
  excludes 0 on the paper's side, ``opposite`` when it excludes 0 on the other side, and
  ``unresolved`` when it contains 0. Where the paper's two test sets disagree, its direction is
  ``mixed`` and nothing can be reproduced.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

CITATION = ("Ling et al., \"StableFace: Analyzing and Improving Motion Stability for Talking Face Generation\", "
            "arXiv:2208.13717")


def paper_table(name: str = "table5_ablation") -> pd.DataFrame:
    """One of the shipped tables (``table2_grid``, ``table3_methods``, ``table4_correlation``,
    ``table5_ablation``) as a DataFrame."""
    with resources.files("generator.reproduction").joinpath("paper", f"{name}.csv").open() as f:
        return pd.read_csv(f)


def paper_direction(table: pd.DataFrame, variant: str, metric: str, reference: str = "full") -> tuple[str, dict]:
    """("+", "-", "mixed" or "" when the paper has no number) and the paper's value and ratio to the
    reference per test set: {testset: (value, ratio)}."""
    per_set: dict = {}
    signs = set()
    for ts, part in table.groupby("testset"):
        v = part.loc[part["variant"] == variant, metric]
        r = part.loc[part["variant"] == reference, metric]
        if v.empty or r.empty:
            continue
        value, ref = float(v.iloc[0]), float(r.iloc[0])
        per_set[int(ts)] = (value, value / ref if ref else float("nan"))
        if value != ref:
            signs.add("+" if value > ref else "-")
    direction = "" if not per_set else ("mixed" if len(signs) > 1 else (signs.pop() if signs else "0"))
    return direction, per_set


def verdict(paper_sign: str, ci_low: float, ci_high: float) -> str:
    """reproduced / opposite / unresolved (the interval contains 0) for our paired interval."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "unresolved"
    if ci_low <= 0 <= ci_high:
        return "unresolved"
    ours = "+" if ci_low > 0 else "-"
    if paper_sign not in ("+", "-"):
        return f"ours {ours}"  # the paper's own direction is mixed (or absent): nothing to reproduce
    return "reproduced" if ours == paper_sign else "opposite"
