"""Answers from other tools, read into the tidy answers table of :mod:`msi.study.answers`.

Formats (:data:`FORMATS`; each documented in docs/study.md with a sample file under
``docs/study/formats/``), recognised by their columns unless told:

* ``msi``: the page's and the server's own table (``type``, ``kind``, ``item`` ...);
* ``tidy``: the minimal tidy rows: ACR ``rater, method, utterance, question, grade``; pair
  ``rater, utterance, question, a, b, choice``; both kinds may share one file. Every other column
  of the ``msi`` table is optional (``type`` says ``dcr`` or ``ccr`` for those designs);
* ``wide``: one row per rating, ``rater``, ``method``, ``utterance`` (or a ``video`` path), then one
  column per question holding the grade;
* ``avrate``: avrateNG's ``ratings`` table (its SQLite ``ratings.db``, or the CSV its
  ``convert_ratings_to_csv.py`` writes): ``user_ID, stimuli_ID, stimuli_file, rating_type, rating,
  timestamp``, one row per form field of a rating; the ``acr`` field is the grade, the page's other
  fields (window size, timestamps, play count ``pi``) are not answers;
* ``p910``: the ITU-T P.910 crowdsourcing toolkit's answers file (microsoft/P.910, one row per
  session as downloaded from its HIT App server or from MTurk): ``WorkerId``, ``Answer.Q<k>`` (the
  vote), ``Answer.Q<k>_URL`` (the clip), ``Answer.video_n_finish_Q<k>`` (plays to the end),
  ``Answer.Q<k>_order`` (CCR: ``rp`` reference first, ``pr`` processed first), ``Input.TP_CLIP`` /
  ``Input.TP_ANS`` (the trapping clip and its answer), ``Input.GOLD_CLIP`` / ``Input.GOLD_ANS``;
  column names are compared case-insensitively, as its ``result_parser.py`` does;
* ``p910-votes``: that toolkit's cleaned long table ``*_votes_per_worker.csv``
  (``workerid, file, vote``).

What a format lacks is inferred, each inference stated in one note (:attr:`Imported.notes`):
``kind`` (``main``; an item answered again by the same rater is a ``repeat``), ``seq`` (the
order of the rows), ``item`` (from method and utterance), ``type`` (``acr`` for grades, ``pair``
for choices), the method and utterance of a clip (its folder and file name, or ``clip_pattern``'s
named groups ``method`` and ``utterance``). A broken or ambiguous file is one
:class:`~msi.study.answers.BadAnswers` line naming the file, the row (1-based after the header, as
a spreadsheet shows it) and the column.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from msi.study.answers import COLUMNS, TYPE_GRADES, TYPES, BadAnswers, read_file, validate

FORMATS = ("msi", "tidy", "wide", "avrate", "p910", "p910-votes")
#: The question of formats that name none (avrateNG, P.910): one opinion per clip.
DEFAULT_QUESTION = "quality"
#: Columns of the tidy table a ``wide`` file may carry besides its questions.
WIDE_KEYS = ("study", "rater", "seq", "type", "kind", "item", "utterance", "method", "video", "expect", "seconds",
             "answered_at")
AVRATE_COLUMNS = ("user_ID", "stimuli_ID", "stimuli_file", "rating_type", "rating", "timestamp")
WIDE_HINT = f" (a wide table: every column but {', '.join(WIDE_KEYS)} is a question)"
#: avrateNG form fields that are not answers (templates/rating/common.tpl, the registration row).
AVRATE_NOT_ANSWERS = {"ww", "wh", "wz", "start_timestamp", "pi", "user_registered", "stimuli_idx", "stimuli_file"}
#: Pair answers as people write them, to ``a`` / ``b`` / ``none``.
CHOICE_WORDS = {"a": "a", "b": "b", "none": "none", "left": "a", "right": "b", "1": "a", "2": "b", "0": "none",
                "tie": "none", "same": "none", "equal": "none", "no preference": "none"}


@dataclass
class Imported:
    """One file's answers as the tidy table, the format it was read as, and one note per inference."""

    answers: pd.DataFrame
    format: str
    notes: list[str] = field(default_factory=list)


def _fail(source: str, row: int | None, column: str | None, what: str) -> BadAnswers:
    """One line: ``source: row R, column 'C': what`` (row 1-based after the header)."""
    where = [f"row {row}"] if row is not None else []
    where += [f"column {column!r}"] if column else []
    return BadAnswers(f"{source}: {', '.join(where)}: {what}" if where else f"{source}: {what}")


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def detect(df: pd.DataFrame, source: str = "answers") -> str:
    """The format of a table by its columns (see the module docstring), or one line saying why none fits."""
    cols = {str(c).strip().lower() for c in df.columns}
    if {"type", "kind", "item"} <= cols:
        return "msi"
    if {c.lower() for c in AVRATE_COLUMNS} <= cols:
        return "avrate"
    if "workerid" in cols and any(re.fullmatch(r"answer\.q\d+", c) for c in cols):
        return "p910"
    if {"workerid", "file", "vote"} <= cols:
        return "p910-votes"
    if "rater" in cols and "question" in cols and ({"grade", "choice"} & cols):
        return "tidy"
    if "rater" in cols and ({"method", "video"} & cols) and not ({"question", "grade", "choice"} & cols):
        return "wide"
    raise BadAnswers(f"{source}: not a known answers format (columns: {', '.join(map(str, df.columns))}); expected the "
                     "minimal ACR columns rater, method, utterance, question, grade, the pair columns rater, utterance, "
                     "question, a, b, choice, a wide table (rater, method, utterance, one column per question), "
                     "avrateNG's ratings or the P.910 toolkit's answers")


def clip_parts(clip: str, pattern: re.Pattern | None = None) -> tuple[str, str] | None:
    """(method, utterance) of a clip's path or URL: ``pattern``'s groups ``method`` and
    ``utterance`` when given (None when it does not match), else the folder and the file's stem
    (``videos/ours/u03.mp4`` -> ``ours``, ``u03``; a bare file name is its own method)."""
    path = PurePosixPath(str(clip).replace("\\", "/").split("?", 1)[0])
    if pattern is not None:
        m = pattern.search(str(clip))
        if not m:
            return None
        return m.group("method"), m.group("utterance")
    method = path.parent.name if path.parent.name not in ("", ".") else path.stem
    return method, path.stem


def _compile(clip_pattern: str | None, source: str) -> re.Pattern | None:
    if not clip_pattern:
        return None
    try:
        pattern = re.compile(clip_pattern)
    except re.error as exc:
        raise BadAnswers(f"clip pattern {clip_pattern!r}: not a regular expression ({exc})") from None
    if not {"method", "utterance"} <= set(pattern.groupindex):
        raise BadAnswers(f"clip pattern {clip_pattern!r}: needs the named groups (?P<method>...) and (?P<utterance>...)")
    return pattern


def _grade(v, design: str, source: str, row: int, column: str, hint: str = "") -> int:
    allowed = TYPE_GRADES[design]
    try:
        f = float(str(v).strip())
    except ValueError:
        f = np.nan
    if not np.isfinite(f) or f != int(f) or int(f) not in allowed:
        raise _fail(source, row, column, f"{str(v).strip()!r} is not a grade of the {design.upper()} scale "
                                         f"({', '.join(map(str, sorted(allowed)))}){hint}")
    return int(f)


def _finish(rows: list[dict], source: str, notes: list[str], fmt: str) -> Imported:
    """Rows (dicts of tidy columns, file order) to the validated table, with ``seq``, ``kind``
    and ``item`` inferred where missing."""
    if not rows:
        raise BadAnswers(f"{source}: no answers")
    df = pd.DataFrame(rows).reindex(columns=COLUMNS).astype(object)
    df["study"] = df["study"].where(df["study"].notna(), Path(source).stem)
    for c in ("rater", "method", "utterance", "a", "b", "question"):
        df[c] = df[c].map(lambda v: None if _blank(v) else str(v).strip())
    missing_item = df["item"].map(_blank)
    if missing_item.any():
        first = {}
        for a, b in zip(df["a"], df["b"]):  # a pair's order: as it first appears in the file
            if a is not None and b is not None:
                first.setdefault(frozenset((a, b)), (a, b))
        item = [f"{t}:{m}:{u}" if t != "pair" else "pair:{}:{}:{}".format(*first[frozenset((a, b))], u)
                for t, m, u, a, b in zip(df["type"], df["method"], df["utterance"], df["a"], df["b"])]
        df["item"] = [new if miss else old for old, new, miss in zip(df["item"], item, missing_item)]
    if df["kind"].map(_blank).all():
        again = df.groupby(["rater", "item", "question"], sort=False).cumcount()
        df["kind"] = ["repeat" if k > 0 else "main" for k in again]
        n = int((again > 0).sum())
        notes.append(f"{source}: no 'kind' column: answers counted as main"
                     + (f", {n} answers to an item a rater answered before as repeats" if n else
                        "; no repeated answers, so no repeat screening"))
    if df["seq"].map(_blank).all():
        occurrence = df.groupby(["rater", "item", "question"], sort=False).cumcount()
        key = df["item"] + "#" + occurrence.astype(str)
        df["seq"] = [int(x) for x in key.groupby(df["rater"], sort=False).transform(lambda k: pd.factorize(k)[0])]
    if df["expect"].map(_blank).all():
        notes.append(f"{source}: no attention items (no 'expect' values): no attention screening")
    return Imported(validate(df, source), fmt, notes)


# ----------------------------------------------------------------------------- formats


def from_tidy(df: pd.DataFrame, source: str, clip_pattern: str | None = None, design: str = "acr") -> Imported:
    """The minimal tidy rows (ACR and/or pair), every other column optional; a grade without a
    ``type`` is of ``design`` (acr, dcr or ccr)."""
    df = df.rename(columns=lambda c: str(c).strip().lower())
    pattern = _compile(clip_pattern, source)
    notes: list[str] = []
    rows = []
    has = set(df.columns)
    for i, r in enumerate(df.to_dict(orient="records"), start=1):
        row = {c: r.get(c) for c in COLUMNS if c in has and not _blank(r.get(c))}
        graded = "grade" in has and not _blank(r.get("grade"))
        chose = "choice" in has and not _blank(r.get("choice"))
        if graded and chose:
            raise _fail(source, i, "choice", "both a grade and a choice: is it an ACR or a pair answer?")
        if not graded and not chose:
            raise _fail(source, i, "grade" if "grade" in has else "choice", "no answer (empty)")
        kind = str(row.get("type") or (design if graded else "pair")).lower()
        if kind not in TYPES or (kind == "pair") != chose:
            raise _fail(source, i, "type", f"{kind!r} does not fit a {'choice' if chose else 'grade'} "
                                           f"(acr, dcr, ccr take a grade, pair a choice)")
        row["type"] = kind
        for c in ("rater", "question"):
            if _blank(row.get(c)):
                raise _fail(source, i, c, f"{kind} answers need a {c}")
        if chose:
            for c in ("a", "b", "utterance"):
                if _blank(row.get(c)):
                    raise _fail(source, i, c, f"pair answers need {c!r}")
            word = str(r["choice"]).strip()
            choice = CHOICE_WORDS.get(word.lower()) or ("a" if word == row["a"] else "b" if word == row["b"] else None)
            if choice is None:
                raise _fail(source, i, "choice", f"{word!r} is not a, b, none, left, right or one of the two "
                                                 f"methods ({row['a']}, {row['b']})")
            row["choice"] = choice
        else:
            row["grade"] = _grade(r["grade"], kind, source, i, "grade")
            if _blank(row.get("method")) or _blank(row.get("utterance")):
                if _blank(row.get("video")):
                    raise _fail(source, i, "method" if _blank(row.get("method")) else "utterance",
                                "empty, and no 'video' to infer it from")
                parts = clip_parts(row["video"], pattern)
                if parts is None:
                    raise _fail(source, i, "video", f"{row['video']!r} does not match the clip pattern")
                row.setdefault("method", parts[0])
                row.setdefault("utterance", parts[1])
                if not any("inferred from" in n for n in notes):
                    notes.append(f"{source}: method and utterance inferred from the video paths (folder, file name)")
        rows.append(row)
    return _finish(rows, source, notes, "tidy")


def from_wide(df: pd.DataFrame, source: str, design: str = "acr", clip_pattern: str | None = None) -> Imported:
    """One row per rating, one column per question (every column that is not a key of :data:`WIDE_KEYS`)."""
    df = df.rename(columns=lambda c: str(c).strip().lower())
    questions = [c for c in df.columns if c not in WIDE_KEYS]
    if not questions:
        raise _fail(source, None, None, "a wide answers table needs one column per question besides "
                                        f"{', '.join(c for c in df.columns)}")
    long = []
    for i, r in enumerate(df.to_dict(orient="records"), start=1):
        base = {c: r[c] for c in WIDE_KEYS if c in r and not _blank(r[c])}
        base.pop("type", None)
        answered = 0
        for q in questions:
            if _blank(r[q]):
                continue
            d = str(r.get("type") or design).lower()
            if d not in TYPE_GRADES:
                raise _fail(source, i, "type", f"{d!r}: a wide table holds grades (acr, dcr, ccr)")
            long.append({**base, "type": d, "question": q, "grade": _grade(r[q], d, source, i, q, WIDE_HINT),
                         "_row": i})
            answered += 1
        if not answered:
            raise _fail(source, i, questions[0], "no grade in any question column")
    tidy = pd.DataFrame(long)
    try:
        out = from_tidy(tidy.drop(columns="_row"), source, clip_pattern, design)
    except BadAnswers as exc:  # a tidy row number is not the file's: say the file's
        m = re.search(r": row (\d+)", str(exc))
        if not m:
            raise
        raise BadAnswers(str(exc).replace(m.group(0), f": row {tidy['_row'].iloc[int(m.group(1)) - 1]}", 1)) from None
    out.notes.insert(0, f"{source}: wide table, questions {', '.join(questions)}")
    out.format = "wide"
    return out


def from_avrate(df: pd.DataFrame, source: str, question: str = DEFAULT_QUESTION, design: str = "acr",
                clip_pattern: str | None = None) -> Imported:
    """avrateNG's ``ratings`` rows: the ``acr`` fields as grades, the other page fields left out."""
    lower = {str(c).strip().lower(): c for c in df.columns}
    col = {c: lower[c.lower()] for c in AVRATE_COLUMNS}
    pattern = _compile(clip_pattern, source)
    rows, skipped = [], set()
    for i, r in enumerate(df.to_dict(orient="records"), start=1):
        kind = str(r[col["rating_type"]]).strip()
        if kind in AVRATE_NOT_ANSWERS:
            skipped.add(kind)
            continue
        if kind not in ("acr",):
            raise _fail(source, i, "rating_type", f"{kind!r} is not a five-grade ACR answer (msi reads avrateNG's "
                                                  "acr and acr_with_skip templates)")
        clip = str(r[col["stimuli_file"]]).strip()
        parts = clip_parts(clip, pattern)
        if parts is None or not clip:
            raise _fail(source, i, "stimuli_file", f"{clip!r} does not match the clip pattern")
        rows.append({"rater": f"user{str(r[col['user_ID']]).strip()}", "type": design, "question": question,
                     "method": parts[0], "utterance": parts[1], "video": clip,
                     "grade": _grade(r[col["rating"]], design, source, i, "rating"),
                     "answered_at": str(r[col["timestamp"]])})
    notes = [f"{source}: avrateNG ratings; clips named by folder and file name" if pattern is None else
             f"{source}: avrateNG ratings; clips named by the clip pattern"]
    if skipped:
        notes.append(f"{source}: page fields {', '.join(sorted(skipped))} are not answers (left out)")
    return _finish(rows, source, notes, "avrate")


def from_p910(df: pd.DataFrame, source: str, question: str = DEFAULT_QUESTION, design: str | None = None,
              clip_pattern: str | None = None) -> Imported:
    """The P.910 toolkit's answers, one row per session: each ``Answer.Q<k>`` is one rating of the
    clip ``Answer.Q<k>_URL``; the trapping clip becomes an attention row (``expect`` its answer),
    the gold clip one that expects its answer within one grade (the toolkit's default
    ``variance: 1``); ratings whose video did not play to its end (``video_n_finish`` 0) are left out."""
    lower = {str(c).strip().lower(): c for c in df.columns}
    ks = sorted(int(m.group(1)) for c in lower if (m := re.fullmatch(r"answer\.q(\d+)", c)))
    ccr = any(f"answer.q{k}_order" in lower for k in ks)
    dcr = any(re.fullmatch(r"input\.q\d+_r", c) for c in lower)
    design = design or ("ccr" if ccr else "dcr" if dcr else "acr")
    pattern = _compile(clip_pattern, source)
    worker = lower.get("workerid")
    get = lambda r, name: r.get(lower[name]) if name in lower else None  # noqa: E731
    rows, unplayed, notes, seen = [], 0, [], {}
    for i, r in enumerate(df.to_dict(orient="records"), start=1):
        if _blank(r[worker]):
            raise _fail(source, i, lower["workerid"], "no worker id")
        if ("assignmentstatus" in lower and str(get(r, "assignmentstatus")).strip().lower() == "rejected"):
            continue
        tp, gold = get(r, "input.tp_clip"), get(r, "input.gold_clip")
        for k in ks:
            vote, url = get(r, f"answer.q{k}"), get(r, f"answer.q{k}_url")
            if _blank(vote):
                continue
            if _blank(url):
                raise _fail(source, i, lower.get(f"answer.q{k}_url", f"Answer.Q{k}_URL"), "a vote without its clip")
            played = get(r, f"answer.video_n_finish_q{k}")
            if not _blank(played):
                try:
                    ended = float(played) > 0
                except ValueError:
                    raise _fail(source, i, lower[f"answer.video_n_finish_q{k}"],
                                f"{played!r} is not a count of plays to the end") from None
                if not ended:
                    unplayed += 1
                    continue
            grade = _grade(vote, design, source, i, lower[f"answer.q{k}"])
            row = {"rater": str(r[worker]).strip(), "type": design, "question": question, "video": url,
                   "grade": grade, "kind": "main"}
            if not _blank(tp) and str(url).strip() == str(tp).strip():
                ans = _grade(get(r, "input.tp_ans"), design, source, i, lower.get("input.tp_ans", "Input.TP_ANS"))
                order = get(r, f"answer.q{k}_order")
                if design == "ccr" and str(order).strip() == "pr":  # the trap asks for a side; the vote is signed
                    ans = -ans
                row.update(kind="attention", expect=f"={ans}")
            elif not _blank(gold) and str(url).strip() == str(gold).strip():
                ans = _grade(get(r, "input.gold_ans"), design, source, i, lower.get("input.gold_ans", "Input.GOLD_ANS"))
                row.update(kind="attention", expect=f"{ans - 1}..{ans + 1}")
            parts = clip_parts(url, pattern)
            if parts is None:
                raise _fail(source, i, lower[f"answer.q{k}_url"], f"{url!r} does not match the clip pattern")
            row["method"], row["utterance"] = parts
            row["seq"] = seen[row["rater"]] = seen.get(row["rater"], -1) + 1  # across the worker's sessions
            rows.append(row)
    notes.append(f"{source}: P.910 toolkit answers ({design.upper()}, {len(ks)} ratings per session)")
    if unplayed:
        notes.append(f"{source}: {unplayed} ratings whose video did not play to its end left out")
    if not any(x["kind"] == "attention" for x in rows):
        notes.append(f"{source}: no trapping or gold clip columns (Input.TP_CLIP, Input.GOLD_CLIP): "
                     "no attention screening")
    return _finish(rows, source, notes, "p910")


def from_p910_votes(df: pd.DataFrame, source: str, question: str = DEFAULT_QUESTION, design: str = "acr",
                    clip_pattern: str | None = None) -> Imported:
    """The P.910 toolkit's ``*_votes_per_worker.csv`` (already cleaned by its parser: every row counts)."""
    lower = {str(c).strip().lower(): c for c in df.columns}
    pattern = _compile(clip_pattern, source)
    rows = []
    for i, r in enumerate(df.to_dict(orient="records"), start=1):
        clip = str(r[lower["file"]]).strip()
        parts = clip_parts(clip, pattern)
        if parts is None or not clip:
            raise _fail(source, i, lower["file"], f"{clip!r} does not match the clip pattern")
        rows.append({"rater": str(r[lower["workerid"]]).strip(), "type": design, "question": question,
                     "method": parts[0], "utterance": parts[1], "video": clip,
                     "grade": _grade(r[lower["vote"]], design, source, i, lower["vote"])})
    return _finish(rows, source, [f"{source}: P.910 votes per worker ({design.upper()}; cleaned by the toolkit)"],
                   "p910-votes")


def _read_avrate_db(p: Path) -> pd.DataFrame | None:
    try:
        with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "ratings" not in tables:
                return None
            return pd.read_sql_query("SELECT * FROM ratings", con).astype(str)
    except sqlite3.DatabaseError:
        return None


def read(path: str | Path, fmt: str = "auto", design: str | None = None, question: str = DEFAULT_QUESTION,
         clip_pattern: str | None = None) -> Imported:
    """One answers file of any format (:data:`FORMATS`; ``auto`` recognises it by its columns)."""
    p = Path(path)
    source = str(p)
    if fmt not in ("auto", *FORMATS):
        raise BadAnswers(f"format must be auto or one of {', '.join(FORMATS)}, got {fmt!r}")
    if design is not None and design not in TYPES:
        raise BadAnswers(f"design must be one of {', '.join(TYPES)}, got {design!r}")
    df = _read_avrate_db(p) if p.suffix.lower() in (".db", ".sqlite", ".sqlite3") and p.is_file() else None
    if df is None:
        if p.suffix.lower() in (".db", ".sqlite", ".sqlite3") and p.is_file():
            raise BadAnswers(f"{p}: not an avrateNG ratings database (no 'ratings' table)")
        df = read_file(p)
    if df.empty:
        raise BadAnswers(f"{p}: no answers")
    fmt = detect(df, source) if fmt == "auto" else fmt
    graded = design if design in TYPE_GRADES else None
    if fmt == "msi":
        return Imported(validate(df, source), "msi", [])
    if fmt == "tidy":
        return from_tidy(df, source, clip_pattern, graded or "acr")
    if fmt == "wide":
        return from_wide(df, source, graded or "acr", clip_pattern)
    if fmt == "avrate":
        return from_avrate(df, source, question, graded or "acr", clip_pattern)
    if fmt == "p910":
        return from_p910(df, source, question, graded, clip_pattern)
    return from_p910_votes(df, source, question, graded or "acr", clip_pattern)


def read_many(paths: Sequence[str | Path], **options) -> Imported:
    """Every file (:func:`read`), validated together; the notes of all files."""
    if not paths:
        raise BadAnswers("no answers file given")
    parts = [read(p, **options) for p in paths]
    table = validate(pd.concat([x.answers for x in parts], ignore_index=True), "the answers together") \
        if len(parts) > 1 else parts[0].answers
    return Imported(table, ",".join(dict.fromkeys(x.format for x in parts)), [n for x in parts for n in x.notes])
