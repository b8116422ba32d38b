"""Does a video declare itself generated? Its C2PA manifest and its invisible watermark, read together.

``declared_generated`` is True when a manifest that validates (trusted or not) says its content
is generated (an IPTC ``digitalSourceType`` such as ``trainedAlgorithmicMedia``), or when the
stableface watermark is found; False when neither. The manifest is cheap (its boxes are read,
no frame decoded); for ``msi score``'s column the watermark costs decoding the first
``SCORE_MARK_FRAMES`` frames (at most 512 px on their longer side; docs/generator/marking.md gives
the time); ``msi compare`` reads them from the decode its columns share, at no extra decode.
"""
from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Iterable

import numpy as np

from msi.provenance.manifest import read_manifest
from msi.provenance.watermark import READ_FRAMES, read_frames, read_video

#: Frames the metric side decodes to look for the mark (``msi score``, ``msi compare``).
SCORE_MARK_FRAMES = 25


def check_video(path: str | os.PathLike, *, mark: bool = True, mark_frames: int = READ_FRAMES,
                spread: bool = True) -> dict:
    """{"video", "declared_generated", "declared_by", "c2pa": manifest report, "watermark": reading
    or None when ``mark`` is False, "audio_mark": the speech track's reading, ``{"found": False,
    "no_audio": True}`` for a file without audio, or None when ``mark`` is False}. A manifest that
    fails validation (tampered) declares nothing; the audio mark is reported beside the verdict,
    not in it (it marks the speech, not the frames). ``mark_frames``, ``spread``: the frames read
    for the frame mark (:func:`read_video`)."""
    from msi.io.audio import NoAudio
    from msi.provenance import audio_mark

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
    return {"video": str(path), "declared_generated": bool(by), "declared_by": by, "c2pa": manifest.to_dict(),
            "watermark": reading.to_dict() if reading is not None else None, "audio_mark": heard}


def declared_generated(path: str | os.PathLike, mark_frames: int = SCORE_MARK_FRAMES,
                       frames: Iterable[np.ndarray] | None = None) -> bool | None:
    """The ``declared_generated`` column of a scored video: True / False, or None when the file
    cannot be read (a URL, a landmark file, an unreadable container). ``frames``: the video's
    frames from a decode the caller already runs (``msi compare``'s shared decode), of which the
    first ``mark_frames`` are read for the mark; None decodes them here."""
    from msi.errors import MSIError

    if not os.path.isfile(str(path)) or str(path).endswith((".npz", ".npy", ".json", ".csv")):
        return None
    path = Path(path)  # a local file: the readers below need not ask whether it is a URL
    try:
        manifest = read_manifest(path)
        if manifest.state == "valid" and manifest.generated:
            return True
        reading = (read_video(path, max_frames=mark_frames, spread=False) if frames is None
                   else read_frames(islice(frames, mark_frames)))
        return bool(reading.found)
    except (MSIError, OSError, ValueError):
        return None
