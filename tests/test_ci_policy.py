"""CI's own rules, tested as CI runs them: a skip that ``EXPECTED_SKIPS`` does not allow fails
the run under ``CI``, and ``.ci/run`` stops at a failing install or test step."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pytest_in(folder: Path, ci: bool, suite: str | None = None, *paths: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "CI_SUITE")}
    if ci:
        env["CI"] = "true"
    if suite:
        env["CI_SUITE"] = suite
    # no test run here uses hypothesis, whose plugin is most of pytest's start-up (2 of 3 s of CPU)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-p", "no:hypothesispytest", *(paths or [str(folder)])],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_an_unexpected_skip_fails_under_ci_and_only_there(tmp_path):
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    assert True\n\n"
        "def test_needs_a_package():\n    pytest.importorskip('a_reference_package_that_is_not_installed')\n")
    local = _pytest_in(tmp_path, ci=False)
    assert local.returncode == 0, local.stdout + local.stderr
    ci = _pytest_in(tmp_path, ci=True)
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "CI (main): 1 skipped, 0 of them expected" in ci.stdout
    assert "unexpected skip: test_skips.py::test_needs_a_package" in ci.stdout
    assert "a_reference_package_that_is_not_installed" in ci.stdout


def test_ci_script_stops_at_a_failing_step_of_the_readme_line(tmp_path):
    """A scratch copy of .ci/run whose README line has a broken install step (not the last command
    of its ``&&`` chain, where ``set -e`` alone would not stop) exits non-zero before anything
    after that line runs."""
    script = (ROOT / ".ci" / "run").read_text()
    readme_line = next(ln for ln in script.splitlines() if "python -m pytest" in ln and "&&" in ln)
    broken = readme_line.replace("apt-get update -qq", "false", 1)
    assert broken != readme_line
    head = script[: script.index(readme_line)]
    check = script[script.index(readme_line) + len(readme_line):].split("\n# ", 1)[0]
    scratch = tmp_path / "run"
    scratch.write_text(head.replace('cd "$(dirname "$0")/.."', f'cd "{tmp_path}"') + broken + check
                       + "\necho CI: REACHED THE NEXT STEP\n")
    p = subprocess.run(["bash", str(scratch)], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, p.stdout + p.stderr
    assert "REACHED THE NEXT STEP" not in p.stdout


def _legacy_line() -> str:
    return next(ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if "legacy/bin/pytest" in ln)


def test_ci_runs_the_legacy_file_as_the_legacy_suite():
    line = _legacy_line()
    assert line.strip().startswith("CI_SUITE=legacy ")
    assert "tests/msi/test_tracking_legacy.py" in line


@pytest.mark.slow
def test_the_legacy_suite_fails_where_the_legacy_backend_is_unavailable():
    """The legacy venv's step, run where mediapipe 0.10.14 is absent (this venv): its every test
    skips, and under ``CI_SUITE=legacy`` that fails the run (the main suite allows those skips: the
    full CI run shows that)."""
    from msi.tracking.trackers import tracker_available

    assert tracker_available("facemesh-video") is not None, "this test needs a venv without the legacy backend"
    legacy = _pytest_in(ROOT, True, "legacy", "tests/msi/test_tracking_legacy.py")
    assert legacy.returncode == 1, legacy.stdout + legacy.stderr
    assert "CI: unexpected skip: tests/msi/test_tracking_legacy.py::" in legacy.stdout
    assert "CI (legacy): 0 passed in tests/msi/test_tracking_legacy.py:: (at least 4 required" in legacy.stdout


@pytest.mark.slow
def test_a_required_test_that_is_deselected_fails_the_legacy_suite(tmp_path):
    """Fewer passes than REQUIRED_PASSES fails even with no skip at all (a file deselected, or a
    test removed)."""
    (tmp_path / "tests" / "msi").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "msi" / "test_tracking_legacy.py").write_text(
        "def test_one():\n    assert True\n\ndef test_two():\n    assert True\n")
    short = _pytest_in(tmp_path, True, "legacy")
    assert short.returncode == 1, short.stdout + short.stderr
    assert "CI (legacy): 2 passed in tests/msi/test_tracking_legacy.py:: (at least 4 required" in short.stdout
    unknown = _pytest_in(tmp_path, True, "lgacy")
    assert unknown.returncode == 1 and "unknown CI_SUITE='lgacy'" in unknown.stdout
