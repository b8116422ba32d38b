"""Audio for the generator: decoding to 16 kHz mono, log-mel features, per-frame windows.

StableFace (Ling et al., arXiv:2208.13717, Sec. III-A) drives the expression predictor with
DeepSpeech features of a window of audio around each video frame. DeepSpeech cannot be
obtained here, so the default feature is the log-mel spectrogram (80 bins, 25 ms Hann
window, 10 ms hop) of 16 kHz audio:

    M[k, m] = log(eps + sum_f  H[m, f] |STFT(x)[k, f]|^2)

with ``H`` a Slaney-style mel filterbank (area-normalised triangles, 0-8 kHz) and STFT frame
k centred on sample ``k * hop`` (the signal is reflect-padded by half a window), so feature
k describes time ``k / 100`` s. :func:`frame_windows` then gives every video frame the W
feature frames centred on the middle of its display interval. Another extractor (e.g.
DeepSpeech features a user computed) plugs in as an array file, see
:func:`load_feature_file`. Decoding (PyAV) is separate from the pure numpy feature code.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.errors import GeneratorError

SAMPLE_RATE = 16000
N_MELS = 80
FEATURE_RATE = 100.0  # feature frames per second (10 ms hop)
AUDIO_WINDOW = 16  # feature frames per video frame: 160 ms of context


@dataclass(frozen=True)
class LogMelConfig:
    sample_rate: int = SAMPLE_RATE
    n_fft: int = 400  # 25 ms at 16 kHz
    hop: int = 160  # 10 ms
    n_mels: int = N_MELS
    fmin: float = 0.0
    fmax: float | None = None  # None: Nyquist
    eps: float = 1e-6  # floor inside the log, so silence stays finite


def load_audio(path: str | os.PathLike, sr: int = SAMPLE_RATE, notes: list[str] | None = None) -> np.ndarray:
    """The first audio stream of a media file (wav, mp3, mp4, mkv, ...) as float32 mono at ``sr``.

    Channels are averaged and the rate converted by FFmpeg's resampler (through PyAV).
    Damaged packets do not stop decoding: they are skipped, and every span the stream's own
    timestamps show as missing is filled with silence, so what follows stays in sync with the
    video. That is reported in ``notes`` (a list the caller passes; else a Python warning).
    Raises :class:`GeneratorError` for a missing file, an unreadable one, or no audio stream.
    """
    import av
    import av.logging

    p = Path(path)
    if not p.is_file():
        raise GeneratorError(f"{p}: no such audio file")
    try:
        container = av.open(str(p))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise GeneratorError(f"{p}: not a readable audio file ({type(exc).__name__})") from None
    chunks: list[np.ndarray] = []
    bad, lost, first_error = 0, 0.0, ""
    with container:
        if not container.streams.audio:
            raise GeneratorError(f"{p}: contains no audio track")
        stream = container.streams.audio[0]
        # Planar float at the target rate, channels kept: we average them ourselves (FFmpeg's
        # own downmix to mono scales by 1/sqrt(2) per channel, which changes the level).
        resampler = av.AudioResampler(format="fltp", rate=sr)
        t_next = None  # where the next frame should start (s), by the stream's timestamps
        saved_level = av.logging.get_level()
        av.logging.set_level(av.logging.ERROR)
        try:
            with av.logging.Capture(local=False):  # FFmpeg's damage reports: counted, not printed
                for packet in container.demux(stream):
                    try:
                        frames = stream.decode(packet)
                    except av.FFmpegError as exc:  # a damaged packet: skip it, its span becomes silence
                        bad += 1
                        first_error = first_error or (exc.strerror or str(exc))
                        continue
                    for frame in frames:
                        t = frame.time
                        if t is not None and t_next is not None and t - t_next > 0.5 * frame.samples / frame.sample_rate:
                            # samples are missing here: flush the resampler, then silence for the gap
                            chunks += [f.to_ndarray().mean(axis=0) for f in resampler.resample(None)]
                            resampler = av.AudioResampler(format="fltp", rate=sr)
                            gap = int(round((t - t_next) * sr))
                            chunks.append(np.zeros(gap, np.float32))
                            lost += gap / sr
                        if t is not None:
                            t_next = t + frame.samples / frame.sample_rate
                        frame.pts = None  # let the resampler count samples itself
                        chunks += [f.to_ndarray().mean(axis=0) for f in resampler.resample(frame)]
        except av.FFmpegError as exc:  # the container itself breaks off: keep what was decoded
            if not chunks:
                raise GeneratorError(f"{p}: cannot decode the audio ({exc.strerror or exc})") from None
            bad += 1
            first_error = first_error or (exc.strerror or str(exc))
        finally:
            av.logging.set_level(saved_level)
        chunks += [f.to_ndarray().mean(axis=0) for f in resampler.resample(None)]
    wave = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if wave.size == 0:
        raise GeneratorError(f"{p}: the audio track is empty")
    if bad or lost:
        msg = (f"{p}: {bad} damaged audio packet(s) skipped ({first_error or 'no error given'}); "
               f"{lost:.3f} s of lost audio filled with silence on the stream's timestamps, so sync is kept")
        if notes is not None:
            notes.append(msg)
        else:
            import warnings

            warnings.warn(msg, stacklevel=2)
    return wave


def stream_offset(path: str | os.PathLike) -> float:
    """Start of the first decoded audio frame minus that of the first video frame (seconds).

    Containers may start the audio later than the video (edit lists, an encoder's priming
    samples); :func:`load_audio` returns every decoded sample from the first one, so this offset
    (see :func:`shift_audio`) puts them on the video's clock. 0 when either is unknown.
    """
    import av

    def first_time(kind: str) -> float | None:
        with av.open(str(path)) as container:
            try:
                frame = next(container.decode(**{kind: 0}))
            except (StopIteration, av.FFmpegError):
                return None
            return frame.time

    video, audio = first_time("video"), first_time("audio")
    return 0.0 if video is None or audio is None else float(audio - video)


def shift_audio(wave: np.ndarray, offset: float, sr: int) -> np.ndarray:
    """Put audio that starts ``offset`` seconds after the first video frame on the video's
    clock: pad silence in front (offset > 0) or drop the samples before the video (< 0)."""
    k = int(round(offset * sr))
    return np.concatenate([np.zeros(k, wave.dtype), wave]) if k >= 0 else wave[-k:]


def write_wav(path: str | os.PathLike, wave: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """16-bit PCM mono WAV of a float signal in [-1, 1] (clipped); the one WAV writer of the generator."""
    from scipy.io import wavfile

    wavfile.write(str(path), sr, (np.clip(wave, -1.0, 1.0) * 32767.0).round().astype(np.int16))


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) Slaney mel filterbank (as librosa's default ``htk=False, norm='slaney'``)."""
    fmax = sr / 2 if fmax is None else fmax

    def hz_to_mel(f: np.ndarray) -> np.ndarray:  # linear below 1 kHz, logarithmic above
        f = np.asarray(f, float)
        return np.where(f < 1000.0, f / (200.0 / 3), 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27))

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return np.where(m < 15.0, m * (200.0 / 3), 1000.0 * np.exp((m - 15.0) * (np.log(6.4) / 27)))

    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    lower = (freqs[None] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - freqs[None]) / (edges[2:] - edges[1:-1])[:, None]
    fb = np.maximum(0.0, np.minimum(lower, upper))
    return fb * (2.0 / (edges[2:] - edges[:-2]))[:, None]  # equal area per filter


def logmel(wave: np.ndarray, sr: int = SAMPLE_RATE, config: LogMelConfig | None = None) -> np.ndarray:
    """Log-mel spectrogram (n, 80) float32 of a mono signal, n = 1 + len(wave) // hop."""
    cfg = config or LogMelConfig()
    if sr != cfg.sample_rate:
        raise ValueError(f"logmel expects {cfg.sample_rate} Hz audio, got {sr} Hz (use load_audio(path, sr=...))")
    x = np.asarray(wave, np.float64).reshape(-1)
    pad = cfg.n_fft // 2
    x = np.pad(x, pad, mode="reflect" if x.size > pad else "constant")
    n = 1 + (x.size - cfg.n_fft) // cfg.hop
    frames = np.lib.stride_tricks.sliding_window_view(x, cfg.n_fft)[:: cfg.hop][:n]
    window = np.hanning(cfg.n_fft + 1)[:-1]  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    fb = mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax)
    return np.log(power @ fb.T + cfg.eps).astype(np.float32)


def frame_windows(
    features: np.ndarray, n_frames: int, fps: float = 25.0, window: int = AUDIO_WINDOW, rate: float = FEATURE_RATE
) -> np.ndarray:
    """Per video frame, the ``window`` feature frames around it -> (T, W, D).

    Video frame t is displayed during [t/fps, (t+1)/fps); its window is centred on the middle
    of that interval: feature indices ``c - W//2 ... c + W - W//2 - 1`` with
    ``c = round((t + 0.5) / fps * rate)``. Indices outside the features repeat the edge frame.
    """
    feats = np.asarray(features)
    if feats.ndim != 2 or len(feats) == 0:
        raise ValueError(f"features must be a non-empty (n, D) array, got shape {feats.shape}")
    centre = np.round((np.arange(n_frames) + 0.5) / fps * rate).astype(np.int64)
    idx = centre[:, None] + np.arange(window)[None] - window // 2
    return feats[np.clip(idx, 0, len(feats) - 1)].astype(np.float32)


def load_feature_file(
    path: str | os.PathLike, n_frames: int, fps: float = 25.0, window: int = AUDIO_WINDOW, rate: float = FEATURE_RATE
) -> np.ndarray:
    """A user's own audio features (e.g. DeepSpeech) from a ``.npy`` file -> (T, W, D) float32.

    Accepted: (T, W, D), already one window per video frame (used as is), or (n, D) at
    ``rate`` frames per second (windowed with :func:`frame_windows`).
    """
    p = Path(path)
    if not p.is_file():
        raise GeneratorError(f"{p}: no such audio-feature file")
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise GeneratorError(f"{p}: not a .npy array ({exc})") from None
    if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
        raise GeneratorError(f"{p}: audio features must be finite numbers")
    if arr.ndim == 3:
        if len(arr) != n_frames:
            raise GeneratorError(f"{p}: has {len(arr)} windows but the video has {n_frames} frames at {fps:g} fps")
        return arr.astype(np.float32)
    if arr.ndim == 2 and len(arr) > 0:
        covered = len(arr) / rate
        if covered + 1.0 / fps < n_frames / fps:
            raise GeneratorError(
                f"{p}: {len(arr)} feature frames at {rate:g}/s cover {covered:.2f} s, the video lasts {n_frames / fps:.2f} s"
            )
        return frame_windows(arr, n_frames, fps=fps, window=window, rate=rate)
    raise GeneratorError(f"{p}: audio features must be (frames, dims) or (video frames, window, dims), got {arr.shape}")
