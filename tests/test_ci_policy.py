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


def _pytest_in(folder: Path, ci: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(folder)],
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
    assert "CI: 1 skipped, 0 of them expected" in ci.stdout
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
