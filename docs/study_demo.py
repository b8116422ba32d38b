"""Rebuild the demo study of docs/study.md (docs/study/): a study of the compare demo's kind of
methods, answered by SIMULATED raters, analysed, and Table IV from its per-video MOS.

THE RATERS ARE SIMULATED (msi.study.simulate): 16 careful ones who grade from a fixed latent
quality per method plus noise, one who answers at random, and one careless one who grades
everything 4-5 and always picks the left video. Nothing here is evidence about people.

The methods are made from the bundled real clip carphone_pristine.mp4 (176x144, 4 s, no audio
track), cut into 3 utterances of 40 frames:
  real     the clip (re-encoded);
  wobbly   every frame shifted by random whole pixels in [-1, 1];
  shaken   the same in [-3, 3];
  frozen   the mouth region of the utterance's first frame pasted, feathered, onto every frame
           where the tracked mouth is (the mouth stops moving, the head does not).

    python docs/study_demo.py            # then: python docs/study_screenshot.py
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's msi, whatever is installed
OUT = ROOT / "docs" / "study"
UTTERANCES, FRAMES = 3, 40
#: The simulated raters' latent quality per method and question (1-5): how they would grade
#: each method without noise. Chosen by hand; the analysis has to recover them.
TRUTH = {"real": {"motion_stability": 4.4, "lip_sync": 4.0, "realness": 4.4},
         "wobbly": {"motion_stability": 3.2, "lip_sync": 3.8, "realness": 3.6},
         "shaken": {"motion_stability": 1.7, "lip_sync": 3.3, "realness": 2.0},
         "frozen": {"motion_stability": 3.9, "lip_sync": 1.6, "realness": 2.7}}
PROFILES = ["careful"] * 16 + ["random", "careless"]


def make_methods(root: Path) -> dict[str, Path]:
    import cv2

    from msi.io.samples import sample_path
    from msi.io.video import probe, read_frames, write_video
    from msi.plots.slices import shift_frame
    from msi.tracking.trackers import track_frames

    src = sample_path("carphone_pristine.mp4")
    frames, fps = read_frames(src), probe(src).fps
    mesh = track_frames(frames)[:, :, :2]
    corners, lips = [61, 291], [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
    rng = np.random.default_rng(0)
    dirs = {m: root / m for m in TRUTH}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    h, w = frames.shape[1:3]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for u in range(UTTERANCES):
        f, m = frames[u * FRAMES:(u + 1) * FRAMES], mesh[u * FRAMES:(u + 1) * FRAMES]
        name = f"u{u + 1}.mp4"
        write_video(dirs["real"] / name, f, fps=fps, crf=28, threads=1)
        for method, px in (("wobbly", 1), ("shaken", 3)):
            shifts = rng.integers(-px, px + 1, size=(len(f), 2))
            write_video(dirs[method] / name, [shift_frame(x, int(a), int(b)) for x, (a, b) in zip(f, shifts)],
                        fps=fps, crf=28, threads=1)
        centre = m[:, corners].mean(1)
        half = (m[:, lips].max(1) - m[:, lips].min(1)).max(0) / 2 * 1.5 + 3
        frozen = []
        for x, c in zip(f, centre):
            dx, dy = c - centre[0]
            moved = cv2.warpAffine(f[0], np.float32([[1, 0, dx], [0, 1, dy]]), (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
            mask = np.clip((1.3 - np.hypot((xx - c[0]) / half[0], (yy - c[1]) / half[1])) / 0.3, 0, 1)[..., None]
            frozen.append((mask * moved + (1 - mask) * x).round().astype(np.uint8))
        write_video(dirs["frozen"] / name, frozen, fps=fps, crf=28, threads=1)
    return dirs


def msi(*args) -> None:
    print("$ msi " + " ".join(map(str, args)), flush=True)
    subprocess.run([sys.executable, "-m", "msi", *map(str, args)], check=True, cwd=ROOT)


def main() -> None:
    from msi.study.answers import COLUMNS
    from msi.study.manifest import load_study
    from msi.study.simulate import simulate

    if OUT.exists():
        shutil.rmtree(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = make_methods(Path(tmp))
        msi("study", "make", *(f"{m}={d}" for m, d in dirs.items()), "--design", "acr", "--design", "pair",
            "--pair", "real:shaken", "--pair", "real:frozen", "--pair", "real:wobbly", "--raters", len(PROFILES),
            "--name", "demo", "--out", OUT.relative_to(ROOT) / "demo")
    manifest = load_study(OUT / "demo")
    answers = simulate(manifest, PROFILES, TRUTH, seed=0)
    (OUT / "answers").mkdir()
    for rater, rows in answers.groupby("rater"):  # one file per rater, as the page exports them offline
        rows[COLUMNS].to_csv(OUT / "answers" / f"answers-demo-{rater}.csv", index=False)
    results = OUT.relative_to(ROOT) / "results"
    msi("study", "analyze", *sorted((OUT / "answers").glob("*.csv")), "--study", OUT / "demo", "--out", results,
        "--title", "Demo study (simulated raters)")
    msi("correlate", results / "per_video_mos.csv", "--score", "--out", results / "table4.md")
    print("profiles:", {manifest["sessions"][i]["rater"]: p for i, p in enumerate(PROFILES) if p != "careful"})


if __name__ == "__main__":
    main()
