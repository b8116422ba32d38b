"""Which invisible marks the bench's generated test videos carry: the ``--mark`` settings.

The bench writes the run's id into its generated test videos the way ``stableface synthesize``
does, less the visible label (it would cover part of the frame the columns read). The default is
the audio mark in the speech (``generator.marking.audio_mark``): MSI, SSIM, PSNR and LPIPS are read
from the frames, so it cannot move them. The frame watermark (``generator.marking.watermark``) is
read by the face tracker: on the bench's renders it lowers MSI-Lip by 16 % and MSI-Jaw by 28 %
(docs/generator/bench.md), which ``frame`` measures. The truth videos are never marked. Kept free
of heavy imports: the command's ``--help`` reads it.
"""
from __future__ import annotations

#: Each setting and the marks it writes ("frame", "audio").
MARKS = {"audio": ("audio",), "frame": ("frame",), "both": ("frame", "audio"), "none": ()}
#: The setting a bench run takes unless told otherwise (``BenchConfig.mark``).
DEFAULT_MARK = "audio"
#: Each mark as the bench's tables and messages name it.
MARK_NAMES = {"frame": "the invisible frame watermark", "audio": "the audio mark"}


def marks_phrase(mark: str) -> str:
    """What the videos of a :data:`MARKS` setting carry, in words ("the audio mark", ...)."""
    return " and ".join(MARK_NAMES[m] for m in MARKS[mark]) or "no invisible mark"
