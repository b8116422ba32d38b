"""How much the tracker's MSI moves when a video changes by a little, and whether the watermark's
effect is its own: per seeded synthetic corpus clip (4 s, 256 px, written as ``synthesize``
writes: H.264 crf 18), MSI-Lip and MSI-Jaw of copies against the unmarked encode:

* ``crf 17``: the same frames encoded at crf 17 (the encoder's noise alone);
* ``corner +1``: +1 level on a 4 x 4 corner block of every frame (a change far from the face);
* ``DWT-DCT mark``: the library's watermark (``generator.marking.watermark``);
* ``DWT-DCT, continuous pull``: the same mark fitted to each frame, but each coefficient pulled
  towards its lattice point continuously (``research/constant_pattern_mark/smoothed_qim.py``,
  time constant 1 frame: no jump between lattice points);
* ``constant pattern``: a prototype mark that is one fixed pattern added to every frame (chroma,
  orders 3-18 of a 64 x 64 DCT, made once from the first frame: ``research/constant_pattern_mark``);
* ``constant pattern, off the face``: the same on Y, U, V (orders 3-24), zeroed on the
  macroblock-aligned box of every frame's face (tracked on the unmarked encode) plus 16 px.

    python research/marking_msi_sensitivity.py --seeds 0-5      # prints a markdown table

The numbers are in docs/generator/marking.md ("Why the mark's effect on MSI stays").
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def prototype():
    """The constant-pattern prototype's reader and writer (research/constant_pattern_mark)."""
    sys.path.insert(0, str(HERE / "constant_pattern_mark"))
    import reader
    import writer

    return reader, writer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-5", help="corpus seeds, a-b")
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split("-"))
    from generator.corpus.build import build_clip
    from generator.marking.watermark import embed
    from msi.acquire import get_landmarks
    from msi.io.video import read_frames, write_video
    from msi.score import score_video
    from msi.settings import Settings

    R, PW = prototype()
    from smoothed_qim import embed_smoothed
    rid = "9c3e01f7"
    names = ["crf 17", "corner +1", "DWT-DCT mark", "DWT-DCT, continuous pull", "constant pattern",
             "constant pattern, off the face"]
    rel = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for seed in range(lo, hi + 1):
            frames = read_frames(build_clip(tmp / f"c{seed}", seconds=4.0, seed=seed, size=256).video)
            write_video(tmp / "u.mp4", frames, fps=25, crf=18, threads=1)
            base = score_video(tmp / "u.mp4", Settings(), cache=False)
            lm = get_landmarks(tmp / "u.mp4", Settings(), cache=False).landmarks
            x0, y0 = (max(0, int((np.nanmin(lm[..., i]) - 16) // 16 * 16)) for i in (0, 1))
            x1, y1 = (min(256, int(-(-(np.nanmax(lm[..., i]) + 16) // 16) * 16)) for i in (0, 1))
            corner = frames.copy()
            corner[:, :4, :4] = np.clip(corner[:, :4, :4].astype(int) + 1, 0, 255)
            R.ORDERS, R.PLANES = (3, 18), (1, 2)
            R.layout.cache_clear()
            constant = [PW.add_pattern(f, PW.pattern(rid, frames[0])) for f in frames]
            R.ORDERS, R.PLANES = (3, 24), (0, 1, 2)
            R.layout.cache_clear()
            change = PW.pattern(rid, frames[0])
            change[y0:y1, x0:x1] = 0
            off_face = [PW.add_pattern(f, change) for f in frames]
            copies = {"crf 17": (frames, 17), "corner +1": (corner, 18), "DWT-DCT mark": (embed(frames, rid), 18),
                      "DWT-DCT, continuous pull": (embed_smoothed(frames, rid, 1.0), 18),
                      "constant pattern": (constant, 18), "constant pattern, off the face": (off_face, 18)}
            row = []
            for n, (fr, crf) in copies.items():
                write_video(tmp / "v.mp4", fr, fps=25, crf=crf, threads=1)
                s = score_video(tmp / "v.mp4", Settings(), cache=False)
                dl, dj = s.msi_lip / base.msi_lip - 1, s.msi_jaw / base.msi_jaw - 1
                rel[n].append((dl, dj))
                row.append(f"{100 * dl:+.1f} / {100 * dj:+.1f}")
            print(f"seed {seed} (lip {base.msi_lip:.3f}, jaw {base.msi_jaw:.3f}): " + "; ".join(
                f"{n} {r}" for n, r in zip(names, row)), flush=True)
    print("\n| copy | MSI-Lip change: mean, mean of abs, largest abs | MSI-Jaw change: mean, mean of abs, largest abs |")
    print("|---|---|---|")
    for n, v in rel.items():
        x = 100 * np.array(v)
        cells = [f"{x[:, k].mean():+.2f} %, {np.abs(x[:, k]).mean():.2f} %, {np.abs(x[:, k]).max():.2f} %" for k in (0, 1)]
        print(f"| {n} | {cells[0]} | {cells[1]} |")
    print(f"\n({len(x)} clips: corpus seeds {lo}-{hi})")


if __name__ == "__main__":
    main()
