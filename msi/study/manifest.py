"""The study folder's ``study.json``: what was made, read back and checked.

A study folder holds ``study.json`` (this manifest), ``index.html`` and ``page/`` (the rating
page; ``page/study-data.js`` is the manifest for the page, so that it works from ``file://``
where a page cannot fetch files), ``videos/<method>/<utterance>.mp4``, and once served
``server/`` (the answers database, the owner key and the raters' links; never served).

A folder edited by hand is checked on load: every failure is one :class:`BadStudy` line.
"""
from __future__ import annotations

import json
from pathlib import Path

from msi.errors import MSIError
from msi.io.paths import check_input_file
from msi.study.design import DESIGNS, KINDS, QUESTIONS, rater_plan

FORMAT = "msi-study/1"
MANIFEST = "study.json"
DATA_JS = "page/study-data.js"


class BadStudy(MSIError):
    """A study folder that is missing, damaged or edited into something inconsistent."""

    kind = "bad_study"


def write_manifest(folder: Path, manifest: dict) -> None:
    """``study.json`` and the page's copy of it (``window.MSI_STUDY = {...}``)."""
    text = json.dumps(manifest, indent=1, sort_keys=False)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")
    (folder / DATA_JS).write_text(f"window.MSI_STUDY = {text};\n", encoding="utf-8")


def load_study(folder: str | Path) -> dict:
    """The checked manifest of a study folder, with ``folder`` (its resolved path) added.

    Checks: the folder and its ``study.json`` exist and parse; the format is known; the designs
    and questions are known; every item's videos exist inside the folder; every session's plan
    names only known items. Raises :class:`BadStudy` with one line otherwise.
    """
    root = Path(folder)
    if not root.is_dir():
        raise BadStudy(f"{root}: no such study folder (make one with 'msi study make')")
    path = root / MANIFEST
    if not path.exists():
        raise BadStudy(f"{root}: not a study folder (no {MANIFEST})")
    try:  # a regular file: a FIFO would hang the read, /dev/zero fill the memory
        check_input_file(path, BadStudy)
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadStudy(f"{path}: cannot read the study ({(str(exc).splitlines() or [type(exc).__name__])[0][:100]})") from None
    try:  # a value of another type than make writes (a list for a name, ...): one line too
        return _checked(m, root, path)
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        raise BadStudy(f"{path}: the manifest is damaged ({type(exc).__name__}: {str(exc)[:80]})") from None


def _checked(m, root: Path, path: Path) -> dict:
    """``m`` (``path``'s JSON) checked as :func:`load_study` says, with ``folder`` added."""
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise BadStudy(f"{path}: not an {FORMAT} manifest (format: {m.get('format') if isinstance(m, dict) else None!r})")
    for key in ("name", "designs", "questions", "items", "sessions", "plan"):
        if key not in m:
            raise BadStudy(f"{path}: the manifest has no {key!r}")
    bad = [d for d in m["designs"] if d not in DESIGNS] + [q for q in m["questions"] if q not in QUESTIONS]
    if bad or not m["designs"] or not m["questions"]:
        raise BadStudy(f"{path}: unknown or missing design/question {', '.join(map(repr, bad)) or '(none given)'}")
    items = m["items"]
    if not isinstance(items, dict) or not items:
        raise BadStudy(f"{path}: the manifest lists no items")
    if not isinstance(m["name"], str) or not all(isinstance(v, str) for v in m["designs"] + m["questions"]) or \
            len(set(m["designs"])) < len(m["designs"]) or len(set(m["questions"])) < len(m["questions"]):
        raise BadStudy(f"{path}: the study's name, designs and questions must be text, each design and question once")
    plan = m["plan"]
    if not isinstance(plan, dict) or not all(_count(plan.get(k)) for k in ("seed", "repeats", "practice")):
        raise BadStudy(f"{path}: the manifest's plan needs whole numbers seed, repeats and practice (0 or more)")
    base = root.resolve()
    for iid, it in items.items():
        if not isinstance(it, dict) or it.get("type") not in m["designs"] or it.get("id") != iid:
            raise BadStudy(f"{path}: item {iid!r} is damaged (type or id)")
        names = ("a", "b") if it["type"] == "pair" else ("method",)
        if not all(isinstance(it.get(k), str) for k in (*names, "utterance")) or not _expect_ok(it):
            raise BadStudy(f"{path}: item {iid!r} is damaged (methods, utterance or expected answer)")
        for key in {"acr": ("video",), "pair": ("video_a", "video_b")}.get(it["type"], ("video", "reference")):
            rel = it.get(key)
            target = (base / str(rel)).resolve() if rel else None
            if target is None or not target.is_relative_to(base / "videos") or not target.is_file():
                raise BadStudy(f"{path}: item {iid!r}: video {rel!r} is missing from the study's videos/ folder")
    if not isinstance(m["sessions"], list) or not all(isinstance(s, dict) and isinstance(s.get("plan"), list)
                                                      and s["plan"] for s in m["sessions"]):
        raise BadStudy(f"{path}: the manifest's sessions are damaged (each needs its plan)")
    for s in m["sessions"]:
        unknown = [e.get("item") for e in s["plan"] if e.get("item") not in items]
        if unknown:
            raise BadStudy(f"{path}: session {s.get('rater')!r} names unknown item(s) {', '.join(map(str, unknown[:3]))}")
        entries = s["plan"]
        if not isinstance(s.get("rater"), str) or [e.get("seq") for e in entries] != list(range(len(entries))) or \
                not all(e.get("kind") in KINDS and isinstance(e.get("swap"), bool) for e in entries):
            raise BadStudy(f"{path}: session {s.get('rater')!r} is damaged (seq 0, 1, ..., kind, swap)")
    m["folder"] = str(base)
    return m


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _expect_ok(item: dict) -> bool:
    """An item's known answer, if any, is one make writes: a highest grade or a method's side."""
    e = item.get("expect")
    if e is None:
        return True
    if not isinstance(e, dict) or e.get("question") not in QUESTIONS:
        return False
    if not isinstance(item.get("instruction", ""), str) or not isinstance(item.get("feedback", ""), str):
        return False
    if item["type"] == "acr":
        return _count(e.get("max_grade")) or (_count(e.get("grade")) and "max_grade" not in e)
    return e.get("choice") in (item["a"], item["b"])


def session_plan(manifest: dict, index: int) -> list[dict]:
    """Rater ``index``'s plan: the one stored in the manifest when there is one (the page offline
    uses those), else made by :func:`msi.study.design.rater_plan` with the study's settings."""
    if index < len(manifest["sessions"]):
        return manifest["sessions"][index]["plan"]
    p = manifest["plan"]
    return rater_plan(list(manifest["items"].values()), p["seed"], index, p["repeats"], p["practice"], manifest["designs"])
