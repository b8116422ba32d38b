"""Rebuild docs/img/report.png: one utterance page of ``msi report`` on the compare demo, in
headless Chromium, after a click on the shaken copy's worst window (every video seeks there).

    python docs/compare_demo.py /tmp/compare_demo
    cd /tmp/compare_demo/methods && msi compare real=real shaken=shaken frozen=frozen delayed=delayed \\
        --truth ../truth --workers 2 --out ../rows.csv
    msi report --rows ../rows.csv --truth ../truth --out ../report
    python docs/report_screenshot.py /tmp/compare_demo/report/u/000-clip0.html docs/img/report.png

It also writes docs/img/report_frames.png: every video's mouth on 6 consecutive frames of that window.

Needs Debian's chromium and chromium-driver and selenium (the test extra).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "msi"))

from chromium import WAIT_DECODED, console_errors, open_chromium  # noqa: E402

WIDTH = 1400


def frame_sheet(d, out: Path, start: float, fps: float, n: int = 6, box=(56, 120, 200, 236)) -> None:
    """Mouth crops of every video (columns) on ``n`` consecutive frames from ``start`` (rows), as
    the page shows them after frame steps: the frozen mouth stays, the shaken face jumps."""
    import io

    from PIL import Image, ImageDraw

    vids = d.find_elements("css selector", "video.sync")
    labels = d.execute_script("return Array.from(document.querySelectorAll('video.sync')).map("
                              "v => window.msiPlayer.data.lanes.find(l => l.id === v.dataset.lane).label)")
    rows = []
    for k in range(n):
        d.execute_script(f"window.msiPlayer.pause(); window.msiPlayer.seek({(round(start * fps) + k + 0.5) / fps});")
        time.sleep(0.4)
        rows.append([Image.open(io.BytesIO(v.screenshot_as_png)).convert("RGB").crop(box) for v in vids])
    w, h = rows[0][0].size
    sheet = Image.new("RGB", (w * len(vids), h * n + 18), "white")
    draw = ImageDraw.Draw(sheet)
    for j, name in enumerate(labels):
        draw.text((j * w + 4, 3), name, fill="black")
    for i, row in enumerate(rows):
        for j, im in enumerate(row):
            sheet.paste(im, (j * w, 18 + i * h))
    sheet.save(out, optimize=True)


def main(page: Path, out: Path, method: str = "shaken", height: int | None = None) -> None:
    d = open_chromium(WIDTH, 1000)
    try:
        d.set_script_timeout(30)
        d.get(page.resolve().as_uri())
        videos = d.execute_async_script(WAIT_DECODED)
        bad = [v for v in videos if v["error"] or v["ready"] < 2 or not v["duration"] > 0]
        if bad:
            raise SystemExit(f"videos that do not decode: {bad}")
        lane = next(ln for ln in d.execute_script("return window.msiPlayer.data.lanes") if ln["label"] == method)
        d.find_element("css selector", f'button.window[data-lane="{lane["id"]}"]').click()  # its worst window (#1)
        time.sleep(1.0)
        errors = console_errors(d)
        if errors:
            raise SystemExit(f"console errors: {errors}")
        full = d.execute_script("return document.body.scrollHeight")
        d.set_window_size(WIDTH, height or full + 200)
        time.sleep(0.5)
        d.execute_script("window.scrollTo(0, 0)")
        out.parent.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(out))
        times = d.execute_script("return Array.from(document.querySelectorAll('video')).map(v => v.currentTime)")
        print(f"{out}: {len(videos)} videos decoded, seeked to {method}'s worst window; times {times}")
        sheet = out.with_name(out.stem + "_frames.png")
        start = float(d.find_element("id", "loopA").get_attribute("value"))
        frame_sheet(d, sheet, start, d.execute_script("return window.msiPlayer.fps"))
        print(f"{sheet}: mouth crops of 6 frames from {start} s")
    finally:
        d.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), *(sys.argv[3:4] or []))
