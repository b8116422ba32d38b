"""Build a study folder: the videos (as the browser plays them), the attention copies, the items,
every rater's plan, and the rating page. The folder works from ``file://`` and when served.

Videos pair up across method folders by their path without extension (as in ``msi compare``):
that name is the *utterance*. A video Chromium plays as it is and no larger than the preview
size is copied; any other is transcoded to a small H.264/AAC MP4 by ``msi report``'s preview code
(:mod:`msi.report.previews`). An attention item's video is a copy of one method's clip shifted by
random whole pixels on every frame (``shake_px``, about 5 % of the width by default): its motion
is plainly unstable, so a rater who grades it well or prefers it to the clip did not watch.

The folder is written next to its destination and moved into place when complete: a failed make
leaves no half-made study.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from msi import __version__
from msi.errors import MSIError
from msi.study.design import (
    CHECK_METHOD,
    DESIGNS,
    GRADES,
    GUIDELINE,
    QUESTIONS,
    REFERENCED,
    SCALES,
    acr_item,
    gold_item,
    pair_item,
    rater_name,
    rater_plan,
    reference_item,
    trap_item,
)
from msi.study.manifest import FORMAT, BadStudy, write_manifest

#: The page's files in msi/study/assets -> where they go in the study folder.
PAGE_FILES = {"index.html": "index.html", "study.js": "page/study.js", "study.css": "page/study.css"}
#: Long side of the videos in a study (larger ones are transcoded down).
STUDY_SIDE = 256
_SAFE = re.compile(r"[^\w.-]+")


def safe_name(name: str) -> str:
    """A file and item name: letters and digits of any script (in Unicode's composed form, NFC),
    ``.``, ``_``, ``-``; other runs become ``-``; no leading dot, so never ``..`` or a hidden file."""
    return _SAFE.sub("-", unicodedata.normalize("NFC", name)).strip("-").lstrip(".").strip("-") or "x"


def _same_names(folder: Path, found: dict[str, Path]) -> None:
    """Refuse two videos of one folder that pair up under one name (``talk.mp4`` and ``talk.avi``):
    :func:`msi.comparison.compare.list_videos` keeps one of them, and the study would silently drop the other."""
    from msi.io.video import VIDEO_EXTENSIONS

    kept = set(found.values())
    for p in sorted(Path(folder).rglob("*")):
        if p not in kept and p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file():
            key = str(p.relative_to(folder).with_suffix(""))
            if key in found:
                raise MSIError(f"{found[key]} and {p} are both video {key!r}: videos pair up by name without the "
                               "extension; rename one")


def match_videos(methods: dict[str, Path]) -> dict[str, dict[str, Path]]:
    """{utterance: {method: video}} for the utterances every method has; a one-line error when
    a method folder has no video, two of its videos have one name, the methods share none, or two
    shared names would become one utterance (:func:`safe_name`, also compared without case: a
    study folder may go to a case-insensitive disk)."""
    from msi.comparison.compare import list_videos  # the one pairing rule of msi compare
    from msi.io.remote import is_url

    found = {m: list_videos(d if is_url(d) else Path(d)) for m, d in methods.items()}
    for m, v in found.items():
        if not v:
            raise MSIError(f"method {m}: no video in {methods[m]}")
        if not is_url(methods[m]):
            _same_names(Path(methods[m]), v)
    common = sorted(set.intersection(*(set(v) for v in found.values())))
    if not common:
        raise MSIError("the method folders share no video name (videos pair up by name, as in msi compare)")
    first = next(iter(methods))
    taken: dict[str, str] = {}
    for u in common:
        other = taken.setdefault(safe_name(u).casefold(), u)
        if other != u:
            raise MSIError(f"{found[first][other]} and {found[first][u]} would both be utterance {safe_name(u)!r} "
                           "in the study (names keep letters, digits, '.', '_', '-'; case is ignored): rename one")
    return {safe_name(u): {m: found[m][u] for m in methods} for u in common}


def _check_out(out: Path, methods: dict[str, Path]) -> None:
    """Refuse a study folder inside an input method's folder (or being one): its attention clips
    would count as that method's videos in a later ``msi compare`` of the same folders."""
    from msi.io.remote import is_url

    where = out.resolve()
    for m, d in methods.items():
        if not is_url(d) and where.is_relative_to(Path(d).resolve()):
            what = "the" if where == Path(d).resolve() else "inside the"
            raise BadStudy(f"{out} is {what} folder of method {m} ({d}): its videos would count as that "
                           "method's in msi compare; make the study elsewhere")


def _shaken_copy(source: Path, dest: Path, shake_px: int | None, seed: int, side: int) -> None:
    from msi.io.audio import NoAudio, read_audio
    from msi.io.video import probe, read_frames, write_video
    from msi.plots.slices import shift_frame

    frames = read_frames(source, max_side=side)
    s = shake_px if shake_px is not None else max(3, round(0.05 * frames.shape[2]))
    shifts = np.random.default_rng(seed).integers(-s, s + 1, size=(len(frames), 2))
    try:
        wave = read_audio(source).samples.astype(np.float32) / 32768
    except NoAudio:
        wave = None
    write_video(dest, [shift_frame(f, int(dx), int(dy)) for f, (dx, dy) in zip(frames, shifts)],
                fps=probe(source).fps, crf=26, audio=wave, threads=1)


def _place_video(source: Path, dest_noext: Path, side: int) -> Path:
    """Copy ``source`` when the browser plays it as it is, else transcode a preview; the new path."""
    from msi.io.video import iter_frames, probe
    from msi.report.previews import browser_playable, write_preview

    ok, _why = browser_playable(source, side)
    if ok:  # a copy of the bytes, never a link: the study holds its own files
        dest = dest_noext.with_name(dest_noext.name + source.suffix.lower())
        shutil.copyfile(source, dest)
        return dest
    dest = dest_noext.with_name(dest_noext.name + ".mp4")
    write_preview(source, dest, iter_frames(source), probe(source).fps, side)
    return dest


def make_study(methods: dict[str, Path], out: str | os.PathLike, designs: Sequence[str] = ("acr",),
               questions: Sequence[str] = tuple(QUESTIONS), pairs: Sequence[tuple[str, str]] | None = None,
               raters: int = 20, seed: int = 0, repeats: int = 2, practice: int = 1, attention: int = 2,
               attention_source: str | None = None, shake_px: int | None = None, name: str | None = None,
               guideline: Sequence[str] = GUIDELINE, side: int = STUDY_SIDE,
               progress: Callable[[str], None] | None = None, gold: int = 0, trapping: int = 0,
               reference: str | None = None) -> dict:
    """Build the study folder ``out`` (which must not exist or be empty) and return its manifest.

    ``methods``: {name: folder}; ``designs``: ``acr`` and/or ``pair``; ``pairs``: the method pairs
    compared (default: every pair, in the order given); ``raters``: plans stored for the page
    offline (the server makes more on demand); ``repeats``, ``practice``, ``attention``: per design
    block. ``progress`` is called once per video written. ``gold``: gold clips (shaken copies,
    with feedback) opening the ACR practice round; ``trapping``: trapping clips (a video with the
    on-screen instruction to select 1 on the first question) among the ACR presentations.
    ``reference``: the method shown as the reference of the ``dcr``/``ccr`` designs (default: the first).
    """
    out = Path(out)
    if out.is_symlink():  # the study would be moved onto the link, not into the folder it names
        raise BadStudy(f"{out} is a symbolic link: give the folder it points to ({os.path.realpath(out)})")
    _check_out(out, methods)
    if out.exists() and not out.is_dir():
        raise BadStudy(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        raise BadStudy(f"{out} already exists and is not empty (a study is never overwritten)")
    if not designs or any(d not in DESIGNS for d in designs):
        raise MSIError(f"design must be one of {', '.join(DESIGNS)}")
    if not questions or any(q not in QUESTIONS for q in questions):
        raise MSIError(f"question must be among {', '.join(QUESTIONS)}")
    for m in methods:
        if safe_name(m) != m or m == CHECK_METHOD:
            raise MSIError(f"method name {m!r}: use letters, digits, '.', '_' or '-' (and not {CHECK_METHOD!r})")
    if "pair" in designs and len(methods) < 2:
        raise MSIError("a pair design needs at least two methods")
    ref = reference or next(iter(methods))
    if ref not in methods:
        raise MSIError(f"reference {ref!r} is not one of the methods ({', '.join(methods)})")
    if any(d in REFERENCED for d in designs) and len(methods) < 2:
        raise MSIError("a dcr or ccr design needs a reference and at least one other method")
    pairs = list(pairs) if pairs else list(itertools.combinations(methods, 2))
    for a, b in pairs:
        if a not in methods or b not in methods or a == b:
            raise MSIError(f"pair {a}:{b}: both must be different methods given ({', '.join(methods)})")
    source = attention_source or next(iter(methods))
    if source not in methods:
        raise MSIError(f"attention source {source!r} is not one of the methods ({', '.join(methods)})")
    if min(raters, repeats, practice, attention, gold, trapping) < 0 or raters < 1:
        raise MSIError("raters must be at least 1; repeats, practice, attention, gold and trapping at least 0")
    if (gold or trapping) and "acr" not in designs:
        raise MSIError("gold and trapping clips are graded: they need the acr design")
    if gold and "motion_stability" not in questions:
        raise MSIError("gold clips are shaken copies judged on motion stability: ask the motion_stability question")
    videos = match_videos(methods)
    utterances = list(videos)
    rng = np.random.default_rng(seed)
    copies = min(max(attention, gold), len(utterances))  # gold clips reuse the attention copies
    checks = [utterances[int(i)] for i in rng.choice(len(utterances), size=copies, replace=False)]
    traps = [utterances[int(i)] for i in rng.choice(len(utterances), size=min(trapping, len(utterances)),
                                                    replace=False)] if trapping else []

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would keep the folder from the people it is shared with
    try:
        (tmp / "page").mkdir()
        paths: dict[tuple[str, str], str] = {}
        for u, per in videos.items():
            for m, src in per.items():
                (tmp / "videos" / m).mkdir(parents=True, exist_ok=True)
                paths[m, u] = _place_video(src, tmp / "videos" / m / u, side).relative_to(tmp).as_posix()
                if progress:
                    progress(f"{m}/{u}")
        for k, u in enumerate(checks):
            (tmp / "videos" / CHECK_METHOD).mkdir(parents=True, exist_ok=True)
            dest = tmp / "videos" / CHECK_METHOD / f"{u}.mp4"  # one per utterance: names are unique
            _shaken_copy(videos[u][source], dest, shake_px, seed + 1000 + k, side)
            paths[CHECK_METHOD, u] = dest.relative_to(tmp).as_posix()
            if progress:
                progress(f"{CHECK_METHOD}/{u}")
        items: list[dict] = []
        if "acr" in designs:
            items += [acr_item(m, u, paths[m, u]) for u in utterances for m in methods]
            items += [acr_item(CHECK_METHOD, u, paths[CHECK_METHOD, u], attention=True) for u in checks[:attention]]
            items += [gold_item(u, paths[CHECK_METHOD, u]) for u in checks[:gold]]
            items += [trap_item(source, u, paths[source, u], questions[0]) for u in traps]
        if "pair" in designs:
            items += [pair_item(a, b, u, paths[a, u], paths[b, u]) for u in utterances for a, b in pairs]
            items += [pair_item(source, CHECK_METHOD, u, paths[source, u], paths[CHECK_METHOD, u], expect=source)
                      for u in checks[:attention]]
        for design in (d for d in REFERENCED if d in designs):
            items += [reference_item(design, m, u, paths[m, u], paths[ref, u]) for u in utterances for m in methods
                      if m != ref]
        ordered = [d for d in DESIGNS if d in designs]
        manifest = {
            "format": FORMAT,
            "name": name or out.name,
            "made_by": f"msi {__version__}",
            "designs": ordered,
            "questions": list(questions),
            "question_text": {q: QUESTIONS[q] for q in questions},
            "grades": [list(g) for g in GRADES],
            "guideline": list(guideline),
            "methods": list(methods),
            "utterances": utterances,
            "attention_source": source,
            **({"reference": ref, "scales": {d: [list(g) for g in SCALES[d]] for d in REFERENCED if d in designs}}
               if any(d in REFERENCED for d in designs) else {}),
            "plan": {"seed": seed, "repeats": repeats, "practice": practice},
            "items": {it["id"]: it for it in items},
            "sessions": [{"rater": rater_name(k), "plan": rater_plan(items, seed, k, repeats, practice, ordered)}
                         for k in range(raters)],
        }
        assets = resources.files("msi.study") / "assets"
        for src, dest in PAGE_FILES.items():
            (tmp / dest).write_bytes((assets / src).read_bytes())
        write_manifest(tmp, manifest)
        try:
            if out.exists():
                out.rmdir()
            os.replace(tmp, out)
        except OSError as exc:  # e.g. a file put there meanwhile
            raise BadStudy(f"{out}: cannot put the study there ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest
