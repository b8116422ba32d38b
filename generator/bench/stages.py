"""Where motion and jitter enter and leave the generator: the mouth, stage by stage.

For one trained run and a split of its prepared clip, the split's speech is generated twice:
over the split's own frames (re-enactment) and over the same frames in reverse order (dubbing:
new speech over a background whose mouth has nothing to do with it). At every stage the
landmarks are scored like a video (MSI-Lip / MSI-Jaw, ``msi.score.score_landmarks``) and the
mouth opening (``msi.motion.mouth_opening``, median mouth widths) is compared:

=================  ====================================================================
stage              landmarks
=================  ====================================================================
``truth``          the clip's prepared landmarks (tracked at full resolution)
``mesh_tracked``   the 3D face rebuilt from the tracked expressions (a check: ~ truth)
``mesh_predicted`` the 3D face from audio2expression's predictions, background pose
``mesh_smoothed``  the same after the smoothing module (what the renderer is given)
``rendered``       the renderer's frames, tracked before encoding
``encoded``        the written video (H.264, upscaled as ``synthesize`` writes it), tracked
``truth_encoded``  the truth frames written and tracked the same way (the tracker's ceiling)
=================  ====================================================================

Columns: ``motion_ratio`` = std(opening) / std(truth opening); ``r_truth`` = Pearson r with
the truth opening (in dubbing the truth is the speech's own mouth); for ``rendered`` and
``encoded`` the renderer's fidelity to the mesh it was given, ``amp_mesh`` = std / std(mesh) and
``r_mesh``, and the least-squares gains ``opening = a mesh + b background + c``: ``a`` what it
draws from the face shape, ``b`` what it copies from the frame it paints over; ``lip_audio_r``:
the weight-free lip-audio proxy (``msi.lipsync``) against the split's speech.
Reference for MSI: Ling et al., "StableFace", arXiv:2208.13717, Sec. III-D.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

STAGES = ("truth", "mesh_tracked", "mesh_predicted", "mesh_smoothed", "rendered", "encoded", "truth_encoded")
BACKGROUNDS = {"own": "re-enactment (own frames)", "reversed": "dubbing (frames reversed in time)"}


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _std_ratio(x: np.ndarray, ref: np.ndarray) -> float:
    return float(np.nanstd(x) / np.nanstd(ref)) if np.nanstd(ref) > 0 else float("nan")


def _gains(gen: np.ndarray, mesh: np.ndarray, background: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(gen) & np.isfinite(mesh) & np.isfinite(background)
    if ok.sum() < 4:
        return float("nan"), float("nan")
    a, b, _ = np.linalg.lstsq(np.c_[mesh[ok], background[ok], np.ones(ok.sum())], gen[ok], rcond=None)[0]
    return float(a), float(b)


def stage_landmarks(run_dir: str | Path, data_dir: str | Path, split: str, work: str | Path,
                    tracker: str | None = None) -> dict:
    """Landmarks (T, 478, 3) of every stage, per background order, plus what the table needs.

    Writes ``work/<background>.mp4`` (the encoded stage, with the split's speech) and
    ``work/truth_encoded.mp4``. Returns {"fps", "wave", "sample_rate", "truth_opening",
    "backgrounds": {name: {"order", "stages": {stage: landmarks}}}}."""
    import torch

    from generator.data import audio as A
    from generator.data.dataset import load_clip
    from generator.models.pipeline import Identity
    from generator.synthesize import load_run, output_side, predict_expressions, render_frames, upscale
    from msi.motion import mouth_opening
    from msi.score import Settings, get_landmarks
    from msi.tracking import DEFAULT_TRACKER, track_frames
    from msi.video import write_video

    tracker = tracker or DEFAULT_TRACKER
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    run, clip = load_run(run_dir), load_clip(data_dir)
    part = clip.split(split)
    fps, sr = clip.fps, int(clip.manifest["settings"].get("sample_rate", 16000))
    wave = A.load_audio(clip.audio_path, sr)[int(round(part.start / fps * sr)):int(round(part.stop / fps * sr))]
    side = output_side(run.model.size, None)
    settings = Settings(tracker=tracker)
    f32 = lambda a: torch.as_tensor(np.array(a, np.float32))  # noqa: E731
    ident = Identity(f32(clip.shape), run.ident.components, run.ident.exp_std)
    feats = np.asarray(clip.audio_features[part])
    pred = predict_expressions(run, feats)
    tracked_exp = f32(clip.expression[part])
    own = np.arange(part.start, part.stop)

    def encoded(frames, name: str) -> np.ndarray:
        path = work / f"{name}.mp4"
        write_video(path, upscale(frames, side), fps=fps, crf=18, audio=wave, sample_rate=sr)
        return get_landmarks(path, settings, cache=False).landmarks

    out: dict = {"fps": fps, "wave": wave, "sample_rate": sr, "tracker": tracker, "side": side,
                 "truth_landmarks": np.asarray(clip.landmarks[part], np.float32),
                 "truth_opening_all": mouth_opening(np.asarray(clip.landmarks)), "backgrounds": {}}
    truth_encoded = encoded(np.asarray(clip.frames[part]), "truth_encoded")
    for name, order in (("own", own), ("reversed", own[::-1])):
        pose = [f32(x[order])[None] for x in (clip.rotation, clip.translation, clip.scale)]
        with torch.no_grad():
            meshes = {"mesh_tracked": run.model.meshes(tracked_exp[None], ident, *pose, smooth=False)[0],
                      "mesh_predicted": run.model.meshes(pred[None], ident, *pose, smooth=False)[0],
                      "mesh_smoothed": run.model.meshes(pred[None], ident, *pose, smooth=True)[0]}
        frames = render_frames(run, pred, np.asarray(clip.frames[order]), clip.shape, clip.rotation[order],
                               clip.translation[order], clip.scale[order], feats,
                               background_masks=clip.mouth_masks[part])
        stages = {"truth": out["truth_landmarks"], **{k: v.numpy() for k, v in meshes.items()},
                  "rendered": track_frames(frames, tracker=tracker), "encoded": encoded(frames, name),
                  "truth_encoded": truth_encoded}
        out["backgrounds"][name] = {"order": order, "stages": stages}
    return out


def stage_table(tracks: dict) -> pd.DataFrame:
    """One tidy row per (background, stage) from :func:`stage_landmarks` (see the module docstring)."""
    from msi.lipsync import lip_audio_from_arrays
    from msi.motion import mouth_opening
    from msi.score import score_landmarks

    fps, wave, sr = tracks["fps"], tracks["wave"], tracks["sample_rate"]
    truth = mouth_opening(tracks["truth_landmarks"])
    rows = []
    for bg, item in tracks["backgrounds"].items():
        background = tracks["truth_opening_all"][item["order"]]
        mesh = mouth_opening(item["stages"]["mesh_smoothed"])
        for stage in STAGES:
            lm = item["stages"][stage]
            opening = mouth_opening(lm)
            res = score_landmarks(lm, fps)
            row = {"background": bg, "stage": stage, "msi_lip": res.msi_lip, "msi_jaw": res.msi_jaw,
                   "mouth_motion": float(np.nanstd(opening)), "motion_ratio": _std_ratio(opening, truth),
                   "r_truth": _pearson(opening, truth),
                   "lip_audio_r": lip_audio_from_arrays(lm, fps, wave, sr).r}
            if stage in ("rendered", "encoded"):
                a, b = _gains(opening, mesh, background)
                row.update(amp_mesh=_std_ratio(opening, mesh), r_mesh=_pearson(opening, mesh),
                           mesh_gain=a, background_gain=b)
            rows.append(row)
    return pd.DataFrame(rows)


def stage_markdown(table: pd.DataFrame) -> str:
    """The stage table as markdown, one block per background."""
    cols = ["msi_lip", "msi_jaw", "mouth_motion", "motion_ratio", "r_truth", "amp_mesh", "r_mesh",
            "mesh_gain", "background_gain", "lip_audio_r"]
    head = ["stage", "MSI-Lip", "MSI-Jaw", "motion", "ratio", "r truth", "amp/mesh", "r mesh", "a", "b", "proxy"]
    out = []
    for bg, part in table.groupby("background", sort=False):
        out.append(f"**{BACKGROUNDS.get(bg, bg)}**\n")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for _, r in part.iterrows():
            cells = [r["stage"]] + ["—" if pd.isna(r.get(c)) else f"{r[c]:.3f}" for c in cols]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)
