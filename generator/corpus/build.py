"""A synthetic talking-head corpus: a real face photo speaking espeak-ng sentences.

No public talking-face dataset can be downloaded here, so we animate one real photo (default
scikit-image's ``astronaut``): espeak-ng (:mod:`generator.corpus.espeak`) speaks varied English
sentences (:mod:`generator.corpus.sentences`) and reports its phoneme timings; the phonemes become
mouth opening / width / rounding tracks with coarticulation (:mod:`generator.corpus.visemes`); slow head
motion and blinks are added; and the photo is warped along its MediaPipe face mesh
(:mod:`generator.corpus.warp`).

``jitter`` adds i.i.d. Gaussian per-frame translations of the lip region with standard deviation
``jitter`` in MSI units (pixels of a face scaled so the mouth is 64 px wide, the Motion Stability
Index normalisation of Ling et al., arXiv:2208.13717, Sec. III-D). Such jitter adds, per lip
landmark and axis, ``6 jitter^2`` to the variance of the frame-to-frame acceleration
``a_t = p_{t+1} - 2 p_t + p_{t-1}`` (three independent terms with weights 1, -2, 1), so MSI must fall
as ``jitter`` rises. Speech, head motion, blinks and jitter use separate random streams: clips of
the same seed differ only by the jitter.

Per clip three files: ``NAME.mp4`` (H.264 video, AAC speech, 25 fps), ``NAME.wav`` (16 kHz mono,
the same speech) and ``NAME.npz`` (ground truth, see :func:`build_clip`).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from generator.errors import GeneratorError

FORMAT = "stableface-synth/1"
MSI_MOUTH_WIDTH = 64.0  # the MSI normalisation: mouth width 0.25 * 256 px


@dataclass(frozen=True)
class ClipPaths:
    video: Path
    truth: Path
    wav: Path


@dataclass(frozen=True)
class CorpusConfig:
    """Voice, pacing, framing and motion of the synthetic clips."""

    sample_rate: int = 16000
    voice: str = "en-us+f3"
    words_per_minute: tuple[int, int] = (150, 185)
    pitch: tuple[int, int] = (42, 62)
    pause: tuple[float, float] = (0.2, 0.5)  # silence between sentences, seconds
    lead_in: float = 0.25  # silence before the first sentence, seconds
    crop_scale: float = 2.0  # crop side / face-mesh height
    head_angles_deg: tuple[float, float, float] = (4.0, 3.0, 2.0)  # max yaw, pitch, roll
    head_shift: float = 0.012  # max translation, fraction of the frame side
    head_band_hz: tuple[float, float] = (0.08, 0.45)  # head motion is slow: frequencies in this band
    blink_interval: float = 4.0  # mean seconds between blinks (Poisson); people blink ~15 times a minute
    blink_close_open: tuple[float, float] = (0.035, 0.06)  # Gaussian widths (s) of lid closing / opening
    default_size: int = 256


# --------------------------------------------------------------------------- face photo

_face_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _read_face(face) -> tuple[np.ndarray, str]:
    if face is None:
        from skimage.data import astronaut

        return astronaut(), "skimage:astronaut"
    if isinstance(face, np.ndarray):
        img = face
        key = "array:" + hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest()[:16]
    else:
        import cv2

        path = Path(face)
        if not path.is_file():
            raise GeneratorError(f"{path}: no such image")
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise GeneratorError(f"{path}: not a readable image")
        img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        key = f"file:{path.resolve()}"
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8)), key


def face_crop(face=None, size: int = 256, crop_scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """The photo's fixed square face crop resized to ``size`` and its 478 landmarks there.

    Landmarks come from MediaPipe on the full-resolution photo (static image mode) and are mapped
    into the crop (z scaled like x, y). Cached per (photo, size).
    """
    img, key = _read_face(face)
    ck = (key, size, crop_scale)
    if ck in _face_cache:
        crop, lm = _face_cache[ck]
        return crop.copy(), lm.copy()
    import cv2
    from msi.tracking import FaceMeshTracker

    with FaceMeshTracker(static_image_mode=True) as tracker:
        lm = tracker.process(img)
    if not np.isfinite(lm).all():
        raise GeneratorError(f"no face found in the photo ({key.split(':', 1)[-1]})")
    x0, x1 = lm[:, 0].min(), lm[:, 0].max()
    y0, y1 = lm[:, 1].min(), lm[:, 1].max()
    side = int(round(crop_scale * max(y1 - y0, x1 - x0)))
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    pad = side  # reflect-pad so a crop reaching past the photo's edge stays filled
    padded = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    crop = padded[top + pad : top + pad + side, left + pad : left + pad + side]
    crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    k = size / side
    out = lm.copy()
    out[:, 0] = (lm[:, 0] - left) * k
    out[:, 1] = (lm[:, 1] - top) * k
    out[:, 2] = lm[:, 2] * k
    _face_cache[ck] = (crop, out)
    return crop.copy(), out.copy()


# --------------------------------------------------------------------------- speech


@dataclass
class SpeechTrack:
    wave: np.ndarray  # float32 at sample_rate
    sample_rate: int
    phonemes: list[str]
    starts: np.ndarray
    ends: np.ndarray
    texts: list[str]
    text_starts: np.ndarray  # start time of each sentence


def speech_track(rng: np.random.Generator, seconds: float, cfg: CorpusConfig,
                 texts: list[str] | None = None) -> SpeechTrack:
    """Sentences spoken one after another with pauses until ``seconds`` are filled, cut there."""
    from scipy.signal import resample_poly

    from generator.corpus import espeak
    from generator.corpus.sentences import sentences as draw

    sr22 = espeak.engine().sample_rate
    waves = [np.zeros(int(round(cfg.lead_in * sr22)), np.float32)]
    names, starts, ends, spoken, t_starts = [], [np.zeros(0)], [np.zeros(0)], [], []
    t = cfg.lead_in
    i = 0
    while t < seconds:
        text = texts[i % len(texts)] if texts else draw(1, rng)[0]
        i += 1
        sp = espeak.synthesize(text, voice=cfg.voice, rate=int(rng.integers(*cfg.words_per_minute)),
                               pitch=int(rng.integers(*cfg.pitch)))
        names += sp.phonemes
        starts.append(sp.starts + t)
        ends.append(sp.ends + t)
        spoken.append(text)
        t_starts.append(t)
        pause = float(rng.uniform(*cfg.pause))
        waves.append(sp.wave)
        waves.append(np.zeros(int(round(pause * sr22)), np.float32))
        t += sp.duration + pause
        if i > 10000:  # pragma: no cover - guards a pathological empty synthesis loop
            raise GeneratorError("espeak-ng produced no audio")
    wave22 = np.concatenate(waves)
    g = np.gcd(cfg.sample_rate, sr22)
    wave = resample_poly(wave22, cfg.sample_rate // g, sr22 // g).astype(np.float32)
    n = int(round(seconds * cfg.sample_rate))
    wave = np.pad(wave, (0, max(0, n - len(wave))))[:n]
    fade = min(n, int(0.02 * cfg.sample_rate))  # no click where a sentence is cut
    wave[n - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
    s, e = np.concatenate(starts), np.concatenate(ends)
    keep = s < seconds
    return SpeechTrack(wave=np.clip(wave, -1, 1), sample_rate=cfg.sample_rate,
                       phonemes=[p for p, k in zip(names, keep) if k], starts=s[keep],
                       ends=np.minimum(e[keep], seconds), texts=spoken, text_starts=np.array(t_starts))


# --------------------------------------------------------------------------- head motion


def head_motion(rng: np.random.Generator, n_frames: int, fps: float, size: int, cfg: CorpusConfig) -> np.ndarray:
    """(T, 5) yaw, pitch, roll (radians), tx, ty (pixels): sums of three slow sinusoids each."""
    t = np.arange(n_frames) / fps
    amps = np.radians(cfg.head_angles_deg).tolist() + [cfg.head_shift * size] * 2
    out = np.zeros((n_frames, 5))
    for k, amp in enumerate(amps):
        f = rng.uniform(*cfg.head_band_hz, size=3)
        ph = rng.uniform(0, 2 * np.pi, size=3)
        w = rng.dirichlet(np.ones(3))
        out[:, k] = amp * (w[None, :] * np.sin(2 * np.pi * f[None, :] * t[:, None] + ph[None, :])).sum(1)
    return out


def blinks(rng: np.random.Generator, n_frames: int, fps: float, cfg: CorpusConfig) -> np.ndarray:
    """(T,) eyelid closure in [0, 1]: Poisson blink times, each a fast closing and slower opening,
    averaged over each frame's exposure like the mouth tracks."""
    duration = n_frames / fps
    times, t = [], float(rng.exponential(cfg.blink_interval))
    while t < duration + 0.5:
        times.append(t)
        t += 0.3 + float(rng.exponential(cfg.blink_interval))  # no second blink within 0.3 s
    ts = np.arange(-0.5 / fps, (n_frames - 0.5) / fps, 1e-3)
    closure = np.zeros_like(ts)
    close_w, open_w = cfg.blink_close_open
    for t0 in times:
        d = ts - t0
        closure = np.maximum(closure, np.exp(-0.5 * (d / np.where(d < 0, close_w, open_w)) ** 2))
    frame = np.minimum(((ts + 0.5 / fps) * fps).astype(int), n_frames - 1)
    return np.bincount(frame, weights=closure, minlength=n_frames) / np.bincount(frame, minlength=n_frames)


# --------------------------------------------------------------------------- output


def write_wav(path: Path, wave: np.ndarray, sr: int) -> None:
    from scipy.io import wavfile

    wavfile.write(str(path), sr, np.round(np.clip(wave, -1, 1) * 32767).astype(np.int16))


def write_mp4(path: Path, frames, wave: np.ndarray, sr: int, fps: int) -> None:
    """H.264 (yuv420p, crf 18, one x264 thread: the same bytes every run) with AAC mono speech."""
    from msi.video import write_video

    write_video(path, frames, fps=fps, crf=18, audio=wave, sample_rate=sr, threads=1)


# --------------------------------------------------------------------------- one clip


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
    from generator.corpus.visemes import mouth_tracks
    from generator.corpus.warp import FaceRig, MouthPainter, PiecewiseAffineWarp, triangulate

    size = int(size or config.default_size)
    if size < 32 or size % 2:
        raise GeneratorError(f"--size must be an even number of pixels >= 32 (got {size})")
    if not seconds > 0:
        raise GeneratorError(f"clip length must be positive (got {seconds} s)")
    if jitter < 0:
        raise GeneratorError(f"--jitter must be >= 0 (got {jitter})")
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
    px_per_unit = rig.mouth_width / MSI_MOUTH_WIDTH
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
    write_mp4(tmp[0], frames(), speech.wave, speech.sample_rate, fps)
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


# --------------------------------------------------------------------------- contact sheet

SHEET_CATEGORIES = (
    ("rest", None),
    ("open", lambda m: m[:, 0]),
    ("p b m", lambda m: -m[:, 0]),
    ("rounded", lambda m: m[:, 2]),
    ("spread", lambda m: m[:, 1] - m[:, 2]),
    ("open", lambda m: m[:, 0]),
)
_BILABIAL = ("p", "b", "m")


def pick_frames(truth: dict, n_min_gap: int = 3) -> list[tuple[int, str]]:
    """Frames that show the articulations: rest, open vowel, lips closed on p/b/m, rounded, spread."""
    mouth = np.asarray(truth["mouth"])
    t = np.arange(len(mouth)) / float(truth["fps"])
    idx = np.searchsorted(truth["phoneme_start"], t, side="right") - 1
    ph = np.where(idx >= 0, np.asarray(truth["phonemes"])[np.clip(idx, 0, None)], "_")
    chosen: list[tuple[int, str]] = []
    for name, score in SHEET_CATEGORIES:
        if score is None:
            chosen.append((0, name))
            continue
        val = score(mouth).astype(float)
        if name == "p b m":
            val[~np.isin(ph, _BILABIAL)] = -np.inf
        for k, _ in chosen:
            val[max(0, k - n_min_gap) : k + n_min_gap + 1] = -np.inf
        if np.isfinite(val).any():
            chosen.append((int(np.argmax(val)), name))
    return [(k, f"{name}: /{ph[k]}/") for k, name in chosen]


def contact_sheet(video: Path, truth: Path, out_png: Path, tile: int = 192) -> Path:
    """A PNG of a few frames (top row) and their mouths (bottom row), labelled with the phoneme."""
    import cv2

    from msi.video import read_frames

    frames = read_frames(video)
    d = dict(np.load(truth))
    picks = pick_frames(d)
    lm = d["landmarks"]
    mw = float(np.linalg.norm(d["face_landmarks"][61, :2] - d["face_landmarks"][291, :2]))
    top, bottom = [], []
    for k, label in picks:
        im = cv2.resize(frames[k], (tile, tile), interpolation=cv2.INTER_AREA)
        c = lm[k, [61, 291], :2].mean(0)
        half = int(round(0.9 * mw))
        y0, x0 = int(round(c[1] - 0.8 * half)), int(round(c[0] - half))
        crop = frames[k][max(0, y0) : y0 + int(1.6 * half), max(0, x0) : x0 + 2 * half]
        mouth = cv2.resize(crop, (tile, int(tile * 0.8)), interpolation=cv2.INTER_CUBIC)
        for img in (im,):
            cv2.rectangle(img, (0, 0), (tile, 20), (0, 0, 0), -1)
            cv2.putText(img, f"{k / float(d['fps']):.2f}s {label}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        (255, 255, 255), 1, cv2.LINE_AA)
        top.append(im)
        bottom.append(mouth)
    sheet = np.concatenate([np.concatenate(top, 1), np.concatenate(bottom, 1)], 0)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_png), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return out_png


# --------------------------------------------------------------------------- MSI validation


def excess_acceleration_variance(landmarks: np.ndarray, clean: np.ndarray) -> float:
    """Mean over lip landmarks and x, y of var(acceleration) minus the clean clip's, in MSI units
    (coordinates scaled so the clean clip's mouth is 64 px wide). Expected: 6 sigma^2."""
    from msi.metric import accelerations
    from msi.regions import get_scheme

    sch = get_scheme("mediapipe478")
    i, j = sch.mouth_corners
    w = float(np.nanmean(np.linalg.norm(clean[:5, i, :2] - clean[:5, j, :2], axis=-1)))
    lip = list(sch.lip)

    def var(a):
        return float(np.nanmean(np.nanvar(accelerations(a[:, lip, :2] * MSI_MOUTH_WIDTH / w), axis=0)))

    return var(landmarks) - var(clean)


def msi_sweep(out_dir, sigmas, seeds, seconds: float = 12.0, size: int = 256, fps: int = 25, face=None,
              progress: bool = False) -> list[dict]:
    """Builds one clip per (seed, sigma) and measures MSI on the ground-truth landmarks and on
    MediaPipe tracking of the written mp4 (``msi.score``), plus the excess lip acceleration variance
    (expected ``6 sigma^2``). Returns one record per clip."""
    from tqdm import tqdm

    from msi.metric import msi_from_landmarks
    from msi.score import Settings, get_landmarks, score_landmarks

    sigmas = sorted(set(float(x) for x in sigmas) | {0.0})
    rows, clean = [], {}
    jobs = [(seed, sigma) for seed in seeds for sigma in sigmas]
    for seed, sigma in tqdm(jobs, desc="msi-sweep", unit="clip", file=sys.stderr, disable=not progress):
        paths = build_clip(out_dir, seconds=seconds, seed=seed, jitter=sigma, fps=fps, size=size, face=face,
                           name=f"sweep_s{seed}_j{sigma:g}")
        truth = np.load(paths.truth)["landmarks"].astype(np.float64)
        tracked = get_landmarks(paths.video, Settings(), cache=False)
        scored = score_landmarks(tracked.landmarks, tracked.fps, Settings(), path=str(paths.video))
        gt = msi_from_landmarks(truth)
        if sigma == 0.0:
            clean[seed] = (truth, tracked.landmarks)
        rows.append({
            "seed": seed, "sigma": sigma, "expected_excess": 6 * sigma**2,
            "excess_truth": excess_acceleration_variance(truth, clean[seed][0]),
            "excess_tracked": excess_acceleration_variance(tracked.landmarks, clean[seed][1]),
            "msi_lip_truth": gt.msi_lip, "msi_jaw_truth": gt.msi_jaw,
            "msi_lip_tracked": scored.msi_lip, "msi_jaw_tracked": scored.msi_jaw,
            "face_coverage": scored.face_coverage, "video": paths.video.name,
        })
    return rows


def plot_sweep(rows: list[dict], path: Path) -> Path:
    """MSI-Lip against sigma (mean and range over seeds) and the excess variance against 6 sigma^2."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.DataFrame(rows)
    g = df.groupby("sigma")
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    for col, label, colour in (("msi_lip_truth", "ground-truth landmarks", "#1f77b4"),
                               ("msi_lip_tracked", "MediaPipe on the mp4", "#d62728")):
        m = g[col].mean()
        ax[0].plot(m.index, m.values, "o-", color=colour, label=label)
        ax[0].fill_between(m.index, g[col].min().values, g[col].max().values, color=colour, alpha=0.15)
    ax[0].set(xlabel="jitter sigma (px at 64 px mouth width)", ylabel="MSI-Lip", title="MSI falls as jitter rises")
    ax[0].legend(frameon=False)
    s = np.linspace(0, df["sigma"].max(), 50)
    ax[1].plot(s, 6 * s**2, "k--", label="expected 6 sigma^2")
    for col, label, colour in (("excess_truth", "ground truth", "#1f77b4"), ("excess_tracked", "tracked", "#d62728")):
        ax[1].plot(df["sigma"], df[col], "o", color=colour, alpha=0.7, label=label)
    ax[1].set(xlabel="jitter sigma", ylabel="added var(lip acceleration)", title="Acceleration variance added")
    ax[1].legend(frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- CLI


def _check_resumable(truth: Path, **expected) -> None:
    """A finished clip is reused only if it was built with the same settings."""
    with np.load(truth) as d:
        found = {k: float(d[f"{k}_sigma" if k == "jitter" else k]) for k in expected}
    bad = [f"{k} {found[k]:g} (now {v:g})" for k, v in expected.items() if not np.isclose(found[k], v)]
    if bad:
        raise GeneratorError(f"{truth.parent} holds clips built with other settings ({', '.join(bad)}): "
                             "use another --out")


def _run_sweep(args: argparse.Namespace) -> int:
    import pandas as pd

    try:
        sigmas = [float(x) for x in args.msi_sweep.split(",") if x.strip()]
    except ValueError:
        raise GeneratorError(f"--msi-sweep wants comma-separated numbers, got {args.msi_sweep!r}") from None
    if any(x < 0 for x in sigmas) or args.sweep_seeds < 1:
        raise GeneratorError("--msi-sweep levels must be >= 0 and --sweep-seeds >= 1")
    seeds = [args.seed + i for i in range(args.sweep_seeds)]
    rows = msi_sweep(args.out, sigmas, seeds, seconds=args.clip_seconds, size=args.size, fps=args.fps,
                     face=args.face, progress=not args.no_progress)
    pd.DataFrame(rows).to_csv(args.out / "msi_sweep.csv", index=False)
    if args.sweep_plot:
        plot_sweep(rows, args.sweep_plot)
    for r in rows:
        print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()}))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Build a synthetic talking-head corpus: a face photo (default: scikit-image's astronaut) speaks "
        "random English sentences with espeak-ng; the mouth follows espeak-ng's phoneme timings and the "
        "head moves slowly. Writes per clip NAME.mp4 (H.264 + AAC), NAME.wav (16 kHz) and NAME.npz (ground "
        "truth), and corpus.json listing them. Rerunning skips finished clips."
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--minutes", type=float, default=3.0, help="total length of the corpus (default 3)")
    parser.add_argument("--clip-seconds", type=float, default=20.0, help="length of each clip (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; clip i uses seed + i (default 0)")
    parser.add_argument("--face", type=Path, default=None, help="face photo (default: scikit-image astronaut)")
    parser.add_argument("--jitter", type=float, default=0.0, metavar="SIGMA",
                        help="std of per-frame lip jitter in MSI units (px at a 64 px mouth width; default 0)")
    parser.add_argument("--size", type=int, default=256, help="frame side in pixels, even (default 256)")
    parser.add_argument("--fps", type=int, default=25, help="frame rate (default 25)")
    parser.add_argument("--contact-sheet", type=Path, default=None, metavar="PNG",
                        help="also write a contact sheet of the first clip (frames and mouths per viseme)")
    parser.add_argument("--msi-sweep", default=None, metavar="SIGMAS",
                        help="instead of a corpus: validate MSI on clips of --clip-seconds at these jitter levels "
                             "(comma-separated, 0 added) for --sweep-seeds seeds; writes OUT/msi_sweep.csv and "
                             "prints one JSON record per clip")
    parser.add_argument("--sweep-seeds", type=int, default=3, help="seeds of the MSI sweep (default 3)")
    parser.add_argument("--sweep-plot", type=Path, default=None, metavar="PNG", help="figure of the MSI sweep")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if not args.minutes > 0 or not args.clip_seconds > 0:
        raise GeneratorError("--minutes and --clip-seconds must be positive")
    if args.fps <= 0:
        raise GeneratorError(f"--fps must be positive (got {args.fps})")
    from generator.corpus import espeak

    espeak.engine()  # fail early, with the install command, when espeak-ng is missing
    if args.msi_sweep is not None:
        return _run_sweep(args)
    total = args.minutes * 60.0
    n = int(np.ceil(total / args.clip_seconds - 1e-9))
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise GeneratorError(f"{out}: exists and is not a directory")
    clips = []
    for i in tqdm(range(n), desc="synth-corpus", unit="clip", file=sys.stderr, disable=args.no_progress):
        seconds = min(args.clip_seconds, total - i * args.clip_seconds)
        name = f"clip_{i:04d}"
        paths = ClipPaths(out / f"{name}.mp4", out / f"{name}.npz", out / f"{name}.wav")
        if all(p.exists() for p in (paths.video, paths.truth, paths.wav)):
            _check_resumable(paths.truth, seed=args.seed + i, jitter=args.jitter, size=args.size, fps=args.fps)
        else:
            paths = build_clip(out, seconds=seconds, seed=args.seed + i, face=args.face, jitter=args.jitter,
                               fps=args.fps, size=args.size, name=name)
        clips.append({"name": name, "seconds": round(seconds, 3), "seed": args.seed + i, "video": paths.video.name,
                      "truth": paths.truth.name, "wav": paths.wav.name})
    index = {"format": FORMAT, "face": str(args.face) if args.face else "skimage:astronaut", "jitter": args.jitter,
             "fps": args.fps, "size": args.size, "sample_rate": CorpusConfig.sample_rate, "seed": args.seed,
             "config": asdict(CorpusConfig()), "clips": clips}
    (out / "corpus.json").write_text(json.dumps(index, indent=1))
    if args.contact_sheet:
        contact_sheet(out / clips[0]["video"], out / clips[0]["truth"], args.contact_sheet)
    print(json.dumps({"corpus": str(out / "corpus.json"), "clips": len(clips), "seconds": round(total, 3)}))
    return 0
