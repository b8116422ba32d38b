"""Rebuild docs/img/study_page.png: the rating page of the demo study (docs/study/demo), offline
from file://, in headless Chromium, on the first counted ACR presentation (after the guideline
and the practice item) once its video has played to the end and two of its three questions are
answered.

    python docs/study_demo.py && python docs/study_screenshot.py

Needs Debian's chromium and chromium-driver and selenium (the test extra).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "msi"))

from chromium import console_errors, open_chromium  # noqa: E402


def main(out: Path = ROOT / "docs" / "img" / "study_page.png") -> None:
    d = open_chromium(1000, 1000)
    try:
        d.get((ROOT / "docs" / "study" / "demo" / "index.html").resolve().as_uri() + "#r01")
        time.sleep(0.5)
        d.find_element("id", "start").click()  # the guideline, then the practice item

        def played() -> None:
            d.find_element("id", "play").click()
            t0 = time.time()
            while d.execute_script("return document.querySelector('fieldset').disabled") and time.time() - t0 < 15:
                time.sleep(0.1)

        time.sleep(0.3)
        played()
        for q in ("motion_stability", "lip_sync", "realness"):
            d.find_element("css selector", f"input[name='{q}'][value='3']").click()
        d.find_element("id", "next").click()
        time.sleep(0.3)
        d.find_element("id", "go").click()  # "the practice round is over"
        time.sleep(0.3)
        played()
        for q, v in (("motion_stability", "4"), ("lip_sync", "3")):
            d.find_element("css selector", f"input[name='{q}'][value='{v}']").click()
        d.execute_script("document.querySelectorAll('video').forEach(v => { v.currentTime = 0.6; });")
        time.sleep(0.5)
        errors = console_errors(d)
        if errors:
            raise SystemExit(f"console errors: {errors}")
        d.save_screenshot(str(out))
        print(f"wrote {out}")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
