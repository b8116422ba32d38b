"""The audio track of a video, decoded with PyAV (FFmpeg) onto the video's clock."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from msi.errors import MSIError, UnreadableVideo

#: syncnet_python's audio rate (it calls ``ffmpeg -ac 1 -ar 16000 -acodec pcm_s16le``).
SYNC_SAMPLE_RATE = 16000


class NoAudio(MSIError):
    kind = "no_audio"


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # int16 mono, sample 0 = the first video frame's time
    sample_rate: int
    source_rate: int  # rate in the file, before resampling
    shift_s: float  # audio start - video start in the container (padded/trimmed away)


def read_audio(path: str | os.PathLike, sample_rate: int = SYNC_SAMPLE_RATE) -> Audio:
    """First audio stream as int16 mono at ``sample_rate``, aligned to the first video frame.

    Channels are mixed and the rate converted by FFmpeg's resampler (swresample), as
    ``ffmpeg -ac 1 -ar RATE -acodec pcm_s16le`` does. Audio that starts after the first video
    frame is padded with silence; audio that starts before it is trimmed. Raises
    :class:`NoAudio` when there is no (or an empty) audio track.
    """
    import av

    from msi.io.video import _check_file, _open

    p = _check_file(path)
    container = _open(p)
    try:
        if not container.streams.audio:
            raise NoAudio(f"{p}: has no audio track")
        astream = container.streams.audio[0]
        vstream = container.streams.video[0]
        v0 = float(vstream.start_time * vstream.time_base) if vstream.start_time is not None else 0.0
        a0 = float(astream.start_time * astream.time_base) if astream.start_time is not None else 0.0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(astream):
                frame.pts = None  # the resampler counts samples itself
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        except av.FFmpegError as exc:
            if not chunks:
                raise UnreadableVideo(f"{p}: cannot decode the audio ({exc.strerror or exc})") from None
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        source_rate = int(astream.rate or sample_rate)
    finally:
        container.close()
    wave = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    if wave.size == 0:
        raise NoAudio(f"{p}: the audio track is empty")
    shift = a0 - v0
    n = int(round(abs(shift) * sample_rate))
    if shift > 0:
        wave = np.concatenate([np.zeros(n, np.int16), wave])
    elif n:
        wave = wave[n:]
    return Audio(wave, sample_rate, source_rate, shift)
