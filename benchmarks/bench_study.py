"""`msi study make` and `msi study analyze` timed against their targets (make: 3 methods x 5
utterances in under a minute; analyze: 50 raters x 100 answers in seconds).

make: 5 utterances of --frames frames cut from the bundled real clip (carphone_pristine.mp4,
176x144), in 3 methods (`h264`: linked as it is; `shaken`: whole-pixel shifts, linked; `mpeg4`:
MPEG-4 Part 2 in AVI, which Chromium cannot play, so a preview is transcoded), both designs, the
default repeats/practice/attention and 20 rater plans: the wall time of `make_study` (what the
command runs; the command adds its imports, about a second).

analyze: 50 simulated raters (msi.study.simulate: 45 careful, 3 random, 2 careless) on a study of
4 methods x 6 utterances (ACR, one question: 24 + 2 repeats + 2 attention + 1 practice = 29
presentations; pair, 3 pairs: 18 + 2 + 2 + 1 = 23; 52 presentations, 104 answers per
rater on two questions), timed as `analyze` (screening, MOS, preferences,
Krippendorff's alpha, ICC) plus `write_outputs` (CSV, JSON, markdown, the PNG), after one warm-up
run that pays for importing pingouin and matplotlib (printed separately).

    python benchmarks/bench_study.py [--frames 50] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import best_of  # noqa: E402


def make_methods(root: Path, n: int, frames: int) -> dict[str, Path]:
    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video
    from msi.plots.slices import shift_frame

    src = read_frames(sample_path("carphone_pristine.mp4"))
    dirs = {m: root / m for m in ("h264", "shaken", "mpeg4")}
    for d in dirs.values():
        d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        f = src[(np.arange(frames) + 13 * i) % len(src)]
        write_video(dirs["h264"] / f"u{i}.mp4", f, fps=25, threads=1)
        write_video(dirs["shaken"] / f"u{i}.mp4", [shift_frame(x, *rng.integers(-3, 4, 2)) for x in f], fps=25, threads=1)
        write_video(dirs["mpeg4"] / f"u{i}.avi", f, fps=25, codec="mpeg4", threads=1)
    return dirs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=50, help="frames per utterance (default 50: 2 s at 25 fps)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each timing; the fastest is printed")
    args = ap.parse_args()

    from msi.study.analysis import analyze
    from msi.study.answers import validate
    from msi.study.design import acr_item, pair_item, rater_plan
    from msi.study.make import make_study
    from msi.study.report import write_outputs
    from msi.study.simulate import simulate

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dirs = make_methods(root / "methods", 5, args.frames)
        k = iter(range(1000))
        t_make = best_of(lambda: make_study(dirs, root / f"study{next(k)}", designs=("acr", "pair"), raters=20),
                         args.repeat)
        print(f"make: 3 methods x 5 utterances ({args.frames} frames, 176x144; 5 of them transcoded), "
              f"both designs, 20 plans: {t_make:.2f} s (target < 60 s)")

        methods, utts = ["a", "b", "c", "d"], [f"u{i}" for i in range(6)]
        items = [acr_item(m, u, f"videos/{m}/{u}.mp4") for u in utts for m in methods]
        items += [acr_item("check", u, f"videos/check/{u}.mp4", attention=True) for u in utts[:2]]
        items += [pair_item("a", m, u, f"videos/a/{u}.mp4", f"videos/{m}/{u}.mp4") for u in utts for m in methods[1:]]
        items += [pair_item("a", "check", u, f"videos/a/{u}.mp4", f"videos/check/{u}.mp4", expect="a") for u in utts[:2]]
        manifest = {"name": "bench", "designs": ["acr", "pair"], "questions": ["motion_stability", "realness"],
                    "items": {it["id"]: it for it in items}, "plan": {"seed": 0, "repeats": 2, "practice": 1},
                    "sessions": [{"rater": f"r{i + 1:02d}", "plan": rater_plan(items, 0, i)} for i in range(50)]}
        truth = {m: {"motion_stability": 4 - i * 0.8, "realness": 4 - i * 0.5} for i, m in enumerate(methods)}
        answers = validate(simulate(manifest, ["careful"] * 45 + ["random"] * 3 + ["careless"] * 2, truth))
        per = answers.groupby("rater").size()
        t0 = time.perf_counter()
        write_outputs(analyze(answers), root / "warm")
        warm = time.perf_counter() - t0
        t_an = best_of(lambda: write_outputs(analyze(answers), root / "out"), args.repeat)
        print(f"analyze: {answers['rater'].nunique()} raters x {int(per.mean())} answers ({len(answers)} rows): "
              f"{t_an:.2f} s (first run, with the imports of pingouin and matplotlib: {warm:.2f} s; target: seconds)")


if __name__ == "__main__":
    main()
