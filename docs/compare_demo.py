"""Rebuild the "Compare methods" example of docs/compare.md: three 4 s synthetic talking clips (espeak-ng speech,
seeds 0-2), each turned into four "methods" by the done test's ``make_methods`` (tests/msi/test_compare.py),
then ``msi compare`` on them (and the same with ``--sensitivity``: docs/compare.md's encoding table).

    python docs/compare_demo.py /tmp/compare_demo   # then follow the printed msi compare commands
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "msi"))

from test_compare import make_methods  # noqa: E402

from generator.corpus.build import build_clip  # noqa: E402


def main(root: Path) -> None:
    (root / "truth").mkdir(parents=True, exist_ok=True)
    for seed in (0, 1, 2):
        clip = build_clip(root / "clips", seconds=4.0, seed=seed, size=256, name=f"clip{seed}")
        shutil.copy(clip.video, root / "truth" / f"clip{seed}.mp4")
        for method, d in make_methods(clip.video, clip.truth, root / f"tmp{seed}", seed=seed).items():
            (root / "methods" / method).mkdir(parents=True, exist_ok=True)
            shutil.move(str(d / "talk.mp4"), root / "methods" / method / f"clip{seed}.mp4")
        shutil.rmtree(root / f"tmp{seed}")
    print(f"cd {root / 'methods'} && msi compare real=real shaken=shaken frozen=frozen delayed=delayed "
          "--truth ../truth --workers 2 --plot compare.png")
    print(f"cd {root / 'methods'} && msi compare real=real shaken=shaken frozen=frozen delayed=delayed "
          "--truth ../truth --workers 2 --sensitivity --sensitivity-plot compare_sensitivity.png "
          "--sensitivity-out compare_sensitivity.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "compare_demo"))
