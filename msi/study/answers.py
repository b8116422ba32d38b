"""The answers of a study: a tidy table, one row per answer (a rater's grade or choice on one
question of one presentation), the same from the page offline and from the server.

Columns (:data:`COLUMNS`; this layout is a public interface, documented in docs/study.md):

* ``study``, ``rater``, ``seq`` (the presentation's place in the rater's plan, from 0), ``type``
  (``acr`` | ``pair``, and from imported files ``dcr`` | ``ccr``), ``kind`` (``practice`` | ``main`` | ``repeat`` | ``attention``), ``item``,
  ``utterance``, ``question``;
* ACR rows: ``method``, ``video`` (path inside the study folder), ``grade`` (1-5: 5 Very Good ...
  1 Very Poor);
* DCR rows (ITU-T P.910 degradation category rating, the reference shown): as ACR, the grade
  1-5 from 5 "imperceptible" to 1 "very annoying"; CCR rows (comparison category rating): as ACR,
  the grade -3..3 of the method against the reference (+3 much better ... -3 much worse);
* pair rows: ``a`` and ``b`` (the methods shown left and right), ``choice`` (``a`` | ``b`` | ``none``);
* ``expect``: an attention row's known answer, empty otherwise: for a grade ``<=2``, ``>=4``,
  ``=3`` or a range ``3..5`` (a gold clip answered within one grade); for a choice ``a`` or ``b``;
* ``seconds`` (from the presentation's start to its answer), ``answered_at`` (ISO 8601, UTC).

Pure functions build the rows of one presentation (:func:`expand`), check an answer
(:func:`check_values`) and validate a whole table (:func:`validate`); :func:`read_answers` reads
files (CSV or JSON) with one-line :class:`BadAnswers` errors.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from msi.errors import MSIError
from msi.study.design import CHOICES, DESIGNS, GRADES, KINDS

if TYPE_CHECKING:  # loaded where a table is built: `msi study serve` starts without them
    import pandas as pd

COLUMNS = ["study", "rater", "seq", "type", "kind", "item", "utterance", "question", "method", "video", "grade",
           "a", "b", "choice", "expect", "seconds", "answered_at"]
#: Columns every row must have a value in.
REQUIRED = {"acr": ["rater", "type", "kind", "item", "utterance", "question", "method", "grade"],
            "pair": ["rater", "type", "kind", "item", "utterance", "question", "a", "b", "choice"]}
REQUIRED["dcr"] = REQUIRED["ccr"] = REQUIRED["acr"]
GRADE_VALUES = tuple(g for g, _ in GRADES)
#: Every row type the analysis reads: the page's designs, and DCR/CCR from imported files.
TYPES = tuple(dict.fromkeys((*DESIGNS, "dcr", "ccr")))
#: The grades of each graded type (DCR: P.910's five-grade impairment scale; CCR: -3..3).
TYPE_GRADES = {"acr": GRADE_VALUES, "dcr": GRADE_VALUES, "ccr": (3, 2, 1, 0, -1, -2, -3)}


class BadAnswers(MSIError):
    """An answers file or an answer that does not follow the documented format."""

    kind = "bad_answers"


def check_values(item: Mapping, questions: Sequence[str], values: Mapping) -> dict[str, int | str]:
    """The answer to one presentation, checked: one value per question of the study, and nothing
    else; a grade an integer 1-5 (ACR), a choice ``a``, ``b`` or ``none`` (pair). Returns the
    values normalised (grades as int); raises :class:`BadAnswers` with the first problem."""
    if not isinstance(values, Mapping):
        raise BadAnswers("the answer must map each question to its value")
    unknown = [q for q in values if q not in questions]
    missing = [q for q in questions if q not in values]
    if unknown or missing:
        raise BadAnswers(f"answer questions {sorted(values)} do not match the study's {list(questions)}")
    out: dict[str, int | str] = {}
    for q in questions:
        v = values[q]
        if item["type"] != "pair":
            allowed = TYPE_GRADES[item["type"]]
            if isinstance(v, bool) or not isinstance(v, (int, float, str)) or str(v).strip() not in {str(g) for g in allowed}:
                raise BadAnswers(f"grade {v!r} on {q!r} is not one of {', '.join(map(str, sorted(allowed)))}")
            out[q] = int(str(v).strip())
        else:
            if v not in CHOICES:
                raise BadAnswers(f"choice {v!r} on {q!r} is not one of {', '.join(CHOICES)}")
            out[q] = v
    return out


def expand(manifest: Mapping, entry: Mapping, values: Mapping, rater: str, seconds: float | None,
           answered_at: str = "") -> list[dict]:
    """The tidy rows of one answered presentation (``entry`` of a rater's plan, ``values`` as
    checked by :func:`check_values`): one row per question."""
    item = manifest["items"][entry["item"]]
    expect = item.get("expect") or {}
    rows = []
    for q in manifest["questions"]:
        row = dict.fromkeys(COLUMNS, None)
        row.update(study=manifest["name"], rater=rater, seq=int(entry["seq"]), type=item["type"], kind=entry["kind"],
                   item=item["id"], utterance=item["utterance"], question=q, seconds=seconds, answered_at=answered_at)
        if item["type"] == "ccr":  # the page asks for the right video against the left: the method's against the reference
            row.update(method=item["method"], video=item["video"], grade=int(values[q]) * (-1 if entry.get("swap") else 1))
        elif item["type"] != "pair":
            row.update(method=item["method"], video=item["video"], grade=int(values[q]))
            if expect.get("question") == q:  # a trapping clip asks for one grade; an attention copy at most one
                row["expect"] = f"={expect['grade']}" if "grade" in expect else f"<={expect['max_grade']}"
        else:
            left, right = (item["b"], item["a"]) if entry.get("swap") else (item["a"], item["b"])
            row.update(a=left, b=right, choice=values[q])
            if expect.get("question") == q:
                row["expect"] = "a" if expect["choice"] == left else "b"
        rows.append(row)
    return rows


def frame(rows: Sequence[Mapping]) -> pd.DataFrame:
    """Rows as the tidy table with every column, in the documented order."""
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=COLUMNS)
    df["seq"] = pd.to_numeric(df["seq"], errors="coerce").astype("Int64")
    df["grade"] = pd.to_numeric(df["grade"], errors="coerce").astype("Int64")
    df["seconds"] = pd.to_numeric(df["seconds"], errors="coerce").astype(float)
    return df


def _blank(v) -> bool:
    import pandas as pd

    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NA


def validate(df: pd.DataFrame, source: str = "answers") -> pd.DataFrame:
    """The answers table checked and normalised, or one :class:`BadAnswers` line naming the
    first problem (with the row, 1-based as in a spreadsheet after the header, and the column).

    Checks: the required columns exist; ``type`` and ``kind`` are known; every row has the values
    its type needs; grades are integers 1-5 (0 and 6 are refused, not clipped); choices are
    ``a``/``b``/``none``; no rater answered the same question of the same presentation twice
    with different values (an identical duplicate, e.g. one file read twice, is dropped).
    """
    import numpy as np
    import pandas as pd

    if df.empty:
        raise BadAnswers(f"{source}: no answers")
    missing = [c for c in ("rater", "type", "kind", "item", "utterance", "question") if c not in df.columns]
    if missing:
        raise BadAnswers(f"{source}: no column {', '.join(map(repr, missing))} (columns: {', '.join(map(str, df.columns))})")
    df = df.reindex(columns=COLUMNS + [c for c in df.columns if c not in COLUMNS]).reset_index(drop=True)
    for c in ("rater", "type", "kind", "item", "utterance", "question", "method", "video", "a", "b", "choice", "expect"):
        df[c] = df[c].map(lambda v: None if _blank(v) else str(v).strip())

    def fail(i: int, what: str, column: str | None = None) -> None:
        raise BadAnswers(f"{source}: row {i + 1}{f', column {column!r}' if column else ''}: {what}")

    for col, allowed in (("type", TYPES), ("kind", KINDS)):
        bad = ~df[col].isin(allowed)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            fail(i, f"{col} {df.loc[i, col]!r} is not one of {', '.join(allowed)}", col)
    grades = pd.to_numeric(df["grade"], errors="coerce")
    for design, cols in REQUIRED.items():
        rows = df["type"] == design
        for c in cols:
            empty = rows & df[c].map(_blank)
            if empty.any():
                i = int(np.argmax(empty.to_numpy()))
                fail(i, f"{design} answers need {c!r}", c)
    for design, allowed in TYPE_GRADES.items():
        bad = (df["type"] == design) & ~grades.isin(allowed)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            fail(i, f"grade {str(df.loc[i, 'grade'])!r} is not one of {', '.join(map(str, sorted(allowed)))}", "grade")
    bad = (df["type"] == "pair") & ~df["choice"].isin(CHOICES)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        fail(i, f"choice {df.loc[i, 'choice']!r} is not one of {', '.join(CHOICES)}", "choice")
    df["grade"] = grades.astype("Int64")
    df["seq"] = pd.to_numeric(df["seq"], errors="coerce").astype("Int64")
    df["seconds"] = pd.to_numeric(df["seconds"], errors="coerce").astype(float)
    key = ["rater", "seq", "item", "question"]
    df = df.drop_duplicates(subset=key + ["grade", "choice"]).reset_index(drop=True)
    dup = df.duplicated(subset=key, keep=False)
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        fail(i, f"rater {df.loc[i, 'rater']!r} answered {df.loc[i, 'question']!r} of presentation "
                f"{df.loc[i, 'seq']} ({df.loc[i, 'item']}) twice with different values")
    return df


def read_file(path: str | Path) -> pd.DataFrame:
    """One answers file as a DataFrame: ``.csv`` (as exported), ``.tsv``, or ``.json`` (a list of
    rows, or ``{"answers": [...]}``)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise BadAnswers(f"{p}: no such answers file" if not p.exists() else f"{p}: not a file")
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(p.read_text(encoding="utf-8"))
            rows = data.get("answers") if isinstance(data, dict) else data
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise BadAnswers(f"{p}: a JSON answers file is a list of rows or {{\"answers\": [...]}}")
            return pd.DataFrame(rows)
        return pd.read_csv(p, sep="\t" if p.suffix.lower() in (".tsv", ".tab") else ",", dtype=str,
                           keep_default_na=False)
    except BadAnswers:
        raise
    except pd.errors.EmptyDataError:
        raise BadAnswers(f"{p}: empty file") from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise BadAnswers(f"{p}: cannot read the answers ({str(exc).splitlines()[0][:120]})") from None


def read_answers(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Every file's answers, each file validated on its own (errors name the file), then together."""
    if not paths:
        raise BadAnswers("no answers file given")
    import pandas as pd

    parts = [validate(read_file(p), str(p)) for p in paths]
    return validate(pd.concat(parts, ignore_index=True), "the answers together")
