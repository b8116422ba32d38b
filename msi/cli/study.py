"""``msi study make|serve|analyze``: the paper's user studies (Table III, Fig. 8/9, Table IV)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from msi.cli.lazy import CONTEXT_SETTINGS
from msi.errors import OutputError, UsageError


@click.group("study", context_settings=CONTEXT_SETTINGS, epilog="""\b
examples:
  msi study make real=data/real ours=out/ours --design acr --design pair --out study/
  msi study serve study/ --raters 18            # one link per rater; Ctrl-C stops, a restart resumes
  msi study analyze study/ --out results/       # the served answers (or answers-*.csv from the page offline)
  msi correlate results/per_video_mos.csv --score --out table4.md""")
def command() -> None:
    """Make, serve and analyse a user study of talking-face videos (StableFace's Table III MOS,
    Fig. 8/9 preferences, Table IV's opinion scores).

    A study is a folder that works offline (open index.html; each rater exports a CSV) or served
    (msi study serve). The answers are one tidy table, analysed by msi study analyze.
    """


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]] | None:
    out = []
    for v in values:
        a, sep, b = v.partition(":")
        if not sep or not a or not b:
            raise UsageError(f"--pair {v!r}: expected A:B (two method names)")
        out.append((a, b))
    return out or None


@command.command("make", context_settings=CONTEXT_SETTINGS, epilog="""\b
Videos pair up across the folders by name (the utterance), as in msi compare.
The folder holds index.html (the page), page/, videos/ and study.json.

\b
examples:
  msi study make real=data/real ours=out/ours baseline=out/base --out study/
  msi study make real=real/ ours=ours/ --design pair --pair ours:real --question motion_stability --out pref/
  msi study make a=a/ b=b/ --design acr --design pair --raters 30 --repeats 3 --attention 3 --out study/""")
@click.argument("methods", nargs=-1, required=True, metavar="NAME=DIR...")
@click.option("--out", "-o", required=True, metavar="STUDY", help="the study folder to create (must not exist or be empty)")
@click.option("--design", "designs", multiple=True, type=click.Choice(["acr", "pair"]),
              help="acr: grade each video 1-5 (MOS, Table III); pair: A vs B with 'no preference' (Fig. 8/9); "
                   "repeat for both (default: acr)")
@click.option("--question", "questions", multiple=True,
              type=click.Choice(["motion_stability", "lip_sync", "realness"]),
              help="the paper's questions to ask (repeatable; default: all three)")
@click.option("--pair", "pairs", multiple=True, metavar="A:B", help="methods compared in the pair design (repeatable; "
                                                                     "default: every pair)")
@click.option("--raters", type=int, default=20, show_default=True, help="rater plans stored for the page offline "
                                                                         "(r01, r02, ...; the server makes more on demand)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the orders, sides and attention clips")
@click.option("--repeats", type=int, default=2, show_default=True, help="hidden repeats per design (consistency)")
@click.option("--practice", type=int, default=1, show_default=True, help="practice presentations per design (not counted)")
@click.option("--attention", type=int, default=2, show_default=True,
              help="attention items per design: a clip shaken frame by frame, with a known answer")
@click.option("--attention-source", default=None, metavar="NAME", help="method whose clips are shaken for the attention "
                                                                         "items (default: the first)")
@click.option("--shake-px", type=int, default=None, metavar="PX", help="attention copies' shake in pixels "
                                                                         "(default: 5%% of the width)")
@click.option("--name", default=None, help="the study's name (default: the folder's)")
@click.option("--guideline", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="annotation guideline shown before the practice round (text; paragraphs separated by blank lines)")
def make(methods, out, designs, questions, pairs, raters, seed, repeats, practice, attention, attention_source,
         shake_px, name, guideline) -> int:
    """Build a self-contained study folder from one folder of videos per method."""
    from tqdm import tqdm

    from msi.study.make import match_videos, make_study

    from msi.comparison.compare import parse_methods

    folders = parse_methods(methods)
    text = None
    if guideline:
        try:
            text = [p.strip() for p in Path(guideline).read_text(encoding="utf-8").split("\n\n") if p.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--guideline {guideline}: cannot read it ({exc.__class__.__name__})") from None
    if shake_px is not None and shake_px < 1:
        raise UsageError(f"--shake-px must be at least 1, got {shake_px}")
    total = len(match_videos(folders)) * len(folders) + attention
    kwargs = {"guideline": text} if text else {}
    with tqdm(total=total, desc="videos", unit="video", file=sys.stderr) as bar:
        manifest = make_study(folders, out, designs=designs or ("acr",), questions=questions or
                              ("motion_stability", "lip_sync", "realness"), pairs=_pairs(pairs), raters=raters,
                              seed=seed, repeats=repeats, practice=practice, attention=attention,
                              attention_source=attention_source, shake_px=shake_px, name=name,
                              progress=lambda _: bar.update(1), **kwargs)
    n = len(manifest["sessions"][0]["plan"])
    print(f"{out}: {len(manifest['items'])} items ({', '.join(manifest['designs'])}), {len(manifest['utterances'])} "
          f"utterances x {len(manifest['methods'])} methods, {n} presentations per rater, {raters} rater codes "
          f"(r01...). Offline: open {Path(out) / 'index.html'}; served: msi study serve {out}")
    return 0


@command.command("serve", context_settings=CONTEXT_SETTINGS, epilog="""\b
Each rater gets a link with their own random token (written to STUDY/server/links.csv);
answers go to STUDY/server/answers.sqlite as they are given. The results export
(GET /api/results) needs the owner key printed at start. Binds 127.0.0.1 unless --host says
otherwise (put it behind a TLS proxy to reach raters elsewhere).

\b
examples:
  msi study serve study/
  msi study serve study/ --raters 40 --port 8080
  curl -H "X-Owner-Key: KEY" http://127.0.0.1:8000/api/results > answers.csv""")
@click.argument("study", metavar="STUDY")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to bind (0.0.0.0: every interface)")
@click.option("--port", type=int, default=8000, show_default=True, help="port (0: any free port)")
@click.option("--raters", type=int, default=None, metavar="N",
              help="make sure N rater links exist (default: as many as the study's rater codes)")
@click.option("--threads", type=int, default=8, show_default=True, help="request threads")
def serve(study, host, port, raters, threads) -> int:
    """Serve a study over HTTP and store the answers as they arrive."""
    from msi.study.server import bind, create_app, prepare

    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {port}")
    if raters is not None and raters < 1:
        raise UsageError(f"--raters must be at least 1, got {raters}")
    if threads < 1:
        raise UsageError(f"--threads must be at least 1, got {threads}")
    from msi.study.manifest import load_study

    manifest = load_study(study)
    manifest, store, links, key = prepare(study, raters or len(manifest["sessions"]))
    srv = bind(create_app(manifest, store), host, port, threads)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{srv.effective_port}/"
    links_file = Path(manifest["folder"]) / "server" / "links.csv"
    with open(links_file, "w") as f:
        f.write("rater,url\n" + "".join(f"{r},{base}?t={t}\n" for r, t in links))
    os.chmod(links_file, 0o600)
    print(f"serving {manifest['name']} at {base} ({len(links)} raters; their links: {links_file})", flush=True)
    print(f"results: curl -H 'X-Owner-Key: {key}' {base}api/results > answers.csv", flush=True)
    srv.run()
    return 0


@command.command("analyze", context_settings=CONTEXT_SETTINGS, epilog="""\b
ANSWERS: answers files (.csv/.json, e.g. the page's answers-*.csv exports or the server's
/api/results) and/or a served study folder (its answers database is read).
Writes into --out: report.md, screening.csv, mos.csv, per_video_mos.csv, preference.csv,
preference.png, agreement.csv, summary.json.

\b
examples:
  msi study analyze study/ --out results/
  msi study analyze answers-*.csv --study study/ --out results/ --panel bt500
  msi correlate results/per_video_mos.csv --score --out table4.md     # Table IV""")
@click.argument("answers", nargs=-1, required=True, metavar="ANSWERS...")
@click.option("--out", "-o", required=True, metavar="DIR", help="folder for the tables, the figure and report.md")
@click.option("--study", default=None, metavar="STUDY",
              help="the study folder: per_video_mos.csv then names the videos by paths msi correlate --score finds")
@click.option("--max-attention-fails", type=int, default=0, show_default=True,
              help="exclude a rater who fails more attention items than this")
@click.option("--max-repeat-diff", type=float, default=1.5, show_default=True,
              help="exclude a rater whose repeated grades differ by more than this on average")
@click.option("--max-repeat-flips", type=float, default=0.5, show_default=True,
              help="exclude a rater who changes more than this share of repeated preferences")
@click.option("--panel", type=click.Choice(["p913", "bt500", "none"]), default="p913", show_default=True,
              help="screening of raters who disagree with the panel: ITU-T P.913 (correlation with the others' "
                   "mean) or ITU-R BT.500 (outlying grades)")
@click.option("--min-r", type=float, default=0.75, show_default=True, help="with --panel p913: least correlation with the panel")
@click.option("--title", default=None, help="title of report.md (default: the study's name)")
def analyze(answers, out, study, max_attention_fails, max_repeat_diff, max_repeat_flips, panel, min_r, title) -> int:
    """Screen the raters, then MOS with 95% intervals, preferences with sign tests, agreement
    (Krippendorff's alpha, ICC) and the per-video MOS for msi correlate."""
    import pandas as pd

    from msi.study.analysis import analyze as run
    from msi.study.answers import read_answers, validate
    from msi.study.manifest import load_study
    from msi.study.report import markdown, write_outputs

    files, frames, manifest = [], [], None
    for a in answers:
        p = Path(a)
        if p.is_dir():
            from msi.study.store import AnswerStore

            manifest = load_study(p)
            db = Path(manifest["folder"]) / "server" / "answers.sqlite"
            if not db.is_file():
                raise UsageError(f"{p}: this study has not been served (no server/answers.sqlite); give answers files")
            rows = AnswerStore(db).rows()
            if not rows:
                raise UsageError(f"{p}: no answers stored yet")
            frames.append(validate(pd.DataFrame(rows), str(db)))
        else:
            files.append(p)
    if files:
        frames.append(read_answers(files))
    df = validate(pd.concat(frames, ignore_index=True), "the answers together") if len(frames) > 1 else frames[0]
    if study:
        manifest = load_study(study)
    result = run(df, questions=manifest["questions"] if manifest else None, max_attention_fails=max_attention_fails,
                 max_repeat_diff=max_repeat_diff, max_repeat_flips=max_repeat_flips, panel=panel, min_r=min_r)
    if manifest is not None and not result.per_video.empty:  # paths from the output folder to the study's videos
        root = Path(manifest["folder"])
        result.per_video["video"] = [os.path.relpath(root / v, Path(out).resolve()) for v in result.per_video["video"]]
    name = title or (manifest["name"] if manifest else str(df["study"].dropna().iloc[0]) if df["study"].notna().any()
                     else "User study")
    try:
        written = write_outputs(result, out, name)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the results ({exc.strerror or exc})") from None
    print(markdown(result, name))
    print(f"msi: wrote {', '.join(p.name for p in written)} to {out}", file=sys.stderr)
    return 0
