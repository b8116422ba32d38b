"""Video decoding with PyAV (FFmpeg): frame rate, size and RGB frames.

I/O lives here so that the metric itself (``msi.metric``) stays a pure function of arrays.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from msi.errors import InputNotFound, UnreadableVideo

#: Extensions picked up when a folder is scored.
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    n_frames: int  # from the container; an estimate (duration x fps) when it does not say
    duration: float  # seconds
    has_audio: bool
    codec: str


def _check_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputNotFound(f"{p}: no such file")
    if p.is_dir():
        raise UnreadableVideo(f"{p}: is a directory")
    if p.stat().st_size == 0:
        raise UnreadableVideo(f"{p}: empty file (0 bytes)")
    return p


def _open(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).split(":")[0] or type(exc).__name__
        raise UnreadableVideo(f"{path}: not a readable video ({reason})") from None
    if not container.streams.video:
        container.close()
        raise UnreadableVideo(f"{path}: contains no video stream")
    return container


def _stream_fps(stream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if rate is None or float(rate) <= 0:
        return float("nan")
    return float(Fraction(rate))


def probe(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate and length of a video, without decoding it."""
    p = _check_file(path)
    with _open(p) as container:
        stream = container.streams.video[0]
        fps = _stream_fps(stream)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = float("nan")
        n_frames = int(stream.frames) if stream.frames else int(round(duration * fps)) if np.isfinite(duration * fps) else 0
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            raise UnreadableVideo(f"{p}: video stream has no frame size")
        return VideoInfo(
            path=str(p), width=width, height=height, fps=fps, n_frames=n_frames, duration=duration,
            has_audio=bool(container.streams.audio), codec=stream.codec_context.name,
        )


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk so that the longer side is at most ``max_side`` (even numbers)."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    f = max_side / max(width, height)
    return max(2, int(round(width * f / 2)) * 2), max(2, int(round(height * f / 2)) * 2)


def iter_frames(path: str | os.PathLike, max_side: int | None = None) -> Iterator[np.ndarray]:
    """Yield the frames of a video as RGB ``uint8`` arrays (H, W, 3), in decoding order.

    Grayscale and any other pixel format are converted to RGB by FFmpeg. With ``max_side`` the
    frames are downscaled (area filter) so the longer side is at most that many pixels. A file
    that breaks off mid-stream (truncated) yields the frames decoded so far and warns.
    """
    p = _check_file(path)
    container = _open(p)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        w, h = stream.codec_context.width, stream.codec_context.height
        out_w, out_h = scaled_size(w, h, max_side)
        n = 0
        try:
            for frame in container.decode(stream):
                if (out_w, out_h) != (frame.width, frame.height):
                    frame = frame.reformat(width=out_w, height=out_h, format="rgb24", interpolation="AREA")
                    yield frame.to_ndarray()
                else:
                    yield frame.to_ndarray(format="rgb24")
                n += 1
        except av.FFmpegError as exc:
            if n == 0:
                raise UnreadableVideo(f"{p}: cannot decode any frame ({exc.strerror or exc})") from None
            warnings.warn(f"{p}: decoding stopped after {n} frames ({exc.strerror or exc}); file truncated?")
    finally:
        container.close()


def read_frames(path: str | os.PathLike, max_side: int | None = None, limit: int | None = None) -> np.ndarray:
    """All frames (or the first ``limit``) as one array (T, H, W, 3) uint8."""
    frames = []
    for frame in iter_frames(path, max_side=max_side):
        frames.append(frame)
        if limit is not None and len(frames) >= limit:
            break
    if not frames:
        raise UnreadableVideo(f"{path}: contains no decodable frame")
    return np.stack(frames)


def write_video(path: str | os.PathLike, frames, fps: float = 25.0, codec: str = "libx264",
                pix_fmt: str = "yuv420p", crf: int = 18, audio: np.ndarray | None = None,
                sample_rate: int = 16000, threads: int | None = None) -> Path:
    """Write RGB uint8 frames (T, H, W, 3) (or gray (T, H, W)) to a video file with PyAV.

    ``frames`` may be any iterable (frames are encoded as they come). With ``audio`` (mono float
    samples in [-1, 1] at ``sample_rate``) an AAC track is muxed too. ``threads`` pins x264's
    thread count (its output depends on it; 1 gives the same bytes everywhere). yuv420p needs an
    even width and height; 4:4:4 and gray formats take any size.
    """
    from fractions import Fraction as _F
    from itertools import chain

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[:2]
    with av.open(str(p), mode="w") as container:
        stream = container.add_stream(codec, rate=_F(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "veryfast", **({"threads": str(threads)} if threads else {})}
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=sample_rate)
            astream.layout = "mono"
        for f in chain([first], frames):
            fmt = "gray" if f.ndim == 2 else "rgb24"
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format=fmt)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if astream is not None:
            wave = np.asarray(audio, dtype=np.float32).reshape(-1)
            block = 1024  # the AAC frame size
            for a in range(0, len(wave), block):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(wave[a:a + block])[None, :],
                                                   format="fltp", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = sample_rate, a, _F(1, sample_rate)
                for packet in astream.encode(frame):
                    container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)
    return p
