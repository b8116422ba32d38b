"""The rating page in real Chromium (Selenium), offline from ``file://`` and against ``msi study
serve`` on loopback: a careful, a random and an attention-failing rater click through (the careful
one with the pointer, as a person does; the other two, whose answers feed the analysis, through the
page's own controls by script: one round trip per presentation instead of five pointer clicks of
~70 ms each); a video must play to its end before it can be graded; a reload continues where the
rater was; the offline export and the server's results are the same table, and the analysis
excludes the rater who failed the attention items."""
from __future__ import annotations

import io
import json
import random
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from chromium import available, console_errors, open_chromium
from study_helpers import Server, make_methods, make_study, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]

GRADE = {"real": 5, "frozen": 3, "shaken": 2, "check": 1}


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    # 1-frame clips: a presentation's videos end ~6 ms after Play in headless Chromium (3 frames at
    # 30 fps: ~105 ms), over the 60 presentations here; the must-end rule is checked before Play
    dirs = make_methods(root / "methods", utterances=1, frames=1)
    make_study(*(f"{m}={d}" for m, d in dirs.items()), "--design", "acr", "--design", "pair",
               "--pair", "real:shaken", "--raters", "3", "--repeats", "1", "--attention", "1", "--out", root / "study")
    return root / "study"


@pytest.fixture(scope="module")
def driver():
    d = open_chromium(1100, 900)
    d.set_script_timeout(20)
    yield d
    d.quit()


def careful(item: dict, entry: dict, q: str):
    if item["type"] == "acr":
        return str(GRADE[item["method"]])
    left, right = (item["b"], item["a"]) if entry["swap"] else (item["a"], item["b"])
    return "a" if GRADE[left] > GRADE[right] else "b"


def careless(item: dict, entry: dict, q: str):
    return "5" if item["type"] == "acr" else "a"


def make_random(seed: int):
    rng = random.Random(seed)
    return lambda item, entry, q: str(rng.randint(1, 5)) if item["type"] == "acr" else rng.choice("ab") + "" \
        if rng.random() < 0.7 else "none"


def screen(d) -> str:
    return d.execute_script("return document.body.getAttribute('data-screen')")  # one round trip, not two


def current(d) -> tuple[dict, dict]:
    return tuple(presented(d)[:2])


def presented(d) -> list:
    """[entry, item, questions] of the presentation on screen, in one round trip."""
    return d.execute_script("const e = window.msiStudy.state.current.entry; "
                            "return [e, window.MSI_STUDY.items[e.item], window.MSI_STUDY.questions];")


#: Resolves once the presentation's videos have all ended and its answers are open (polled in the
#: page: one round trip, not one per 50 ms); a timeout says where it stuck.
UNTIL_OPEN = """
const done = arguments[arguments.length - 1], t0 = Date.now();
(function poll() {
  const cur = window.msiStudy.state.current;
  if (cur.ended.every(Boolean) && !document.querySelector('fieldset').disabled) done(null);
  else if (Date.now() - t0 > 25000) done('the videos never ended: ' + JSON.stringify(cur.ended));
  else setTimeout(poll, 10);
})();
"""
#: The same presentation by script (``element.click()``: the page's own handlers, not the
#: pointer): play, wait as :data:`UNTIL_OPEN`, pick ``arguments[0]`` ({question: value}), Next,
#: and resolve once the next screen or presentation is up.
ANSWER_BY_SCRIPT = """
const values = arguments[0], done = arguments[arguments.length - 1], t0 = Date.now();
const seq = window.msiStudy.state.current.entry.seq;
document.getElementById('play').click();
(function open() {
  const cur = window.msiStudy.state.current;
  if (Date.now() - t0 > 25000) return done('the videos never ended: ' + JSON.stringify(cur.ended));
  if (!(cur.ended.every(Boolean) && !document.querySelector('fieldset').disabled)) return setTimeout(open, 10);
  for (const [q, v] of Object.entries(values)) document.querySelector(`input[name="${q}"][value="${v}"]`).click();
  document.getElementById('next').click();
  (function moved() {
    const screen = document.body.getAttribute('data-screen');  // then the presentation on it, if any
    if (screen !== 'item' || window.msiStudy.state.current.entry.seq !== seq) done(null);
    else if (Date.now() - t0 > 25000) done('Next did not move on from seq ' + seq);
    else setTimeout(moved, 10);
  })();
})();
"""


#: The inputs of ``arguments[0]`` ([[question, value], ...]) and the Next button (null where missing).
FIND_ANSWERS = """
return arguments[0].map(([q, v]) => document.querySelector(`input[name="${q}"][value="${v}"]`))
  .concat([document.getElementById('next')]);
"""


def answer_one(d, decide, by_script: bool = False) -> int:
    """Answer the presentation on screen (play, wait for the end, click the answers and Next with
    the pointer); its seq.
    ``by_script``: the clicks by :data:`ANSWER_BY_SCRIPT`, in one round trip."""
    entry, item, questions = presented(d)
    if by_script:
        assert d.execute_async_script(ANSWER_BY_SCRIPT, {q: decide(item, entry, q) for q in questions}) is None
        return entry["seq"]
    d.find_element("id", "play").click()
    assert d.execute_async_script(UNTIL_OPEN) is None
    from selenium.webdriver import ActionChains  # (selenium may be absent: the module then skips)

    picks = [[q, decide(item, entry, q)] for q in questions]
    targets = d.execute_script(FIND_ANSWERS, picks)
    assert all(targets), picks
    pointer = ActionChains(d, duration=0)  # each answer, then Next: real pointer clicks, sent in one command
    for target in targets:
        pointer.move_to_element(target).click()
    pointer.perform()
    wait_for(lambda: screen(d) != "item" or d.execute_script(
        "return window.msiStudy.state.current.entry.seq") != entry["seq"], step=0.01)
    return entry["seq"]


def rate(d, decide, stop_after: int | None = None, feedback: list | None = None, by_script: bool = False) -> int:
    """Click through the plan (intro and interstitials included); the number of answers given.
    ``feedback``: where the gold clips' feedback texts go (a feedback screen is an error without it);
    ``by_script``: the presentations answered by script (:func:`answer_one`), the other screens clicked."""
    n = 0
    while True:
        s = wait_for(lambda: (now := screen(d)) != "loading" and now, step=0.01)
        if s == "done":
            return n
        if s == "intro":
            d.find_element("id", "start").click()
        elif s == "practice-over":
            d.find_element("id", "go").click()
        elif s == "feedback" and feedback is not None:
            feedback.append(d.find_element("id", "feedback").text)
            d.find_element("id", "feedback-go").click()
        elif s == "item":
            if stop_after is not None and n == stop_after:
                return n
            answer_one(d, decide, by_script)
            n += 1
        else:
            raise AssertionError(f"unexpected screen {s}: {d.find_element('id', 'app').text}")
        wait_for(lambda: s == "item" or screen(d) != s, step=0.01)  # answer_one waited for the next one


SELECT_ALL = """
document.querySelectorAll('fieldset').forEach(f => { f.disabled = false; });
window.MSI_STUDY.questions.forEach(q => { document.querySelector(`input[name="${q}"]`).checked = true; });
document.getElementById('next').disabled = false;
return document.querySelectorAll('input:checked').length;
"""
#: Next clicked and the page's submit called, with every request the page starts meanwhile noted
#: (``window.fetch`` wrapped: the page saves through it); returns those requests' URLs.
FORCE_SUBMIT = """
const sent = [], fetch0 = window.fetch;
window.fetch = function (url, opts) { sent.push(String(url)); return fetch0.apply(this, arguments); };
try { const cur = window.msiStudy.state.current; document.getElementById('next').click(); cur.submit(); }
finally { window.fetch = fetch0; }
return sent;
"""


def check_must_end(d, stored, settle: float) -> None:
    """Before the video ends: answers locked, Next disabled; and a forced submit with every answer
    selected (fieldsets and Next enabled by script) saves nothing: neither in the page's state nor
    where the answers are kept (``stored()``: the seqs the browser's storage or the server holds)."""
    wait_for(lambda: screen(d) == "item")
    entry, _ = current(d)
    assert d.execute_script("return Array.from(document.querySelectorAll('fieldset')).every(f => f.disabled)")
    assert not d.find_element("id", "next").is_enabled()
    assert not d.execute_script("return window.msiStudy.state.current.ended.some(Boolean)")
    assert d.execute_script(SELECT_ALL) == d.execute_script("return window.MSI_STUDY.questions.length")
    assert not [u for u in d.execute_script(FORCE_SUBMIT) if "api/answer" in u]  # no save even started
    time.sleep(settle)  # served: a POST the page would have sent has arrived by now (offline, the save is synchronous)
    assert str(entry["seq"]) not in d.execute_script("return Object.keys(window.msiStudy.state.answers)")
    assert entry["seq"] not in stored()
    assert screen(d) == "item" and current(d)[0]["seq"] == entry["seq"]
    d.refresh()  # the forced selections gone: the rater starts this presentation afresh


def offline_stored(d, rater: str):
    """The seqs the page keeps in localStorage for ``rater`` (offline)."""
    return lambda: {int(k) for k in d.execute_script(
        "return Object.keys(JSON.parse(localStorage.getItem(arguments[0]) || '{}'))",
        f"msi-study:{d.execute_script('return window.MSI_STUDY.name')}:"
        f"{d.execute_script('return window.MSI_STUDY.made_by')}:{rater}")}


def served_stored(server: Server, rater: str):
    """The seqs the server holds for ``rater`` (its owner's results)."""
    def seqs():
        req = urllib.request.Request(server.url + "api/results?format=json", headers={"X-Owner-Key": server.key})
        return {int(r["seq"]) for r in json.loads(urllib.request.urlopen(req).read()) if r["rater"] == rater}
    return seqs


def plan_len(d) -> int:
    return d.execute_script("return window.msiStudy.state.plan.length")


@pytest.fixture(scope="module")
def offline_r01(study, driver) -> str:
    """The careful rater r01 offline (a wrong code first, the must-end rule, a reload midway):
    their exported CSV. Both tests use it, so each also runs on its own."""
    d = driver
    page = (study / "index.html").resolve().as_uri()
    d.get("about:blank")
    d.get(page)
    wait_for(lambda: screen(d) == "rater")
    d.find_element("id", "rater").send_keys("r09\n")  # not a rater of this study
    wait_for(lambda: "no rater" in d.find_element("id", "ask-rater").text)
    d.find_element("id", "rater").clear()
    d.find_element("id", "rater").send_keys("r01\n")
    wait_for(lambda: screen(d) == "intro")
    d.find_element("id", "start").click()
    check_must_end(d, offline_stored(d, "r01"), settle=0.1)
    assert rate(d, careful, stop_after=5) == 5
    d.refresh()  # a reload continues where the rater was, answers kept
    wait_for(lambda: screen(d) == "item")
    assert d.execute_script("return Object.keys(window.msiStudy.state.answers).length") == 5
    assert current(d)[0]["seq"] == 5
    assert rate(d, careful) == plan_len(d) - 5
    link = d.find_element("id", "download")
    assert link.get_attribute("download") == f"answers-{study.name}-r01.csv"
    return d.execute_script("return window.msiStudy.exportCSV()")


def test_offline_raters_click_through_and_export(study, driver, offline_r01, tmp_path, run_cli):
    d = driver
    page = (study / "index.html").resolve().as_uri()
    files = {"r01": offline_r01}
    for rater, decide in (("r02", make_random(2)), ("r03", careless)):  # their answers feed the analysis
        d.get("about:blank")
        d.get(f"{page}#{rater}")
        assert rate(d, decide, by_script=True) == plan_len(d)
        files[rater] = d.execute_script("return window.msiStudy.exportCSV()")
    assert not [e for e in console_errors(d) if "favicon" not in e]
    paths = []
    for rater, text in files.items():
        (tmp_path / f"answers-{rater}.csv").write_text(text)
        paths.append(tmp_path / f"answers-{rater}.csv")
    df = pd.read_csv(paths[0])
    assert len(df) == plan_len(d) * 3 and set(df["kind"]) == {"practice", "main", "repeat", "attention"}
    assert (df.loc[df["method"] == "shaken", "grade"] == 2).all() and df["seconds"].gt(0).all()
    code, _, err = run_cli(["study", "analyze", *paths, "--study", study, "--out", tmp_path / "out"])
    assert code == 0, err
    s = pd.read_csv(tmp_path / "out" / "screening.csv").set_index("rater")
    assert s.loc["r03", "excluded"] and "attention" in s.loc["r03", "reasons"] and not s.loc["r01", "excluded"]


def test_served_raters_click_through_resume_and_match_offline(study, driver, offline_r01, tmp_path, run_cli):
    import shutil

    fresh = tmp_path / "study"
    shutil.copytree(study, fresh, ignore=shutil.ignore_patterns("server"))
    s = Server(fresh)
    d = driver
    try:
        d.get(s.url)  # no token
        wait_for(lambda: screen(d) == "error" and "token" in d.find_element("id", "message").text)
        d.get(s.url + "?t=forged")
        wait_for(lambda: screen(d) == "error" and "unknown rater token" in d.find_element("id", "message").text)
        d.get(s.links()["r01"])
        wait_for(lambda: screen(d) == "intro")
        d.find_element("id", "start").click()
        check_must_end(d, served_stored(s, "r01"), settle=0.3)
        assert rate(d, careful, stop_after=4) == 4
        d.refresh()
        wait_for(lambda: screen(d) == "item")
        assert current(d)[0]["seq"] == 4
        assert rate(d, careful) == plan_len(d) - 4
        assert "saved" in d.find_element("id", "done").text
        for rater, decide in (("r02", make_random(2)), ("r03", careless)):  # their answers feed the analysis
            d.get(s.links()[rater])
            assert rate(d, decide, by_script=True) == plan_len(d)
        req = urllib.request.Request(s.url + "api/results", headers={"X-Owner-Key": s.key})
        served = pd.read_csv(io.StringIO(urllib.request.urlopen(req).read().decode()))
    finally:
        s.kill()
    assert served["rater"].value_counts().to_dict() == {r: plan_len(d) * 3 for r in ("r01", "r02", "r03")}
    # the same rater, the same clicks: the same rows offline and served (but for the times)
    ours = served[served["rater"] == "r01"].drop(columns=["seconds", "answered_at"]).reset_index(drop=True)
    offline = pd.read_csv(io.StringIO(offline_r01)).drop(columns=["seconds", "answered_at"])
    assert len(offline) == plan_len(d) * 3
    pd.testing.assert_frame_equal(offline.assign(study=ours["study"]), ours, check_dtype=False)
    assert (ours.loc[ours["type"] == "acr", "grade"].astype(int).to_numpy()
            == [GRADE[m] for m in ours.loc[ours["type"] == "acr", "method"]]).all()
    code, _, err = run_cli(["study", "analyze", fresh, "--out", tmp_path / "out"])
    assert code == 0, err
    sc = pd.read_csv(tmp_path / "out" / "screening.csv").set_index("rater")
    assert sc.loc["r03", "excluded"] and not sc.loc["r01", "excluded"]
