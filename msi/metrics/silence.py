r"""The mouth while nobody speaks: ``silent_mouth`` (THEval's silent-lip stability) and ``lip_leak``
(KeySync's LipLeak), both on the frames an energy voice-activity detector calls silent.

**Silence.** Per video frame the audio's RMS :math:`e_t` over ±half a frame
(:func:`msi.metrics.lipsync.audio_envelope`). The clip's speech level is the 95th percentile
:math:`L = P_{95}(e)`; a frame is *speech* when :math:`e_t > L \cdot 10^{-30/20}` (less than
:data:`SILENCE_DB` = 30 dB below the speech level: quiet syllables stay speech, a pause with
room noise at -40 dB does not), and *silent* when no speech frame is within
:data:`SPEECH_MARGIN_S` = 0.2 s (the lips move towards a sound before it starts, and a
voiceless onset such as /h/ stays below the threshold; 5 frames at 25 fps). The threshold is relative, so the recording level does not matter; a clip
that is silent throughout (L = 0) is silent in every frame.

**Columns**, over the silent frames with a face, with :math:`o_t` the inner-lip opening in
median mouth widths (:func:`msi.metrics.mouth_motion.mouth_opening`):

.. math:: \text{silent\_mouth} = \operatorname{std}_{t \in S} o_t, \qquad
          \text{lip\_leak} = \frac{|\{t \in S : o_t > c\}|}{|S|}

with the closed-mouth threshold :math:`c` = :data:`CLOSED_OPENING` = 0.1 mouth widths (a closed
mouth measured 0.04-0.06 on the synthetic corpus, speech 0.1-0.45). References: THEval
(silent-lip stability: the mouth should not move while nobody speaks); KeySync (Bigata et al.
2025, "LipLeak": the share of silent frames with an open mouth). Lower is better for both; fewer
than :data:`MIN_SILENT_FRAMES` silent frames with a face give NaN and a warning.
"""
from __future__ import annotations

import numpy as np

from msi.errors import MSIError
from msi.metrics.column import Column, Metric
from msi.metrics.lipsync import audio_envelope
from msi.metrics.mouth_motion import mouth_opening

SILENCE_DB = 30.0  # a frame this far below the clip's speech level (95th percentile) is not speech
SPEECH_PERCENTILE = 95
SPEECH_MARGIN_S = 0.2  # frames this close to speech are not silent (anticipation, quiet onsets)
CLOSED_OPENING = 0.1  # inner-lip opening (median mouth widths) above which a mouth is open
MIN_SILENT_FRAMES = 10


class TooLittleSilence(MSIError):
    kind = "too_little_silence"


def silent_frames(samples: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """(n_frames,) bool: the frames the energy detector of the module docstring calls silent."""
    env = audio_envelope(np.asarray(samples, dtype=np.float64), sample_rate, fps, n_frames)
    level = np.percentile(env, SPEECH_PERCENTILE) if n_frames else 0.0
    speech = env > level * 10 ** (-SILENCE_DB / 20) if level > 0 else np.zeros(n_frames, bool)
    m = int(round(SPEECH_MARGIN_S * fps))
    near = np.convolve(speech.astype(int), np.ones(2 * m + 1, int), mode="same") > 0 if m else speech
    return ~near


def silent_mouth(opening: np.ndarray, silent: np.ndarray) -> tuple[float, float]:
    """(silent_mouth, lip_leak) of an opening track (median mouth widths) over the ``silent``
    frames; raises :class:`TooLittleSilence` with fewer than MIN_SILENT_FRAMES of them with a face."""
    o = np.asarray(opening, dtype=np.float64)[np.asarray(silent, bool)]
    o = o[np.isfinite(o)]
    if o.size < MIN_SILENT_FRAMES:
        raise TooLittleSilence(f"{o.size} silent frame(s) with a face, {MIN_SILENT_FRAMES} needed")
    return float(o.std()), float(np.mean(o > CLOSED_OPENING))


def _columns(ctx) -> dict[str, float]:
    silent = silent_frames(ctx.audio.samples, ctx.audio.sample_rate, ctx.fps, len(ctx.landmarks))
    std, leak = silent_mouth(mouth_opening(ctx.landmarks, ctx.scheme), silent)
    return {"silent_mouth": std, "lip_leak": leak}


METRIC = Metric((Column("silent_mouth", "Silent mouth", -1, ("audio",), unit="median mouth widths",
                        help="std of the inner-lip opening over the silent frames (energy VAD), mouth widths"),
                 Column("lip_leak", "Lip leak", -1, ("audio",),
                        help="share of silent frames whose mouth is open (> 0.1 mouth widths), as KeySync")),
                _columns)
