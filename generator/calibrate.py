"""The expression gain measured on videos (``TrainConfig.a2e_gain = "video"``).

The validation split's speech is generated over its own frames with the gain g, written as
``synthesize`` writes a video (upscaled to ``OUT_SIDE``, H.264 at ``ENCODE_CRF``, with the speech)
and tracked by msi; the truth's frames of the split are written and tracked the same way. g is
moved (``generator.models.calibration.next_gain``) until the two mouth-opening spreads agree:

    std_t open(video(g)) = std_t open(truth video)

It starts from the mesh gain (``"mesh"``), so it adds what the renderer and the encoder take off
the mouth. Only the validation split is read; the test split stays held out.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np


def write_and_track(frames, path: Path, fps: float, side: int, settings, wave: np.ndarray | None = None,
                    sample_rate: int = 16000, cache: bool = False, keep: bool = False) -> np.ndarray:
    """Frames (T, S, S, 3) uint8 upscaled to ``side``, written to ``path`` (with the speech ``wave``)
    and tracked with msi ``settings``: landmarks (T, 478, 3), NaN rows when no face is found (a run
    trained for a few steps may draw none). ``keep``: an existing ``path`` is tracked, not rewritten."""
    from generator.synthesize import ENCODE_CRF, upscale
    from msi.errors import MSIError
    from msi.acquire import get_landmarks
    from msi.io.video import write_video

    frames = np.asarray(frames)
    if not (keep and path.is_file()):
        write_video(path, upscale(frames, side), fps=fps, crf=ENCODE_CRF, audio=wave, sample_rate=sample_rate)
    try:
        return get_landmarks(path, settings, cache=cache).landmarks
    except MSIError:
        return np.full((len(frames), 478, 3), np.nan, np.float32)


def video_gain(run, data_dir: str | Path, start: float, centre, measurements: int = 3,
               tracker: str | None = None, target_scale: float = 1.0, log=None) -> dict:
    """Fit the gain on the validation split's videos (see the module docstring). ``run`` is a
    ``generator.synthesize.Run`` (its ``calibration`` is replaced); ``start`` and ``centre`` come
    from the mesh gain; the truth video's spread is multiplied by ``target_scale`` (the tracked
    opening's spread over ``TrainConfig.a2e_gain_reference``'s frames over the validation split's).
    Returns {"gain", "centre", "video": [(gain, ratio), ...] measured}."""
    from generator.data import audio as A
    from generator.data.dataset import load_clip
    from generator.models.calibration import next_gain
    from generator.synthesize import output_side, predict_expressions, render_frames
    from msi.errors import MSIError
    from msi.metrics.mouth_motion import mouth_opening, opening_std
    from msi.settings import Settings
    from msi.tracking.trackers import DEFAULT_TRACKER

    clip = load_clip(data_dir)
    part = clip.split("val")
    fps, sr = clip.fps, int(clip.manifest["settings"].get("sample_rate", 16000))
    wave = A.load_audio(clip.audio_path, sr)[int(round(part.start / fps * sr)):int(round(part.stop / fps * sr))]
    feats = np.asarray(clip.audio_features[part])
    side = output_side(run.model.size, None)
    settings = Settings(tracker=tracker or DEFAULT_TRACKER)
    pose = [np.asarray(x[part]) for x in (clip.rotation, clip.translation, clip.scale)]
    history: list[tuple[float, float]] = []
    g = start

    def spread(landmarks: np.ndarray) -> float:
        try:
            return opening_std(mouth_opening(landmarks))
        except MSIError:  # no face in the video (a run trained for a few steps)
            return float("nan")

    with tempfile.TemporaryDirectory() as tmp:
        video = lambda frames, name: write_and_track(frames, Path(tmp) / name, fps, side, settings, wave, sr)  # noqa: E731
        want = spread(video(clip.frames[part], "truth.mp4")) * target_scale
        for k in range(measurements):
            run.calibration = {"gain": g, "centre": centre}
            frames = render_frames(run, predict_expressions(run, feats), np.asarray(clip.frames[part]), clip.shape,
                                   *pose, feats, background_masks=clip.mouth_masks[part])
            got = spread(video(frames, f"gain_{k}.mp4"))
            if not (np.isfinite(got) and np.isfinite(want) and got > 0):
                break
            history.append((g, got / want))
            if log:
                log(f"gain {g:.3f}: the video's mouth opens {got / want:.3f} of the truth video's")
            if k + 1 < measurements:
                g = next_gain(history)
    best = min(history, key=lambda h: abs(np.log(h[1]))) if history else (start, float("nan"))
    return {"gain": float(best[0]), "centre": centre, "video": [(float(a), float(b)) for a, b in history]}
