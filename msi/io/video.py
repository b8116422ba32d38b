"""Video decoding with PyAV (FFmpeg): frame rate, size and RGB frames.

I/O lives here so that the metric itself (``msi.metrics.stability``) stays a pure function of arrays.
"""
from __future__ import annotations

import contextlib
import errno
import itertools
import os
import queue
import threading
import warnings
from array import array
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import av.logging
import numpy as np

from msi.errors import UnreadableVideo

#: Largest frame decoded (pixels): 16384 x 8192, twice 8K UHD; a header beyond it is refused, not allocated.
MAX_PIXELS = 16384 * 8192
#: Extensions picked up when a folder is scored.
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int  # of the upright picture (after the display rotation)
    height: int
    fps: float
    n_frames: int  # from the container; an estimate (duration x fps) when it does not say
    duration: float  # seconds
    has_audio: bool
    codec: str
    rotation: int = 0  # degrees clockwise applied to the stored pixels to show them upright


@dataclass
class DecodeReport:
    """What decoding a video found, filled in by :func:`iter_frames` while it runs.

    ``error_frames`` counts frames whose packets made the decoder report an error (the frame is
    still yielded, with the decoder's concealment). When the decode ends (the frames are all read,
    or the reader stops), the report is handed over as data: ``timestamps``, the frames'
    presentation times in seconds (NaN where the container gives none), and ``notes``, what
    :meth:`warnings` has to say.
    """

    rotation: int = 0
    frames: int = 0
    error_frames: int = 0
    error_messages: list[str] = field(default_factory=list)  # the first few, for the warning
    truncated: str | None = None  # why decoding stopped early, if it did
    timestamps: np.ndarray = field(default_factory=lambda: np.empty(0))  # set when the decode ends
    notes: list[str] = field(default_factory=list)  # set when the decode ends
    _times: array = field(default_factory=lambda: array("d"), repr=False)

    def finish(self) -> None:
        """The decode ended: its timestamps and notes become data."""
        self.timestamps = np.frombuffer(self._times, dtype=np.float64).copy() if len(self._times) else np.empty(0)
        self.notes = self.warnings()

    def warnings(self) -> list[str]:
        out = []
        if self.error_frames:
            first = "; ".join(dict.fromkeys(self.error_messages))[:160]
            out.append(f"the decoder reported errors in {self.error_frames} of {self.frames} frames "
                       f"(damaged stream; concealed frames add jitter of their own): {first}")
        if self.truncated:
            out.append(self.truncated)
        return out


def _check_file(path) -> Path:
    """A local video as a Path (a regular, non-empty file), a URL or a
    :class:`msi.io.remote.RemoteSource` as a RemoteSource (the object checked on its store)."""
    from msi.io.remote import RemoteSource, is_url

    if isinstance(path, RemoteSource) or (not isinstance(path, Path) and is_url(path)):  # a Path is local
        src = path if isinstance(path, RemoteSource) else RemoteSource(path)
        src.info()
        return src
    from msi.io.paths import check_input_file

    return check_input_file(path, UnreadableVideo)


def _open(path) -> av.container.InputContainer:
    """A container on a local Path, or streaming from a RemoteSource (file object, never
    buffered whole; :mod:`msi.io.remote`)."""
    try:
        if hasattr(path, "open") and not isinstance(path, Path):
            container = av.open(path.open(), mode="r")
        else:
            container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).split(":")[0] or type(exc).__name__
        if getattr(exc, "errno", None) == errno.EBUSY:  # a regular file is never busy: FFmpeg's code for a bad header
            reason = "FFmpeg refused its header, e.g. an impossible frame size"
        raise UnreadableVideo(f"{path}: not a readable video ({reason})") from None
    if not container.streams.video:
        container.close()
        raise UnreadableVideo(f"{path}: contains no video stream")
    cc = container.streams.video[0].codec_context
    if (cc.width or 0) * (cc.height or 0) > MAX_PIXELS:  # decoding would need gigabytes per frame
        container.close()
        raise UnreadableVideo(f"{path}: frame size {cc.width}x{cc.height} is beyond {MAX_PIXELS // 10**6} "
                              "megapixels (a damaged or hostile header?)")
    return container


def _stream_fps(stream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if rate is None or float(rate) <= 0:
        return float("nan")
    return float(Fraction(rate))


def display_rotation(frame: av.VideoFrame) -> int:
    """Degrees clockwise (0, 90, 180, 270) that show the frame upright, from its display matrix.

    FFmpeg's matrix angle is counterclockwise; phones store portrait video as landscape pixels
    with a matrix of -90 (the old ``rotate=90`` tag), shown after a 90 degree clockwise turn,
    as ``ffmpeg`` and players do. Angles that are not a multiple of 90 are not applied.
    """
    try:
        angle = frame.rotation
    except (AttributeError, ValueError, av.FFmpegError):
        return 0
    if not angle or not np.isfinite(angle):
        return 0
    cw = (-float(angle)) % 360
    k = int(round(cw / 90)) % 4
    return 90 * k if abs(cw - 90 * round(cw / 90)) < 1 else 0


def _upright(arr: np.ndarray, rotation: int) -> np.ndarray:
    if not rotation:
        return arr
    return np.ascontiguousarray(np.rot90(arr, k=-(rotation // 90), axes=(0, 1)))


def probe(path: str | os.PathLike) -> VideoInfo:
    """Size (upright), frame rate, length and display rotation of a video; decodes one frame
    at most (the rotation is side data of the frames)."""
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
        rotation = 0
        with _ffmpeg_logs():  # a damaged first packet must not print FFmpeg's lines
            try:
                for frame in container.decode(stream):
                    rotation = display_rotation(frame)
                    break
            except av.FFmpegError:
                pass  # reported by iter_frames, which decodes for real
        if rotation in (90, 270):
            width, height = height, width
        return VideoInfo(
            path=str(p), width=width, height=height, fps=fps, n_frames=n_frames, duration=duration,
            has_audio=bool(container.streams.audio), codec=stream.codec_context.name, rotation=rotation,
        )


@dataclass
class OpenVideo:
    """A video set up for one pass over its frames: what :func:`probe` found, the (width, height)
    the frames come at, and the report the pass fills in. Iterating it is the pass
    (:func:`iter_frames`); nothing is decoded before, so a video that turns out not to be needed
    (its landmarks are in the cache) costs its probe only."""

    path: object  # a local Path, or the msi.io.remote.RemoteSource it streams from
    info: VideoInfo
    size: tuple[int, int]
    report: DecodeReport
    max_side: int | None = None
    prefetch: int = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        yield from iter_frames(self.path, self.max_side, report=self.report, prefetch=self.prefetch)


def open_video(path, max_side: int | None = None, *, prefetch: int = 0) -> OpenVideo:
    """Probe a video (fails fast on missing, empty and non-video files) and set up the pass over
    its frames (:func:`iter_frames` with ``max_side`` and ``prefetch``)."""
    info = probe(path)
    return OpenVideo(path, info, scaled_size(info.width, info.height, max_side), DecodeReport(), max_side, prefetch)


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk so that the longer side is at most ``max_side`` (even numbers)."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    f = max_side / max(width, height)
    return max(2, int(round(width * f / 2)) * 2), max(2, int(round(height * f / 2)) * 2)


_LOG_LOCK = threading.Lock()
_LOG_USERS = 0


@contextlib.contextmanager
def _ffmpeg_logs():
    """Collect FFmpeg's error log lines (decoder damage reports) instead of letting FFmpeg print
    them on stderr. Yields the list they are appended to (entries: (level, name, message))."""
    global _LOG_USERS
    with _LOG_LOCK:
        if _LOG_USERS == 0:
            _ffmpeg_logs.saved = av.logging.get_level()
            av.logging.set_level(av.logging.ERROR)
        _LOG_USERS += 1
    try:
        with av.logging.Capture(local=False) as logs:
            yield logs
    finally:
        with _LOG_LOCK:
            _LOG_USERS -= 1
            if _LOG_USERS == 0:
                av.logging.set_level(_ffmpeg_logs.saved)


def iter_frames(path: str | os.PathLike, max_side: int | None = None, *, report: DecodeReport | None = None,
                prefetch: int = 0, rotate: bool = True) -> Iterator[np.ndarray]:
    """Yield the frames of a video as RGB ``uint8`` arrays (H, W, 3), in presentation order.

    Frames are turned upright by the display matrix (``rotate=False``: stored pixels as they
    are). Grayscale and any other pixel format are converted to RGB by FFmpeg. With
    ``max_side`` the frames are downscaled (area filter) so the longer side is at most that many
    pixels. A file that breaks off mid-stream (truncated) yields the frames decoded so far and
    warns. ``report`` (a :class:`DecodeReport`) is filled with timestamps, decoder errors and
    the rotation. ``prefetch > 0`` decodes in a background thread, up to that many frames
    ahead, so decoding overlaps with whatever the caller does with each frame.
    """
    p = _check_file(path)
    report = report if report is not None else DecodeReport()
    try:
        if prefetch > 0:
            yield from _prefetched(_decode(p, max_side, report, rotate), prefetch)
        else:
            yield from _decode(p, max_side, report, rotate)
    finally:
        report.finish()
    if report.truncated:
        warnings.warn(f"{p}: {report.truncated}")


def _decode(p: Path, max_side: int | None, report: DecodeReport, rotate: bool) -> Iterator[np.ndarray]:
    container = _open(p)
    try:
        stream = container.streams.video[0]
        # Slice threads keep decoding synchronous per packet, so an error line belongs to the
        # packet (= frame) just sent; frame threads would smear it over later frames.
        stream.thread_type = "SLICE"
        w, h = stream.codec_context.width, stream.codec_context.height
        out_w, out_h = scaled_size(w, h, max_side)
        n = 0
        with _ffmpeg_logs() as logs:
            try:
                for packet in container.demux(stream):
                    seen = len(logs)
                    frames = stream.decode(packet)
                    errors = [m for lvl, _, m in logs[seen:] if lvl <= av.logging.ERROR]
                    if errors:
                        report.error_frames += 1
                        if len(report.error_messages) < 3:
                            report.error_messages.append(errors[0].strip())
                    for frame in frames:
                        if n == 0:
                            report.rotation = display_rotation(frame) if rotate else 0
                        report._times.append(float(frame.time) if frame.time is not None else float("nan"))
                        if (out_w, out_h) != (frame.width, frame.height):
                            frame = frame.reformat(width=out_w, height=out_h, format="rgb24", interpolation="AREA")
                            arr = frame.to_ndarray()
                        else:
                            arr = frame.to_ndarray(format="rgb24")
                        n += 1
                        report.frames = n
                        yield _upright(arr, report.rotation)
            except av.FFmpegError as exc:
                if n == 0:
                    raise UnreadableVideo(f"{p}: cannot decode any frame ({exc.strerror or exc})") from None
                report.truncated = f"decoding stopped after {n} frames ({exc.strerror or exc}); file truncated?"
    finally:
        container.close()


#: Frames decoded ahead in a background thread while the tracker works (see iter_frames).
DECODE_AHEAD = 4

_DONE = object()


def _prefetched(source: Iterator, depth: int) -> Iterator:
    """Run ``source`` in a background thread, ``depth`` items ahead (PyAV decodes without the
    GIL, so this overlaps decoding with the caller's work on the previous frame)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            q.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)
        finally:
            source.close()

    t = threading.Thread(target=work, name="msi-decode", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        t.join()


def sample_frames(path: str | os.PathLike, count: int, stride: int = 1, max_side: int | None = None) -> Iterator[np.ndarray]:
    """Up to ``count`` frames: every ``stride``-th from the first; the decode stops (and is
    closed) once they are read."""
    with contextlib.closing(iter_frames(path, max_side=max_side)) as frames:
        yield from itertools.islice(itertools.islice(frames, 0, None, stride), count)


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
                sample_rate: int = 16000, threads: int | None = None, rotation: int = 0,
                timestamps=None, audio_bit_rate: int | None = None) -> Path:
    """Write RGB uint8 frames (T, H, W, 3) (or gray (T, H, W)) to a video file with PyAV.

    ``frames`` may be any iterable (frames are encoded as they come). With ``audio`` (mono float
    samples in [-1, 1] at ``sample_rate``) an AAC track is muxed too, at ``audio_bit_rate`` bits/s
    (default: FFmpeg's AAC default, about 70 kb/s for mono speech). ``threads`` pins x264's
    thread count (its output depends on it; 1 gives the same bytes everywhere). yuv420p needs an
    even width and height; 4:4:4 and gray formats take any size. ``rotation`` (degrees clockwise)
    stores a display matrix, as phones do for portrait video: players (and :func:`iter_frames`)
    turn the stored pixels by it. ``timestamps`` (seconds per frame, increasing) give frames
    their own presentation times (variable frame rate); default ``k / fps``.
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
        if rotation % 360:
            stream.set_display_rotation(-(rotation % 360))  # FFmpeg's angle is counterclockwise
        tb = _F(1, 90000) if timestamps is not None else None
        if tb is not None:
            stream.time_base = tb
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "veryfast", **({"threads": str(threads)} if threads else {})}
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=sample_rate)
            astream.layout = "mono"
            if audio_bit_rate:
                astream.bit_rate = audio_bit_rate
        for k, f in enumerate(chain([first], frames)):
            fmt = "gray" if f.ndim == 2 else "rgb24"
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format=fmt)
            if tb is not None:
                vf.pts, vf.time_base = int(round(float(timestamps[k]) * 90000)), tb
            for packet in stream.encode(vf):
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
