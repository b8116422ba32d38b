"""What the invisible watermark moves in the committed Table V (``docs/bench/table5``), whose
generated test videos were written before the bench marked them, without retraining (the runs'
checkpoints are not committed).

Each finished run's test clips (``runs/<variant>__seed<s>/eval/own_K.mp4``, H.264 crf 18) are
decoded and written again at the bench's crf twice: unmarked, and with the invisible watermark
(the run id of its result file's name), both as ``synthesize`` writes (the visible label off); both
are scored against the committed truth clip by the bench's own scoring
(``generator.reproduction.evaluate.evaluate_video``), and the change of each column is summarised
over runs by the bench's own table (``generator.reproduction.tables.mark_effect``). The one
difference from a bench run with the mark (``stableface bench``, whose renders are marked before
their only encode): both copies here are encoded twice, so the reference is the unmarked
re-encode, not the committed video. Audio is not copied (the effect's columns do not read it).

    python research/bench_mark_effect.py docs/bench/table5 --seeds 0-1 --out docs/bench/table5/mark_effect.csv
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", type=Path, help="a bench folder (results/, runs/, truth/)")
    ap.add_argument("--seeds", default="0-1", help="seeds a-b of every Table V variant")
    ap.add_argument("--out", type=Path, required=True, help="the effect table (CSV)")
    a = ap.parse_args()
    from generator.marking.watermark import embed
    from generator.reproduction.ablations import EFFECT_COLUMNS, TABLE5, clip_videos
    from generator.reproduction.evaluate import evaluate_video
    from generator.reproduction.runs import RunStore
    from generator.reproduction.tables import mark_effect, mark_effect_section
    from generator.synthesize import ENCODE_CRF
    from msi.io.video import probe, read_frames, write_video

    lo, hi = (int(x) for x in a.seeds.split("-"))
    store = RunStore(a.bench)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for seed in range(lo, hi + 1):
            for variant in TABLE5:
                if not store.done(variant, seed):
                    continue
                run_id = hashlib.sha256(f"{variant}{seed}".encode()).hexdigest()[:8]  # any id: the bits differ, not the size
                clips, plain = [], []
                for k, (video, truth) in enumerate(clip_videos(a.bench, variant, seed)):
                    frames = read_frames(video)
                    fps = probe(video).fps
                    write_video(tmp / "plain.mp4", frames, fps=fps, crf=ENCODE_CRF, threads=1)
                    write_video(tmp / "marked.mp4", embed(frames, run_id), fps=fps, crf=ENCODE_CRF, threads=1)
                    for name, into in (("plain", plain), ("marked", clips)):
                        got = evaluate_video(tmp / f"{name}.mp4", truth)
                        into.append({"clip": k, **{c: got.get(c, float("nan")) for c in EFFECT_COLUMNS}})
                rows.append({"variant": variant, "seed": seed, "clips": clips, "unmarked_clips": plain})
                print(f"{variant} seed {seed}: MSI-Lip " + ", ".join(
                    f"{u['msi_lip']:.3f} -> {m['msi_lip']:.3f}" for u, m in zip(plain, clips)), file=sys.stderr, flush=True)
    runs = pd.DataFrame(rows)
    mark_effect(runs).to_csv(a.out, index=False)
    print(mark_effect_section(runs, list(TABLE5), "frame").strip())
    print(f"\n({len(runs)} runs: Table V's variants, seeds {lo}-{hi}; per run {a.out})")


if __name__ == "__main__":
    main()
