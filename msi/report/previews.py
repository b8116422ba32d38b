"""Videos the browser plays: link a file Chromium already plays, else transcode a small preview.

Chromium plays H.264 (yuv420p) with AAC or MP3 audio in MP4, and VP8/VP9/AV1 with Opus or Vorbis
in WebM. A file already in one of those forms and no larger than the preview size is linked
(by a path relative to the report, nothing copied); anything else (MPEG-4 Part 2, FFV1, 4:4:4,
Matroska, a 4K master) is transcoded with PyAV into an H.264/AAC MP4 whose long side is
:data:`PREVIEW_SIDE` pixels: small enough that a page of several methods plays in sync.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np

#: Long side (pixels) of a transcoded preview, and the largest linked video.
PREVIEW_SIDE = 256
#: x264 quality of a preview (higher = smaller file; 26 keeps lip edges readable at 256 px).
PREVIEW_CRF = 26

#: (container extensions, video codecs, audio codecs) Chromium decodes.
_PLAYABLE = (((".mp4", ".m4v"), ("h264",), ("aac", "mp3")),
             ((".webm",), ("vp8", "vp9", "av1"), ("opus", "vorbis")))


def browser_playable(path: str | os.PathLike, max_side: int = PREVIEW_SIDE) -> tuple[bool, str]:
    """Whether Chromium plays ``path`` as it is and it is at most ``max_side`` pixels on its long
    side; (False, why) otherwise (the reason a preview is made)."""
    import av

    p = Path(path)
    try:
        with av.open(str(p)) as c:
            if not c.streams.video:
                return False, "no video stream"
            v = c.streams.video[0]
            vcodec, pix = v.codec_context.name, v.codec_context.pix_fmt
            w, h = v.codec_context.width, v.codec_context.height
            acodecs = [a.codec_context.name for a in c.streams.audio]
    except (av.error.FFmpegError, OSError) as exc:
        return False, f"not readable ({type(exc).__name__})"
    for exts, vcodecs, audio in _PLAYABLE:
        if p.suffix.lower() not in exts:
            continue
        if vcodec not in vcodecs:
            return False, f"{vcodec} video"
        if pix not in ("yuv420p", "yuvj420p"):
            return False, f"{pix} pixels"
        if any(a not in audio for a in acodecs):
            return False, f"{', '.join(acodecs)} audio"
        if max(w, h) > max_side:
            return False, f"{w}x{h}, larger than {max_side} px"
        return True, ""
    return False, f"{p.suffix or 'no extension'} container"


def preview_size(width: int, height: int, max_side: int = PREVIEW_SIDE) -> tuple[int, int]:
    """(w, h) with the long side at most ``max_side`` and both even (H.264 4:2:0 needs it)."""
    s = min(1.0, max_side / max(width, height))
    return max(2, int(round(width * s / 2)) * 2), max(2, int(round(height * s / 2)) * 2)


def write_preview(source: str | os.PathLike, dest: str | os.PathLike, frames: Iterable[np.ndarray], fps: float,
                  max_side: int = PREVIEW_SIDE) -> Path:
    """Encode ``frames`` (the source's decoded RGB frames, consumed as they come: a long video is
    never held in memory) downscaled to ``max_side`` as an H.264/AAC MP4 at ``dest``, with the
    source's audio (16 kHz mono, aligned to its first frame as ``msi`` reads it; silent without one)."""
    import cv2

    from msi.errors import MSIError
    from msi.io.audio import read_audio
    from msi.io.video import write_video

    try:
        wave = read_audio(source).samples.astype(np.float32) / 32768
    except MSIError:  # no audio track: a silent preview
        wave = None

    def small():
        for f in frames:
            h, w = f.shape[:2]
            size = preview_size(w, h, max_side)
            yield cv2.resize(f, size, interpolation=cv2.INTER_AREA) if size != (w, h) else f

    try:
        return write_video(dest, small(), fps=fps, crf=PREVIEW_CRF, audio=wave, threads=1)
    except StopIteration:
        raise MSIError(f"{source}: no frame to preview") from None
