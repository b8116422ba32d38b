"""Does a video declare itself generated? Its C2PA manifest, its frame watermark and its audio mark.

``declared_generated`` is True when a manifest that validates (trusted or not) says its content
is generated (an IPTC ``digitalSourceType`` such as ``trainedAlgorithmicMedia``), or when the
stableface watermark is found in the frames, or its audio mark in the speech; False when none
(a file without audio has no audio mark to find). It reads the sources cheapest first and stops
at the first that declares: the manifest (its boxes, no frame decoded), then for ``msi score``
the audio mark (the track decoded and read) before the frame mark (the first
``SCORE_MARK_FRAMES`` frames decoded, at most 512 px on their longer side); ``msi compare`` reads
the frames from the decode its columns share and the speech from the audio its audio columns
decode, at no extra decode, the frames first there (they cost no decode of their own).

Measured (``python benchmarks/bench_marking.py --parts audio_cost --rounds 5``, medians, 2 cores
under a load of 4-6; docs/generator/marking.md): the audio mark's decode and read take 3-7 ms per
second of audio (1.5-3.3 ms of it the read, which is all ``msi compare`` adds), 0.8-1.7 % of ``msi
score`` on the carphone face under 5 s and 18 s of espeak-ng speech, 0.2-0.9 times the 25-frame
read at 176 x 144 (bigbuckbunny, 1280 x 720: 0.26 times); the whole column on an unmarked video
with audio (every source read) 2.9-6.1 % of ``msi score``, on an audio-marked one 1.4-1.9 %.
"""
from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from msi.io.audio import Audio, NoAudio, read_audio
from msi.provenance import audio_mark
from msi.provenance.manifest import read_manifest
from msi.provenance.watermark import READ_FRAMES, read_frames, read_video

#: Frames the metric side decodes to look for the mark (``msi score``, ``msi compare``).
SCORE_MARK_FRAMES = 25


def check_video(path: str | os.PathLike, *, mark: bool = True, mark_frames: int = READ_FRAMES,
                spread: bool = True) -> dict:
    """{"video", "declared_generated", "declared_by": every source that declares it, of "c2pa",
    "watermark", "audio_mark", "c2pa": manifest report, "watermark": reading or None when ``mark``
    is False, "audio_mark": the speech track's reading, ``{"found": False, "no_audio": True}`` for
    a file without audio, or None when ``mark`` is False}. A manifest that fails validation
    (tampered) declares nothing. Every source is read (a report, not a column): ``mark_frames``,
    ``spread``: the frames read for the frame mark (:func:`read_video`)."""
    manifest = read_manifest(path)
    reading = read_video(path, max_frames=mark_frames, spread=spread) if mark else None
    heard = None
    if mark:
        try:
            heard = audio_mark.read_video(path).to_dict()
        except NoAudio:
            heard = {"found": False, "no_audio": True}
    by = []
    if manifest.state == "valid" and manifest.generated:
        by.append("c2pa")
    if reading is not None and reading.found:
        by.append("watermark")
    if heard is not None and heard["found"]:
        by.append("audio_mark")
    return {"video": str(path), "declared_generated": bool(by), "declared_by": by, "c2pa": manifest.to_dict(),
            "watermark": reading.to_dict() if reading is not None else None, "audio_mark": heard}


def declared_generated(path: str | os.PathLike, mark_frames: int = SCORE_MARK_FRAMES,
                       frames: Iterable[np.ndarray] | None = None,
                       audio: Callable[[], Audio] | None = None) -> bool | None:
    """The ``declared_generated`` column of a scored video: True when its manifest validates and
    says generated, or the audio mark is found in its speech, or the frame mark in its first
    ``mark_frames`` frames; False when none does (a file without audio simply has no audio mark);
    None when the file cannot be read (a URL, a landmark file, an unreadable container; or an
    audio track that cannot be decoded, unless the frames declare).

    The reads stop at the first that declares, cheapest first: the manifest (its boxes, nothing
    decoded); then, when the caller hands over ``frames`` from a decode it already runs (``msi
    compare``'s shared decode), the frame mark from those (no decode of its own; the iterator is
    closed once read, so the shared decode does not wait for this read) and then the audio mark;
    without ``frames``, the audio mark (its decode and read cost less than decoding
    ``mark_frames`` frames for a clip of a few seconds: module docstring) and then the frames,
    decoded here. ``audio``: a loader of the video's decoded track (``msi compare``'s, the one
    its audio columns read), used when it is at the mark's rate; None decodes it here."""
    from msi.errors import MSIError

    if not os.path.isfile(str(path)) or str(path).endswith((".npz", ".npy", ".json", ".csv")):
        return None
    path = Path(path)  # a local file: the readers below need not ask whether it is a URL
    try:
        manifest = read_manifest(path)
        if manifest.state == "valid" and manifest.generated:
            return True
        if frames is not None and _frames_declare(path, mark_frames, frames):
            return True
        heard = _audio_declares(path, audio)
        if heard:
            return True
        if frames is None and _frames_declare(path, mark_frames, None):
            return True
        return None if heard is None else False
    except (MSIError, OSError, ValueError):
        return None


def _frames_declare(path: Path, mark_frames: int, frames: Iterable[np.ndarray] | None) -> bool:
    """Whether the frame mark is found in the first ``mark_frames`` frames (of ``frames``, then
    closed, or decoded here)."""
    if frames is None:
        return read_video(path, max_frames=mark_frames, spread=False).found
    try:
        return read_frames(islice(frames, mark_frames)).found
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()


def _audio_declares(path: Path, audio: Callable[[], Audio] | None) -> bool | None:
    """Whether the audio mark is found; False for a file without audio, None when its audio
    cannot be decoded."""
    from msi.errors import MSIError

    try:
        track = audio() if audio is not None else None
        if track is None or track.sample_rate != audio_mark.RATE:
            track = read_audio(path, audio_mark.RATE)
        return audio_mark.read_track(track).found
    except NoAudio:
        return False
    except (MSIError, OSError, ValueError):
        return None


def declared_key() -> dict:
    """What whether a video declares itself generated depends on besides its bytes: the frames
    read, the frame and audio marks' parameters, the manifest types that count and whether C2PA
    can be read here: the feature cache's key, one entry that ``msi score`` and ``msi compare`` share
    (:func:`msi.io.feature_store.cached_flag`)."""
    import importlib.util

    from msi.provenance import audio_mark as am, manifest, watermark as wm

    return {"declared_generated": [SCORE_MARK_FRAMES, manifest.GENERATED_SOURCE_TYPES, wm.CANONICAL, wm.WAVELET,
                                   wm.LEVELS, wm.BLOCK, wm.ORDERS, wm.STEP, wm.TAG.hex(), wm.Z_FOUND, wm.KEY,
                                   wm.RUN_ID_BITS, wm.CRC_BITS, importlib.util.find_spec("c2pa") is not None,
                                   # the audio mark: what its reading's found depends on
                                   "audio_mark", am.RATE, am.FRAME, am.ORDER, am.SILENT, am.CONDITIONING,
                                   am.PERIOD, am.CELL, am.PILOT, am.LOCAL, am.Z_FOUND, am.KEY]}
