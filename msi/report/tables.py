"""The comparison table rendered: a wide human table (one row per method, one cell per column:
"mean [95% CI] (n=…) p=…") as Markdown or LaTeX, the tidy rows as CSV or JSON, and the
published numbers read to print beside ours.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from msi.errors import UsageError
from msi.metrics.registry import TABLE_COLUMNS, shown_columns


def read_paper_table(path: str | os.PathLike):
    """A table of published numbers to print beside ours: CSV with a ``method`` column and any of
    the metric columns of :data:`COLUMNS` (e.g. ``method,msi_lip,msi_jaw,lse_c``), one row per
    method. Nothing is shipped: the user transcribes the paper's values."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such paper table")
    try:
        t = pd.read_csv(p)
    except Exception as exc:  # parser errors of any kind: one line
        raise UsageError(f"{p}: not a readable CSV ({type(exc).__name__})") from None
    if "method" not in t.columns:
        raise UsageError(f"{p}: needs a 'method' column (found: {', '.join(map(str, t.columns))})")
    known = [c for c in t.columns if c in TABLE_COLUMNS]
    if not known:
        raise UsageError(f"{p}: no metric column; use any of {', '.join(TABLE_COLUMNS)}")
    return t[["method", *known]]


def _cell(r, fmt: str, with_n: bool, with_p: bool) -> str:
    if r["n"] == 0:
        return "–"
    s = fmt.format(r["mean"])
    if np.isfinite(r["ci_low"]):
        s += f" [{fmt.format(r['ci_low'])}, {fmt.format(r['ci_high'])}]"
    if with_n:
        s += f" (n={r['n']})"
    if with_p and np.isfinite(r["p_wilcoxon"]):
        s += f" p={r['p_wilcoxon']:.3g}"
    return s


def wide_table(summary, paper=None, marks: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the human table: one row per method, one cell per metric
    "mean [95% CI] (n=…) p=…" (+ ``marks[(method, metric)]``, if any); the paper's rows (if
    given) below, marked "(paper)"."""
    cols = shown_columns(summary)
    if paper is not None:
        cols += [c for c in paper.columns if c in TABLE_COLUMNS and c not in cols]
    arrow = {1: " ↑", -1: " ↓", 0: ""}
    header = ["method", *[TABLE_COLUMNS[c].label + arrow[TABLE_COLUMNS[c].better] for c in cols], "failed"]
    rows = []
    for method, sub in summary.groupby("method", sort=False):
        by = sub.set_index("metric")
        cells = [_cell(by.loc[c], TABLE_COLUMNS[c].fmt, True, True) + (marks or {}).get((method, c), "")
                 if c in by.index else "–" for c in cols]
        rows.append([str(method), *cells, str(int(sub["n_failed"].iloc[0]))])
    if paper is not None:
        for _, r in paper.iterrows():
            rows.append([f"{r['method']} (paper)",
                         *[TABLE_COLUMNS[c].fmt.format(r[c]) if c in paper.columns and np.isfinite(r[c]) else "–"
                           for c in cols], ""])
    return header, rows


def format_table(summary, fmt: str = "md", paper=None, per_video=None, marks: dict | None = None,
                 provenance: dict | None = None) -> str:
    """The summary as ``md`` (Markdown table), ``latex`` (tabular), ``csv`` or ``json`` (tidy rows,
    with the per-video rows under "videos" in JSON); ``marks``: {(method, metric): text} appended
    to those cells of the md/latex table."""
    import json

    if fmt == "csv":
        return summary.to_csv(index=False)
    if fmt == "json":
        doc = {"summary": json.loads(summary.to_json(orient="records"))}
        if per_video is not None:
            doc["videos"] = json.loads(per_video.to_json(orient="records"))
        if paper is not None:
            doc["paper"] = json.loads(paper.to_json(orient="records"))
        if provenance is not None:  # per column: what produced it (msi.comparison.provenance)
            doc["provenance"] = {c: p for c, p in provenance.items() if c in set(summary["metric"])}
        return json.dumps(doc, indent=1)
    header, rows = wide_table(summary, paper, marks)
    if fmt == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        def esc(s: str) -> str:
            return (s.replace("\\", "\\textbackslash{}").replace("&", "\\&").replace("%", "\\%").replace("_", "\\_")
                    .replace("#", "\\#").replace("↑", "$\\uparrow$").replace("↓", "$\\downarrow$")
                    .replace("–", "--").replace("≈", "$\\approx$"))

        lines = ["\\begin{tabular}{l" + "c" * (len(header) - 1) + "}", "\\toprule",
                 " & ".join(esc(h) for h in header) + " \\\\", "\\midrule"]
        lines += [" & ".join(esc(c) for c in r) + " \\\\" for r in rows]
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown table format {fmt!r}")
