"""Speed of CPBD: our vectorised ``msi.metrics.quality.cpbd`` vs the reference package ``cpbd-py312``
(per-pixel Python loops), side by side in one run, on scikit-image's astronaut (grayscale uint8)
at 512x512 and resized to 256x256 (a typical talking-face frame). Both give the same value.

    python benchmarks/bench_cpbd.py [--repeat 3]
"""
from __future__ import annotations

import argparse

import numpy as np
from timing import best_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import cpbd as reference
    import cv2
    from skimage import color, data

    from msi.metrics.quality import cpbd

    big = (color.rgb2gray(data.astronaut()) * 255).astype(np.uint8)
    small = cv2.resize(big, (256, 256), interpolation=cv2.INTER_AREA)
    print(f"{'image':>9}  {'cpbd-py312 s':>12}  {'msi s':>8}  {'speed-up':>8}  value")
    for name, img in (("512x512", big), ("256x256", small)):
        assert cpbd(img) == reference.compute(img)
        t_ref = best_of(lambda: reference.compute(img), args.repeat)
        t_ours = best_of(lambda: cpbd(img), args.repeat)
        print(f"{name:>9}  {t_ref:12.3f}  {t_ours:8.4f}  {t_ref / t_ours:7.0f}x  {cpbd(img):.4f}")


if __name__ == "__main__":
    main()
