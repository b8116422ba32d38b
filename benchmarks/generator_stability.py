"""Does the stability module learn, and what does the generator do to the mouth?  (issue 11)

    python benchmarks/generator_stability.py RUN_DIR DATA_DIR --out DIR [--split test] [--chain]

1. **Adaptive smoothing weights** on the split, computed from the expressions audio2expression
   predicts from the split's audio (what synthesis smooths) and from the tracked expressions:
   mean and per-frame standard deviation ("spread") of the centre weight, the per-tap spread
   averaged over taps, and the Pearson correlation between the centre weight and the local
   expression speed ||e_(t+1) - e_(t-1)|| / 2 (``generator.models.smoothing.adaptation``).
2. **Re-enactment** of the split from its own audio (``generator.synthesize``): DIR/gen.mp4 and the
   ground truth DIR/truth.mp4.
3. Both videos tracked with MediaPipe (``msi.score.get_landmarks``): **MSI-Lip / MSI-Jaw**
   (``msi.score.score_landmarks``) and the **mouth opening** (``msi.motion.mouth_opening``: inner-lip
   gap |p13 - p14| in median mouth widths): its standard deviation in each video (= ``mouth_motion``), their
   ratio (generated / truth) and the Pearson correlation of the two opening tracks.

4. With ``--chain`` (``motion_chain``): the opening stage by stage (meshes of the tracked and the
   predicted expressions, smoothed, rendered), and the renderer's gains on the mesh and on the
   background it paints over, with the split's own frames and with them reversed in time.

Writes DIR/stability.json (DIR/stability_TRACKER.json with ``--tracker``; the per-frame openings
in DIR/chain_tracks.npz with ``--chain``) and prints a markdown summary.  One CPU thread.  MSI and the opening depend on the tracker: ``--tracker facemesh-video``
(mediapipe 0.10.14, the ``legacy`` extra) reproduces numbers measured before the default changed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch


def weight_report(run_dir: Path, data_dir: Path, split: str) -> dict:
    from generator.data.dataset import load_clip
    from generator.models.smoothing import adaptation
    from generator.synthesize import load_run, predict_expressions

    run = load_run(run_dir)
    clip = load_clip(data_dir)
    part = clip.split(split)
    out: dict = {"mode": run.cfg.smoothing.mode, "lr_smoothing": run.cfg.train.lr_smoothing, "run_step": run.step}
    if run.model.smoothing is None:
        return out
    std = run.ident.exp_std
    pred = predict_expressions(run, np.asarray(clip.audio_features[part])) / std
    tracked = torch.as_tensor(np.asarray(clip.expression[part], np.float32)) / std
    with torch.no_grad():
        for name, e in (("predicted", pred), ("tracked", tracked)):
            w = run.model.smoothing.weights(e[None])[0]
            out[name] = {k: round(v, 4) for k, v in adaptation(w, e).items()}
            out[name]["mean_kernel"] = [round(float(x), 4) for x in w.mean(0)]
    return out


def video_report(gen: Path, truth: Path, tracker: str | None = None) -> dict:
    from msi.motion import mouth_opening, opening_std
    from msi.score import Settings, get_landmarks, score_landmarks

    settings = Settings() if tracker is None else Settings(tracker=tracker)
    out: dict = {"tracker": settings.tracker}
    o = {}
    for name, path in (("generated", gen), ("truth", truth)):
        lm = get_landmarks(path, settings, cache=False)
        r = score_landmarks(lm.landmarks, lm.fps, settings, path=str(path))
        o[name] = mouth_opening(lm.landmarks)
        out[name] = {"msi_lip": round(r.msi_lip, 4), "msi_jaw": round(r.msi_jaw, 4),
                     "opening_std": round(opening_std(o[name]), 4),
                     "opening_mean": round(float(np.nanmean(o[name])), 4)}
    ok = np.isfinite(o["generated"]) & np.isfinite(o["truth"])
    out["opening_std_ratio"] = round(out["generated"]["opening_std"] / out["truth"]["opening_std"], 3)
    out["opening_correlation"] = round(float(np.corrcoef(o["generated"][ok], o["truth"][ok])[0, 1]), 3)
    return out


def motion_chain(run_dir: Path, data_dir: Path, split: str, tracker: str | None = None) -> tuple[dict, dict]:
    """Where the generated mouth loses motion, stage by stage, on the split (opening std ratio and
    Pearson r against the truth's prepared landmarks, all in median mouth widths):

    * ``mesh_*``: the opening of the posed meshes from the tracked expressions (a check: 1 and 1),
      from audio2expression's predictions, and after smoothing (geometry only, nothing rendered);
    * ``renderer``: the predicted (smoothed) meshes rendered twice, over the split's own frames and
      over the same frames in reverse order (new speech over an unrelated background, as in real
      use), each tracked; least squares ``generated = a * mesh + b * background + c``: ``a`` is how
      much of the mesh's opening the renderer draws, ``b`` how much it copies from the frame it
      paints over (the truth's mouth, outside the erased region).  The tracker's own gain at this
      size, ``truth_video_gain``, is the ceiling for ``a``.

    Returns the summary and the per-frame opening tracks (``truth``, ``mesh``, and ``generated`` /
    ``background`` for each background order)."""
    from generator.data.dataset import load_clip
    from generator.models.pipeline import Identity
    from generator.synthesize import load_run, predict_expressions, render_frames
    from msi.motion import mouth_opening
    from msi.tracking import DEFAULT_TRACKER, track_frames

    tracker = tracker or DEFAULT_TRACKER
    run, clip = load_run(run_dir), load_clip(data_dir)
    part = clip.split(split)
    f32 = lambda a: torch.as_tensor(np.array(a, np.float32))  # noqa: E731
    ident = Identity(f32(clip.shape), run.ident.components, run.ident.exp_std)
    truth_all = mouth_opening(np.asarray(clip.landmarks))
    truth = truth_all[part]
    feats = np.asarray(clip.audio_features[part])
    pred = predict_expressions(run, feats)
    stats = lambda x, ref: {"std_ratio": round(float(np.nanstd(x) / np.nanstd(ref)), 3),  # noqa: E731
                            "corr": round(float(np.corrcoef(x[np.isfinite(x)], ref[np.isfinite(x)])[0, 1]), 3)}
    out: dict = {"tracker": tracker}
    tracks: dict[str, np.ndarray] = {"truth": truth}
    own = np.arange(part.start, part.stop)
    pose = [f32(x[own])[None] for x in (clip.rotation, clip.translation, clip.scale)]
    for name, exp, smooth in (("mesh_tracked", f32(clip.expression[part]), False), ("mesh_predicted", pred, False),
                              ("mesh_smoothed", pred, True)):
        with torch.no_grad():
            out[name] = stats(mouth_opening(run.model.meshes(exp[None], ident, *pose, smooth=smooth)[0].numpy()), truth)
    truth_video = mouth_opening(track_frames(np.asarray(clip.frames[own]), tracker=tracker))
    ok = np.isfinite(truth_video)
    out["truth_video_gain"] = round(float(np.polyfit(truth[ok], truth_video[ok], 1)[0]), 3)
    for name, order in (("renderer_own_background", own), ("renderer_reversed_background", own[::-1])):
        pose = [f32(x[order])[None] for x in (clip.rotation, clip.translation, clip.scale)]
        with torch.no_grad():
            mesh = mouth_opening(run.model.meshes(pred[None], ident, *pose)[0].numpy())
        frames = render_frames(run, pred, np.asarray(clip.frames[order]), clip.shape, clip.rotation[order],
                               clip.translation[order], clip.scale[order], feats)
        gen = mouth_opening(track_frames(frames, tracker=tracker))
        bg, ok = truth_all[order], np.isfinite(gen)
        tag = name.removeprefix("renderer_")
        tracks.update({"mesh": mesh, f"generated_{tag}": gen, f"background_{tag}": bg})
        a, b, _ = np.linalg.lstsq(np.c_[mesh[ok], bg[ok], np.ones(ok.sum())], gen[ok], rcond=None)[0]
        out[name] = {"mesh_gain": round(float(a), 3), "background_gain": round(float(b), 3),
                     "corr_mesh": round(float(np.corrcoef(gen[ok], mesh[ok])[0, 1]), 3),
                     "corr_background": round(float(np.corrcoef(gen[ok], bg[ok])[0, 1]), 3),
                     **{f"truth_{k}": v for k, v in stats(gen, truth).items()}}
    return out, tracks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--reuse", action="store_true", help="score existing DIR/gen.mp4 and DIR/truth.mp4")
    p.add_argument("--tracker", help="msi tracker backend (default: msi's default); the MSI and opening numbers "
                   "depend on it, so compare runs scored with the same one")
    p.add_argument("--chain", action="store_true", help="also report where the mouth loses motion, stage by "
                   "stage, and how much the renderer copies the background's mouth (renders the split twice)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    from generator.synthesize import synthesize

    t0 = time.time()
    report: dict = {"run_dir": str(args.run_dir), "data_dir": str(args.data_dir), "split": args.split}
    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    report["reconstruction_error"] = manifest.get("reconstruction_error", {}).get(args.split)
    report["weights"] = weight_report(args.run_dir, args.data_dir, args.split)
    gen, truth = args.out / "gen.mp4", args.out / "truth.mp4"
    if not (args.reuse and gen.is_file() and truth.is_file()):
        synthesize(args.run_dir, gen, background=args.data_dir, reenact=args.split, truth_out=truth, progress=False)
    report["videos"] = video_report(gen, truth, args.tracker)
    if args.chain:
        report["chain"], tracks = motion_chain(args.run_dir, args.data_dir, args.split, args.tracker)
        np.savez(args.out / "chain_tracks.npz", **tracks)  # per-frame openings, for plots
    report["seconds"] = round(time.time() - t0, 1)
    name = "stability.json" if args.tracker is None else f"stability_{args.tracker}.json"
    (args.out / name).write_text(json.dumps(report, indent=2))
    w, v = report["weights"], report["videos"]
    print(f"tracker: {v['tracker']}\n\n| video | MSI-Lip | MSI-Jaw | mouth-opening std (mouth widths) |\n|---|---|---|---|")
    for name in ("generated", "truth"):
        print(f"| {name} | {v[name]['msi_lip']:.3f} | {v[name]['msi_jaw']:.3f} | {v[name]['opening_std']:.4f} |")
    print(f"\nopening std ratio (generated / truth) {v['opening_std_ratio']:.2f}, "
          f"correlation {v['opening_correlation']:.2f}")
    for name in ("predicted", "tracked"):
        if name in w:
            s = w[name]
            print(f"adaptive weights on {name} expressions: centre {s['centre_mean']:.3f} +- {s['centre_spread']:.3f} "
                  f"(per-tap spread {s['weight_spread']:.3f}), r(centre, speed) = {s['corr_centre_speed']:.2f}")
    if "chain" in report:
        c = report["chain"]
        print("\n| stage | opening std ratio | r with truth |\n|---|---|---|")
        for k in ("mesh_tracked", "mesh_predicted", "mesh_smoothed"):
            print(f"| {k} | {c[k]['std_ratio']:.3f} | {c[k]['corr']:.3f} |")
        for k in ("renderer_own_background", "renderer_reversed_background"):
            r = c[k]
            print(f"| {k} | {r['truth_std_ratio']:.3f} | {r['truth_corr']:.3f} |")
        for k in ("renderer_own_background", "renderer_reversed_background"):
            r = c[k]
            print(f"{k}: generated = {r['mesh_gain']:.2f} mesh + {r['background_gain']:.2f} background "
                  f"(r with mesh {r['corr_mesh']:.2f}, with background {r['corr_background']:.2f}); "
                  f"tracker gain on the truth {c['truth_video_gain']:.2f}")
    print(json.dumps({"seconds": report["seconds"]}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
