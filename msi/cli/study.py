"""``msi study make|serve|analyze``: the paper's user studies (Table III, Fig. 8/9, Table IV)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from msi.cli.lazy import CONTEXT_SETTINGS
from msi.errors import OutputError, UsageError
from msi.study.httpd import (
    REQUEST_TIMEOUT,  # light: Tornado is imported only when serving
)


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
@click.option("--design", "designs", multiple=True, type=click.Choice(["acr", "pair", "dcr", "ccr"]),
              help="acr: grade each video 1-5 (MOS, Table III); pair: A vs B with 'no preference' (Fig. 8/9); "
                   "dcr: degradation 5-1 against the reference shown beside (DMOS); ccr: -3..3 against the "
                   "reference, sides drawn at random (CMOS); repeatable (default: acr)")
@click.option("--reference", default=None, metavar="NAME",
              help="the method shown as the reference in the dcr and ccr designs (default: the first)")
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
@click.option("--gold", type=int, default=0, show_default=True,
              help="gold clips opening the ACR practice round: shaken copies with a known answer, followed by "
                   "feedback (right or not, and why); never counted")
@click.option("--trapping", type=int, default=0, show_default=True,
              help="trapping clips per ACR block: a video with the on-screen instruction to select 1 on the first "
                   "question; counted as attention items (a rater who does not read it fails)")
@click.option("--name", default=None, help="the study's name (default: the folder's)")
@click.option("--guideline", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="annotation guideline shown before the practice round (text; paragraphs separated by blank lines)")
def make(methods, out, designs, reference, questions, pairs, raters, seed, repeats, practice, attention, attention_source,
         shake_px, gold, trapping, name, guideline) -> int:
    """Build a self-contained study folder from one folder of videos per method."""
    from tqdm import tqdm

    from msi.comparison.compare import parse_methods
    from msi.study.make import make_study, match_videos

    folders = parse_methods(methods)
    from msi.cli import outputs

    outputs.check_folder(Path(out).parent, "--out")  # the study is written next to it, then moved: before any video
    text = None
    if guideline:
        from msi.errors import MSIError
        from msi.io.paths import check_input_file

        try:  # a FIFO or /dev/zero would hang or fill the memory: a regular file only
            check_input_file(guideline, UsageError)
        except MSIError as exc:
            raise UsageError(f"--guideline {exc}") from None
        try:
            text = [p.strip() for p in Path(guideline).read_text(encoding="utf-8").split("\n\n") if p.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--guideline {guideline}: cannot read it ({exc.__class__.__name__})") from None
    if shake_px is not None and shake_px < 1:
        raise UsageError(f"--shake-px must be at least 1, got {shake_px}")
    if gold < 0 or trapping < 0:
        raise UsageError("--gold and --trapping must be at least 0")
    total = len(match_videos(folders)) * len(folders) + max(attention, gold)
    kwargs = {"guideline": text} if text else {}
    with tqdm(total=total, desc="videos", unit="video", file=sys.stderr) as bar:
        manifest = make_study(folders, out, designs=designs or ("acr",), questions=questions or
                              ("motion_stability", "lip_sync", "realness"), pairs=_pairs(pairs), raters=raters,
                              seed=seed, repeats=repeats, practice=practice, attention=attention,
                              attention_source=attention_source, shake_px=shake_px, name=name, gold=gold,
                              trapping=trapping, reference=reference,
                              progress=lambda _: bar.update(1), **kwargs)
    n = len(manifest["sessions"][0]["plan"])
    print(f"{out}: {len(manifest['items'])} items ({', '.join(manifest['designs'])}), {len(manifest['utterances'])} "
          f"utterances x {len(manifest['methods'])} methods, {n} presentations per rater, {raters} rater codes "
          f"(r01...). Offline: open {Path(out) / 'index.html'}; served: msi study serve {out}")
    return 0


@command.command("serve", context_settings=CONTEXT_SETTINGS, epilog="""\b
Each rater gets a link with their own random token (written to STUDY/server/links.csv);
answers go to STUDY/server/answers.sqlite as they are given. The results export
(GET /api/results) needs the owner key printed at start, in the X-Owner-Key header. Binds
127.0.0.1 unless --host says otherwise (put it behind a TLS proxy to reach raters elsewhere:
docs/study.md). Ctrl-C or SIGTERM stops it with one line (exit 130 / 143); a restart resumes.

\b
examples:
  msi study serve study/
  msi study serve study/ --raters 40 --port 8080
  msi study serve study/ --rater-param PROLIFIC_PID --consent consent.txt --max-items 40 \
      --completion-code C1234 --redirect-url 'https://app.prolific.com/submissions/complete?cc=C1234'
  (progress per rater: open BASE/owner and type the owner key)
  curl -H "X-Owner-Key: KEY" http://127.0.0.1:8000/api/results > answers.csv""")
@click.argument("study", metavar="STUDY")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to bind (0.0.0.0: every interface)")
@click.option("--port", type=int, default=8000, show_default=True, help="port (0: any free port)")
@click.option("--raters", type=int, default=None, metavar="N",
              help="make sure N rater links exist (default: as many as the study's rater codes)")
@click.option("--threads", type=int, default=8, show_default=True, help="request threads")
@click.option("--timeout", type=float, default=REQUEST_TIMEOUT, show_default=True, metavar="SECONDS",
              help="a request's headers, and then its body, must arrive within this; also the idle time of a "
                   "kept-alive connection (slow clients cannot hold the server)")
@click.option("--rater-param", default=None, metavar="NAME",
              help="crowd flow: the URL parameter naming the rater (Prolific: PROLIFIC_PID, MTurk: workerId); "
                   "a visitor of BASE/?NAME=ID becomes rater ID (default: off, raters use their token links)")
@click.option("--completion-code", default=None, metavar="CODE",
              help="shown to a rater who answered every presentation (default: none)")
@click.option("--redirect-url", default=None, metavar="URL",
              help="opened when a rater has answered every presentation, e.g. Prolific's "
                   "https://app.prolific.com/submissions/complete?cc=CODE (default: none)")
@click.option("--max-items", type=int, default=None, metavar="N",
              help="per-rater cap: each rater's plan cut to its first N counted presentations (default: the whole plan)")
@click.option("--consent", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="consent and instructions (text; paragraphs separated by blank lines) a rater must agree to "
                   "before the study starts (default: none)")
@click.option("--adaptive", is_flag=True,
              help="pair designs over 3+ methods: each rater's pairs chosen, when they start, by the information-"
                   "based planner from the answers so far (default: the fixed plan of make)")
def serve(study, host, port, raters, threads, timeout, rater_param, completion_code, redirect_url, max_items,
          consent, adaptive) -> int:
    """Serve a study over HTTP and store the answers as they arrive."""
    import re
    import tempfile

    from msi.errors import Interrupted
    from msi.study.server import bind, create_app, prepare, unservable

    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {port}")
    if raters is not None and raters < 1:
        raise UsageError(f"--raters must be at least 1, got {raters}")
    if threads < 1:
        raise UsageError(f"--threads must be at least 1, got {threads}")
    if not 0.1 <= timeout <= 3600:  # also refuses nan
        raise UsageError(f"--timeout must be 0.1-3600 seconds, got {timeout}")
    if rater_param is not None and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", rater_param):
        raise UsageError(f"--rater-param must be a URL parameter name (letters, digits, '_', '-', '.'), got {rater_param!r}")
    if rater_param == "t":
        raise UsageError("--rater-param t is the rater token's own parameter: name the platform's")
    if redirect_url is not None and not re.fullmatch(r"https?://[^\s\"'<>]+", redirect_url):
        raise UsageError(f"--redirect-url must be an http:// or https:// URL, got {redirect_url!r}")
    if completion_code is not None and not 1 <= len(completion_code.strip()) <= 200:
        raise UsageError("--completion-code must be 1-200 characters")
    if max_items is not None and max_items < 1:
        raise UsageError(f"--max-items must be at least 1, got {max_items}")
    paragraphs: tuple[str, ...] = ()
    if consent:
        from msi.errors import MSIError
        from msi.io.paths import check_input_file

        try:
            check_input_file(consent, UsageError)
            paragraphs = tuple(x.strip() for x in Path(consent).read_text(encoding="utf-8").split("\n\n") if x.strip())
        except MSIError as exc:
            raise UsageError(f"--consent {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--consent {consent}: cannot read it ({exc.__class__.__name__})") from None
        if not paragraphs:
            raise UsageError(f"--consent {consent}: the file is empty")
    from msi.study.manifest import load_study
    from msi.study.server import CrowdFlow

    crowd = CrowdFlow(rater_param, completion_code and completion_code.strip(), redirect_url, max_items, paragraphs,
                      adaptive)
    manifest = load_study(study)
    if adaptive:
        from msi.study.server import adaptive_design

        adaptive_design(manifest)
    manifest, store, links, key = prepare(study, raters or max(1, len(manifest["sessions"])))
    srv = bind(create_app(manifest, store, crowd), host, port, threads, timeout)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{srv.port}/"
    folder = Path(manifest["folder"]) / "server"
    links_file = folder / "links.csv"
    # written whole under another name, then renamed: never through a link left at links.csv
    try:
        fd, tmp = tempfile.mkstemp(prefix=".links.", dir=folder)  # mode 0600
        with os.fdopen(fd, "w") as f:
            f.write("rater,url\n" + "".join(f"{r},{base}?t={t}\n" for r, t in links))
        os.replace(tmp, links_file)
    except OSError as exc:
        srv.close()
        raise OutputError(f"{links_file}: cannot write the raters' links ({exc.strerror or exc})") from None
    print(f"serving {manifest['name']} at {base} ({len(links)} raters; their links: {links_file})", flush=True)
    print(f"results: curl -H 'X-Owner-Key: {key}' {base}api/results > answers.csv", flush=True)
    if rater_param:
        print(f"crowd link: {base}?{rater_param}={{{{%{rater_param}%}}}} (the platform fills in the id)", flush=True)
    unserved = unservable(manifest)
    if unserved:
        print(f"msi: warning: {len(unserved)} video(s) will not be served, e.g. {unserved[0]} (a link out of "
              "the study, or a file with other hard links: replace it by a copy)", file=sys.stderr, flush=True)
    try:
        srv.run()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (msi.cli.signals): finish the requests in progress
        srv.close()
        raise Interrupted(f"{store.count()} answers stored in {store.path}") from None
    return 0


@command.command("analyze", context_settings=CONTEXT_SETTINGS, epilog="""\b
ANSWERS: answers files and/or a served study folder (its answers database is read). Files:
the page's answers-*.csv exports or the server's /api/results; the minimal tidy rows (ACR:
rater,method,utterance,question,grade; pair: rater,utterance,question,a,b,choice); a wide table
(one column per question); avrateNG's ratings (ratings.db or its CSV); the ITU-T P.910 toolkit's
answers or votes_per_worker CSV. The format is recognised by its columns (--format to say it).
Writes into --out: report.md, screening.csv, mos.csv, per_video_mos.csv, preference.csv,
preference.png, agreement.csv, summary.json; with DCR/CCR answers dmos.csv/cmos.csv; with
pairs over 3+ methods the ranking: scale.csv (Thurstone Case V in JOD, Bradley-Terry),
win_probability.csv, ranking.png, ranking.tex.

\b
examples:
  msi study analyze study/ --out results/
  msi study analyze answers-*.csv --study study/ --out results/ --panel bt500
  msi study analyze ratings.db --question motion_stability --out results/      # avrateNG
  msi study analyze batch_results.csv --clip-pattern '(?P<method>[^/]+)/(?P<utterance>[^/.]+)[.]mp4' --out r/
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
@click.option("--format", "fmt", type=click.Choice(["auto", "msi", "tidy", "wide", "avrate", "p910", "p910-votes"]),
              default="auto", show_default=True, help="the answers files' format (auto: recognised by the columns)")
@click.option("--design", type=click.Choice(["acr", "dcr", "ccr"]), default=None,
              help="what the grades of a file that does not say are: ACR (default), DCR (degradation, reference "
                   "shown: DMOS) or CCR (-3..3 against the reference: CMOS); the P.910 files say it themselves")
@click.option("--question", default="quality", show_default=True, metavar="NAME",
              help="the question of formats that name none (avrateNG, P.910)")
@click.option("--clip-pattern", default=None, metavar="REGEX",
              help="regular expression with groups (?P<method>...) and (?P<utterance>...) naming a clip from its "
                   "path or URL (default: its folder is the method, its file name the utterance)")
@click.option("--min-variance", type=float, default=0.15, show_default=True,
              help="straightliner rule: exclude a rater whose grades (or sides chosen) vary less than this "
                   "(sample variance; the P.910 toolkit's default; 0: off)")
@click.option("--outlier-z", type=float, default=None, metavar="Z",
              help="leave out votes with |z| >= Z among their video's grades (the P.910 toolkit's rule uses 3.29; "
                   "default: off, as there)")
@click.option("--max-presentations", type=int, default=None, metavar="N",
              help="per-rater cap: count only each rater's first N presentations (default: all)")
@click.option("--resamples", type=int, default=1000, show_default=True,
              help="bootstrap resamples over raters for the ranking's intervals (pairs over 3+ methods)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the bootstrap")
@click.option("--json", "as_json", is_flag=True, help="print summary.json (every table) instead of the report")
def analyze(answers, out, study, max_attention_fails, max_repeat_diff, max_repeat_flips, panel, min_r, title, fmt,
            design, question, clip_pattern, min_variance, outlier_z, max_presentations, resamples, seed,
            as_json) -> int:
    """Screen the raters, then MOS with 95% intervals, preferences with sign tests, agreement
    (Krippendorff's alpha, ICC) and the per-video MOS for msi correlate; DMOS/CMOS of DCR/CCR
    answers; pairs over three or more methods ranked on one scale with intervals."""
    import pandas as pd

    from msi.study.analysis import analyze as run
    from msi.study.answers import validate
    from msi.study.formats import read_many
    from msi.study.manifest import load_study
    from msi.study.report import markdown, write_outputs

    if resamples < 1:
        raise UsageError(f"--resamples must be at least 1, got {resamples}")
    if max_presentations is not None and max_presentations < 1:
        raise UsageError(f"--max-presentations must be at least 1, got {max_presentations}")
    if outlier_z is not None and outlier_z <= 0:
        raise UsageError(f"--outlier-z must be positive, got {outlier_z}")
    if min_variance < 0:
        raise UsageError(f"--min-variance must be at least 0, got {min_variance}")
    files, frames, manifest = [], [], None
    for a in answers:
        p = Path(a)
        if p.is_dir():
            import sqlite3

            from msi.study.store import AnswerStore

            manifest = load_study(p)
            db = Path(manifest["folder"]) / "server" / "answers.sqlite"
            if not db.is_file():
                raise UsageError(f"{p}: this study has not been served (no server/answers.sqlite); give answers files")
            try:
                rows = AnswerStore(db).rows()
            except sqlite3.Error as exc:  # damaged, foreign, or locked for longer than the timeout
                raise UsageError(f"{db}: cannot read the answers ({exc})") from None
            if not rows:
                raise UsageError(f"{p}: no answers stored yet")
            frames.append(validate(pd.DataFrame(rows), str(db)))
        else:
            files.append(p)
    if files:
        imported = read_many(files, fmt=fmt, design=design, question=question, clip_pattern=clip_pattern)
        for note in imported.notes:
            print(f"msi: note: {note}", file=sys.stderr)
        frames.append(imported.answers)
    df = validate(pd.concat(frames, ignore_index=True), "the answers together") if len(frames) > 1 else frames[0]
    if study:
        manifest = load_study(study)
    result = run(df, questions=manifest["questions"] if manifest else None, resamples=resamples, seed=seed,
                 max_presentations=max_presentations, outlier_z=outlier_z,
                 min_variance=min_variance or None, max_attention_fails=max_attention_fails,
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
    print((Path(out) / "summary.json").read_text().rstrip() if as_json else markdown(result, name))
    print(f"msi: wrote {', '.join(p.name for p in written)} to {out}", file=sys.stderr)
    return 0
