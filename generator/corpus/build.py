"""A synthetic talking-head corpus: a real face photo speaking espeak-ng sentences.

No public talking-face dataset can be downloaded here, so we animate one real photo (default
scikit-image's ``astronaut``): espeak-ng (:mod:`generator.corpus.espeak`) speaks varied English
sentences (:mod:`generator.corpus.sentences`) and reports its phoneme timings; the phonemes become
mouth opening / width / rounding tracks with coarticulation (:mod:`generator.corpus.visemes`); slow head
motion and blinks are added (:mod:`generator.corpus.head_motion`); and the photo
(:mod:`generator.corpus.photo`) is warped along its MediaPipe face mesh (:mod:`generator.corpus.warp`).

``jitter`` adds i.i.d. Gaussian per-frame translations of the lip region with standard deviation
``jitter`` in MSI units (pixels of a face scaled so the mouth is 64 px wide, the Motion Stability
Index normalisation of Ling et al., arXiv:2208.13717, Sec. III-D). Such jitter adds, per lip
landmark and axis, ``6 jitter^2`` to the variance of the frame-to-frame acceleration
``a_t = p_{t+1} - 2 p_t + p_{t-1}`` (three independent terms with weights 1, -2, 1), so MSI must fall
as ``jitter`` rises. Speech, head motion, blinks and jitter use separate random streams: clips of
the same seed differ only by the jitter.

Per clip three files: ``NAME.mp4`` (H.264 video, AAC speech, 25 fps), ``NAME.wav`` (16 kHz mono,
the same speech) and ``NAME.npz`` (ground truth, see :func:`build_clip`); :func:`build_corpus` writes
many clips and ``corpus.json`` listing them.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from generator.corpus.config import CorpusConfig
from generator.corpus.head_motion import blinks, head_motion
from generator.corpus.photo import face_crop
from generator.corpus.speech import speech_track
from generator.corpus.visemes import mouth_tracks
from generator.corpus.warp import FaceRig, MouthPainter, PiecewiseAffineWarp, triangulate
from generator.data.audio import write_wav
from generator.errors import GeneratorError
from msi.constants import TARGET_MOUTH_WIDTH
from msi.io.video import write_video

FORMAT = "stableface-synth/1"


@dataclass(frozen=True)
class ClipPaths:
    video: Path
    truth: Path
    wav: Path


def build_clip(out_dir: str | os.PathLike, seconds: float = 4.0, seed: int = 0,
               face: str | os.PathLike | np.ndarray | None = None, jitter: float = 0.0, fps: int = 25,
               size: int | None = None, sentences: list[str] | None = None, name: str | None = None,
               config: CorpusConfig = CorpusConfig()) -> ClipPaths:
    """Build one clip of ``seconds`` at ``fps`` and ``size`` x ``size`` pixels (default 256) into
    ``out_dir``; ``face`` is an image path or RGB array (default: the astronaut), ``sentences``
    are spoken in order (default: random ones), ``name`` defaults to ``clip_s{seed}_j{jitter}``.

    Ground truth ``NAME.npz`` (arrays only; bit-identical for the same arguments):
    ``mouth`` (T, 3) opening, width, rounding before jitter; ``jitter`` (T, 2) lip-region
    translation in pixels; ``jitter_sigma`` (MSI units) and ``jitter_px_per_unit``; ``pose``
    (T, 5) yaw, pitch, roll (rad), tx, ty (px); ``blink`` (T,) eyelid closure; ``landmarks``
    (T, 478, 3) the deformed mesh used for the warp (frame pixels); ``face_landmarks`` (478, 3) of
    the photo in the crop; ``phonemes``, ``phoneme_start``, ``phoneme_end`` (s); ``sentences``,
    ``sentence_start``; ``fps``, ``sample_rate``, ``seed``, ``size``, ``format``.
    """
    size = int(size or config.default_size)
    if size < 32 or size % 2:
        raise GeneratorError(f"size={size} is not an even number of pixels >= 32")
    if not seconds > 0:
        raise GeneratorError(f"clip length must be positive (got {seconds} s)")
    if jitter < 0:
        raise GeneratorError(f"jitter={jitter:g} is negative: the jitter must be >= 0")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"clip_s{seed}_j{jitter:g}"
    paths = ClipPaths(video=out_dir / f"{name}.mp4", truth=out_dir / f"{name}.npz", wav=out_dir / f"{name}.wav")

    n_frames = int(round(seconds * fps))
    if n_frames < 1:
        raise GeneratorError(f"a clip of {seconds} s has no frame at {fps} fps")
    seconds = n_frames / fps  # audio and video end together
    # Independent streams: the same seed gives the same speech and head motion at any jitter.
    rng_speech, rng_head, rng_jitter, rng_blink = (np.random.default_rng([seed, k]) for k in range(4))

    image, face_lm = face_crop(face, size, config.crop_scale)
    speech = speech_track(rng_speech, seconds, config, sentences)
    mouth = mouth_tracks(speech.phonemes, speech.starts, speech.ends, n_frames, fps)
    pose = head_motion(rng_head, n_frames, fps, size, config)
    blink = blinks(rng_blink, n_frames, fps, config)
    rig = FaceRig(face_lm, (size, size))
    px_per_unit = rig.mouth_width / TARGET_MOUTH_WIDTH
    jit = rng_jitter.normal(0.0, 1.0, size=(n_frames, 2)) * jitter * px_per_unit
    warp = PiecewiseAffineWarp(rig.source_points(), triangulate(rig.reference_points()), (size, size))
    paint = MouthPainter(image, face_lm, rig.mouth_width)

    meshes = np.empty((n_frames, len(face_lm), 3))
    for k in range(n_frames):
        meshes[k] = rig.mesh(*mouth[k], jitter_xy=jit[k], pose=pose[k], blink=blink[k])

    def frames():
        for k in range(n_frames):
            img = warp(image, rig.points(meshes[k], pose[k]))
            yield paint(img, meshes[k])

    tmp = [p.with_name(p.stem + ".part" + p.suffix) for p in (paths.video, paths.truth, paths.wav)]
    # H.264 (yuv420p, crf 18, one x264 thread: the same bytes every run) with AAC mono speech.
    write_video(tmp[0], frames(), fps=fps, crf=18, audio=speech.wave, sample_rate=speech.sample_rate, threads=1)
    np.savez_compressed(
        tmp[1], format=np.array(FORMAT),
        mouth=mouth.astype(np.float32), mouth_params=np.array(["opening", "width", "rounding"]),
        jitter=jit.astype(np.float32), jitter_sigma=np.float64(jitter), jitter_px_per_unit=np.float64(px_per_unit),
        pose=pose.astype(np.float32), pose_params=np.array(["yaw", "pitch", "roll", "tx", "ty"]),
        blink=blink.astype(np.float32),
        landmarks=meshes.astype(np.float32), face_landmarks=face_lm.astype(np.float32),
        phonemes=np.array(speech.phonemes, dtype="U8"), phoneme_start=speech.starts, phoneme_end=speech.ends,
        sentences=np.array(speech.texts), sentence_start=speech.text_starts,
        fps=np.int64(fps), sample_rate=np.int64(speech.sample_rate), seed=np.int64(seed), size=np.int64(size),
    )
    write_wav(tmp[2], speech.wave, speech.sample_rate)
    for t, p in zip(tmp, (paths.video, paths.truth, paths.wav)):
        os.replace(t, p)  # complete files only: an interrupted run leaves no half clip behind
    return paths


def check_resumable(truth: Path, **expected) -> None:
    """A finished clip is reused only if it was built with the same settings."""
    with np.load(truth) as d:
        found = {k: float(d[f"{k}_sigma" if k == "jitter" else k]) for k in expected}
    bad = [f"{k} {found[k]:g} (now {v:g})" for k, v in expected.items() if not np.isclose(found[k], v)]
    if bad:
        raise GeneratorError(f"{truth.parent} holds clips built with other settings ({', '.join(bad)}): "
                             "write to another out=DIR")


def build_corpus(out: str | os.PathLike, minutes: float = 3.0, clip_seconds: float = 20.0, seed: int = 0,
                 face: str | os.PathLike | None = None, jitter: float = 0.0, size: int = 256, fps: int = 25,
                 progress: bool = False) -> dict:
    """``minutes`` of clips of ``clip_seconds`` (the last one shorter) named ``clip_NNNN`` into ``out``,
    clip i with seed ``seed + i``, and ``corpus.json`` listing them; returns that index.

    Finished clips are kept (so an interrupted run resumes) if they were built with the same
    settings; otherwise :class:`GeneratorError`."""
    from tqdm import tqdm

    if not minutes > 0 or not clip_seconds > 0:
        raise GeneratorError(f"corpus and clip lengths must be positive (got {minutes} min, {clip_seconds} s)")
    if fps <= 0:
        raise GeneratorError(f"fps={fps} is not positive")
    total = minutes * 60.0
    n = int(np.ceil(total / clip_seconds - 1e-9))
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise GeneratorError(f"{out}: exists and is not a directory")
    clips = []
    for i in tqdm(range(n), desc="synth-corpus", unit="clip", file=sys.stderr, disable=not progress):
        seconds = min(clip_seconds, total - i * clip_seconds)
        name = f"clip_{i:04d}"
        paths = ClipPaths(out / f"{name}.mp4", out / f"{name}.npz", out / f"{name}.wav")
        if all(p.exists() for p in (paths.video, paths.truth, paths.wav)):
            check_resumable(paths.truth, seed=seed + i, jitter=jitter, size=size, fps=fps)
        else:
            paths = build_clip(out, seconds=seconds, seed=seed + i, face=face, jitter=jitter, fps=fps, size=size,
                               name=name)
        clips.append({"name": name, "seconds": round(seconds, 3), "seed": seed + i, "video": paths.video.name,
                      "truth": paths.truth.name, "wav": paths.wav.name})
    index = {"format": FORMAT, "face": str(face) if face else "skimage:astronaut", "jitter": jitter,
             "fps": fps, "size": size, "sample_rate": CorpusConfig.sample_rate, "seed": seed,
             "config": asdict(CorpusConfig()), "clips": clips}
    (out / "corpus.json").write_text(json.dumps(index, indent=1))
    return index
