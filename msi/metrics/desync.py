r"""``desync``: audio-visual desynchronisation in seconds, from Synchformer (Iashin et al., ICASSP
2024) and the user's ``24-01-04T16-39-21`` checkpoint (:mod:`msi.networks.synchformer`), as
av-benchmark's ``DeSync`` (MMAudio's tables) and FastVideo's ``audio.desync``
(``fastvideo/eval/metrics/audio/desync/metric.py``) compute it.

The reference's input, step by step:

* video: resampled to 25 fps by nearest frame (frame ⌊k · fps / 25⌋ for k < round(duration · 25),
  at least 16), frames in [0, 1] resized with their short side to 224 px (bicubic, antialiased),
  centre-cropped to 224 x 224, normalised to [-1, 1]; segments of 16 frames every 8;
* audio: mono, resampled to 16 kHz (windowed-sinc, Hann, 6 zero crossings, roll-off 0.99, as
  torchaudio's ``Resample``); segments of 10240 samples every 5120 (the last zero-padded); each
  a power mel spectrogram (FFT 1024, window 400, hop 160, 128 HTK mel bands, 0–8 kHz, centred
  with reflection), log(x + 1e-6), padded to 66 frames with the smallest value of the whole clip,
  then (x + 4.2677393) / (2 · 4.5689974);
* the offset classifier reads 14 segments of each: the first 14 and the last 14; with g the 21
  offsets -2.0, -1.8, ..., 2.0 s and :math:`\hat k` each window's most likely offset,

.. math:: \text{DeSync} = \tfrac12\left(|g_{\hat k_\text{first}}| + |g_{\hat k_\text{last}}|\right)

Lower is better, 0 in sync. The reference needs 14 segments (about 4.8 s) and documents 3–10 s
clips; a clip outside 3–10 s, or with fewer than 14 segments, gets an empty cell and a warning.
Deviation: the audio is decoded by FFmpeg onto the first video frame's clock and mixed to mono
before it is rounded to 16 bits (the reference writes each channel to a WAV file and averages).
"""
from __future__ import annotations

import math

import numpy as np

from msi.metrics.column import Column, Metric

FPS = 25.0
SIZE = 224
SEG_FRAMES, SEG_STEP = 16, 8
SAMPLE_RATE = 16000
SEG_SAMPLES, SEG_HOP = 10240, 5120
N_FFT, WIN, HOP, MELS, MEL_FRAMES = 1024, 400, 160, 128, 66
MEL_MEAN, MEL_STD = -4.2677393, 4.5689974
#: Segments of each window the offset classifier reads (its position table's size).
WINDOW = 14
GRID = (-2.0, 2.0, 21)
#: The clip lengths the reference is documented for, in seconds.
MIN_S, MAX_S = 3.0, 10.0
#: Segments per forward pass (``--batch-size`` overrides).
BATCH = 4


def resample_indices(n: int, fps: float) -> np.ndarray:
    """The reference's nearest-frame resampling of ``n`` frames at ``fps`` to 25 fps."""
    if abs(fps - FPS) < 1e-6:
        return np.arange(n)
    count = max(SEG_FRAMES, round(n / fps * FPS))
    return np.clip((np.arange(count) * (fps / FPS)).astype(np.int64), 0, n - 1)


def video_segments(frames: list[np.ndarray], fps: float):
    """(S, 16, 3, 224, 224) normalised segments of RGB ``uint8`` frames."""
    import torch
    from torch.nn import functional as F

    picked = resample_indices(len(frames), fps)
    h, w = frames[0].shape[:2]
    scale = SIZE / min(h, w)
    nh, nw = round(h * scale), round(w * scale)
    top, left = (nh - SIZE) // 2, (nw - SIZE) // 2
    out = {}
    for k in np.unique(picked):  # each source frame once (the resampling repeats frames)
        x = torch.from_numpy(np.array(frames[k])).permute(2, 0, 1)[None].float() / 255.0  # a copy: decoded frames are read-only
        x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True)
        out[int(k)] = (x[0, :, top:top + SIZE, left:left + SIZE] - 0.5) / 0.5
    video = torch.stack([out[int(k)] for k in picked])
    n = (len(video) - SEG_FRAMES) // SEG_STEP + 1
    return torch.stack([video[i * SEG_STEP:i * SEG_STEP + SEG_FRAMES] for i in range(max(n, 0))]) if n > 0 else None


def resample(wave, orig: int, new: int = SAMPLE_RATE, zeros: int = 6, rolloff: float = 0.99):
    """``wave`` (1-D float32 tensor) from ``orig`` to ``new`` Hz by windowed sinc (Hann window,
    ``zeros`` zero crossings each side, cut-off ``rolloff`` of the lower Nyquist), as torchaudio's
    ``Resample`` with its defaults."""
    import torch
    from torch.nn import functional as F

    if orig == new:
        return wave
    g = math.gcd(orig, new)
    o, n = orig // g, new // g
    cut = min(o, n) * rolloff
    width = math.ceil(zeros * o / cut)
    # output phases in float32, input taps in float64 (so torchaudio builds it, to the bit)
    t = (torch.arange(0, -n, -1, dtype=torch.float32)[:, None, None] / n
         + torch.arange(-width, width + o, dtype=torch.float64)[None, None] / o) * cut
    t = t.clamp(-zeros, zeros)
    window = torch.cos(t * math.pi / zeros / 2) ** 2
    t = t * math.pi
    sinc = torch.where(t == 0, torch.tensor(1.0, dtype=t.dtype), t.sin() / t)
    kernel = (sinc * (window * (cut / o))).to(torch.float32)
    x = F.pad(wave[None, None], (width, width + o))
    y = F.conv1d(x, kernel, stride=o).transpose(1, 2).reshape(-1)
    return y[:int(torch.ceil(torch.as_tensor(n * len(wave) / o)))]  # the length rounded in float32, as torchaudio


def mel_filters():
    """(513, 128) triangular HTK mel filters over 0–8 kHz (no normalisation)."""
    import torch

    def mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    pts = torch.linspace(mel(0.0), mel(SAMPLE_RATE / 2), MELS + 2)
    hz = 700.0 * (10 ** (pts / 2595.0) - 1.0)
    freqs = torch.linspace(0, SAMPLE_RATE // 2, N_FFT // 2 + 1)
    slopes = hz[None] - freqs[:, None]
    gaps = hz[1:] - hz[:-1]
    return torch.clamp(torch.minimum(-slopes[:, :-2] / gaps[:-1], slopes[:, 2:] / gaps[1:]), min=0)


def audio_segments(wave):
    """(S, 128, 66) normalised log-mel segments of 16 kHz mono ``wave`` (1-D float32 tensor)."""
    import torch
    from torch.nn import functional as F

    n = max(1, (len(wave) - SEG_SAMPLES) // SEG_HOP + 1)
    segs = torch.stack([F.pad(s, (0, SEG_SAMPLES - len(s))) for s in
                        (wave[i * SEG_HOP:i * SEG_HOP + SEG_SAMPLES] for i in range(n))])
    spec = torch.stft(segs, N_FFT, HOP, WIN, torch.hann_window(WIN), center=True, pad_mode="reflect",
                      return_complex=True).abs() ** 2
    x = torch.log((spec.transpose(1, 2) @ mel_filters()).transpose(1, 2) + 1e-6)
    if x.shape[-1] < MEL_FRAMES:
        x = F.pad(x, (0, MEL_FRAMES - x.shape[-1]), value=x.min().item())
    return (x[..., :MEL_FRAMES] - MEL_MEAN) / (2 * MEL_STD)


def offset_grid() -> np.ndarray:
    """The 21 offsets in seconds, as the reference's class grid: float64 steps stored as float32
    (float32 steps differ in the last bit, and so would the DeSync values)."""
    return np.linspace(*GRID).astype(np.float32)


def features(fn, items, batch: int, device):
    """``fn`` over ``items`` (a tensor) in batches of ``batch``, on ``device``, kept there."""
    import torch

    with torch.inference_mode():
        return torch.cat([fn(items[i:i + batch].to(device)) for i in range(0, len(items), batch)])


def desync(net, frames: list[np.ndarray], fps: float, wave: np.ndarray, sample_rate: int,
           batch: int = BATCH) -> tuple[float, float, float] | str:
    """(DeSync, first window's |offset|, last window's |offset|) in seconds of RGB ``uint8``
    ``frames`` at ``fps`` and mono float ``wave`` in [-1, 1] at ``sample_rate``; or why not (a str)."""
    import torch

    vsegs = video_segments(frames, fps)
    asegs = audio_segments(resample(torch.from_numpy(np.asarray(wave, np.float32)), int(sample_rate)))
    nv = 0 if vsegs is None else len(vsegs)
    if min(nv, len(asegs)) < WINDOW:
        return f"{nv} video and {len(asegs)} audio segments, Synchformer reads {WINDOW} (clips of about 4.8 s or more)"
    from msi.networks.device import device_of

    dev = device_of(net)
    v = features(net.video_features, vsegs, batch, dev)[None]
    a = features(net.audio_features, asegs, batch, dev)[None]
    grid = offset_grid()
    with torch.inference_mode():
        ends = [net.offset_logits(v[:, :WINDOW], a[:, :WINDOW]), net.offset_logits(v[:, -WINDOW:], a[:, -WINDOW:])]
    first, last = (abs(float(grid[int(e.argmax(-1).cpu())])) for e in ends)
    return (first + last) / 2.0, first, last


def _column(ctx) -> dict[str, float]:
    from msi.io.audio import read_audio
    from msi.metrics.networks import batch_size, network

    frames = list(ctx.frames())
    fps = ctx.frame_rate
    seconds = len(frames) / fps if fps > 0 else 0.0
    if not MIN_S <= seconds <= MAX_S:
        ctx.note(f"DeSync: {seconds:.2f} s clip, Synchformer is for {MIN_S:g}–{MAX_S:g} s clips")
        return {}
    audio = read_audio(ctx.path, sample_rate=ctx.audio.source_rate)  # the reference resamples it itself
    out = desync(network("synchformer", ctx.weights["synchformer"]), frames, fps,
                 audio.samples.astype(np.float32) / 32768.0, audio.sample_rate, batch_size(BATCH))
    if isinstance(out, str):
        ctx.note(f"DeSync: {out}")
        return {}
    return {"desync": out[0]}


METRIC = Metric((Column("desync", "DeSync", -1, ("audio", "synchformer"), "{:.2f}", unit="s",
                        help="Synchformer's audio-visual offset (s), |offset| of the first and last 14 "
                             "segments averaged (av-benchmark, FastVideo)"),),
                _column)
