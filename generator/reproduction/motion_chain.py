"""Where motion and jitter enter and leave the generator: the mouth along the motion chain.

The chain follows the mouth from the truth through the generator to the written video; each of
its links is a set of landmarks. For one trained run and a split of its prepared clip, the split's
speech is generated twice: over the split's own frames (re-enactment) and over the same frames in
reverse order (dubbing: new speech over a background whose mouth has nothing to do with it). At
every link the landmarks are scored like a video (MSI-Lip / MSI-Jaw, ``msi.score.score_landmarks``) and the
mouth opening (``msi.metrics.mouth_motion.mouth_opening``, median mouth widths) is compared:

=================  ====================================================================
link               landmarks
=================  ====================================================================
``truth``          the clip's prepared landmarks (tracked at full resolution)
``mesh_tracked``   the 3D face rebuilt from the tracked expressions (a check: ~ truth)
``mesh_predicted`` the 3D face from audio2expression's predictions, background pose
``mesh_smoothed``  the same after the smoothing module (what the renderer is given)
``rendered``       the renderer's frames, tracked before encoding
``encoded``        the written video (H.264, upscaled as ``synthesize`` writes it, with the
                   invisible marks of ``generator.reproduction.marks.MARKS``, without its visible label), tracked
``truth_encoded``  the truth frames written and tracked the same way (the tracker's ceiling)
=================  ====================================================================

The split may be scored as several consecutive clips (``segments``), one row per clip.

Columns: ``motion_ratio`` = std(opening) / std(truth opening); ``r_truth`` = Pearson r with
the truth opening (in dubbing the truth is the speech's own mouth); for ``rendered`` and
``encoded`` the renderer's fidelity to the mesh it was given, ``amp_mesh`` = std / std(mesh) and
``r_mesh``, and the least-squares gains ``opening = a mesh + b background + c``: ``a`` what it
draws from the face shape, ``b`` what it copies from the frame it paints over; ``lip_audio_r``:
the weight-free lip-audio proxy (``msi.metrics.lipsync``) against the split's speech.
Reference for MSI: Ling et al., "StableFace", arXiv:2208.13717, Sec. III-D.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from generator.reproduction.marks import DEFAULT_MARK, MARK_NAMES, MARKS
from msi.stats import pearson, std_ratio

LINKS = ("truth", "mesh_tracked", "mesh_predicted", "mesh_smoothed", "rendered", "encoded", "truth_encoded")
BACKGROUNDS = {"own": "re-enactment (own frames)", "reversed": "dubbing (frames reversed in time)"}


def _opening(landmarks: np.ndarray) -> np.ndarray:
    """The mouth opening (msi.metrics.mouth_motion), NaN where there is no face, all NaN when there is none at all
    (a run trained for a few steps may draw no face yet)."""
    from msi.errors import MSIError
    from msi.metrics.mouth_motion import mouth_opening

    try:
        return mouth_opening(landmarks)
    except MSIError:
        return np.full(len(landmarks), np.nan)


def _gains(gen: np.ndarray, mesh: np.ndarray, background: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(gen) & np.isfinite(mesh) & np.isfinite(background)
    if ok.sum() < 4:
        return float("nan"), float("nan")
    a, b, _ = np.linalg.lstsq(np.c_[mesh[ok], background[ok], np.ones(ok.sum())], gen[ok], rcond=None)[0]
    return float(a), float(b)


def segment_bounds(n: int, segments: int) -> list[tuple[int, int]]:
    """[start, stop) of ``segments`` consecutive, nearly equal parts of n frames (the scored clips)."""
    edges = np.linspace(0, n, segments + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def write_generated(frames, path: Path, fps: float, side: int, wave: np.ndarray | None = None,
                    sample_rate: int = 16000, run_id: str | None = None, marks: tuple[str, ...] = ()) -> None:
    """Frames (T, S, S, 3) uint8 upscaled to ``side`` and written to ``path`` (with the speech
    ``wave``) as ``synthesize`` writes a video. ``run_id`` (8 hex digits) is written into the
    speech when ``marks`` holds "audio" (``generator.marking.audio_mark``) and into the frames when
    it holds "frame" (``generator.marking.watermark``), as ``synthesize`` writes them (the visible
    label, which would cover part of the frame, is left off); no marks: written unmarked."""
    from generator.errors import GeneratorError
    from generator.synthesize import ENCODE_CRF, upscale
    from msi.io.video import write_video

    if set(marks) - set(MARK_NAMES) or (marks and run_id is None) or ("audio" in marks and wave is None):
        raise GeneratorError(f"{path}: marks {', '.join(marks)} need a run id (and the audio mark a speech track); "
                             f"known marks: {', '.join(MARK_NAMES)}")
    out = upscale(np.asarray(frames), side)
    if "frame" in marks:
        from generator.marking.watermark import embed

        out = embed(out, run_id)
    if "audio" in marks:
        from generator.marking.audio_mark import embed as mark_speech

        wave = mark_speech(wave, run_id, sample_rate)
    write_video(path, out, fps=fps, crf=ENCODE_CRF, audio=wave, sample_rate=sample_rate)


def write_and_track(frames, path: Path, fps: float, side: int, settings, wave: np.ndarray | None = None,
                    sample_rate: int = 16000, cache: bool = False, keep: bool = False,
                    run_id: str | None = None, marks: tuple[str, ...] = ()) -> np.ndarray:
    """:func:`write_generated`, then the video tracked with msi ``settings``: landmarks (T, 478, 3),
    NaN rows when no face is found (a run trained for a few steps may draw none). ``keep``: an
    existing ``path`` is tracked, not rewritten."""
    from msi.errors import MSIError
    from msi.acquire import get_landmarks

    frames = np.asarray(frames)
    if not (keep and path.is_file()):
        write_generated(frames, path, fps, side, wave, sample_rate, run_id, marks)
    try:
        return get_landmarks(path, settings, cache=cache).landmarks
    except MSIError:
        return np.full((len(frames), 478, 3), np.nan, np.float32)


def chain_landmarks(run_dir: str | Path, data_dir: str | Path, split: str, work: str | Path,
                    tracker: str | None = None, backgrounds: tuple[str, ...] = ("own", "reversed"),
                    segments: int = 1, truth_dir: str | Path | None = None, cache: bool = False,
                    mark: str = DEFAULT_MARK, unmarked_copies: bool = False) -> dict:
    """Landmarks (T, 478, 3) of every link, per background order, plus what the table needs.

    The split is scored as ``segments`` consecutive clips. Writes the encoded link as
    ``work/<background>_<k>.mp4`` (with the clip's speech; carrying the run's id in the marks that
    the :data:`MARKS` setting ``mark`` names) and the truth written the same way, never marked, as
    ``truth_dir/truth_<k>.mp4`` (default ``work``; kept if it exists: every run of one data set
    shares it). ``unmarked_copies`` (when ``mark`` names any mark): the same generated frames and
    speech also written without a mark, as ``work/<background>_<k>_unmarked.mp4`` (not tracked
    here), to measure what the mark changes. ``cache``: track the written videos through msi's landmark cache (a later
    ``msi.comparison.video_columns.video_metrics`` of the same file then does not track it again). Returns {"fps",
    "wave", "sample_rate", "bounds", "videos", "unmarked_videos", "truth_videos", "backgrounds": {name:
    {"order", "links": {link: landmarks}}}}."""
    import torch

    from generator.data import audio as A
    from generator.data.dataset import load_clip
    from generator.models.pipeline import Identity
    from generator.inference import load_run, predict_expressions
    from generator.synthesize import output_side, render_frames
    from msi.metrics.mouth_motion import mouth_opening
    from msi.settings import Settings
    from msi.tracking.trackers import DEFAULT_TRACKER, track_frames

    tracker = tracker or DEFAULT_TRACKER
    work = Path(work)
    truth_dir = Path(truth_dir) if truth_dir is not None else work
    work.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    run, clip = load_run(run_dir), load_clip(data_dir)
    part = clip.split(split)
    fps, sr = clip.fps, int(clip.manifest["settings"].get("sample_rate", 16000))
    wave = A.load_audio(clip.audio_path, sr)[int(round(part.start / fps * sr)):int(round(part.stop / fps * sr))]
    bounds = segment_bounds(part.stop - part.start, segments)
    side = output_side(run.model.size, None)
    settings = Settings(tracker=tracker)
    f32 = lambda a: torch.as_tensor(np.array(a, np.float32))  # noqa: E731
    ident = Identity(f32(clip.shape), run.ident.components, run.ident.exp_std)
    feats = np.asarray(clip.audio_features[part])
    pred = predict_expressions(run, feats)
    tracked_exp = f32(clip.expression[part])
    own = np.arange(part.start, part.stop)

    from msi.provenance.watermark import checkpoint_sha256, run_id_of

    marks = MARKS[mark]
    run_id = run_id_of(checkpoint_sha256(Path(run_dir) / "checkpoint.pt")) if marks else None

    def encoded(frames, stem: Path, keep: bool = False, marks: tuple[str, ...] = ()) -> tuple[np.ndarray, list[Path]]:
        """Each clip written (its own speech) and tracked, the landmarks joined back."""
        paths, parts = [], []
        for k, (a, b) in enumerate(bounds):
            path = stem.parent / f"{stem.name}_{k}.mp4"
            wa, wb = int(round(a / fps * sr)), int(round(b / fps * sr))
            parts.append(write_and_track(frames[a:b], path, fps, side, settings, wave[wa:wb], sr, cache=cache, keep=keep,
                                         run_id=run_id, marks=marks))
            paths.append(path)
        return np.concatenate(parts), paths

    def unmarked(frames, stem: Path) -> list[Path]:
        """Each clip written as :func:`encoded` writes it, without a mark, and not tracked."""
        paths = []
        for k, (a, b) in enumerate(bounds):
            path = stem.parent / f"{stem.name}_{k}_unmarked.mp4"
            wa, wb = int(round(a / fps * sr)), int(round(b / fps * sr))
            write_generated(frames[a:b], path, fps, side, wave[wa:wb], sr)
            paths.append(path)
        return paths

    truth_encoded, truth_videos = encoded(np.asarray(clip.frames[part]), truth_dir / "truth", keep=True)
    out: dict = {"fps": fps, "wave": wave, "sample_rate": sr, "tracker": tracker, "side": side, "bounds": bounds,
                 "truth_landmarks": np.asarray(clip.landmarks[part], np.float32), "truth_videos": truth_videos,
                 "truth_opening_all": mouth_opening(np.asarray(clip.landmarks)), "backgrounds": {}, "videos": {},
                 "unmarked_videos": {}}
    for name in backgrounds:
        order = {"own": own, "reversed": own[::-1]}[name]
        pose = [f32(x[order])[None] for x in (clip.rotation, clip.translation, clip.scale)]
        with torch.no_grad():
            meshes = {"mesh_tracked": run.model.meshes(tracked_exp[None], ident, *pose, smooth=False)[0],
                      "mesh_predicted": run.model.meshes(pred[None], ident, *pose, smooth=False)[0],
                      "mesh_smoothed": run.model.meshes(pred[None], ident, *pose, smooth=True)[0]}
        frames = render_frames(run, pred, np.asarray(clip.frames[order]), clip.shape, clip.rotation[order],
                               clip.translation[order], clip.scale[order], feats,
                               background_masks=clip.mouth_masks[part])
        enc, out["videos"][name] = encoded(frames, work / name, marks=marks)  # generated: marked (unless "none")
        if unmarked_copies and marks:
            out["unmarked_videos"][name] = unmarked(frames, work / name)
        links = {"truth": out["truth_landmarks"], **{k: v.numpy() for k, v in meshes.items()},
                  "rendered": track_frames(frames, tracker=tracker), "encoded": enc, "truth_encoded": truth_encoded}
        out["backgrounds"][name] = {"order": order, "links": links}
    return out


def chain_table(tracks: dict) -> pd.DataFrame:
    """One tidy row per (background, link) from :func:`chain_landmarks` (see the module docstring)."""
    from msi.errors import MSIError
    from msi.metrics.lipsync import lip_audio_from_arrays
    from msi.score import score_landmarks

    fps, wave, sr = tracks["fps"], tracks["wave"], tracks["sample_rate"]
    bounds = tracks.get("bounds") or [(0, len(tracks["truth_landmarks"]))]
    rows = []
    for bg, item in tracks["backgrounds"].items():
        background_all = tracks["truth_opening_all"][item["order"]]
        for k, (a, b) in enumerate(bounds):
            wa, wb = int(round(a / fps * sr)), int(round(b / fps * sr))
            truth = _opening(tracks["truth_landmarks"][a:b])
            mesh = _opening(item["links"]["mesh_smoothed"][a:b])
            background = background_all[a:b]
            for link in LINKS:
                lm = item["links"][link][a:b]
                opening = _opening(lm)
                try:
                    res = score_landmarks(lm, fps)
                    msi = res.msi_lip, res.msi_jaw
                    proxy = lip_audio_from_arrays(lm, fps, wave[wa:wb], sr).r
                except MSIError:  # no face at this link (too little training): NaN, not an error
                    msi, proxy = (float("nan"), float("nan")), float("nan")
                row = {"background": bg, "clip": k, "link": link, "msi_lip": msi[0], "msi_jaw": msi[1],
                       "mouth_motion": float(np.nanstd(opening)) if np.isfinite(opening).any() else float("nan"),
                       "motion_ratio": std_ratio(opening, truth), "r_truth": pearson(opening, truth),
                       "lip_audio_r": proxy}
                if link in ("rendered", "encoded"):
                    ga, gb = _gains(opening, mesh, background)
                    row.update(amp_mesh=std_ratio(opening, mesh), r_mesh=pearson(opening, mesh),
                               mesh_gain=ga, background_gain=gb)
                rows.append(row)
    return pd.DataFrame(rows)


def chain_markdown(table: pd.DataFrame) -> str:
    """The chain table as markdown, one block per background (clips averaged)."""
    table = table.drop(columns="clip", errors="ignore")
    table = table.groupby(["background", "link"], sort=False).mean(numeric_only=True).reset_index()
    cols = ["msi_lip", "msi_jaw", "mouth_motion", "motion_ratio", "r_truth", "amp_mesh", "r_mesh",
            "mesh_gain", "background_gain", "lip_audio_r"]
    head = ["link", "MSI-Lip", "MSI-Jaw", "motion", "ratio", "r truth", "amp/mesh", "r mesh", "a", "b", "proxy"]
    out = []
    for bg, part in table.groupby("background", sort=False):
        out.append(f"**{BACKGROUNDS.get(bg, bg)}**\n")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for _, r in part.iterrows():
            cells = [r["link"]] + ["—" if pd.isna(r.get(c)) else f"{r[c]:.3f}" for c in cols]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


#: Targets for the generator's mouth, read from a chain table: (label, background, how, low, high).
#: ``how`` names what is computed from the (background, link) rows: see :func:`targets`.
TARGETS = (
    ("renderer amplitude (video / mesh)", "own", "amp_mesh", 0.9, None),
    ("renderer r (video, mesh)", "own", "r_mesh", 0.9, None),
    ("renderer amplitude (video / mesh), dubbing", "reversed", "amp_mesh", 0.9, None),
    ("renderer r (video, mesh), dubbing", "reversed", "r_mesh", 0.9, None),
    ("motion ratio (video / truth video)", "own", "video_ratio", 0.9, 1.15),
    ("motion ratio (video / truth video), dubbing", "reversed", "video_ratio", 0.9, 1.15),
    ("opening r with the truth", "own", "r_truth", 0.7, None),
    ("opening r with the speech's mouth, dubbing", "reversed", "r_truth", 0.6, None),
    ("background gain b, dubbing", "reversed", "background_gain", None, 0.1),
    ("lip-audio proxy / the truth video's", "own", "proxy_ratio", 0.8, None),
    ("audio2expression r (predicted meshes, truth)", "own", "a2e_r", None, None),
)


def targets(table: pd.DataFrame) -> dict[str, float]:
    """The values of :data:`TARGETS` for one run's chain table (clips averaged): the renderer's
    fidelity and gains on the encoded video, the motion ratio and proxy against the truth video
    written and tracked the same way."""
    t = table.drop(columns="clip", errors="ignore").groupby(["background", "link"]).mean(numeric_only=True)
    out = {}
    for label, bg, how, _, _ in TARGETS:
        enc, truth_video = t.loc[(bg, "encoded")], t.loc[(bg, "truth_encoded")]
        value = {"video_ratio": enc["mouth_motion"] / truth_video["mouth_motion"],
                 "proxy_ratio": enc["lip_audio_r"] / truth_video["lip_audio_r"],
                 "a2e_r": t.loc[(bg, "mesh_predicted"), "r_truth"]}.get(how)
        out[label] = float(enc[how] if value is None else value)
    return out


def targets_markdown(tables: list[pd.DataFrame]) -> str:
    """Mean [95% CI] over runs (seeds) of each target, and whether the mean meets it."""
    from msi.stats import mean_ci

    per_run = [targets(t) for t in tables]
    lines = ["| measure | target | mean [95% CI] | per run | met |", "|---|---|---|---|---|"]
    for label, _, _, lo, hi in TARGETS:
        vals = [r[label] for r in per_run]
        m, a, b, n = mean_ci(vals)
        goal = ("—" if lo is None and hi is None else f"≥ {lo:g}" if hi is None else f"≤ {hi:g}" if lo is None
                else f"{lo:g}–{hi:g}")
        ci = f" [{a:.3f}, {b:.3f}]" if np.isfinite(a) else ""
        met = "—" if goal == "—" else ("yes" if (lo is None or m >= lo) and (hi is None or m <= hi) else "**no**")
        lines.append(f"| {label} | {goal} | {m:.3f}{ci} | {', '.join(f'{v:.3f}' for v in vals)} | {met} |")
    return "\n".join(lines)
