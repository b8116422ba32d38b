"""``msi study serve`` as a real process on loopback: hostile requests get a 4xx and the server
keeps serving; 20 raters post at once; a server killed with SIGKILL mid-study and restarted has
lost nothing; a port in use is one line."""
from __future__ import annotations

import json
import signal
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from study_helpers import Server, make_methods, make_study, run_msi

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("served")
    dirs = make_methods(root / "methods")
    make_study(*(f"{m}={d}" for m, d in dirs.items()), "--design", "acr", "--design", "pair",
               "--raters", "3", "--out", root / "study")
    return root / "study"


def request(url: str, body=None, headers=None, method=None, raw: bytes | None = None) -> tuple[int, bytes]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})},
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def plan(server: Server, rater: str) -> dict:
    code, body = request(f"{server.url}api/session?t={server.token(rater)}")
    assert code == 200, body
    return json.loads(body)


def values(study_manifest: dict, item_id: str, grade: int = 4) -> dict:
    acr = study_manifest["items"][item_id]["type"] == "acr"
    return {q: (grade if acr else "a") for q in study_manifest["questions"]}


def test_hostile_requests_get_4xx_and_the_server_keeps_serving(study):
    manifest = json.loads((study / "study.json").read_text())
    s = Server(study)
    try:
        t1, t2 = s.token("r01"), s.token("r02")
        p1 = plan(s, "r01")["plan"]
        acr = next(e for e in p1 if manifest["items"][e["item"]]["type"] == "acr")
        good = {"t": t1, "seq": acr["seq"], "answers": values(manifest, acr["item"]), "seconds": 3.2}
        cases = {
            "oversized": (dict(raw=b'{"t": "' + b"x" * 200_000 + b'"}'), 413),
            "not json": (dict(raw=b"{grade: 5"), 400),
            "a list": (dict(body=[1, 2]), 400),
            "unknown key": (dict(body={**good, "rater": "r02"}), 400),
            "unknown token": (dict(body={**good, "t": "nope"}), 403),
            "no token": (dict(body={k: v for k, v in good.items() if k != "t"}), 400),
            "another rater's seq": (dict(body={**good, "t": t2, "seq": 10_000}), 404),
            "seq as text": (dict(body={**good, "seq": "1"}), 404),
            "grade 0": (dict(body={**good, "answers": {**good["answers"], "motion_stability": 0}}), 422),
            "grade 6": (dict(body={**good, "answers": {**good["answers"], "realness": 6}}), 422),
            "grade 4.5": (dict(body={**good, "answers": {**good["answers"], "realness": 4.5}}), 422),
            "missing question": (dict(body={**good, "answers": {"motion_stability": 3}}), 422),
            "negative seconds": (dict(body={**good, "seconds": -1}), 400),
        }
        for name, (kw, want) in cases.items():
            code, body = request(f"{s.url}api/answer", **kw)
            assert code == want, (name, code, body)
            assert "error" in json.loads(body), name
        for path in ("videos/../study.json", "videos/%2e%2e/study.json", "page/../server/answers.sqlite",
                     "study.json", "server/links.csv", "videos/..%2f..%2fstudy.json", "videos//etc/passwd"):
            code, _ = request(s.url + path)
            assert code == 404, path
        assert request(f"{s.url}api/results")[0] == 403
        assert request(f"{s.url}api/results", headers={"X-Owner-Key": "guess"})[0] == 403
        assert request(f"{s.url}api/session?t=nope")[0] == 403
        # ... and still serves: the good answer, a retry of it, then a contradiction
        assert request(f"{s.url}api/answer", body=good)[0] == 200
        assert request(f"{s.url}api/answer", body=good)[0] == 200
        other = {**good, "answers": values(manifest, acr["item"], grade=1)}
        assert request(f"{s.url}api/answer", body=other)[0] == 409
        code, csv = request(f"{s.url}api/results", headers={"X-Owner-Key": s.key})
        assert code == 200
        rows = pd.read_csv(pd.io.common.StringIO(csv.decode()))
        assert len(rows) == 3 and set(rows["rater"]) == {"r01"} and set(rows["grade"]) == {4}
        assert request(s.url + "videos/" + manifest["items"][acr["item"]]["video"].removeprefix("videos/"))[0] == 200
        assert s.alive()
    finally:
        s.kill()


def test_twenty_raters_post_at_once_then_sigkill_loses_nothing(tmp_path, study):
    import shutil

    fresh = tmp_path / "study"
    shutil.copytree(study, fresh, ignore=shutil.ignore_patterns("server"))
    manifest = json.loads((fresh / "study.json").read_text())
    s = Server(fresh, "--raters", "20")
    try:
        raters = list(s.links())
        assert len(raters) == 20 and len(set(s.links().values())) == 20
        plans = {r: plan(s, r)["plan"] for r in raters}
        errors: list = []
        barrier = threading.Barrier(20)

        def rater(r: str) -> None:
            barrier.wait()
            for e in plans[r][:6]:
                code, body = request(f"{s.url}api/answer", body={"t": s.token(r), "seq": e["seq"],
                                                                   "answers": values(manifest, e["item"]), "seconds": 1})
                if code != 200:
                    errors.append((r, code, body))

        threads = [threading.Thread(target=rater, args=(r,)) for r in raters]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        s.kill(signal.SIGKILL)  # mid-study: every rater has 6 answers and more to give
        s.start()
        assert s.url
        code, csv = request(f"{s.url}api/results", headers={"X-Owner-Key": s.key})
        rows = pd.read_csv(pd.io.common.StringIO(csv.decode()))
        assert code == 200 and len(rows) == 20 * 6 * 3
        assert rows.groupby("rater")["seq"].nunique().eq(6).all()
        assert plan(s, "r07")["answered"] == sorted(e["seq"] for e in plans["r07"][:6])  # resumes there
        assert plan(s, "r07")["plan"] == plans["r07"]
    finally:
        s.kill()


def test_port_in_use_is_one_line(study, one_line_error):
    s = Server(study)
    try:
        port = s.url.rsplit(":", 1)[1].strip("/")
        r = run_msi("study", "serve", study, "--port", port)
        one_line_error(r.returncode, r.stderr, "cannot serve on 127.0.0.1:" + port)
    finally:
        s.kill()


def test_crowd_api_joins_by_platform_id_caps_plans_and_gives_the_code_only_at_the_end(study, tmp_path):
    manifest = json.loads((study / "study.json").read_text())
    off = Server(study)
    try:  # without --rater-param nobody joins by id
        assert request(f"{off.url}api/join", body={"id": "w1"})[0] == 404
    finally:
        off.kill()
    s = Server(study, "--rater-param", "workerId", "--max-items", "3", "--completion-code", "CODE-9",
               "--redirect-url", "https://example.org/done?cc=CODE-9")
    try:
        assert json.loads(request(f"{s.url}api/config")[1]) == {"rater_param": "workerId", "consent": []}
        for bad, want in (({"id": "a b"}, 400), ({"id": "x" * 65}, 400), ({"id": 7}, 400), ([1], 400),
                          ({"id": "r02"}, 409)):  # r02: a rater code of this study, not a platform id
            assert request(f"{s.url}api/join", body=bad)[0] == want, bad
        for raw, want in ((b"[" * 5000 + b"]" * 5000, 400), (b'{"id": "' + b"x" * 20_000 + b'"}', 413), (b"{id", 400)):
            assert request(f"{s.url}api/join", raw=raw)[0] == want, raw[:20]
        code, body = request(f"{s.url}api/join", body={"id": "w1"})
        token = json.loads(body)["t"]
        assert code == 200 and json.loads(request(f"{s.url}api/join", body={"id": "w1"})[1])["t"] == token
        session = json.loads(request(f"{s.url}api/session?t={token}")[1])
        assert session["rater"] == "w1"
        counted = [e for e in session["plan"] if e["kind"] != "practice"]
        assert len(counted) == 3 and len(session["plan"]) < len(manifest["sessions"][0]["plan"])
        assert request(f"{s.url}api/done?t={token}")[0] == 409
        last = max(e["seq"] for e in session["plan"])
        assert request(f"{s.url}api/answer", body={"t": token, "seq": last + 1, "answers": {}})[0] == 404  # cut
        for e in session["plan"]:
            r = request(f"{s.url}api/answer", body={"t": token, "seq": e["seq"], "answers": values(manifest, e["item"])})
            assert r[0] == 200, r
        code, body = request(f"{s.url}api/done?t={token}")
        assert code == 200 and json.loads(body) == {"code": "CODE-9", "redirect": "https://example.org/done?cc=CODE-9"}
        assert request(f"{s.url}api/done?t=forged")[0] == 403
    finally:
        s.kill()
    for args, says in ((("--rater-param", "a b"), "--rater-param"), (("--redirect-url", "javascript:alert(1)"), "--redirect-url"),
                       (("--max-items", "0"), "--max-items"), (("--consent", tmp_path / "none.txt"), "--consent")):
        r = run_msi("study", "serve", study, "--port", "0", *args)
        assert r.returncode == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_adaptive_plans_follow_the_planner_keep_utterances_and_survive_a_restart(study, tmp_path):
    import shutil

    from msi.study.adaptive import plan_pairs
    from msi.study.answers import frame
    from msi.study.manifest import BadStudy
    from msi.study.server import adaptive_design

    fresh = tmp_path / "study"
    shutil.copytree(study, fresh, ignore=shutil.ignore_patterns("server"))
    manifest = json.loads((fresh / "study.json").read_text())
    items = manifest["items"]
    order = {"real": 3, "frozen": 2, "shaken": 1, "check": 0}  # the truth on motion stability, by hand
    s = Server(fresh, "--adaptive")
    try:
        for e in plan(s, "r01")["plan"]:  # r01 starts on an empty study, then answers everything
            it = items[e["item"]]
            if it["type"] == "pair":
                left, right = (it["b"], it["a"]) if e["swap"] else (it["a"], it["b"])
                ans = {q: ("a" if order[left] > order[right] else "b") for q in manifest["questions"]}
            else:
                ans = values(manifest, e["item"])
            assert request(f"{s.url}api/answer", body={"t": s.token("r01"), "seq": e["seq"], "answers": ans})[0] == 200
        rows = json.loads(request(f"{s.url}api/results?format=json", headers={"X-Owner-Key": s.key})[1])
        second = plan(s, "r02")["plan"]
    finally:
        s.kill()
    main = [e for e in second if e["kind"] == "main" and items[e["item"]]["type"] == "pair"]
    shown = [frozenset((items[e["item"]]["a"], items[e["item"]]["b"])) for e in main]
    want = plan_pairs(frame(rows), ["frozen", "real", "shaken"], count=len(main), question=manifest["questions"][0])
    fixed = {e["seq"]: e for e in manifest["sessions"][1]["plan"]}
    assert shown == [frozenset(p) for p in want]
    unplanned = [frozenset((items[fixed[e["seq"]]["item"]]["a"], items[fixed[e["seq"]]["item"]]["b"])) for e in main]
    assert unplanned != shown  # the fixed plan would not pass the check above
    assert [items[e["item"]]["utterance"] for e in main] == [items[fixed[e["seq"]]["item"]]["utterance"] for e in main]
    assert {e["item"] for e in second if e["kind"] == "repeat"} <= {e["item"] for e in second if e["kind"] == "main"}
    s = Server(fresh, "--adaptive")  # restarted: r02 keeps the plan made for them
    try:
        assert plan(s, "r02")["plan"] == second
    finally:
        s.kill()
    two = {"items": {"pair:a:b:u": {"type": "pair", "a": "a", "b": "b", "utterance": "u"}}}
    with pytest.raises(BadStudy, match="3 or more methods"):
        adaptive_design(two)
