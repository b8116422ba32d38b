"""Speed of the face-shape rasteriser (generator.data.raster) on one CPU core.

Target (issue 4): at least 100 renders per second of a 256 x 256 shape image, in CPU time of
one thread (``torch.set_num_threads(1)``; process time, so other jobs on a shared machine do
not count). The meshes are
a real tracked face (the astronaut photo) under slow random head motion. Everything is
measured in this one run, and the vectorised z-buffer is also compared with a plain
per-triangle reference rasteriser (a loop over triangles, numpy inside), which must pick the
same triangle at (nearly) every pixel.

    python benchmarks/bench_raster.py [--size 256] [--seconds 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch


def face_meshes(n: int, size: int, seed: int = 0) -> np.ndarray:
    """n poses of the astronaut's MediaPipe mesh (small random rotations), in a size x size crop."""
    from scipy.spatial.transform import Rotation
    from skimage.data import astronaut

    from msi.tracking.trackers import open_tracker

    with open_tracker() as tracker:  # the default, stateless tracker
        lm = tracker.process(astronaut())
    centre = lm.mean(axis=0)
    rng = np.random.default_rng(seed)
    rot = Rotation.from_euler("xyz", rng.uniform(-12, 12, (n, 3)), degrees=True).as_matrix()
    posed = (lm - centre) @ rot.transpose(0, 2, 1) * (size / 150.0)
    return (posed + np.array([size / 2, size / 2 + 10, 0.0])).astype(np.float32)


def reference_faces(v: np.ndarray, tri: np.ndarray, size: int) -> np.ndarray:
    """Per-triangle loop z-buffer (the obvious implementation): (S*S,) triangle index or -1."""
    zbuf = np.full((size, size), np.inf)
    face = np.full((size, size), -1)
    for f, (a, b, c) in enumerate(v[tri]):
        x0, x1 = int(np.ceil(min(a[0], b[0], c[0]) - 0.5)), int(np.floor(max(a[0], b[0], c[0]) - 0.5))
        y0, y1 = int(np.ceil(min(a[1], b[1], c[1]) - 0.5)), int(np.floor(max(a[1], b[1], c[1]) - 0.5))
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, size - 1), min(y1, size - 1)
        if x1 < x0 or y1 < y0:
            continue
        px, py = np.meshgrid(np.arange(x0, x1 + 1) + 0.5, np.arange(y0, y1 + 1) + 0.5)
        area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        if area == 0:
            continue
        w0 = ((c[0] - b[0]) * (py - b[1]) - (c[1] - b[1]) * (px - b[0])) / area
        w1 = ((a[0] - c[0]) * (py - c[1]) - (a[1] - c[1]) * (px - c[0])) / area
        w2 = 1.0 - w0 - w1
        inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        z = w0 * a[2] + w1 * b[2] + w2 * c[2]
        win = inside & (z < zbuf[y0 : y1 + 1, x0 : x1 + 1])
        zbuf[y0 : y1 + 1, x0 : x1 + 1][win] = z[win]
        face[y0 : y1 + 1, x0 : x1 + 1][win] = f
    return face.reshape(-1)


def rate(fn, items: int, seconds: float) -> float:
    """Items per second of this process's CPU time (one thread): robust on a shared machine,
    where wall-clock time also counts the other processes' turns."""
    fn()  # warm-up
    n, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        fn()
        n += 1
    return n * items / (time.process_time() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    from generator.data.raster import _visible_triangle, mouth_mask, render_shape
    from generator.data.topology import TRIANGLES

    s = args.size
    meshes = face_meshes(64, s)
    one, batch = torch.from_numpy(meshes[:1]), torch.from_numpy(meshes[:16])
    grad_batch = batch.clone().double().requires_grad_(True)

    def forward_backward():
        grad_batch.grad = None
        render_shape(grad_batch.float(), s).sum().backward()

    tri = torch.as_tensor(TRIANGLES)
    ref_rate = rate(lambda: reference_faces(meshes[0], TRIANGLES, s), 1, args.seconds)
    zbuf_rate = rate(lambda: _visible_triangle(one, tri, s), 1, args.seconds)
    agree = np.mean([
        np.mean(reference_faces(meshes[i], TRIANGLES, s) == _visible_triangle(torch.from_numpy(meshes[i : i + 1]), tri, s).numpy())
        for i in range(4)
    ])
    result = {
        "size": s,
        "threads": torch.get_num_threads(),
        "renders_per_s_batch1": rate(lambda: render_shape(one, s), 1, args.seconds),
        "renders_per_s_batch16": rate(lambda: render_shape(batch, s), 16, args.seconds),
        "renders_per_s_with_backward_batch16": rate(forward_backward, 16, args.seconds),
        "mouth_masks_per_s_batch16": rate(lambda: mouth_mask(batch, s), 16, args.seconds),
        "zbuffer_per_s": zbuf_rate,
        "reference_loop_zbuffer_per_s": ref_rate,
        "speedup_vs_reference_loop": zbuf_rate / ref_rate,
        "pixel_agreement_with_reference": float(agree),
        "target_renders_per_s": 100,
    }
    result["meets_target"] = bool(result["renders_per_s_batch16"] >= 100 and result["renders_per_s_batch1"] >= 100)
    text = json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
