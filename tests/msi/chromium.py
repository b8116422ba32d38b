"""Headless Debian Chromium driven by Selenium (chromium + chromium-driver, installed by .ci/run),
for the tests and the docs screenshot of ``msi report``. Nothing is downloaded: the driver is
the system's, not one Selenium Manager would fetch."""
from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = "/usr/bin/chromedriver"


def available() -> str | None:
    """Why Chromium cannot be driven here (None: it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not any(Path(b).exists() for b in CHROMIUM) or not (Path(DRIVER).exists() or shutil.which("chromedriver")):
        return "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    return None


def open_chromium(width: int = 1280, height: int = 900):
    """A headless Chromium (``webdriver.Chrome``) that logs the console and plays media without a gesture."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = next(b for b in CHROMIUM if Path(b).exists())
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--autoplay-policy=no-user-gesture-required", f"--window-size={width},{height}",
              "--allow-file-access-from-files", "--mute-audio"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER if Path(DRIVER).exists() else shutil.which("chromedriver")),
                            options=opts)


def console_errors(driver) -> list[str]:
    """The console's error lines since the last call (SEVERE entries)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


WAIT_DECODED = """
const done = arguments[arguments.length - 1];
const vids = Array.from(document.querySelectorAll('video'));
const t0 = Date.now();
(function poll() {
  const ok = vids.every(v => v.readyState >= 2 && v.duration > 0);
  if (ok || Date.now() - t0 > 15000 || vids.some(v => v.error))
    done(vids.map(v => ({src: v.currentSrc, ready: v.readyState, duration: v.duration,
                         error: v.error ? v.error.message || String(v.error.code) : null})));
  else setTimeout(poll, 50);
})();
"""
