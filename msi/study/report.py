"""The analysis of a study as files: CSV and JSON for machines, one markdown page for people,
and the preference figure (PNG).

Files written into the output folder (:func:`write_outputs`):

* ``screening.csv``: one row per rater, the measures and the reasons of each exclusion;
* ``mos.csv``: Table III (method, question, n, raters, mos, ci_low, ci_high);
* ``per_video_mos.csv``: one row per video, read directly by ``msi correlate`` (key ``video``,
  subjective columns named after the questions);
* ``preference.csv`` and ``preference.png``: Fig. 8/9;
* ``agreement.csv``: Krippendorff's α and ICC;
* ``dmos.csv``, ``cmos.csv``: DCR and CCR answers' DMOS and CMOS (when there are any);
* ``scale.csv``, ``win_probability.csv``, ``ranking.png``, ``ranking.tex``: pairs over three or
  more methods scaled (Thurstone Case V in JOD, Bradley-Terry in log-odds) with intervals, the
  probability that each method is preferred to each other, the ranking figure and the paper table;
* ``summary.json``: all of the above; ``report.md``: the tables as markdown.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from msi.stats import format_cell
from msi.study.analysis import Analysis
from msi.study.scaling import ranking_figure, ranking_latex, ranking_markdown
from msi.study.design import QUESTIONS


def _title(q: str) -> str:
    return QUESTIONS.get(q, {}).get("title", q)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"


def _p(p: float) -> str:
    return "—" if not np.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def mos_markdown(mos: pd.DataFrame) -> str:
    """Table III: methods as rows, questions as columns, ``MOS ± half-width (n)``."""
    if mos.empty:
        return "_No ACR answers._\n"
    questions = list(dict.fromkeys(mos["question"]))
    rows = []
    for method, g in mos.groupby("method", sort=False):
        cells = g.set_index("question")
        rows.append([method] + [f"{format_cell(cells.loc[q, 'mos'], cells.loc[q, 'ci_low'], cells.loc[q, 'ci_high'], 2)} "
                                f"(n={int(cells.loc[q, 'n'])})" if q in cells.index else "—" for q in questions])
    return _md_table(["method"] + [_title(q) for q in questions], rows)


def preference_markdown(pref: pd.DataFrame) -> str:
    if pref.empty:
        return "_No pair answers._\n"
    rows = [[f"{r.a} vs {r.b}", _title(r.question), str(r.n),
             f"{r.share_a:.0%} [{r.share_a_low:.0%}, {r.share_a_high:.0%}]",
             f"{r.share_none:.0%}", f"{r.share_b:.0%} [{r.share_b_low:.0%}, {r.share_b_high:.0%}]", _p(r.p)]
            for r in pref.itertuples()]
    return _md_table(["A vs B", "question", "n", "prefer A [95% CI]", "no preference", "prefer B [95% CI]",
                      "sign test p"], rows)


def screening_markdown(screening: pd.DataFrame) -> str:
    excluded = screening[screening["excluded"]]
    head = (f"{len(screening)} raters, {len(excluded)} excluded, {len(screening) - len(excluded)} kept.\n\n")
    left_out = [f"{int(screening[c].sum())} {what}" for c, what in
                (("outlier_votes", "outlying votes left out (|z| rule)"),
                 ("capped", "presentations beyond the per-rater cap left out")) if c in screening and screening[c].sum()]
    if left_out:
        head += "; ".join(left_out).capitalize() + ".\n\n"
    if excluded.empty:
        return head
    return head + _md_table(["rater", "reason"], [[r.rater, r.reasons] for r in excluded.itertuples()])


def agreement_markdown(agreement: pd.DataFrame) -> str:
    if agreement.empty:
        return "_Not enough answers._\n"
    rows = []
    for r in agreement.itertuples():
        ci = f" [{r.ci_low:.2f}, {r.ci_high:.2f}]" if np.isfinite(r.ci_low) else ""
        name = "Krippendorff's α (ordinal)" if r.measure.startswith("krippendorff") else r.measure
        rows.append([r.type.upper(), _title(r.question), name, f"{r.value:.3f}{ci}", str(r.units), str(r.raters)])
    return _md_table(["design", "question", "measure", "value [95% CI]", "units", "raters"], rows)


def markdown(result: Analysis, title: str = "User study") -> str:
    """The whole analysis as one markdown page (the DCR, CCR and ranking sections only when the
    answers have them)."""
    kept = len(result.included)
    extra = []
    if not result.dmos.empty:
        extra += ["## DMOS (DCR, reference shown)\n\nDegradation grades, 5 imperceptible ... 1 very annoying; "
                  "± half-width of the 95% t interval.\n", mos_markdown(result.dmos)]
    if not result.cmos.empty:
        extra += ["## CMOS (CCR, against the reference)\n\n−3 much worse ... +3 much better than the reference; "
                  "± half-width of the 95% t interval.\n", mos_markdown(result.cmos)]
    if not result.scale.empty:
        extra += ["## Ranking (pairs over three or more methods)\n\nThurstone Case V (1 JOD = 75% preference) and "
                  "Bradley-Terry scores by maximum likelihood, mean 0, with 95% bootstrap intervals over raters; "
                  "P(best): share of resamples ranking the method first.\n", ranking_markdown(result.scale)]
    return "\n".join([
        f"# {title}\n",
        "## Raters\n", screening_markdown(result.screening),
        f"## Mean opinion scores (Table III layout)\n\nMOS ± half-width of the 95% t interval over the grades of "
        f"the {kept} raters kept; n = grades.\n", mos_markdown(result.mos), *extra,
        "## Preferences (Fig. 8/9 layout)\n\nShares with Clopper-Pearson 95% intervals; two-sided sign test of A "
        "against B (ties left out).\n", preference_markdown(result.preference),
        "## Agreement between raters\n", agreement_markdown(result.agreement),
    ])


def preference_figure(pref: pd.DataFrame, title: str = "Preference"):
    """Fig. 8/9: one panel per question, one stacked bar per pair (A | no preference | B), the
    95% interval of A's share as an error bar and the sign test's p on the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    questions = list(dict.fromkeys(pref["question"]))
    pairs = list(dict.fromkeys(zip(pref["a"], pref["b"])))
    fig, axes = plt.subplots(len(questions), 1, figsize=(7.5, 0.55 * len(pairs) * len(questions) + 1.2 * len(questions)),
                             squeeze=False)
    for ax, q in zip(axes[:, 0], questions):
        sub = pref[pref["question"] == q].set_index(["a", "b"])
        for y, pair in enumerate(pairs):
            if pair not in sub.index:
                continue
            r = sub.loc[pair]
            a, n_, b = 100 * r["share_a"], 100 * r["share_none"], 100 * r["share_b"]
            ax.barh(y, a, color="#3949ab")
            ax.barh(y, n_, left=a, color="#c5cae9")
            ax.barh(y, b, left=a + n_, color="#e57373")
            ax.errorbar(a, y, xerr=[[a - 100 * r["share_a_low"]], [100 * r["share_a_high"] - a]], color="black",
                        capsize=3, lw=1)
            for x0, w, text in ((0, a, f"{pair[0]} {a:.0f}%"), (a + n_ + b, -b, f"{pair[1]} {b:.0f}%")):
                if abs(w) >= 12:
                    ax.text(x0 + w / 2, y, text, ha="center", va="center", color="white", fontsize=8)
            p = _p(r["p"])
            ax.text(101, y, f"p{p}" if p.startswith("<") else f"p={p}", va="center", fontsize=8)
        ax.set_yticks(range(len(pairs)), [f"{a} vs {b}" for a, b in pairs], fontsize=8)
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
        ax.set_title(_title(q), fontsize=10, loc="left")
        ax.set_xlabel("share of answers (%): prefer A | no preference | prefer B", fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else (v.item() if hasattr(v, "item") else v))
             for k, v in r.items()} for r in df.to_dict(orient="records")]


def write_outputs(result: Analysis, out: str | Path, title: str = "User study", figure: bool = True) -> list[Path]:
    """Every file of the analysis into ``out`` (created); returns the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    optional = (("dmos", result.dmos), ("cmos", result.cmos), ("scale", result.scale),
                ("win_probability", result.win_probability))
    for name, df in (("screening", result.screening), ("mos", result.mos), ("per_video_mos", result.per_video),
                     ("preference", result.preference), ("agreement", result.agreement),
                     *((n, d) for n, d in optional if not d.empty)):
        df.to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    summary = {"raters": len(result.screening), "kept": result.included, "thresholds": result.thresholds,
               "screening": _records(result.screening), "mos": _records(result.mos),
               "per_video_mos": _records(result.per_video), "preference": _records(result.preference),
               "agreement": _records(result.agreement), **{n: _records(d) for n, d in optional if not d.empty}}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    (out / "report.md").write_text(markdown(result, title))
    written += [out / "summary.json", out / "report.md"]
    if figure and not result.preference.empty:
        fig = preference_figure(result.preference, f"{title}: preferences")
        fig.savefig(out / "preference.png", dpi=110)
        import matplotlib.pyplot as plt

        plt.close(fig)
        written.append(out / "preference.png")
    if not result.scale.empty:
        (out / "ranking.tex").write_text(ranking_latex(result.scale))
        written.append(out / "ranking.tex")
        if figure:
            import matplotlib.pyplot as plt

            fig = ranking_figure(result.scale, "thurstone", f"{title}: ranking")
            fig.savefig(out / "ranking.png", dpi=110)
            plt.close(fig)
            written.append(out / "ranking.png")
    return written
