"""The report's layout from the per-video rows of ``msi compare``: which utterances (file names),
which methods, which row fills each cell, which truth video goes with each utterance, and what
every asset file is called. Pure: a DataFrame in, a :class:`Plan` out."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field


@dataclass
class Cell:
    """One method's video of one utterance: its row of ``msi compare`` (None: the method has no such file)."""

    method: str
    row: dict | None
    key: str  # asset file stem

    @property
    def error(self) -> str | None:
        e = self.row.get("error") if self.row else None
        return e if isinstance(e, str) and e else None


@dataclass
class Utterance:
    name: str
    slug: str  # page file stem
    cells: list[Cell]
    truth: str | None = None  # path of the truth video
    truth_key: str = ""


@dataclass
class Plan:
    methods: list[str]
    utterances: list[Utterance]
    missing: list[tuple[str, str]] = field(default_factory=list)  # (method, utterance name)

    def videos(self) -> dict[str, str]:
        """{asset key: video path} of every video to analyse: methods' rows without an error, and truths."""
        out = {}
        for u in self.utterances:
            for c in u.cells:
                if c.row is not None and c.error is None:
                    out[c.key] = str(c.row["path"])
            if u.truth:
                out[u.truth_key] = u.truth
        return out


def slug(text: str) -> str:
    """A file-name-safe form of an utterance name (``a/b c`` -> ``a_b_c``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "video"


def _clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def plan_report(rows, truths: dict[str, str] | None = None) -> Plan:
    """Lay out ``rows`` (``msi compare``'s per-video DataFrame: method, name, path, error, truth, ...):
    methods in their first-seen order, utterances sorted by name; a method without an utterance's
    file is a gap. ``truths`` ({name: path}) overrides the rows' ``truth`` column."""
    records = [{k: _clean(v) for k, v in r.items()} for r in rows.to_dict(orient="records")]
    records = [r for r in records if isinstance(r.get("method"), str)]  # a method's videos, not set-level rows
    methods = list(dict.fromkeys(r["method"] for r in records))
    by = {(r["method"], str(r["name"])): r for r in records}
    names = sorted({str(r["name"]) for r in records})
    plan = Plan(methods=methods, utterances=[])
    for i, name in enumerate(names):
        s = f"{i:03d}-{slug(name)}"
        cells = [Cell(m, by.get((m, name)), f"{s}.m{j}") for j, m in enumerate(methods)]
        plan.missing += [(c.method, name) for c in cells if c.row is None]
        truth = (truths or {}).get(name) or next((c.row["truth"] for c in cells if c.row and c.row.get("truth")), None)
        plan.utterances.append(Utterance(name, s, cells, str(truth) if truth else None, f"{s}.truth"))
    return plan
