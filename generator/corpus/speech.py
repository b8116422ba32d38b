"""The speech of a clip: espeak-ng sentences one after another, with pauses, at 16 kHz."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.corpus.config import CorpusConfig
from generator.errors import GeneratorError


@dataclass
class SpeechTrack:
    wave: np.ndarray  # float32 at sample_rate
    sample_rate: int
    phonemes: list[str]
    starts: np.ndarray
    ends: np.ndarray
    texts: list[str]
    text_starts: np.ndarray  # start time of each sentence


def speech_track(rng: np.random.Generator, seconds: float, cfg: CorpusConfig,
                 texts: list[str] | None = None) -> SpeechTrack:
    """Sentences spoken one after another with pauses until ``seconds`` are filled, cut there.

    ``texts`` are spoken in order (cycled); default: random sentences drawn with ``rng``."""
    from scipy.signal import resample_poly

    from generator.corpus import espeak
    from generator.corpus.sentences import sentences as draw

    sr22 = espeak.engine().sample_rate
    waves = [np.zeros(int(round(cfg.lead_in * sr22)), np.float32)]
    names, starts, ends, spoken, t_starts = [], [np.zeros(0)], [np.zeros(0)], [], []
    t = cfg.lead_in
    i = 0
    while t < seconds:
        text = texts[i % len(texts)] if texts else draw(1, rng)[0]
        i += 1
        sp = espeak.synthesize(text, voice=cfg.voice, rate=int(rng.integers(*cfg.words_per_minute)),
                               pitch=int(rng.integers(*cfg.pitch)))
        names += sp.phonemes
        starts.append(sp.starts + t)
        ends.append(sp.ends + t)
        spoken.append(text)
        t_starts.append(t)
        pause = float(rng.uniform(*cfg.pause))
        waves.append(sp.wave)
        waves.append(np.zeros(int(round(pause * sr22)), np.float32))
        t += sp.duration + pause
        if i > 10000:  # pragma: no cover - guards a pathological empty synthesis loop
            raise GeneratorError("espeak-ng produced no audio")
    wave22 = np.concatenate(waves)
    g = np.gcd(cfg.sample_rate, sr22)
    wave = resample_poly(wave22, cfg.sample_rate // g, sr22 // g).astype(np.float32)
    n = int(round(seconds * cfg.sample_rate))
    wave = np.pad(wave, (0, max(0, n - len(wave))))[:n]
    fade = min(n, int(0.02 * cfg.sample_rate))  # no click where a sentence is cut
    wave[n - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
    s, e = np.concatenate(starts), np.concatenate(ends)
    keep = s < seconds
    return SpeechTrack(wave=np.clip(wave, -1, 1), sample_rate=cfg.sample_rate,
                       phonemes=[p for p, k in zip(names, keep) if k], starts=s[keep],
                       ends=np.minimum(e[keep], seconds), texts=spoken, text_starts=np.array(t_starts))
