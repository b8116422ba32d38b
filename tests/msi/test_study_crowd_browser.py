"""The crowd flow of ``msi study serve`` in real Chromium against a real server process: a
worker arrives from the platform with their id in the URL (``--rater-param``), agrees to the
consent page, rates a plan cut by ``--max-items``, sees the completion code and is sent back to
the platform (``--redirect-url``: here a second local server standing in for the platform)."""
from __future__ import annotations

import http.server
import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from chromium import available, console_errors, open_chromium
from study_helpers import Server, make_methods, make_study, wait_for
from test_study_browser import careful, current, rate, screen

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]

CODE = "C0DE-42 x"
CONSENT = "Consent first paragraph: you rate short videos.\n\nSecond paragraph: you may stop at any time."


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crowd")
    dirs = make_methods(root / "methods", utterances=1, frames=1)  # 1 frame: ends ~6 ms after Play (test_study_browser)
    make_study(*(f"{m}={d}" for m, d in dirs.items()), "--design", "acr", "--raters", "1",
               "--repeats", "0", "--attention", "1", "--gold", "1", "--trapping", "1", "--out", root / "study")
    (root / "consent.txt").write_text(CONSENT)
    return root / "study"


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the file (a launch costs seconds): each test starts from a blank page, and
    its server is a process of its own (an origin with its own port)."""
    d = open_chromium(1000, 800)
    yield d
    d.quit()


@pytest.fixture
def driver(browser):
    """The file's Chromium, on a blank page."""
    browser.get("about:blank")
    return browser


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """A stand-in for the crowd platform's completion page: a local HTTP server; the paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            body = b"<!doctype html><title>platform</title><p id='platform'>submission complete</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/complete", asked
    srv.shutdown()


def results(s: Server) -> list[dict]:
    req = urllib.request.Request(s.url + "api/results?format=json", headers={"X-Owner-Key": s.key})
    return json.loads(urllib.request.urlopen(req).read())


#: The page's timers of a second or more held instead of run (the redirect's: the completion code
#: stays on screen a few seconds before the platform's page opens); the test fires the one held once
#: it has read the code, instead of waiting those seconds out. Shorter timers run as they are.
HOLD_LONG_TIMERS = """
window.msiHeld = [];
const setTimeout0 = window.setTimeout;
window.setTimeout = function (fn, ms, ...rest) {
  if (ms >= 1000) { window.msiHeld.push([fn, ms]); return 0; }
  return setTimeout0.call(window, fn, ms, ...rest);
};
"""


def status_of(url: str) -> int:
    try:
        return urllib.request.urlopen(url).status
    except urllib.error.HTTPError as e:
        return e.code


def test_crowd_worker_from_the_url_consents_rates_a_capped_plan_gets_the_code_and_goes_back(study, platform, driver):
    back, asked = platform
    redirect = f"{back}?cc={urllib.parse.quote(CODE)}"
    s = Server(study, "--rater-param", "PROLIFIC_PID", "--completion-code", CODE, "--redirect-url", redirect,
               "--max-items", "2", "--consent", study.parent / "consent.txt")
    d = driver
    try:
        d.get(s.url + "?PROLIFIC_PID=worker_7")
        wait_for(lambda: screen(d) == "consent")
        assert "Second paragraph" in d.find_element("id", "consent").text
        assert not d.find_element("id", "consent-go").is_enabled()
        assert results(s) == []
        d.find_element("id", "agree").click()
        d.find_element("id", "consent-go").click()
        wait_for(lambda: screen(d) == "intro")
        token = urllib.parse.parse_qs(urllib.parse.urlparse(d.current_url).query)["t"][0]
        d.execute_script(HOLD_LONG_TIMERS)  # (the page is not reloaded before its plan is done)
        assert status_of(f"{s.url}api/done?t={token}") == 409  # no code before the plan is answered
        plan = d.execute_script("return window.msiStudy.state.plan")
        practice = [e["kind"] for e in plan].count("practice")
        assert practice == 2 and len(plan) == practice + 2  # a gold clip and a practice one; --max-items 2
        assert rate(d, careful, feedback=[]) == len(plan)
        wait_for(lambda: d.find_elements("id", "completion-code"))
        assert d.find_element("id", "completion-code").text == CODE
        assert not asked  # the code on screen, the platform's page not yet opened
        held = d.execute_script("return window.msiHeld.map(h => h[1])")
        assert len(held) == 1 and held[0] >= 1000, held  # one redirect, after the code was shown a while
        d.execute_script("window.msiHeld[0][0]()")  # its time is up
        wait_for(lambda: d.current_url.startswith(back), timeout=15)
        pages = [p for p in asked if p.startswith("/complete")]
        assert len(pages) == 1 and urllib.parse.parse_qs(urllib.parse.urlparse(pages[0]).query)["cc"] == [CODE]
        rows = results(s)
        assert {r["rater"] for r in rows} == {"worker_7"}  # the platform's id is the rater
        assert sorted({r["seq"] for r in rows}) == [e["seq"] for e in plan]
        # the same worker again: the same rater, nothing left to answer, the code again
        d.get(s.url + "?PROLIFIC_PID=worker_7")
        wait_for(lambda: d.find_elements("id", "completion-code"), timeout=15)
        assert len(results(s)) == len(rows)
        # a worker id that is one of the study's rater codes takes over no one's link
        d.get("about:blank")
        d.get(s.url + "?PROLIFIC_PID=r01")
        wait_for(lambda: screen(d) == "error" and "rater code" in d.find_element("id", "message").text)
        # the owner page: the key typed in, sent in the header; progress per rater, items short of ratings
        assert status_of(f"{s.url}api/progress") == 403 and status_of(f"{s.url}api/progress?key={s.key}") == 403
        d.get(s.url + "owner")
        d.find_element("id", "key").send_keys("not the key\n")
        wait_for(lambda: "owner's key" in d.find_element("id", "status").text)
        d.find_element("id", "key").clear()
        d.find_element("id", "target").clear()
        d.find_element("id", "target").send_keys("1")
        d.find_element("id", "key").send_keys(s.key + "\n")
        wait_for(lambda: d.find_elements("id", "raters"))
        table = {r.text.split()[0]: r.text for r in d.find_elements("css selector", "#raters tr")[1:]}
        assert set(table) == {"r01", "worker_7"}
        assert table["worker_7"] == f"worker_7 yes {len(plan)} {len(plan)} yes" and table["r01"].startswith("r01 0 ")
        rated = {e["item"] for e in plan if e["kind"] == "main"}
        main_items = {i for i, it in json.loads((study / "study.json").read_text())["items"].items() if "expect" not in it}
        short = {r.text.split()[0] for r in d.find_elements("css selector", "#short tr")[1:]}
        assert short == main_items - rated and rated  # target 1: the items worker_7 did not rate
        assert not [e for e in console_errors(d) if "favicon" not in e and "409" not in e and "403" not in e]
    finally:
        s.kill()


def test_gold_feedback_in_practice_and_a_failed_trapping_clip_counted_served_and_offline(study, driver, tmp_path,
                                                                                       run_cli):
    """A rater who grades what they see: right on the gold clip (the shaken copy: 1), told so in
    the practice round; wrong on the trapping clip (the real video graded 5 while the instruction
    on screen asks for 1): the analysis counts one attention failure, that clip. Served (the
    server's rows) and offline (the page's export) alike."""
    d = driver
    s = Server(study)  # no crowd options: rater r01's token link
    try:
        exports = {}
        for where in ("served", "offline"):
            d.get(s.links()["r01"] if where == "served" else (study / "index.html").resolve().as_uri() + "#r01")
            wait_for(lambda: screen(d) == "intro")
            d.find_element("id", "start").click()
            wait_for(lambda: screen(d) == "item")
            entry, item = current(d)
            assert entry["kind"] == "practice" and item.get("gold")  # the gold clip opens the practice round
            instructions, feedback = [], []

            def decide(item, entry, q, instructions=instructions):  # careful, noting any instruction on screen
                shown = d.find_elements("id", "instruction")
                instructions.extend((item["id"], x.text) for x in shown)
                return careful(item, entry, q)

            rate(d, decide, feedback=feedback, by_script=where == "offline")  # served: by the pointer
            assert len(feedback) == 1 and feedback[0].startswith("Right.") and "shaken on purpose" in feedback[0]
            traps = {i for i, text in instructions if "select 1 for \"Motion stability\"" in text}
            assert len(traps) == 1 and next(iter(traps)).startswith("acr:trap:")
            assert all(i.startswith("acr:trap:") for i, _ in instructions)  # on the trapping clip only
            if where == "offline":
                exports["offline"] = d.execute_script("return window.msiStudy.exportCSV()")
            else:
                exports["served"] = pd.DataFrame([r for r in results(s) if r["rater"] == "r01"]).to_csv(index=False)
    finally:
        s.kill()
    code, _, err = run_cli(["study", "analyze", study, "--out", tmp_path / "served", "--max-attention-fails", "1"])
    assert code == 0, err
    sc = pd.read_csv(tmp_path / "served" / "screening.csv").set_index("rater")
    assert sc.loc["r01", "attention_items"] == 2 and sc.loc["r01", "attention_failed"] == 1
    answers = pd.read_csv(io.StringIO(exports["offline"]))
    served = pd.read_csv(io.StringIO(exports["served"]))[list(answers.columns)]
    # offline, the same rows as served (so the same count): the page's export is the server's table
    pd.testing.assert_frame_equal(answers.drop(columns=["study", "seconds", "answered_at"]),
                                  served.drop(columns=["study", "seconds", "answered_at"]), check_dtype=False)
    trap = answers[answers["item"].str.startswith("acr:trap:") & answers["expect"].notna()]
    assert trap["expect"].tolist() == ["=1"] and trap["grade"].tolist() == [5]
    assert set(answers.loc[answers["item"].str.startswith("acr:gold:"), "kind"]) == {"practice"}
