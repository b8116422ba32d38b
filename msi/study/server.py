"""``msi study serve``: the study on HTTP, a Flask app (:func:`create_app`) on a Tornado server
that bounds every request in time and size (:mod:`msi.study.httpd`), answers stored in SQLite as
they are given (:mod:`msi.study.store`).

Routes:

* ``GET /?t=TOKEN``: the rating page; ``GET /page/<file>``, ``GET /videos/<path>``: its files.
  Only regular files that are inside ``index.html``, ``page/`` or ``videos/`` once every symbolic
  link is resolved are served (:func:`study_file`): a link pointing elsewhere, a path leaving those
  folders (``..``, absolute, encoded), a folder, a device or pipe, and a file with other hard links
  (it may be a file outside the study under a second name) are a 404. Nothing else of the study
  folder is served (not ``study.json``, not ``server/``).
* ``GET /api/session?t=TOKEN``: the rater's code, plan and the presentations already answered
  (a rater who reloads continues where they were).
* ``POST /api/answer``: ``{"t": TOKEN, "seq": N, "answers": {question: grade|choice}, "seconds": s}``.
  The rater is the token's: no one writes another rater's answers. Refused with a 4xx and a JSON
  ``{"error": ...}``: a body over :data:`MAX_BODY` bytes (413), nested deeper than
  :data:`MAX_DEPTH` (checked before parsing: a deep body cannot exhaust the parser's recursion),
  not a JSON object or with other keys (400), an unknown token (403), a presentation not in the
  rater's plan (404), a grade outside 1-5 or a choice other than ``a``/``b``/``none`` or questions
  not the study's (422), a presentation already answered differently (409; the same answer again
  is a harmless retry, 200).
* Crowd flows (:class:`CrowdFlow`, each off unless ``msi study serve`` is given its option):
  ``GET /api/config``: what the page needs before it has a token (the platform's URL parameter
  naming the rater, the consent text); ``POST /api/join`` ``{"id": PLATFORM_ID}``: the token of the
  rater with that platform id (made on first arrival, the same on return: a reload resumes);
  ``GET /api/done?t=TOKEN``: the completion code and redirect URL, only once every presentation
  of the rater's plan is answered (409 before: the code cannot be read off the API early).
  With ``max_items`` each rater's plan is cut to its first N counted presentations (practice
  kept): the server refuses the rest as not in the plan.
* ``GET /owner``: the owner's progress page (no secret in it: it asks for the owner key and
  sends it in the header); ``GET /api/progress`` with ``X-Owner-Key``: per rater the
  presentations answered of their plan, per item (``main`` presentations) the raters who rated
  it, and the items short of ``?target=N`` ratings (default :data:`TARGET_RATINGS`).
* ``GET /api/results`` with the owner's key in the header ``X-Owner-Key`` (never in the URL,
  where it would reach logs and browser history): every answer as the tidy CSV (``?format=json``:
  JSON rows), downloaded as ``answers-<study>.csv`` (RFC 6266 ``filename*``: any study name);
  403 without it."""
from __future__ import annotations

import csv
import hmac
import io
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from msi.errors import MSIError
from msi.study.answers import COLUMNS, BadAnswers, check_values, expand
from msi.study.manifest import BadStudy, load_study, session_plan
from msi.study.store import AnswerStore

#: Largest request body (bytes): an answer is a few hundred.
MAX_BODY = 16 * 1024
#: Deepest nesting of arrays and objects in a body: an answer is 2 deep.
MAX_DEPTH = 4
#: What the page needs of the study folder: these, and nothing else, are served.
SERVED = ("index.html", "page", "videos")
ANSWER_KEYS = {"t", "seq", "answers", "seconds"}
#: What a rater token can be (:func:`secrets.token_urlsafe`'s alphabet).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")
#: A JSON string (its closing quote optional, so that no match is ever retried) or a bracket.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


#: Ratings an item should get (ITU-T P.910 and P.808 ask for at least 15 valid votes per clip):
#: the owner page lists the items short of it.
TARGET_RATINGS = 15
#: A platform's participant id (Prolific's PROLIFIC_PID, MTurk's workerId, ...): letters, digits, ``_-.``.
_EXTERNAL = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class CrowdFlow:
    """The crowd platform's side of a served study (all off by default).

    ``rater_param``: the URL query parameter that names the rater (``PROLIFIC_PID``); a visitor
    with it and no token becomes the rater of that id. ``completion_code`` and ``redirect_url``:
    shown, and opened, at the end. ``max_items``: counted presentations per rater (practice
    apart). ``consent``: paragraphs shown before anything else, to agree to. ``adaptive``: each
    rater's pair presentations chosen by :func:`msi.study.adaptive.plan_pairs` from the answers
    stored when the rater starts (:func:`assign_pairs`)."""

    rater_param: str | None = None
    completion_code: str | None = None
    redirect_url: str | None = None
    max_items: int | None = None
    consent: tuple[str, ...] = ()
    adaptive: bool = False


def adaptive_design(manifest: dict) -> list[str]:
    """The methods an adaptive pair plan ranks, or :class:`BadStudy` in one line: the study needs
    a pair design whose pairs connect three or more methods, each pair for some utterance."""
    pairs = {frozenset((it["a"], it["b"])) for it in manifest["items"].values() if it["type"] == "pair" and "expect" not in it}
    methods = sorted({m for p in pairs for m in p})
    if len(methods) < 3 or len(pairs) < len(methods) * (len(methods) - 1) // 2:
        raise BadStudy("--adaptive needs a pair design over 3 or more methods with every pair made "
                       f"(this study compares {len(pairs)} pair(s) of {len(methods)} methods)")
    return methods


def capped(plan: list[dict], max_items: int | None) -> list[dict]:
    """``plan`` with only its first ``max_items`` counted presentations (practice ones all kept)."""
    if max_items is None:
        return plan
    out, n = [], 0
    for e in plan:
        if e["kind"] == "practice" or n < max_items:
            out.append(e)
            n += e["kind"] != "practice"
    return out


def assign_pairs(items: dict, plan: list[dict], picks: list[tuple[str, str]]) -> list[dict]:
    """``plan`` with its ``main`` pair presentations showing the method pairs ``picks`` (in order,
    one per presentation): each keeps its utterance when the study has that pair for it (else the
    first utterance that has it), its seq, kind and sides; a hidden repeat follows its original."""
    by_pair: dict[frozenset, list[str]] = {}
    for i, it in items.items():
        if it["type"] == "pair" and "expect" not in it:
            by_pair.setdefault(frozenset((it["a"], it["b"])), []).append(i)
    main = [e for e in plan if e["kind"] == "main" and items[e["item"]]["type"] == "pair"]
    new: dict[str, str] = {}
    for e, (a, b) in zip(main, picks):
        have = by_pair[frozenset((a, b))]
        same = [i for i in have if items[i]["utterance"] == items[e["item"]]["utterance"]]
        new.setdefault(e["item"], (same or have)[0])
    return [{**e, "item": new.get(e["item"], e["item"])} if e["kind"] in ("main", "repeat") else e for e in plan]


class PortInUse(MSIError):
    """The address to serve on cannot be bound (in use, or not this machine's)."""

    kind = "port"


def server_folder(study: Path) -> Path:
    """Where a served study keeps its database and links (never served)."""
    d = Path(study) / "server"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def study_file(root: Path, rel: str) -> Path | None:
    """The file a request for ``rel`` (a path under the study folder ``root``, already resolved)
    may be sent, or None: a regular file with one link, inside ``index.html``, ``page/`` or
    ``videos/`` of ``root`` after every symbolic link is resolved."""
    if "\x00" in rel:
        return None
    target = Path(os.path.realpath(root / rel))
    inside = any(target == root / s or target.is_relative_to(root / s) for s in SERVED)
    if not inside:
        return None
    try:
        st = os.stat(target)
    except (OSError, ValueError):
        return None
    return target if stat.S_ISREG(st.st_mode) and st.st_nlink <= 1 else None  # 0: some FUSE disks


def unservable(manifest: dict) -> list[str]:
    """The study's videos that :func:`study_file` will not serve (a link out of the study, a file
    with other hard links), by their path in the study."""
    root = Path(manifest["folder"])
    videos = {v for it in manifest["items"].values() for k, v in it.items() if k in ("video", "video_a", "video_b", "reference")}
    return sorted(v for v in videos if study_file(root, v) is None)


def nesting_depth(data: bytes, stop: int | None = None) -> int:
    """How deep arrays and objects nest in the JSON text ``data`` (brackets inside strings do not
    count). Linear time whatever the text: a string runs to its closing quote or to the end.
    ``stop``: return as soon as the depth exceeds it."""
    depth = deepest = 0
    for token in _JSON_TOKENS.findall(data):  # one pass: each string is taken whole, even unterminated
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if stop is not None and deepest > stop:
                break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def download_header(filename: str) -> str:
    """``Content-Disposition`` of a download named ``filename``, any characters (RFC 6266):
    an ASCII ``filename`` for old clients and the exact name as UTF-8 in ``filename*``."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def create_app(manifest: dict, store: AnswerStore, crowd: CrowdFlow | None = None):
    """The Flask app of one study (``manifest`` as :func:`msi.study.manifest.load_study` returns
    it), with the crowd flow ``crowd`` (default: none)."""
    from flask import Flask, Response, jsonify, request, send_file
    from werkzeug.exceptions import HTTPException

    root = Path(manifest["folder"])
    app = Flask("msi.study", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    plans: dict[int, dict[int, dict]] = {}
    crowd = crowd or CrowdFlow()
    adaptive_methods = adaptive_design(manifest) if crowd.adaptive else []

    def adaptive_plan(index: int) -> list[dict]:
        from msi.study.adaptive import plan_pairs
        from msi.study.answers import frame

        base = session_plan(manifest, index)
        n = sum(e["kind"] == "main" and manifest["items"][e["item"]]["type"] == "pair" for e in base)
        picks = plan_pairs(frame(store.rows()), adaptive_methods, count=n, question=manifest["questions"][0])
        return assign_pairs(manifest["items"], base, picks)

    def plan_of(index: int) -> dict[int, dict]:
        if index not in plans:  # plans are pure functions of the study (adaptive: stored): computed once per rater
            plan = store.plan(index, lambda: adaptive_plan(index)) if crowd.adaptive else session_plan(manifest, index)
            plans[index] = {int(e["seq"]): e for e in capped(plan, crowd.max_items)}
        return plans[index]

    def refuse(status: int, message: str):
        return jsonify(error=message), status

    @app.after_request
    def headers(resp):
        resp.headers["Server"] = "msi-study"  # not the server's name and version
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"  # the token is in the page's URL
        if request.path == "/" or request.path.startswith("/api/"):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc):  # 400, 404, 405, 413, 416, ...: JSON as every other refusal
        return refuse(exc.code, exc.description.split(".")[0] if exc.code != 413 else
                      f"request body larger than {MAX_BODY} bytes")

    @app.errorhandler(500)
    def internal_error(exc):  # a bug, logged by Flask; the client still gets JSON
        return refuse(500, "internal error")

    def send(rel: str):
        path = study_file(root, rel)
        if path is None:
            return refuse(404, "not found")
        return send_file(path, conditional=True)

    @app.get("/")
    def index():
        return send("index.html")

    @app.get("/page/<path:name>")
    def page(name: str):
        return send(f"page/{name}")

    @app.get("/videos/<path:name>")
    def videos(name: str):
        return send(f"videos/{name}")

    def rater_of(token) -> tuple[str, int] | None:  # tokens are URL-safe base64: anything else is no one's
        return store.rater(token) if isinstance(token, str) and _TOKEN.fullmatch(token) else None

    @app.get("/api/session")
    def session():
        who = rater_of(request.args.get("t") or request.headers.get("X-Rater-Token"))
        if who is None:
            return refuse(403, "unknown rater token")
        rater, index = who
        return jsonify(rater=rater, plan=list(plan_of(index).values()), answered=sorted(store.answered(rater)))

    @app.get("/api/config")
    def config():
        return jsonify(rater_param=crowd.rater_param, consent=list(crowd.consent))

    @app.post("/api/join")
    def join():
        if not crowd.rater_param:
            return refuse(404, "this study takes raters by their link only")
        data = request.get_data(cache=False)  # as an answer: bounded in size, then in nesting, then parsed
        if nesting_depth(data, stop=MAX_DEPTH) > MAX_DEPTH:
            return refuse(400, f"the body nests deeper than {MAX_DEPTH} levels")
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):
            body = None
        pid = body.get("id") if isinstance(body, dict) else None
        if not isinstance(pid, str) or not _EXTERNAL.fullmatch(pid):
            return refuse(400, f"{crowd.rater_param} must be 1-64 letters, digits, '_', '-' or '.'")
        token = store.join(pid)
        if token is None:
            return refuse(409, f"{pid!r} is a rater code of this study: use your link")
        return jsonify(t=token)

    @app.get("/api/done")
    def done():
        who = rater_of(request.args.get("t"))
        if who is None:
            return refuse(403, "unknown rater token")
        rater, index = who
        left = set(plan_of(index)) - set(store.answered(rater))
        if left:
            return refuse(409, f"{len(left)} presentation(s) not answered yet")
        return jsonify(code=crowd.completion_code, redirect=crowd.redirect_url)

    @app.post("/api/answer")
    def answer():
        data = request.get_data(cache=False)  # over MAX_BODY: 413 (the Content-Length, before reading)
        if nesting_depth(data, stop=MAX_DEPTH) > MAX_DEPTH:
            return refuse(400, f"the body nests deeper than {MAX_DEPTH} levels")
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            body = None
        if not isinstance(body, dict):
            return refuse(400, "the body must be a JSON object")
        extra = set(body) - ANSWER_KEYS
        if extra or not {"t", "seq", "answers"} <= set(body):
            return refuse(400, f"the body has keys {sorted(ANSWER_KEYS)}, 'seconds' optional")
        who = rater_of(body["t"])
        if who is None:
            return refuse(403, "unknown rater token")
        rater, index = who
        seq = body["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int) or seq not in plan_of(index):
            return refuse(404, f"no presentation {seq!r} in this rater's plan")
        seconds = body.get("seconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                    or not 0 <= seconds < 1e6):
            return refuse(400, "seconds must be a number of seconds")
        entry = plan_of(index)[seq]
        try:
            values = check_values(manifest["items"][entry["item"]], manifest["questions"], body["answers"])
        except BadAnswers as exc:
            return refuse(422, str(exc))
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result = store.add(expand(manifest, entry, values, rater, seconds, at))
        if result == "conflict":
            return refuse(409, f"presentation {seq} was already answered otherwise")
        return jsonify(ok=True, stored=result == "stored")

    def owner() -> bool:
        key = request.headers.get("X-Owner-Key", "")
        return hmac.compare_digest(key.encode(), store.owner_key().encode())

    @app.get("/owner")
    def owner_page():
        from importlib import resources

        page = (resources.files("msi.study") / "assets" / "owner.html").read_bytes()
        return Response(page, mimetype="text/html")

    @app.get("/api/progress")
    def progress():
        if not owner():
            return refuse(403, "the progress needs the study owner's key")
        target = request.args.get("target", str(TARGET_RATINGS))
        if not target.isdigit() or not 1 <= int(target) <= 100_000:
            return refuse(400, "target must be a whole number of ratings, 1 or more")
        raters = []
        for r in store.progress():
            planned = len(plan_of(r["index"]))
            raters.append({"rater": r["rater"], "joined": r["joined"], "answered": r["answered"], "planned": planned,
                           "done": r["answered"] >= planned})
        counts = store.ratings_per_item()
        items = [{"item": i, "ratings": counts.get(i, 0)} for i, it in manifest["items"].items() if "expect" not in it]
        short = [x for x in items if x["ratings"] < int(target)]
        return jsonify(target=int(target), raters=raters, items=items, short=short)

    @app.get("/api/results")
    def results():
        if not owner():
            return refuse(403, "the results need the study owner's key")
        rows = store.rows()
        if request.args.get("format") == "json":
            return jsonify(rows)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return Response(buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": download_header(f"answers-{manifest['name']}.csv")})

    return app


def prepare(study: str | Path, raters: int) -> tuple[dict, AnswerStore, list[tuple[str, str]], str]:
    """Load the study, open its database, make sure it has ``raters`` tokens; returns
    (manifest, store, [(rater, token)], owner key)."""
    import sqlite3

    manifest = load_study(study)
    where = Path(manifest["folder"]) / "server"
    try:
        store = AnswerStore(server_folder(where.parent) / "answers.sqlite")
        return manifest, store, store.ensure_raters(raters), store.owner_key()
    except (OSError, sqlite3.Error) as exc:  # server/ a file, a damaged or foreign database, a full disk
        raise BadStudy(f"{where}: cannot keep the answers there ({exc.strerror if isinstance(exc, OSError) else exc})") from None


def bind(app, host: str, port: int, threads: int = 8, timeout: float | None = None):
    """The study's HTTP server (:class:`msi.study.httpd.StudyHTTPServer`) bound to (host, port),
    a request's head and body each given ``timeout`` seconds (default
    :data:`msi.study.httpd.REQUEST_TIMEOUT`), or :class:`PortInUse` in one line."""
    from msi.study.httpd import REQUEST_TIMEOUT, StudyHTTPServer

    try:
        return StudyHTTPServer(app, host, port, threads, MAX_BODY, timeout or REQUEST_TIMEOUT)
    except OSError as exc:
        raise PortInUse(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
