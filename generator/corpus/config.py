"""Voice, pacing, framing and motion of the synthetic clips (one frozen dataclass)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CorpusConfig:
    """Voice, pacing, framing and motion of the synthetic clips."""

    sample_rate: int = 16000
    voice: str = "en-us+f3"
    words_per_minute: tuple[int, int] = (150, 185)
    pitch: tuple[int, int] = (42, 62)
    pause: tuple[float, float] = (0.2, 0.5)  # silence between sentences, seconds
    lead_in: float = 0.25  # silence before the first sentence, seconds
    crop_scale: float = 2.0  # crop side / face-mesh height
    head_angles_deg: tuple[float, float, float] = (4.0, 3.0, 2.0)  # max yaw, pitch, roll
    head_shift: float = 0.012  # max translation, fraction of the frame side
    head_band_hz: tuple[float, float] = (0.08, 0.45)  # head motion is slow: frequencies in this band
    blink_interval: float = 4.0  # mean seconds between blinks (Poisson); people blink ~15 times a minute
    blink_close_open: tuple[float, float] = (0.035, 0.06)  # Gaussian widths (s) of lid closing / opening
    default_size: int = 256
