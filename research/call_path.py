"""A video's path through `msi score`, measured from the calls that really run.

    python research/call_path.py [VIDEO] [msi score options...]   # default: the bundled carphone clip, --no-cache

sys.setprofile records every Python call into a function defined under this checkout's msi/
while `msi score` runs in-process (`msi.cli.main`), from the moment one video's path begins
(`msi.score._score_one`, after the command line has read its inputs); module bodies run by an
import are not part of the path, nor is anything they call (the class bodies and decorators an
import runs are the module's making, not the video's path). A *step* is a call from a function of one msi module into a
function of another. A *climb back* is a step into a module the path has already been in: the
path left that module and comes back to it (a crossroads module calls the same lower module again
and again, or a lower module calls back up). Each is counted once per distinct
(caller function -> callee function) pair, so a loop over frames counts once; a property read
(a call) counts like any call.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MSI = ROOT / "msi"
START = ("msi.score", "_score_one")
IMPORTING = ("<import>", "")


def module_of(code) -> str | None:
    f = Path(code.co_filename)
    if code.co_name == "<module>" or not f.is_relative_to(MSI):
        return None
    return ".".join(("msi", *f.relative_to(MSI).with_suffix("").parts)).removesuffix(".__init__")


def trace(args: list[str]) -> tuple[list[str], dict, dict]:
    """(modules in the order entered, steps, climbs back), steps and climbs as {(caller, callee): order}."""
    from msi.cli import main

    stack: list[tuple[str, str] | None] = []
    modules: list[str] = []
    steps: dict = {}
    climbs: dict = {}
    began = [False]

    def profile(frame, event, arg):
        if event == "call" and (frame.f_code.co_name == "<module>" or IMPORTING in stack):
            stack.append(IMPORTING)  # an import at work: nothing under it is the path
        elif event == "call":
            m = module_of(frame.f_code)
            if m is not None and not began[0]:
                began[0] = (m, frame.f_code.co_name) == START
                m = m if began[0] else None
            callers = [s for s in stack if s is not None]
            if m is not None:
                if callers and callers[-1][0] != m:
                    edge = (":".join(callers[-1]), f"{m}:{frame.f_code.co_name}")
                    if edge not in steps:
                        steps[edge] = len(steps)
                        if m in modules:
                            climbs[edge] = len(climbs)
                if m not in modules:
                    modules.append(m)
            stack.append((m, frame.f_code.co_name) if m is not None else None)
        elif event == "return" and stack:
            stack.pop()

    sys.setprofile(profile)
    try:
        main(["score", *args])
    finally:
        sys.setprofile(None)
    return modules, steps, climbs


if __name__ == "__main__":
    from msi.io.samples import sample_path

    argv = sys.argv[1:] or [str(sample_path("carphone_pristine.mp4")), "--no-cache", "-q"]
    modules, steps, climbs = trace(argv)
    print(f"{len(steps)} steps in {len(modules)} modules, {len(climbs)} climbs back")
    for (a, b), _ in sorted(climbs.items(), key=lambda kv: kv[1]):
        print(f"  climb back: {a} -> {b}")
