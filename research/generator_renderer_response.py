"""How far a trained renderer's mouth opens against the mesh it is given: tracked or predicted
expressions, on the training or the test split, beside the truth's own frames tracked the same way.

    python research/generator_renderer_response.py RUN DATA [--frames 450]

For each split (its first ``--frames`` frames) and each source of expressions (the clip's tracked
ones, or audio2expression's prediction from the split's audio with the run's gain), the smoothed
meshes are rendered over the split's own frames and the rendered 64 px frames are tracked directly
(no upscaling, no encoder). Printed per row: the rendered opening's std over the mesh's (amplitude),
their correlation, and the 5th / 95th percentiles of the mesh's, the rendered frames' and the
truth's opening (mouth widths). The last rows track the truth's own prepared frames the same way:
what the tracker reads of a perfect renderer at that size. A renderer that stops short on the
training split with tracked meshes underfits; one that stops short only on the test split's
predicted meshes generalises badly (issue 19).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch


def percentiles(x: np.ndarray) -> str:
    return f"{np.nanpercentile(x, 5):.3f} / {np.nanpercentile(x, 95):.3f}"


def mesh_and_frames(run, clip, sl: slice, exp: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Expressions (T, K) of the frames ``sl`` -> (the smoothed mesh's opening (T,), the renderer's
    frames over the clip's own frames (T, S, S, 3) uint8), as synthesis renders them."""
    from generator.models.pipeline import Identity
    from generator.synthesize import render_frames
    from msi.metrics.mouth_motion import mouth_opening

    f32 = lambda x: torch.as_tensor(np.array(x, np.float32))  # noqa: E731
    ident = Identity(f32(clip.shape), run.ident.components, run.ident.exp_std)
    pose = [f32(x[sl])[None] for x in (clip.rotation, clip.translation, clip.scale)]
    with torch.no_grad():
        mesh = mouth_opening(run.model.meshes(exp[None], ident, *pose, smooth=True)[0].numpy())
    frames = render_frames(run, exp, np.asarray(clip.frames[sl]), clip.shape, clip.rotation[sl], clip.translation[sl],
                           clip.scale[sl], np.asarray(clip.audio_features[sl]), background_masks=clip.mouth_masks[sl])
    return mesh, frames


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("--frames", type=int, default=450, help="frames per split (from its start)")
    a = p.parse_args(argv)

    from generator.data.dataset import load_clip
    from generator.inference import load_run, predict_expressions
    from msi.metrics.mouth_motion import mouth_opening
    from msi.tracking.trackers import track_frames

    torch.set_num_threads(1)
    run, clip = load_run(a.run), load_clip(a.data)
    print("| split | expressions | amplitude (rendered / mesh) | r | mesh p5 / p95 | rendered p5 / p95 | truth p5 / p95 |")
    print("|---|---|---|---|---|---|---|")
    truth_rows = []
    for split in ("train", "test"):
        part = clip.split(split)
        sl = slice(part.start, min(part.stop, part.start + a.frames))
        feats = np.asarray(clip.audio_features[sl])
        truth = mouth_opening(np.asarray(clip.landmarks[sl]))
        for kind in ("tracked", "predicted"):
            exp = (torch.as_tensor(np.array(clip.expression[sl], np.float32)) if kind == "tracked"
                   else predict_expressions(run, feats))
            mesh, frames = mesh_and_frames(run, clip, sl, exp)
            rendered = mouth_opening(track_frames(frames))
            ok = np.isfinite(rendered)
            print(f"| {split} | {kind} | {np.nanstd(rendered) / np.std(mesh):.3f} | "
                  f"{np.corrcoef(rendered[ok], mesh[ok])[0, 1]:.3f} | {percentiles(mesh)} | {percentiles(rendered)} | "
                  f"{percentiles(truth)} |", flush=True)
        own = mouth_opening(track_frames(np.asarray(clip.frames[sl])))
        truth_rows.append(f"| {split} | the truth's own {clip.size} px frames | {np.nanstd(own) / np.std(truth):.3f} | "
                          f"{np.corrcoef(own[np.isfinite(own)], truth[np.isfinite(own)])[0, 1]:.3f} | — | "
                          f"{percentiles(own)} | {percentiles(truth)} |")
    print("\n".join(truth_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
