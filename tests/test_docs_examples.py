"""The manual's examples cannot rot, and every page of it is reachable.

Every fenced block of README.md and docs/**/*.md is one of:

- a program (``bash``/``sh``/``shell``/``python``): it runs here, page by page in the page's order,
  in a folder holding the bundled sample clips under the names the pages use (``video.mp4``,
  ``real.mp4``, ``clip.mp4``: carphone_pristine; ``fake.mp4``: carphone_distorted) and one
  landmark cache shared by all pages (each clip is tracked once);
- marked ``<!-- illustrative: REASON -->`` on the last non-blank line before it (it would install, train, need
  your own files or hosts): not run, and the reason must be given;
- marked ``<!-- output of: COMMAND -->``, or on a page whose first lines say ``Reproduce: `COMMAND```
  (the pages the research scripts write): the COMMAND must exist (an ``msi``/``stableface`` subcommand,
  or a script in the repository); ``msi score --sample`` is cheap, so its output is re-run and
  its numbers compared.

Anything else fails with the page and line. The nav of mkdocs.yml must list every page under
docs/ and nothing that does not exist (mkdocs --strict checks links, not completeness).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PROGRAMS = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python", "py": "python"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)\s*$")
MARK = re.compile(r"^\s*<!--\s*(?P<kind>illustrative|output of):\s*(?P<text>.*?)\s*-->\s*$")
REPRODUCE = re.compile(r"^Reproduce:\s*`(?P<cmd>[^`]+)`", re.MULTILINE)
#: Folders under docs/ that hold no pages (mkdocs.yml's exclude_docs leaves them out of the site).
NOT_PAGES = ("hooks",)
BLOCK_TIMEOUT_S = 180
#: What an unmarked block must not do here: install, or reach the network (mark it illustrative).
UNSAFE = re.compile(r"\b(pip install|apt-get|apt install|sudo|curl|wget|git clone)\b")


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    kind: str  # "run", "illustrative", "output"
    note: str  # the reason, or the command whose output it is

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    docs = [p for p in sorted(DOCS.rglob("*.md")) if p.relative_to(DOCS).parts[0] not in NOT_PAGES]
    return [ROOT / "README.md"] + docs


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of one page, each with what its preceding line says about it."""
    lines = page.read_text(encoding="utf-8").split("\n")
    head = "\n".join(lines[:5])
    reproduce = REPRODUCE.search(head)
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = m.group("indent"), i
        j = i + 1
        while j < len(lines) and not re.match(rf"^{re.escape(indent)}```\s*$", lines[j]):
            j += 1
        assert j < len(lines), f"{page.relative_to(ROOT)}:{start + 1}: a fenced block is never closed"
        code = "\n".join(line[len(indent):] if line.startswith(indent) else line for line in lines[start + 1:j])
        k = start - 1  # the marker: the last non-blank line before the fence (inside a list item
        while k >= 0 and not lines[k].strip():  # Python-Markdown needs a blank line between them)
            k -= 1
        prev = lines[k] if k >= 0 else ""
        mark = MARK.match(prev)
        lang = m.group("lang").lower()
        if mark:
            kind = "illustrative" if mark.group("kind") == "illustrative" else "output"
            note = mark.group("text")
        elif reproduce:
            kind, note = "output", reproduce.group("cmd")
        elif lang in PROGRAMS:
            kind, note = "run", ""
        else:
            kind, note = "unlabelled", ""
        out.append(Block(page, start + 1, lang, code + "\n", kind, note))
        i = j + 1
    return out


ALL_BLOCKS = [b for p in pages() for b in blocks(p)]
RUN_PAGES = sorted({b.page for b in ALL_BLOCKS if b.kind == "run"})


def test_every_block_runs_or_says_why_not():
    bad = []
    for b in ALL_BLOCKS:
        if b.kind == "unlabelled":
            bad.append(f"{b.where}: a ```{b.lang or '(no language)'} block that is neither a program that runs here "
                       "nor marked <!-- illustrative: REASON --> or <!-- output of: COMMAND -->")
        elif b.kind == "run" and UNSAFE.search(b.code):
            bad.append(f"{b.where}: an unmarked block would run {UNSAFE.search(b.code).group(0)!r} in the tests: "
                       "mark it <!-- illustrative: REASON -->")
        elif b.kind in ("illustrative", "output") and len(b.note) < 8:
            bad.append(f"{b.where}: '{b.kind}' needs a reason or a command, got {b.note!r}")
    assert not bad, "\n".join(bad)
    assert len([b for b in ALL_BLOCKS if b.kind == "run"]) >= 5  # the collector finds the programs


def _subcommands(tool: str) -> set[str]:
    if tool == "msi":
        from msi.cli import SUBCOMMANDS
    else:
        from generator.cli import COMMANDS as SUBCOMMANDS  # the stableface group's name for them
    return set(SUBCOMMANDS)


def test_output_blocks_name_a_command_that_exists():
    bad = []
    for b in ALL_BLOCKS:
        if b.kind != "output":
            continue
        words = b.note.split()
        if words[0] in ("msi", "stableface"):
            if len(words) < 2 or words[1] not in _subcommands(words[0]):
                bad.append(f"{b.where}: output of {b.note!r}: no such subcommand")
        elif words[0] == "python":
            if not (ROOT / words[1]).is_file():
                bad.append(f"{b.where}: output of {b.note!r}: {words[1]} does not exist")
        else:
            bad.append(f"{b.where}: output of {b.note!r}: not an msi/stableface/python command")
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="session")
def examples_env(tmp_path_factory):
    """The environment the examples run in: this interpreter's scripts first, one shared cache."""
    from msi.io.samples import sample_path

    root = tmp_path_factory.mktemp("docs_examples")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["MSI_CACHE_DIR"] = str(root / "cache")
    env["MPLBACKEND"] = "Agg"
    env.pop("PYTHONPATH", None)
    files = {"video.mp4": sample_path(), "real.mp4": sample_path(), "clip.mp4": sample_path(),
             "fake.mp4": sample_path("carphone_distorted.mp4")}
    return root, env, files


def _run(b: Block, cwd: Path, env: dict) -> None:
    if PROGRAMS[b.lang] == "bash":
        cmd = ["bash", "-euo", "pipefail", "-c", b.code]
    else:  # numpy's RuntimeWarnings (overflow, invalid value) are bugs in an example's path
        cmd = [sys.executable, "-W", "error::RuntimeWarning", "-c", b.code]
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
    assert r.returncode == 0, (f"{b.where}: the example exits {r.returncode}\n--- code\n{b.code}"
                               f"--- stdout\n{r.stdout[-3000:]}\n--- stderr\n{r.stderr[-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(p.relative_to(ROOT)) for p in RUN_PAGES])
def test_page_examples_run(page, examples_env):
    root, env, files = examples_env
    cwd = root / str(page.relative_to(ROOT)).replace("/", "_")
    cwd.mkdir()
    for name, src in files.items():
        shutil.copyfile(src, cwd / name)
    for b in blocks(page):
        if b.kind == "run" and not UNSAFE.search(b.code):  # unsafe ones fail the labelling test
            _run(b, cwd, env)


@pytest.mark.slow
def test_msi_score_sample_output_is_current(examples_env, run_cli, monkeypatch):
    """The printed output of `msi score --sample` (README, quick start) is what it prints today (in
    this process: its output is under test, not a process; the examples' cache, as a user has it)."""
    _, env, _ = examples_env
    shown = [b for b in ALL_BLOCKS if b.kind == "output" and b.note == "msi score --sample"]
    assert shown, "the README's quick start shows the output of msi score --sample"
    monkeypatch.setenv("MSI_CACHE_DIR", env["MSI_CACHE_DIR"])
    code, out, err = run_cli(["score", "--sample"])
    assert code == 0, err
    now = out + err
    for b in shown:
        for number in re.findall(r"\b\d+\.\d{3,4}\b|\b\d+/\d+\b", b.code):
            assert number in now, f"{b.where}: {number} is shown but msi score --sample prints\n{now}"
        tracker = re.search(r"^tracker: .*$", b.code, re.MULTILINE)
        assert tracker and tracker.group(0) in now, f"{b.where}: the tracker line differs:\n{now}"


def test_readme_second_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = next(b for b in blocks(ROOT / "README.md") if b.code.startswith("pip install . && msi score --sample"))
    commands = [line for line in quick.code.splitlines() if line.strip()]
    assert len(commands) == 2, quick.code
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[1] in ci, f"README's second quick-start command is not a line of .ci/run:\n{commands[1]}"
    assert len(readme.splitlines()) <= 220, "README.md is the landing page: the details go to docs/"


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:"):]
    return re.findall(r":\s*([\w./-]+\.md)\s*$", nav, re.MULTILINE)


def test_every_page_is_in_the_nav():
    nav = _nav_pages()
    on_disk = {str(p.relative_to(DOCS)) for p in pages()[1:]}
    missing = sorted(on_disk - set(nav))
    assert not missing, f"pages not in mkdocs.yml's nav (unreachable from the navigation): {missing}"
    absent = sorted(set(nav) - on_disk)
    assert not absent, f"mkdocs.yml's nav lists pages that do not exist: {absent}"
    assert len(nav) == len(set(nav)), "a page is listed twice in the nav"
