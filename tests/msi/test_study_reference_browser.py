"""DCR and CCR studies (ITU-T P.910, the reference shown beside the method's video) in real
Chromium, served and offline: the reference is on screen, the CCR grade given to the right video
is stored as the method's against the reference whichever side it played on, offline and served
rows are the same, and the analysis gives DMOS and CMOS."""
from __future__ import annotations

import io
import shutil
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from chromium import available, open_chromium
from study_helpers import Server, make_methods, make_study, wait_for
from test_study_browser import rate, screen

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]

DCR = {"shaken": 2, "frozen": 3}
CCR = {"shaken": -2, "frozen": -1}  # the method against the reference


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    dirs = make_methods(root / "methods", utterances=1, frames=1)  # 1 frame: ends ~6 ms after Play (test_study_browser)
    make_study(*(f"{m}={d}" for m, d in dirs.items()), "--design", "dcr", "--design", "ccr",
               "--reference", "real", "--question", "motion_stability", "--raters", "2", "--repeats", "0",
               "--attention", "0", "--seed", "4", "--out", root / "study")
    return root / "study"


def test_dcr_and_ccr_show_the_reference_and_store_the_method_against_it(study, tmp_path, run_cli):
    seen: list[tuple[str, bool, list[str]]] = []

    def decide(d):
        def grade(item, entry, q):
            srcs = d.execute_script("return Array.from(document.querySelectorAll('video')).map(v => v.getAttribute('src'))")
            seen.append((item["type"], entry["swap"], srcs))
            if item["type"] == "dcr":
                return str(DCR[item["method"]])
            right_is_method = srcs[1] == item["video"]
            return str(CCR[item["method"]] * (1 if right_is_method else -1))
        return grade

    fresh = tmp_path / "study"
    shutil.copytree(study, fresh, ignore=shutil.ignore_patterns("server"))
    s = Server(fresh)
    d = open_chromium(1000, 800)
    try:
        d.get(s.links()["r01"])
        wait_for(lambda: screen(d) == "intro")
        assert "reference" in d.find_element("id", "intro").text
        plan_length = d.execute_script("return window.msiStudy.state.plan.length")
        assert rate(d, decide(d)) == plan_length
        req = urllib.request.Request(s.url + "api/results", headers={"X-Owner-Key": s.key})
        served = pd.read_csv(io.StringIO(urllib.request.urlopen(req).read().decode()))
        d.get((study / "index.html").resolve().as_uri() + "#r01")
        assert rate(d, decide(d), by_script=True) == plan_length  # the same presentations: clicked by script
        offline = pd.read_csv(io.StringIO(d.execute_script("return window.msiStudy.exportCSV()")))
    finally:
        d.quit()
        s.kill()
    # the reference beside the method's video: DCR always on the left, CCR on the side drawn
    for kind, swap, srcs in seen:
        assert len(srcs) == 2 and sum("videos/real/" in x for x in srcs) == 1
        assert ("videos/real/" in srcs[0]) == (kind == "dcr" or not swap)
    assert {swap for kind, swap, _ in seen if kind == "ccr"} == {True, False}  # both sides were played
    for rows in (served, offline):
        grades = rows.groupby(["type", "method"])["grade"].agg(lambda g: set(g.astype(int))).to_dict()
        assert grades == {**{("dcr", m): {g} for m, g in DCR.items()}, **{("ccr", m): {g} for m, g in CCR.items()}}
    pd.testing.assert_frame_equal(offline.drop(columns=["seconds", "answered_at"]),
                                  served.drop(columns=["seconds", "answered_at"]), check_dtype=False)
    code, _, err = run_cli(["study", "analyze", fresh, "--out", tmp_path / "out"])
    assert code == 0, err
    cmos = pd.read_csv(tmp_path / "out" / "cmos.csv")
    dmos = pd.read_csv(tmp_path / "out" / "dmos.csv")
    assert set(cmos["method"]) == set(CCR) and set(dmos["method"]) == set(DCR)
